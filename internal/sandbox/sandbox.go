// Package sandbox is an HTTP server that behaves like Ho Chi Minh City's
// LGSP closely enough to rehearse a connector installation before it
// touches the real platform: OAuth2 client-credentials tokens, signed
// hcm-lgsp packets checked against a trust store, decoded and validated,
// duplicates recognised by MaGoiTin, a minimal national-portal (dvcqg)
// JSON endpoint, and deterministic fault injection (5xx, 429 with
// Retry-After, lost acknowledgements, latency, outage windows).
//
// The demo and the end-to-end tests run it in-process; users run it with
// `lgsp-connector sandbox` (docs/sandbox.md).
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// DefaultEndpoints are the hcm-lgsp packet paths, by packet kind. The
// connector's configuration uses the same values by default.
var DefaultEndpoints = map[packets.Kind]string{
	packets.KindDossier:   "/kho-du-lieu/1.0/ho-so",
	packets.KindProgress:  "/kho-du-lieu/1.0/tien-do-xu-ly",
	packets.KindRating:    "/kho-du-lieu/1.0/danh-gia",
	packets.KindStats:     "/kho-du-lieu/1.0/thong-ke",
	packets.KindHeartbeat: "/kho-du-lieu/1.0/tin-hieu-hoat-dong",
}

// TokenPath is where the sandbox issues access tokens.
const TokenPath = "/token"

// DVCQGPrefix is the path prefix of the national-portal services; the
// service name follows it, e.g. /dvcqg/1.0/DongBoHoSoMC.
const DVCQGPrefix = "/dvcqg/1.0/"

// Window is a time interval [Start, End).
type Window struct {
	Start, End time.Time
}

// Contains reports whether t lies in the window.
func (w Window) Contains(t time.Time) bool { return !t.Before(w.Start) && t.Before(w.End) }

// Faults are the injected failures; they can change while the server runs
// (SetFaults, POST /sandbox/faults).
type Faults struct {
	// ErrorRate is the fraction of packet requests answered 500, 502 or
	// 504 without being processed.
	ErrorRate float64
	// ThrottleRate is the fraction answered 429 with Retry-After and WSO2
	// fault code 900801. ErrorRate + ThrottleRate must not exceed 1.
	ThrottleRate float64
	// DropAckRate is the fraction of processed packets that are stored but
	// answered 502, as if the acknowledgement were lost on the way back.
	DropAckRate float64
	// RetryAfter is sent with 429 (whole seconds, rounded up).
	RetryAfter time.Duration
	// Latency delays every packet request, ± LatencyJitter (uniform).
	Latency, LatencyJitter time.Duration
	// Outages: within a window, every packet and token request is
	// answered 503.
	Outages []Window
}

func (f Faults) validate() error {
	var errs []error
	for _, r := range []struct {
		name string
		v    float64
	}{{"error rate", f.ErrorRate}, {"throttle rate", f.ThrottleRate}, {"drop-ack rate", f.DropAckRate}} {
		if !(r.v >= 0 && r.v <= 1) {
			errs = append(errs, fmt.Errorf("sandbox %s %v: want a fraction between 0 and 1", r.name, r.v))
		}
	}
	if f.ErrorRate+f.ThrottleRate > 1 {
		errs = append(errs, fmt.Errorf("sandbox error rate %v + throttle rate %v exceed 1", f.ErrorRate, f.ThrottleRate))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"retry-after", f.RetryAfter}, {"latency", f.Latency}, {"latency jitter", f.LatencyJitter}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("sandbox %s %s: must not be negative", d.name, d.v))
		}
	}
	for i, w := range f.Outages {
		if !w.End.After(w.Start) {
			errs = append(errs, fmt.Errorf("sandbox outage %d: end %s is not after start %s", i+1, w.End.Format(time.RFC3339), w.Start.Format(time.RFC3339)))
		}
	}
	return errors.Join(errs...)
}

// Options configure a Server.
type Options struct {
	// ClientID and ClientSecret are the only credentials /token accepts.
	ClientID, ClientSecret string
	// TokenTTL is the lifetime of issued tokens; default 1h.
	TokenTTL time.Duration
	// Verify checks a signed document against the trust store (e.g.
	// signing.Verifier.VerifyBytes). nil accepts unsigned packets; New
	// logs a warning.
	Verify func(doc []byte) error
	// Validate tunes packet validation; the zero value is the default.
	Validate packets.ValidateOptions

	// Fault injection; see Faults.
	ErrorRate, ThrottleRate float64
	RetryAfter              time.Duration
	Latency, LatencyJitter  time.Duration
	DropAckRate             float64
	Outages                 []Window
	// Seed makes fault injection repeatable for the same request order.
	Seed int64

	// Endpoints overrides DefaultEndpoints (kind → path).
	Endpoints map[packets.Kind]string
	// MaxBodyBytes bounds a packet request; default packets.MaxPacketSize.
	MaxBodyBytes int64
	// MaxMemoryBytes bounds the packet bodies kept in memory (default
	// 512 MiB). Beyond it only metadata is kept; with StoreDir the bodies
	// are still on disk.
	MaxMemoryBytes int64
	// StoreDir, when set, receives every new packet as
	// <StoreDir>/<profile>/<kind>/<MaGoiTin>.<xml|json>.
	StoreDir string
	// AdminToken, when set, opens /sandbox/* to non-loopback clients that
	// send it as a Bearer token (a valid access token also works).
	AdminToken string
	// Portal configures the national-portal emulation (/mapi/login,
	// /mapi/g); the zero value takes its defaults.
	Portal PortalOptions

	Now    func() time.Time
	Logger *slog.Logger
}

// Stats count what the sandbox saw. Every packet request ends in exactly
// one of Accepted, Rejected, Injected5xx, Injected429, InjectedDrop or
// Outage, so they add up to Received.
type Stats struct {
	Received         int            `json:"received"`          // packet requests (hcm-lgsp and dvcqg)
	Accepted         int            `json:"accepted"`          // answered 200: new or duplicate
	Unique           int            `json:"unique"`            // distinct message IDs stored
	Duplicates       int            `json:"duplicates"`        // recognised as already stored (answered 200, or 502 when the ack was dropped)
	Rejected         int            `json:"rejected"`          // answered 4xx, for any reason below
	Aborted          int            `json:"aborted"`           // the client went away before the body arrived (not counted as rejected)
	Unauthorized     int            `json:"unauthorized"`      // of Rejected: missing, unknown or expired token
	InvalidSignature int            `json:"invalid_signature"` // of Rejected: Verify failed
	Invalid          int            `json:"invalid"`           // of Rejected: undecodable or invalid packet
	Conflicts        int            `json:"conflicts"`         // of Rejected: message ID reused for other bytes
	Injected5xx      int            `json:"injected_5xx"`
	Injected429      int            `json:"injected_429"`
	InjectedDrop     int            `json:"injected_drop"` // stored, answered 502
	Outage           int            `json:"outage"`        // packet requests answered 503 in an outage
	TokensIssued     int            `json:"tokens_issued"`
	TokenFailures    int            `json:"token_failures"` // refused, malformed or outage
	StoreErrors      int            `json:"store_errors"`   // packets not written to StoreDir
	ByKind           map[string]int `json:"by_kind"`        // unique stored packets per kind
	DVCQG            PortalStats    `json:"dvcqg"`          // the national-portal emulation (dvcqg_portal.go)
}

// Accepted is one stored packet. Body is shared with the server: do not
// modify it. It is nil when the memory bound was reached.
type Accepted struct {
	MessageID string    `json:"message_id"`
	Profile   string    `json:"profile"`
	Kind      string    `json:"kind"` // LoaiGoiTin, or the dvcqg service name
	MaHoSo    string    `json:"ma_ho_so,omitempty"`
	Size      int       `json:"size"`
	SHA256    string    `json:"sha256"`
	At        time.Time `json:"at"`    // first received
	Count     int       `json:"count"` // times received and stored or recognised
	Body      []byte    `json:"-"`
}

// Server is the sandbox. It is safe for concurrent use.
type Server struct {
	opts      Options
	log       *slog.Logger
	now       func() time.Time
	endpoints map[packets.Kind]string
	hcm       packets.Profile
	dvcqg     packets.Profile
	services  map[string]dvcqgService
	portal    *portal
	catalogs  *catalogServer // city catalogs (catalogs.go)
	handler   http.Handler

	mu     sync.Mutex // guards faults, rng, tokens, stats
	faults Faults
	rng    *rand.Rand
	tokens map[string]time.Time // access token → expiry
	stats  Stats

	store *store
}

// New checks o and builds a server.
func New(o Options) (*Server, error) {
	if o.TokenTTL == 0 {
		o.TokenTTL = time.Hour
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = packets.MaxPacketSize
	}
	if o.MaxMemoryBytes == 0 {
		o.MaxMemoryBytes = 512 << 20
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Endpoints == nil {
		o.Endpoints = DefaultEndpoints
	}
	faults := Faults{
		ErrorRate: o.ErrorRate, ThrottleRate: o.ThrottleRate, DropAckRate: o.DropAckRate,
		RetryAfter: o.RetryAfter, Latency: o.Latency, LatencyJitter: o.LatencyJitter,
		Outages: append([]Window(nil), o.Outages...),
	}
	var errs []error
	if o.ClientID == "" || o.ClientSecret == "" {
		errs = append(errs, errors.New("sandbox client ID and client secret are required: the connector must authenticate as it would with LGSP"))
	}
	if o.TokenTTL < 0 {
		errs = append(errs, fmt.Errorf("sandbox token TTL %s: must be positive", o.TokenTTL))
	}
	if o.MaxBodyBytes < 0 || o.MaxMemoryBytes < 0 {
		errs = append(errs, errors.New("sandbox size limits must not be negative"))
	}
	if err := faults.validate(); err != nil {
		errs = append(errs, err)
	}
	pt, err := newPortal(o.Portal)
	if err != nil {
		errs = append(errs, err)
	}
	seen := map[string]packets.Kind{}
	for k, p := range o.Endpoints {
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, " {}") {
			errs = append(errs, fmt.Errorf("sandbox endpoint for %s %q: want a path starting with /", k, p))
		}
		if other, dup := seen[p]; dup {
			errs = append(errs, fmt.Errorf("sandbox endpoint %q is used for both %s and %s", p, other, k))
		}
		seen[p] = k
	}
	hcm, err := packets.ProfileByName(packets.ProfileHCMLGSP)
	if err != nil {
		errs = append(errs, err)
	}
	dv, err := packets.ProfileByName(packets.ProfileDVCQG)
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	st, err := newStore(o.StoreDir, o.MaxMemoryBytes)
	if err != nil {
		return nil, err
	}

	s := &Server{
		opts:      o,
		log:       o.Logger,
		now:       o.Now,
		endpoints: o.Endpoints,
		hcm:       hcm,
		dvcqg:     dv,
		faults:    faults,
		rng:       rand.New(rand.NewPCG(uint64(o.Seed), uint64(o.Seed)^0x9e3779b97f4a7c15)),
		tokens:    map[string]time.Time{},
		stats:     Stats{ByKind: map[string]int{}, DVCQG: PortalStats{Calls: map[string]int{}}},
		store:     st,
		portal:    pt,
	}
	s.services = defaultDVCQGServices()
	s.handler = s.routes()
	if o.Verify == nil {
		s.log.Warn("sandbox accepts UNSIGNED packets: no trust store given (--trust); signatures are not checked")
	}
	return s, nil
}

// Handler returns the sandbox's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve answers on ln until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	s.log.Info("LGSP sandbox listening", "addr", ln.Addr().String())
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			return fmt.Errorf("sandbox shutdown: %w", err)
		}
		<-done
		return nil
	}
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.stats
	out.ByKind = make(map[string]int, len(s.stats.ByKind))
	for k, v := range s.stats.ByKind {
		out.ByKind[k] = v
	}
	out.DVCQG = s.stats.DVCQG.clone()
	return out
}

// Accepted returns every stored packet in arrival order.
func (s *Server) Accepted() []Accepted { return s.store.list("", 0, -1) }

// Packet returns one stored packet by message ID.
func (s *Server) Packet(messageID string) (Accepted, bool) { return s.store.get(messageID) }

// SetFaults replaces the injected faults. It rejects invalid rates.
func (s *Server) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	f.Outages = append([]Window(nil), f.Outages...)
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
	s.log.Info("sandbox faults changed", "error_rate", f.ErrorRate, "throttle_rate", f.ThrottleRate,
		"drop_ack_rate", f.DropAckRate, "retry_after", f.RetryAfter, "latency", f.Latency, "outages", len(f.Outages))
	return nil
}

// Faults returns the faults in force.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults
	f.Outages = append([]Window(nil), f.Outages...)
	return f
}

// inOutage reports whether now falls in an outage window.
func (s *Server) inOutage(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.faults.Outages {
		if w.Contains(now) {
			return true
		}
	}
	return false
}

// fate is what fault injection decided for one packet request. All random
// draws happen together under the lock, a fixed number per request, so a
// seed and a request order give the same fates.
type fate struct {
	throttle   bool
	fail       int // 0, or the 5xx status to answer
	dropAck    bool
	delay      time.Duration
	retryAfter time.Duration
}

var injectedStatuses = [...]int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout}

func (s *Server) drawFate() fate {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults
	u, drop, pick, jitter := s.rng.Float64(), s.rng.Float64(), s.rng.IntN(len(injectedStatuses)), s.rng.Float64()
	out := fate{retryAfter: f.RetryAfter, delay: f.Latency}
	switch {
	case u < f.ThrottleRate:
		out.throttle = true
	case u < f.ThrottleRate+f.ErrorRate:
		out.fail = injectedStatuses[pick]
	}
	out.dropAck = drop < f.DropAckRate
	if f.LatencyJitter > 0 {
		out.delay += time.Duration((2*jitter - 1) * float64(f.LatencyJitter))
	}
	out.delay = max(out.delay, 0)
	return out
}

// count applies fn to the stats under the lock.
func (s *Server) count(fn func(*Stats)) {
	s.mu.Lock()
	fn(&s.stats)
	s.mu.Unlock()
}

// endpoint is one hcm-lgsp packet route.
type endpoint struct {
	path string
	kind packets.Kind
}

// sortedEndpoints lists the packet routes in a stable order.
func (s *Server) sortedEndpoints() []endpoint {
	out := make([]endpoint, 0, len(s.endpoints))
	for k, p := range s.endpoints {
		out = append(out, endpoint{path: p, kind: k})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}
