package signing

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzVerify: Verify never panics, and never accepts a document without
// returning the signed element.
func FuzzVerify(f *testing.F) {
	fx := mustFixtures(f)
	s := mustSigner(f, fx.sender, RSASHA256)
	v := mustVerifier(f, VerifierOptions{Allowed: allAlgorithms}, fx.sender.cert)
	for _, tc := range testDocs {
		signed := mustSign(f, s, tc.doc)
		f.Add(signed)
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

// FuzzCheckDeclaration: the declaration parser never panics.
func FuzzCheckDeclaration(f *testing.F) {
	for _, s := range []string{`version="1.0"`, `version="1.0" encoding="UTF-8" standalone="yes"`, `version='1.0`, `=`, ` version = "1.0" `} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, inst string) {
		_ = checkDeclaration(inst)
	})
}
