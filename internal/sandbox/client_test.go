package sandbox

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/lgsp"
	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// clientFor returns an lgsp client for the sandbox at srv.
func clientFor(t *testing.T, srv *httptest.Server, secret string, now func() time.Time) *lgsp.Client {
	t.Helper()
	c, err := lgsp.New(lgsp.Options{
		BaseURL: srv.URL, ClientID: testClientID, ClientSecret: secret,
		Timeout: 5 * time.Second, RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond,
		Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func hcmRequest(t testing.TB, p *packets.Packet, signed bool) lgsp.Request {
	return lgsp.Request{
		Path:        DefaultEndpoints[p.Header.LoaiGoiTin],
		MessageID:   p.Header.MaGoiTin,
		ContentType: "application/xml; charset=utf-8",
		Body:        encode(t, p, signed),
	}
}

// TestTransportClassifiesSandboxAnswers runs the real transport against the
// sandbox: each kind of answer must land in the class the outbox expects.
func TestTransportClassifiesSandboxAnswers(t *testing.T) {
	invalid := dossier(5)
	invalid.Dossier.MaTTHC = ""
	tests := []struct {
		name         string
		faults       Faults
		secret       string
		req          lgsp.Request
		before       func(s *Server, c *lgsp.Client) // e.g. send once first
		wantClass    lgsp.Class
		wantStatus   int
		wantAttempts int
		wantWait     time.Duration
		wantConfig   bool
		wantExcerpt  string
	}{
		{name: "accepted", req: hcmRequest(t, dossier(1), true),
			wantClass: lgsp.ClassDelivered, wantStatus: 200, wantAttempts: 1},
		{name: "duplicate is delivered", req: hcmRequest(t, dossier(1), true),
			before:    func(s *Server, c *lgsp.Client) { c.Send(context.Background(), hcmRequest(t, dossier(1), true)) },
			wantClass: lgsp.ClassDelivered, wantStatus: 200, wantAttempts: 1, wantExcerpt: `"duplicate":true`},
		{name: "invalid signature is permanent", req: hcmRequest(t, dossier(1), false),
			wantClass: lgsp.ClassPermanent, wantStatus: 400, wantAttempts: 1, wantExcerpt: "invalid signature"},
		{name: "invalid packet is permanent", req: hcmRequest(t, invalid, true),
			wantClass: lgsp.ClassPermanent, wantStatus: 400, wantAttempts: 1, wantExcerpt: "MaTTHC"},
		{name: "conflict is permanent", req: hcmRequest(t, dossier(1), true),
			before: func(s *Server, c *lgsp.Client) {
				changed := dossier(1)
				changed.Dossier.TrangThaiHoSo = "9"
				c.Send(context.Background(), hcmRequest(t, changed, true))
			},
			wantClass: lgsp.ClassPermanent, wantStatus: 409, wantAttempts: 1},
		{name: "throttled with a long Retry-After returns at once", faults: Faults{ThrottleRate: 1, RetryAfter: 30 * time.Second},
			req: hcmRequest(t, dossier(1), true), wantClass: lgsp.ClassThrottled, wantStatus: 429, wantAttempts: 1, wantWait: 30 * time.Second},
		{name: "injected 5xx is transient after quick retries", faults: Faults{ErrorRate: 1},
			req: hcmRequest(t, dossier(1), true), wantClass: lgsp.ClassTransient, wantAttempts: 3},
		{name: "lost acknowledgement is transient", faults: Faults{DropAckRate: 1},
			req: hcmRequest(t, dossier(1), true), wantClass: lgsp.ClassTransient, wantStatus: 502, wantAttempts: 3},
		{name: "outage is throttled (503)", faults: Faults{Outages: []Window{{Start: newFakeClock().Now().Add(-time.Hour), End: newFakeClock().Now().Add(time.Hour)}}},
			req: hcmRequest(t, dossier(1), true), wantClass: lgsp.ClassThrottled, wantStatus: 0, wantAttempts: 0},
		{name: "wrong client secret is a configuration error", secret: "wrong",
			req: hcmRequest(t, dossier(1), true), wantClass: lgsp.ClassPermanent, wantAttempts: 0, wantConfig: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			s := mustNew(t, testOptions(clock))
			srv := httptest.NewServer(s.Handler())
			defer srv.Close()
			secret := tt.secret
			if secret == "" {
				secret = testClientSecret
			}
			c := clientFor(t, srv, secret, clock.Now)
			if tt.before != nil {
				tt.before(s, c)
			}
			if err := s.SetFaults(tt.faults); err != nil {
				t.Fatal(err)
			}

			res := c.Send(context.Background(), tt.req)

			if res.Class != tt.wantClass || res.Attempts != tt.wantAttempts || res.RetryAfter != tt.wantWait {
				t.Fatalf("got %s, %d attempts, wait %s (status %d, err %v); want %s, %d, %s",
					res.Class, res.Attempts, res.RetryAfter, res.Status, res.Err, tt.wantClass, tt.wantAttempts, tt.wantWait)
			}
			if tt.wantStatus != 0 && res.Status != tt.wantStatus {
				t.Errorf("status %d, want %d", res.Status, tt.wantStatus)
			}
			if errors.Is(res.Err, lgsp.ErrConfig) != tt.wantConfig {
				t.Errorf("ErrConfig = %v, want %v: %v", errors.Is(res.Err, lgsp.ErrConfig), tt.wantConfig, res.Err)
			}
			if !strings.Contains(res.Excerpt, tt.wantExcerpt) {
				t.Errorf("excerpt %q does not contain %q", res.Excerpt, tt.wantExcerpt)
			}
			checkInvariant(t, s.Stats())
		})
	}
}

// TestLostAcknowledgementThenResend is the duplicate-detection story: the
// first answer is lost, the client resends the same bytes, LGSP says
// "duplicate", and the packet counts once.
func TestLostAcknowledgementThenResend(t *testing.T) {
	clock := newFakeClock()
	o := testOptions(clock)
	o.DropAckRate = 1
	s := mustNew(t, o)
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	c := clientFor(t, srv, testClientSecret, clock.Now)
	req := hcmRequest(t, dossier(1), true)

	if res := c.Send(context.Background(), req); res.Class != lgsp.ClassTransient {
		t.Fatalf("first send: %s %v", res.Class, res.Err)
	}
	if err := s.SetFaults(Faults{}); err != nil {
		t.Fatal(err)
	}
	res := c.Send(context.Background(), req)
	if res.Class != lgsp.ClassDelivered || !strings.Contains(res.Excerpt, `"duplicate":true`) {
		t.Fatalf("resend: %s %q", res.Class, res.Excerpt)
	}
	st := s.Stats()
	if st.Unique != 1 || st.InjectedDrop != 3 || st.Duplicates != 3 || st.Accepted != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestRevokedTokenIsReplaced: the sandbox's clock runs ahead so the
// client's cached token has expired there; the client gets a 900901 fault,
// fetches a new token once and delivers.
func TestRevokedTokenIsReplaced(t *testing.T) {
	serverClock, clientClock := newFakeClock(), newFakeClock()
	s := mustNew(t, testOptions(serverClock))
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	c := clientFor(t, srv, testClientSecret, clientClock.Now)

	if res := c.Send(context.Background(), hcmRequest(t, dossier(1), true)); res.Class != lgsp.ClassDelivered {
		t.Fatalf("first send: %s %v", res.Class, res.Err)
	}
	serverClock.Advance(2 * time.Hour)
	res := c.Send(context.Background(), hcmRequest(t, dossier(2), true))
	if res.Class != lgsp.ClassDelivered || res.Attempts != 2 {
		t.Fatalf("after expiry: %s, %d attempts, %v", res.Class, res.Attempts, res.Err)
	}
	if st := s.Stats(); st.TokensIssued != 2 || st.Unauthorized != 1 || st.Unique != 2 {
		t.Errorf("stats %+v", st)
	}
}

// TestConcurrentWorkers sends from several goroutines with faults on and
// checks that every packet ends up stored exactly once.
func TestConcurrentWorkers(t *testing.T) {
	clock := newFakeClock()
	o := testOptions(clock)
	o.ErrorRate, o.ThrottleRate, o.DropAckRate, o.Seed = 0.2, 0.1, 0.1, 3
	s := mustNew(t, o)
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	c := clientFor(t, srv, testClientSecret, clock.Now)

	const workers, perWorker = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				n := w*perWorker + i
				req := hcmRequest(t, dossier(n), true)
				if n%2 == 1 {
					req = hcmRequest(t, progress(n), true)
				}
				// The outbox's long-term retry, compressed: resend until
				// delivered or refused.
				for attempt := 0; ; attempt++ {
					res := c.Send(context.Background(), req)
					if res.Class == lgsp.ClassDelivered {
						break
					}
					if res.Class == lgsp.ClassPermanent || attempt > 50 {
						errs <- res.Err
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("not delivered: %v", err)
	}
	st := s.Stats()
	if st.Unique != workers*perWorker || st.ByKind["HoSo"] != workers*perWorker/2 || st.ByKind["TienDoXuLy"] != workers*perWorker/2 {
		t.Errorf("stats %+v", st)
	}
	if st.Injected5xx == 0 || st.Injected429 == 0 || st.InjectedDrop == 0 || st.Duplicates == 0 {
		t.Errorf("faults were not exercised: %+v", st)
	}
	checkInvariant(t, st)
	if got := len(s.Accepted()); got != workers*perWorker {
		t.Errorf("%d packets stored", got)
	}
}

func TestServerTimeFromSandbox(t *testing.T) {
	s := mustNew(t, testOptions(nil))
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	c := clientFor(t, srv, testClientSecret, nil)
	got, err := c.ServerTime(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(got); d > time.Minute || d < -time.Minute {
		t.Errorf("server time %s is far from now", got)
	}
}

func TestDVCQGEndpoint(t *testing.T) {
	prof, err := packets.ProfileByName(packets.ProfileDVCQG)
	if err != nil {
		t.Fatal(err)
	}
	envelope := func(p *packets.Packet) []byte {
		b, err := prof.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	bad := dossier(3)
	bad.Dossier.TrangThaiHoSo = "77"
	clock := newFakeClock()
	s := mustNew(t, testOptions(clock))
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	c := clientFor(t, srv, testClientSecret, clock.Now)
	send := func(service, key string, body []byte) lgsp.Result {
		return c.Send(context.Background(), lgsp.Request{
			Path: DVCQGPrefix + service, MessageID: key, ContentType: prof.ContentType(), Body: body,
		})
	}

	tests := []struct {
		name        string
		service     string
		key         string
		body        []byte
		wantClass   lgsp.Class
		wantStatus  int
		wantExcerpt string
	}{
		{name: "dossier sync", service: "DongBoHoSoMC", key: messageID(1), body: envelope(dossier(1)),
			wantClass: lgsp.ClassDelivered, wantStatus: 200, wantExcerpt: `"error_code":0`},
		{name: "same call again is a duplicate", service: "DongBoHoSoMC", key: messageID(1), body: envelope(dossier(1)),
			wantClass: lgsp.ClassDelivered, wantStatus: 200, wantExcerpt: `"duplicate":true`},
		{name: "progress sync", service: "CapNhatTienDoHoSoMC", key: messageID(2), body: envelope(progress(2)),
			wantClass: lgsp.ClassDelivered, wantStatus: 200},
		{name: "invalid item: 200 with error_code -1", service: "DongBoHoSoMC", key: messageID(3), body: envelope(bad),
			wantClass: lgsp.ClassPermanent, wantStatus: 200, wantExcerpt: "TrangThaiHoSo"},
		{name: "service differs from the endpoint", service: "CapNhatTienDoHoSoMC", key: messageID(4), body: envelope(dossier(4)),
			wantClass: lgsp.ClassPermanent, wantStatus: 200, wantExcerpt: "differs"},
		{name: "unknown service", service: "LayDanhMucCoQuan", key: messageID(5), body: []byte(`{"service":"LayDanhMucCoQuan"}`),
			wantClass: lgsp.ClassPermanent, wantStatus: 404},
		{name: "empty data", service: "DongBoHoSoMC", key: messageID(6), body: []byte(`{"madonvi":"000.00.06.H29","service":"DongBoHoSoMC","data":[]}`),
			wantClass: lgsp.ClassPermanent, wantStatus: 200, wantExcerpt: "empty"},
	}
	for _, tt := range tests {
		res := send(tt.service, tt.key, tt.body)
		if res.Class != tt.wantClass || res.Status != tt.wantStatus || !strings.Contains(res.Excerpt, tt.wantExcerpt) {
			t.Errorf("%s: %s %d %q; want %s %d containing %q", tt.name, res.Class, res.Status, res.Excerpt, tt.wantClass, tt.wantStatus, tt.wantExcerpt)
		}
	}
	st := s.Stats()
	if st.Unique != 2 || st.ByKind["DongBoHoSoMC"] != 1 || st.ByKind["CapNhatTienDoHoSoMC"] != 1 || st.Duplicates != 1 || st.Rejected != 4 {
		t.Errorf("stats %+v", st)
	}
	checkInvariant(t, st)
	acc, ok := s.Packet(messageID(1))
	if !ok || acc.Profile != "dvcqg" || acc.MaHoSo != "000.00.06.H29-260302-0001" {
		t.Errorf("stored dvcqg call %+v", acc)
	}

	// Without a token the gateway refuses, as for hcm-lgsp packets.
	resp, err := http.Post(srv.URL+DVCQGPrefix+"DongBoHoSoMC", "application/json", strings.NewReader(string(envelope(dossier(9)))))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("dvcqg without token: %d", resp.StatusCode)
	}
}
