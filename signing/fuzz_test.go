package signing

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzVerify: Verify never panics, and never accepts a document without
// returning the signed element. Seeds are signed with RSA and with ECDSA.
func FuzzVerify(f *testing.F) {
	fx := mustFixtures(f)
	s := mustSigner(f, fx.sender, RSASHA256)
	ec := mustSigner(f, fx.ecSender, ECDSASHA256)
	v := allSenders(f, fx)
	for _, tc := range testDocs {
		signed := mustSign(f, s, tc.doc)
		f.Add(signed)
		f.Add(mustSign(f, ec, tc.doc))
		f.Add([]byte(tc.doc))
		f.Add(bytes.Replace(signed, []byte("</GoiTin>"), []byte("<GoiTin/></GoiTin>"), 1))
	}
	f.Add([]byte(`<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>`))
	f.Add([]byte(`<a><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/></Signature></a>`))
	f.Add([]byte(`<?xml version="1.0"?><a xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:Signature/></a>`))
	f.Add([]byte(strings.Repeat("<a>", 2000)))
	f.Add([]byte(`<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/><SignatureValue/><KeyInfo/></Signature>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		el, err := v.Verify(doc)
		if err == nil && el == nil {
			t.Fatal("Verify returned neither an element nor an error")
		}
	})
}

// FuzzSignVerify: whatever Sign accepts, Verify accepts after signing, and
// the output keeps the input bytes.
func FuzzSignVerify(f *testing.F) {
	fx := mustFixtures(f)
	s := mustSigner(f, fx.sender, RSASHA256)
	v := mustVerifier(f, VerifierOptions{}, fx.sender.cert)
	for _, tc := range testDocs {
		f.Add([]byte(tc.doc))
	}
	f.Add([]byte(`<a b="&#xD;" c='"'>x&#xD;&#x9;y<b/>  <c></c></a>`))
	f.Add([]byte("<a xmlns=\"urn:x\"><b xmlns=\"\">t</b><p:c xmlns:p=\"urn:p\"/></a>"))
	f.Add([]byte(`<a>]]&gt;</a>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		signed, err := s.Sign(doc)
		if err != nil {
			return
		}
		if _, err := v.Verify(signed); err != nil {
			t.Fatalf("Sign accepted %q but Verify rejected the result: %v", doc, err)
		}
		i := bytes.Index(signed, []byte("<Signature "))
		j := bytes.Index(signed, []byte("</Signature>")) + len("</Signature>")
		if rest := append(append([]byte{}, signed[:i]...), signed[j:]...); !bytes.Equal(rest, doc) && !bytes.HasSuffix(bytes.TrimSpace(doc), []byte("/>")) {
			t.Fatalf("input bytes not preserved: %q became %q", doc, rest)
		}
	})
}

// FuzzECDSASignatureEncoding: the r||s ⇄ DER conversion never panics; a
// DER signature it accepts comes back byte for byte from its r||s form,
// and an r||s it accepts comes back from its DER form.
func FuzzECDSASignatureEncoding(f *testing.F) {
	f.Add([]byte{0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x01, 0x00}, uint8(4))
	f.Add([]byte{0x30, 0x08, 0x02, 0x02, 0x00, 0x80, 0x02, 0x02, 0x00, 0xff}, uint8(2))
	f.Add(bytes.Repeat([]byte{0xff}, 64), uint8(32))
	f.Add(append(make([]byte, 32), bytes.Repeat([]byte{1}, 32)...), uint8(32))
	f.Add([]byte{0x30, 0x80, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00, 0x00}, uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, size uint8) {
		n := int(size%80) + 1
		if raw, err := ecdsaDERToRaw(data, n); err == nil {
			if len(raw) != 2*n {
				t.Fatalf("ecdsaDERToRaw(% x, %d) gave %d bytes", data, n, len(raw))
			}
			back, err := ecdsaRawToDER(raw, n)
			if err != nil || !bytes.Equal(back, data) {
				t.Fatalf("DER % x → r||s % x → % x, %v", data, raw, back, err)
			}
		}
		if der, err := ecdsaRawToDER(data, n); err == nil {
			back, err := ecdsaDERToRaw(der, n)
			if err != nil || !bytes.Equal(back, data) {
				t.Fatalf("r||s % x → DER % x → % x, %v", data, der, back, err)
			}
		}
	})
}

// FuzzCheckDeclaration: the declaration parser never panics.
func FuzzCheckDeclaration(f *testing.F) {
	for _, s := range []string{`version="1.0"`, `version="1.0" encoding="UTF-8" standalone="yes"`, `version='1.0`, `=`, ` version = "1.0" `} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, inst string) {
		_ = checkDeclaration(inst)
	})
}
