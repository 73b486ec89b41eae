// Package lgsp is the HTTP transport to Ho Chi Minh City's LGSP integration
// platform: OAuth2 client-credentials tokens, TLS (optionally mutual),
// a few quick retries per send, and a classification of every outcome that
// tells the outbox what to do next.
//
// Two retry tiers, never multiplied: Send retries at most QuickRetries
// times within one call (network errors, 408, 429, 5xx) and then returns;
// waiting minutes or hours is the outbox's job.
package lgsp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// maxResponseBytes bounds how much of a response Send reads for
// classification.
const maxResponseBytes = 64 << 10

// MaxCallResponseBytes bounds the response body Call returns: enough for
// the national portal's largest catalogue, small enough that a runaway
// answer cannot exhaust memory.
const MaxCallResponseBytes = 32 << 20

// Request is one packet to deliver. Body is sent byte for byte on every
// attempt: signed bytes are never re-encoded.
type Request struct {
	// Path is appended to BaseURL (or is an absolute URL).
	Path string
	// MessageID (MaGoiTin) is sent as Idempotency-Key and X-Message-ID on
	// every attempt so LGSP can drop duplicates.
	MessageID   string
	ContentType string
	Body        []byte
	// Headers are extra headers for this request only (e.g. dstcode for
	// the national portal). They override Options.Headers; the
	// transport's own headers (Authorization, Idempotency-Key,
	// X-Message-ID, Content-Type, Accept) always win.
	Headers map[string]string
}

// Result is the outcome of one Send, including its quick retries.
type Result struct {
	Class      Class
	Status     int           // last HTTP status; 0 when no response arrived
	RetryAfter time.Duration // server-requested wait (ClassThrottled)
	Latency    time.Duration // whole Send, retries and waits included
	Endpoint   string        // URL posted to
	Attempts   int           // HTTP attempts made, token fetches excluded
	Excerpt    string        // start of the response body, at most MaxExcerpt bytes
	Err        error         // nil only for ClassDelivered
}

// Client sends packets to LGSP. It is safe for concurrent use.
type Client struct {
	opts     Options
	base     *url.URL
	tokenURL string
	http     *http.Client
	retry    *retryablehttp.Client
	tokens   *tokenSource
	log      *slog.Logger
}

// New checks o and builds a client. It reads the CA bundle and client
// certificate now, so a wrong path fails at start-up, naming the file.
func New(o Options) (*Client, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	base, _ := url.Parse(strings.TrimRight(o.BaseURL, "/"))
	tlsCfg, err := o.tlsConfig()
	if err != nil {
		return nil, err
	}
	log := o.Logger
	if o.InsecureSkipVerify {
		log.Warn("TLS certificate verification of LGSP is OFF (insecure_skip_verify); anyone on the network path can read and alter packets — use only for rehearsals", "base_url", base.String())
	}
	if base.Scheme == "http" && !isLoopbackURL(base) && o.TokenAuth != TokenAuthNone {
		log.Warn("LGSP base URL uses plain http to a remote host: the access token and packets travel unencrypted", "base_url", base.String())
	}

	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = tlsCfg
	transport.MaxIdleConnsPerHost = 32
	hc := &http.Client{
		Transport: transport,
		Timeout:   o.Timeout,
		// A redirect of a POST would drop or re-send the body depending on
		// the status code; LGSP has no reason to redirect, so surface it.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}

	c := &Client{opts: o, base: base, http: hc, log: log}
	c.tokenURL, err = c.resolve(o.TokenURL)
	if err != nil {
		return nil, fmt.Errorf("lgsp token URL: %w", err)
	}
	c.retry = &retryablehttp.Client{
		HTTPClient:     hc,
		Logger:         slogAdapter{log},
		RetryWaitMin:   o.RetryWaitMin,
		RetryWaitMax:   o.RetryWaitMax,
		RetryMax:       o.QuickRetries,
		CheckRetry:     c.checkRetry,
		Backoff:        c.backoff,
		ErrorHandler:   retryablehttp.PassthroughErrorHandler,
		RequestLogHook: countAttempt,
		PrepareRetry:   c.prepareRetry,
	}
	c.tokens = &tokenSource{
		fetch: c.fetchToken,
		// Enough for the quick retries of the token request itself.
		fetchTimeout: time.Duration(o.QuickRetries+1)*o.Timeout + time.Duration(o.QuickRetries)*o.RetryWaitMax,
		now:          o.Now,
	}
	return c, nil
}

// resolve turns a path (or absolute URL) into the URL to call.
func (c *Client) resolve(p string) (string, error) {
	if strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://") {
		u, err := url.Parse(p)
		if err != nil || u.Host == "" {
			return "", fmt.Errorf("URL %q is not a valid absolute URL", p)
		}
		return u.String(), nil
	}
	if p == "" || !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	u, err := url.Parse(c.base.String() + p)
	if err != nil {
		return "", fmt.Errorf("path %q does not form a valid URL with base %q: %w", p, c.base.String(), err)
	}
	return u.String(), nil
}

type attemptsKey struct{}

// countAttempt runs before every attempt; the counter travels in the
// request context because the hook is shared by all concurrent sends.
func countAttempt(_ retryablehttp.Logger, r *http.Request, _ int) {
	if n, ok := r.Context().Value(attemptsKey{}).(*atomic.Int32); ok {
		n.Add(1)
	}
}

func (c *Client) newRequest(ctx context.Context, method, target string, body []byte) (*retryablehttp.Request, error) {
	// Bytes, not a reader: retryablehttp can then rewind the body for
	// every attempt without buffering a copy.
	var raw any
	if body != nil {
		raw = body
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, method, target, raw)
	if err != nil {
		return nil, err
	}
	for k, v := range c.opts.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	return req, nil
}

// checkRetry is our quick-retry policy, replacing retryablehttp's default
// (which retries a POST on any 5xx and logs to stderr). Retry only what a
// few seconds can plausibly fix.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
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
		// A long Retry-After is the outbox's wait, not ours.
		if wait, ok := parseRetryAfter(resp.Header.Get("Retry-After"), c.opts.Now()); ok && wait > c.opts.RetryWaitMax {
			return false, nil
		}
		return true, nil
	}
	return false, nil
}

// backoff is exponential with "equal jitter" (half fixed, half random) so
// that many workers retrying together spread out; a Retry-After header
// wins, capped at max.
func (c *Client) backoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if wait, ok := parseRetryAfter(resp.Header.Get("Retry-After"), c.opts.Now()); ok {
			return min(wait, hi)
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

// prepareRetry refreshes the Authorization header before a quick retry in
// case the cached token was replaced meanwhile.
func (c *Client) prepareRetry(r *http.Request) error {
	// Only packet requests carry a bearer token; the token request itself
	// (Basic auth) must not wait for a token.
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		return nil
	}
	if g, err := c.tokens.get(r.Context(), false, ""); err == nil {
		r.Header.Set("Authorization", "Bearer "+g.value)
	}
	return nil
}

// Send posts one packet. It never returns a nil-class result: every
// failure, including bad input, is classified.
func (c *Client) Send(ctx context.Context, r Request) Result {
	res, _ := c.exchange(ctx, r, bodyLimit{max: maxResponseBytes})
	return res
}

// Call is Send for requests whose answer the caller must read whole (the
// national portal's catalogues and lookups): it also returns the body of
// the last response, up to MaxCallResponseBytes, and classifies on the
// whole body. A longer body is not returned; the result is ClassPermanent,
// as asking again would bring the same answer. body is nil when no
// response arrived.
func (c *Client) Call(ctx context.Context, r Request) (Result, []byte) {
	return c.exchange(ctx, r, bodyLimit{max: MaxCallResponseBytes, whole: true})
}

// bodyLimit says how much of a response to read: Send classifies on the
// start of a long body; Call promises the whole body or none.
type bodyLimit struct {
	max   int64
	whole bool // a longer body is a failure
}

func (c *Client) exchange(ctx context.Context, r Request, limit bodyLimit) (Result, []byte) {
	start := time.Now()
	ar := c.send(ctx, r, limit)
	res := ar.Result
	res.Latency = time.Since(start)
	if res.Class == ClassDelivered {
		c.log.Debug("packet delivered", "message_id", r.MessageID, "endpoint", res.Endpoint,
			"status", res.Status, "attempts", res.Attempts, "latency", res.Latency)
	} else {
		// Debug only: the caller decides whether this is worth a warning
		// and logs it once.
		c.log.Debug("packet not delivered", "message_id", r.MessageID, "endpoint", res.Endpoint,
			"status", res.Status, "class", res.Class.String(), "attempts", res.Attempts,
			"retry_after", res.RetryAfter, "latency", res.Latency)
	}
	return res, ar.body
}

func (c *Client) send(ctx context.Context, r Request, limit bodyLimit) attemptResult {
	endpoint, err := c.resolve(r.Path)
	if err != nil {
		return attemptResult{Result: Result{Class: ClassPermanent, Err: fmt.Errorf("lgsp send %s: %w", r.MessageID, err)}}
	}
	if strings.TrimSpace(r.MessageID) == "" || strings.ContainsAny(r.MessageID, "\r\n") {
		return attemptResult{Result: Result{Class: ClassPermanent, Endpoint: endpoint,
			Err: fmt.Errorf("lgsp send to %s: message ID %q is empty or invalid; every packet needs its MaGoiTin so LGSP can drop duplicates", endpoint, r.MessageID)}}
	}
	for k, v := range r.Headers {
		if k == "" || strings.ContainsAny(k, " \t\r\n:") || strings.ContainsAny(v, "\r\n") {
			return attemptResult{Result: Result{Class: ClassPermanent, Endpoint: endpoint,
				Err: fmt.Errorf("%w: lgsp send %s to %s: extra header %q is not a valid HTTP header", ErrConfig, r.MessageID, endpoint, k)}}
		}
	}

	var token string
	if c.opts.TokenAuth != TokenAuthNone {
		g, err := c.tokens.get(ctx, false, "")
		if err != nil {
			return attemptResult{Result: tokenFailure(endpoint, err)}
		}
		token = g.value
	}
	res := c.attempt(ctx, endpoint, r, token, limit)
	if res.authFailure && token != "" {
		// The token may have been revoked or expired early: one fresh
		// token, one more try.
		c.log.Debug("LGSP refused the access token; fetching a new one", "message_id", r.MessageID, "status", res.Status)
		g, err := c.tokens.get(ctx, false, token)
		if err != nil {
			out := tokenFailure(endpoint, err)
			out.Attempts = res.Attempts
			return attemptResult{Result: out}
		}
		attempts := res.Attempts
		res = c.attempt(ctx, endpoint, r, g.value, limit)
		res.Attempts += attempts
	}
	return res
}

func tokenFailure(endpoint string, err error) Result {
	res := Result{Class: ClassTransient, Endpoint: endpoint, Err: err}
	var te *tokenError
	if errors.As(err, &te) {
		res.Class, res.RetryAfter = te.class, te.wait
	}
	return res
}

type attemptResult struct {
	Result
	authFailure bool
	body        []byte // the last response's body, at most the read limit
}

// attempt runs one retryablehttp.Do (the first try plus quick retries)
// and classifies the last outcome, reading the response within limit.
func (c *Client) attempt(ctx context.Context, endpoint string, r Request, token string, limit bodyLimit) attemptResult {
	var attempts atomic.Int32
	ctx = context.WithValue(ctx, attemptsKey{}, &attempts)
	res := attemptResult{Result: Result{Endpoint: endpoint}}

	req, err := c.newRequest(ctx, http.MethodPost, endpoint, r.Body)
	if err != nil {
		res.Class, res.Err = ClassPermanent, fmt.Errorf("lgsp send %s to %s: build request: %w", r.MessageID, endpoint, err)
		return res
	}
	for k, v := range r.Headers {
		req.Header.Set(k, v)
	}
	ct := r.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Accept", "application/json, application/xml;q=0.9, */*;q=0.1")
	req.Header.Set("Idempotency-Key", r.MessageID)
	req.Header.Set("X-Message-ID", r.MessageID)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}

	resp, doErr := c.retry.Do(req)
	res.Attempts = int(attempts.Load())
	if doErr != nil {
		if resp != nil {
			resp.Body.Close()
		}
		res.Class, _ = classify(c.opts.Now(), 0, nil, nil, doErr)
		res.Err = fmt.Errorf("lgsp send %s to %s: %w", r.MessageID, endpoint, doErr)
		if res.Class == ClassPermanent {
			res.Err = fmt.Errorf("%w (TLS: check ca_file, client certificate and the server name): %w", ErrConfig, res.Err)
		}
		return res
	}
	body, truncated, readErr := readBodyLimit(resp, limit.max)
	res.Status = resp.StatusCode
	res.Excerpt = excerpt(body, token, c.opts.ClientSecret)
	if readErr != nil {
		res.Class = ClassTransient
		res.Err = fmt.Errorf("lgsp send %s to %s: read %d response: %w", r.MessageID, endpoint, resp.StatusCode, readErr)
		return res
	}
	if truncated && limit.whole {
		res.Class = ClassPermanent
		res.Err = fmt.Errorf("lgsp send %s to %s: HTTP %d response is larger than %d bytes; ask the service for less (e.g. a narrower catalogue query)",
			r.MessageID, endpoint, resp.StatusCode, limit.max)
		return res
	}
	res.body = body
	res.Class, res.RetryAfter = classify(c.opts.Now(), resp.StatusCode, resp.Header, body, nil)
	res.authFailure = isAuthFailure(resp.StatusCode, body)
	if res.Class != ClassDelivered {
		res.Err = c.statusError(r.MessageID, endpoint, resp, res.Class, res.Excerpt)
	}
	return res
}

// statusError explains a non-delivered answer in words an operator can act on.
func (c *Client) statusError(id, endpoint string, resp *http.Response, class Class, exc string) error {
	short := exc
	if len(short) > 200 {
		short = excerpt([]byte(short[:200]))
	}
	base := fmt.Errorf("lgsp send %s to %s: HTTP %d (%s): %s", id, endpoint, resp.StatusCode, class, short)
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return fmt.Errorf("%w: redirected to %q; set the LGSP base URL to the final address: %w", ErrConfig, resp.Header.Get("Location"), base)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%w: LGSP refused our credentials (a fresh token did not help); check client_id, client_secret and the client's subscription to this API: %w", ErrConfig, base)
	}
	return base
}

// readBody reads at most maxResponseBytes, then drains a little more so the
// connection can be reused, and closes the body.
func readBody(resp *http.Response) ([]byte, error) {
	body, _, err := readBodyLimit(resp, maxResponseBytes)
	return body, err
}

// readBodyLimit reads at most limit bytes and reports whether the body
// was longer, then drains a little more so the connection can be reused,
// and closes the body.
func readBodyLimit(resp *http.Response, limit int64) (body []byte, truncated bool, err error) {
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if int64(len(body)) > limit {
		body, truncated = body[:limit], true
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBytes))
	return body, truncated, err
}

// ServerTime returns the time in the Date header of a cheap GET of the
// base URL, for clock-skew checks (any status will do; gateways date even
// their 404s).
func (c *Client) ServerTime(ctx context.Context) (time.Time, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base.String()+"/", nil)
	if err != nil {
		return time.Time{}, fmt.Errorf("lgsp server time: %w", err)
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		if isTLSError(err) {
			err = fmt.Errorf("%w: %w", ErrConfig, err)
		}
		return time.Time{}, fmt.Errorf("lgsp server time from %s: %w", c.base, err)
	}
	_, _ = readBody(resp)
	date := resp.Header.Get("Date")
	if date == "" {
		return time.Time{}, fmt.Errorf("lgsp server time from %s: the response (HTTP %d) has no Date header", c.base, resp.StatusCode)
	}
	t, err := http.ParseTime(date)
	if err != nil {
		return time.Time{}, fmt.Errorf("lgsp server time from %s: Date header %q: %w", c.base, date, err)
	}
	return t, nil
}

// slogAdapter lets retryablehttp log through our slog logger. Everything
// it says concerns a single attempt, so it goes out at debug level; the
// caller logs the final outcome once.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Error(msg string, kv ...any) { a.l.Debug(msg, kv...) }
func (a slogAdapter) Info(msg string, kv ...any)  { a.l.Debug(msg, kv...) }
func (a slogAdapter) Debug(msg string, kv ...any) { a.l.Debug(msg, kv...) }
func (a slogAdapter) Warn(msg string, kv ...any)  { a.l.Debug(msg, kv...) }

var _ retryablehttp.LeveledLogger = slogAdapter{}
