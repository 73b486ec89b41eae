package dvcqg

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Reply is the portal's answer envelope (SPEC-dvcqg.md §1.4).
type Reply struct {
	// Code is error_code as text ("0", "3", "-3" …), whether the portal
	// sent a number or a string.
	Code string
	// Message is the human text, usually Vietnamese.
	Message string
	// Session is the login answer's session; empty elsewhere.
	Session string
	// Result is the raw "result" value (an array of rows for lookups);
	// nil when absent or null.
	Result json.RawMessage
}

// OK reports whether the portal accepted the call (error_code 0).
func (r Reply) OK() bool {
	n, err := strconv.ParseInt(r.Code, 10, 64)
	return err == nil && n == 0
}

// maxReplyDepth bounds how deep a reply may nest before it is refused;
// catalogue rows nest four levels (LayThuTuc), so this is generous.
const maxReplyDepth = 32

// ParseReply reads the portal's answer envelope: a JSON object with
// error_code (number or numeric string), message, result and, for login,
// session. A Thanh Hóa-style proxy answer that carries the portal's JSON
// as a string in "message" is unwrapped (one level). Anything else —
// not JSON, not an object, no error_code, nesting deeper than the portal
// ever sends — is an error that describes the body without quoting JSON
// (which may hold personal data).
func ParseReply(body []byte) (Reply, error) {
	r, err := parseReply(body, true)
	if err != nil {
		return Reply{}, fmt.Errorf("national portal answer %s: %w", describeBody(body), err)
	}
	return r, nil
}

func parseReply(body []byte, unwrap bool) (Reply, error) {
	body = bytes.TrimPrefix(bytes.TrimSpace(body), []byte("\xef\xbb\xbf"))
	if len(body) == 0 {
		return Reply{}, errors.New("empty body")
	}
	if body[0] != '{' {
		return Reply{}, errors.New("not a JSON object")
	}
	if d := jsonDepth(body); d > maxReplyDepth {
		return Reply{}, fmt.Errorf("nested %d levels deep, more than %d", d, maxReplyDepth)
	}
	var raw struct {
		ErrorCode json.RawMessage `json:"error_code"`
		Message   json.RawMessage `json:"message"`
		Session   json.RawMessage `json:"session"`
		Result    json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return Reply{}, fmt.Errorf("not valid JSON: %w", err)
	}
	message, msgIsString, err := textOf(raw.Message, "message")
	if err != nil {
		return Reply{}, err
	}
	if unwrap && msgIsString && isNull(raw.Result) {
		// A province proxy may wrap the portal's whole answer in message.
		if inner := strings.TrimSpace(message); strings.HasPrefix(inner, "{") {
			if r, err := parseReply([]byte(inner), false); err == nil {
				return r, nil
			}
		}
	}
	if isNull(raw.ErrorCode) {
		return Reply{}, errors.New("no error_code")
	}
	code, err := codeOf(raw.ErrorCode)
	if err != nil {
		return Reply{}, err
	}
	session, _, err := textOf(raw.Session, "session")
	if err != nil {
		return Reply{}, err
	}
	r := Reply{Code: code, Message: message, Session: session}
	if !isNull(raw.Result) {
		r.Result = raw.Result
	}
	return r, nil
}

// codeOf reads error_code: an integer, written as a JSON number ("3",
// "-3.0") or a string holding one (" -3 ").
func codeOf(raw json.RawMessage) (string, error) {
	s := strings.TrimSpace(string(raw))
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("error_code: %w", err)
		}
		s = strings.TrimSpace(s)
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return strconv.FormatInt(n, 10), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return "", fmt.Errorf("error_code %s is not a whole number", abbreviate(string(raw)))
	}
	return strconv.FormatInt(int64(f), 10), nil
}

// textOf reads a value that should be a string; a number or boolean is
// taken as its text, an object or array as its JSON. isString tells which.
func textOf(raw json.RawMessage, key string) (text string, isString bool, err error) {
	if isNull(raw) {
		return "", false, nil
	}
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte(`"`)) {
		if err := json.Unmarshal(raw, &text); err != nil {
			return "", false, fmt.Errorf("%s: %w", key, err)
		}
		return text, true, nil
	}
	return strings.TrimSpace(string(raw)), false, nil
}

func isNull(raw json.RawMessage) bool {
	s := bytes.TrimSpace(raw)
	return len(s) == 0 || string(s) == "null"
}

// jsonDepth returns the deepest nesting of objects and arrays in b,
// skipping strings. It only counts; json.Unmarshal judges validity.
func jsonDepth(b []byte) int {
	depth, deepest, inString, escaped := 0, 0, false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

// describeBody names a body for an error message: its size, and the
// start of it only when it is not JSON (an HTML error page of a proxy is
// worth reading; JSON rows may hold personal data).
func describeBody(b []byte) string {
	t := bytes.TrimSpace(b)
	if len(t) == 0 || t[0] == '{' || t[0] == '[' {
		return fmt.Sprintf("(%d bytes)", len(b))
	}
	const n = 80
	start := t
	if len(start) > n {
		start = start[:n]
	}
	return fmt.Sprintf("(%d bytes, starting %s)", len(b), strconv.Quote(strings.ToValidUTF8(string(start), "\uFFFD")))
}

func abbreviate(s string) string {
	if len(s) > 40 {
		return strconv.Quote(s[:40]) + "…"
	}
	return strconv.Quote(s)
}
