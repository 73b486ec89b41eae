package lgsp

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var testPacket = Request{
	Path:        "/kho-du-lieu/1.0/ho-so",
	MessageID:   "6f1c2a9e-3b7d-4c1e-9a52-0d8e4f7b1a23",
	ContentType: "application/xml; charset=utf-8",
	// A marker standing for personal data: it must never reach a log line.
	Body: []byte(`<GoiTin><ChuHoSo>Nguyễn Văn PERSONAL-DATA-MARKER</ChuHoSo></GoiTin>`),
}

func TestSendClassifiesEachAnswer(t *testing.T) {
	tests := []struct {
		name         string
		script       []http.HandlerFunc
		wantClass    Class
		wantStatus   int
		wantAttempts int
		wantWait     time.Duration
		wantConfig   bool
		wantExcerpt  string
	}{
		{
			name:         "200 accepted",
			script:       []http.HandlerFunc{answer(200, `{"error_code":"0","message":"thành công"}`, nil)},
			wantClass:    ClassDelivered,
			wantStatus:   200,
			wantAttempts: 1,
		},
		{
			name:         "200 with numeric error_code 0",
			script:       []http.HandlerFunc{answer(200, `{"error_code":0}`, nil)},
			wantClass:    ClassDelivered,
			wantStatus:   200,
			wantAttempts: 1,
		},
		{
			name:         "200 carrying a rejection",
			script:       []http.HandlerFunc{answer(200, `{"error_code":"-1","message":"MaHoSo không hợp lệ"}`, nil)},
			wantClass:    ClassPermanent,
			wantStatus:   200,
			wantAttempts: 1,
			wantExcerpt:  "MaHoSo không hợp lệ",
		},
		{
			name:         "400 invalid signature is not retried",
			script:       []http.HandlerFunc{answer(400, `{"error_code":"-1","message":"invalid signature"}`, nil)},
			wantClass:    ClassPermanent,
			wantStatus:   400,
			wantAttempts: 1,
			wantExcerpt:  "invalid signature",
		},
		{
			name:         "404 wrong path",
			script:       []http.HandlerFunc{answer(404, `not found`, nil)},
			wantClass:    ClassPermanent,
			wantStatus:   404,
			wantAttempts: 1,
		},
		{
			name:         "500 retried then transient",
			script:       []http.HandlerFunc{answer(500, `boom`, nil)},
			wantClass:    ClassTransient,
			wantStatus:   500,
			wantAttempts: 3,
		},
		{
			name:         "502 then 200 recovers inside one send",
			script:       []http.HandlerFunc{answer(502, `bad gateway`, nil), answer(200, `{"error_code":"0"}`, nil)},
			wantClass:    ClassDelivered,
			wantStatus:   200,
			wantAttempts: 2,
		},
		{
			name:         "408 is transient",
			script:       []http.HandlerFunc{answer(408, ``, nil)},
			wantClass:    ClassTransient,
			wantStatus:   408,
			wantAttempts: 3,
		},
		{
			name:         "501 is not retried but transient",
			script:       []http.HandlerFunc{answer(501, ``, nil)},
			wantClass:    ClassTransient,
			wantStatus:   501,
			wantAttempts: 1,
		},
		{
			name:         "429 with short Retry-After is retried quickly",
			script:       []http.HandlerFunc{answer(429, `{"code":"900800","message":"Message throttled out"}`, map[string]string{"Retry-After": "0"})},
			wantClass:    ClassThrottled,
			wantStatus:   429,
			wantAttempts: 3,
		},
		{
			name:         "429 with long Retry-After is left to the outbox",
			script:       []http.HandlerFunc{answer(429, `{"code":"900800"}`, map[string]string{"Retry-After": "120"})},
			wantClass:    ClassThrottled,
			wantStatus:   429,
			wantAttempts: 1,
			wantWait:     120 * time.Second,
		},
		{
			name:         "503 with WSO2 hard limit code",
			script:       []http.HandlerFunc{answer(503, `{"fault":{"code":900801,"message":"Hard limit exceeded"}}`, map[string]string{"Retry-After": "30"})},
			wantClass:    ClassThrottled,
			wantStatus:   503,
			wantAttempts: 1,
			wantWait:     30 * time.Second,
		},
		{
			name:         "500 with WSO2 throttling code is throttled",
			script:       []http.HandlerFunc{answer(500, `{"fault":{"code":900802,"message":"Resource level throttle out"}}`, nil)},
			wantClass:    ClassThrottled,
			wantStatus:   500,
			wantAttempts: 3,
		},
		{
			name:         "redirect is a configuration error",
			script:       []http.HandlerFunc{answer(301, ``, map[string]string{"Location": "https://elsewhere.example/ho-so"})},
			wantClass:    ClassPermanent,
			wantStatus:   301,
			wantAttempts: 1,
			wantConfig:   true,
		},
		{
			name:         "403 is a configuration error",
			script:       []http.HandlerFunc{answer(403, `{"fault":{"code":900908,"message":"Resource forbidden"}}`, nil)},
			wantClass:    ClassPermanent,
			wantStatus:   403,
			wantAttempts: 1,
			wantConfig:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeLGSP(t)
			f.script = tt.script
			srv := httptest.NewServer(f)
			defer srv.Close()
			c := mustNew(t, testOptions(srv.URL, nil))

			res := c.Send(context.Background(), testPacket)

			if res.Class != tt.wantClass || res.Status != tt.wantStatus || res.Attempts != tt.wantAttempts {
				t.Fatalf("got class %s status %d attempts %d (err %v); want %s %d %d",
					res.Class, res.Status, res.Attempts, res.Err, tt.wantClass, tt.wantStatus, tt.wantAttempts)
			}
			if got := len(f.seen()); got != tt.wantAttempts {
				t.Errorf("server saw %d attempts, result says %d", got, tt.wantAttempts)
			}
			if res.RetryAfter != tt.wantWait {
				t.Errorf("RetryAfter = %s, want %s", res.RetryAfter, tt.wantWait)
			}
			if (res.Err == nil) != (tt.wantClass == ClassDelivered) {
				t.Errorf("Err = %v for class %s", res.Err, res.Class)
			}
			if got := errors.Is(res.Err, ErrConfig); got != tt.wantConfig {
				t.Errorf("errors.Is(Err, ErrConfig) = %v, want %v (err %v)", got, tt.wantConfig, res.Err)
			}
			if !strings.Contains(res.Excerpt, tt.wantExcerpt) {
				t.Errorf("Excerpt %q does not contain %q", res.Excerpt, tt.wantExcerpt)
			}
			if res.Endpoint != srv.URL+testPacket.Path {
				t.Errorf("Endpoint = %q", res.Endpoint)
			}
		})
	}
}

func TestSendRespectsQuickRetries(t *testing.T) {
	for _, retries := range []int{-1, 1, 2, 4} {
		t.Run(strconv.Itoa(retries), func(t *testing.T) {
			f := newFakeLGSP(t)
			f.script = []http.HandlerFunc{answer(503, ``, nil)}
			srv := httptest.NewServer(f)
			defer srv.Close()
			o := testOptions(srv.URL, nil)
			o.QuickRetries = retries
			c := mustNew(t, o)

			res := c.Send(context.Background(), testPacket)

			want := max(retries, 0) + 1
			if res.Attempts != want || len(f.seen()) != want {
				t.Fatalf("attempts: result %d, server %d; want %d", res.Attempts, len(f.seen()), want)
			}
			if res.Class != ClassThrottled {
				t.Errorf("class %s, want throttled", res.Class)
			}
		})
	}
}

func TestEveryAttemptCarriesTheSameIdentity(t *testing.T) {
	f := newFakeLGSP(t)
	f.script = []http.HandlerFunc{answer(502, ``, nil), answer(504, ``, nil), answer(200, `{"error_code":"0"}`, nil)}
	srv := httptest.NewServer(f)
	defer srv.Close()
	o := testOptions(srv.URL, nil)
	o.Headers = map[string]string{"dstcode": "VN:GOV:000.00.00.H29:lgsp", "Idempotency-Key": "must-be-overridden"}
	c := mustNew(t, o)

	res := c.Send(context.Background(), testPacket)
	if res.Class != ClassDelivered {
		t.Fatalf("class %s: %v", res.Class, res.Err)
	}
	seen := f.seen()
	if len(seen) != 3 {
		t.Fatalf("server saw %d attempts, want 3", len(seen))
	}
	for i, a := range seen {
		for _, h := range []string{"Idempotency-Key", "X-Message-ID"} {
			if got := a.Header.Get(h); got != testPacket.MessageID {
				t.Errorf("attempt %d: %s = %q, want %q", i, h, got, testPacket.MessageID)
			}
		}
		if got := a.Header.Get("Content-Type"); got != testPacket.ContentType {
			t.Errorf("attempt %d: Content-Type = %q", i, got)
		}
		if got := a.Header.Get("Authorization"); got != "Bearer tok-1-opaque" {
			t.Errorf("attempt %d: Authorization = %q", i, got)
		}
		if got := a.Header.Get("dstcode"); got != o.Headers["dstcode"] {
			t.Errorf("attempt %d: dstcode = %q", i, got)
		}
		if !bytes.Equal(a.Body, testPacket.Body) {
			t.Errorf("attempt %d: body differs from the bytes given to Send", i)
		}
	}
}

func TestTokenIsCachedAndRefreshedBeforeExpiry(t *testing.T) {
	tests := []struct {
		name       string
		ttl        int
		stillValid time.Duration // elapsed time at which the first token is still used
		refreshed  time.Duration // elapsed time at which a new token must be fetched
	}{
		{name: "one hour: refresh at 80%", ttl: 3600, stillValid: 2879 * time.Second, refreshed: 2880 * time.Second},
		{name: "100 s: refresh 60 s before expiry", ttl: 100, stillValid: 39 * time.Second, refreshed: 40 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeLGSP(t)
			f.tokenTTL = tt.ttl
			srv := httptest.NewServer(f)
			defer srv.Close()
			clock := newFakeClock()
			c := mustNew(t, testOptions(srv.URL, clock))
			start := clock.Now()

			for i := 0; i < 3; i++ {
				if res := c.Send(context.Background(), testPacket); res.Class != ClassDelivered {
					t.Fatalf("send %d: %s %v", i, res.Class, res.Err)
				}
			}
			if f.tokens() != 1 {
				t.Fatalf("%d token fetches for 3 sends, want 1", f.tokens())
			}
			clock.Advance(tt.stillValid - clock.Now().Sub(start))
			c.Send(context.Background(), testPacket)
			if f.tokens() != 1 {
				t.Fatalf("token refetched after %s, want it reused until %s", tt.stillValid, tt.refreshed)
			}
			clock.Advance(tt.refreshed - clock.Now().Sub(start))
			c.Send(context.Background(), testPacket)
			if f.tokens() != 2 {
				t.Fatalf("%d token fetches after %s, want 2", f.tokens(), tt.refreshed)
			}
			seen := f.seen()
			if got := seen[len(seen)-1].Header.Get("Authorization"); got != "Bearer tok-2-opaque" {
				t.Errorf("last send used %q, want the refreshed token", got)
			}
		})
	}
}

func TestConcurrentSendersShareOneTokenFetch(t *testing.T) {
	f := newFakeLGSP(t)
	gate := make(chan struct{})
	f.tokenGate = gate
	srv := httptest.NewServer(f)
	defer srv.Close()
	var release sync.Once
	// Runs before srv.Close, so a failing test does not leave the token
	// handler blocked and Close waiting for it.
	defer release.Do(func() { close(gate) })
	c := mustNew(t, testOptions(srv.URL, newFakeClock()))

	const senders = 16
	var wg sync.WaitGroup
	results := make([]Result, senders)
	for i := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = c.Send(context.Background(), testPacket)
		}()
	}
	// Hold the token endpoint until every other sender has joined the
	// fetch in flight, then let it answer once.
	deadline := time.Now().Add(10 * time.Second)
	for c.tokens.joined.Load() < senders-1 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d senders joined the token fetch", c.tokens.joined.Load(), senders-1)
		}
		time.Sleep(time.Millisecond) // polling a condition, not synchronising by time
	}
	release.Do(func() { close(gate) })
	wg.Wait()

	for i, r := range results {
		if r.Class != ClassDelivered {
			t.Errorf("sender %d: %s %v", i, r.Class, r.Err)
		}
	}
	if got := c.tokens.fetches.Load(); got != 1 {
		t.Errorf("%d token fetches started, want 1", got)
	}
	if f.tokens() != 1 {
		t.Errorf("token endpoint served %d tokens, want 1", f.tokens())
	}
}

func TestUnauthorizedRefreshesTokenOnceAndRetriesOnce(t *testing.T) {
	t.Run("revoked token replaced", func(t *testing.T) {
		f := newFakeLGSP(t)
		f.rejected["tok-1-opaque"] = true
		srv := httptest.NewServer(f)
		defer srv.Close()
		c := mustNew(t, testOptions(srv.URL, newFakeClock()))

		res := c.Send(context.Background(), testPacket)

		if res.Class != ClassDelivered {
			t.Fatalf("class %s: %v", res.Class, res.Err)
		}
		if f.tokens() != 2 || res.Attempts != 2 {
			t.Errorf("token fetches %d, attempts %d; want 2 and 2", f.tokens(), res.Attempts)
		}
	})
	t.Run("credentials refused for good", func(t *testing.T) {
		f := newFakeLGSP(t)
		f.rejected["tok-1-opaque"], f.rejected["tok-2-opaque"], f.rejected["tok-3-opaque"] = true, true, true
		srv := httptest.NewServer(f)
		defer srv.Close()
		c := mustNew(t, testOptions(srv.URL, newFakeClock()))

		res := c.Send(context.Background(), testPacket)

		if res.Class != ClassPermanent || res.Status != http.StatusUnauthorized || !errors.Is(res.Err, ErrConfig) {
			t.Fatalf("got %s %d %v; want permanent 401 wrapping ErrConfig", res.Class, res.Status, res.Err)
		}
		if f.tokens() != 2 || len(f.seen()) != 2 {
			t.Errorf("token fetches %d, packet requests %d; want exactly one refresh and one retry", f.tokens(), len(f.seen()))
		}
	})
}

func TestTokenEndpointFailures(t *testing.T) {
	tests := []struct {
		name       string
		secret     string
		tokenAns   http.HandlerFunc // nil: the fake's real token endpoint
		wantClass  Class
		wantConfig bool
		wantWait   time.Duration
	}{
		{name: "wrong secret", secret: "wrong", wantClass: ClassPermanent, wantConfig: true},
		{name: "token endpoint throttles", secret: testClientSecret,
			tokenAns:  answer(429, `{"code":"900800"}`, map[string]string{"Retry-After": "60"}),
			wantClass: ClassThrottled, wantWait: time.Minute},
		{name: "token endpoint down", secret: testClientSecret,
			tokenAns: answer(500, `oops`, nil), wantClass: ClassTransient},
		{name: "token reply without token", secret: testClientSecret,
			tokenAns: answer(200, `{"token_type":"Bearer"}`, nil), wantClass: ClassTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeLGSP(t)
			mux := http.NewServeMux()
			mux.Handle("/", f)
			if tt.tokenAns != nil {
				mux.Handle("/token", tt.tokenAns)
			}
			srv := httptest.NewServer(mux)
			defer srv.Close()
			o := testOptions(srv.URL, nil)
			o.ClientSecret = tt.secret
			c := mustNew(t, o)

			res := c.Send(context.Background(), testPacket)

			if res.Class != tt.wantClass || errors.Is(res.Err, ErrConfig) != tt.wantConfig || res.RetryAfter != tt.wantWait {
				t.Fatalf("got %s wait %s err %v; want %s wait %s config %v", res.Class, res.RetryAfter, res.Err, tt.wantClass, tt.wantWait, tt.wantConfig)
			}
			if len(f.seen()) != 0 {
				t.Errorf("packet sent without a token")
			}
			if _, err := c.Token(context.Background()); err == nil {
				t.Errorf("Token() succeeded against a failing token endpoint")
			}
		})
	}
}

func TestTokenAuthStyles(t *testing.T) {
	tests := []struct {
		auth      string
		wantBasic bool
		wantForm  bool
	}{
		{auth: "", wantBasic: true},
		{auth: "basic", wantBasic: true},
		{auth: "form", wantForm: true},
	}
	for _, tt := range tests {
		t.Run(tt.auth, func(t *testing.T) {
			f := newFakeLGSP(t)
			srv := httptest.NewServer(f)
			defer srv.Close()
			o := testOptions(srv.URL, newFakeClock())
			o.TokenAuth = tt.auth
			c := mustNew(t, o)

			exp, err := c.Token(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if want := newFakeClock().Now().Add(time.Hour); !exp.Equal(want) {
				t.Errorf("expiresAt %s, want %s", exp, want)
			}
			form, auth := f.tokenForm[0], f.tokenAuth[0]
			if got := strings.HasPrefix(auth, "Basic "); got != tt.wantBasic {
				t.Errorf("Basic auth header present = %v, want %v", got, tt.wantBasic)
			}
			if got := form["client_secret"] == testClientSecret && form["client_id"] == testClientID; got != tt.wantForm {
				t.Errorf("credentials in form = %v, want %v", got, tt.wantForm)
			}
			if form["grant_type"] != "client_credentials" {
				t.Errorf("grant_type = %q", form["grant_type"])
			}
		})
	}
}

func TestTokenAuthNoneSendsNoAuthorization(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.Path+" "+r.Header.Get("Authorization"))
		w.WriteHeader(200)
	}))
	defer srv.Close()
	c := mustNew(t, Options{BaseURL: srv.URL, TokenAuth: "none"})
	if res := c.Send(context.Background(), testPacket); res.Class != ClassDelivered {
		t.Fatalf("%s %v", res.Class, res.Err)
	}
	if len(got) != 1 || got[0] != testPacket.Path+" " {
		t.Errorf("requests %q, want one packet request without Authorization", got)
	}
}

func TestTLSVerification(t *testing.T) {
	f := newFakeLGSP(t)
	var conns atomic.Int32 // TLS handshakes fail before any HTTP request: count connections
	srv := httptest.NewUnstartedServer(f)
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "lgsp-ca.pem")
	writeFile(t, caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))

	t.Run("untrusted server certificate", func(t *testing.T) {
		c := mustNew(t, testOptions(srv.URL, nil))
		res := c.Send(context.Background(), testPacket)
		if res.Class != ClassPermanent || !errors.Is(res.Err, ErrConfig) {
			t.Fatalf("got %s %v; want permanent configuration error", res.Class, res.Err)
		}
		if n := conns.Load(); n != 1 {
			t.Errorf("a TLS verification failure was retried (%d connections)", n)
		}
		if f.tokens() != 0 {
			t.Errorf("token endpoint reached over an untrusted connection")
		}
	})
	t.Run("trusted through CA file", func(t *testing.T) {
		o := testOptions(srv.URL, nil)
		o.CAFile = caFile
		c := mustNew(t, o)
		if res := c.Send(context.Background(), testPacket); res.Class != ClassDelivered {
			t.Fatalf("got %s %v", res.Class, res.Err)
		}
	})
	t.Run("insecure skip verify warns", func(t *testing.T) {
		var logs logBuffer
		o := testOptions(srv.URL, nil)
		o.InsecureSkipVerify = true
		o.Logger = logs.logger()
		c := mustNew(t, o)
		if !strings.Contains(logs.String(), `"level":"WARN"`) || !strings.Contains(logs.String(), "verification") {
			t.Errorf("no warning logged for InsecureSkipVerify: %s", logs.String())
		}
		if res := c.Send(context.Background(), testPacket); res.Class != ClassDelivered {
			t.Fatalf("got %s %v", res.Class, res.Err)
		}
	})
}

func TestMutualTLS(t *testing.T) {
	pki := newTestPKI(t)
	f := newFakeLGSP(t)
	srv := httptest.NewUnstartedServer(f)
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pki.caPool}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "lgsp-ca.pem")
	writeFile(t, caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))

	t.Run("without client certificate", func(t *testing.T) {
		o := testOptions(srv.URL, nil)
		o.CAFile = caFile
		c := mustNew(t, o)
		res := c.Send(context.Background(), testPacket)
		if res.Class != ClassPermanent || !errors.Is(res.Err, ErrConfig) {
			t.Fatalf("got %s %v; want permanent configuration error", res.Class, res.Err)
		}
	})
	t.Run("with client certificate", func(t *testing.T) {
		o := testOptions(srv.URL, nil)
		o.CAFile = caFile
		o.ClientCertFile, o.ClientKeyFile = pki.clientCert, pki.clientKey
		c := mustNew(t, o)
		if res := c.Send(context.Background(), testPacket); res.Class != ClassDelivered {
			t.Fatalf("got %s %v", res.Class, res.Err)
		}
	})
}

func TestNewRejectsBadOptions(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	writeFile(t, garbage, []byte("not a certificate"))
	missing := filepath.Join(dir, "missing.pem")
	pki := newTestPKI(t)

	tests := []struct {
		name   string
		modify func(*Options)
		want   []string
	}{
		{name: "no base URL", modify: func(o *Options) { o.BaseURL = "" }, want: []string{"base URL"}},
		{name: "relative base URL", modify: func(o *Options) { o.BaseURL = "lgsp.example" }, want: []string{`"lgsp.example"`}},
		{name: "missing secret", modify: func(o *Options) { o.ClientSecret = "" }, want: []string{"client secret"}},
		{name: "unknown token auth", modify: func(o *Options) { o.TokenAuth = "digest" }, want: []string{`"digest"`}},
		{name: "missing CA file", modify: func(o *Options) { o.CAFile = missing }, want: []string{missing}},
		{name: "CA file without certificates", modify: func(o *Options) { o.CAFile = garbage }, want: []string{garbage, "no PEM certificate"}},
		{name: "cert without key", modify: func(o *Options) { o.ClientCertFile = pki.clientCert }, want: []string{"set both"}},
		{name: "key file is wrong", modify: func(o *Options) {
			o.ClientCertFile, o.ClientKeyFile = pki.clientCert, garbage
		}, want: []string{pki.clientCert, garbage}},
		{name: "bad header name", modify: func(o *Options) { o.Headers = map[string]string{"bad header": "x"} }, want: []string{`"bad header"`}},
		{name: "several problems at once", modify: func(o *Options) { o.BaseURL, o.ClientID = "", "" }, want: []string{"base URL", "client ID"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := testOptions("https://lgsp.example.gov.vn", nil)
			tt.modify(&o)
			_, err := New(o)
			if err == nil {
				t.Fatal("New accepted bad options")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), testClientSecret) {
				t.Errorf("error reveals the client secret: %v", err)
			}
		})
	}
}

func TestNoSecretOrBodyInLogsOrErrors(t *testing.T) {
	f := newFakeLGSP(t)
	f.rejected["tok-1-opaque"] = true
	f.script = []http.HandlerFunc{
		answer(502, ``, nil),
		answer(400, `{"error_code":"-1","message":"bad"}`, nil),
		answer(500, `echo tok-2-opaque`, nil),
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	var logs logBuffer
	o := testOptions(srv.URL, newFakeClock())
	o.Logger = logs.logger()
	c := mustNew(t, o)

	var results []Result
	for range 4 {
		results = append(results, c.Send(context.Background(), testPacket))
	}
	bad := testOptions(srv.URL, nil)
	bad.ClientSecret = testClientSecret + "-wrong"
	bad.Logger = logs.logger()
	results = append(results, mustNew(t, bad).Send(context.Background(), testPacket))

	if !strings.Contains(logs.String(), testPacket.MessageID) {
		t.Fatalf("log capture is empty or not at debug level: %q", logs.String())
	}
	secrets := []string{testClientSecret, "tok-1-opaque", "tok-2-opaque", "PERSONAL-DATA-MARKER"}
	for _, s := range secrets {
		if strings.Contains(logs.String(), s) {
			t.Errorf("logs contain %q", s)
		}
		for i, r := range results {
			if r.Err != nil && strings.Contains(r.Err.Error(), s) {
				t.Errorf("result %d error contains %q: %v", i, s, r.Err)
			}
			if strings.Contains(r.Excerpt, s) {
				t.Errorf("result %d excerpt contains %q", i, s)
			}
		}
	}
}

func TestSendRejectsMissingMessageID(t *testing.T) {
	c := mustNew(t, testOptions("http://127.0.0.1:1", nil))
	r := testPacket
	r.MessageID = ""
	if res := c.Send(context.Background(), r); res.Class != ClassPermanent || res.Err == nil {
		t.Fatalf("got %s %v", res.Class, res.Err)
	}
}

func TestNetworkErrorIsTransient(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	c := mustNew(t, testOptions(url, nil))
	res := c.Send(context.Background(), testPacket)
	if res.Class != ClassTransient || errors.Is(res.Err, ErrConfig) {
		t.Fatalf("got %s %v; want transient", res.Class, res.Err)
	}
}

func TestCancelledContextStopsRetries(t *testing.T) {
	f := newFakeLGSP(t)
	ctx, cancel := context.WithCancel(context.Background())
	f.script = []http.HandlerFunc{func(w http.ResponseWriter, r *http.Request) {
		cancel()
		w.WriteHeader(http.StatusBadGateway)
	}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := mustNew(t, testOptions(srv.URL, nil))
	res := c.Send(ctx, testPacket)
	if res.Class != ClassTransient || len(f.seen()) != 1 {
		t.Fatalf("got %s after %d attempts (%v); want transient after 1", res.Class, len(f.seen()), res.Err)
	}
}

func TestServerTime(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", "Mon, 02 Mar 2026 01:02:03 GMT")
		w.WriteHeader(http.StatusNotFound)
	}))
	defer srv.Close()
	c := mustNew(t, testOptions(srv.URL, nil))
	got, err := c.ServerTime(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 3, 2, 1, 2, 3, 0, time.UTC); !got.Equal(want) {
		t.Errorf("ServerTime = %s, want %s", got, want)
	}
}

func TestBackoff(t *testing.T) {
	clock := newFakeClock()
	c := mustNew(t, Options{BaseURL: "https://lgsp.example", TokenAuth: "none", Now: clock.Now})
	withRetryAfter := func(v string) *http.Response {
		return &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {v}}}
	}
	tests := []struct {
		name    string
		attempt int
		resp    *http.Response
		lo, hi  time.Duration
	}{
		{name: "first retry", attempt: 0, lo: 50 * time.Millisecond, hi: 100 * time.Millisecond},
		{name: "third retry", attempt: 2, lo: 200 * time.Millisecond, hi: 400 * time.Millisecond},
		{name: "capped", attempt: 20, lo: 500 * time.Millisecond, hi: time.Second},
		{name: "huge attempt", attempt: 100, lo: 500 * time.Millisecond, hi: time.Second},
		{name: "Retry-After seconds", resp: withRetryAfter("1"), lo: time.Second, hi: time.Second},
		{name: "Retry-After over cap", resp: withRetryAfter("30"), lo: time.Second, hi: time.Second},
		{name: "Retry-After date", resp: withRetryAfter(clock.Now().Add(700 * time.Millisecond).UTC().Format(http.TimeFormat)), lo: 0, hi: time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 50 {
				d := c.backoff(100*time.Millisecond, time.Second, tt.attempt, tt.resp)
				if d < tt.lo || d > tt.hi {
					t.Fatalf("backoff %s outside [%s, %s]", d, tt.lo, tt.hi)
				}
			}
		})
	}
}
