package signing

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// packetLike are documents shaped as the encoders write packets: the fast
// path must take every one of them.
var packetLike = []string{
	benchDossier(3),
	`<?xml version="1.0" encoding="UTF-8"?><GoiTin><ThongTinGoiTin><MaGoiTin>f63f927e-94a0-511c-ba3c-755f82d55080</MaGoiTin>` +
		`<LoaiGoiTin>TienDoXuLy</LoaiGoiTin></ThongTinGoiTin><NoiDung><TienDoXuLy><MaHoSo>000.00.12.H29-260528-0148</MaHoSo>` +
		`<NguoiXuLy>Phạm Ngọc Trâm</NguoiXuLy><NoiDungXuLy>Tiếp nhận &amp; chuyển &lt;phòng&gt; "A" 'B'` + "\t\n" + `😀</NoiDungXuLy>` +
		`<Rong></Rong></TienDoXuLy></NoiDung></GoiTin>`,
	`<GoiTin><a.b-c_1>x</a.b-c_1></GoiTin>` + "\n",
}

// generalCanonical is what the general path digests: goxmldsig's
// exclusive canonical form of the parsed root element.
func generalCanonical(t testing.TB, doc []byte) ([]byte, error) {
	t.Helper()
	_, root, err := parseDocument(doc, forSign)
	if err != nil {
		return nil, err
	}
	return dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(root.Copy())
}

// The fast path writes exactly what the general path writes: RSA
// PKCS#1 v1.5 is deterministic, so the whole signed document must match
// byte for byte, and the fast path's canonical form must be goxmldsig's.
func TestSignFastPathMatchesGeneralPath(t *testing.T) {
	fx := mustFixtures(t)
	for _, alg := range []Algorithm{RSASHA256, RSASHA512} {
		s := mustSigner(t, fx.sender, alg)
		for i, doc := range packetLike {
			start, end, _, ok := canonicalRoot([]byte(doc))
			if !ok {
				t.Fatalf("doc %d: the fast path refused a packet-shaped document", i)
			}
			want, err := generalCanonical(t, []byte(doc))
			if err != nil || !bytes.Equal(want, []byte(doc[start:end])) {
				t.Fatalf("doc %d: canonical form differs from the root's bytes (%v):\n%s\n%s", i, err, want, doc[start:end])
			}
			fast, err := s.Sign([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			general, err := s.signGeneral([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(fast, general) {
				t.Errorf("%s doc %d: fast path\n%s\ngeneral path\n%s", alg, i, fast, general)
			}
		}
	}
}

// ECDSA signatures differ on every call; the fast path's must verify, here
// and with xmlsec1 (TestXmlsec1AcceptsOurSignatures signs packet-shaped documents too).
func TestSignFastPathECDSAVerifies(t *testing.T) {
	fx := mustFixtures(t)
	for _, alg := range []Algorithm{ECDSASHA256, ECDSASHA384} {
		kp := fx.senderFor(alg)
		s := mustSigner(t, kp, alg)
		v := mustVerifier(t, VerifierOptions{Allowed: []Algorithm{alg}}, kp.cert)
		for i, doc := range packetLike {
			signed := mustSign(t, s, doc)
			if _, err := v.Verify(signed); err != nil {
				t.Errorf("%s doc %d: %v", alg, i, err)
			}
			if withoutSignatureValue(signed) != withoutSignatureValue(must(s.signGeneral([]byte(doc)))) {
				t.Errorf("%s doc %d: fast and general paths differ beyond SignatureValue", alg, i)
			}
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// What canonicalisation would change, or the profile refuses, is left to
// the general path.
func TestCanonicalRootRefuses(t *testing.T) {
	for _, doc := range []string{
		``,
		`x<a></a>`,
		` <a></a>`,
		`<?xml version="1.0"?><a></a>`,
		`<?xml version="1.0" encoding="UTF-8"?>` + "\n<a></a>",
		`<a/>`,
		`<a><b/></a>`,
		`<a b="1"></a>`,
		`<a xmlns="urn:x"></a>`,
		`<p:a xmlns:p="urn:p"></p:a>`,
		`<a >x</a>`,
		`<a>x</a >`,
		`<a>x</b>`,
		`<a><b></a></b>`,
		`<a>x`,
		`<a></a><b></b>`,
		`<a></a>x`,
		`<a>1 > 0</a>`,
		`<a>&#x41;</a>`,
		`<a>&quot;</a>`,
		`<a>&amp</a>`,
		"<a>\r\n</a>",
		"<a>\x01</a>",
		"<a>\xff</a>",
		"<a>\xef\xbf\xbe</a>", // U+FFFE
		`<a><!-- c --></a>`,
		`<a><![CDATA[x]]></a>`,
		`<a><?pi x?></a>`,
		`<!DOCTYPE a><a></a>`,
		`<Tên>x</Tên>`,
		`<1a></1a>`,
		`<a><Signature></Signature></a>`,
		`<Signature></Signature>`,
	} {
		if start, end, _, ok := canonicalRoot([]byte(doc)); ok {
			t.Errorf("canonicalRoot(%q) took %q as canonical", doc, doc[start:end])
		}
	}
}

// FuzzCanonicalRoot: whatever the fast path takes as canonical, the general
// path parses, accepts and canonicalises to the very same bytes; and the
// fast and general paths sign it identically.
func FuzzCanonicalRoot(f *testing.F) {
	fx := mustFixtures(f)
	s := mustSigner(f, fx.sender, RSASHA256)
	for _, doc := range packetLike {
		f.Add([]byte(doc))
	}
	for _, tc := range testDocs {
		f.Add([]byte(tc.doc))
	}
	f.Add([]byte(`<a>&amp;&lt;&gt;</a>`))
	f.Add([]byte("<a>\t<b>\n</b></a>\n"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		start, end, nameLen, ok := canonicalRoot(doc)
		if !ok {
			return
		}
		want, err := generalCanonical(t, doc)
		if err != nil {
			t.Fatalf("fast path took %q, the general path refuses it: %v", doc, err)
		}
		if !bytes.Equal(want, doc[start:end]) {
			t.Fatalf("fast path took %q as canonical; canonical form is %q", doc[start:end], want)
		}
		d := etree.NewDocument()
		if err := d.ReadFromBytes(doc); err != nil || d.Root() == nil || len(d.Root().Tag) != nameLen {
			t.Fatalf("root name length %d for %q (%v)", nameLen, doc, err)
		}
		fast, err1 := s.Sign(doc)
		general, err2 := s.signGeneral(doc)
		if err1 != nil || err2 != nil || !bytes.Equal(fast, general) {
			t.Fatalf("signing %q: fast %v, general %v, equal %v", doc, err1, err2, bytes.Equal(fast, general))
		}
	})
}

// benchDossier is a dossier packet with n documents, as the encoder writes it.
func benchDossier(n int) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><GoiTin><ThongTinGoiTin><MaGoiTin>e744d4a0-e8cb-5587-ac76-1af50ade7329</MaGoiTin>` +
		`<LoaiGoiTin>HoSo</LoaiGoiTin><PhienBan>1.0</PhienBan><MaDonViGui>000.00.12.H29</MaDonViGui></ThongTinGoiTin>` +
		`<NoiDung><HoSo><MaHoSo>000.00.12.H29-260528-0166</MaHoSo><TenTTHC>Đăng ký khai sinh</TenTTHC><TaiLieuNop>`)
	for i := range n {
		fmt.Fprintf(&b, `<TaiLieu><TepDinhKemId>%d</TepDinhKemId><TenTepDinhKem>Tờ khai (bản %d).pdf</TenTepDinhKem></TaiLieu>`, 331+i, i+1)
	}
	b.WriteString(`</TaiLieuNop></HoSo></NoiDung></GoiTin>`)
	return b.String()
}
