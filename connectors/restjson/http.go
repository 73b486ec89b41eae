package restjson

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/go-retryablehttp"
)

// userAgent names the connector to the vendor's API logs.
const userAgent = "lgsp-connector rest_json"

// Retry waits. A Retry-After longer than the timeout is not waited for
// inside one read: the pipeline polls again later anyway.
const (
	retryWaitMin = 500 * time.Millisecond
	retryWaitMax = 5 * time.Second
)

// newHTTP builds the HTTP client: TLS as configured, redirects only on
// base_url's own scheme and host (static headers such as an API key must
// never follow a redirect elsewhere; net/http only strips Authorization
// and cookies), and quick retries through go-retryablehttp with our own
// policy and no logger of its own (its messages would carry query values).
func newHTTP(cfg *Config, base *url.URL) (*retryablehttp.Client, *http.Client, error) {
	// InsecureSkipVerify is the operator's explicit choice, warned about
	// at every start and by the doctor.
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.TLS.InsecureSkipVerify}
	if cfg.TLS.CAFile != "" {
		pool, err := loadCAFile(cfg.TLS.CAFile)
		if err != nil {
			return nil, nil, fmt.Errorf("tls.ca_file: %w", err)
		}
		tlsCfg.RootCAs = pool
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = tlsCfg
	transport.MaxIdleConnsPerHost = 2
	hc := &http.Client{
		Transport: transport,
		Timeout:   cfg.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Scheme != base.Scheme || req.URL.Host != base.Host {
				return http.ErrUseLastResponse
			}
			if len(via) >= 5 {
				return errors.New("more than 5 redirects")
			}
			return nil
		},
	}
	timeout := cfg.Timeout
	rc := &retryablehttp.Client{
		HTTPClient:   hc,
		RetryWaitMin: retryWaitMin,
		RetryWaitMax: retryWaitMax,
		RetryMax:     cfg.Retries,
		CheckRetry: func(ctx context.Context, resp *http.Response, err error) (bool, error) {
			return checkRetry(ctx, resp, err, timeout)
		},
		Backoff: func(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
			return backoff(lo, hi, attempt, resp, timeout)
		},
		ErrorHandler:   retryablehttp.PassthroughErrorHandler,
		RequestLogHook: countAttempt,
	}
	return rc, hc, nil
}

// checkRetry retries what a few seconds can plausibly fix: network errors
// (not certificate problems), 408, 429, 500, 502, 503 and 504. A 429 or
// 503 asking to wait longer than the timeout is left to the next poll.
func checkRetry(ctx context.Context, resp *http.Response, err error, maxWait time.Duration) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		return !isTLSError(err), nil
	}
	switch resp.StatusCode {
	case http.StatusRequestTimeout, http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		return true, nil
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		if wait, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok && wait > maxWait {
			return false, nil
		}
		return true, nil
	}
	return false, nil
}

// backoff is exponential with equal jitter (half fixed, half random); a
// Retry-After header wins, up to maxWait.
func backoff(lo, hi time.Duration, attempt int, resp *http.Response, maxWait time.Duration) time.Duration {
	if resp != nil {
		if wait, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return min(wait, maxWait)
		}
	}
	d := hi
	if attempt < 30 {
		d = min(lo<<attempt, hi)
	}
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

// parseRetryAfter reads Retry-After: delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(min(n, 86400)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// isTLSError reports certificate and handshake failures: retrying them
// cannot help.
func isTLSError(err error) bool {
	var (
		unknown  x509.UnknownAuthorityError
		invalid  x509.CertificateInvalidError
		hostname x509.HostnameError
		verify   *tls.CertificateVerificationError
		record   tls.RecordHeaderError
	)
	return errors.As(err, &unknown) || errors.As(err, &invalid) || errors.As(err, &hostname) ||
		errors.As(err, &verify) || errors.As(err, &record)
}

type attemptsKey struct{}

// countAttempt runs before every attempt; the counter travels in the
// request's context.
func countAttempt(_ retryablehttp.Logger, r *http.Request, _ int) {
	if n, ok := r.Context().Value(attemptsKey{}).(*atomic.Int32); ok {
		n.Add(1)
	}
}

// fetchResult is one successful response.
type fetchResult struct {
	page   page
	status int
	date   time.Time // the server's Date header; zero when absent
}

// errKind classifies a failed request for messages and the doctor.
type errKind int

const (
	kindNetwork errKind = iota // no HTTP answer
	kindTLS                    // certificate or handshake
	kindStatus                 // an HTTP status other than 2xx
	kindBody                   // a 2xx answer that is not what was configured
)

// requestError is a failed request: the stream, the request (its URL
// without fixed query values) and what went wrong, with a hint.
type requestError struct {
	kind     errKind
	stream   string
	method   string
	url      string // display form, secrets hidden
	status   int
	attempts int
	detail   string
	hint     string
	err      error
}

func (e *requestError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rest_json: stream %q: %s %s: ", e.stream, e.method, e.url)
	if e.kind == kindStatus {
		fmt.Fprintf(&b, "HTTP %d %s", e.status, http.StatusText(e.status))
		if e.detail != "" {
			b.WriteString(" (response: " + e.detail + ")")
		}
	} else {
		b.WriteString(e.detail)
	}
	if e.attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.attempts)
	}
	if e.hint != "" {
		b.WriteString("; " + e.hint)
	}
	return b.String()
}

func (e *requestError) Unwrap() error { return e.err }

// request is one HTTP request of a read.
type request struct {
	method string
	url    *url.URL
	body   []byte // POST only
}

// fetch sends one request (with quick retries) and decodes the response
// page as it streams in.
func (s *Source) fetch(ctx context.Context, sp *streamPlan, r request) (fetchResult, error) {
	attempts := &atomic.Int32{}
	ctx = context.WithValue(ctx, attemptsKey{}, attempts)
	var body any
	if r.body != nil {
		body = r.body // bytes, so every retry resends them
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, r.method, r.url.String(), body)
	if err != nil {
		return fetchResult{}, fmt.Errorf("rest_json: stream %q: build request: %w", sp.name, s.scrub(err))
	}
	for k, v := range s.headers {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	fail := func(kind errKind, status int, detail, hint string, err error) error {
		return &requestError{kind: kind, stream: sp.name, method: r.method, url: s.display(r.url), status: status,
			attempts: int(attempts.Load()), detail: detail, hint: hint, err: err}
	}

	s.log.Debug("rest_json request", "stream", sp.name, "method", r.method, "url", s.display(r.url))
	resp, err := s.client.Do(req)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		if ctx.Err() != nil {
			return fetchResult{}, fmt.Errorf("rest_json: stream %q: %w", sp.name, ctx.Err())
		}
		if isTLSError(err) {
			return fetchResult{}, fail(kindTLS, 0, s.scrub(unwrapURLError(err)).Error(),
				"the API's certificate is not trusted: give the vendor's CA bundle in tls.ca_file, or have the certificate fixed", err)
		}
		return fetchResult{}, fail(kindNetwork, 0, s.scrub(unwrapURLError(err)).Error(),
			"check base_url, the network and the firewall; the connector polls again later", err)
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, headSize))
		return fetchResult{}, fail(kindStatus, resp.StatusCode, s.excerpt(excerpt), statusHint(resp, sp.name), nil)
	}
	res := fetchResult{status: resp.StatusCode}
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		res.date = d
	}
	if resp.StatusCode == http.StatusNoContent {
		res.page.itemsFound = true
		return res, nil
	}
	lr := &limitedReader{r: resp.Body, n: s.cfg.MaxBodySize}
	pg, err := parsePage(lr, sp.pageSpec)
	if err != nil {
		var shape *shapeError
		switch {
		case errors.Is(err, errBodyTooLarge):
			return fetchResult{}, fail(kindBody, 0, fmt.Sprintf("the response is larger than max_body_size (%d bytes)", s.cfg.MaxBodySize),
				"lower page_size, or raise max_body_size", err)
		case errors.As(err, &shape):
			return fetchResult{}, fail(kindBody, 0, shape.msg, fmt.Sprintf("check streams.%s.items (and paging.token_path)", sp.name), err)
		case ctx.Err() != nil:
			return fetchResult{}, fmt.Errorf("rest_json: stream %q: %w", sp.name, ctx.Err())
		case isJSONError(err):
			return fetchResult{}, fail(kindBody, 0,
				fmt.Sprintf("the response is not valid JSON (Content-Type %q, starting %s): %s", resp.Header.Get("Content-Type"), s.excerpt(lr.head), s.scrub(err).Error()),
				"the API answered something else than JSON (an error or maintenance page?); the connector polls again later", err)
		default: // the connection failed or timed out while the body streamed in
			return fetchResult{}, fail(kindNetwork, 0, "reading the response failed: "+s.scrub(err).Error(),
				"the connector polls again later; if it repeats, raise timeout or lower page_size", err)
		}
	}
	res.page = pg
	return res, nil
}

// isJSONError reports a document that is not JSON (or stops short), as
// opposed to a failure reading it.
func isJSONError(err error) bool {
	var syntax *json.SyntaxError
	return errors.As(err, &syntax) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, errTrailing)
}

// statusHint says what to do about an HTTP error status.
func statusHint(resp *http.Response, stream string) string {
	switch code := resp.StatusCode; {
	case code == http.StatusUnauthorized:
		return "the API refused the credentials: check headers and bearer_token of this source (and the environment variables they name)"
	case code == http.StatusForbidden:
		return "the credentials may not read this endpoint: ask the vendor to grant access"
	case code == http.StatusNotFound:
		return fmt.Sprintf("no such endpoint: check base_url and streams.%s.path", stream)
	case code == http.StatusTooManyRequests || code >= 500:
		return "the API is overloaded or failing; the connector polls again later"
	case code >= 300 && code < 400:
		loc := "elsewhere"
		if u, err := url.Parse(resp.Header.Get("Location")); err == nil && u.Host != "" {
			loc = "to " + u.Scheme + "://" + u.Host
		}
		return "the API redirects " + loc + "; redirects to another host are not followed so the credentials stay with base_url: set base_url to the address the API redirects to"
	}
	return fmt.Sprintf("the API rejected the request: check streams.%s (query, paging parameters, body)", stream)
}

// unwrapURLError drops net/http's "Get <url>:" wrapper, whose URL holds the
// fixed query values; the message names the request itself.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// display renders a request URL for messages and logs: fixed query values
// (which may be API keys) are replaced by [REDACTED].
func (s *Source) display(u *url.URL) string {
	c := *u
	c.User = nil
	q := c.Query()
	hidden := false
	for k, vs := range q {
		if _, secret := s.fixedParams[k]; secret {
			for i := range vs {
				vs[i] = "REDACTED"
			}
			hidden = true
		}
	}
	if hidden {
		c.RawQuery = strings.ReplaceAll(q.Encode(), "=REDACTED", "=[REDACTED]")
	}
	return c.String()
}

// scrub removes every configured secret value (raw and URL-encoded) from
// an error's text.
func (s *Source) scrub(err error) error {
	msg := err.Error()
	out := msg
	for _, sec := range s.secrets {
		out = strings.ReplaceAll(out, sec, redacted)
		if esc := url.QueryEscape(sec); esc != sec {
			out = strings.ReplaceAll(out, esc, redacted)
		}
	}
	if out == msg {
		return err
	}
	return &scrubbedError{msg: out, err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// excerpt shows the start of a response body on one line, secrets removed.
func (s *Source) excerpt(b []byte) string {
	if len(b) > headSize {
		b = b[:headSize]
	}
	for len(b) > 0 && !utf8.Valid(b) {
		b = b[:len(b)-1] // a cut multi-byte character
	}
	text := strings.Join(strings.Fields(string(bytes.ToValidUTF8(b, []byte("?")))), " ")
	text = s.scrub(errors.New(text)).Error()
	return strconv.Quote(text)
}
