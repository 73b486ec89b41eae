package signing

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// Reasons a packet is rejected. Verify wraps exactly one of these (or
// ErrForbiddenXML / ErrNotWellFormed) so a receiver can classify the
// rejection with errors.Is; every rejection is permanent.
var (
	ErrNoSignature          = errors.New("packet is not signed")
	ErrMultipleSignatures   = errors.New("packet contains more than one Signature element")
	ErrProfileViolation     = errors.New("signature does not follow the hcm-lgsp profile")
	ErrAlgorithmNotAllowed  = errors.New("signature algorithm not allowed")
	ErrUntrustedCertificate = errors.New("signing certificate is not pinned in the trust store")
	ErrCertificateNotValid  = errors.New("signing certificate is expired or not yet valid")
	ErrSignatureInvalid     = errors.New("signature does not match the document")
	ErrDocumentTooLarge     = errors.New("document too large")
)

// DefaultMaxDocumentBytes bounds what Verify parses unless configured.
const DefaultMaxDocumentBytes = 16 << 20

// VerifierOptions tune a Verifier. The zero value is the profile default.
type VerifierOptions struct {
	// Now returns the time certificates are checked against; nil means
	// time.Now. Tests inject a fixed clock.
	Now func() time.Time
	// Allowed lists the accepted algorithms; nil means RSASHA256 and
	// RSASHA512. RSASHA1, ECDSASHA256 and ECDSASHA384 are accepted only
	// if listed here. Whatever is listed, a signature is accepted only
	// when its method fits the pinned certificate's key (rsa-* with RSA,
	// ecdsa-sha256 with EC P-256, ecdsa-sha384 with EC P-384).
	Allowed []Algorithm
	// MaxDocumentBytes refuses larger documents before parsing; 0 means
	// DefaultMaxDocumentBytes.
	MaxDocumentBytes int
}

// Verifier checks signed packets against pinned certificates. Trust is by
// exact certificate, not by CA chain: list the sender's current and next
// certificate during a rotation. A Verifier is immutable and safe for
// concurrent use.
type Verifier struct {
	trusted          []*x509.Certificate
	now              func() time.Time
	allowed          []Algorithm
	signatureMethods []string
	digestMethods    []string
	maxBytes         int
}

// NewVerifier returns a Verifier trusting exactly the given certificates,
// with the default options.
func NewVerifier(trusted []*x509.Certificate) (*Verifier, error) {
	return NewVerifierWithOptions(trusted, VerifierOptions{})
}

// NewVerifierWithOptions returns a Verifier trusting exactly the given
// certificates.
func NewVerifierWithOptions(trusted []*x509.Certificate, o VerifierOptions) (*Verifier, error) {
	if len(trusted) == 0 {
		return nil, errors.New("signing: no trusted certificates given: pin at least the sender's current certificate")
	}
	v := &Verifier{now: o.Now, maxBytes: o.MaxDocumentBytes}
	if v.now == nil {
		v.now = time.Now
	}
	if v.maxBytes <= 0 {
		v.maxBytes = DefaultMaxDocumentBytes
	}
	allowed := o.Allowed
	if allowed == nil {
		allowed = []Algorithm{RSASHA256, RSASHA512}
	}
	if len(allowed) == 0 {
		return nil, errors.New("signing: the allowed algorithm list is empty")
	}
	for _, a := range allowed {
		if err := a.validate(); err != nil {
			return nil, fmt.Errorf("signing: %w", err)
		}
		v.allowed = append(v.allowed, a)
		v.signatureMethods = append(v.signatureMethods, a.SignatureMethod())
		v.digestMethods = append(v.digestMethods, a.DigestMethod())
	}
	for i, c := range trusted {
		if c == nil {
			return nil, fmt.Errorf("signing: trusted certificate #%d is nil", i+1)
		}
		// A pinned certificate no allowed algorithm fits could never
		// verify anything: say so now rather than reject every packet.
		usable, err := AlgorithmForKey(c.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("signing: trusted certificate %q: %w", c.Subject.String(), err)
		}
		if !slices.ContainsFunc(v.allowed, func(a Algorithm) bool { return a.fitsKey(c.PublicKey) }) {
			return nil, fmt.Errorf("signing: trusted certificate %q has an %s key, but no allowed algorithm (%s) uses that key: allow %s for this sender",
				c.Subject.String(), KeyDescription(c.PublicKey), algorithmList(v.allowed), usable)
		}
		if !slices.ContainsFunc(v.trusted, c.Equal) {
			v.trusted = append(v.trusted, c)
		}
	}
	return v, nil
}

func algorithmList(algs []Algorithm) string {
	names := make([]string, len(algs))
	for i, a := range algs {
		names[i] = a.String()
	}
	return strings.Join(names, ", ")
}

// VerifyBytes reports whether doc carries a valid signature by a pinned,
// currently valid certificate. Callers that need the signed content must
// use Verify and read only the element it returns.
func (v *Verifier) VerifyBytes(doc []byte) error {
	_, err := v.Verify(doc)
	return err
}

// Verify checks doc and returns the signed root element as goxmldsig
// reconstructed it from the verified canonical bytes (without the
// Signature). Read packet content only from this element, never from doc:
// that is the defence against signature wrapping.
func (v *Verifier) Verify(doc []byte) (*etree.Element, error) {
	if len(doc) > v.maxBytes {
		return nil, fmt.Errorf("signing: %w: %d bytes, limit %d", ErrDocumentTooLarge, len(doc), v.maxBytes)
	}
	_, root, err := parseDocument(doc, forVerify)
	if err != nil {
		return nil, fmt.Errorf("signing: rejected: %w", err)
	}
	sigs := findSignatures(root)
	switch {
	case len(sigs) == 0:
		return nil, fmt.Errorf("signing: rejected: %w (no Signature element)", ErrNoSignature)
	case len(sigs) > 1:
		return nil, fmt.Errorf("signing: rejected: %w (%d found)", ErrMultipleSignatures, len(sigs))
	}
	parts, err := v.checkSignatureElement(root, sigs[0])
	if err != nil {
		return nil, fmt.Errorf("signing: rejected: %w", err)
	}
	now := v.now()
	cert, err := v.pinnedCertificate(parts.certDER, now)
	if err != nil {
		return nil, fmt.Errorf("signing: rejected: %w", err)
	}
	if !parts.alg.fitsKey(cert.PublicKey) {
		return nil, fmt.Errorf("signing: rejected: %w: signature method %s needs an %s key, but the pinned certificate %q has an %s key",
			ErrAlgorithmNotAllowed, parts.alg, parts.alg.KeyKind(), cert.Subject.String(), KeyDescription(cert.PublicKey))
	}
	if parts.alg.IsECDSA() {
		// XML-DSig carries r||s; goxmldsig checks with crypto/x509, which
		// takes DER. Only the SignatureValue text of our own parse changes:
		// it is covered by no digest, and the signed bytes stay as they are.
		size := curveBytes(cert.PublicKey.(*ecdsa.PublicKey).Curve.Params().BitSize)
		der, err := ecdsaRawToDER(parts.signature, size)
		if err != nil {
			return nil, fmt.Errorf("signing: rejected: %w: %v (XML-DSig requires r||s, not ASN.1 DER)", ErrProfileViolation, err)
		}
		parts.signatureValue.SetText(base64.StdEncoding.EncodeToString(der))
	}

	ctx := &dsig.ValidationContext{
		CertificateStore: &dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}},
		IdAttribute:      noIDAttribute,
		Clock:            dsig.NewFakeClockAt(now),
	}
	signed, err := ctx.Validate(root)
	if err != nil {
		return nil, fmt.Errorf("signing: rejected: %w (%v)", ErrSignatureInvalid, err)
	}
	return signed, nil
}

// findSignatures returns every element named Signature, in any namespace
// or none: counting by local name leaves no room for namespace tricks,
// and 1705 packets have no field of that name.
func findSignatures(root *etree.Element) []*etree.Element {
	var out []*etree.Element
	var walk func(el *etree.Element)
	walk = func(el *etree.Element) {
		if el.Tag == dsig.SignatureTag {
			out = append(out, el)
		}
		for _, c := range el.ChildElements() {
			walk(c)
		}
	}
	walk(root)
	return out
}

// signatureParts are what checkSignatureElement read from a Signature.
type signatureParts struct {
	alg            Algorithm
	signatureValue *etree.Element
	signature      []byte // the decoded SignatureValue
	certDER        []byte // the first X509Certificate
}

// checkSignatureElement enforces the profile's exact Signature shape and
// algorithms before goxmldsig sees it (goxmldsig accepts more: any
// transform list, ID references, several References of which it checks
// one).
func (v *Verifier) checkSignatureElement(root, sig *etree.Element) (signatureParts, error) {
	var none signatureParts
	if sig.NamespaceURI() != dsig.Namespace {
		return none, fmt.Errorf("%w: Signature element is not in the XML-DSig namespace %q", ErrProfileViolation, dsig.Namespace)
	}
	if sig.Parent() != root {
		return none, fmt.Errorf("%w: Signature must be a child of the root element <%s>, found inside <%s>", ErrProfileViolation, root.FullTag(), sig.Parent().FullTag())
	}
	parts, err := dsigChildren(sig, "SignedInfo", "SignatureValue", "KeyInfo")
	if err != nil {
		return none, err
	}
	signedInfo, sigValue, keyInfo := parts[0], parts[1], parts[2]

	si, err := dsigChildren(signedInfo, "CanonicalizationMethod", "SignatureMethod", "Reference")
	if err != nil {
		return none, err
	}
	if err := algorithmIs(si[0], canonExclusive); err != nil {
		return none, err
	}
	if err := algorithmAllowed(si[1], v.signatureMethods); err != nil {
		return none, err
	}
	method, _ := soleAttr(si[1], "Algorithm")
	alg := v.allowed[slices.Index(v.signatureMethods, method)]
	ref := si[2]
	if uri, ok := soleAttr(ref, "URI"); !ok || uri != "" {
		return none, fmt.Errorf(`%w: the Reference must have URI="" (whole document)`, ErrProfileViolation)
	}
	rp, err := dsigChildren(ref, "Transforms", "DigestMethod", "DigestValue")
	if err != nil {
		return none, err
	}
	transforms, err := dsigChildren(rp[0], "Transform", "Transform")
	if err != nil {
		return none, err
	}
	if err := algorithmIs(transforms[0], transformEnveloped); err != nil {
		return none, err
	}
	if err := algorithmIs(transforms[1], canonExclusive); err != nil {
		return none, err
	}
	if err := algorithmAllowed(rp[1], v.digestMethods); err != nil {
		return none, err
	}
	if _, err := strictBase64(rp[2]); err != nil {
		return none, err
	}
	signature, err := strictBase64(sigValue)
	if err != nil {
		return none, err
	}

	kp, err := dsigChildren(keyInfo, "X509Data")
	if err != nil {
		return none, err
	}
	if err := onlyWhitespaceText(kp[0]); err != nil {
		return none, err
	}
	certs := kp[0].ChildElements()
	if len(certs) == 0 {
		return none, fmt.Errorf("%w: X509Data holds no X509Certificate", ErrProfileViolation)
	}
	var first []byte
	for i, c := range certs {
		if c.Tag != "X509Certificate" || c.NamespaceURI() != dsig.Namespace {
			return none, fmt.Errorf("%w: X509Data may hold only X509Certificate elements, found <%s>", ErrProfileViolation, c.FullTag())
		}
		der, err := strictBase64(c)
		if err != nil {
			return none, err
		}
		if i == 0 {
			first = der
		}
	}
	return signatureParts{alg: alg, signatureValue: sigValue, signature: signature, certDER: first}, nil
}

// dsigChildren returns el's child elements after checking that they are
// exactly the named XML-DSig elements in this order, with only whitespace
// text between them. Text there is covered by no digest, so a receiver
// refuses it rather than carry unsigned bytes as evidence.
func dsigChildren(el *etree.Element, names ...string) ([]*etree.Element, error) {
	if err := onlyWhitespaceText(el); err != nil {
		return nil, err
	}
	kids := el.ChildElements()
	got := make([]string, len(kids))
	for i, k := range kids {
		got[i] = k.Tag
		if k.NamespaceURI() != dsig.Namespace {
			got[i] = k.FullTag() + " (foreign namespace)"
		}
	}
	if !slices.Equal(got, names) {
		return nil, fmt.Errorf("%w: <%s> must contain exactly %s, found %s", ErrProfileViolation, el.Tag, listTags(names), listTags(got))
	}
	return kids, nil
}

func onlyWhitespaceText(el *etree.Element) error {
	for _, tok := range el.Child {
		if cd, ok := tok.(*etree.CharData); ok && !cd.IsWhitespace() {
			return fmt.Errorf("%w: unexpected text inside <%s>", ErrProfileViolation, el.Tag)
		}
	}
	return nil
}

func listTags(tags []string) string {
	if len(tags) == 0 {
		return "nothing"
	}
	return "<" + strings.Join(tags, ">, <") + ">"
}

func algorithmIs(el *etree.Element, want string) error {
	if len(el.ChildElements()) > 0 {
		return fmt.Errorf("%w: <%s> must be empty (no parameters such as InclusiveNamespaces)", ErrProfileViolation, el.Tag)
	}
	if got, _ := soleAttr(el, "Algorithm"); got != want {
		return fmt.Errorf("%w: <%s Algorithm=%q>, the profile requires %q", ErrProfileViolation, el.Tag, got, want)
	}
	return nil
}

func algorithmAllowed(el *etree.Element, allowed []string) error {
	if len(el.ChildElements()) > 0 {
		return fmt.Errorf("%w: <%s> must be empty", ErrProfileViolation, el.Tag)
	}
	got, _ := soleAttr(el, "Algorithm")
	if !slices.Contains(allowed, got) {
		return fmt.Errorf("%w: <%s Algorithm=%q>; allowed: %s", ErrAlgorithmNotAllowed, el.Tag, got, strings.Join(allowed, ", "))
	}
	return nil
}

// soleAttr returns the value of the un-prefixed attribute key, and false
// when it is missing or when another attribute with that local name exists
// (p:URI beside URI): goxmldsig's decoder and etree could read different
// ones, so such elements are refused instead of interpreted.
func soleAttr(el *etree.Element, key string) (string, bool) {
	value, found := "", false
	for _, a := range el.Attr {
		if a.Key != key {
			continue
		}
		if found || a.Space != "" {
			return "", false
		}
		value, found = a.Value, true
	}
	return value, found
}

// strictBase64 decodes an element's base64 text, allowing XML whitespace
// (xmlsec1 wraps lines) but refusing non-canonical padding bits, so that
// no byte of a signed packet can change without the packet being refused.
func strictBase64(el *etree.Element) ([]byte, error) {
	if len(el.ChildElements()) > 0 {
		return nil, fmt.Errorf("%w: <%s> must hold only base64 text", ErrProfileViolation, el.Tag)
	}
	text := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, el.Text())
	b, err := base64.StdEncoding.Strict().DecodeString(text)
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("%w: <%s> is not valid base64", ErrProfileViolation, el.Tag)
	}
	return b, nil
}

// pinnedCertificate returns the pinned certificate equal to der, checked
// against now.
func (v *Verifier) pinnedCertificate(der []byte, now time.Time) (*x509.Certificate, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%w: KeyInfo certificate cannot be parsed: %v", ErrProfileViolation, err)
	}
	i := slices.IndexFunc(v.trusted, cert.Equal)
	if i < 0 {
		return nil, fmt.Errorf("%w: %q, SHA-256 fingerprint %s; if this is the sender's new certificate, add it to the trust store",
			ErrUntrustedCertificate, cert.Subject.String(), Fingerprint(cert))
	}
	pinned := v.trusted[i]
	if now.Before(pinned.NotBefore) {
		return nil, fmt.Errorf("%w: %q is valid only from %s (now %s)", ErrCertificateNotValid, pinned.Subject.String(),
			pinned.NotBefore.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if now.After(pinned.NotAfter) {
		return nil, fmt.Errorf("%w: %q expired at %s (now %s)", ErrCertificateNotValid, pinned.Subject.String(),
			pinned.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return pinned, nil
}
