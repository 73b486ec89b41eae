package signing

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"

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
	key crypto.Signer // an RSA or ECDSA key, see NewSigner
	// dsigKey is what goxmldsig signs with: key itself for RSA, key
	// wrapped in xmlECDSASigner for ECDSA.
	dsigKey crypto.Signer
	cert    *x509.Certificate
	alg     Algorithm
	// certBase64 is the certificate as KeyInfo carries it.
	certBase64 string
}

// NewSigner returns a Signer for key and cert using alg. key is an RSA
// key for the rsa-* algorithms and an ECDSA key on the algorithm's curve
// for ecdsa-*: an *rsa.PrivateKey or *ecdsa.PrivateKey, or any
// crypto.Signer with such a public key (a hardware key, which must then be
// safe for concurrent use itself). It fails when the key does not belong
// to the certificate or does not fit the algorithm.
func NewSigner(key crypto.Signer, cert *x509.Certificate, alg Algorithm) (*Signer, error) {
	if isNilKey(key) {
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
	if err := checkAlgorithmFitsCertificate(alg, cert); err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	s := &Signer{key: key, dsigKey: key, cert: cert, alg: alg, certBase64: base64.StdEncoding.EncodeToString(cert.Raw)}
	if k, ok := key.(*rsa.PrivateKey); ok {
		if err := k.Validate(); err != nil {
			return nil, fmt.Errorf("signing: private key for %q is invalid: %w", cert.Subject.String(), err)
		}
		// Precompute once here so concurrent Sign calls only read the key.
		k.Precompute()
	}
	if alg.IsECDSA() {
		s.dsigKey = xmlECDSASigner{key}
	}
	return s, nil
}

// isNilKey reports a missing key, including a nil pointer in the
// interface.
func isNilKey(key crypto.Signer) bool {
	switch k := key.(type) {
	case nil:
		return true
	case *rsa.PrivateKey:
		return k == nil
	case *ecdsa.PrivateKey:
		return k == nil
	}
	return false
}

// checkAlgorithmFitsCertificate refuses an algorithm the certificate's key
// cannot make, with the configuration change that fixes it.
func checkAlgorithmFitsCertificate(alg Algorithm, cert *x509.Certificate) error {
	if alg.fitsKey(cert.PublicKey) {
		return nil
	}
	have := KeyDescription(cert.PublicKey)
	suggest, err := AlgorithmForKey(cert.PublicKey)
	if err != nil {
		return fmt.Errorf("chứng thư %q có khóa %s, không được hỗ trợ / certificate %q: %w", cert.Subject.String(), have, cert.Subject.String(), err)
	}
	return fmt.Errorf("thuật toán ký %s cần khóa %s nhưng chứng thư %q có khóa %s: đặt signing.algorithm: %s hoặc dùng khóa %s / "+
		"signature algorithm %s needs an %s key, but certificate %q has an %s key: set signing.algorithm: %s, or use an %s key",
		alg, alg.KeyKind(), cert.Subject.String(), have, suggest, alg.KeyKind(),
		alg, alg.KeyKind(), cert.Subject.String(), have, suggest, alg.KeyKind())
}

// CheckKeyPair reports whether key is the private half of cert's public
// key. Both must be RSA, or both ECDSA on P-256 or P-384.
func CheckKeyPair(key crypto.Signer, cert *x509.Certificate) error {
	if isNilKey(key) || cert == nil {
		return errors.New("key or certificate missing")
	}
	if _, err := AlgorithmForKey(cert.PublicKey); err != nil {
		return fmt.Errorf("certificate %q: %w", cert.Subject.String(), err)
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return fmt.Errorf("private key does not match certificate %q (serial %s): check that the key and certificate files belong together",
			cert.Subject.String(), cert.SerialNumber.Text(16))
	}
	return nil
}

// xmlECDSASigner signs like its ECDSA key but returns the signature in the
// XML-DSig form (RFC 4051 §3.3, W3C XML-DSig 1.1 §6.4.3): r and s as
// unsigned big-endian integers, each left-padded to the curve's byte size,
// concatenated. An ECDSA crypto.Signer (crypto/ecdsa, or a hardware key)
// returns ASN.1 DER, and goxmldsig puts that in the SignatureValue as it
// is; xmlsec1 and other standard verifiers refuse it.
type xmlECDSASigner struct{ key crypto.Signer }

func (s xmlECDSASigner) Public() crypto.PublicKey { return s.key.Public() }

func (s xmlECDSASigner) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	pub, ok := s.key.Public().(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("ECDSA signer has a %s key", KeyDescription(s.key.Public()))
	}
	der, err := s.key.Sign(rand, digest, opts)
	if err != nil {
		return nil, err
	}
	return ecdsaDERToRaw(der, curveBytes(pub.Curve.Params().BitSize))
}

// ecdsaSignature is the ASN.1 SEQUENCE { r INTEGER, s INTEGER } of DER
// ECDSA signatures.
type ecdsaSignature struct{ R, S *big.Int }

// curveBytes is the size of one coordinate (r or s) in the raw form.
func curveBytes(bitSize int) int { return (bitSize + 7) / 8 }

// ecdsaDERToRaw converts a DER signature to r||s, each size bytes.
func ecdsaDERToRaw(der []byte, size int) ([]byte, error) {
	var sig ecdsaSignature
	rest, err := asn1.Unmarshal(der, &sig)
	if err != nil || len(rest) > 0 || sig.R == nil || sig.S == nil || sig.R.Sign() <= 0 || sig.S.Sign() <= 0 ||
		sig.R.BitLen() > 8*size || sig.S.BitLen() > 8*size {
		return nil, errors.New("ECDSA signature is not a valid DER SEQUENCE of two positive integers")
	}
	// encoding/asn1 skips extra elements inside the SEQUENCE: accept only
	// the exact encoding of (r, s).
	if again, err := asn1.Marshal(sig); err != nil || !bytes.Equal(again, der) {
		return nil, errors.New("ECDSA signature is not the DER encoding of exactly r and s")
	}
	raw := make([]byte, 2*size)
	sig.R.FillBytes(raw[:size])
	sig.S.FillBytes(raw[size:])
	return raw, nil
}

// ecdsaRawToDER converts r||s (2×size bytes) to the DER form Go's
// verifiers take. r and s must be non-zero.
func ecdsaRawToDER(raw []byte, size int) ([]byte, error) {
	if len(raw) != 2*size {
		return nil, fmt.Errorf("ECDSA SignatureValue is %d bytes; the curve needs exactly %d (r and s, %d bytes each)", len(raw), 2*size, size)
	}
	r := new(big.Int).SetBytes(raw[:size])
	s := new(big.Int).SetBytes(raw[size:])
	if r.Sign() == 0 || s.Sign() == 0 {
		return nil, errors.New("ECDSA SignatureValue has a zero r or s")
	}
	return asn1.Marshal(ecdsaSignature{r, s})
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
// signing the same document twice gives identical bytes; ECDSA uses a
// fresh random nonce, so only the SignatureValue differs between two
// signatures of the same document. Either way: sign once, store the
// bytes, resend those.
func (s *Signer) Sign(doc []byte) ([]byte, error) {
	if start, end, nameLen, ok := canonicalRoot(doc); ok {
		return s.signCanonical(doc, start, end, nameLen)
	}
	return s.signGeneral(doc)
}

// signGeneral is Sign for any document in the profile's subset: parse,
// check, canonicalise a copy of the tree and let goxmldsig build the
// Signature.
func (s *Signer) signGeneral(doc []byte) ([]byte, error) {
	_, root, err := parseDocument(doc, forSign)
	if err != nil {
		return nil, fmt.Errorf("signing: cannot sign document: %w", err)
	}
	if sig := findSignatures(root); len(sig) > 0 {
		return nil, errors.New("signing: cannot sign document: it already contains a Signature element")
	}

	// A fresh context per call keeps Signer free of shared mutable state.
	ctx, err := dsig.NewSigningContext(s.dsigKey, [][]byte{s.cert.Raw})
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
	if err := checkOwnSignature(sig, s.alg, s.cert); err != nil {
		return nil, fmt.Errorf("signing: internal error, produced signature does not follow the profile: %w", err)
	}

	var sigBytes bytes.Buffer
	sig.WriteTo(&sigBytes, &etree.WriteSettings{CanonicalAttrVal: true, CanonicalText: true})
	return spliceBeforeRootEnd(doc, root, sigBytes.Bytes())
}

// checkOwnSignature guards against a goxmldsig change silently altering
// what we emit.
func checkOwnSignature(sig *etree.Element, alg Algorithm, cert *x509.Certificate) error {
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
	if alg.IsECDSA() {
		v := sig.FindElement("./SignatureValue")
		if v == nil {
			return errors.New("no SignatureValue")
		}
		raw, err := base64.StdEncoding.DecodeString(v.Text())
		want := 2 * curveBytes(cert.PublicKey.(*ecdsa.PublicKey).Curve.Params().BitSize)
		if err != nil || len(raw) != want {
			return fmt.Errorf("ECDSA SignatureValue is not r||s of %d bytes", want)
		}
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
