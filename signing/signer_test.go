package signing

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSignKeepsInputBytesAndIsDeterministic: the output is the input with
// the Signature spliced in before the root end tag, byte for byte, and the
// same input always gives the same output (sign once, store, resend).
func TestSignKeepsInputBytesAndIsDeterministic(t *testing.T) {
	f := mustFixtures(t)
	s := mustSigner(t, f.sender, RSASHA256)
	for _, tc := range testDocs {
		t.Run(tc.name, func(t *testing.T) {
			first := mustSign(t, s, tc.doc)
			second := mustSign(t, s, tc.doc)
			if !bytes.Equal(first, second) {
				t.Fatal("signing the same document twice gave different bytes")
			}
			sigStart := bytes.Index(first, []byte("<Signature "))
			sigEnd := bytes.Index(first, []byte("</Signature>")) + len("</Signature>")
			if sigStart < 0 || sigEnd < sigStart {
				t.Fatalf("no Signature in output:\n%s", first)
			}
			before, after := string(first[:sigStart]), string(first[sigEnd:])
			if strings.HasSuffix(tc.doc, "/>") && !strings.Contains(tc.doc, "</") {
				// Self-closing root: "<GoiTin/>" becomes "<GoiTin>…</GoiTin>".
				if before+after != strings.TrimSuffix(tc.doc, "/>")+"></GoiTin>" {
					t.Fatalf("self-closing root rewritten unexpectedly: %q + %q", before, after)
				}
				return
			}
			if before+after != tc.doc {
				t.Fatalf("input bytes not preserved:\nbefore+after = %q\ninput        = %q", before+after, tc.doc)
			}
			if !strings.HasPrefix(after, "</") {
				t.Fatalf("Signature is not the last child of the root: followed by %q", after)
			}
		})
	}
}

// TestECDSASignDiffersOnlyInSignatureValue: ECDSA draws a fresh nonce per
// signature, so two signatures of one document differ, but only inside
// SignatureValue; the document bytes around the Signature are kept as for
// RSA, and both signatures verify.
func TestECDSASignDiffersOnlyInSignatureValue(t *testing.T) {
	f := mustFixtures(t)
	for _, alg := range []Algorithm{ECDSASHA256, ECDSASHA384} {
		kp := f.senderFor(alg)
		s := mustSigner(t, kp, alg)
		v := mustVerifier(t, VerifierOptions{Allowed: []Algorithm{alg}}, kp.cert)
		wantLen := map[Algorithm]int{ECDSASHA256: 64, ECDSASHA384: 96}[alg]
		for _, tc := range testDocs {
			t.Run(alg.String()+"/"+tc.name, func(t *testing.T) {
				first, second := mustSign(t, s, tc.doc), mustSign(t, s, tc.doc)
				if bytes.Equal(first, second) {
					t.Fatal("two ECDSA signatures of the same document are identical: is the nonce random?")
				}
				r1, r2 := signatureValue(t, string(first)), signatureValue(t, string(second))
				if len(r1) != wantLen || len(r2) != wantLen {
					t.Fatalf("SignatureValue is %d and %d bytes, want r||s of %d", len(r1), len(r2), wantLen)
				}
				if a, b := withoutSignatureValue(first), withoutSignatureValue(second); a != b {
					t.Fatalf("the signatures differ outside SignatureValue:\n%s\n%s", a, b)
				}
				i := bytes.Index(first, []byte("<Signature "))
				j := bytes.Index(first, []byte("</Signature>")) + len("</Signature>")
				if rest := string(first[:i]) + string(first[j:]); rest != tc.doc && !strings.HasSuffix(tc.doc, "/>") {
					t.Fatalf("input bytes not preserved: %q", rest)
				}
				for _, signed := range [][]byte{first, second} {
					if _, err := v.Verify(signed); err != nil {
						t.Fatalf("Verify: %v", err)
					}
				}
			})
		}
	}
}

// withoutSignatureValue blanks the SignatureValue text.
func withoutSignatureValue(signed []byte) string {
	s := string(signed)
	i := strings.Index(s, "<SignatureValue>") + len("<SignatureValue>")
	j := strings.Index(s, "</SignatureValue>")
	return s[:i] + s[j:]
}

func TestSignRefuses(t *testing.T) {
	f := mustFixtures(t)
	s := mustSigner(t, f.sender, RSASHA256)
	signed := string(mustSign(t, s, testDocs[0].doc))
	const decl = `<?xml version="1.0" encoding="UTF-8"?>`
	tests := []struct {
		name, doc, wantMsg string
		want               error
	}{
		{"already signed", signed, "already contains a Signature", nil},
		{"not well-formed", decl + "<GoiTin><a></GoiTin>", "", ErrNotWellFormed},
		{"two roots", decl + "<GoiTin/><GoiTin/>", "second top-level element", ErrNotWellFormed},
		{"no root", decl, "no root element", ErrNotWellFormed},
		{"DOCTYPE", decl + `<!DOCTYPE GoiTin [<!ENTITY e "x">]><GoiTin>&e;</GoiTin>`, "", nil},
		{"comment", decl + "<GoiTin><!-- x --></GoiTin>", "comment inside <GoiTin>", ErrForbiddenXML},
		{"comment after root", decl + "<GoiTin/><!-- x -->", "comment outside", ErrForbiddenXML},
		{"processing instruction", decl + "<?xml-stylesheet href=\"a\"?><GoiTin/>", "processing instruction", ErrForbiddenXML},
		{"CDATA", decl + "<GoiTin><![CDATA[x]]></GoiTin>", "CDATA", ErrForbiddenXML},
		{"namespaced attribute", decl + `<GoiTin xmlns:a="urn:a" a:b="1"/>`, `namespaced attribute "a:b"`, ErrForbiddenXML},
		{"xml:lang attribute", decl + `<GoiTin xml:lang="vi"/>`, `"xml:lang"`, ErrForbiddenXML},
		{"line break in attribute", decl + "<GoiTin a=\"x\ny\"/>", "tab or line break", ErrForbiddenXML},
		{"encoded tab in attribute", decl + `<GoiTin a="x&#9;y"/>`, "tab or line break", ErrForbiddenXML},
		{"default namespace undeclared", decl + `<GoiTin xmlns="urn:a"><p:A xmlns:p="urn:p"><B xmlns="">x</B></p:A></GoiTin>`, `xmlns=""`, ErrForbiddenXML},
		{"byte-order mark", "\xEF\xBB\xBF" + decl + "<GoiTin/>", "byte-order mark", ErrForbiddenXML},
		{"Windows-1258 declaration", `<?xml version="1.0" encoding="windows-1258"?><GoiTin/>`, "encoding must be UTF-8", ErrForbiddenXML},
		{"invalid UTF-8", decl + "<GoiTin>\xff</GoiTin>", "", ErrNotWellFormed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := s.Sign([]byte(tc.doc))
			if err == nil {
				t.Fatalf("Sign accepted it:\n%s", out)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error = %v, want one wrapping %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error = %v, want it to mention %q", err, tc.wantMsg)
			}
		})
	}
}

func TestNewSignerChecksKeyAndCertificate(t *testing.T) {
	f := mustFixtures(t)
	tests := []struct {
		name string
		kp   keyPair
		alg  Algorithm
		want []string // all must appear in the error
	}{
		{"key of another certificate", keyPair{f.other.key, f.sender.cert}, RSASHA256, []string{"does not match certificate"}},
		{"EC key of another certificate", keyPair{f.ecOther.key, f.ecSender.cert}, ECDSASHA256, []string{"does not match certificate"}},
		{"EC key for an RSA certificate", keyPair{f.ecSender.key, f.sender.cert}, ECDSASHA256, []string{"does not match certificate"}},
		{"no key", keyPair{nil, f.sender.cert}, RSASHA256, []string{"no private key"}},
		{"nil RSA key", keyPair{(*rsa.PrivateKey)(nil), f.sender.cert}, RSASHA256, []string{"no private key"}},
		{"nil EC key", keyPair{(*ecdsa.PrivateKey)(nil), f.ecSender.cert}, ECDSASHA256, []string{"no private key"}},
		{"no certificate", keyPair{f.sender.key, nil}, RSASHA256, []string{"no certificate"}},
		{"unknown algorithm", f.sender, Algorithm(9), []string{"unknown signature algorithm"}},
		{"RSA key with ecdsa-sha256", f.sender, ECDSASHA256, []string{
			"ecdsa-sha256 needs an EC P-256 key", "has an RSA-2048 key", "set signing.algorithm: rsa-sha256", f.sender.cert.Subject.String(), "cần khóa EC P-256"}},
		{"EC P-256 key with the default rsa-sha256", f.ecSender, RSASHA256, []string{
			"rsa-sha256 needs an RSA key", "has an EC P-256 key", "set signing.algorithm: ecdsa-sha256"}},
		{"EC P-384 key with ecdsa-sha256", f.ec384, ECDSASHA256, []string{
			"ecdsa-sha256 needs an EC P-256 key", "has an EC P-384 key", "set signing.algorithm: ecdsa-sha384"}},
		{"EC P-256 key with ecdsa-sha384", f.ecSender, ECDSASHA384, []string{"ecdsa-sha384 needs an EC P-384 key", "set signing.algorithm: ecdsa-sha256"}},
		{"EC P-224 key", ecKeyPair(t, elliptic.P224()), ECDSASHA256, []string{"EC P-224 is not supported", "P-256 or P-384"}},
		{"EC P-521 key", ecKeyPair(t, elliptic.P521()), ECDSASHA256, []string{"EC P-521 is not supported"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSigner(tc.kp.key, tc.kp.cert, tc.alg)
			if err == nil {
				t.Fatal("NewSigner succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("NewSigner error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// ecKeyPair makes a self-signed certificate on a curve GenerateSelfSignedFor
// does not offer.
func ecKeyPair(t testing.TB, curve elliptic.Curve) keyPair {
	t.Helper()
	key, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "curve " + curve.Params().Name},
		NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return keyPair{key, cert}
}

// TestSignConcurrently signs from 8 goroutines at once (run with -race)
// and checks each result against the one signed alone: shared state
// between calls would show up as a race or as different bytes (for ECDSA,
// different bytes outside the SignatureValue, which a random nonce changes
// on every call).
func TestSignConcurrently(t *testing.T) {
	f := mustFixtures(t)
	for _, alg := range []Algorithm{RSASHA256, ECDSASHA256} {
		t.Run(alg.String(), func(t *testing.T) { signConcurrently(t, f.senderFor(alg), alg) })
	}
}

func signConcurrently(t *testing.T, kp keyPair, alg Algorithm) {
	s := mustSigner(t, kp, alg)
	v := mustVerifier(t, VerifierOptions{Allowed: []Algorithm{alg}}, kp.cert)
	same := bytes.Equal
	if alg.IsECDSA() {
		same = func(a, b []byte) bool { return withoutSignatureValue(a) == withoutSignatureValue(b) }
	}
	const workers, perWorker = 8, 4
	docs := make([]string, workers)
	want := make([][]byte, workers)
	for i := range docs {
		docs[i] = strings.Replace(testDocs[0].doc, "0001</MaHoSo>", fmt.Sprintf("%04d</MaHoSo>", i), 1)
		want[i] = mustSign(t, s, docs[i])
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		wg.Go(func() {
			for range perWorker {
				got, err := s.Sign([]byte(docs[w]))
				switch {
				case err != nil:
					errs <- fmt.Errorf("worker %d: %w", w, err)
				case !same(got, want[w]):
					errs <- fmt.Errorf("worker %d: concurrent signature differs from the sequential one", w)
				default:
					if _, err := v.Verify(got); err != nil {
						errs <- fmt.Errorf("worker %d: verify: %w", w, err)
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// opaqueKey hides the key's concrete type, as a hardware key does: only
// Public and Sign are reachable.
type opaqueKey struct{ crypto.Signer }

// TestSignerWithOpaqueKey: a crypto.Signer that is not one of the
// standard key types signs too; for ECDSA its DER output is converted like
// crypto/ecdsa's, and xmlsec1 accepts the result.
func TestSignerWithOpaqueKey(t *testing.T) {
	f := mustFixtures(t)
	for _, alg := range []Algorithm{RSASHA256, ECDSASHA256} {
		t.Run(alg.String(), func(t *testing.T) {
			kp := f.senderFor(alg)
			s := mustSigner(t, keyPair{opaqueKey{kp.key}, kp.cert}, alg)
			signed := mustSign(t, s, testDocs[0].doc)
			if err := mustVerifier(t, VerifierOptions{Allowed: []Algorithm{alg}}, kp.cert).VerifyBytes(signed); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if out, err := xmlsec1Verify(t, signed, s.CertificatePEM()); err != nil {
				t.Fatalf("xmlsec1: %v\n%s", err, out)
			}
		})
	}
}

// TestECDSASignatureConversion checks the DER ⇄ r||s conversion on
// hand-encoded values: DER integers are minimal and signed (a set top bit
// needs a 0x00 byte in front), r||s is fixed-width and unsigned.
func TestECDSASignatureConversion(t *testing.T) {
	tests := []struct {
		name string
		der  []byte
		size int
		raw  []byte // nil: DER refused
	}{
		{"small values padded", []byte{0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x01, 0x00}, 4,
			[]byte{0, 0, 0, 1, 0, 0, 1, 0}},
		{"top bit set: DER has a 0x00 byte the raw form drops", []byte{0x30, 0x08, 0x02, 0x02, 0x00, 0x80, 0x02, 0x02, 0x00, 0xff}, 2,
			[]byte{0x00, 0x80, 0x00, 0xff}},
		{"full width", []byte{0x30, 0x08, 0x02, 0x02, 0x7f, 0x01, 0x02, 0x02, 0x12, 0x34}, 2,
			[]byte{0x7f, 0x01, 0x12, 0x34}},
		{"r wider than the curve", []byte{0x30, 0x09, 0x02, 0x03, 0x01, 0x00, 0x00, 0x02, 0x02, 0x12, 0x34}, 2, nil},
		{"negative s", []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0xff}, 2, nil},
		{"zero r", []byte{0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01}, 2, nil},
		{"trailing byte", []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00}, 2, nil},
		{"third element inside the SEQUENCE", []byte{0x30, 0x07, 0x02, 0x01, 0x30, 0x02, 0x01, 0x30, 0x30}, 2, nil},
		{"non-minimal integer", []byte{0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01}, 2, nil},
		{"not DER", []byte("r||s"), 2, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := ecdsaDERToRaw(tc.der, tc.size)
			if tc.raw == nil {
				if err == nil {
					t.Fatalf("ecdsaDERToRaw accepted % x as % x", tc.der, raw)
				}
				return
			}
			if err != nil || !bytes.Equal(raw, tc.raw) {
				t.Fatalf("ecdsaDERToRaw = % x, %v; want % x", raw, err, tc.raw)
			}
			der, err := ecdsaRawToDER(tc.raw, tc.size)
			if err != nil || !bytes.Equal(der, tc.der) {
				t.Fatalf("ecdsaRawToDER = % x, %v; want % x", der, err, tc.der)
			}
		})
	}
	for _, bad := range []struct {
		name string
		raw  []byte
		want string
	}{
		{"too short", []byte{1, 2, 3}, "needs exactly 4"},
		{"too long", []byte{1, 2, 3, 4, 5}, "needs exactly 4"},
		{"zero r", []byte{0, 0, 1, 2}, "zero r or s"},
		{"zero s", []byte{1, 2, 0, 0}, "zero r or s"},
	} {
		if _, err := ecdsaRawToDER(bad.raw, 2); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ecdsaRawToDER(%s) error = %v, want one containing %q", bad.name, err, bad.want)
		}
	}
}

func TestCheckDeclaration(t *testing.T) {
	tests := []struct {
		inst string
		ok   bool
	}{
		{`version="1.0"`, true},
		{`version="1.0" encoding="UTF-8"`, true},
		{`version='1.0' encoding='utf-8' standalone='yes'`, true},
		{"version = \"1.0\"\n\tencoding=\"UTF-8\" ", true},
		{`version="1.0" standalone="no"`, true},
		{``, false},
		{`encoding="UTF-8"`, false},
		{`version="1.1"`, false},
		{`version="1.0"encoding="UTF-8"`, false},
		{`version="1.0" aencoding="UTF-8"`, false},
		{`version="1.0" encoding="UTF-16"`, false},
		{`version="1.0" standalone="maybe"`, false},
		{`version="1.0" standalone="yes" encoding="UTF-8"`, false},
		{`version="1.0" version="1.0"`, false},
		{`version=1.0`, false},
		{`version="1.0`, false},
		{`version="1.0" x`, false},
	}
	for _, tc := range tests {
		err := checkDeclaration(tc.inst)
		if (err == nil) != tc.ok {
			t.Errorf("checkDeclaration(%q) = %v, want ok=%v", tc.inst, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrForbiddenXML) {
			t.Errorf("checkDeclaration(%q) error %v does not wrap ErrForbiddenXML", tc.inst, err)
		}
	}
}

func TestAlgorithmNames(t *testing.T) {
	tests := []struct {
		in   string
		want Algorithm
		ok   bool
	}{
		{"rsa-sha256", RSASHA256, true},
		{" RSA-SHA256 ", RSASHA256, true},
		{"rsa-sha512", RSASHA512, true},
		{"rsa-sha1", RSASHA1, true},
		{"", 0, false},
		{"sha256", 0, false},
		{"ecdsa-sha256", ECDSASHA256, true},
		{"ECDSA-SHA384", ECDSASHA384, true},
		{"ecdsa-sha512", 0, false},
		{"ecdsa", 0, false},
	}
	for _, tc := range tests {
		got, err := ParseAlgorithm(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("ParseAlgorithm(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if !tc.ok && err != nil && !strings.Contains(err.Error(), `"rsa-sha256"`) {
			t.Errorf("ParseAlgorithm(%q) error %q does not list the valid names", tc.in, err)
		}
	}
	for _, a := range allAlgorithms {
		text, err := a.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Algorithm
		if err := back.UnmarshalText(text); err != nil || back != a {
			t.Errorf("%v: text round trip gave %v, %v", a, back, err)
		}
		if a.Hash().Size()*8 < 160 || a.SignatureMethod() == "" || a.DigestMethod() == "" {
			t.Errorf("%v: incomplete algorithm description", a)
		}
	}
	if got := AlgorithmNames(); len(got) != len(allAlgorithms) || got[0] != "rsa-sha256" {
		t.Errorf("AlgorithmNames() = %q: want every algorithm, the default first", got)
	}
	for _, name := range AlgorithmNames() {
		if a, err := ParseAlgorithm(name); err != nil || a.String() != name {
			t.Errorf("AlgorithmNames lists %q, which parses as %v, %v", name, a, err)
		}
	}
	var zero Algorithm
	if zero != RSASHA256 {
		t.Error("the zero Algorithm must be the profile default rsa-sha256")
	}
	if _, err := Algorithm(200).MarshalText(); err == nil {
		t.Error("MarshalText accepted an unknown algorithm")
	}
}
