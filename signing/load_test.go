package signing

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// TestPKCS12RoundTrip: a .p12 made with the Modern encoder loads with its
// passphrase and signs packets that verify (ours and xmlsec1); a wrong
// passphrase gives a clear error that does not reveal either passphrase.
func TestPKCS12RoundTrip(t *testing.T) {
	f := mustFixtures(t)
	const passphrase = "Mật-khẩu-đúng-2026"
	const wrong = "sai-mat-khau-xyz"
	p12, err := pkcs12.Modern.Encode(f.sender.key, f.sender.cert, nil, passphrase)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := writeFile(t, dir, "ky-so.p12", p12)

	s, err := LoadSigner(LoadOptions{PKCS12File: path, Passphrase: passphrase, Algorithm: RSASHA512})
	if err != nil {
		t.Fatalf("LoadSigner: %v", err)
	}
	if !s.Certificate().Equal(f.sender.cert) || s.Algorithm() != RSASHA512 {
		t.Fatalf("loaded certificate %q, algorithm %v", s.Certificate().Subject, s.Algorithm())
	}
	signed := mustSign(t, s, testDocs[0].doc)
	if err := mustVerifier(t, VerifierOptions{}, f.sender.cert).VerifyBytes(signed); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if out, err := xmlsec1Verify(t, signed, s.CertificatePEM()); err != nil {
		t.Fatalf("xmlsec1: %v\n%s", err, out)
	}

	_, err = LoadSigner(LoadOptions{PKCS12File: path, Passphrase: wrong})
	if err == nil {
		t.Fatal("wrong passphrase accepted")
	}
	msg := err.Error()
	if !strings.Contains(msg, "wrong passphrase") || !strings.Contains(msg, path) {
		t.Errorf("error %q should say wrong passphrase and name the file", msg)
	}
	if strings.Contains(msg, wrong) || strings.Contains(msg, passphrase) {
		t.Errorf("error %q reveals a passphrase", msg)
	}
}

// TestPKCS12WithECKey: a .p12 holding an EC P-256 key (modern and legacy
// encryption) loads for ecdsa-sha256 and signs packets both verifiers
// accept; with the default rsa-sha256 it is refused, naming the file and
// the setting to change.
func TestPKCS12WithECKey(t *testing.T) {
	f := mustFixtures(t)
	const passphrase = "Mật-khẩu-EC-2026"
	dir := t.TempDir()
	v := mustVerifier(t, VerifierOptions{Allowed: []Algorithm{ECDSASHA256}}, f.ecSender.cert)
	for name, enc := range map[string]*pkcs12.Encoder{"modern": pkcs12.Modern, "legacy": pkcs12.LegacyDES} {
		t.Run(name, func(t *testing.T) {
			p12, err := enc.Encode(f.ecSender.key, f.ecSender.cert, nil, passphrase)
			if err != nil {
				t.Fatal(err)
			}
			path := writeFile(t, dir, name+".p12", p12)
			s, err := LoadSigner(LoadOptions{PKCS12File: path, Passphrase: passphrase, Algorithm: ECDSASHA256})
			if err != nil {
				t.Fatalf("LoadSigner: %v", err)
			}
			signed := mustSign(t, s, testDocs[0].doc)
			if err := v.VerifyBytes(signed); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if out, err := xmlsec1Verify(t, signed, s.CertificatePEM()); err != nil {
				t.Fatalf("xmlsec1: %v\n%s", err, out)
			}
			_, err = LoadSigner(LoadOptions{PKCS12File: path, Passphrase: passphrase})
			if err == nil {
				t.Fatal("EC key accepted for rsa-sha256")
			}
			for _, want := range []string{path, "rsa-sha256 needs an RSA key", "set signing.algorithm: ecdsa-sha256"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if strings.Contains(err.Error(), passphrase) {
				t.Errorf("error %q reveals the passphrase", err)
			}
		})
	}
}

func TestLoadSignerFromPEM(t *testing.T) {
	f := mustFixtures(t)
	dir := t.TempDir()
	certPEM := EncodeCertPEM(f.sender.cert)
	pkcs8, err := EncodeKeyPEM(f.sender.key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(f.sender.rsaKey())})
	ecDER, err := x509.MarshalECPrivateKey(f.ecSender.key.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	ecPKCS8, err := EncodeKeyPEM(f.ecSender.key)
	if err != nil {
		t.Fatal(err)
	}
	ecCertPEM := EncodeCertPEM(f.ecSender.cert)
	ecSEC1 := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER})
	// `openssl ecparam -name prime256v1 -genkey` writes the curve's OID
	// (1.2.840.10045.3.1.7) in a block of its own before the key.
	ecParams := pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}})
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edDER, err := x509.MarshalPKCS8PrivateKey(edKey)
	if err != nil {
		t.Fatal(err)
	}
	file := func(name string, parts ...[]byte) string {
		var all []byte
		for _, p := range parts {
			all = append(all, p...)
		}
		return writeFile(t, dir, name, all)
	}
	cert := file("cert.pem", certPEM)
	chain := file("chain.pem", EncodeCertPEM(f.other.cert), certPEM) // matching cert second
	der := file("cert.cer", f.sender.cert.Raw)
	keyPKCS8 := file("key8.pem", pkcs8)
	keyPKCS1 := file("key1.pem", pkcs1)
	combined := file("combined.pem", certPEM, pkcs8)
	otherKey, _ := EncodeKeyPEM(f.other.key)
	wrongKey := file("other-key.pem", otherKey)
	encrypted := file("enc8.pem", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1, 2, 3}}))
	legacyEncrypted := file("enc1.pem", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY",
		Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00112233445566778899AABBCCDDEEFF"}, Bytes: []byte{1, 2, 3}}))
	ecCert := file("ec-cert.pem", ecCertPEM)
	ec := file("ec.pem", ecSEC1)
	ecWithParams := file("ec-params.pem", ecParams, ecSEC1)
	ec8 := file("ec8.pem", ecPKCS8)
	ecCombined := file("ec-combined.pem", ecCertPEM, ecParams, ecSEC1)
	ecLegacyEncrypted := file("ec-enc.pem", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY",
		Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00112233445566778899AABBCCDDEEFF"}, Bytes: []byte{1, 2, 3}}))
	ed := file("ed25519.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edDER}))
	twoKeys := file("two.pem", pkcs8, pkcs1)
	noKey := file("nokey.pem", certPEM)
	junk := file("junk.txt", []byte("not a certificate"))
	missing := filepath.Join(dir, "missing.pem")

	good := []struct {
		name string
		o    LoadOptions
		want *x509.Certificate // nil: f.sender.cert
	}{
		{"PKCS#8 key", LoadOptions{CertFile: cert, KeyFile: keyPKCS8}, nil},
		{"PKCS#1 key", LoadOptions{CertFile: cert, KeyFile: keyPKCS1}, nil},
		{"one combined file", LoadOptions{CertFile: combined, KeyFile: combined}, nil},
		{"matching certificate picked from a bundle", LoadOptions{CertFile: chain, KeyFile: keyPKCS8}, nil},
		{"DER certificate", LoadOptions{CertFile: der, KeyFile: keyPKCS1}, nil},
		{"EC PRIVATE KEY with ecdsa-sha256", LoadOptions{CertFile: ecCert, KeyFile: ec, Algorithm: ECDSASHA256}, f.ecSender.cert},
		{"EC PARAMETERS before the EC key", LoadOptions{CertFile: ecCert, KeyFile: ecWithParams, Algorithm: ECDSASHA256}, f.ecSender.cert},
		{"PKCS#8 EC key", LoadOptions{CertFile: ecCert, KeyFile: ec8, Algorithm: ECDSASHA256}, f.ecSender.cert},
		{"combined EC file", LoadOptions{CertFile: ecCombined, KeyFile: ecCombined, Algorithm: ECDSASHA256}, f.ecSender.cert},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			s, err := LoadSigner(tc.o)
			if err != nil {
				t.Fatalf("LoadSigner: %v", err)
			}
			want := tc.want
			if want == nil {
				want = f.sender.cert
			}
			if !s.Certificate().Equal(want) || s.Algorithm() != tc.o.Algorithm {
				t.Fatalf("loaded certificate %q, algorithm %s", s.Certificate().Subject, s.Algorithm())
			}
		})
	}

	bad := []struct {
		name string
		o    LoadOptions
		want []string // all must appear in the error
	}{
		{"nothing configured", LoadOptions{}, []string{"no signing key configured"}},
		{"both kinds", LoadOptions{PKCS12File: "a.p12", CertFile: cert}, []string{"not both"}},
		{"key without certificate", LoadOptions{KeyFile: keyPKCS8}, []string{keyPKCS8, "no certificate file"}},
		{"certificate without key", LoadOptions{CertFile: cert}, []string{cert, "no key file"}},
		{"passphrase with PEM", LoadOptions{CertFile: cert, KeyFile: keyPKCS8, Passphrase: "s3cret"}, []string{"only used with a PKCS#12"}},
		{"key of another certificate", LoadOptions{CertFile: cert, KeyFile: wrongKey}, []string{wrongKey, cert, "matches no certificate"}},
		{"encrypted PKCS#8", LoadOptions{CertFile: cert, KeyFile: encrypted}, []string{encrypted, "encrypted", "PKCS#12"}},
		{"legacy encrypted PEM", LoadOptions{CertFile: cert, KeyFile: legacyEncrypted}, []string{legacyEncrypted, "legacy encrypted"}},
		{"EC key for an RSA certificate", LoadOptions{CertFile: cert, KeyFile: ec}, []string{ec, cert, "matches no certificate"}},
		{"EC key with the default rsa-sha256", LoadOptions{CertFile: ecCert, KeyFile: ec}, []string{ecCert, ec,
			"rsa-sha256 needs an RSA key", "EC P-256", "set signing.algorithm: ecdsa-sha256", "cần khóa RSA"}},
		{"RSA key with ecdsa-sha256", LoadOptions{CertFile: cert, KeyFile: keyPKCS8, Algorithm: ECDSASHA256}, []string{cert, keyPKCS8,
			"ecdsa-sha256 needs an EC P-256 key", "RSA-2048", "set signing.algorithm: rsa-sha256"}},
		{"EC P-256 key with ecdsa-sha384", LoadOptions{CertFile: ecCert, KeyFile: ec8, Algorithm: ECDSASHA384}, []string{ecCert, "ecdsa-sha384 needs an EC P-384 key"}},
		{"legacy encrypted EC PEM", LoadOptions{CertFile: ecCert, KeyFile: ecLegacyEncrypted, Algorithm: ECDSASHA256}, []string{ecLegacyEncrypted, "legacy encrypted"}},
		{"Ed25519 key", LoadOptions{CertFile: cert, KeyFile: ed}, []string{ed, "ed25519.PrivateKey", "only RSA and EC"}},
		{"two keys", LoadOptions{CertFile: cert, KeyFile: twoKeys}, []string{twoKeys, "more than one private key"}},
		{"no key in key file", LoadOptions{CertFile: cert, KeyFile: noKey}, []string{noKey, "no PEM private key"}},
		{"junk certificate", LoadOptions{CertFile: junk, KeyFile: keyPKCS8}, []string{junk, "neither PEM"}},
		{"missing key file", LoadOptions{CertFile: cert, KeyFile: missing}, []string{missing}},
		{"missing PKCS#12 file", LoadOptions{PKCS12File: missing, Passphrase: "p4ss-Phrase!"}, []string{missing}},
		{"PKCS#12 that is not one", LoadOptions{PKCS12File: cert, Passphrase: "p4ss-Phrase!"}, []string{cert, "PKCS#12"}},
		{"unknown algorithm", LoadOptions{CertFile: cert, KeyFile: keyPKCS8, Algorithm: Algorithm(50)}, []string{"unknown signature algorithm"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadSigner(tc.o)
			if err == nil {
				t.Fatal("LoadSigner succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if tc.o.Passphrase != "" && strings.Contains(err.Error(), tc.o.Passphrase) {
				t.Errorf("error %q reveals the passphrase", err)
			}
		})
	}
}

func TestLoadCertificates(t *testing.T) {
	f := mustFixtures(t)
	dir := t.TempDir()
	bundle := writeFile(t, dir, "bundle.pem", append(EncodeCertPEM(f.sender.cert), EncodeCertPEM(f.other.cert)...))
	der := writeFile(t, dir, "one.cer", f.expired.cert.Raw)
	keyPEM, _ := EncodeKeyPEM(f.sender.key)
	withKey := writeFile(t, dir, "with-key.pem", append(EncodeCertPEM(f.sender.cert), keyPEM...))
	empty := writeFile(t, dir, "empty.pem", nil)
	brokenPEM := writeFile(t, dir, "broken.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("nope")}))

	certs, err := LoadCertificates(bundle, der)
	if err != nil {
		t.Fatalf("LoadCertificates: %v", err)
	}
	want := []*x509.Certificate{f.sender.cert, f.other.cert, f.expired.cert}
	if len(certs) != len(want) {
		t.Fatalf("got %d certificates, want %d", len(certs), len(want))
	}
	for i := range want {
		if !certs[i].Equal(want[i]) {
			t.Errorf("certificate %d is %q, want %q", i, certs[i].Subject, want[i].Subject)
		}
	}

	missing := filepath.Join(dir, "nope.pem")
	for _, tc := range []struct {
		name  string
		paths []string
		want  []string // all must appear in the error
	}{
		{"no paths", nil, []string{"no certificate files"}},
		{"private key in trust store", []string{bundle, withKey}, []string{withKey, "also contains a private key"}},
		{"empty file", []string{empty}, []string{empty, "neither PEM"}},
		{"broken PEM certificate", []string{brokenPEM}, []string{brokenPEM, "#1 cannot be parsed"}},
		{"missing file", []string{missing}, []string{missing}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadCertificates(tc.paths...)
			if err == nil {
				t.Fatal("LoadCertificates succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	if _, err := LoadCertificates(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file error %v does not wrap fs.ErrNotExist", err)
	}
}
