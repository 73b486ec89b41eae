package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// LoadOptions say where the signing key and certificate are. Give either
// PKCS12File (with Passphrase), or CertFile and KeyFile.
//
// Supported formats:
//   - CertFile: PEM (one or more CERTIFICATE blocks; the one matching the
//     key is used) or a single DER certificate (.cer/.crt as issued by
//     many CAs).
//   - KeyFile: unencrypted PEM, PKCS#1 ("RSA PRIVATE KEY"), SEC 1
//     ("EC PRIVATE KEY", optionally after an "EC PARAMETERS" block as
//     `openssl ecparam -genkey` writes it) or PKCS#8 ("PRIVATE KEY",
//     RSA or EC). Encrypted PEM keys are refused: store a protected key
//     as PKCS#12 instead. KeyFile may be the same file as CertFile.
//   - PKCS12File: .p12/.pfx with an RSA or EC key and its certificate,
//     modern (AES/PBES2) or legacy (3DES/RC2) encryption.
//
// The key must fit Algorithm: RSA for rsa-*, EC P-256 for ecdsa-sha256,
// EC P-384 for ecdsa-sha384; the error says which setting to change.
type LoadOptions struct {
	CertFile   string
	KeyFile    string
	PKCS12File string
	Passphrase string
	Algorithm  Algorithm
}

// LoadSigner reads the key and certificate described by o and returns a
// Signer. Errors name the file and the problem; they never contain the
// passphrase.
func LoadSigner(o LoadOptions) (*Signer, error) {
	switch {
	case o.PKCS12File != "" && (o.CertFile != "" || o.KeyFile != ""):
		return nil, errors.New("signing: give either a PKCS#12 file or a certificate file and key file, not both")
	case o.PKCS12File != "":
		key, cert, err := loadPKCS12(o.PKCS12File, o.Passphrase)
		if err != nil {
			return nil, err
		}
		s, err := NewSigner(key, cert, o.Algorithm)
		if err != nil {
			return nil, fmt.Errorf("%w (PKCS#12 file %s)", err, o.PKCS12File)
		}
		return s, nil
	case o.CertFile == "" && o.KeyFile == "":
		return nil, errors.New("signing: no signing key configured: give a PKCS#12 file, or a certificate file and a key file")
	case o.CertFile == "":
		return nil, fmt.Errorf("signing: key file %s is configured but no certificate file", o.KeyFile)
	case o.KeyFile == "":
		return nil, fmt.Errorf("signing: certificate file %s is configured but no key file", o.CertFile)
	}
	if o.Passphrase != "" {
		return nil, errors.New("signing: a passphrase is only used with a PKCS#12 file; PEM keys must be unencrypted")
	}
	key, err := loadPEMKey(o.KeyFile)
	if err != nil {
		return nil, err
	}
	certs, _, err := readCertificates(o.CertFile)
	if err != nil {
		return nil, err
	}
	for _, c := range certs {
		if CheckKeyPair(key, c) == nil {
			s, err := NewSigner(key, c, o.Algorithm)
			if err != nil {
				return nil, fmt.Errorf("%w (files %s, %s)", err, o.CertFile, o.KeyFile)
			}
			return s, nil
		}
	}
	subjects := make([]string, len(certs))
	for i, c := range certs {
		subjects[i] = fmt.Sprintf("%q", c.Subject.String())
	}
	return nil, fmt.Errorf("signing: the private key in %s matches no certificate in %s (found %v): check that the files belong together",
		o.KeyFile, o.CertFile, subjects)
}

func loadPKCS12(path, passphrase string) (crypto.Signer, *x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("signing: cannot read PKCS#12 file: %w", err)
	}
	key, cert, _, err := pkcs12.DecodeChain(data, passphrase)
	if errors.Is(err, pkcs12.ErrIncorrectPassword) {
		return nil, nil, fmt.Errorf("signing: PKCS#12 file %s: wrong passphrase (check the configured passphrase; it is not shown here)", path)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("signing: PKCS#12 file %s cannot be read (is it a .p12/.pfx file?): %w", path, err)
	}
	signer, err := supportedKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("signing: PKCS#12 file %s %w", path, err)
	}
	return signer, cert, nil
}

// supportedKey accepts the private key types a Signer can use: RSA, and
// ECDSA (the curve is checked against the algorithm by NewSigner).
func supportedKey(key any) (crypto.Signer, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("holds a %T key; only RSA and EC (ECDSA) keys are supported", key)
}

func loadPEMKey(path string) (crypto.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing: cannot read key file: %w", err)
	}
	var key crypto.Signer
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		var k crypto.Signer
		switch block.Type {
		case "CERTIFICATE":
			continue // a combined cert+key file
		case "EC PARAMETERS":
			continue // the curve name `openssl ecparam -genkey` writes before the key
		case "ENCRYPTED PRIVATE KEY":
			return nil, fmt.Errorf("signing: key file %s is an encrypted PKCS#8 key; encrypted PEM keys are not supported: use a PKCS#12 file with a passphrase, or decrypt with `openssl pkey -in KEY -out KEY.unencrypted`", path)
		case "RSA PRIVATE KEY":
			if _, encrypted := block.Headers["DEK-Info"]; encrypted {
				return nil, fmt.Errorf("signing: key file %s is a legacy encrypted PEM key; encrypted PEM keys are not supported: use a PKCS#12 file with a passphrase", path)
			}
			if k, err = x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
				return nil, fmt.Errorf("signing: key file %s: RSA PRIVATE KEY block cannot be parsed: %w", path, err)
			}
		case "PRIVATE KEY":
			parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("signing: key file %s: PRIVATE KEY block cannot be parsed: %w", path, err)
			}
			if k, err = supportedKey(parsed); err != nil {
				return nil, fmt.Errorf("signing: key file %s %w", path, err)
			}
		case "EC PRIVATE KEY":
			if _, encrypted := block.Headers["DEK-Info"]; encrypted {
				return nil, fmt.Errorf("signing: key file %s is a legacy encrypted PEM key; encrypted PEM keys are not supported: use a PKCS#12 file with a passphrase", path)
			}
			if k, err = x509.ParseECPrivateKey(block.Bytes); err != nil {
				return nil, fmt.Errorf("signing: key file %s: EC PRIVATE KEY block cannot be parsed: %w", path, err)
			}
		default:
			return nil, fmt.Errorf("signing: key file %s contains an unexpected %q PEM block", path, block.Type)
		}
		if key != nil {
			return nil, fmt.Errorf("signing: key file %s contains more than one private key; keep exactly one", path)
		}
		key = k
	}
	if key == nil {
		return nil, fmt.Errorf("signing: key file %s contains no PEM private key (expected a \"PRIVATE KEY\", \"RSA PRIVATE KEY\" or \"EC PRIVATE KEY\" block)", path)
	}
	return key, nil
}

// LoadCertificates reads trust-store files: PEM bundles (any number of
// CERTIFICATE blocks) or single DER certificates. Every file must yield at
// least one certificate, and private keys are refused (a trust store never
// needs them).
func LoadCertificates(paths ...string) ([]*x509.Certificate, error) {
	if len(paths) == 0 {
		return nil, errors.New("signing: no certificate files given")
	}
	var all []*x509.Certificate
	for _, p := range paths {
		certs, hasKey, err := readCertificates(p)
		if err != nil {
			return nil, err
		}
		if hasKey {
			return nil, fmt.Errorf("signing: certificate file %s also contains a private key; a trust store holds only certificates: remove the key from this file", p)
		}
		all = append(all, certs...)
	}
	return all, nil
}

// readCertificates returns the certificates in a PEM or DER file and
// whether the file also holds a private key.
func readCertificates(path string) (certs []*x509.Certificate, hasKey bool, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false, fmt.Errorf("signing: cannot read certificate file: %w", err)
	}
	sawPEM := false
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		sawPEM = true
		switch block.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, false, fmt.Errorf("signing: certificate file %s: certificate #%d cannot be parsed: %w", path, len(certs)+1, err)
			}
			certs = append(certs, c)
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
			// Fine in a signer's combined cert+key file; LoadCertificates
			// refuses it.
			hasKey = true
		case "EC PARAMETERS":
			// Comes with an EC key in a combined file; harmless alone.
		default:
			return nil, false, fmt.Errorf("signing: certificate file %s contains an unexpected %q PEM block", path, block.Type)
		}
	}
	if len(certs) > 0 {
		return certs, hasKey, nil
	}
	if !sawPEM {
		if c, err := x509.ParseCertificate(data); err == nil {
			return []*x509.Certificate{c}, false, nil
		}
		return nil, false, fmt.Errorf("signing: certificate file %s is neither PEM (no \"-----BEGIN CERTIFICATE-----\") nor a DER certificate", path)
	}
	return nil, false, fmt.Errorf("signing: certificate file %s contains no CERTIFICATE block", path)
}

// EncodeCertPEM returns cert as a PEM CERTIFICATE block.
func EncodeCertPEM(cert *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
}

// EncodeKeyPEM returns key (RSA or ECDSA) as an unencrypted PKCS#8
// "PRIVATE KEY" block. Write it with file mode 0600.
func EncodeKeyPEM(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("signing: encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}
