// Package catalog keeps a local cache of the shared code catalogs the
// connector maps with: the national portal's catalogues (LayDanhMucCoQuan,
// LayDanhMucLinhVuc, LayDanhSachTTHC, LayThuTuc, LayDanhMucTinhThanh …) and
// the city's own catalogs pulled through LGSP (units, officials,
// procedures, rating criteria). Each entry carries its validity dates, so
// a dossier received in 2024 is checked against the units that existed in
// 2024, not against the wards created on 2025-07-01.
//
// The cache is an SQLite file of its own (WAL, so `catalogs list` can read
// it while `run` refreshes it). A refresh replaces one catalog in one
// transaction: readers see the old catalog or the new one, never a mix,
// and a failed fetch leaves the old one in place.
package catalog

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Entry is one code of a catalog.
type Entry struct {
	// Code is the key within the catalog (MADONVI, MATTHC, an officer
	// code …), exactly as it travels on the wire.
	Code string `json:"code"`
	// Name is the entry's display name (TENDONVI, TENTTHC …).
	Name string `json:"name"`
	// Parent is the code of the enclosing entry, when the catalog is a
	// tree (a ward's province, an officer's unit); "" otherwise.
	Parent string `json:"parent,omitempty"`
	// Extra holds the entry's other attributes as text (MALINHVUC of a
	// procedure, a dissolved unit's successor …).
	Extra map[string]string `json:"extra,omitempty"`
	// ValidFrom and ValidTo bound the days on which the code is valid,
	// both inclusive, as YYYY-MM-DD in Viet Nam's calendar; "" means
	// unbounded on that side.
	ValidFrom string `json:"valid_from,omitempty"`
	ValidTo   string `json:"valid_to,omitempty"`
}

// ValidOn reports whether the entry is valid on day (YYYY-MM-DD).
func (e Entry) ValidOn(day string) bool {
	return (e.ValidFrom == "" || e.ValidFrom <= day) && (e.ValidTo == "" || day <= e.ValidTo)
}

// Info describes one cached catalog.
type Info struct {
	Name      string    `json:"name"`
	Rows      int       `json:"rows"`
	FetchedAt time.Time `json:"fetched_at"`
	// Source says where the rows came from: an LGSP path, a DVCQG service.
	Source string `json:"source"`
	// LastAttempt and LastError describe the most recent refresh when it
	// failed after FetchedAt; both are zero when the last refresh worked.
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
}

// Zone is the calendar validity dates are written in. Viet Nam has kept
// UTC+07:00 without daylight saving since 1975.
var Zone = time.FixedZone("ICT", 7*3600)

// Day returns the calendar day of t in Viet Nam, as YYYY-MM-DD.
func Day(t time.Time) string { return t.In(Zone).Format(time.DateOnly) }

// Limits on what a catalog may hold; a larger answer is a wrong endpoint,
// not a catalog.
const (
	MaxEntries    = 500_000
	maxCodeLen    = 200
	maxNameLen    = 2000
	maxExtraKeys  = 64
	maxExtraValue = 8000
)

// ValidName reports whether name can name a catalog: letters, digits and
// '_', 1 to 64 characters (LayThuTuc, rating_criteria).
func ValidName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, r := range name {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// normalize checks the entries of one fetch and returns them cleaned
// (trimmed, Unicode NFC) and sorted by code and start of validity. Every
// problem is reported, up to a handful, with the entry's position and
// code, because the data comes from outside.
func normalize(catalog string, in []Entry) ([]Entry, error) {
	if len(in) > MaxEntries {
		return nil, fmt.Errorf("catalog %s: %d entries, more than the %d a catalog may hold; is the endpoint right?", catalog, len(in), MaxEntries)
	}
	out := make([]Entry, len(in))
	var errs []error
	fail := func(i int, code, format string, args ...any) {
		if len(errs) < 10 {
			errs = append(errs, fmt.Errorf("catalog %s entry %d (code %q): %s", catalog, i, code, fmt.Sprintf(format, args...)))
		} else if len(errs) == 10 {
			errs = append(errs, errors.New("… further problems not listed"))
		}
	}
	for i, e := range in {
		c := Entry{
			Code:   cleanText(e.Code),
			Name:   cleanText(e.Name),
			Parent: cleanText(e.Parent),
		}
		switch {
		case c.Code == "":
			fail(i, e.Code, "empty code")
			continue
		case !utf8.ValidString(e.Code) || strings.ContainsFunc(c.Code, isControl):
			fail(i, e.Code, "the code contains invalid or control characters")
			continue
		case len(c.Code) > maxCodeLen:
			fail(i, shortText(c.Code), "code longer than %d bytes", maxCodeLen)
			continue
		}
		if utf8.RuneCountInString(c.Name) > maxNameLen {
			fail(i, c.Code, "name longer than %d characters", maxNameLen)
		}
		var err error
		if c.ValidFrom, err = parseDay(e.ValidFrom); err != nil {
			fail(i, c.Code, "valid_from: %v", err)
		}
		if c.ValidTo, err = parseDay(e.ValidTo); err != nil {
			fail(i, c.Code, "valid_to: %v", err)
		}
		if c.ValidFrom != "" && c.ValidTo != "" && c.ValidTo < c.ValidFrom {
			fail(i, c.Code, "valid_to %s is before valid_from %s", c.ValidTo, c.ValidFrom)
		}
		if len(e.Extra) > maxExtraKeys {
			fail(i, c.Code, "%d extra attributes, more than %d", len(e.Extra), maxExtraKeys)
		} else if len(e.Extra) > 0 {
			c.Extra = make(map[string]string, len(e.Extra))
			for k, v := range e.Extra {
				k, v = cleanText(k), cleanText(v)
				if k == "" || len(v) > maxExtraValue {
					fail(i, c.Code, "extra attribute %q is unnamed or longer than %d bytes", k, maxExtraValue)
					continue
				}
				if v != "" {
					c.Extra[k] = v
				}
			}
		}
		out[i] = c
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Code != out[j].Code {
			return out[i].Code < out[j].Code
		}
		return out[i].ValidFrom < out[j].ValidFrom
	})
	// One code may appear several times (a unit renamed in place), but
	// its validity periods must not overlap, or a lookup would have two
	// answers.
	for i := 1; i < len(out); i++ {
		prev, cur := out[i-1], out[i]
		if prev.Code != cur.Code {
			continue
		}
		if prev.ValidTo == "" || cur.ValidFrom == "" || cur.ValidFrom <= prev.ValidTo {
			fail(i, cur.Code, "appears more than once with overlapping validity (%s) and (%s); each period of a code must be distinct",
				period(prev), period(cur))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func period(e Entry) string {
	from, to := e.ValidFrom, e.ValidTo
	if from == "" {
		from = "…"
	}
	if to == "" {
		to = "…"
	}
	return from + " – " + to
}

func cleanText(s string) string {
	s = strings.TrimSpace(strings.ToValidUTF8(s, "\uFFFD"))
	return norm.NFC.String(s)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func shortText(s string) string {
	if len(s) <= 40 {
		return s
	}
	cut := 40
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// dayLayouts are the ways catalogs write a validity date. Times of day
// are ignored: validity is by calendar day.
var dayLayouts = []string{
	time.DateOnly,         // 2025-06-30
	"02/01/2006",          // 30/06/2025
	"20060102",            // 20250630
	"20060102150405",      // 20250630000000, the portal's timestamps
	time.RFC3339,          // 2025-06-30T00:00:00+07:00
	"2006-01-02T15:04:05", // without offset
	"2006-01-02 15:04:05", // SQL style
	"02/01/2006 15:04:05", // dd/MM/yyyy HH:mm:ss
}

// parseDay reads a validity date in any of dayLayouts and returns it as
// YYYY-MM-DD; "" stays "".
func parseDay(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	for _, layout := range dayLayouts {
		if t, err := time.ParseInLocation(layout, s, Zone); err == nil {
			if t.Year() < 1900 || t.Year() > 9999 {
				return "", fmt.Errorf("date %q is out of range", s)
			}
			return Day(t), nil
		}
	}
	return "", fmt.Errorf("date %q is not YYYY-MM-DD (nor dd/MM/yyyy, yyyyMMdd, yyyyMMddHHmmss, RFC 3339)", shortText(s))
}
