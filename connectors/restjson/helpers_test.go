package restjson

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
)

// vn is the vendor's zone in the tests.
var vn = mustZone("Asia/Ho_Chi_Minh")

// farFuture is a clock far after every item the tests store, so the lag
// window hides nothing unless a test wants it to.
var farFuture = time.Date(2030, 1, 1, 0, 0, 0, 0, vn)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func durationPtr(d time.Duration) *time.Duration { return &d }
func intPtr(n int) *int                          { return &n }

// at is a time on 1 March 2024 in Vietnam, h:m:s.
func at(h, m, s int) time.Time { return time.Date(2024, 3, 1, h, m, s, 0, vn) }

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// vendorItem is one item the fake API holds: the server's own idea of its
// time and key (how it filters and sorts), and the JSON it answers with,
// which a test may make wrong on purpose.
type vendorItem struct {
	at  time.Time
	key string
	obj any
}

// seen is one request the fake API received.
type seen struct {
	method string
	path   string
	query  url.Values
	header http.Header
	body   string
}

// vendorAPI is an HTTP server emulating a kiosk vendor's ratings API in
// one of the paging styles. Answers look like
//
//	{"data": {"items": [...], "total": n}, "paging": {"next": "..."}}
//
// Items are kept in insertion order; the cursor style filters and sorts
// them by (time, key), the others page through insertion order.
type vendorAPI struct {
	mode    string // cursor | page | next_token | next_url
	numeric bool   // keys compare as numbers

	mu       sync.Mutex
	items    []vendorItem
	requests []seen
	// failures are statuses answered, one per request, before serving.
	failures   []int
	retryAfter string
	// override, when set, answers requests instead of the emulation.
	override func(w http.ResponseWriter, r *http.Request)
	// ignorePage answers every page with the first one.
	ignorePage bool
	// unsorted makes the cursor style answer in insertion order.
	unsorted bool
}

func (v *vendorAPI) add(items ...vendorItem) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.items = append(v.items, items...)
}

// rating is a well-formed item: id, updated_at (RFC 3339 in Vietnam time)
// and a few fields.
func (v *vendorAPI) rating(key string, t time.Time) vendorItem {
	var id any = key
	if v.numeric {
		id = json.Number(key)
	}
	return vendorItem{at: t, key: key, obj: map[string]any{
		"id": id, "updated_at": t.Format(time.RFC3339), "muc_do": json.Number("1"), "ma_ho_so": "HS-" + key,
	}}
}

func (v *vendorAPI) seenRequests() []seen {
	v.mu.Lock()
	defer v.mu.Unlock()
	return slices.Clone(v.requests)
}

func (v *vendorAPI) less(a, b vendorItem) int {
	if c := a.at.Compare(b.at); c != 0 {
		return c
	}
	if v.numeric {
		x, _ := new(big.Int).SetString(a.key, 10)
		y, _ := new(big.Int).SetString(b.key, 10)
		if x != nil && y != nil {
			return x.Cmp(y)
		}
	}
	return strings.Compare(a.key, b.key)
}

func (v *vendorAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	v.mu.Lock()
	v.requests = append(v.requests, seen{method: r.Method, path: r.URL.Path, query: r.URL.Query(), header: r.Header.Clone(), body: string(body)})
	if len(v.failures) > 0 {
		code := v.failures[0]
		v.failures = v.failures[1:]
		if v.retryAfter != "" {
			w.Header().Set("Retry-After", v.retryAfter)
		}
		v.mu.Unlock()
		http.Error(w, `{"error":"try later"}`, code)
		return
	}
	override := v.override
	items := slices.Clone(v.items)
	v.mu.Unlock()
	if override != nil {
		override(w, r)
		return
	}

	q := r.URL.Query()
	size, err := strconv.Atoi(q.Get("page_size"))
	if err != nil || size <= 0 {
		size = 1000
	}
	if s := q.Get("since"); s != "" {
		since, err := time.Parse(time.RFC3339, s)
		if err != nil {
			http.Error(w, "bad since", http.StatusBadRequest)
			return
		}
		after := q.Get("after_id")
		items = slices.DeleteFunc(items, func(it vendorItem) bool {
			if after == "" {
				return it.at.Before(since)
			}
			return v.less(it, vendorItem{at: since, key: after}) <= 0
		})
	}
	var next string
	switch v.mode {
	case "cursor":
		if !v.unsorted {
			slices.SortStableFunc(items, v.less)
		}
		items = items[:min(size, len(items))]
	case "page":
		n, _ := strconv.Atoi(q.Get("page"))
		if v.ignorePage {
			n = 1
		}
		from := min((n-1)*size, len(items))
		items = items[from:min(from+size, len(items))]
	case "next_token", "next_url":
		off := 0
		if c := q.Get("cursor"); c != "" {
			off, _ = strconv.Atoi(strings.TrimPrefix(c, "o"))
		}
		end := min(off+size, len(items))
		if end < len(items) {
			next = "o" + strconv.Itoa(end)
			if v.mode == "next_url" {
				nq := url.Values{"cursor": {next}, "page_size": {strconv.Itoa(size)}}
				if s := q.Get("since"); s != "" {
					nq.Set("since", s)
				}
				next = r.URL.Path + "?" + nq.Encode()
			}
		}
		items = items[off:end]
	}
	objs := make([]any, len(items))
	for i, it := range items {
		objs[i] = it.obj
	}
	answer := map[string]any{"data": map[string]any{"items": objs, "total": len(objs)}}
	if next != "" {
		answer["paging"] = map[string]any{"next": next}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(answer)
}

// startAPI serves v over plain http.
func startAPI(t testing.TB, v *vendorAPI) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(v)
	t.Cleanup(srv.Close)
	return srv
}

// startTLSAPI serves v over https and writes its certificate to a CA
// file for tls.ca_file.
func startTLSAPI(t testing.TB, v http.Handler) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(v)
	// Handshakes the tests fail on purpose are not noise for the log.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "vendor-ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, ca
}

// ratingsStream is the danh_gia stream of the fake API in a paging style.
func ratingsStream(mode string, keyType string) StreamConfig {
	sc := StreamConfig{
		Path: "/api/v1/ratings", Items: "data.items", Key: "id", KeyType: keyType, Updated: "updated_at",
		Lag: durationPtr(30 * time.Second),
	}
	switch mode {
	case "cursor":
		sc.Paging = PagingConfig{Type: PagingCursor}
	case "page":
		sc.Paging = PagingConfig{Type: PagingPage, SinceParam: "since"}
	case "next_token":
		sc.Paging = PagingConfig{Type: PagingNextToken, TokenPath: "paging.next", TokenParam: "cursor", SinceParam: "since"}
	case "next_url":
		sc.Paging = PagingConfig{Type: PagingNextToken, TokenPath: "paging.next", SinceParam: "since"}
	}
	return sc
}

// apiConfig is a one-stream config for the fake API at baseURL.
func apiConfig(baseURL string, sc StreamConfig) *Config {
	cfg := NewDefaultConfig()
	cfg.BaseURL = baseURL
	cfg.AllowInsecureHTTP = strings.HasPrefix(baseURL, "http:")
	cfg.Timeout = 5 * time.Second
	cfg.Streams = map[string]StreamConfig{"danh_gia": sc}
	return cfg
}

// newSource builds a source with fast retries, shut down after the test.
func newSource(t testing.TB, cfg *Config, settings connectors.Settings) *Source {
	t.Helper()
	src, err := NewSource(cfg, settings)
	if err != nil {
		t.Fatalf("NewSource: %v", err)
	}
	src.client.RetryWaitMin, src.client.RetryWaitMax = time.Millisecond, 5*time.Millisecond
	t.Cleanup(func() { _ = src.Shutdown(context.Background()) })
	return src
}

// startSource builds and starts a source.
func startSource(t testing.TB, cfg *Config, settings connectors.Settings) *Source {
	t.Helper()
	src := newSource(t, cfg, settings)
	if err := src.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return src
}

func fixedNow(t time.Time) connectors.Settings {
	return connectors.Settings{Now: func() time.Time { return t }}
}

func read(t testing.TB, src *Source, after connectors.Cursor, limit int) connectors.Batch {
	t.Helper()
	b, err := src.Read(context.Background(), "danh_gia", after, limit)
	if err != nil {
		t.Fatalf("Read(after %s, limit %d): %v", describeCursor(after), limit, err)
	}
	return b
}

func keysOf(recs []connectors.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Key
	}
	return out
}

// logBuffer collects a source's log output.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// errorsAs is errors.As for the tests' one-liners.
func errorsAs[T error](err error, target *T) bool { return errors.As(err, target) }
