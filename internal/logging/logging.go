// Package logging builds the connector's slog loggers. Every logger it
// returns masks personal data (names, ID numbers, phone numbers, e-mail
// addresses) and secrets (passwords, tokens, DSN passwords) in messages and
// attribute values, at every level, so that a log file handed to a vendor
// or to the city's IT department never carries a citizen's identity.
//
// Masking keeps a hint ("Ng*** V*** A", "09******78", "n***@example.vn") so
// staff can still tell two records apart and match a log line to the
// legacy database.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Format names accepted in Options.Format.
const (
	FormatText = "text"
	FormatJSON = "json"
)

// Options configure New. The zero value logs at info level, as text, with
// masking on.
type Options struct {
	Level slog.Level
	// Format is FormatText (default) or FormatJSON; anything else is text.
	// The config package rejects unknown formats before they get here.
	Format string
	// Mask states that masking is wanted (Mask: true). Masking is on by
	// default and a false Mask does not turn it off: a forgotten field
	// must never leak personal data. Only Unmasked turns it off.
	Mask bool
	// Unmasked turns masking off, for debugging with synthetic data only.
	Unmasked bool
	// PersonalKeys are extra attribute keys (e.g. a legacy column name such
	// as "ten_cong_dan") whose whole value is personal data, in addition to
	// DefaultPersonalKeys(). Matching ignores case, '_', '-' and '.'.
	PersonalKeys []string
}

// New returns a logger writing to w.
func New(w io.Writer, o Options) *slog.Logger {
	ho := &slog.HandlerOptions{Level: o.Level}
	var h slog.Handler
	if strings.EqualFold(o.Format, FormatJSON) {
		h = slog.NewJSONHandler(w, ho)
	} else {
		h = slog.NewTextHandler(w, ho)
	}
	if !o.Unmasked {
		h = NewMaskingHandler(h, NewMasker(o.PersonalKeys...))
	}
	return slog.New(h)
}

// ParseLevel parses a level name as written in the config file: debug,
// info, warn (or warning), error, case-insensitive, optionally with an
// offset as slog writes it ("info+2").
func ParseLevel(s string) (slog.Level, error) {
	name := strings.ToUpper(strings.TrimSpace(s))
	name = strings.Replace(name, "WARNING", "WARN", 1)
	var l slog.Level
	if err := l.UnmarshalText([]byte(name)); err != nil {
		return 0, fmt.Errorf("log level %q: mức không hợp lệ / unknown level (use debug, info, warn or error)", s)
	}
	return l, nil
}
