package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// ExpiryWarningDays: Inspect warns when a certificate has fewer days left,
// time enough to obtain and pin a new one.
const ExpiryWarningDays = 60

// GenerateSelfSigned creates an RSA-2048 key and a self-signed certificate
// for commonName, valid from an hour before now (tolerating clock skew
// between sender and receiver) until now+validFor. For the demo, the LGSP
// sandbox and tests only; production uses a certificate from the CA the
// city designates.
func GenerateSelfSigned(commonName string, validFor time.Duration, now time.Time) (*rsa.PrivateKey, *x509.Certificate, error) {
	key, cert, err := GenerateSelfSignedFor(RSASHA256, commonName, validFor, now)
	if err != nil {
		return nil, nil, err
	}
	return key.(*rsa.PrivateKey), cert, nil
}

// GenerateSelfSignedFor is GenerateSelfSigned with the key alg needs:
// RSA-2048 for the rsa-* algorithms, EC P-256 for ecdsa-sha256, EC P-384
// for ecdsa-sha384.
func GenerateSelfSignedFor(alg Algorithm, commonName string, validFor time.Duration, now time.Time) (crypto.Signer, *x509.Certificate, error) {
	if err := alg.validate(); err != nil {
		return nil, nil, fmt.Errorf("signing: %w", err)
	}
	if strings.TrimSpace(commonName) == "" {
		return nil, nil, errors.New("signing: self-signed certificate needs a common name")
	}
	if validFor <= 0 {
		return nil, nil, fmt.Errorf("signing: self-signed certificate validity must be positive, got %s", validFor)
	}
	var key crypto.Signer
	var err error
	if c := alg.curve(); c != nil {
		key, err = ecdsa.GenerateKey(c, rand.Reader)
	} else {
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("signing: generate %s key: %w", alg.KeyKind(), err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("signing: generate serial number: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{"lgsp-connector self-signed (not for production)"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(validFor),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("signing: create certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("signing: parse generated certificate: %w", err)
	}
	return key, cert, nil
}

// Fingerprint returns the certificate's SHA-256 fingerprint as colon-
// separated upper-case hex, as `openssl x509 -fingerprint -sha256` prints
// it, so staff can compare it with what the partner announced.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	var b strings.Builder
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}

// CertReport describes a certificate for the doctor command.
type CertReport struct {
	Subject     string
	Issuer      string
	Serial      string // hex
	Fingerprint string // SHA-256, see Fingerprint
	NotBefore   time.Time
	NotAfter    time.Time
	// DaysLeft is the number of whole days until NotAfter (negative once
	// expired).
	DaysLeft int
	// KeyType is the certificate's key as KeyDescription names it, e.g.
	// "RSA-2048" or "EC P-256"; KeyBits is its size (the curve's for EC).
	KeyType   string
	KeyBits   int
	Algorithm string // the Signer's algorithm; empty for a trusted certificate
	// KeyMatches reports whether the private key belongs to the
	// certificate (always false for InspectCertificate, which has no key).
	KeyMatches bool
	// Warnings need attention soon; Problems mean signing or verifying
	// fails now.
	Warnings []string
	Problems []string
}

// OK reports whether the report has no problems (warnings allowed).
func (r CertReport) OK() bool { return len(r.Problems) == 0 }

// Inspect reports on the Signer's certificate and key at time now: it
// fails when the certificate is expired or not yet valid, or the key does
// not match, and warns when fewer than ExpiryWarningDays days are left.
func Inspect(s *Signer, now time.Time) CertReport {
	r := InspectCertificate(s.cert, now)
	r.Algorithm = s.alg.String()
	if err := CheckKeyPair(s.key, s.cert); err != nil {
		r.Problems = append(r.Problems, err.Error())
	} else {
		r.KeyMatches = true
	}
	if err := checkAlgorithmFitsCertificate(s.alg, s.cert); err != nil {
		r.Problems = append(r.Problems, err.Error())
	}
	if s.alg == RSASHA1 {
		r.Warnings = append(r.Warnings, "signature algorithm rsa-sha1 is weak; use rsa-sha256 unless the receiver still demands SHA-1")
	}
	return r
}

// InspectCertificate reports on a certificate alone, e.g. a pinned
// partner certificate in the trust store.
func InspectCertificate(cert *x509.Certificate, now time.Time) CertReport {
	r := CertReport{
		Subject:     cert.Subject.String(),
		Issuer:      cert.Issuer.String(),
		Serial:      cert.SerialNumber.Text(16),
		Fingerprint: Fingerprint(cert),
		NotBefore:   cert.NotBefore,
		NotAfter:    cert.NotAfter,
		DaysLeft:    daysLeft(cert.NotAfter, now),
		KeyType:     KeyDescription(cert.PublicKey),
	}
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		r.KeyBits = pub.N.BitLen()
		if r.KeyBits < 2048 {
			r.Warnings = append(r.Warnings, fmt.Sprintf("RSA key has only %d bits; 2048 or more is required by current guidance", r.KeyBits))
		}
	case *ecdsa.PublicKey:
		if pub.Curve != nil {
			r.KeyBits = pub.Curve.Params().BitSize
		}
	}
	if _, err := AlgorithmForKey(cert.PublicKey); err != nil {
		r.Problems = append(r.Problems, "certificate key: "+err.Error())
	}
	switch {
	case now.Before(cert.NotBefore):
		r.Problems = append(r.Problems, fmt.Sprintf("certificate is not valid yet: valid from %s (check the system clock)", cert.NotBefore.Format(time.RFC3339)))
	case now.After(cert.NotAfter):
		r.Problems = append(r.Problems, fmt.Sprintf("certificate expired on %s: obtain a new one and send it to the receiver for pinning", cert.NotAfter.Format(time.RFC3339)))
	case r.DaysLeft < ExpiryWarningDays:
		r.Warnings = append(r.Warnings, fmt.Sprintf("certificate expires in %d days (%s): obtain a new one and have the receiver pin it before then", r.DaysLeft, cert.NotAfter.Format(time.RFC3339)))
	}
	return r
}

// daysLeft counts whole days from now to t, rounding toward negative
// infinity so that an expired certificate never shows 0.
func daysLeft(t, now time.Time) int {
	d := t.Sub(now)
	days := int(d / (24 * time.Hour))
	if d < 0 && d%(24*time.Hour) != 0 {
		days--
	}
	return days
}
