// Package dvcqg talks to the National Public Service Portal (Cổng Dịch vụ
// công quốc gia, DVCQG) through HCM LGSP: session login, dossier and
// progress sync, dossier lookup, monthly statistics and catalogue pulls
// (SPEC-dvcqg.md). Every request goes through the LGSP transport, so the
// access token, TLS, quick retries and error classes are the spine's; this
// package adds the portal's own layer on top: the session in the JSON
// envelope, the answer envelope with its error_code, and the portal's
// habits ("đã tồn tại" on a create of a known dossier, at most 10 progress
// steps per call).
//
// Sender delivers outbox packets of the dvcqg profile with that layer; the
// pipeline uses it in place of the bare transport.
package dvcqg

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/hcmc-lgsp/lgsp-connector/internal/lgsp"
)

// Transport is what the client needs from LGSP; *lgsp.Client satisfies it.
// Call must return the whole body of the last response (nil when none
// arrived) and classify the exchange as Send does.
type Transport interface {
	Call(ctx context.Context, r lgsp.Request) (lgsp.Result, []byte)
}

var _ Transport = (*lgsp.Client)(nil)

// Default endpoints, relative to the LGSP base URL (SPEC-dvcqg.md §1.1:
// the adapter's login and its single dispatch path).
const (
	DefaultAuthEndpoint        = "/mapi/login"
	DefaultIntegrationEndpoint = "/mapi/g"
	DefaultShareEndpoint       = "/mapi/g"
)

// The portal's answer to an expired or unknown session has not been seen
// in any public code (SPEC-dvcqg.md §16.3). These defaults match the LGSP
// sandbox (error_code -2, "Phiên làm việc không hợp lệ hoặc đã hết hạn /
// session invalid or expired"); an installation that learns the real
// answer sets Config.SessionErrorCodes / SessionErrorMessages.
var (
	DefaultSessionErrorCodes    = []string{"-2"}
	DefaultSessionErrorMessages = []string{"phiên làm việc", "session"}
)

// Config is how to reach the portal. Endpoints are paths relative to the
// LGSP base URL, or absolute URLs.
type Config struct {
	AuthEndpoint        string
	IntegrationEndpoint string
	ShareEndpoint       string
	Username            string
	// Password is sent only in the login request body; Config's String,
	// GoString and LogValue never show it.
	Password string
	// MaDonVi is the caller's agency identifier in every envelope (the
	// Sender keeps the madonvi stored in each packet instead).
	MaDonVi string
	// DSTCode, when set, travels as the "dstcode" header (the national
	// X-Road route, e.g. VN:GOV:000.00.00.G22:vpcpdvcprovider).
	DSTCode string
	// SessionErrorCodes and SessionErrorMessages recognise the answer
	// "your session is invalid": a non-zero error_code in the first list,
	// or a message containing (case-insensitively) one of the second.
	// nil means the defaults; an empty non-nil list means none.
	SessionErrorCodes    []string
	SessionErrorMessages []string
}

// String describes c without the password.
func (c Config) String() string {
	pw := ""
	if c.Password != "" {
		pw = "[REDACTED]"
	}
	return fmt.Sprintf("dvcqg.Config{auth %q, integration %q, share %q, username %q, password %q, madonvi %q, dstcode %q}",
		c.AuthEndpoint, c.IntegrationEndpoint, c.ShareEndpoint, c.Username, pw, c.MaDonVi, c.DSTCode)
}

// GoString keeps %#v from printing the password.
func (c Config) GoString() string { return c.String() }

// LogValue keeps slog from printing the password.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

func (c Config) withDefaults() Config {
	if c.AuthEndpoint == "" {
		c.AuthEndpoint = DefaultAuthEndpoint
	}
	if c.IntegrationEndpoint == "" {
		c.IntegrationEndpoint = DefaultIntegrationEndpoint
	}
	if c.ShareEndpoint == "" {
		c.ShareEndpoint = DefaultShareEndpoint
	}
	if c.SessionErrorCodes == nil {
		c.SessionErrorCodes = DefaultSessionErrorCodes
	}
	if c.SessionErrorMessages == nil {
		c.SessionErrorMessages = DefaultSessionErrorMessages
	}
	return c
}

func (c Config) validate() error {
	var errs []error
	if strings.TrimSpace(c.Username) == "" || c.Password == "" {
		errs = append(errs, errors.New("dvcqg username and password are required (the portal account LGSP forwards to)"))
	}
	if strings.TrimSpace(c.MaDonVi) == "" {
		errs = append(errs, errors.New("dvcqg madonvi is required: the agency identifier sent in every envelope, e.g. 000.00.12.H29"))
	}
	if strings.ContainsAny(c.DSTCode, "\r\n") {
		errs = append(errs, fmt.Errorf("dvcqg dstcode %q must not contain line breaks", c.DSTCode))
	}
	for _, e := range []struct{ name, v string }{{"auth", c.AuthEndpoint}, {"integration", c.IntegrationEndpoint}, {"share", c.ShareEndpoint}} {
		if !strings.HasPrefix(e.v, "/") && !strings.HasPrefix(e.v, "https://") && !strings.HasPrefix(e.v, "http://") {
			errs = append(errs, fmt.Errorf("dvcqg %s endpoint %q: want a path starting with / or an absolute URL", e.name, e.v))
		}
	}
	return errors.Join(errs...)
}

// Options adjust a Client beyond its configuration.
type Options struct {
	// Logger receives lifecycle lines (login, re-login); nil discards.
	Logger *slog.Logger
	// NewID makes message IDs for calls that are not outbox packets
	// (login, lookups, catalogues); default random UUIDs.
	NewID func() string
	// LoginTimeout bounds one login, which runs detached from the caller
	// that started it because other callers wait for it too. Default 2m.
	LoginTimeout time.Duration
}

// Client calls the portal's services. It is safe for concurrent use;
// concurrent callers share one session and one login.
type Client struct {
	t     Transport
	cfg   Config
	log   *slog.Logger
	newID func() string

	loginTimeout time.Duration
	mu           sync.Mutex // guards session, inflight
	session      string
	inflight     *loginCall
	logins       atomic.Int64
}

// loginCall is a login in flight; every caller that needs a session while
// it runs waits for its result.
type loginCall struct {
	done    chan struct{}
	session string
	err     error
}

// New checks c and builds a client over t (normally an *lgsp.Client).
func New(t Transport, c Config, o Options) (*Client, error) {
	if t == nil {
		return nil, errors.New("dvcqg: no LGSP transport")
	}
	c = c.withDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.NewID == nil {
		o.NewID = uuid.NewString
	}
	if o.LoginTimeout <= 0 {
		o.LoginTimeout = 2 * time.Minute
	}
	return &Client{t: t, cfg: c, log: o.Logger, newID: o.NewID, loginTimeout: o.LoginTimeout}, nil
}

// CheckLogin logs in now, replacing the cached session: for doctor, it
// proves the route through LGSP to the portal and the portal account.
func (c *Client) CheckLogin(ctx context.Context) error {
	c.mu.Lock()
	c.session = "" // callers holding it keep using their copy
	c.mu.Unlock()
	_, err := c.sessionFor(ctx, "")
	return err
}

// Logins returns how many logins this client has started (for doctor and
// tests: one per session, plus one per expiry).
func (c *Client) Logins() int64 { return c.logins.Load() }

// Sentinel errors; test with errors.Is. Portal and transport failures are
// *Error values wrapping one of them (or the transport's error).
var (
	// ErrLoginRefused: the portal refused the username or password. Such
	// errors also wrap lgsp.ErrConfig so delivery pauses instead of
	// dead-lettering every packet.
	ErrLoginRefused = errors.New("the national portal refused the login; check dvcqg.username and dvcqg.password")
	// ErrSessionRejected: a session fresh from login was refused at once.
	ErrSessionRejected = errors.New("the national portal refused a fresh session")
	// ErrRejected: the portal answered with a non-zero error_code.
	ErrRejected = errors.New("the national portal rejected the call")
	// ErrBadAnswer: the answer is not the portal's JSON envelope.
	ErrBadAnswer = errors.New("the national portal's answer is not its JSON envelope")
)

// Error is a failed portal call.
type Error struct {
	Service string // e.g. DongBoHoSoMC; "login" for the login
	// Class tells a delivery what to do (never ClassDelivered).
	Class      lgsp.Class
	RetryAfter time.Duration
	// Code and Message are the portal's answer, when it answered.
	Code, Message string
	Err           error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "dvcqg %s: %v", e.Service, e.Err)
	if e.Code != "" {
		fmt.Fprintf(&b, " (error_code %s", e.Code)
		if e.Message != "" {
			fmt.Fprintf(&b, ", message %q", e.Message)
		}
		b.WriteString(")")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// sessionFor returns a session to use. stale, when non-empty, is a session
// the portal just refused: it is dropped unless another caller already
// replaced it, so N callers refused together cause one re-login.
func (c *Client) sessionFor(ctx context.Context, stale string) (string, error) {
	c.mu.Lock()
	if stale != "" && c.session == stale {
		c.session = ""
	}
	if c.session != "" {
		s := c.session
		c.mu.Unlock()
		return s, nil
	}
	call := c.inflight
	if call == nil {
		call = &loginCall{done: make(chan struct{})}
		c.inflight = call
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.loginTimeout)
		go func() {
			defer cancel()
			s, err := c.login(lctx)
			c.mu.Lock()
			call.session, call.err = s, err
			if err == nil {
				c.session = s
			}
			c.inflight = nil
			c.mu.Unlock()
			close(call.done)
		}()
	}
	c.mu.Unlock()
	select {
	case <-call.done:
		return call.session, call.err
	case <-ctx.Done():
		return "", &Error{Service: "login", Class: lgsp.ClassTransient, Err: ctx.Err()}
	}
}

// login obtains a new session. The password travels only in the request
// body, which the transport never logs.
func (c *Client) login(ctx context.Context) (string, error) {
	c.logins.Add(1)
	var b bytes.Buffer
	b.WriteString(`{"username":`)
	writeString(&b, c.cfg.Username)
	b.WriteString(`,"password":`)
	writeString(&b, c.cfg.Password)
	b.WriteString(`}`)
	res, raw := c.t.Call(ctx, c.request(c.cfg.AuthEndpoint, c.newID(), b.Bytes()))
	if !answered(res, raw) {
		return "", &Error{Service: "login", Class: res.Class, RetryAfter: res.RetryAfter, Err: transportErr(res)}
	}
	reply, err := ParseReply(raw)
	if err != nil {
		return "", &Error{Service: "login", Class: lgsp.ClassTransient, Err: fmt.Errorf("%w: %w", ErrBadAnswer, err)}
	}
	if !reply.OK() {
		msg := strings.ReplaceAll(reply.Message, c.cfg.Password, "[REDACTED]")
		c.log.Warn("national portal refused the login; delivery to it pauses until dvcqg.username/password are fixed",
			"username", c.cfg.Username, "error_code", reply.Code, "message", msg)
		return "", &Error{Service: "login", Class: lgsp.ClassPermanent, Code: reply.Code, Message: msg,
			Err: fmt.Errorf("%w: %w", lgsp.ErrConfig, ErrLoginRefused)}
	}
	if reply.Session == "" {
		return "", &Error{Service: "login", Class: lgsp.ClassTransient, Code: reply.Code,
			Err: fmt.Errorf("%w: login succeeded without a session", ErrBadAnswer)}
	}
	c.log.Info("logged in to the national portal", "username", c.cfg.Username)
	return reply.Session, nil
}

func (c *Client) request(path, messageID string, body []byte) lgsp.Request {
	r := lgsp.Request{Path: path, MessageID: messageID, ContentType: contentType, Body: body}
	if c.cfg.DSTCode != "" {
		r.Headers = map[string]string{"dstcode": c.cfg.DSTCode}
	}
	return r
}

const contentType = "application/json; charset=utf-8"

// answered reports whether the portal itself answered (2xx with a body),
// as opposed to the gateway or the network failing.
func answered(res lgsp.Result, raw []byte) bool {
	return res.Status >= 200 && res.Status < 300 && raw != nil
}

func transportErr(res lgsp.Result) error {
	if res.Err != nil {
		return res.Err
	}
	return fmt.Errorf("LGSP answered HTTP %d", res.Status)
}

// portalCall is one request to the portal before the session is added.
type portalCall struct {
	endpoint   string
	service    string
	messageID  string
	madonvi    string
	isUpdating *bool
	params     [][2]string // extra envelope keys, in this order
	data       [][]byte    // items of "data"; nil: no data key
}

// body writes the envelope: session, madonvi, service, isUpdating, the
// parameters, data. Items are copied byte for byte.
func (q portalCall) body(session string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"session":`)
	writeString(&b, session)
	b.WriteString(`,"madonvi":`)
	writeString(&b, q.madonvi)
	b.WriteString(`,"service":`)
	writeString(&b, q.service)
	if q.isUpdating != nil {
		if *q.isUpdating {
			b.WriteString(`,"isUpdating":"True"`)
		} else {
			b.WriteString(`,"isUpdating":"False"`)
		}
	}
	for _, p := range q.params {
		b.WriteByte(',')
		writeString(&b, p[0])
		b.WriteByte(':')
		writeString(&b, p[1])
	}
	if q.data != nil {
		b.WriteString(`,"data":[`)
		for i, item := range q.data {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(item)
		}
		b.WriteString(`]`)
	}
	b.WriteString(`}`)
	return b.Bytes()
}

// call sends q with the current session; when the portal answers that the
// session is invalid, it logs in again (once, shared with concurrent
// callers) and resends once. The result's class is ClassDelivered exactly
// when the portal answered error_code 0; otherwise Err is an *Error.
func (c *Client) call(ctx context.Context, q portalCall) (Reply, lgsp.Result) {
	start := time.Now()
	sess, err := c.sessionFor(ctx, "")
	if err != nil {
		return Reply{}, failure(q.service, err, start)
	}
	reply, res, ok := c.post(ctx, q, sess)
	if ok && !reply.OK() && c.sessionInvalid(reply) {
		c.log.Info("national portal session is no longer valid; logging in again", "service", q.service, "error_code", reply.Code)
		fresh, err := c.sessionFor(ctx, sess)
		if err != nil {
			out := failure(q.service, err, start)
			out.Attempts = res.Attempts
			return Reply{}, out
		}
		attempts := res.Attempts
		reply, res, ok = c.post(ctx, q, fresh)
		res.Attempts += attempts
		if ok && !reply.OK() && c.sessionInvalid(reply) {
			res.Class = lgsp.ClassTransient
			res.Err = &Error{Service: q.service, Class: res.Class, Code: reply.Code, Message: reply.Message, Err: ErrSessionRejected}
		}
	}
	res.Latency = time.Since(start)
	return reply, res
}

// post sends q once with session s. ok reports whether the portal
// answered with its envelope.
func (c *Client) post(ctx context.Context, q portalCall, s string) (Reply, lgsp.Result, bool) {
	res, raw := c.t.Call(ctx, c.request(q.endpoint, q.messageID, q.body(s)))
	if s != "" {
		res.Excerpt = strings.ReplaceAll(res.Excerpt, s, "[REDACTED]")
	}
	if !answered(res, raw) {
		if res.Class == lgsp.ClassDelivered { // a 2xx without a body
			res.Class = lgsp.ClassTransient
		}
		res.Err = &Error{Service: q.service, Class: res.Class, RetryAfter: res.RetryAfter, Err: transportErr(res)}
		return Reply{}, res, false
	}
	reply, err := ParseReply(raw)
	if err != nil {
		res.Class = lgsp.ClassTransient
		res.Err = &Error{Service: q.service, Class: res.Class, Err: fmt.Errorf("%w: %w", ErrBadAnswer, err)}
		return Reply{}, res, false
	}
	if reply.OK() {
		res.Class, res.Err = lgsp.ClassDelivered, nil
	} else {
		res.Class = lgsp.ClassPermanent
		res.Err = &Error{Service: q.service, Class: res.Class, Code: reply.Code, Message: reply.Message, Err: ErrRejected}
	}
	return reply, res, true
}

// failure turns a login or context error into a result.
func failure(service string, err error, start time.Time) lgsp.Result {
	res := lgsp.Result{Class: lgsp.ClassTransient, Err: err, Latency: time.Since(start)}
	var e *Error
	if errors.As(err, &e) {
		res.Class, res.RetryAfter = e.Class, e.RetryAfter
		if e.Service != service {
			res.Err = fmt.Errorf("dvcqg %s: no session: %w", service, err)
		}
	}
	return res
}

// sessionInvalid reports whether a non-zero answer means "log in again".
func (c *Client) sessionInvalid(r Reply) bool {
	for _, code := range c.cfg.SessionErrorCodes {
		if sameCode(r.Code, code) {
			return true
		}
	}
	return containsAny(r.Message, c.cfg.SessionErrorMessages)
}

// alreadyExists reports the answer to a create of a dossier the portal
// knows: error_code 3 or -3 with "đã tồn tại" in the message
// (SPEC-dvcqg.md §1.4; the unaccented form is accepted too).
func alreadyExists(r Reply) bool {
	return (sameCode(r.Code, "3") || sameCode(r.Code, "-3")) &&
		containsAny(r.Message, []string{"đã tồn tại", "da ton tai"})
}

func sameCode(a, b string) bool {
	x, err1 := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
	y, err2 := strconv.ParseInt(strings.TrimSpace(b), 10, 64)
	return err1 == nil && err2 == nil && x == y
}

// containsAny reports whether s contains one of subs, ignoring case and
// Unicode normalisation form (portal texts arrive composed or not).
func containsAny(s string, subs []string) bool {
	s = strings.ToLower(norm.NFC.String(s))
	for _, sub := range subs {
		if sub = strings.ToLower(norm.NFC.String(sub)); sub != "" && strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// writeString writes s as a JSON string, leaving <, > and & readable.
func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // cannot fail for a string into a bytes.Buffer
	b.Truncate(b.Len() - 1) // Encode ends with a newline
}

// derivedID is the message ID of a follow-up call made on behalf of the
// packet id (its update resend, its n-th chunk): a name-based UUID, so
// the follow-up carries the same ID on every retry of the packet and
// LGSP's duplicate detection still works.
func derivedID(id, suffix string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("urn:lgsp-connector:dvcqg:"+id+":"+suffix)).String()
}
