package packets

import (
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"
)

// The model's Go field names are the wire names, in wire order, so the
// encoders, decoders and Validate all walk one description of the model
// built by reflection instead of repeating ~80 field names five times. A
// field type the description does not know makes the package panic at
// start-up (and so in every test), never at run time.

type fieldKind int

const (
	textField    fieldKind = iota // string (or a string type such as Kind)
	timeField                     // Time: yyyyMMddHHmmss, "" when absent
	instantField                  // time.Time (header): same wire form
	intField                      // int: a JSON number, XML decimal text
	listField                     // []struct: container + one element per item
)

type fieldDesc struct {
	name  string // wire name = Go field name
	index int
	kind  fieldKind
	item  *structDesc // listField only
}

type structDesc struct {
	typ      reflect.Type
	itemName string // XML element of one list item, e.g. "TaiLieu"
	fields   []fieldDesc
	byName   map[string]*fieldDesc
}

func (d *structDesc) field(name string) (*fieldDesc, bool) {
	f, ok := d.byName[name]
	return f, ok
}

// listItemNames names the XML element of one item of each list type.
var listItemNames = map[reflect.Type]string{
	reflect.TypeFor[SubmittedDocument](): "TaiLieu",
	reflect.TypeFor[Fee]():               "LePhi",
	reflect.TypeFor[OtherPaper]():        "GiayTo",
	reflect.TypeFor[Supplement]():        "HoSoBoSung",
	reflect.TypeFor[ResultDocument]():    "GiayToKetQua",
	reflect.TypeFor[OwnerIdentifier]():   "DinhDanh",
	reflect.TypeFor[DatabaseLink]():      "KetNoiCSDL",
}

var (
	headerDesc   = describe(reflect.TypeFor[Header]())
	dossierDesc  = describe(reflect.TypeFor[Dossier]())
	progressDesc = describe(reflect.TypeFor[ProgressStep]())
	ratingDesc   = describe(reflect.TypeFor[Rating]())
)

func describe(t reflect.Type) *structDesc {
	d := &structDesc{typ: t, itemName: listItemNames[t], byName: map[string]*fieldDesc{}}
	for i := range t.NumField() {
		sf := t.Field(i)
		f := fieldDesc{name: sf.Name, index: i}
		switch {
		case sf.Type == reflect.TypeFor[Time]():
			f.kind = timeField
		case sf.Type == reflect.TypeFor[time.Time]():
			f.kind = instantField
		case sf.Type.Kind() == reflect.String:
			f.kind = textField
		case sf.Type.Kind() == reflect.Int:
			f.kind = intField
		case sf.Type.Kind() == reflect.Slice && sf.Type.Elem().Kind() == reflect.Struct:
			f.kind = listField
			f.item = describe(sf.Type.Elem())
			if f.item.itemName == "" {
				panic(fmt.Sprintf("packets: list %s.%s has no XML item name in listItemNames", t.Name(), sf.Name))
			}
		default:
			panic(fmt.Sprintf("packets: field %s.%s has type %s, which the wire profiles cannot encode", t.Name(), sf.Name, sf.Type))
		}
		d.fields = append(d.fields, f)
	}
	for i := range d.fields {
		d.byName[d.fields[i].name] = &d.fields[i]
	}
	return d
}

// bodyKinds lists the bodies set in p, in model order.
func bodyKinds(p *Packet) []Kind {
	var out []Kind
	if p.Dossier != nil {
		out = append(out, KindDossier)
	}
	if p.Progress != nil {
		out = append(out, KindProgress)
	}
	if p.Rating != nil {
		out = append(out, KindRating)
	}
	return out
}

// bodyNames are the bodies a packet can carry, for messages.
const bodyNames = "HoSo, TienDoXuLy or DanhGia"

// tooManyBodies words a packet with more than one body for a message,
// e.g. "two bodies (HoSo and TienDoXuLy)".
func tooManyBodies(kinds []Kind) string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	count := fmt.Sprint(len(kinds))
	switch len(kinds) {
	case 2:
		count = "two"
	case 3:
		count = "three"
	}
	return fmt.Sprintf("%s bodies (%s)", count, strings.Join(names, " and "))
}

// bodyOf returns the single body of p with its wire element name.
func bodyOf(p *Packet) (name string, v reflect.Value, d *structDesc, err error) {
	kinds := bodyKinds(p)
	switch {
	case len(kinds) > 1:
		return "", reflect.Value{}, nil, fmt.Errorf("packet %q has %s; a packet carries exactly one", p.Header.MaGoiTin, tooManyBodies(kinds))
	case p.Dossier != nil:
		return string(KindDossier), reflect.ValueOf(p.Dossier).Elem(), dossierDesc, nil
	case p.Progress != nil:
		return string(KindProgress), reflect.ValueOf(p.Progress).Elem(), progressDesc, nil
	case p.Rating != nil:
		return string(KindRating), reflect.ValueOf(p.Rating).Elem(), ratingDesc, nil
	}
	return "", reflect.Value{}, nil, fmt.Errorf("packet %q has no body; set Dossier, Progress or Rating", p.Header.MaGoiTin)
}

// newBody allocates the body named by a wire element or service.
func newBody(p *Packet, kind Kind) (reflect.Value, *structDesc, bool) {
	switch kind {
	case KindDossier:
		p.Dossier = &Dossier{}
		return reflect.ValueOf(p.Dossier).Elem(), dossierDesc, true
	case KindProgress:
		p.Progress = &ProgressStep{}
		return reflect.ValueOf(p.Progress).Elem(), progressDesc, true
	case KindRating:
		p.Rating = &Rating{}
		return reflect.ValueOf(p.Rating).Elem(), ratingDesc, true
	}
	return reflect.Value{}, nil, false
}

// walkText calls fn for every text value in v with its wire path, e.g.
// "TaiLieuNop[2].TenTepDinhKem". Lists are indexed from 0.
func walkText(v reflect.Value, d *structDesc, prefix string, fn func(path, name, value string)) {
	for _, f := range d.fields {
		fv := v.Field(f.index)
		switch f.kind {
		case textField:
			fn(prefix+f.name, f.name, fv.String())
		case listField:
			for i := range fv.Len() {
				walkText(fv.Index(i), f.item, fmt.Sprintf("%s%s[%d].", prefix, f.name, i), fn)
			}
		}
	}
}

// checkTimes returns an error for the first time in v that the wire format
// cannot carry.
func checkTimes(v reflect.Value, d *structDesc, prefix string) error {
	for _, f := range d.fields {
		fv := v.Field(f.index)
		var t time.Time
		switch f.kind {
		case timeField:
			t = fv.Interface().(Time).Time
		case instantField:
			t = fv.Interface().(time.Time)
		case listField:
			for i := range fv.Len() {
				if err := checkTimes(fv.Index(i), f.item, fmt.Sprintf("%s%s[%d].", prefix, f.name, i)); err != nil {
					return err
				}
			}
			continue
		default:
			continue
		}
		if err := checkWireTime(t); err != nil {
			return fmt.Errorf("%s%s: %v", prefix, f.name, err)
		}
	}
	return nil
}

// xmlIllegal returns the first rune of s that XML 1.0 cannot carry, even as
// a character reference (C0 controls other than tab, LF, CR; U+FFFE, U+FFFF),
// and its byte offset. Invalid UTF-8 is reported as utf8.RuneError.
func xmlIllegal(s string) (r rune, at int, found bool) {
	for i, c := range s {
		switch {
		case c == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return c, i, true
			}
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r', c == 0xFFFE, c == 0xFFFF:
			return c, i, true
		}
	}
	return 0, 0, false
}

// describeIllegal words xmlIllegal's finding for an error message.
func describeIllegal(r rune, at int) string {
	if r == utf8.RuneError {
		return fmt.Sprintf("invalid UTF-8 at byte %d", at)
	}
	return fmt.Sprintf("control character %U at byte %d, which XML cannot carry", r, at)
}
