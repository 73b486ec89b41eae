package connectors

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
)

// Secret is a configuration value that must never be printed: fmt, slog,
// JSON, YAML and text encoders all see "[REDACTED]" (or "" when empty, so
// "not set" stays visible). Reveal returns the value, for the one place
// that needs it.
type Secret string

// Redacted is what a Secret prints instead of its value.
const Redacted = "[REDACTED]"

// String returns "[REDACTED]", or "" for an empty secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return Redacted
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// Format implements fmt.Formatter so that every verb prints the redacted
// form: without it, a verb that does not fit a string (%d) makes fmt print
// the raw value in its "%!d(connectors.Secret=…)" complaint.
func (s Secret) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'q', verb == 'v' && f.Flag('#'):
		_, _ = io.WriteString(f, strconv.Quote(s.String()))
	default:
		_, _ = io.WriteString(f, s.String())
	}
}

// MarshalText implements encoding.TextMarshaler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalYAML implements yaml.Marshaler.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Reveal returns the secret itself. Call it only where the value is used
// (an HTTP request, a key file), never to print.
func (s Secret) Reveal() string { return string(s) }
