package restjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// timeFormat is one compiled entry of updated_format (or since_format).
type timeFormat struct {
	layout string // Go layout; empty for unix / unix_ms
	// unitsPerSecond is 1 for unix, 1000 for unix_ms, 0 for a layout.
	unitsPerSecond int64
}

// normalizeFormat maps the named formats (any letter case) to their
// canonical spelling; a Go layout is returned unchanged.
func normalizeFormat(f string) string {
	switch strings.ToLower(strings.TrimSpace(f)) {
	case "rfc3339", "rfc3339nano":
		return time.RFC3339
	case FormatUnix:
		return FormatUnix
	case FormatUnixMS:
		return FormatUnixMS
	}
	return f
}

// compileFormat checks one configured format and says how to fix it.
func compileFormat(f string) (timeFormat, error) {
	switch n := normalizeFormat(f); n {
	case FormatUnix:
		return timeFormat{unitsPerSecond: 1}, nil
	case FormatUnixMS:
		return timeFormat{unitsPerSecond: 1000}, nil
	case time.RFC3339:
		return timeFormat{layout: time.RFC3339}, nil
	}
	if strings.TrimSpace(f) == "" {
		return timeFormat{}, errors.New("empty format; use RFC3339, unix, unix_ms or a Go layout such as 2006-01-02 15:04:05")
	}
	// A usable layout carries at least the date: formatting the reference
	// instant with it and parsing it back gives the same day. Java/.NET
	// patterns (dd/MM/yyyy) fail here.
	ref := time.Date(2001, 2, 3, 16, 5, 6, 0, time.UTC)
	back, err := time.Parse(f, ref.Format(f))
	if err != nil || back.Year() != 2001 || back.Month() != 2 || back.Day() != 3 {
		return timeFormat{}, fmt.Errorf("%q is not RFC3339, unix, unix_ms or a Go layout with year, month and day; Go layouts are written with the reference time 2006-01-02 15:04:05", f)
	}
	return timeFormat{layout: f}, nil
}

func compileFormats(list []string) []timeFormat {
	out := make([]timeFormat, 0, len(list))
	for _, f := range list {
		if tf, err := compileFormat(f); err == nil { // validated already
			out = append(out, tf)
		}
	}
	return out
}

func (f timeFormat) String() string {
	switch f.unitsPerSecond {
	case 1:
		return FormatUnix
	case 1000:
		return FormatUnixMS
	}
	if f.layout == time.RFC3339 {
		return FormatRFC3339
	}
	return strconv.Quote(f.layout)
}

// parseTime reads an item's update time: a JSON string in one of the
// formats (zone-less text in loc), or a JSON number for unix / unix_ms (or
// a numeric layout such as 20060102150405). The result is in loc.
func parseTime(v any, formats []timeFormat, loc *time.Location) (time.Time, error) {
	var text string
	switch x := v.(type) {
	case nil:
		return time.Time{}, errors.New("is null")
	case string:
		text = strings.TrimSpace(x)
	case json.Number:
		text = x.String()
	default:
		return time.Time{}, fmt.Errorf("is a JSON %s, not a time", jsonKind(v))
	}
	if text == "" {
		return time.Time{}, errors.New("is empty")
	}
	for _, f := range formats {
		var t time.Time
		if f.unitsPerSecond != 0 {
			var ok bool
			if t, ok = parseUnix(text, f.unitsPerSecond); !ok {
				continue
			}
		} else {
			var err error
			if t, err = time.ParseInLocation(f.layout, text, loc); err != nil {
				continue
			}
		}
		// Both the instant (UTC) and the wall clock in loc stay within
		// years 1–9999, which every format and database can write.
		t = t.In(loc)
		for _, y := range []int{t.Year(), t.UTC().Year()} {
			if y < 1 || y > 9999 {
				return time.Time{}, fmt.Errorf("gives the year %d, outside 1–9999", y)
			}
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("does not match %s", describeFormats(formats))
}

// unixRE is a Unix time as text: an integer with an optional decimal
// fraction ("1709254800.25").
var unixRE = regexp.MustCompile(`^(-?)([0-9]{1,16})(?:\.([0-9]+))?$`)

// parseUnix reads a Unix time in seconds (unitsPerSecond 1) or
// milliseconds (1000). Values too large for years 1–9999 are refused
// rather than wrapped.
func parseUnix(text string, unitsPerSecond int64) (time.Time, bool) {
	m := unixRE.FindStringSubmatch(text)
	if m == nil {
		return time.Time{}, false
	}
	whole, err := strconv.ParseInt(m[2], 10, 64)
	if err != nil || whole > 1e15 {
		return time.Time{}, false
	}
	// Nanoseconds of one unit, and the fraction's digits down to 1 ns.
	unitNS := int64(time.Second) / unitsPerSecond
	digits := len(strconv.FormatInt(unitNS, 10)) - 1
	frac := (m[3] + strings.Repeat("0", digits))[:digits]
	fracNS, _ := strconv.ParseInt("0"+frac, 10, 64)
	sec := whole / unitsPerSecond
	nsec := (whole%unitsPerSecond)*unitNS + fracNS
	if sec > 300000000000 {
		return time.Time{}, false
	}
	if m[1] == "-" {
		sec, nsec = -sec, -nsec
	}
	return time.Unix(sec, nsec), true
}

func describeFormats(formats []timeFormat) string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.String()
	}
	if len(names) == 1 {
		return "the format " + names[0]
	}
	return "any of the formats " + strings.Join(names, ", ")
}

// formatSince writes a cursor time for the since parameter.
func formatSince(t time.Time, format string, loc *time.Location) string {
	switch f := normalizeFormat(format); f {
	case FormatUnix:
		return strconv.FormatInt(t.Unix(), 10)
	case FormatUnixMS:
		return strconv.FormatInt(t.UnixMilli(), 10)
	default:
		return t.In(loc).Format(f)
	}
}

// errMissing marks a field the item does not have.
var errMissing = errors.New("is missing")

// parseKey turns an item's key value into the key's text: canonical
// decimal for int keys (so "007" and 7 are one key), the text itself for
// string keys (a JSON number keeps its JSON spelling).
func parseKey(v any, keyType string) (string, error) {
	var text string
	switch x := v.(type) {
	case nil:
		return "", errors.New("is null")
	case string:
		text = x
	case json.Number:
		text = x.String()
		if keyType == KeyInt {
			return intKeyOfNumber(text)
		}
	default:
		return "", fmt.Errorf("is a JSON %s, which cannot be a key", jsonKind(v))
	}
	if keyType == KeyString {
		if text == "" {
			return "", errors.New("is empty")
		}
		return text, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64)
	if err != nil {
		return "", errors.New("is not an integer but key_type is int; set key_type: string")
	}
	return strconv.FormatInt(n, 10), nil
}

// intKeyOfNumber accepts a JSON number that is a whole 64-bit integer,
// also when written 42.0 or 4.2e1.
func intKeyOfNumber(text string) (string, error) {
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return strconv.FormatInt(n, 10), nil
	}
	r, ok := new(big.Rat).SetString(text)
	if !ok || !r.IsInt() || !r.Num().IsInt64() {
		return "", fmt.Errorf("%s is not a whole 64-bit number but key_type is int", text)
	}
	return strconv.FormatInt(r.Num().Int64(), 10), nil
}

// compareKeys orders two keys of one stream: numerically for int keys,
// byte by byte for string keys. The empty key (a position at the start of
// a timestamp) sorts before every other key.
func compareKeys(a, b, keyType string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return -1
	case b == "":
		return 1
	}
	if keyType == KeyInt {
		x, errx := strconv.ParseInt(a, 10, 64)
		y, erry := strconv.ParseInt(b, 10, 64)
		if errx == nil && erry == nil {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
	}
	return strings.Compare(a, b)
}

// jsonKind names the JSON type of a decoded value.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T", v)
}

// column converts a decoded JSON value into a record value the mapping
// reads: scalars stay scalars (string, json.Number, bool, nil); an array
// of objects becomes a child list ([]map[string]any, its rows converted
// the same way), which the mapping's lists read; any other object or
// array becomes its compact JSON text.
func column(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return jsonText(x)
	case []any:
		if len(x) == 0 {
			return []map[string]any{}
		}
		rows := make([]map[string]any, len(x))
		for i, e := range x {
			obj, ok := e.(map[string]any)
			if !ok {
				return jsonText(x)
			}
			row := make(map[string]any, len(obj))
			for k, fv := range obj {
				row[k] = column(fv)
			}
			rows[i] = row
		}
		return rows
	}
	return v
}

// jsonText is the compact JSON of a decoded value (keys sorted).
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil { // decoded JSON always re-encodes; kept for safety
		return fmt.Sprint(v)
	}
	return string(b)
}

// lookup follows a dot path into a decoded object.
func lookup(obj map[string]any, path []string) (any, bool) {
	var cur any = obj
	for _, seg := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[seg]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func splitPath(p string) []string {
	if p == "" {
		return nil
	}
	return strings.Split(p, ".")
}

// rawText shows a key or time value in a record error.
func rawText(v any, present bool) string {
	if !present {
		return ""
	}
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return "(" + jsonKind(v) + ")"
}
