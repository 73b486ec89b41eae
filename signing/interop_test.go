package signing

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
)

// Test documents: the shapes the hcm-lgsp profile produces, plus the XML
// details where canonicalisation implementations tend to disagree.
var testDocs = []struct {
	name string
	doc  string
}{
	{"dossier with Vietnamese text and nesting", `<?xml version="1.0" encoding="UTF-8"?>` +
		`<GoiTin><ThongTinGoiTin><MaGoiTin>3f0c1e52-8a47-4d0e-9b1a-2f6f1f0c9a11</MaGoiTin><LoaiGoiTin>HoSo</LoaiGoiTin>` +
		`<PhienBan>1.0</PhienBan><MaDonViGui>000.00.06.H29</MaDonViGui><MaDonViNhan>000.00.00.H29</MaDonViNhan>` +
		`<ThoiGianTao>20260315090000</ThoiGianTao></ThongTinGoiTin>` +
		`<NoiDung><HoSo><MaHoSo>000.00.06.H29-260315-0001</MaHoSo><TrangThaiHoSo>4</TrangThaiHoSo>` +
		`<TenThuTuc>Cấp giấy chứng nhận đăng ký hộ kinh doanh</TenThuTuc>` +
		`<ChuHoSo>Nguyễn Thị Ánh Tuyết</ChuHoSo><DiaChi>Phường Bến Thành, Thành phố Hồ Chí Minh</DiaChi>` +
		`<QuaTrinhXuLy><BuocXuLy STT="1"><NoiDungXuLy>Tiếp nhận hồ sơ</NoiDungXuLy></BuocXuLy>` +
		`<BuocXuLy STT="2"><NoiDungXuLy>Chuyển phòng chuyên môn thẩm định</NoiDungXuLy></BuocXuLy></QuaTrinhXuLy>` +
		`<TepDinhKem/></HoSo></NoiDung></GoiTin>`},
	{"escaped characters in text and attributes", `<?xml version="1.0" encoding="UTF-8"?>` +
		`<GoiTin><GhiChu loai="a &amp; b &lt;c&gt; &quot;d&quot; 'e'">Hồ sơ đầy đủ &amp; hợp lệ &lt;đã kiểm tra&gt; "trích dẫn" 'nháy' >` +
		"\ttab and CR&#13;here</GhiChu><Rong></Rong><Rong2/></GoiTin>"},
	{"indented input with trailing newline", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
		"<GoiTin>\n  <ThongTinGoiTin>\n    <LoaiGoiTin>DanhGia</LoaiGoiTin>\n  </ThongTinGoiTin>\n  <NoiDung>\n    <MucDoHaiLong>Rất hài lòng</MucDoHaiLong>\n  </NoiDung>\n</GoiTin>\n"},
	{"default namespace on the root", `<?xml version="1.0" encoding="UTF-8"?>` +
		`<GoiTin xmlns="urn:hcm-lgsp:goitin:1"><NoiDung><TinHieu>Hoạt động</TinHieu></NoiDung></GoiTin>`},
	{"self-closing root without declaration", `<GoiTin/>`},
	{"3 KB dossier (benchmark document)", dossierDoc()},
	{"canonicalisation corner cases", `<?xml version='1.0' encoding='utf-8'?>` +
		`<p:GoiTin xmlns:p="urn:p" xmlns:unused="urn:u" z="1" a="2 &gt; 1"><p:A xmlns="urn:d"><B>x</B><D/></p:A><F xmlns="urn:f"><p:G/></F>` +
		`<C  b = "1"  a='x"y' >&#x1F600; 😀 e` + "\u0301 \u00e9" + `</C><E>` + "\r\n" + `</E></p:GoiTin>`},
}

var allAlgorithms = []Algorithm{RSASHA256, RSASHA1, RSASHA512, ECDSASHA256, ECDSASHA384}

// allSenders is a Verifier trusting the sender of every algorithm and
// allowing every algorithm.
func allSenders(t testing.TB, f *fixtureSet) *Verifier {
	t.Helper()
	return mustVerifier(t, VerifierOptions{Allowed: allAlgorithms}, f.sender.cert, f.ecSender.cert, f.ec384.cert)
}

// TestXmlsec1AcceptsOurSignatures is the independent check: every test
// document, signed with every algorithm, verifies with xmlsec1 and with
// our own Verifier. For ECDSA this is what proves the SignatureValue is
// the XML-DSig r||s form: xmlsec1 refuses ASN.1 DER.
func TestXmlsec1AcceptsOurSignatures(t *testing.T) {
	f := mustFixtures(t)
	v := allSenders(t, f)
	for _, alg := range allAlgorithms {
		s := mustSigner(t, f.senderFor(alg), alg)
		for _, tc := range testDocs {
			t.Run(alg.String()+"/"+tc.name, func(t *testing.T) {
				signed := mustSign(t, s, tc.doc)
				out, err := xmlsec1Verify(t, signed, s.CertificatePEM())
				if err != nil {
					t.Fatalf("xmlsec1 rejected our signature: %v\n%s\ndocument:\n%s", err, out, signed)
				}
				if !strings.Contains(out, "OK") {
					t.Fatalf("xmlsec1 did not report OK:\n%s", out)
				}
				if _, err := v.Verify(signed); err != nil {
					t.Fatalf("our Verifier rejected our signature: %v", err)
				}
				for _, want := range []string{alg.SignatureMethod(), alg.DigestMethod(), canonExclusive, transformEnveloped, `<Reference URI="">`,
					`<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">`, "<X509Certificate>"} {
					if !strings.Contains(string(signed), want) {
						t.Errorf("signed document lacks %q", want)
					}
				}
			})
		}
	}
}

// TestXmlsec1RejectsTamperedSignature makes sure the xmlsec1 check above
// can fail: a changed letter and an untrusted certificate are refused.
func TestXmlsec1RejectsTamperedSignature(t *testing.T) {
	f := mustFixtures(t)
	for _, tc := range []struct {
		alg           Algorithm
		sender, other keyPair
	}{{RSASHA256, f.sender, f.other}, {ECDSASHA256, f.ecSender, f.ecOther}} {
		t.Run(tc.alg.String(), func(t *testing.T) {
			signed := mustSign(t, mustSigner(t, tc.sender, tc.alg), testDocs[0].doc)
			tampered := []byte(strings.Replace(string(signed), "Tuyết", "Tuyet", 1))
			if out, err := xmlsec1Verify(t, tampered, EncodeCertPEM(tc.sender.cert)); err == nil {
				t.Fatalf("xmlsec1 accepted a tampered document:\n%s", out)
			}
			if out, err := xmlsec1Verify(t, signed, EncodeCertPEM(tc.other.cert)); err == nil {
				t.Fatalf("xmlsec1 accepted a signature by an untrusted certificate:\n%s", out)
			}
		})
	}
}

// TestXmlsec1RejectsDERSignatureValue shows why Sign converts ECDSA
// signatures: the same signature in ASN.1 DER, as crypto/ecdsa and
// goxmldsig produce it, is refused by xmlsec1 (and by our Verifier).
func TestXmlsec1RejectsDERSignatureValue(t *testing.T) {
	f := mustFixtures(t)
	signed := string(mustSign(t, mustSigner(t, f.ecSender, ECDSASHA256), testDocs[0].doc))
	raw := signatureValue(t, signed)
	der, err := ecdsaRawToDER(raw, 32)
	if err != nil {
		t.Fatal(err)
	}
	asDER := []byte(strings.Replace(signed, b64(raw), b64(der), 1))
	if out, err := xmlsec1Verify(t, []byte(signed), EncodeCertPEM(f.ecSender.cert)); err != nil {
		t.Fatalf("xmlsec1 rejected the r||s original: %v\n%s", err, out)
	}
	if out, err := xmlsec1Verify(t, asDER, EncodeCertPEM(f.ecSender.cert)); err == nil {
		t.Fatalf("xmlsec1 accepted a DER SignatureValue; the r||s conversion may be unnecessary:\n%s", out)
	}
	v := mustVerifier(t, VerifierOptions{Allowed: []Algorithm{ECDSASHA256}}, f.ecSender.cert)
	if _, err := v.Verify(asDER); !errors.Is(err, ErrProfileViolation) || !strings.Contains(err.Error(), "r||s") {
		t.Fatalf("Verify of a DER SignatureValue: got %v, want ErrProfileViolation naming r||s", err)
	}
}

// signatureValue decodes the SignatureValue of a signed document.
func signatureValue(t testing.TB, signed string) []byte {
	t.Helper()
	start := strings.Index(signed, "<SignatureValue>") + len("<SignatureValue>")
	end := strings.Index(signed, "</SignatureValue>")
	if start < len("<SignatureValue>") || end < start {
		t.Fatal("test setup: no SignatureValue")
	}
	b, err := base64.StdEncoding.DecodeString(signed[start:end])
	if err != nil {
		t.Fatalf("test setup: SignatureValue: %v", err)
	}
	return b
}

// signatureTemplate is an xmlsec1 signing template with the profile's
// structure; xmlsec1 fills DigestValue, SignatureValue and X509Data.
func signatureTemplate(alg Algorithm) string {
	return fmt.Sprintf(`<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">
<SignedInfo>
<CanonicalizationMethod Algorithm="%s"/>
<SignatureMethod Algorithm="%s"/>
<Reference URI="">
<Transforms>
<Transform Algorithm="%s"/>
<Transform Algorithm="%s"/>
</Transforms>
<DigestMethod Algorithm="%s"/>
<DigestValue/>
</Reference>
</SignedInfo>
<SignatureValue/>
<KeyInfo>
<X509Data/>
</KeyInfo>
</Signature>`, canonExclusive, alg.SignatureMethod(), transformEnveloped, canonExclusive, alg.DigestMethod())
}

// TestVerifierAcceptsXmlsec1Signatures: documents signed by xmlsec1 from a
// template verify with our Verifier, and the element it returns is the
// signed content.
func TestVerifierAcceptsXmlsec1Signatures(t *testing.T) {
	f := mustFixtures(t)
	v := allSenders(t, f)
	docs := []string{testDocs[0].doc, testDocs[1].doc, testDocs[3].doc}
	for _, alg := range allAlgorithms {
		kp := f.senderFor(alg)
		keyPEM, err := EncodeKeyPEM(kp.key)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range docs {
			t.Run(fmt.Sprintf("%s/doc%d", alg, i), func(t *testing.T) {
				dir := t.TempDir()
				end := strings.LastIndex(doc, "</GoiTin>")
				tmpl := doc[:end] + signatureTemplate(alg) + doc[end:]
				tmplFile := writeFile(t, dir, "template.xml", []byte(tmpl))
				keyFile := writeFile(t, dir, "key.pem", keyPEM)
				certFile := writeFile(t, dir, "cert.pem", EncodeCertPEM(kp.cert))
				outFile := filepath.Join(dir, "signed.xml")
				if out, err := runXmlsec1(t, "--sign", "--privkey-pem", keyFile+","+certFile, "--output", outFile, tmplFile); err != nil {
					t.Fatalf("xmlsec1 --sign: %v\n%s", err, out)
				}
				signed := readFile(t, outFile)
				el, err := v.Verify(signed)
				if err != nil {
					t.Fatalf("our Verifier rejected xmlsec1's signature: %v\n%s", err, signed)
				}
				if el.Tag != "GoiTin" || el.FindElement("//Signature") != nil {
					t.Fatalf("Verify returned <%s> (Signature inside: %v), want the signed GoiTin without Signature", el.Tag, el.FindElement("//Signature") != nil)
				}
				if alg.IsECDSA() {
					if n, want := len(signatureValue(t, string(signed))), 2*curveBytes(alg.curve().Params().BitSize); n != want {
						t.Errorf("xmlsec1's %s SignatureValue is %d bytes, want r||s of %d", alg, n, want)
					}
				}
				// The same document is refused when its algorithm is not
				// allowed: the opt-in ones by a default Verifier.
				if alg == RSASHA1 || alg.IsECDSA() {
					strict := mustVerifier(t, VerifierOptions{}, f.sender.cert)
					if _, err := strict.Verify(signed); !errors.Is(err, ErrAlgorithmNotAllowed) {
						t.Fatalf("default Verifier on %s: got %v, want ErrAlgorithmNotAllowed", alg, err)
					}
				}
			})
		}
	}
}

// TestReadmeXmlsec1Commands runs the two hand-check commands documented in
// README.md: each accepts a packet signed by the given certificate's key
// and refuses one signed by another key.
func TestReadmeXmlsec1Commands(t *testing.T) {
	f := mustFixtures(t)
	for _, tc := range []struct {
		alg           Algorithm
		sender, other keyPair
		keyData       string
	}{
		{RSASHA256, f.sender, f.other, "rsa"},
		{ECDSASHA256, f.ecSender, f.ecOther, xmlsec1ECKeyData(t)},
	} {
		dir := t.TempDir()
		packet := writeFile(t, dir, "packet.xml", mustSign(t, mustSigner(t, tc.sender, tc.alg), testDocs[0].doc))
		forged := writeFile(t, dir, "forged.xml", mustSign(t, mustSigner(t, tc.other, tc.alg), testDocs[0].doc))
		cert := writeFile(t, dir, "sender-cert.pem", EncodeCertPEM(tc.sender.cert))
		commands := map[string][]string{
			"trusted certificate": {"--verify", "--enabled-reference-uris", "empty", "--trusted-pem", cert},
			"pinned public key":   {"--verify", "--enabled-reference-uris", "empty", "--enabled-key-data", tc.keyData, "--pubkey-cert-pem", cert},
		}
		for name, args := range commands {
			t.Run(tc.alg.String()+"/"+name, func(t *testing.T) {
				args = append(args, "--verification-gmt-time", xmlsecTime())
				if out, err := runXmlsec1(t, append(args, packet)...); err != nil {
					t.Errorf("rejected the sender's packet: %v\n%s", err, out)
				}
				if out, err := runXmlsec1(t, append(args, forged)...); err == nil {
					t.Errorf("accepted a packet signed by another key:\n%s", out)
				}
			})
		}
	}
}

// xmlsec1ECKeyData is the --enabled-key-data name of EC keys: "ecdsa" in
// xmlsec1 1.2, "ec" from 1.3 on (README.md gives both).
func xmlsec1ECKeyData(t testing.TB) string {
	out, err := runXmlsec1(t, "--list-key-data")
	if err != nil {
		t.Fatalf("xmlsec1 --list-key-data: %v\n%s", err, out)
	}
	if strings.Contains(out, `"ec"`) {
		return "ec"
	}
	if strings.Contains(out, `"ecdsa"`) {
		return "ecdsa"
	}
	t.Fatalf("xmlsec1 lists no EC key data:\n%s", out)
	return ""
}

// TestXmlsec1AgreesOnGeneratedDocuments is a differential test: random
// documents (fixed seed) exercising namespaces, attribute order, escaping
// and references are signed by us and verified by xmlsec1. Every document
// Sign accepts must verify; the only refusal expected is xmlns="", which
// the generator emits on purpose because goxmldsig canonicalises it
// differently from xmlsec1.
func TestXmlsec1AgreesOnGeneratedDocuments(t *testing.T) {
	f := mustFixtures(t)
	for _, alg := range []Algorithm{RSASHA256, ECDSASHA256} {
		t.Run(alg.String(), func(t *testing.T) { xmlsec1AgreesOnGeneratedDocuments(t, mustSigner(t, f.senderFor(alg), alg)) })
	}
}

func xmlsec1AgreesOnGeneratedDocuments(t *testing.T, s *Signer) {
	dir := t.TempDir()
	certFile := writeFile(t, dir, "cert.pem", s.CertificatePEM())
	r := rand.New(rand.NewPCG(2026, 315))
	args := []string{"--verify", "--enabled-reference-uris", "empty", "--trusted-pem", certFile, "--verification-gmt-time", xmlsecTime()}
	inputs := map[string]string{}
	for i := range 120 {
		doc := genDocument(r)
		signed, err := s.Sign([]byte(doc))
		if err != nil {
			if !strings.Contains(err.Error(), `xmlns=""`) {
				t.Errorf("document %d refused unexpectedly: %v\n%s", i, err, doc)
			}
			continue
		}
		docFile := writeFile(t, dir, fmt.Sprintf("doc%02d.xml", i), signed)
		inputs[docFile] = doc
		args = append(args, docFile)
	}
	if len(inputs) < 80 {
		t.Fatalf("only %d of 120 generated documents were signed; the generator drifted", len(inputs))
	}
	// One xmlsec1 run checks every file (it stops at the first failure and
	// names the file), which keeps this test fast on a loaded machine.
	out, err := runXmlsec1(t, args...)
	if err != nil {
		for file, doc := range inputs {
			if strings.Contains(out, file) {
				t.Errorf("xmlsec1 rejected %s, signed from input %q", filepath.Base(file), doc)
			}
		}
		t.Fatalf("xmlsec1: %v\n%s", err, out)
	}
	if n := countLines(out, "OK"); n != len(inputs) {
		t.Fatalf("xmlsec1 reported %d OK results for %d files:\n%s", n, len(inputs), out)
	}
}

func countLines(s, line string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) == line {
			n++
		}
	}
	return n
}

// TestVerifierAcceptsXmlsec1OnGeneratedDocuments is the other direction of
// the differential test: xmlsec1 signs random documents from a template,
// our Verifier must accept each one.
func TestVerifierAcceptsXmlsec1OnGeneratedDocuments(t *testing.T) {
	f := mustFixtures(t)
	for _, alg := range []Algorithm{RSASHA256, ECDSASHA256} {
		t.Run(alg.String(), func(t *testing.T) { verifierAcceptsXmlsec1OnGeneratedDocuments(t, f.senderFor(alg), alg) })
	}
}

func verifierAcceptsXmlsec1OnGeneratedDocuments(t *testing.T, kp keyPair, alg Algorithm) {
	v := mustVerifier(t, VerifierOptions{Allowed: []Algorithm{alg}}, kp.cert)
	dir := t.TempDir()
	certFile := writeFile(t, dir, "cert.pem", EncodeCertPEM(kp.cert))
	keyPEM, err := EncodeKeyPEM(kp.key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := writeFile(t, dir, "key.pem", keyPEM)
	r := rand.New(rand.NewPCG(1705, 2025))
	checked := 0
	for i := 0; checked < 15; i++ {
		doc := strings.TrimRight(genDocument(r), "\n")
		if strings.Contains(doc, `xmlns=""`) {
			continue // outside the profile; see TestXmlsec1AgreesOnGeneratedDocuments
		}
		end := strings.LastIndex(doc, "</")
		tmplFile := writeFile(t, dir, fmt.Sprintf("tmpl%02d.xml", i), []byte(doc[:end]+signatureTemplate(alg)+doc[end:]))
		outFile := filepath.Join(dir, fmt.Sprintf("signed%02d.xml", i))
		if out, err := runXmlsec1(t, "--sign", "--privkey-pem", keyFile+","+certFile, "--output", outFile, tmplFile); err != nil {
			t.Fatalf("xmlsec1 --sign: %v\n%s", err, out)
		}
		if _, err := v.Verify(readFile(t, outFile)); err != nil {
			t.Errorf("our Verifier rejected xmlsec1's signature on %q: %v", doc, err)
		}
		checked++
	}
}
