package signing

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"unicode/utf8"

	dsig "github.com/russellhaering/goxmldsig"
)

// xmlDeclaration is the only declaration the fast path accepts: the one
// the packet encoders write.
const xmlDeclaration = `<?xml version="1.0" encoding="UTF-8"?>`

// canonicalRoot finds the root element of doc, doc[start:end] with a name
// of nameLen bytes, when its bytes already are
// their exclusive canonical form, so Sign can digest them as they are
// instead of parsing, copying and re-serialising the tree (about a fifth
// of a signature's cost with RSA-2048, most of it with ECDSA). It accepts
// only what canonicalisation leaves unchanged: an optional XML declaration
// exactly as the encoders write it; then one root element of elements
// without attributes, namespaces or prefixes, each with a start and an end
// tag (no <x/>); text escaped as canonical text is (&amp; &lt; &gt; and no
// other reference, no raw ">"), of XML characters other than CR; no
// element named Signature; nothing but spaces, tabs and line feeds after
// the root. Anything else returns ok false and takes the general path,
// which also reports what is wrong with the document.
func canonicalRoot(doc []byte) (start, end, nameLen int, ok bool) {
	if bytes.HasPrefix(doc, []byte(xmlDeclaration)) {
		start = len(xmlDeclaration)
	}
	if start >= len(doc) || doc[start] != '<' {
		return 0, 0, 0, false
	}
	var open [][]byte // names of the open elements
	i := start
	for i < len(doc) {
		switch c := doc[i]; {
		case c == '<':
			closing := i+1 < len(doc) && doc[i+1] == '/'
			j := i + 1
			if closing {
				j++
			}
			n := nameEnd(doc, j)
			if n == j || n >= len(doc) || doc[n] != '>' {
				return 0, 0, 0, false
			}
			tag := doc[j:n]
			if closing {
				if len(open) == 0 || !bytes.Equal(open[len(open)-1], tag) {
					return 0, 0, 0, false
				}
				open = open[:len(open)-1]
			} else {
				if string(tag) == "Signature" {
					return 0, 0, 0, false
				}
				open = append(open, tag)
			}
			i = n + 1
			if len(open) == 0 {
				for _, c := range doc[i:] {
					if c != ' ' && c != '\t' && c != '\n' {
						return 0, 0, 0, false
					}
				}
				return start, i, len(tag), true
			}
		case c == '&':
			n := 0
			for _, ref := range []string{"&amp;", "&lt;", "&gt;"} {
				if bytes.HasPrefix(doc[i:], []byte(ref)) {
					n = len(ref)
					break
				}
			}
			if n == 0 {
				return 0, 0, 0, false
			}
			i += n
		case c == '>':
			return 0, 0, 0, false
		case c < utf8.RuneSelf:
			if c < 0x20 && c != '\t' && c != '\n' {
				return 0, 0, 0, false
			}
			i++
		default:
			r, size := utf8.DecodeRune(doc[i:])
			if r == utf8.RuneError && size <= 1 || !isXMLChar(r) {
				return 0, 0, 0, false
			}
			i += size
		}
	}
	return 0, 0, 0, false // the root never ended
}

// nameEnd returns the end of the plain ASCII element name starting at i:
// a letter or underscore, then letters, digits, "_", "-" and ".". Names
// with colons (prefixes) or other characters end at once, so the caller
// finds no ">" there and falls back.
func nameEnd(doc []byte, i int) int {
	j := i
	for j < len(doc) {
		c := doc[j]
		letter := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_'
		if !letter && (j == i || !(c >= '0' && c <= '9' || c == '-' || c == '.')) {
			break
		}
		j++
	}
	return j
}

// isXMLChar reports whether r may appear in an XML 1.0 document (the Char
// production), CR excluded: a parser turns it into a line feed.
func isXMLChar(r rune) bool {
	switch {
	case r == '\t' || r == '\n':
		return true
	case r < 0x20:
		return false
	case r <= 0xD7FF:
		return true
	case r >= 0xE000 && r <= 0xFFFD:
		return true
	default:
		return r >= 0x10000 && r <= 0x10FFFF
	}
}

// signCanonical signs a document whose root, doc[start:end] named by
// nameLen bytes (from canonicalRoot), is its own canonical form. The Signature it splices in is, byte for byte, the one
// the general path writes (TestSignFastPathMatchesGeneralPath): the
// digest of the root, SignedInfo in canonical form signed, and the same
// element around them.
func (s *Signer) signCanonical(doc []byte, start, end, nameLen int) ([]byte, error) {
	h := s.alg.Hash().New()
	h.Write(doc[start:end])
	digest := base64.StdEncoding.EncodeToString(h.Sum(nil))

	h.Reset()
	h.Write([]byte(`<SignedInfo xmlns="` + dsig.Namespace + `">`))
	s.writeSignedInfoBody(h, digest, true)
	h.Write([]byte(`</SignedInfo>`))
	value, err := s.dsigKey.Sign(rand.Reader, h.Sum(nil), s.alg.Hash())
	if err != nil {
		return nil, fmt.Errorf("signing: cannot build signature: %w", err)
	}

	var sig bytes.Buffer
	sig.Grow(len(s.certBase64) + 1024)
	sig.WriteString(`<Signature xmlns="` + dsig.Namespace + `"><SignedInfo>`)
	s.writeSignedInfoBody(&sig, digest, false)
	sig.WriteString(`</SignedInfo><SignatureValue>`)
	sig.WriteString(base64.StdEncoding.EncodeToString(value))
	sig.WriteString(`</SignatureValue><KeyInfo><X509Data><X509Certificate>`)
	sig.WriteString(s.certBase64)
	sig.WriteString(`</X509Certificate></X509Data></KeyInfo></Signature>`)

	at := end - len("</>") - nameLen // before the root's end tag
	out := make([]byte, 0, len(doc)+sig.Len())
	out = append(out, doc[:at]...)
	out = append(out, sig.Bytes()...)
	return append(out, doc[at:]...), nil
}

// writeSignedInfoBody writes SignedInfo's children, with end tags as
// canonical form has them (canonical) or empty elements as the general
// path writes them.
func (s *Signer) writeSignedInfoBody(w io.Writer, digest string, canonical bool) {
	empty := func(tag, alg string) string {
		if canonical {
			return `<` + tag + ` Algorithm="` + alg + `"></` + tag + `>`
		}
		return `<` + tag + ` Algorithm="` + alg + `"/>`
	}
	exc := string(dsig.CanonicalXML10ExclusiveAlgorithmId)
	w.Write([]byte(empty("CanonicalizationMethod", exc) +
		empty("SignatureMethod", s.alg.SignatureMethod()) +
		`<Reference URI=""><Transforms>` +
		empty("Transform", string(dsig.EnvelopedSignatureAltorithmId)) +
		empty("Transform", exc) +
		`</Transforms>` +
		empty("DigestMethod", s.alg.DigestMethod()) +
		`<DigestValue>` + digest + `</DigestValue></Reference>`))
}
