package isodientu

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// textLayouts are the text forms of a timestamp the connector recognises
// in a text cursor column, after cursor.updated_format: SQLite's own
// datetime() forms and ISO 8601, with or without an offset. Zone-less
// text is read in the legacy zone.
var textLayouts = []string{
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

// errNull marks a NULL cursor column.
var errNull = errors.New("is NULL")

// parseTimeText reads a text timestamp in one of textLayouts (layout
// first, when given), zone-less text in loc.
func parseTimeText(s string, loc *time.Location, layout string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if layout != "" {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	for _, l := range textLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	want := "YYYY-MM-DD hh:mm:ss"
	if layout != "" {
		want = fmt.Sprintf("%q", layout)
	}
	return time.Time{}, fmt.Errorf("is not a date and time like %s", want)
}

// parseUpdated turns the driver's value of the updated column into an
// instant.
func parseUpdated(v any, loc *time.Location, layout string) (time.Time, error) {
	switch x := v.(type) {
	case nil:
		return time.Time{}, errNull
	case time.Time:
		if x.IsZero() {
			return time.Time{}, errors.New("is the zero date 0000-00-00")
		}
		return x, nil
	case []byte:
		return parseTimeText(string(x), loc, layout)
	case string:
		return parseTimeText(x, loc, layout)
	default:
		return time.Time{}, fmt.Errorf("is a %T, not a date and time column", v)
	}
}

// parseKey turns the driver's value of a key column into the key's text:
// canonical decimal for int keys (so "007" and 7 are one key), the text
// itself for string keys.
func parseKey(v any, keyType string) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", errNull
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint64:
		if x > math.MaxInt64 && keyType == KeyInt {
			return "", fmt.Errorf("%d does not fit a signed 64-bit integer", x)
		}
		return strconv.FormatUint(x, 10), nil
	case float64:
		if keyType == KeyInt {
			if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
				return "", fmt.Errorf("%v is not a whole number but cursor.key_type is int", x)
			}
			return strconv.FormatInt(int64(x), 10), nil
		}
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case []byte:
		return parseKeyText(string(x), keyType)
	case string:
		return parseKeyText(x, keyType)
	default:
		return "", fmt.Errorf("is a %T, which cannot be a key", v)
	}
}

func parseKeyText(s, keyType string) (string, error) {
	if keyType == KeyString {
		if s == "" {
			return "", errors.New("is empty")
		}
		return s, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return "", errors.New("is not an integer but cursor.key_type is int; set key_type: string")
	}
	return strconv.FormatInt(n, 10), nil
}

// rawText shows a cursor column's value in a record error.
func rawText(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return string(x)
	case time.Time:
		if x.IsZero() {
			return "0000-00-00 00:00:00"
		}
		return x.Format(time.RFC3339Nano)
	default:
		return fmt.Sprint(x)
	}
}

// wallClockIn re-reads a time's wall clock in loc. PostgreSQL's
// `timestamp without time zone` arrives from pgx as that wall clock
// labelled UTC; the legacy zone is what it means.
func wallClockIn(t time.Time, loc *time.Location) time.Time {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, t.Nanosecond(), loc)
}
