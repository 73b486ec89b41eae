package signing

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// noIDAttribute is given to goxmldsig as the ID attribute name. No XML
// attribute can be called this, so goxmldsig never turns the reference
// into URI="#id": the profile always signs the whole document (URI="").
const noIDAttribute = "\x00no-id"

// Signer signs packets with one key and its certificate. It is immutable
// after construction and safe for concurrent use.
type Signer struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
	alg  Algorithm
}

// NewSigner returns a Signer for key and cert using alg. It fails when the
// key does not belong to the certificate.
func NewSigner(key *rsa.PrivateKey, cert *x509.Certificate, alg Algorithm) (*Signer, error) {
	if key == nil {
		return nil, errors.New("signing: no private key given")
	}
	if cert == nil {
		return nil, errors.New("signing: no certificate given")
	}
	if err := alg.validate(); err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	if err := CheckKeyPair(key, cert); err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	if err := key.Validate(); err != nil {
		return nil, fmt.Errorf("signing: private key for %q is invalid: %w", cert.Subject.String(), err)
	}
	// Precompute once here so concurrent Sign calls only read the key.
	key.Precompute()
	return &Signer{key: key, cert: cert, alg: alg}, nil
}

// CheckKeyPair reports whether key is the private half of cert's public key.
func CheckKeyPair(key *rsa.PrivateKey, cert *x509.Certificate) error {
	if key == nil || cert == nil {
		return errors.New("key or certificate missing")
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("certificate %q has a %s key; only RSA keys are supported", cert.Subject.String(), cert.PublicKeyAlgorithm)
	}
	if !pub.Equal(&key.PublicKey) {
		return fmt.Errorf("private key does not match certificate %q (serial %s): check that the key and certificate files belong together",
			cert.Subject.String(), cert.SerialNumber.Text(16))
	}
	return nil
}

// Certificate returns the signing certificate (shared; do not modify).
func (s *Signer) Certificate() *x509.Certificate { return s.cert }

// CertificatePEM returns the signing certificate in PEM form, e.g. to give
// to the receiver for pinning.
func (s *Signer) CertificatePEM() []byte { return EncodeCertPEM(s.cert) }

// Algorithm returns the signature algorithm the Signer uses.
func (s *Signer) Algorithm() Algorithm { return s.alg }

// Sign returns doc with an enveloped XML-DSig Signature appended as the
// last child of the root element. doc must be a complete, unsigned UTF-8
// document in the profile's XML subset (see package doc). The input bytes
// are kept verbatim: the Signature is spliced in before the root's end
// tag, nothing is re-serialised. RSA PKCS#1 v1.5 is deterministic, so
// signing the same document twice gives identical bytes.
func (s *Signer) Sign(doc []byte) ([]byte, error) {
	_, root, err := parseDocument(doc, forSign)
	if err != nil {
		return nil, fmt.Errorf("signing: cannot sign document: %w", err)
	}
	if sig := findSignatures(root); len(sig) > 0 {
		return nil, errors.New("signing: cannot sign document: it already contains a Signature element")
	}

	// A fresh context per call keeps Signer free of shared mutable state.
	ctx, err := dsig.NewSigningContext(s.key, [][]byte{s.cert.Raw})
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	ctx.Hash = s.alg.Hash()
	ctx.Prefix = "" // <Signature xmlns="http://www.w3.org/2000/09/xmldsig#">
	ctx.IdAttribute = noIDAttribute
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")

	// Exclusive canonicalisation rewrites its input in place: give it a copy.
	sig, err := ctx.ConstructSignature(root.Copy(), true)
	if err != nil {
		return nil, fmt.Errorf("signing: cannot build signature: %w", err)
	}
	if err := checkOwnSignature(sig, s.alg); err != nil {
		return nil, fmt.Errorf("signing: internal error, produced signature does not follow the profile: %w", err)
	}

	var sigBytes bytes.Buffer
	sig.WriteTo(&sigBytes, &etree.WriteSettings{CanonicalAttrVal: true, CanonicalText: true})
	return spliceBeforeRootEnd(doc, root, sigBytes.Bytes())
}

// checkOwnSignature guards against a goxmldsig change silently altering
// what we emit.
func checkOwnSignature(sig *etree.Element, alg Algorithm) error {
	ref := sig.FindElement("./SignedInfo/Reference")
	if ref == nil {
		return errors.New("no Reference")
	}
	if uri := ref.SelectAttr("URI"); uri == nil || uri.Value != "" {
		return errors.New(`Reference URI is not ""`)
	}
	if m := sig.FindElement("./SignedInfo/SignatureMethod"); m == nil || m.SelectAttrValue("Algorithm", "") != alg.SignatureMethod() {
		return errors.New("unexpected SignatureMethod")
	}
	if m := sig.FindElement("./SignedInfo/Reference/DigestMethod"); m == nil || m.SelectAttrValue("Algorithm", "") != alg.DigestMethod() {
		return errors.New("unexpected DigestMethod")
	}
	return nil
}

// spliceBeforeRootEnd inserts sig just before the root element's end tag
// (turning a self-closing root into a start/end pair).
func spliceBeforeRootEnd(doc []byte, root *etree.Element, sig []byte) ([]byte, error) {
	body := bytes.TrimRight(doc, " \t\r\n")
	tail := doc[len(body):]
	endTag := "</" + root.FullTag()

	// parseDocument allowed nothing but whitespace after the root, and "<"
	// cannot appear unescaped in text or attributes, so the last "</" is
	// the root's end tag; if there is none the root is self-closing.
	i := bytes.LastIndex(body, []byte("</"))
	if i < 0 {
		if !bytes.HasSuffix(body, []byte("/>")) {
			return nil, errors.New("signing: cannot find the end of the root element")
		}
		out := make([]byte, 0, len(doc)+len(sig)+len(endTag)+2)
		out = append(out, body[:len(body)-2]...)
		out = append(out, '>')
		out = append(out, sig...)
		out = append(out, endTag...)
		out = append(out, '>')
		return append(out, tail...), nil
	}
	if !bytes.HasPrefix(body[i:], []byte(endTag)) || string(bytes.TrimSpace(body[i+len(endTag):])) != ">" {
		return nil, fmt.Errorf("signing: cannot find the end tag of root element <%s>", root.FullTag())
	}
	out := make([]byte, 0, len(doc)+len(sig))
	out = append(out, doc[:i]...)
	out = append(out, sig...)
	return append(out, doc[i:]...), nil
}
