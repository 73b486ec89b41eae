package hardening_test

import (
	"bytes"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/hcmc-lgsp/lgsp-connector/signing"
)

// FuzzLoadSigner feeds arbitrary certificate, key and PKCS#12 files (the
// files an installer points signing.* at) to signing.LoadSigner: it must
// not panic, its errors must not show the passphrase, and a signer it
// returns must produce packets that verify against its own certificate.
// The parsers behind it (PEM, DER, PKCS#1/#8, PKCS#12) had no fuzz target.
func FuzzLoadSigner(f *testing.F) {
	key, cert, err := signing.GenerateSelfSigned("fuzz unit", 24*time.Hour, time.Now())
	if err != nil {
		f.Fatal(err)
	}
	keyPEM, err := signing.EncodeKeyPEM(key)
	if err != nil {
		f.Fatal(err)
	}
	certPEM := signing.EncodeCertPEM(cert)
	p12, err := pkcs12.Modern.Encode(key, cert, nil, "correct horse battery")
	if err != nil {
		f.Fatal(err)
	}
	legacyP12, err := pkcs12.LegacyRC2.Encode(key, cert, nil, "correct horse battery")
	if err != nil {
		f.Fatal(err)
	}
	both := append(append([]byte{}, certPEM...), keyPEM...)
	f.Add(certPEM, keyPEM, []byte(nil), "", false)
	f.Add(cert.Raw, keyPEM, []byte(nil), "", false)                 // DER certificate
	f.Add(both, both, []byte(nil), "", false)                       // one file for both
	f.Add(certPEM[:len(certPEM)/2], keyPEM, []byte(nil), "", false) // truncated certificate
	f.Add(certPEM, keyPEM[:len(keyPEM)-40], []byte(nil), "", false) // truncated key
	f.Add(certPEM, bytes.ReplaceAll(keyPEM, []byte("PRIVATE KEY"), []byte("ENCRYPTED PRIVATE KEY")), []byte(nil), "", false)
	f.Add(keyPEM, certPEM, []byte(nil), "", false)                                   // swapped
	f.Add([]byte(nil), []byte(nil), p12, "correct horse battery", true)              // PKCS#12
	f.Add([]byte(nil), []byte(nil), legacyP12, "correct horse battery", true)        // legacy PKCS#12
	f.Add([]byte(nil), []byte(nil), p12, "wrong horse battery", true)                // wrong passphrase
	f.Add([]byte(nil), []byte(nil), p12[:len(p12)/3], "correct horse battery", true) // truncated
	f.Add([]byte(nil), []byte(nil), certPEM, "correct horse battery", true)          // PEM given as PKCS#12
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n\n-----END CERTIFICATE-----\n"), []byte("-----BEGIN EC PRIVATE KEY-----\nAA==\n-----END EC PRIVATE KEY-----\n"), []byte(nil), "", false)

	doc := []byte(`<?xml version="1.0" encoding="UTF-8"?><GoiTin><ThongTinGoiTin><MaGoiTin>fuzz</MaGoiTin></ThongTinGoiTin><NoiDung/></GoiTin>`)
	f.Fuzz(func(t *testing.T, certFile, keyFile, p12File []byte, passphrase string, usePKCS12 bool) {
		dir := t.TempDir()
		var o signing.LoadOptions
		if usePKCS12 {
			o.PKCS12File, o.Passphrase = write(t, dir, "signing.p12", p12File), passphrase
		} else {
			o.CertFile, o.KeyFile = write(t, dir, "cert.pem", certFile), write(t, dir, "key.pem", keyFile)
		}
		s, err := signing.LoadSigner(o)
		if err != nil {
			// The passphrase must not show. (Short ones could be part of
			// the message or the path by chance; so could file bytes.)
			if len(passphrase) >= 12 && strings.Contains(err.Error(), passphrase) &&
				!strings.Contains(dir, passphrase) && !bytes.Contains(p12File, []byte(passphrase)) {
				t.Fatalf("error shows the passphrase %q: %v", passphrase, err)
			}
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		signed, err := s.Sign(doc)
		if err != nil {
			return // a key the signer cannot use (e.g. too small) may refuse to sign
		}
		v, err := signing.NewVerifier([]*x509.Certificate{s.Certificate()})
		if err != nil {
			t.Fatalf("loaded a certificate a verifier refuses: %v", err)
		}
		if err := v.VerifyBytes(signed); err != nil {
			t.Fatalf("a loaded signer's packet does not verify against its own certificate: %v", err)
		}
	})
}

func write(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
