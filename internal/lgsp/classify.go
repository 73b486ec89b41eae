package lgsp

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Class says what the caller (the outbox) should do with a packet after one
// Send. The zero value is never returned by this package.
type Class int

// Delivery classes. See Classify for the rules.
const (
	// ClassDelivered: LGSP acknowledged the packet; mark it delivered.
	ClassDelivered Class = iota + 1
	// ClassPermanent: resending the same bytes cannot succeed (rejected
	// packet, refused credentials, untrusted TLS certificate). When Err
	// wraps ErrConfig the packet is fine and the connector's setup is not:
	// pause delivery and alert instead of dead-lettering every packet.
	ClassPermanent
	// ClassThrottled: LGSP asked us to slow down; wait RetryAfter (when
	// non-zero) before the next attempt.
	ClassThrottled
	// ClassTransient: network trouble, timeout or server error; retry
	// later with backoff.
	ClassTransient
)

// String returns the class name used in logs and the delivery log.
func (c Class) String() string {
	switch c {
	case ClassDelivered:
		return "delivered"
	case ClassPermanent:
		return "permanent"
	case ClassThrottled:
		return "throttled"
	case ClassTransient:
		return "transient"
	}
	return "unknown"
}

// ErrConfig marks failures caused by the connector's configuration or trust
// setup rather than by the packet: TLS verification failure, a client
// certificate the server refuses, client credentials or tokens LGSP
// rejects, a redirect. Such results are ClassPermanent; test with
// errors.Is(result.Err, lgsp.ErrConfig).
var ErrConfig = errors.New("LGSP connection is misconfigured")

// MaxExcerpt is the largest response excerpt kept in a Result.
const MaxExcerpt = 1024

// WSO2 API Manager fault codes that matter to a client
// (apim.docs.wso2.com, "Error Handling" and "Handle Rate Limiting Errors").
var (
	// wso2AuthCodes mean the token was not accepted: refresh once, retry once.
	wso2AuthCodes = map[int]bool{
		900901: true, // invalid credentials
		900902: true, // missing credentials
		900903: true, // access token expired
		900904: true, // access token inactive
	}
	// wso2ThrottleCodes mean "slow down". 900805 (message blocked) is
	// deliberately absent: a block is an administrative decision, not a
	// rate limit, and waiting does not lift it.
	wso2ThrottleCodes = map[int]bool{
		900800: true, 900801: true, 900802: true, 900803: true,
		900804: true, 900806: true, 900807: true,
	}
)

// Classify maps one HTTP outcome to a delivery class and, for throttling,
// the wait the server asked for. Rules:
//   - err that is a TLS or certificate failure: ClassPermanent (a
//     configuration problem; retrying cannot fix it and must not hide it);
//   - any other err (network, timeout): ClassTransient;
//   - 2xx: ClassDelivered, unless the JSON body carries an error_code other
//     than 0/"0" (LGSP and DVCQG report rejections inside a 200): ClassPermanent;
//   - 429, 503, or a WSO2 throttling fault code in the body: ClassThrottled;
//   - 408 and other 5xx: ClassTransient;
//   - everything else (3xx, 4xx): ClassPermanent.
func Classify(status int, h http.Header, body []byte, err error) (Class, time.Duration) {
	return classify(time.Now(), status, h, body, err)
}

func classify(now time.Time, status int, h http.Header, body []byte, err error) (Class, time.Duration) {
	if err != nil {
		if isTLSError(err) {
			return ClassPermanent, 0
		}
		return ClassTransient, 0
	}
	if status >= 200 && status < 300 {
		if code, ok := bodyErrorCode(body); ok && !isZeroCode(code) {
			return ClassPermanent, 0
		}
		return ClassDelivered, 0
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable ||
		wso2ThrottleCodes[wso2FaultCode(body)] {
		wait, _ := parseRetryAfter(h.Get("Retry-After"), now)
		return ClassThrottled, wait
	}
	if status == http.StatusRequestTimeout || (status >= 500 && status <= 599) {
		return ClassTransient, 0
	}
	return ClassPermanent, 0
}

// isAuthFailure reports whether a response means "your token is not
// accepted", which is worth one token refresh.
func isAuthFailure(status int, body []byte) bool {
	return status == http.StatusUnauthorized || wso2AuthCodes[wso2FaultCode(body)]
}

// isTLSError reports whether err comes from certificate verification or the
// TLS handshake, i.e. from trust configuration rather than the network.
func isTLSError(err error) bool {
	if err == nil {
		return false
	}
	var (
		unknownAuthority x509.UnknownAuthorityError
		invalidCert      x509.CertificateInvalidError
		hostname         x509.HostnameError
		verification     *tls.CertificateVerificationError
		alert            tls.AlertError
		record           tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &unknownAuthority), errors.As(err, &invalidCert),
		errors.As(err, &hostname), errors.As(err, &verification),
		errors.As(err, &alert), errors.As(err, &record):
		return true
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	}
	// Some TLS failures reach us flattened to text (e.g. through proxies);
	// these phrases come from crypto/tls and crypto/x509.
	msg := err.Error()
	for _, s := range []string{"x509: ", "tls: ", "server gave HTTP response to HTTPS client"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP date
// (RFC 9110 §10.2.3). A date in the past means "now" (0, true).
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		// Cap absurd values so the multiplication cannot overflow.
		const maxSecs = int64(365 * 24 * 3600)
		if secs > maxSecs {
			secs = maxSecs
		}
		return time.Duration(secs) * time.Second, true
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d := at.Sub(now); d > 0 {
		return d, true
	}
	return 0, true
}

// bodyErrorCode extracts a top-level "error_code" from a JSON body. The
// value may be a number or a string; ok is false when there is none.
func bodyErrorCode(body []byte) (string, bool) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return "", false
	}
	var v struct {
		ErrorCode json.RawMessage `json:"error_code"`
	}
	if json.Unmarshal(body, &v) != nil || len(v.ErrorCode) == 0 {
		return "", false
	}
	raw := strings.TrimSpace(string(v.ErrorCode))
	if raw == "null" {
		return "", false
	}
	if s, err := strconv.Unquote(raw); err == nil {
		raw = strings.TrimSpace(s)
	}
	if raw == "" {
		return "", false
	}
	return raw, true
}

func isZeroCode(code string) bool {
	f, err := strconv.ParseFloat(code, 64)
	return err == nil && f == 0
}

// xmlFaultCode matches the code element of WSO2's XML fault
// (<ams:fault><ams:code>900901</ams:code>…).
var xmlFaultCode = regexp.MustCompile(`<(?:[A-Za-z0-9_]+:)?code>\s*(\d{6})\s*</`)

// wso2FaultCode returns the WSO2 gateway fault code in a response body, or
// 0. WSO2 writes {"fault":{"code":900901,…}}, {"code":"900800",…} or an XML
// ams:fault depending on version and configuration.
func wso2FaultCode(body []byte) int {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return 0
	}
	if body[0] == '<' {
		m := xmlFaultCode.FindSubmatch(body)
		if m == nil {
			return 0
		}
		n, _ := strconv.Atoi(string(m[1]))
		return n
	}
	if body[0] != '{' {
		return 0
	}
	var v struct {
		Code  json.RawMessage `json:"code"`
		Fault *struct {
			Code json.RawMessage `json:"code"`
		} `json:"fault"`
	}
	if json.Unmarshal(body, &v) != nil {
		return 0
	}
	raw := v.Code
	if v.Fault != nil && len(v.Fault.Code) > 0 {
		raw = v.Fault.Code
	}
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}

// excerpt returns at most MaxExcerpt bytes of body, cut on a rune boundary,
// with every secret replaced so a token echoed by a server never reaches
// the delivery log.
func excerpt(body []byte, secrets ...string) string {
	s := string(body)
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[REDACTED]")
		}
	}
	if len(s) <= MaxExcerpt {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	cut := MaxExcerpt
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.ToValidUTF8(s[:cut], "\uFFFD")
}
