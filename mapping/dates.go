package mapping

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// dateLayout is one entry of a date field's format list.
type dateLayout struct {
	layout string // Go reference layout; empty for Unix timestamps
	// unitsPerSecond is 1 for "unix" (seconds) and 1000 for "unix_ms"; 0
	// for a Go layout.
	unitsPerSecond int64
}

const (
	formatUnix   = "unix"
	formatUnixMS = "unix_ms"
)

// compileLayout checks one configured format and says how to fix it.
func compileLayout(s string) (dateLayout, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case formatUnix:
		return dateLayout{unitsPerSecond: 1}, nil
	case formatUnixMS:
		return dateLayout{unitsPerSecond: 1000}, nil
	}
	if strings.TrimSpace(s) == "" {
		return dateLayout{}, errors.New("empty layout")
	}
	// A usable layout carries at least year, month and day: formatting
	// the reference instant with it and parsing the result back must give
	// that day again. Java/.NET patterns (dd/MM/yyyy) fail here, since Go
	// layouts are written with the reference time 2006-01-02 15:04:05.
	ref := time.Date(2001, 2, 3, 16, 5, 6, 0, time.UTC)
	back, err := time.Parse(s, ref.Format(s))
	if err != nil || back.Year() != 2001 || back.Month() != 2 || back.Day() != 3 {
		msg := fmt.Sprintf("layout %q does not describe a date with year, month and day; Go layouts are written with the reference time 2006-01-02 15:04:05", s)
		if g := goLayoutFromPattern(s); g != "" && g != s {
			msg += fmt.Sprintf(" (for %s write %q)", s, g)
		}
		return dateLayout{}, errors.New(msg)
	}
	return dateLayout{layout: s}, nil
}

// goLayoutFromPattern translates the common Java/.NET/SQL date pattern
// letters to a Go layout, only to suggest a fix in an error message.
func goLayoutFromPattern(p string) string {
	r := strings.NewReplacer(
		"yyyy", "2006", "YYYY", "2006", "yy", "06",
		"MM", "01", "dd", "02", "DD", "02",
		"HH", "15", "hh", "03", "mm", "04", "ss", "05",
		"SSS", "000", "fff", "000",
	)
	return r.Replace(p)
}

// parseDate reads s with the layouts in order, in zone unless s carries
// its own offset. The reason names the layouts tried.
func parseDate(layouts []dateLayout, s string, zone *time.Location) (time.Time, string) {
	var rangeDetail string
	for _, l := range layouts {
		if l.unitsPerSecond != 0 {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				continue
			}
			t := unixTime(n, l.unitsPerSecond)
			if y := t.Year(); y < 1 || y > 9999 {
				return time.Time{}, fmt.Sprintf("Unix timestamp gives the year %d", y)
			}
			return t.In(zone), ""
		}
		t, err := time.ParseInLocation(l.layout, s, zone)
		if err == nil {
			t = t.In(zone) // one location for every date, offset or not
			if y := t.Year(); y < 1 || y > 9999 {
				return time.Time{}, fmt.Sprintf("the year %d is outside 1–9999", y)
			}
			return t, ""
		}
		// A range error ("day out of range") says more than "no match".
		var pe *time.ParseError
		if rangeDetail == "" && errors.As(err, &pe) && pe.Message != "" {
			rangeDetail = strings.TrimPrefix(pe.Message, ": ")
		}
	}
	reason := "not a valid date for " + describeLayouts(layouts)
	if rangeDetail != "" {
		reason += " (" + rangeDetail + ")"
	}
	return time.Time{}, reason
}

func unixTime(n, unitsPerSecond int64) time.Time {
	if unitsPerSecond == 1 {
		return time.Unix(n, 0)
	}
	return time.UnixMilli(n)
}

func describeLayouts(layouts []dateLayout) string {
	names := make([]string, len(layouts))
	for i, l := range layouts {
		switch l.unitsPerSecond {
		case 1:
			names[i] = formatUnix
		case 1000:
			names[i] = formatUnixMS
		default:
			names[i] = strconv.Quote(l.layout)
		}
	}
	if len(names) == 1 {
		return "layout " + names[0]
	}
	return "any of the layouts " + strings.Join(names, ", ")
}

// driverTime places a time.Time from a database driver in the legacy zone.
//
// A driver returns a column without a zone (MySQL DATETIME, PostgreSQL
// timestamp, SQLite text) as a time in UTC unless told the database's zone
// (MySQL loc=, a session time zone); the clock digits are then the legacy
// wall clock, not a UTC instant. So a UTC time is read as wall-clock time
// in the configured zone. A time in any other location was placed by a
// driver that knew the zone (MySQL with loc=Asia/Ho_Chi_Minh, PostgreSQL
// timestamptz) and is an instant already: it is used as is. A source that
// really has a UTC instant must hand it over in another location (e.g.
// t.In(zone)) or as text with an offset.
func driverTime(t time.Time, zone *time.Location) time.Time {
	if t.Location() != time.UTC {
		return t
	}
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), zone)
}
