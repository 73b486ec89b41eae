package signing

import (
	"bytes"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestVerifyAcceptsAndReturnsSignedContent(t *testing.T) {
	f := mustFixtures(t)
	signed := mustSign(t, mustSigner(t, f.sender, RSASHA256), testDocs[0].doc)
	el, err := mustVerifier(t, VerifierOptions{}, f.sender.cert).Verify(signed)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got := el.FindElement("//ChuHoSo").Text(); got != "Nguyễn Thị Ánh Tuyết" {
		t.Errorf("ChuHoSo = %q from the verified element", got)
	}
	if el.FindElement("//Signature") != nil {
		t.Error("verified element still contains the Signature")
	}
}

// keyFamily is one key type's sender, unpinned other and expired key
// pairs with the algorithm they sign with: the rejection tests run for
// RSA and for ECDSA alike.
type keyFamily struct {
	alg                    Algorithm
	sender, other, expired keyPair
}

func keyFamilies(f *fixtureSet) []keyFamily {
	return []keyFamily{
		{RSASHA256, f.sender, f.other, f.expired},
		{ECDSASHA256, f.ecSender, f.ecOther, f.ecExpired},
	}
}

// TestVerifyRejects lists every rejection the profile requires, each with
// the error class a receiver uses to classify it, for RSA and for ECDSA.
func TestVerifyRejects(t *testing.T) {
	f := mustFixtures(t)
	for _, fam := range keyFamilies(f) {
		t.Run(fam.alg.String(), func(t *testing.T) { verifyRejects(t, f, fam) })
	}
}

type rejectCase struct {
	name     string
	doc      []byte
	verifier *Verifier // nil: the family's default verifier
	want     error
}

func verifyRejects(t *testing.T, f *fixtureSet, fam keyFamily) {
	alg := fam.alg
	sender := mustSigner(t, fam.sender, alg)
	signed := string(mustSign(t, sender, testDocs[0].doc))
	sigStart := strings.Index(signed, "<Signature ")
	sigEnd := strings.Index(signed, "</Signature>") + len("</Signature>")
	signature := signed[sigStart:sigEnd]
	replace := func(old, new string) []byte {
		if !strings.Contains(signed, old) {
			t.Fatalf("test setup: %q not in signed document", old)
		}
		return []byte(strings.Replace(signed, old, new, 1))
	}
	signedBy := func(kp keyPair, alg Algorithm) []byte {
		return mustSign(t, mustSigner(t, kp, alg), testDocs[0].doc)
	}
	// The family's algorithm and SHA-512 RSA are allowed; ECDSA must be
	// listed to be accepted at all.
	allow := func(extra ...Algorithm) VerifierOptions {
		return VerifierOptions{Allowed: append([]Algorithm{alg, RSASHA512}, extra...)}
	}
	defaultVerifier := mustVerifier(t, allow(), fam.sender.cert)

	tests := []rejectCase{
		{"unsigned", []byte(testDocs[0].doc), nil, ErrNoSignature},
		{"not XML", []byte("hello"), nil, ErrNotWellFormed},
		{"empty", nil, nil, ErrNotWellFormed},
		{"DOCTYPE with entity", []byte(strings.Replace(signed, "<GoiTin>", `<!DOCTYPE GoiTin [<!ENTITY x "y">]><GoiTin>`, 1)), nil, ErrForbiddenXML},
		{"comment in content", replace("<NoiDung>", "<NoiDung><!-- not signed -->"), nil, ErrForbiddenXML},
		{"processing instruction", replace("<NoiDung>", "<NoiDung><?pi x?>"), nil, ErrForbiddenXML},
		{"CDATA", replace("<PhienBan>1.0", "<PhienBan><![CDATA[1.0]]>"), nil, ErrForbiddenXML},
		{"non-UTF-8 declaration", replace(`encoding="UTF-8"`, `encoding="ISO-8859-1"`), nil, ErrForbiddenXML},
		{"duplicate attribute", replace(`<BuocXuLy STT="1">`, `<BuocXuLy STT="1" STT="9">`), nil, ErrForbiddenXML},
		{"second root", []byte(signed + "<GoiTin/>"), nil, ErrNotWellFormed},
		{"second Signature at root", replace("</GoiTin>", signature+"</GoiTin>"), nil, ErrMultipleSignatures},
		{"second Signature nested in content", replace("<NoiDung>", "<NoiDung>"+signature), nil, ErrMultipleSignatures},
		{"Signature in a foreign namespace", replace(`<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">`, `<Signature xmlns="urn:forged">`), nil, ErrProfileViolation},
		{"reference by ID", replace(`<Reference URI="">`, `<Reference URI="#x">`), nil, ErrProfileViolation},
		{"reference without URI", replace(`<Reference URI="">`, `<Reference>`), nil, ErrProfileViolation},
		{"reference with a second, prefixed URI", replace(`<Reference URI="">`, `<Reference xmlns:p="urn:p" URI="" p:URI="#x">`), nil, ErrProfileViolation},
		{"transform with a second, prefixed Algorithm", replace(`<Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>`,
			`<Transform xmlns:p="urn:p" Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature" p:Algorithm="x"/>`), nil, ErrProfileViolation},
		{"second reference", replace(`</Reference>`, `</Reference><Reference URI=""/>`), nil, ErrProfileViolation},
		{"inclusive canonicalisation", replace(`<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>`,
			`<CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>`), nil, ErrProfileViolation},
		{"no enveloped transform", replace(`<Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>`, ""), nil, ErrProfileViolation},
		{"InclusiveNamespaces parameter", replace(`<Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>`,
			`<Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"><InclusiveNamespaces xmlns="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="a"/></Transform>`), nil, ErrProfileViolation},
		{"Object element", replace("</KeyInfo>", "</KeyInfo><Object><GoiTin/></Object>"), nil, ErrProfileViolation},
		{"no KeyInfo", []byte(signed[:strings.Index(signed, "<KeyInfo>")] + signed[strings.Index(signed, "</KeyInfo>")+len("</KeyInfo>"):]), nil, ErrProfileViolation},
		{"text inside SignedInfo", replace("<SignedInfo>", "<SignedInfo>unsigned words"), nil, ErrProfileViolation},
		{"Signature not a child of the root", replace(signature+"</GoiTin>", "<Boc>"+signature+"</Boc></GoiTin>"), nil, ErrProfileViolation},
		{"non-canonical base64 padding bits", flipPaddingBit(t, signed, "SignatureValue"), nil, ErrProfileViolation},
		{"HMAC signature method", replace(alg.SignatureMethod(), "http://www.w3.org/2000/09/xmldsig#hmac-sha1"), nil, ErrAlgorithmNotAllowed},
		{"SHA-1 digest not allowed by default", replace(alg.DigestMethod(), RSASHA1.DigestMethod()), nil, ErrAlgorithmNotAllowed},
		{"certificate not pinned", signedBy(fam.other, alg), nil, ErrUntrustedCertificate},
		{"pinned certificate expired", signedBy(fam.expired, alg), mustVerifier(t, allow(), fam.expired.cert), ErrCertificateNotValid},
		{"pinned certificate not yet valid", []byte(signed),
			mustVerifier(t, VerifierOptions{Allowed: allow().Allowed, Now: func() time.Time { return fam.sender.cert.NotBefore.Add(-time.Second) }}, fam.sender.cert), ErrCertificateNotValid},
		{"pinned certificate one second after expiry", []byte(signed),
			mustVerifier(t, VerifierOptions{Allowed: allow().Allowed, Now: func() time.Time { return fam.sender.cert.NotAfter.Add(time.Second) }}, fam.sender.cert), ErrCertificateNotValid},
		{"content changed", replace("Tuyết", "Tuyệt"), nil, ErrSignatureInvalid},
		{"certificate swapped for another pinned one", replace(b64(fam.sender.cert.Raw), b64(fam.other.cert.Raw)),
			mustVerifier(t, allow(), fam.sender.cert, fam.other.cert), ErrSignatureInvalid},
		{"too large", []byte(signed), mustVerifier(t, VerifierOptions{MaxDocumentBytes: 100, Allowed: allow().Allowed}, fam.sender.cert), ErrDocumentTooLarge},
	}
	// What differs between the key types: which algorithms a verifier
	// must be told about, and how a SignatureValue is shaped.
	if alg.IsECDSA() {
		raw := signatureValue(t, signed)
		half := len(raw) / 2
		zeroR := append(make([]byte, half), raw[half:]...)
		der, err := ecdsaRawToDER(raw, half)
		if err != nil {
			t.Fatal(err)
		}
		tests = append(tests,
			rejectCase{"ECDSA not allowed by default", []byte(signed), mustVerifier(t, VerifierOptions{}, f.sender.cert), ErrAlgorithmNotAllowed},
			rejectCase{"ECDSA signature, only RSA allowed", []byte(signed), mustVerifier(t, VerifierOptions{Allowed: []Algorithm{RSASHA256}}, f.sender.cert), ErrAlgorithmNotAllowed},
			rejectCase{"SignatureMethod claims ecdsa-sha256 for a P-384 key",
				bytes.Replace(signedBy(f.ec384, ECDSASHA384), []byte(ECDSASHA384.SignatureMethod()), []byte(ECDSASHA256.SignatureMethod()), 1),
				mustVerifier(t, VerifierOptions{Allowed: []Algorithm{ECDSASHA256, ECDSASHA384}}, fam.sender.cert, f.ec384.cert), ErrAlgorithmNotAllowed},
			rejectCase{"SignatureMethod claims ecdsa-sha384 for a P-256 key", replace(ECDSASHA256.SignatureMethod(), ECDSASHA384.SignatureMethod()),
				mustVerifier(t, VerifierOptions{Allowed: []Algorithm{ECDSASHA256, ECDSASHA384}}, fam.sender.cert, f.ec384.cert), ErrAlgorithmNotAllowed},
			rejectCase{"SignatureMethod claims rsa-sha256 for an EC key", replace(ECDSASHA256.SignatureMethod(), RSASHA256.SignatureMethod()),
				mustVerifier(t, VerifierOptions{Allowed: []Algorithm{ECDSASHA256, RSASHA256}}, fam.sender.cert), ErrAlgorithmNotAllowed},
			rejectCase{"SignatureValue in ASN.1 DER", replace(b64(raw), b64(der)), nil, ErrProfileViolation},
			rejectCase{"SignatureValue one byte short", replace(b64(raw), b64(raw[:len(raw)-1])), nil, ErrProfileViolation},
			rejectCase{"SignatureValue with r = 0", replace(b64(raw), b64(zeroR)), nil, ErrProfileViolation},
			rejectCase{"s changed", replace(b64(raw), b64(append(raw[:len(raw)-1:len(raw)-1], raw[len(raw)-1]^1))), nil, ErrSignatureInvalid},
		)
	} else {
		rsaAsECDSA := replace(RSASHA256.SignatureMethod(), ECDSASHA256.SignatureMethod())
		tests = append(tests,
			rejectCase{"SHA-1 signature not allowed by default", signedBy(fam.sender, RSASHA1), mustVerifier(t, VerifierOptions{}, fam.sender.cert), ErrAlgorithmNotAllowed},
			rejectCase{"SHA-512 refused when only SHA-256 allowed", signedBy(fam.sender, RSASHA512),
				mustVerifier(t, VerifierOptions{Allowed: []Algorithm{RSASHA256}}, fam.sender.cert), ErrAlgorithmNotAllowed},
			rejectCase{"SignatureMethod claims ecdsa-sha256 for an RSA key", rsaAsECDSA,
				mustVerifier(t, VerifierOptions{Allowed: []Algorithm{RSASHA256, ECDSASHA256}}, fam.sender.cert, f.ecSender.cert), ErrAlgorithmNotAllowed},
		)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.verifier
			if v == nil {
				v = defaultVerifier
			}
			el, err := v.Verify(tc.doc)
			if err == nil {
				t.Fatalf("Verify accepted the document (root <%s>)", el.Tag)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify error = %v\nwant one wrapping %v", err, tc.want)
			}
			if el != nil {
				t.Error("Verify returned an element together with an error")
			}
		})
	}
}

// TestVerifyNamesKeyAlgorithmMismatch: a SignatureMethod that does not fit
// the pinned certificate's key is refused before any signature check, and
// the message says what the key is and what the method needs.
func TestVerifyNamesKeyAlgorithmMismatch(t *testing.T) {
	f := mustFixtures(t)
	v := mustVerifier(t, VerifierOptions{Allowed: allAlgorithms}, f.sender.cert, f.ecSender.cert, f.ec384.cert)
	swap := func(kp keyPair, alg, claimed Algorithm) []byte {
		signed := mustSign(t, mustSigner(t, kp, alg), testDocs[0].doc)
		return bytes.Replace(signed, []byte(`SignatureMethod Algorithm="`+alg.SignatureMethod()), []byte(`SignatureMethod Algorithm="`+claimed.SignatureMethod()), 1)
	}
	for _, tc := range []struct {
		name string
		doc  []byte
		want string
	}{
		{"RSA key, ecdsa-sha256", swap(f.sender, RSASHA256, ECDSASHA256), fmt.Sprintf("ecdsa-sha256 needs an EC P-256 key, but the pinned certificate %q has an RSA-2048 key", f.sender.cert.Subject)},
		{"EC P-256 key, rsa-sha256", swap(f.ecSender, ECDSASHA256, RSASHA256), fmt.Sprintf("rsa-sha256 needs an RSA key, but the pinned certificate %q has an EC P-256 key", f.ecSender.cert.Subject)},
		{"EC P-256 key, ecdsa-sha384", swap(f.ecSender, ECDSASHA256, ECDSASHA384), "ecdsa-sha384 needs an EC P-384 key"},
		{"EC P-384 key, ecdsa-sha256", swap(f.ec384, ECDSASHA384, ECDSASHA256), "has an EC P-384 key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(tc.doc)
			if !errors.Is(err, ErrAlgorithmNotAllowed) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Verify error = %v\nwant ErrAlgorithmNotAllowed saying %q", err, tc.want)
			}
		})
	}
}

// TestVerifyRejectsSignatureWrapping: the signed original is kept intact
// (so its digest still matches) but moved, and forged content takes its
// place. Every arrangement is refused, for RSA and ECDSA.
func TestVerifyRejectsSignatureWrapping(t *testing.T) {
	f := mustFixtures(t)
	for _, fam := range keyFamilies(f) {
		t.Run(fam.alg.String(), func(t *testing.T) { verifyRejectsSignatureWrapping(t, fam) })
	}
}

func verifyRejectsSignatureWrapping(t *testing.T, fam keyFamily) {
	signed := string(mustSign(t, mustSigner(t, fam.sender, fam.alg), testDocs[0].doc))
	v := mustVerifier(t, VerifierOptions{Allowed: []Algorithm{fam.alg}}, fam.sender.cert)
	if _, err := v.Verify([]byte(signed)); err != nil {
		t.Fatalf("test setup: the original does not verify: %v", err)
	}

	const decl = `<?xml version="1.0" encoding="UTF-8"?>`
	original := strings.TrimPrefix(signed, decl) // <GoiTin>…<Signature>…</Signature></GoiTin>
	sigStart := strings.Index(original, "<Signature ")
	signature := original[sigStart : len(original)-len("</GoiTin>")]
	content := original[len("<GoiTin>"):sigStart]
	forged := strings.Replace(content, "Nguyễn Thị Ánh Tuyết", "Kẻ Mạo Danh", 1)
	unsignedOriginal := "<GoiTin>" + content + "</GoiTin>"

	attacks := map[string]string{
		"original with its signature wrapped, forged root":  decl + "<GoiTin>" + forged + "<Boc>" + original + "</Boc></GoiTin>",
		"forged root with signature, original wrapped":      decl + "<GoiTin>" + forged + "<Boc>" + unsignedOriginal + "</Boc>" + signature + "</GoiTin>",
		"original wrapped before forged content":            decl + "<GoiTin><Boc>" + unsignedOriginal + "</Boc>" + forged + signature + "</GoiTin>",
		"original hidden in Signature/Object":               decl + "<GoiTin>" + forged + strings.Replace(signature, "</KeyInfo>", "</KeyInfo><Object>"+unsignedOriginal+"</Object>", 1) + "</GoiTin>",
		"forged content with the copied signature":          decl + "<GoiTin>" + forged + signature + "</GoiTin>",
		"original as a second root after forged signed doc": decl + "<GoiTin>" + forged + signature + "</GoiTin>" + original,
	}
	for name, doc := range attacks {
		t.Run(name, func(t *testing.T) {
			el, err := v.Verify([]byte(doc))
			if err == nil {
				t.Fatalf("wrapped document accepted; verified ChuHoSo = %q", el.FindElement("//ChuHoSo").Text())
			}
		})
	}
}

// TestVerifyRejectsEveryTextChange changes each character of the signed
// content's text, one at a time, keeping the XML well-formed: each change
// must break the signature itself.
func TestVerifyRejectsEveryTextChange(t *testing.T) {
	f := mustFixtures(t)
	for _, fam := range keyFamilies(f) {
		t.Run(fam.alg.String(), func(t *testing.T) { verifyRejectsEveryTextChange(t, fam) })
	}
}

func verifyRejectsEveryTextChange(t *testing.T, fam keyFamily) {
	signed := mustSign(t, mustSigner(t, fam.sender, fam.alg), testDocs[0].doc)
	v := mustVerifier(t, VerifierOptions{Allowed: []Algorithm{fam.alg}}, fam.sender.cert)
	sigStart := bytes.Index(signed, []byte("<Signature "))

	changed := 0
	inTag := false
	for i := 0; i < sigStart; {
		c := signed[i]
		switch {
		case c == '<':
			inTag = true
		case c == '>':
			inTag = false
		case inTag:
		case c == '&': // leave entity references whole
			i += bytes.IndexByte(signed[i:], ';') + 1
			continue
		default:
			r, size := utf8.DecodeRune(signed[i:])
			repl := "x"
			if r == 'x' {
				repl = "y"
			}
			doc := append(append(append([]byte{}, signed[:i]...), repl...), signed[i+size:]...)
			if _, err := v.Verify(doc); !errors.Is(err, ErrSignatureInvalid) {
				t.Errorf("text rune %q at byte %d replaced by %q: Verify = %v, want ErrSignatureInvalid", r, i, repl, err)
			}
			changed++
			i += size
			continue
		}
		i++
	}
	if changed < 250 {
		t.Fatalf("only %d text characters changed; the scan is broken", changed)
	}
}

// TestVerifyRejectsEveryByteChange changes every byte of the whole signed
// document (content, markup, signature, certificate). Any rejection counts,
// including a parse error.
func TestVerifyRejectsEveryByteChange(t *testing.T) {
	f := mustFixtures(t)
	for _, fam := range keyFamilies(f) {
		t.Run(fam.alg.String(), func(t *testing.T) { verifyRejectsEveryByteChange(t, fam) })
	}
}

func verifyRejectsEveryByteChange(t *testing.T, fam keyFamily) {
	signed := mustSign(t, mustSigner(t, fam.sender, fam.alg), testDocs[1].doc)
	v := mustVerifier(t, VerifierOptions{Allowed: []Algorithm{fam.alg}}, fam.sender.cert)
	if _, err := v.Verify(signed); err != nil {
		t.Fatalf("test setup: the original does not verify: %v", err)
	}
	doc := make([]byte, len(signed))
	for i := range signed {
		copy(doc, signed)
		// Replace with a letter, or flip the low bit if it already is one,
		// so markup, base64 and multi-byte characters are all hit.
		doc[i] = 'q'
		if signed[i] == 'q' {
			doc[i] = 'p'
		}
		if _, err := v.Verify(doc); err == nil {
			t.Errorf("byte %d (%q in %q) changed to %q and the document still verifies",
				i, signed[i], context(signed, i), doc[i])
		}
	}
}

func context(b []byte, i int) string {
	lo, hi := max(0, i-20), min(len(b), i+20)
	return string(b[lo:hi])
}

func TestVerifyAcceptsRotation(t *testing.T) {
	f := mustFixtures(t)
	v := mustVerifier(t, VerifierOptions{}, f.sender.cert, f.other.cert, f.sender.cert)
	for _, kp := range []keyPair{f.sender, f.other} {
		signed := mustSign(t, mustSigner(t, kp, RSASHA256), testDocs[0].doc)
		if err := v.VerifyBytes(signed); err != nil {
			t.Errorf("packet signed by %q rejected while both certificates are pinned: %v", kp.cert.Subject.CommonName, err)
		}
	}
}

// TestVerifyAcceptsRotationFromRSAToECDSA: a sender moving from its RSA
// key to an EC key is pinned with both certificates and both algorithms
// for the changeover; packets of either kind verify.
func TestVerifyAcceptsRotationFromRSAToECDSA(t *testing.T) {
	f := mustFixtures(t)
	v := mustVerifier(t, VerifierOptions{Allowed: []Algorithm{RSASHA256, ECDSASHA256}}, f.sender.cert, f.ecSender.cert)
	for _, alg := range []Algorithm{RSASHA256, ECDSASHA256} {
		signed := mustSign(t, mustSigner(t, f.senderFor(alg), alg), testDocs[0].doc)
		if err := v.VerifyBytes(signed); err != nil {
			t.Errorf("%s packet rejected while both certificates are pinned: %v", alg, err)
		}
	}
}

func TestNewVerifierErrors(t *testing.T) {
	f := mustFixtures(t)
	tests := []struct {
		name    string
		trusted []*x509.Certificate
		opts    VerifierOptions
		want    string
	}{
		{"no certificates", nil, VerifierOptions{}, "no trusted certificates"},
		{"nil certificate", []*x509.Certificate{f.sender.cert, nil}, VerifierOptions{}, "#2 is nil"},
		{"empty allow-list", []*x509.Certificate{f.sender.cert}, VerifierOptions{Allowed: []Algorithm{}}, "allowed algorithm list is empty"},
		{"unknown algorithm", []*x509.Certificate{f.sender.cert}, VerifierOptions{Allowed: []Algorithm{Algorithm(42)}}, "unknown signature algorithm"},
		{"EC certificate, ECDSA not allowed", []*x509.Certificate{f.sender.cert, f.ecSender.cert}, VerifierOptions{},
			"has an EC P-256 key, but no allowed algorithm (rsa-sha256, rsa-sha512) uses that key: allow ecdsa-sha256"},
		{"EC P-384 certificate, only ecdsa-sha256 allowed", []*x509.Certificate{f.ec384.cert}, VerifierOptions{Allowed: []Algorithm{ECDSASHA256}},
			"allow ecdsa-sha384"},
		{"RSA certificate, only ECDSA allowed", []*x509.Certificate{f.sender.cert}, VerifierOptions{Allowed: []Algorithm{ECDSASHA256}},
			"has an RSA-2048 key, but no allowed algorithm (ecdsa-sha256) uses that key: allow rsa-sha256"},
		{"EC P-521 certificate", []*x509.Certificate{ecKeyPair(t, elliptic.P521()).cert}, VerifierOptions{Allowed: allAlgorithms},
			"EC P-521 is not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewVerifierWithOptions(tc.trusted, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// flipPaddingBit changes the last base64 character of the named element
// so that only unused padding bits differ: lenient decoders see the same
// bytes.
func flipPaddingBit(t *testing.T, doc, element string) []byte {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	end := strings.Index(doc, "</"+element+">")
	value := strings.TrimRight(doc[:end], "=")
	last := len(value) - 1
	idx := strings.IndexByte(alphabet, value[last])
	if idx < 0 {
		t.Fatalf("test setup: %s does not end in base64", element)
	}
	return []byte(doc[:last] + string(alphabet[idx^1]) + doc[last+1:])
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
