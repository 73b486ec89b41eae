// Package inbound is the HTTP API the national portal calls back through
// LGSP: instant dossier lookup by MaHoSo (TraCuuHoSo), answered from the
// legacy database through the source connector in the field names of
// DongBoHoSoMC, and download of the files behind the signed, expiring
// links the connector publishes in DuongDanTaiTepTin. docs/openapi.yaml
// describes it.
//
// Every call is authenticated (bearer token and/or client certificate,
// after an IP allow-list; download links carry their own signature) and
// recorded in the store's inbound log: method, route, caller, dossier code
// or file reference, status, latency and bytes. Bodies are never logged:
// they hold personal data.
package inbound

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// Defaults of Options.
const (
	DefaultStream           = "ho_so"
	DefaultMaxBodyBytes     = 64 << 10
	DefaultRequestTimeout   = 30 * time.Second
	DefaultWriteIdleTimeout = time.Minute
	DefaultMaxConcurrent    = 4
	// MinBearerTokenLen refuses tokens short enough to guess.
	MinBearerTokenLen = 16
)

// Mapper maps a raw record to a packet (*mapping.Mapper).
type Mapper interface {
	Map(stream, key string, values map[string]any) (*packets.Packet, []packets.Issue, error)
}

// CallLog records inbound calls (*outbox.Store).
type CallLog interface {
	RecordInbound(ctx context.Context, c outbox.InboundCall) error
}

// Options configure a Server. Only the authentication (BearerTokens
// and/or ClientCAFile) is required; the rest have defaults or switch a
// feature off when empty.
type Options struct {
	// Listen is host:port for Start.
	Listen string
	// TLSCertFile and TLSKeyFile (PEM) make the server speak HTTPS.
	TLSCertFile, TLSKeyFile string
	// ClientCAFile (PEM) requires callers to present a client certificate
	// issued by one of these CAs (mTLS). Needs TLS.
	ClientCAFile string
	// BearerTokens are accepted in "Authorization: Bearer …". When both
	// tokens and a client CA are set, a call needs both.
	BearerTokens []string
	// AllowIPs are the addresses (CIDR or single IP) calls may come from;
	// empty allows any. The address is the TCP peer's: forwarding headers
	// are not trusted.
	AllowIPs []string
	// PublicBaseURL and LinkSecret enable download links: the URL under
	// which LGSP exposes this server, and the HMAC key of the links.
	PublicBaseURL string
	LinkSecret    []byte
	LinkTTL       time.Duration

	// Stream is the source stream looked up by MaHoSo (default ho_so);
	// its mapping must produce HoSo packets.
	Stream   string
	Lookuper connectors.Lookuper   // nil: lookups answer 503
	Mapper   Mapper                // required with Lookuper
	Files    connectors.FileSource // nil: links answer 404
	Log      CallLog               // nil: calls are only logged with slog

	Logger *slog.Logger
	Now    func() time.Time

	// Limits; zero means the default.
	MaxBodyBytes     int64
	RequestTimeout   time.Duration // a lookup, including the legacy query
	WriteIdleTimeout time.Duration // a download that makes no progress this long is cut
	MaxConcurrent    int           // lookups and downloads at once, each
}

// Server is the inbound API. Build it with New, then Start it (or mount
// Handler in a server of your own); Shutdown stops it.
type Server struct {
	o         Options
	log       *slog.Logger
	now       func() time.Time
	linker    *Linker
	allow     []netip.Prefix
	tokens    [][sha256.Size]byte
	clientCAs *x509.CertPool
	tlsConfig *tls.Config
	handler   http.Handler
	lookups   chan struct{}
	downloads chan struct{}

	mu   sync.Mutex
	srv  *http.Server
	addr net.Addr
	done chan struct{}
	shut bool
}

// Route is an endpoint the server registers.
type Route struct {
	Method, Path string // Path in ServeMux/OpenAPI form: /api/v1/ho-so/{MaHoSo}
	auth         bool   // bearer token / client certificate required
	handler      func(*Server, http.ResponseWriter, *http.Request)
}

// routes is the API. docs/openapi.yaml documents each; a test checks it.
var routes = []Route{
	{Method: http.MethodPost, Path: "/dvcqg/TraCuuHoSo", auth: true, handler: (*Server).handleTraCuuHoSo},
	{Method: http.MethodGet, Path: "/api/v1/ho-so/{MaHoSo}", auth: true, handler: (*Server).handleGetHoSo},
	{Method: http.MethodGet, Path: "/files/{token}", handler: (*Server).handleFile},
}

// Routes lists the endpoints the server registers (GET also answers HEAD).
func Routes() []Route {
	out := make([]Route, len(routes))
	for i, r := range routes {
		out[i] = Route{Method: r.Method, Path: r.Path}
	}
	return out
}

// New checks the options, loads certificates and builds the handler.
func New(o Options) (*Server, error) {
	s := &Server{o: o, log: o.Logger, now: o.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.o.Stream == "" {
		s.o.Stream = DefaultStream
	}
	if s.o.MaxBodyBytes <= 0 {
		s.o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if s.o.RequestTimeout <= 0 {
		s.o.RequestTimeout = DefaultRequestTimeout
	}
	if s.o.WriteIdleTimeout <= 0 {
		s.o.WriteIdleTimeout = DefaultWriteIdleTimeout
	}
	if s.o.MaxConcurrent <= 0 {
		s.o.MaxConcurrent = DefaultMaxConcurrent
	}
	s.lookups = make(chan struct{}, s.o.MaxConcurrent)
	s.downloads = make(chan struct{}, s.o.MaxConcurrent)
	if o.Lookuper != nil && o.Mapper == nil {
		return nil, errors.New("inbound: a Lookuper needs a Mapper to turn records into dossiers")
	}

	var err error
	if s.allow, err = ParseAllowList(o.AllowIPs); err != nil {
		return nil, err
	}
	for i, t := range o.BearerTokens {
		if len(t) < MinBearerTokenLen {
			return nil, fmt.Errorf("inbound: bearer token %d has %d characters, want at least %d (use a long random value)", i+1, len(t), MinBearerTokenLen)
		}
		s.tokens = append(s.tokens, sha256.Sum256([]byte(t)))
	}
	if o.PublicBaseURL != "" || len(o.LinkSecret) > 0 {
		if s.linker, err = NewLinker(o.PublicBaseURL, o.LinkSecret, o.LinkTTL); err != nil {
			return nil, err
		}
	}
	if err := s.loadTLS(); err != nil {
		return nil, err
	}
	if len(s.tokens) == 0 && s.clientCAs == nil {
		return nil, errors.New("inbound: no authentication configured: set bearer tokens, a client CA (mTLS) or both")
	}
	s.handler = s.buildHandler()
	return s, nil
}

// ParseAllowList parses CIDR prefixes and single addresses (IPv4 or
// IPv6); single addresses become one-address prefixes.
func ParseAllowList(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for i, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("inbound: allowed address %d %q is not an IP address or CIDR range such as 10.0.0.0/24", i+1, s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func (s *Server) loadTLS() error {
	o := s.o
	if (o.TLSCertFile == "") != (o.TLSKeyFile == "") {
		return errors.New("inbound: TLS needs both a certificate and a key file")
	}
	if o.TLSCertFile == "" {
		if o.ClientCAFile != "" {
			return errors.New("inbound: client certificates (mTLS) need TLS: set the server certificate and key")
		}
		return nil
	}
	cert, err := tls.LoadX509KeyPair(o.TLSCertFile, o.TLSKeyFile)
	if err != nil {
		return fmt.Errorf("inbound: load TLS certificate %q and key %q: %w", o.TLSCertFile, o.TLSKeyFile, err)
	}
	s.tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	if o.ClientCAFile != "" {
		pem, err := os.ReadFile(o.ClientCAFile)
		if err != nil {
			return fmt.Errorf("inbound: read client CA file: %w", err)
		}
		s.clientCAs = x509.NewCertPool()
		if !s.clientCAs.AppendCertsFromPEM(pem) {
			return fmt.Errorf("inbound: client CA file %q holds no PEM certificate", o.ClientCAFile)
		}
		// The chain is verified per request (verifyClient), not in the
		// handshake, so that a missing or untrusted certificate gets a
		// JSON answer and a line in the inbound log instead of a bare
		// handshake failure. The handshake still proves the caller holds
		// the certificate's key.
		s.tlsConfig.ClientAuth = tls.RequestClientCert
		s.tlsConfig.ClientCAs = s.clientCAs
	}
	return nil
}

// TLSConfig is the server's TLS configuration, nil without TLS.
func (s *Server) TLSConfig() *tls.Config {
	if s.tlsConfig == nil {
		return nil
	}
	return s.tlsConfig.Clone()
}

// Handler is the API with every check and the call log, for mounting in
// another server (tests, a combined listener).
func (s *Server) Handler() http.Handler { return s.handler }

// FileURL returns the signed download link of file ref, valid from now
// for the configured TTL, or "" when links are not configured.
func (s *Server) FileURL(ref string, now time.Time) string {
	if s.linker == nil {
		return ""
	}
	return s.linker.FileURL(ref, now)
}

// SignLinks replaces the file references in p's link fields with signed
// links (see Linker.SignLinks). It does nothing when links or the file
// source are not configured, so references never turn into links that
// cannot be served.
func (s *Server) SignLinks(p *packets.Packet, now time.Time) int {
	if s.linker == nil || s.o.Files == nil {
		return 0
	}
	return s.linker.SignLinks(p, now)
}

// Start listens on Options.Listen and serves in the background. Errors in
// binding the address are returned; it does not wait for calls.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.shut:
		return errors.New("inbound: Start after Shutdown")
	case s.srv != nil:
		return nil
	case s.o.Listen == "":
		return errors.New("inbound: no listen address")
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", s.o.Listen)
	if err != nil {
		return fmt.Errorf("inbound: listen on %s: %w; is another program using the port?", s.o.Listen, err)
	}
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.o.RequestTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		// TLS handshake failures of scanners are noise, not events.
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.addr = ln.Addr()
	if s.tlsConfig != nil {
		s.srv.TLSConfig = s.tlsConfig
		ln = tls.NewListener(ln, s.tlsConfig)
	}
	s.done = make(chan struct{})
	go func(srv *http.Server, done chan struct{}) {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("inbound API stopped", "err", err)
		}
	}(s.srv, s.done)
	s.log.Info("inbound API listening", "addr", s.addr.String(), "tls", s.tlsConfig != nil,
		"client_certificates", s.clientCAs != nil, "bearer_tokens", len(s.tokens), "allow_ips", len(s.allow),
		"file_links", s.linker != nil && s.o.Files != nil)
	return nil
}

// Addr is the address Start listens on (with the real port when Listen
// asked for port 0), nil before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Shutdown stops accepting calls and waits for running ones until ctx
// ends, then closes what is left (a slow download). It is idempotent and
// safe without Start.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv, done := s.srv, s.done
	already := s.shut
	s.shut = true
	s.mu.Unlock()
	if srv == nil || already {
		return nil
	}
	err := srv.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, srv.Close())
	}
	<-done
	s.log.Info("inbound API stopped")
	if err != nil {
		return fmt.Errorf("inbound: shutdown: %w", err)
	}
	return nil
}

// callInfo is what the handlers tell the call log about one call.
type callInfo struct {
	route, caller, maHoSo, fileRef, err string
}

type callKey struct{}

func callOf(r *http.Request) *callInfo {
	if c, ok := r.Context().Value(callKey{}).(*callInfo); ok {
		return c
	}
	return &callInfo{}
}

func (s *Server) buildHandler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range routes {
		h := func(w http.ResponseWriter, r *http.Request) { rt.handler(s, w, r) }
		if rt.auth {
			h = s.authenticated(h)
		}
		mux.HandleFunc(rt.Method+" "+rt.Path, func(w http.ResponseWriter, r *http.Request) {
			callOf(r).route = rt.Path
			h(w, r)
		})
		// Other methods on a known path get the JSON error shape too.
		mux.HandleFunc(rt.Path, func(w http.ResponseWriter, r *http.Request) {
			callOf(r).route = rt.Path
			allow := rt.Method
			if allow == http.MethodGet {
				allow += ", " + http.MethodHead
			}
			w.Header().Set("Allow", allow)
			s.fail(w, r, http.StatusMethodNotAllowed, http.StatusMethodNotAllowed, "phương thức không được hỗ trợ / method not allowed")
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusNotFound, http.StatusNotFound, "không có địa chỉ này / no such endpoint")
	})
	return s.logged(mux)
}

// logged is the outermost layer: the IP allow-list, security headers,
// panic recovery and the call log.
func (s *Server) logged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at, started := s.now(), time.Now()
		call := &callInfo{}
		rec := &recorder{ResponseWriter: w}
		r = r.WithContext(context.WithValue(r.Context(), callKey{}, call))
		ip := remoteIP(r)
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("inbound API handler panicked", "route", call.route, "panic", fmt.Sprint(v))
				call.err = "internal error"
				if rec.status == 0 {
					s.fail(rec, r, http.StatusInternalServerError, http.StatusInternalServerError, "lỗi nội bộ / internal error")
				}
			}
			s.finish(r, rec, call, ip, at, time.Since(started))
		}()
		// Every answer must be written within the request timeout (file
		// downloads extend it as they progress). Set per request: with the
		// server's WriteTimeout at 0, a deadline would otherwise carry
		// over to the next request on a kept-alive connection.
		_ = http.NewResponseController(rec).SetWriteDeadline(time.Now().Add(s.o.RequestTimeout))
		h := rec.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		if !s.allowed(ip) {
			s.fail(rec, r, http.StatusForbidden, http.StatusForbidden, "địa chỉ không được phép / address not allowed")
			return
		}
		next.ServeHTTP(rec, r)
	})
}

// finish flushes the answer to the caller and then records the call, so
// the store's write does not delay the answer.
func (s *Server) finish(r *http.Request, rec *recorder, call *callInfo, ip netip.Addr, at time.Time, latency time.Duration) {
	if rec.status == 0 {
		rec.status = http.StatusOK // a handler that wrote nothing
	}
	_ = http.NewResponseController(rec).Flush()
	route := call.route
	if route == "" {
		route = r.URL.Path
	}
	entry := outbox.InboundCall{
		At: at, Method: r.Method, Path: route, Caller: call.caller, RemoteIP: ipText(ip),
		MaHoSo: call.maHoSo, FileRef: call.fileRef, Status: rec.status, Latency: latency,
		BytesOut: rec.bytes, Error: call.err,
	}
	level := slog.LevelDebug
	if rec.status >= 500 {
		level = slog.LevelWarn
	}
	s.log.Log(r.Context(), level, "inbound call", "method", entry.Method, "route", entry.Path, "caller", entry.Caller,
		"remote_ip", entry.RemoteIP, "ma_ho_so", entry.MaHoSo, "status", entry.Status, "latency", latency, "bytes", entry.BytesOut, "error", entry.Error)
	if s.o.Log == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 10*time.Second)
	defer cancel()
	if err := s.o.Log.RecordInbound(ctx, entry); err != nil {
		s.log.Warn("inbound call not recorded in the store", "route", entry.Path, "status", entry.Status, "err", err)
	}
}

func remoteIP(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

func ipText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

func (s *Server) allowed(ip netip.Addr) bool {
	if len(s.allow) == 0 {
		return true
	}
	if !ip.IsValid() {
		return false
	}
	for _, p := range s.allow {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// authenticated requires what is configured: a trusted client
// certificate, a bearer token, or both; and names the caller.
func (s *Server) authenticated(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		call := callOf(r)
		var who []string
		if s.clientCAs != nil {
			cn, err := s.verifyClient(r)
			if err != nil {
				call.err = err.Error()
				status := http.StatusForbidden
				if errors.Is(err, errNoClientCert) {
					status = http.StatusUnauthorized
				}
				s.fail(w, r, status, status, "chứng thư số của bên gọi không hợp lệ / client certificate required and must be trusted")
				return
			}
			who = append(who, "cert:"+cn)
		}
		if len(s.tokens) > 0 {
			n, err := s.bearer(r)
			if err != nil {
				call.err = err.Error()
				w.Header().Set("WWW-Authenticate", `Bearer realm="lgsp-connector"`)
				s.fail(w, r, http.StatusUnauthorized, http.StatusUnauthorized, "thiếu hoặc sai mã truy cập / missing or invalid bearer token")
				return
			}
			who = append(who, "bearer:"+strconv.Itoa(n))
		}
		call.caller = strings.Join(who, "+")
		next(w, r)
	}
}

var errNoClientCert = errors.New("no client certificate presented")

// verifyClient checks the peer's certificate chain against the client CAs
// for client authentication, as the TLS handshake would with
// RequireAndVerifyClientCert, and returns its subject's common name.
func (s *Server) verifyClient(r *http.Request) (string, error) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return "", errNoClientCert
	}
	leaf := r.TLS.PeerCertificates[0]
	inter := x509.NewCertPool()
	for _, c := range r.TLS.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{
		Roots: s.clientCAs, Intermediates: inter, CurrentTime: s.now(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}); err != nil {
		return "", fmt.Errorf("client certificate not trusted: %w", err)
	}
	return printable(leaf.Subject.CommonName, 64), nil
}

// bearer returns the 1-based number of the configured token the request
// carries. Every token is compared, in constant time, on hashes, so
// neither the matching token nor its length shows in the timing.
func (s *Server) bearer(r *http.Request) (int, error) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return 0, errors.New("no bearer token")
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	match := 0
	for i := range s.tokens {
		if subtle.ConstantTimeCompare(sum[:], s.tokens[i][:]) == 1 {
			match = i + 1
		}
	}
	if match == 0 {
		return 0, errors.New("bearer token not accepted")
	}
	return match, nil
}

// printable keeps a caller-supplied name safe for the log: printable
// characters only, at most max runes.
func printable(s string, max int) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == max {
			b.WriteString("…")
			break
		}
		if !unicode.IsPrint(r) {
			r = '?'
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// envelope is the answer of every endpoint, the national portal's shape.
type envelope struct {
	ErrorCode int               `json:"error_code"`
	Message   string            `json:"message"`
	Result    []json.RawMessage `json:"result"`
}

// Messages of success.
const msgOK = "Thành công / OK"

// writeJSON writes v without HTML escaping, so dossier items keep the
// bytes EncodeDVCQGItem gave them.
func writeJSON(w http.ResponseWriter, status int, v envelope) {
	if v.Result == nil {
		v.Result = []json.RawMessage{}
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status, b = http.StatusInternalServerError, strings.Builder{}
		b.WriteString(`{"error_code":500,"message":"lỗi nội bộ / internal error","result":[]}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// fail answers with the error shape. The message is fixed text: it never
// carries request data back.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status, code int, msg string) {
	call := callOf(r)
	if call.err == "" {
		call.err = msg
	}
	writeJSON(w, status, envelope{ErrorCode: code, Message: msg})
}

// recorder remembers the status and counts the body bytes sent.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (flush, write
// deadlines).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
