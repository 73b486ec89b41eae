package restjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
)

// FuzzParsePage compares the streaming page parser with decoding the
// whole document: on valid JSON both find the same items and token, or
// the parser refuses a shape the configuration does not fit (the
// reference agrees, or the path is ambiguous); invalid JSON is never
// accepted. Every item found becomes a record or a record error, never a
// panic.
func FuzzParsePage(f *testing.F) {
	seeds := []struct{ doc, items, token string }{
		{`{"data":{"items":[{"id":1,"updated_at":"2024-03-01T08:00:00+07:00"}],"total":1},"paging":{"next":"o2"}}`, "data.items", "paging.next"},
		{`[{"id":"a","updated_at":1709254800},{"id":"b"},"x",null,[1]]`, "", ""},
		{`{"data":null}`, "data.items", "next"},
		{`{"data":{"items":null},"next":7}`, "data.items", "next"},
		{`{"data":{"items":[],"items":[1]}}`, "data.items", ""},
		{`{"data":[{"items":[]}]}`, "data.items", ""},
		{`{"rows":{"id":1}}`, "rows", "next"},
		{`{"rows":[]} trailing`, "rows", ""},
		{`{"rows":[{"id":1e400}]}`, "rows", ""},
		{`{"a":{"b":{"c":[{"id":"\u00e9","updated_at":"2024-03-01 08:00:00"}]}},"n":{"t":"/next?p=2"}}`, "a.b.c", "n.t"},
		{`{"rows":[{"id":9223372036854775808,"updated_at":"9999-12-31T23:59:59Z"}]}`, "rows", ""},
		{"", "rows", ""},
	}
	for _, s := range seeds {
		f.Add([]byte(s.doc), s.items, s.token)
	}
	formats := compileFormats(append([]string{"unix", "unix_ms"}, defaultUpdatedFormats...))
	f.Fuzz(func(t *testing.T, doc []byte, itemsPath, tokenPath string) {
		if len(itemsPath) > 40 || len(tokenPath) > 40 || checkPath(itemsPath, true) != "" || (tokenPath != "" && checkPath(tokenPath, false) != "") {
			return
		}
		spec := pageSpec{items: splitPath(itemsPath)}
		if tokenPath != "" {
			spec.token = splitPath(tokenPath)
			if len(spec.items) == 0 || slicesOverlap(spec.items, spec.token) {
				return // refused by Validate
			}
		}
		pg, err := parsePage(bytes.NewReader(doc), spec)
		valid := json.Valid(doc)
		if err == nil && !valid {
			t.Fatalf("parsePage accepted invalid JSON %q", doc)
		}
		if !valid {
			return
		}
		var whole any
		dec := json.NewDecoder(bytes.NewReader(doc))
		dec.UseNumber()
		if derr := dec.Decode(&whole); derr != nil {
			if err == nil {
				t.Fatalf("parsePage accepted %q, which does not decode: %v", doc, derr)
			}
			return // e.g. a number too large for the decoder in both
		}
		want, refErr := referencePage(whole, spec)
		if err != nil {
			var shape *shapeError
			if !errors.As(err, &shape) {
				t.Fatalf("valid JSON %q: %v", doc, err)
			}
			if refErr == nil && !strings.Contains(err.Error(), "twice") {
				t.Fatalf("parsePage refused %q (%v) but the whole document fits: %+v", doc, err, want)
			}
			return
		}
		if refErr != nil {
			t.Fatalf("parsePage accepted %q but the whole document does not fit: %v", doc, refErr)
		}
		if pg.itemsFound != want.itemsFound || pg.token != want.token || len(pg.items) != len(want.items) ||
			(len(pg.items) > 0 && !reflect.DeepEqual(pg.items, want.items)) {
			t.Fatalf("parsePage(%q) = %+v\nwhole document: %+v", doc, pg, want)
		}

		sp := &itemSpec{stream: "s", items: itemsPath, key: []string{"id"}, keyName: "id", keyType: KeyInt,
			upd: []string{"updated_at"}, updName: "updated_at", formats: formats, loc: vn}
		for _, keyType := range []string{KeyInt, KeyString} {
			sp.keyType = keyType
			for _, v := range pg.items {
				it := sp.makeItem(v)
				rerr := connectors.RecordErrorOf(it.rec)
				switch {
				case it.placed && (rerr != nil || it.rec.Key == "" || it.rec.Key != it.pos.Key || it.pos.Updated.Year() < 1 || it.pos.Updated.Year() > 9999):
					t.Fatalf("item %s: placed with key %q pos %s error %v", jsonText(v), it.rec.Key, describeCursor(it.pos), rerr)
				case !it.placed && (rerr == nil || rerr.Field == "" || rerr.Reason == "" || it.rec.Key == ""):
					t.Fatalf("item %s: not placed but error %+v, key %q", jsonText(v), rerr, it.rec.Key)
				case len(it.id) != 64:
					t.Fatalf("item %s: fingerprint %q", jsonText(v), it.id)
				}
			}
		}
	})
}

func slicesOverlap(a, b []string) bool {
	return reflect.DeepEqual(a, b) || isPrefix(a, b) || isPrefix(b, a)
}

// referencePage finds the items and token in a wholly decoded document,
// with the parser's rules: null or absent on the way means absent; another
// non-object on the way, or items that are neither an array nor null, or a
// token that is neither text, a number nor null, do not fit.
func referencePage(doc any, spec pageSpec) (page, error) {
	var out page
	items, found, err := walkRef(doc, spec.items)
	if err != nil {
		return out, err
	}
	switch x := items.(type) {
	case nil:
		out.itemsFound = found
	case []any:
		out.itemsFound = true
		out.items = x
	default:
		return out, errors.New("items are not an array")
	}
	if spec.token != nil {
		tok, _, err := walkRef(doc, spec.token)
		if err != nil {
			return out, err
		}
		switch x := tok.(type) {
		case nil:
		case string:
			out.token = x
		case json.Number:
			out.token = x.String()
		default:
			return out, errors.New("token is not text")
		}
	}
	return out, nil
}

func walkRef(doc any, path []string) (any, bool, error) {
	cur := doc
	for _, seg := range path {
		switch m := cur.(type) {
		case nil:
			return nil, false, nil
		case map[string]any:
			v, ok := m[seg]
			if !ok {
				return nil, false, nil
			}
			cur = v
		default:
			return nil, false, errors.New("not an object on the way")
		}
	}
	return cur, true, nil
}

// Any value either parses to a time in years 1–9999 or is refused; a time
// written as unix seconds or RFC 3339 reads back as the same instant.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2024-03-01T08:00:00+07:00", "1709254800", "1709254800.5", "-1", "2024-03-01 08:00:00", "", "99999999999999999", "0000-01-01T00:00:00Z"} {
		f.Add(s, int64(1709254800))
	}
	formats := compileFormats([]string{"unix", "RFC3339", "2006-01-02 15:04:05"})
	f.Fuzz(func(t *testing.T, s string, unix int64) {
		for _, v := range []any{s, json.Number(s)} {
			if got, err := parseTime(v, formats, vn); err == nil && (got.Year() < 1 || got.Year() > 9999) {
				t.Fatalf("parseTime(%q) = %v: year out of range", s, got)
			}
		}
		if unix < -62135596800 || unix > 253402300799-86400 {
			return
		}
		want := time.Unix(unix, 0)
		for _, text := range []string{want.Format(time.RFC3339), formatSince(want, FormatUnix, vn), formatSince(want, "2006-01-02 15:04:05", vn)} {
			got, err := parseTime(text, formats, vn)
			if err != nil || !got.Equal(want) {
				t.Fatalf("round trip of %v via %q: %v, %v", want, text, got, err)
			}
		}
	})
}
