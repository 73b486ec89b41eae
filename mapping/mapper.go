package mapping

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// Options are run-time settings that are not part of the YAML mapping.
type Options struct {
	// Zone overrides Config.Timezone: the zone of legacy date/time values
	// that carry no offset.
	Zone *time.Location
	// Catalogs answers the catalog options (catalog, catalog_map,
	// from_catalog); nil when no catalog cache is configured, and then a
	// mapping that uses them is refused.
	Catalogs Catalogs
	// UnitRenames are the units dissolved in 2025 and their successors,
	// applied to fields with rename_units.
	UnitRenames []UnitRename
}

// Mapper maps raw records to packets. Everything that can be decided from
// the configuration is decided in New, so Map only reads values. A Mapper
// is immutable and safe for concurrent use.
type Mapper struct {
	zone    *time.Location
	streams map[string]*streamPlan
	// byFold finds a stream by its lower-case name (the config loader
	// lower-cases map keys; connectors may not).
	byFold map[string]*streamPlan
	names  string // mapped stream names, for messages
	cat    *catalogRuntime
	// catalogUses are the catalogs the configuration refers to, checked
	// against Options in New.
	catalogUses []catalogUse
}

type streamPlan struct {
	name string
	kind *packetKind
	body *structPlan
	// dateIndex and dateName locate the field that dates the record for
	// catalog lookups, when the stream uses any.
	dateIndex int
	dateName  string
	// identity are the fields whose values identify a message (identity:),
	// in the configured order; nil when records are identified by version.
	identity []identityField
}

// structPlan fills one struct: the body or an item of a nested list.
type structPlan struct {
	model  *modelStruct
	fields []*fieldPlan // in model order, so the first error is stable
	lists  []*listPlan
	fills  []*fieldPlan // from_catalog fields, in the order they can be filled
}

type listPlan struct {
	name  string // model field name, e.g. TaiLieuNop
	index int
	from  string // name of the child rows in the record
	elem  *structPlan
}

// fieldPlan is one mapped field with everything precomputed.
type fieldPlan struct {
	name   string
	index  int
	kind   valueKind
	column string

	fixed    bool // Const: value is always constVal
	constVal wireValue

	hasDefault bool
	defaultVal wireValue
	nulls      []string

	enc   *textEncoding
	codes *codeTable
	fold  bool // case-insensitive code lookup

	layouts  []dateLayout
	required bool
	maxLen   int
	truncate bool

	cat  *catalogPlan     // catalog, catalog_map, rename_units
	from *fromCatalogPlan // from_catalog
}

// wireValue is a converted value ready to store in a field of its kind.
type wireValue struct {
	s string
	n int
	t time.Time
}

func (v wireValue) store(kind valueKind, dst reflect.Value) {
	switch kind {
	case kindString:
		dst.SetString(v.s)
	case kindInt:
		dst.SetInt(int64(v.n))
	case kindTime:
		// Through the pointer: Set(reflect.ValueOf(...)) would allocate.
		*dst.Addr().Interface().(*packets.Time) = packets.At(v.t)
	}
}

// New validates cfg and prepares the mapper. All configuration problems
// are reported at once (errors.Join of *ConfigError), each with its key
// path.
func New(cfg Config, o Options) (*Mapper, error) {
	m, errs := compile(cfg, o)
	if len(errs) == 0 {
		var rtErrs []error
		rtErrs, m.cat = checkRuntime(m.catalogUses, o)
		errs = append(errs, rtErrs...)
	}
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	return m, nil
}

// Validate reports every problem in the configuration, each a *ConfigError
// naming its key path, in a stable order.
func (c Config) Validate() []error {
	_, errs := compile(c, Options{})
	return errs
}

// location is where in the record a field is being filled: nil for the
// top level, else a child row of a list. Paths are only rendered for
// errors and warnings, so mapping a good record builds no strings.
type location struct {
	parent *location
	list   string // model list name
	from   string // child rows' name in the record
	index  int
}

func (l *location) field(name string) string {
	if l == nil {
		return name
	}
	return l.parent.field(fmt.Sprintf("%s[%d]", l.list, l.index)) + "." + name
}

func (l *location) column(name string) string {
	if l == nil {
		return name
	}
	return l.parent.column(fmt.Sprintf("%s[%d]", l.from, l.index)) + "." + name
}

// run holds the state of one Map call.
type run struct {
	zone     *time.Location
	warnings []packets.Issue
	cat      *catalogRuntime
	pending  []pendingCheck // catalog options, run once the record's date is known
	fills    []pendingFill
}

// Map builds the packet for one record: Header.LoaiGoiTin and the body.
// The other header fields are the pipeline's job. Warnings report what was
// changed on purpose (a truncated field). A record that cannot be mapped
// gives an *Error; nothing is guessed.
func (m *Mapper) Map(stream, key string, values map[string]any) (*packets.Packet, []packets.Issue, error) {
	sp := m.stream(stream)
	if sp == nil {
		return nil, nil, &Error{Stream: stream, Key: key, Reason: fmt.Sprintf("no mapping for stream %q (mapped streams: %s)", stream, m.names)}
	}
	body := reflect.New(sp.body.model.typ)
	r := run{zone: m.zone, cat: m.cat}
	if err := r.fill(sp.body, body.Elem(), values, nil); err != nil {
		err.Stream, err.Key = stream, key
		return nil, nil, err
	}
	if err := r.resolveCatalogs(sp, body.Elem()); err != nil {
		err.Stream, err.Key = stream, key
		return nil, nil, err
	}
	if err := sp.checkIdentity(body.Elem()); err != nil {
		err.Stream, err.Key = stream, key
		return nil, nil, err
	}
	p := &packets.Packet{Header: packets.Header{LoaiGoiTin: sp.kind.kind}}
	sp.kind.attach(p, body)
	return p, r.warnings, nil
}

// stream finds a stream's plan by its name, in any letter case.
func (m *Mapper) stream(name string) *streamPlan {
	if sp := m.streams[name]; sp != nil {
		return sp
	}
	return m.byFold[strings.ToLower(name)]
}

func (r *run) fill(sp *structPlan, dst reflect.Value, values map[string]any, at *location) *Error {
	for _, f := range sp.fields {
		if err := r.setField(f, dst.Field(f.index), values, at); err != nil {
			return err
		}
	}
	for _, f := range sp.fills {
		r.fills = append(r.fills, pendingFill{f: f, parent: dst, at: at})
	}
	for _, l := range sp.lists {
		raw, ok := values[l.from]
		if !ok {
			return &Error{Field: at.field(l.name), Column: at.column(l.from), Reason: fmt.Sprintf("the record has no child list %q; check lists.%s.from or the source", l.from, l.name)}
		}
		rows, err := childRows(raw)
		if err != "" {
			return &Error{Field: at.field(l.name), Column: at.column(l.from), Reason: err}
		}
		if len(rows) == 0 {
			continue
		}
		slice := reflect.MakeSlice(dst.Field(l.index).Type(), len(rows), len(rows))
		for i, row := range rows {
			child := &location{parent: at, list: l.name, from: l.from, index: i}
			if err := r.fill(l.elem, slice.Index(i), row, child); err != nil {
				return err
			}
		}
		dst.Field(l.index).Set(slice)
	}
	return nil
}

// childRows accepts the shapes sources attach child rows in.
func childRows(raw any) ([]map[string]any, string) {
	switch v := raw.(type) {
	case nil:
		return nil, ""
	case []map[string]any:
		return v, ""
	case []any: // decoded JSON
		rows := make([]map[string]any, len(v))
		for i, e := range v {
			row, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Sprintf("child row %d is %T, not a row of columns", i, e)
			}
			rows[i] = row
		}
		return rows, ""
	}
	return nil, fmt.Sprintf("child rows are %T, not a list of rows", raw)
}

func (r *run) setField(f *fieldPlan, dst reflect.Value, values map[string]any, at *location) *Error {
	if f.fixed {
		f.constVal.store(f.kind, dst)
		return nil
	}
	raw, ok := values[f.column]
	if !ok {
		return &Error{Field: at.field(f.name), Column: at.column(f.column), Reason: fmt.Sprintf("the record has no column %q; check the column name in the mapping and the source query", f.column)}
	}
	v, null, reason := r.convert(f, raw, at)
	if reason != "" {
		return valueError(f, at, raw, reason)
	}
	if null {
		switch {
		case f.hasDefault:
			v = f.defaultVal
		case f.required:
			what := "NULL"
			if raw != nil {
				what = "empty"
			}
			return valueError(f, at, raw, "required, but the value is "+what+"; fix the source or set a default")
		default:
			return nil // leave the zero value: absent on the wire
		}
	} else if f.cat != nil {
		r.pending = append(r.pending, pendingCheck{f: f, dst: dst, raw: raw, at: at})
	}
	v.store(f.kind, dst)
	return nil
}

func valueError(f *fieldPlan, at *location, raw any, reason string) *Error {
	e := &Error{Field: at.field(f.name), Column: at.column(f.column), Value: quoteValue(raw), Reason: reason}
	switch v := raw.(type) {
	case string:
		e.valueLen = utf8.RuneCountInString(v)
	case []byte:
		e.valueLen = utf8.RuneCount(v)
	}
	return e
}

// convert turns one source value into the field's wire value. null is true
// for NULL, empty text and the configured Nulls.
func (r *run) convert(f *fieldPlan, raw any, at *location) (v wireValue, null bool, reason string) {
	var text string
	switch x := raw.(type) {
	case nil:
		return v, true, ""
	case string:
		s, err := f.enc.decodeString(x)
		if err != nil {
			return v, false, err.Error()
		}
		text = s
	case []byte:
		s, err := f.enc.decodeBytes(x)
		if err != nil {
			return v, false, err.Error()
		}
		text = s
	case time.Time:
		if f.kind != kindTime {
			return v, false, fmt.Sprintf("a date/time value cannot fill a %s field; map the column to a date field or convert it to text in the source query", f.kind)
		}
		if x.IsZero() { // MySQL's zero date 0000-00-00 arrives as the zero time
			return v, true, ""
		}
		return wireValue{t: driverTime(x, r.zone)}, false, ""
	case json.Number: // a REST source decoding with UseNumber
		s, err := utf8Encoding.decodeString(string(x))
		if err != nil {
			return v, false, err.Error()
		}
		text = s
	case bool:
		text = strconv.FormatBool(x)
	case float64:
		s, ok := formatFloat(x)
		if !ok {
			return v, false, "not a finite number"
		}
		text = s
	case float32:
		s, ok := formatFloat(float64(x))
		if !ok {
			return v, false, "not a finite number"
		}
		text = s
	case uint64:
		if x > math.MaxInt64 {
			return v, false, "number out of range"
		}
		return r.convert(f, int64(x), at)
	default:
		n, ok := integerValue(raw)
		if !ok {
			return v, false, fmt.Sprintf("unsupported value type %T", raw)
		}
		if f.kind == kindInt && f.codes == nil && len(f.nulls) == 0 {
			return wireValue{n: n}, false, "" // common case, no detour through text
		}
		text = strconv.Itoa(n)
	}
	if text == "" || f.isNull(text) {
		return v, true, ""
	}
	if f.codes != nil {
		code, reason := f.codes.lookup(text, f.fold)
		if reason != "" {
			return v, false, reason
		}
		text = code
	}
	switch f.kind {
	case kindString:
		return r.fitLength(f, text, at)
	case kindInt:
		n, reason := parseInt(text)
		return wireValue{n: n}, false, reason
	case kindTime:
		t, reason := parseDateField(f, text, r.zone)
		return wireValue{t: t}, false, reason
	}
	return v, false, "unsupported field kind"
}

func parseDateField(f *fieldPlan, text string, zone *time.Location) (time.Time, string) {
	if len(f.layouts) == 0 {
		return time.Time{}, "the field has no format to read this value with; add format: with the layout the column uses (e.g. \"2006-01-02 15:04:05\", or unix)"
	}
	return parseDate(f.layouts, text, zone)
}

func (f *fieldPlan) isNull(text string) bool {
	for _, n := range f.nulls {
		if text == n {
			return true
		}
	}
	return false
}

// fitLength applies max_len: reject, or cut on a character boundary with
// a warning when truncate is set.
func (r *run) fitLength(f *fieldPlan, s string, at *location) (wireValue, bool, string) {
	if f.maxLen == 0 || len(s) <= f.maxLen { // bytes ≥ characters
		return wireValue{s: s}, false, ""
	}
	n := utf8.RuneCountInString(s)
	if n <= f.maxLen {
		return wireValue{s: s}, false, ""
	}
	if !f.truncate {
		return wireValue{}, false, fmt.Sprintf("too long: %d characters, max_len is %d; shorten it in the source or set truncate: true", n, f.maxLen)
	}
	cut := truncateRunes(s, f.maxLen)
	field := at.field(f.name)
	r.warnings = append(r.warnings, packets.Issue{
		Field:   field,
		Value:   shownValue(field, cut),
		Reason:  fmt.Sprintf("truncated from %d to %d characters (max_len %d)", n, utf8.RuneCountInString(cut), f.maxLen),
		Warning: true,
	})
	return wireValue{s: cut}, false, ""
}

// truncateRunes keeps at most max characters of NFC text s. It never cuts
// between a letter and the combining marks NFC could not fold into it
// (the letter would silently lose its accent): the letter goes too. The
// result is trimmed and normalised again; neither makes it longer.
func truncateRunes(s string, max int) string {
	n := 0
	for i := range s {
		if n == max {
			for i > 0 {
				r, _ := utf8.DecodeRuneInString(s[i:])
				if !unicode.Is(unicode.Mn, r) {
					break
				}
				_, size := utf8.DecodeLastRuneInString(s[:i])
				i -= size
			}
			s = s[:i]
			break
		}
		n++
	}
	return norm.NFC.String(strings.TrimRightFunc(s, unicode.IsSpace))
}

// shorten keeps the start of a value for a warning.
func shorten(s string) string {
	n := 0
	for i := range s {
		if n == maxQuotedRunes {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// formatFloat writes integral floats without exponent or fraction (a
// driver may return a NUMBER column as float64).
func formatFloat(x float64) (string, bool) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "", false
	}
	return strconv.FormatFloat(x, 'f', -1, 64), true
}

// integerValue accepts the integer types drivers return.
func integerValue(raw any) (int, bool) {
	switch x := raw.(type) {
	case int64:
		return int(x), true
	case int:
		return x, true
	case int32:
		return int(x), true
	case int16:
		return int(x), true
	case int8:
		return int(x), true
	case uint8:
		return int(x), true
	case uint16:
		return int(x), true
	case uint32:
		return int(x), true
	}
	return 0, false
}

// parseInt reads a whole number from text; "12.00" (a DECIMAL column) is
// accepted, "12.5" is not.
func parseInt(s string) (int, string) {
	digits := s
	if i := strings.IndexByte(s, '.'); i >= 0 {
		if strings.Trim(s[i+1:], "0") != "" || i == 0 {
			return 0, "not a whole number"
		}
		digits = s[:i]
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, "number out of range"
		}
		return 0, "not a whole number"
	}
	return int(n), ""
}
