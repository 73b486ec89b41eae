package signing

import (
	"crypto"
	_ "crypto/sha1" // registers SHA-1 for receivers that still demand rsa-sha1
	_ "crypto/sha256"
	_ "crypto/sha512"
	"fmt"
	"strings"

	dsig "github.com/russellhaering/goxmldsig"
)

// Algorithm is an XML-DSig signature method together with its digest
// method. The zero value is RSASHA256, the profile's default.
type Algorithm uint8

const (
	// RSASHA256 is RSA PKCS#1 v1.5 with SHA-256 and SHA-256 reference
	// digests: the hcm-lgsp default.
	RSASHA256 Algorithm = iota
	// RSASHA512 is RSA PKCS#1 v1.5 with SHA-512 and SHA-512 digests.
	RSASHA512
	// RSASHA1 is RSA PKCS#1 v1.5 with SHA-1 and SHA-1 digests, only for
	// legacy receivers; verifiers refuse it unless explicitly allowed.
	RSASHA1
)

// XML-DSig algorithm identifiers used by the profile.
const (
	digestSHA1   = "http://www.w3.org/2000/09/xmldsig#sha1"
	digestSHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
	digestSHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"

	transformEnveloped = string(dsig.EnvelopedSignatureAltorithmId)
	canonExclusive     = string(dsig.CanonicalXML10ExclusiveAlgorithmId)
)

// algorithmNames lists the configuration names in the order of the
// constants; it is used for error messages.
const algorithmNames = `"rsa-sha256", "rsa-sha512", "rsa-sha1"`

// ParseAlgorithm turns a configuration value ("rsa-sha256", "rsa-sha512",
// "rsa-sha1"; case-insensitive) into an Algorithm.
func ParseAlgorithm(name string) (Algorithm, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "rsa-sha256":
		return RSASHA256, nil
	case "rsa-sha512":
		return RSASHA512, nil
	case "rsa-sha1":
		return RSASHA1, nil
	}
	return 0, fmt.Errorf("unknown signature algorithm %q: use one of %s", name, algorithmNames)
}

// String returns the configuration name, e.g. "rsa-sha256".
func (a Algorithm) String() string {
	switch a {
	case RSASHA256:
		return "rsa-sha256"
	case RSASHA512:
		return "rsa-sha512"
	case RSASHA1:
		return "rsa-sha1"
	}
	return fmt.Sprintf("Algorithm(%d)", uint8(a))
}

// MarshalText implements encoding.TextMarshaler (configuration name).
func (a Algorithm) MarshalText() ([]byte, error) {
	if err := a.validate(); err != nil {
		return nil, err
	}
	return []byte(a.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler via ParseAlgorithm.
func (a *Algorithm) UnmarshalText(text []byte) error {
	parsed, err := ParseAlgorithm(string(text))
	if err != nil {
		return err
	}
	*a = parsed
	return nil
}

// Hash is the hash function used for both the signature and the digest.
func (a Algorithm) Hash() crypto.Hash {
	switch a {
	case RSASHA256:
		return crypto.SHA256
	case RSASHA512:
		return crypto.SHA512
	case RSASHA1:
		return crypto.SHA1
	}
	return 0
}

// SignatureMethod is the SignedInfo/SignatureMethod Algorithm URI.
func (a Algorithm) SignatureMethod() string {
	switch a {
	case RSASHA256:
		return dsig.RSASHA256SignatureMethod
	case RSASHA512:
		return dsig.RSASHA512SignatureMethod
	case RSASHA1:
		return dsig.RSASHA1SignatureMethod
	}
	return ""
}

// DigestMethod is the Reference/DigestMethod Algorithm URI.
func (a Algorithm) DigestMethod() string {
	switch a {
	case RSASHA256:
		return digestSHA256
	case RSASHA512:
		return digestSHA512
	case RSASHA1:
		return digestSHA1
	}
	return ""
}

func (a Algorithm) validate() error {
	if a.SignatureMethod() == "" {
		return fmt.Errorf("unknown signature algorithm %s: use one of %s", a, algorithmNames)
	}
	return nil
}
