package mapping

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// Error is why one record could not be mapped. The pipeline quarantines the
// record with it; nothing about the record is guessed.
type Error struct {
	Stream string
	Key    string // the record's key in its stream
	// Field is the packet field, with the list position for child rows
	// (TaiLieuNop[3].TenTepDinhKem; positions count from 0).
	Field string
	// Column is the source column, with the child list and position for
	// child rows (tai_lieu[3].ten_tai_lieu).
	Column string
	// Value is the offending source value, already quoted with %q and
	// shortened; empty when the value is NULL or absent. Callers that log
	// the error may replace it (see Masked).
	Value  string
	Reason string

	valueLen int // characters in the source value, for Masked
}

// Error renders e.g.
//
//	ho_so 1234: field NgayTiepNhan (column ngay_nhan) value "31/02/2025": not a valid date for layout "02/01/2006"
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Stream)
	if e.Key != "" {
		b.WriteByte(' ')
		b.WriteString(e.Key)
	}
	if e.Field != "" {
		b.WriteByte(':')
		b.WriteString(" field ")
		b.WriteString(e.Field)
		if e.Column != "" {
			b.WriteString(" (column ")
			b.WriteString(e.Column)
			b.WriteByte(')')
		}
	}
	if e.Value != "" {
		b.WriteString(" value ")
		b.WriteString(e.Value)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// Masked returns a copy of e whose Value is hidden when Field may hold
// personal data (names, identity numbers, phones, free text), so the error
// can be logged. Codes, dates and numbers stay: a status word or a bad
// date is what the reader needs to fix the source.
func (e *Error) Masked() *Error {
	c := *e
	if c.Value != "" && PersonalField(c.Field) {
		if c.valueLen > 0 {
			c.Value = fmt.Sprintf("[hidden, %d characters]", c.valueLen)
		} else {
			c.Value = "[hidden]"
		}
	}
	return &c
}

// PersonalField reports whether a packet field (optionally with a list
// path such as DinhDanhCHS[0].SoDinhDanh) may hold personal data, so its
// values must not be logged. It is packets' rule, shared so mapping,
// validation and the delivery log hide the same things.
func PersonalField(field string) bool { return packets.PersonalField(field) }

// shownValue is a value as a warning may show it: shortened, and hidden
// for fields that may hold personal data.
func shownValue(field, value string) string {
	if value == "" {
		return ""
	}
	if PersonalField(field) {
		return fmt.Sprintf("[hidden, %d characters]", utf8.RuneCountInString(value))
	}
	return shorten(value)
}

// maxQuotedRunes bounds how much of a value an error repeats: enough to
// recognise it, not a whole document.
const maxQuotedRunes = 64

// quoteValue renders a source value for Error.Value.
func quoteValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return quoteText(v)
	case []byte:
		return quoteText(string(v))
	case time.Time:
		return strconv.Quote(v.Format(time.RFC3339Nano))
	default:
		return quoteText(fmt.Sprint(v))
	}
}

// quoteText quotes s with %q, cut after maxQuotedRunes characters with
// the full length noted, so invalid bytes still show as \x escapes.
func quoteText(s string) string {
	n := 0
	for i := range s {
		if n == maxQuotedRunes {
			total := utf8.RuneCountInString(s)
			return strconv.Quote(s[:i]) + fmt.Sprintf("… (%d characters)", total)
		}
		n++
	}
	return strconv.Quote(s)
}

// ConfigError is one problem in the mapping configuration, with the key
// path that locates it in the YAML.
type ConfigError struct {
	Path   string // e.g. mapping.streams.ho_so.fields.NgayTiepNhan.format
	Reason string
}

func (e *ConfigError) Error() string { return e.Path + ": " + e.Reason }
