package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
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
	// ECDSASHA256 is ECDSA on the NIST P-256 curve with SHA-256 and
	// SHA-256 digests. Signing costs a fraction of RSA-2048, but only
	// receivers that accept ECDSA can check it: opt-in, never a default,
	// and verifiers refuse it unless explicitly allowed.
	ECDSASHA256
	// ECDSASHA384 is ECDSA on P-384 with SHA-384 and SHA-384 digests;
	// opt-in like ECDSASHA256.
	ECDSASHA384
)

// XML-DSig algorithm identifiers used by the profile.
const (
	digestSHA1   = "http://www.w3.org/2000/09/xmldsig#sha1"
	digestSHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
	digestSHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
	digestSHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"

	transformEnveloped = string(dsig.EnvelopedSignatureAltorithmId)
	canonExclusive     = string(dsig.CanonicalXML10ExclusiveAlgorithmId)
)

// algorithmNames lists the configuration names in the order of the
// constants; it is used for error messages.
const algorithmNames = `"rsa-sha256", "rsa-sha512", "rsa-sha1", "ecdsa-sha256", "ecdsa-sha384"`

// AlgorithmNames are the configuration names of every Algorithm, the
// default first; configuration validation lists them.
func AlgorithmNames() []string {
	return []string{"rsa-sha256", "rsa-sha512", "rsa-sha1", "ecdsa-sha256", "ecdsa-sha384"}
}

// ParseAlgorithm turns a configuration value ("rsa-sha256", "rsa-sha512",
// "rsa-sha1", "ecdsa-sha256", "ecdsa-sha384"; case-insensitive) into an
// Algorithm.
func ParseAlgorithm(name string) (Algorithm, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "rsa-sha256":
		return RSASHA256, nil
	case "rsa-sha512":
		return RSASHA512, nil
	case "rsa-sha1":
		return RSASHA1, nil
	case "ecdsa-sha256":
		return ECDSASHA256, nil
	case "ecdsa-sha384":
		return ECDSASHA384, nil
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
	case ECDSASHA256:
		return "ecdsa-sha256"
	case ECDSASHA384:
		return "ecdsa-sha384"
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
	case ECDSASHA256:
		return crypto.SHA256
	case ECDSASHA384:
		return crypto.SHA384
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
	case ECDSASHA256:
		return dsig.ECDSASHA256SignatureMethod
	case ECDSASHA384:
		return dsig.ECDSASHA384SignatureMethod
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
	case ECDSASHA256:
		return digestSHA256
	case ECDSASHA384:
		return digestSHA384
	}
	return ""
}

func (a Algorithm) validate() error {
	if a.SignatureMethod() == "" {
		return fmt.Errorf("unknown signature algorithm %s: use one of %s", a, algorithmNames)
	}
	return nil
}

// IsECDSA reports whether a is one of the opt-in ECDSA algorithms.
func (a Algorithm) IsECDSA() bool { return a == ECDSASHA256 || a == ECDSASHA384 }

// curve is the only curve a's key may use (nil for the RSA algorithms).
// Each ECDSA method is tied to the curve of matching strength, so a
// certificate's key alone decides which method can be meant.
func (a Algorithm) curve() elliptic.Curve {
	switch a {
	case ECDSASHA256:
		return elliptic.P256()
	case ECDSASHA384:
		return elliptic.P384()
	}
	return nil
}

// KeyKind names the key an Algorithm needs, e.g. "RSA" or "EC P-256",
// in the words KeyDescription uses.
func (a Algorithm) KeyKind() string {
	if c := a.curve(); c != nil {
		return "EC " + c.Params().Name
	}
	return "RSA"
}

// fitsKey reports whether pub is a key a can sign or verify with: RSA for
// the rsa-* methods, ECDSA on the algorithm's own curve for ecdsa-*.
func (a Algorithm) fitsKey(pub crypto.PublicKey) bool {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return !a.IsECDSA()
	case *ecdsa.PublicKey:
		return a.IsECDSA() && k.Curve == a.curve()
	}
	return false
}

// AlgorithmForKey returns the default Algorithm for a public key: rsa-sha256
// for RSA, ecdsa-sha256 for EC P-256, ecdsa-sha384 for EC P-384. It fails
// for any other key.
func AlgorithmForKey(pub crypto.PublicKey) (Algorithm, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return RSASHA256, nil
	case *ecdsa.PublicKey:
		for _, a := range []Algorithm{ECDSASHA256, ECDSASHA384} {
			if k.Curve == a.curve() {
				return a, nil
			}
		}
	}
	return 0, fmt.Errorf("%s is not supported: use an RSA key (2048 bits or more) or an EC key on P-256 or P-384", KeyDescription(pub))
}

// KeyDescription names a public key's type and size for messages and
// the doctor: "RSA-2048", "EC P-256"; other types by their Go type.
func KeyDescription(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA-%d", k.N.BitLen())
	case *ecdsa.PublicKey:
		if k.Curve == nil {
			return "EC (no curve)"
		}
		return "EC " + k.Curve.Params().Name
	case nil:
		return "no key"
	}
	return fmt.Sprintf("%T", pub)
}
