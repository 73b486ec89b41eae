package signing

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// ErrForbiddenXML reports XML that the profile does not allow in a packet:
// DOCTYPE, comments, processing instructions, CDATA, duplicate attributes,
// xmlns="", a byte-order mark, or a declaration other than XML 1.0 UTF-8
// (and, when signing, namespaced attributes and attribute values with
// tabs or line breaks). They are refused because verifiers disagree about
// them, or they invite entity tricks, not because they are malformed.
var ErrForbiddenXML = errors.New("XML construct not allowed in a packet")

// ErrNotWellFormed reports input that is not well-formed XML.
var ErrNotWellFormed = errors.New("not well-formed XML")

// documentMode selects the extra rules applied when signing.
type documentMode int

const (
	forVerify documentMode = iota
	// forSign adds rules that keep goxmldsig's canonical form identical
	// to the standard one (see STYLE.md: v1 canonicalisation orders
	// namespaced attributes non-standardly; encoding/xml does not
	// normalise whitespace in attribute values as XML parsers must).
	forSign
)

// parseDocument parses doc and checks it against the profile's XML
// subset. It returns the document and its root element.
func parseDocument(doc []byte, mode documentMode) (*etree.Document, *etree.Element, error) {
	if bytes.HasPrefix(doc, []byte("\xEF\xBB\xBF")) {
		return nil, nil, fmt.Errorf("%w: the document starts with a byte-order mark; packets are UTF-8 without BOM", ErrForbiddenXML)
	}
	// "<" must be escaped in text and attribute values, so this literal
	// only occurs as a real CDATA section (or inside a comment, which is
	// refused anyway).
	if bytes.Contains(doc, []byte("<![CDATA[")) {
		return nil, nil, fmt.Errorf("%w: CDATA section; put text in plain element content", ErrForbiddenXML)
	}
	d := etree.NewDocument()
	// Keep duplicates so they can be refused: etree would otherwise keep
	// the last value silently while other parsers reject the document.
	d.ReadSettings.PreserveDuplicateAttrs = true
	if err := d.ReadFromBytes(doc); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrNotWellFormed, err)
	}
	root, err := checkTopLevel(d)
	if err != nil {
		return nil, nil, err
	}
	if err := checkElement(root, mode); err != nil {
		return nil, nil, err
	}
	return d, root, nil
}

// checkTopLevel allows an optional XML declaration, whitespace, and exactly
// one root element.
func checkTopLevel(d *etree.Document) (*etree.Element, error) {
	var root *etree.Element
	for i, tok := range d.Child {
		switch t := tok.(type) {
		case *etree.Element:
			if root != nil {
				return nil, fmt.Errorf("%w: second top-level element <%s> after <%s>", ErrNotWellFormed, t.FullTag(), root.FullTag())
			}
			root = t
		case *etree.ProcInst:
			if t.Target != "xml" {
				return nil, fmt.Errorf("%w: processing instruction <?%s?>", ErrForbiddenXML, t.Target)
			}
			if i != 0 {
				return nil, fmt.Errorf("%w: XML declaration is not at the start of the document", ErrForbiddenXML)
			}
			if err := checkDeclaration(t.Inst); err != nil {
				return nil, err
			}
		case *etree.Directive:
			return nil, fmt.Errorf("%w: DOCTYPE or other <!...> declaration", ErrForbiddenXML)
		case *etree.Comment:
			return nil, fmt.Errorf("%w: comment outside the root element", ErrForbiddenXML)
		case *etree.CharData:
			if !t.IsWhitespace() {
				return nil, fmt.Errorf("%w: text outside the root element", ErrNotWellFormed)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("%w: no root element", ErrNotWellFormed)
	}
	return root, nil
}

// checkElement walks the tree below el. Depth is bounded by etree's
// MaxDepth (1024), so recursion is safe.
func checkElement(el *etree.Element, mode documentMode) error {
	for i, a := range el.Attr {
		for _, b := range el.Attr[:i] {
			if a.Space == b.Space && a.Key == b.Key {
				return fmt.Errorf("%w: attribute %q appears twice on <%s>", ErrForbiddenXML, a.FullKey(), el.FullTag())
			}
		}
		if a.Space == "" && a.Key == "xmlns" && a.Value == "" {
			// goxmldsig's exclusive c14n emits xmlns="" where the standard
			// omits it, so such signatures would fail at other verifiers.
			return fmt.Errorf(`%w: xmlns="" (undeclaring the default namespace) on <%s>`, ErrForbiddenXML, el.FullTag())
		}
		if mode != forSign || a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") {
			continue
		}
		if a.Space != "" {
			return fmt.Errorf("%w: namespaced attribute %q on <%s>; signed packets carry only plain attributes", ErrForbiddenXML, a.FullKey(), el.FullTag())
		}
		if strings.ContainsAny(a.Value, "\t\n\r") {
			return fmt.Errorf("%w: attribute %q on <%s> contains a tab or line break; put such text in element content", ErrForbiddenXML, a.Key, el.FullTag())
		}
	}
	for _, tok := range el.Child {
		switch t := tok.(type) {
		case *etree.Element:
			if err := checkElement(t, mode); err != nil {
				return err
			}
		case *etree.Comment:
			return fmt.Errorf("%w: comment inside <%s>; comments are not signed, so packets carry none", ErrForbiddenXML, el.FullTag())
		case *etree.ProcInst:
			return fmt.Errorf("%w: processing instruction <?%s?> inside <%s>", ErrForbiddenXML, t.Target, el.FullTag())
		case *etree.Directive:
			return fmt.Errorf("%w: <!...> declaration inside <%s>", ErrForbiddenXML, el.FullTag())
		}
	}
	return nil
}

// checkDeclaration accepts `version="1.0"` optionally followed by a UTF-8
// encoding and a standalone flag, in that order. encoding/xml is lenient
// here (it finds "encoding=" anywhere and passes any charset through), so
// the declaration is checked strictly to keep every byte of a signed
// packet meaningful.
func checkDeclaration(inst string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: XML declaration <?xml %s?>: %s", ErrForbiddenXML, inst, why)
	}
	rest := inst
	order := []string{"version", "encoding", "standalone"}
	next := 0
	seenVersion := false
	for first := true; ; first = false {
		trimmed := strings.TrimLeft(rest, " \t\r\n")
		if trimmed == "" {
			break
		}
		if !first && len(trimmed) == len(rest) {
			return bad("pseudo-attributes must be separated by whitespace")
		}
		eq := strings.IndexByte(trimmed, '=')
		if eq <= 0 {
			return bad("expected name=\"value\"")
		}
		name := strings.TrimRight(trimmed[:eq], " \t\r\n")
		value := strings.TrimLeft(trimmed[eq+1:], " \t\r\n")
		if value == "" || (value[0] != '"' && value[0] != '\'') {
			return bad("value of " + name + " is not quoted")
		}
		end := strings.IndexByte(value[1:], value[0])
		if end < 0 {
			return bad("unterminated value of " + name)
		}
		val := value[1 : 1+end]
		rest = value[2+end:]

		pos := -1
		for i := next; i < len(order); i++ {
			if order[i] == name {
				pos = i
				break
			}
		}
		if pos < 0 {
			return bad(fmt.Sprintf("unexpected or misplaced %q", name))
		}
		next = pos + 1
		switch name {
		case "version":
			seenVersion = true
			if val != "1.0" {
				return bad("version must be 1.0")
			}
		case "encoding":
			if !strings.EqualFold(val, "UTF-8") {
				return bad("encoding must be UTF-8")
			}
		case "standalone":
			if val != "yes" && val != "no" {
				return bad(`standalone must be "yes" or "no"`)
			}
		}
	}
	if !seenVersion {
		return bad("version is missing")
	}
	return nil
}
