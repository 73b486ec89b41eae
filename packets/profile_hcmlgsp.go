package packets

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// ProfileHCMLGSP is the name of the signed-XML profile for the city's
// shared data warehouse (docs/packets.md).
const ProfileHCMLGSP = "hcm-lgsp"

// MaxPacketSize is the largest encoded packet either profile writes or
// reads. A dossier with every list filled is a few tens of KiB; the cap
// keeps a hostile or broken input from exhausting memory.
const MaxPacketSize = 10 << 20

// maxXMLDepth bounds element nesting on decode. Our deepest element is 8
// levels down (GoiTin/NoiDung/HoSo/DanhSachHoSoBoSung/HoSoBoSung/
// DanhSachGiayToBoSung/TaiLieu/TenTepDinhKem); an XML-DSig Signature is 7.
const maxXMLDepth = 16

func init() { registerProfile(hcmLGSP{}) }

// hcmLGSP writes one packet as one compact XML document:
//
//	<?xml version="1.0" encoding="UTF-8"?><GoiTin><ThongTinGoiTin>…</ThongTinGoiTin><NoiDung><HoSo>…</HoSo></NoiDung></GoiTin>
//
// The body is HoSo, TienDoXuLy or DanhGia; all three are written the same
// way, from the model's field order, and signed the same way.
//
// No namespaces, attributes, comments, CDATA or indentation; empty text and
// empty lists are left out; ints are always written. The signing package
// appends a Signature element as the last child of GoiTin; Decode skips it.
type hcmLGSP struct{}

func (hcmLGSP) Name() string        { return ProfileHCMLGSP }
func (hcmLGSP) ContentType() string { return "application/xml; charset=utf-8" }

func (hcmLGSP) Encode(p *Packet) ([]byte, error) {
	if p == nil {
		return nil, errors.New("hcm-lgsp encode: packet is nil")
	}
	bodyName, body, desc, err := bodyOf(p)
	if err != nil {
		return nil, fmt.Errorf("hcm-lgsp encode: %w", err)
	}
	header := reflect.ValueOf(p.Header)
	if err := checkXMLText(header, headerDesc, bodyName, body, desc); err != nil {
		return nil, fmt.Errorf("hcm-lgsp encode packet %q: %w", p.Header.MaGoiTin, err)
	}

	doc := etree.NewDocument()
	// CanonicalText escapes &, <, > and CR (so CR survives a round trip);
	// CanonicalEndTags writes <X></X> as exclusive C14N does, so the signed
	// bytes and the sent bytes look alike.
	doc.WriteSettings = etree.WriteSettings{CanonicalText: true, CanonicalEndTags: true}
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	root := doc.CreateElement("GoiTin")
	encodeXMLStruct(root.CreateElement("ThongTinGoiTin"), header, headerDesc)
	encodeXMLStruct(root.CreateElement("NoiDung").CreateElement(bodyName), body, desc)
	out, err := doc.WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("hcm-lgsp encode packet %q: %w", p.Header.MaGoiTin, err)
	}
	if len(out) > MaxPacketSize {
		return nil, fmt.Errorf("hcm-lgsp encode packet %q: %d bytes, more than the %d-byte limit", p.Header.MaGoiTin, len(out), MaxPacketSize)
	}
	return out, nil
}

// checkXMLText refuses what XML cannot carry (etree would silently replace
// it with U+FFFD) and times the format cannot carry.
func checkXMLText(header reflect.Value, hd *structDesc, bodyName string, body reflect.Value, bd *structDesc) error {
	var bad error
	check := func(prefix string) func(path, name, value string) {
		return func(path, _, value string) {
			if r, at, found := xmlIllegal(value); found && bad == nil {
				bad = fmt.Errorf("%s%s: %s", prefix, path, describeIllegal(r, at))
			}
		}
	}
	walkText(header, hd, "", check("ThongTinGoiTin."))
	walkText(body, bd, "", check(bodyName+"."))
	if bad != nil {
		return bad
	}
	if err := checkTimes(header, hd, "ThongTinGoiTin."); err != nil {
		return err
	}
	return checkTimes(body, bd, bodyName+".")
}

func encodeXMLStruct(el *etree.Element, v reflect.Value, d *structDesc) {
	for _, f := range d.fields {
		fv := v.Field(f.index)
		var text string
		switch f.kind {
		case textField:
			text = fv.String()
		case timeField:
			text = FormatTime(fv.Interface().(Time))
		case instantField:
			text = FormatTime(At(fv.Interface().(time.Time)))
		case intField:
			text = strconv.FormatInt(fv.Int(), 10)
		case listField:
			if fv.Len() == 0 {
				continue
			}
			list := el.CreateElement(f.name)
			for i := range fv.Len() {
				encodeXMLStruct(list.CreateElement(f.item.itemName), fv.Index(i), f.item)
			}
			continue
		}
		if text != "" {
			el.CreateElement(f.name).SetText(text)
		}
	}
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func (hcmLGSP) Decode(b []byte) (*Packet, error) {
	p, err := decodeXML(b)
	if err != nil {
		return nil, fmt.Errorf("hcm-lgsp decode: %w", err)
	}
	return p, nil
}

func decodeXML(b []byte) (*Packet, error) {
	switch {
	case len(b) > MaxPacketSize:
		return nil, fmt.Errorf("packet is %d bytes, more than the %d-byte limit", len(b), MaxPacketSize)
	case bytes.HasPrefix(b, utf8BOM):
		return nil, errors.New("packet starts with a byte-order mark; send UTF-8 without BOM")
	case !utf8.Valid(b):
		return nil, errors.New("packet is not valid UTF-8")
	}
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{CharsetReader: refuseCharset, MaxDepth: maxXMLDepth}
	if err := doc.ReadFromBytes(b); err != nil {
		if errors.Is(err, etree.ErrMaxDepth) {
			return nil, fmt.Errorf("elements nested deeper than %d levels", maxXMLDepth)
		}
		return nil, fmt.Errorf("not well-formed XML: %w", err)
	}
	root, err := documentRoot(doc)
	if err != nil {
		return nil, err
	}
	if root.Space != "" || root.Tag != "GoiTin" {
		return nil, fmt.Errorf("root element is <%s>, want <GoiTin>", root.FullTag())
	}
	if err := noAttributes(root, "GoiTin"); err != nil {
		return nil, err
	}

	var header, content *etree.Element
	signatures := 0
	for _, c := range root.Child {
		el, ok := c.(*etree.Element)
		if !ok {
			if err := onlyWhitespace(c, "GoiTin"); err != nil {
				return nil, err
			}
			continue
		}
		// The enveloped XML-DSig signature, with or without a prefix, is the
		// signing package's business, not the packet's.
		if el.Tag == "Signature" {
			if signatures++; signatures > 1 {
				return nil, errors.New("GoiTin has more than one Signature element")
			}
			continue
		}
		if err := plainElement(el, "GoiTin"); err != nil {
			return nil, err
		}
		switch el.Tag {
		case "ThongTinGoiTin":
			if header != nil {
				return nil, errors.New("GoiTin has <ThongTinGoiTin> twice")
			}
			header = el
		case "NoiDung":
			if content != nil {
				return nil, errors.New("GoiTin has <NoiDung> twice")
			}
			content = el
		default:
			return nil, fmt.Errorf("GoiTin: unknown element <%s>; GoiTin holds ThongTinGoiTin, NoiDung and Signature", el.Tag)
		}
	}
	if header == nil {
		return nil, errors.New("GoiTin has no <ThongTinGoiTin> header")
	}
	if content == nil {
		return nil, errors.New("GoiTin has no <NoiDung> body")
	}

	p := &Packet{}
	if err := decodeXMLStruct(header, reflect.ValueOf(&p.Header).Elem(), headerDesc, "GoiTin/ThongTinGoiTin"); err != nil {
		return nil, err
	}
	bodies, err := childElements(content, "GoiTin/NoiDung")
	if err != nil {
		return nil, err
	}
	if len(bodies) != 1 {
		return nil, fmt.Errorf("GoiTin/NoiDung has %d elements, want exactly one (%s)", len(bodies), bodyNames)
	}
	body := bodies[0]
	v, desc, ok := newBody(p, Kind(body.Tag))
	if !ok {
		return nil, fmt.Errorf("GoiTin/NoiDung: unknown body <%s>; this version reads %s", body.Tag, bodyNames)
	}
	if err := decodeXMLStruct(body, v, desc, "GoiTin/NoiDung/"+body.Tag); err != nil {
		return nil, err
	}
	return p, nil
}

func refuseCharset(charset string, _ io.Reader) (io.Reader, error) {
	return nil, fmt.Errorf("XML declaration names encoding %q; packets are UTF-8", charset)
}

// documentRoot returns the single root element, allowing only the XML
// declaration and whitespace around it.
func documentRoot(doc *etree.Document) (*etree.Element, error) {
	var root *etree.Element
	for i, c := range doc.Child {
		switch t := c.(type) {
		case *etree.Element:
			if root != nil {
				return nil, fmt.Errorf("second root element <%s>", t.FullTag())
			}
			root = t
		case *etree.ProcInst:
			if t.Target != "xml" || i != 0 {
				return nil, fmt.Errorf("processing instruction <?%s?> not allowed", t.Target)
			}
		case *etree.Directive:
			if strings.HasPrefix(strings.TrimSpace(t.Data), "DOCTYPE") {
				return nil, errors.New("DOCTYPE not allowed (no DTDs or entity declarations in packets)")
			}
			return nil, fmt.Errorf("declaration <!%.20s…> not allowed", t.Data)
		default:
			if err := onlyWhitespace(c, "the document"); err != nil {
				return nil, err
			}
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

// onlyWhitespace accepts whitespace between elements (pretty-printed input)
// and refuses text, comments and other tokens there.
func onlyWhitespace(t etree.Token, where string) error {
	switch t := t.(type) {
	case *etree.CharData:
		if strings.Trim(t.Data, " \t\r\n") != "" {
			return fmt.Errorf("%s: text %q outside any field element", where, abbreviate(t.Data))
		}
		return nil
	case *etree.Comment:
		return fmt.Errorf("%s: comments are not allowed", where)
	case *etree.ProcInst:
		return fmt.Errorf("%s: processing instruction <?%s?> not allowed", where, t.Target)
	case *etree.Directive:
		return fmt.Errorf("%s: declaration <!…> not allowed", where)
	}
	return fmt.Errorf("%s: unexpected %T", where, t)
}

func plainElement(el *etree.Element, where string) error {
	if el.Space != "" {
		return fmt.Errorf("%s: element <%s> has a namespace prefix; the profile uses no namespaces", where, el.FullTag())
	}
	return noAttributes(el, where+"/"+el.Tag)
}

func noAttributes(el *etree.Element, where string) error {
	if len(el.Attr) > 0 {
		return fmt.Errorf("%s: attribute %q not allowed; the profile uses no attributes or namespaces", where, el.Attr[0].FullKey())
	}
	return nil
}

// childElements returns el's child elements, refusing anything else but
// whitespace between them.
func childElements(el *etree.Element, path string) ([]*etree.Element, error) {
	var out []*etree.Element
	for _, c := range el.Child {
		child, ok := c.(*etree.Element)
		if !ok {
			if err := onlyWhitespace(c, path); err != nil {
				return nil, err
			}
			continue
		}
		if err := plainElement(child, path); err != nil {
			return nil, err
		}
		out = append(out, child)
	}
	return out, nil
}

// textOf returns the text of a field element, which holds nothing else.
func textOf(el *etree.Element, path string) (string, error) {
	var b strings.Builder
	for _, c := range el.Child {
		switch t := c.(type) {
		case *etree.CharData:
			b.WriteString(t.Data)
		case *etree.Element:
			return "", fmt.Errorf("%s: element <%s> inside a text field", path, t.FullTag())
		default:
			if err := onlyWhitespace(c, path); err != nil {
				return "", err
			}
		}
	}
	s := b.String()
	if r, at, bad := xmlIllegal(s); bad {
		return "", fmt.Errorf("%s: %s", path, describeIllegal(r, at))
	}
	return s, nil
}

func decodeXMLStruct(el *etree.Element, v reflect.Value, d *structDesc, path string) error {
	children, err := childElements(el, path)
	if err != nil {
		return err
	}
	seen := make(map[string]bool, len(children))
	for _, c := range children {
		f, ok := d.field(c.Tag)
		if !ok {
			return fmt.Errorf("%s: unknown element <%s> (docs/packets.md lists the elements of <%s>)", path, c.Tag, el.Tag)
		}
		if seen[c.Tag] {
			return fmt.Errorf("%s: element <%s> appears twice", path, c.Tag)
		}
		seen[c.Tag] = true
		fpath := path + "/" + c.Tag
		fv := v.Field(f.index)

		if f.kind == listField {
			items, err := childElements(c, fpath)
			if err != nil {
				return err
			}
			for i, item := range items {
				ipath := fmt.Sprintf("%s[%d]", fpath, i)
				if item.Tag != f.item.itemName {
					return fmt.Errorf("%s: element <%s> in list <%s>, want <%s>", ipath, item.Tag, f.name, f.item.itemName)
				}
				iv := reflect.New(f.item.typ).Elem()
				if err := decodeXMLStruct(item, iv, f.item, ipath); err != nil {
					return err
				}
				fv.Set(reflect.Append(fv, iv))
			}
			continue
		}

		text, err := textOf(c, fpath)
		if err != nil {
			return err
		}
		if err := setScalar(fv, f.kind, text); err != nil {
			return fmt.Errorf("%s: %w", fpath, err)
		}
	}
	return nil
}

// setScalar stores a wire text in a text, time or int field.
func setScalar(fv reflect.Value, kind fieldKind, text string) error {
	switch kind {
	case textField:
		fv.SetString(text)
	case timeField, instantField:
		t, err := ParseTime(text)
		if err != nil {
			return err
		}
		if kind == timeField {
			fv.Set(reflect.ValueOf(t))
		} else {
			fv.Set(reflect.ValueOf(t.Time))
		}
	case intField:
		n, err := strconv.Atoi(text)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", abbreviate(text))
		}
		fv.SetInt(int64(n))
	}
	return nil
}

// abbreviate keeps error messages short when the input is huge.
func abbreviate(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "…"
}
