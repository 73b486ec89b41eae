package sandbox

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

var hoSoPath = DefaultEndpoints[packets.KindDossier]

func TestTokenEndpoint(t *testing.T) {
	form := "application/x-www-form-urlencoded"
	tests := []struct {
		name       string
		headers    map[string]string
		body       string
		wantStatus int
		wantError  string
	}{
		{name: "basic auth", headers: map[string]string{"Authorization": basicAuth(testClientID, testClientSecret)},
			body: "grant_type=client_credentials", wantStatus: 200},
		{name: "credentials in form", body: "grant_type=client_credentials&client_id=" + testClientID + "&client_secret=" + testClientSecret,
			wantStatus: 200},
		{name: "wrong secret", headers: map[string]string{"Authorization": basicAuth(testClientID, "nope")},
			body: "grant_type=client_credentials", wantStatus: 401, wantError: "invalid_client"},
		{name: "wrong client", body: "grant_type=client_credentials&client_id=other&client_secret=" + testClientSecret,
			wantStatus: 401, wantError: "invalid_client"},
		{name: "no credentials", body: "grant_type=client_credentials", wantStatus: 401, wantError: "invalid_client"},
		{name: "password grant", headers: map[string]string{"Authorization": basicAuth(testClientID, testClientSecret)},
			body: "grant_type=password&username=a&password=b", wantStatus: 400, wantError: "unsupported_grant_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustNew(t, testOptions(newFakeClock()))
			headers := map[string]string{"Content-Type": form}
			for k, v := range tt.headers {
				headers[k] = v
			}
			r := call(t, s.Handler(), "POST", "/token", headers, []byte(tt.body))
			if r.Status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.wantStatus, r.Raw)
			}
			st := s.Stats()
			if tt.wantError != "" {
				if r.JSON["error"] != tt.wantError {
					t.Errorf("error %v, want %q", r.JSON["error"], tt.wantError)
				}
				if st.TokenFailures != 1 || st.TokensIssued != 0 {
					t.Errorf("stats %+v", st)
				}
				return
			}
			if r.JSON["token_type"] != "Bearer" || r.JSON["expires_in"] != float64(3600) || r.JSON["scope"] == nil {
				t.Errorf("token reply %s", r.Raw)
			}
			if tok, _ := r.JSON["access_token"].(string); len(tok) < 32 {
				t.Errorf("access token %q too short", tok)
			}
			if st.TokensIssued != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestPacketEndpointRequiresAValidToken(t *testing.T) {
	clock := newFakeClock()
	o := testOptions(clock)
	o.TokenTTL = 10 * time.Minute
	s := mustNew(t, o)
	h := s.Handler()
	tok := token(t, h)
	body := encode(t, dossier(1), true)

	tests := []struct {
		name      string
		token     string
		advance   time.Duration
		wantCode  float64
		wantState int
	}{
		{name: "no token", token: "", wantState: 401, wantCode: 900902},
		{name: "unknown token", token: "not-issued-here", wantState: 401, wantCode: 900901},
		{name: "valid token", token: tok, wantState: 200},
		{name: "expired token", token: tok, advance: 10 * time.Minute, wantState: 401, wantCode: 900901},
	}
	for _, tt := range tests {
		clock.Advance(tt.advance)
		r := postPacket(t, h, tt.token, hoSoPath, messageID(1), body)
		if r.Status != tt.wantState {
			t.Fatalf("%s: status %d, want %d: %s", tt.name, r.Status, tt.wantState, r.Raw)
		}
		if tt.wantCode != 0 {
			fault, _ := r.JSON["fault"].(map[string]any)
			if fault["code"] != tt.wantCode {
				t.Errorf("%s: fault %v, want code %v", tt.name, r.JSON, tt.wantCode)
			}
			if r.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: no WWW-Authenticate header", tt.name)
			}
		}
	}
	st := s.Stats()
	if st.Unauthorized != 3 || st.Rejected != 3 || st.Accepted != 1 {
		t.Errorf("stats %+v", st)
	}
	checkInvariant(t, st)
}

func TestPacketChecks(t *testing.T) {
	valid := encode(t, dossier(1), true)
	invalid := dossier(2)
	invalid.Dossier.MaTTHC = ""
	invalid.Dossier.TrangThaiHoSo = "42"

	tests := []struct {
		name        string
		path        string
		key         string
		contentType string
		body        []byte
		wantStatus  int
		wantMessage string
		wantIssue   string
		wantCounter func(Stats) int
	}{
		{name: "accepted", path: hoSoPath, key: messageID(1), body: valid, wantStatus: 200,
			wantMessage: "accepted", wantCounter: func(s Stats) int { return s.Accepted }},
		{name: "missing Idempotency-Key", path: hoSoPath, body: valid, wantStatus: 400,
			wantMessage: "Idempotency-Key", wantCounter: func(s Stats) int { return s.Invalid }},
		{name: "Idempotency-Key differs from MaGoiTin", path: hoSoPath, key: messageID(99), body: valid, wantStatus: 400,
			wantMessage: "does not match", wantCounter: func(s Stats) int { return s.Invalid }},
		{name: "Idempotency-Key with a path in it", path: hoSoPath, key: "../../etc/passwd", body: valid, wantStatus: 400,
			wantMessage: "invalid", wantCounter: func(s Stats) int { return s.Invalid }},
		{name: "unsigned", path: hoSoPath, key: messageID(1), body: encode(t, dossier(1), false), wantStatus: 400,
			wantMessage: "invalid signature", wantCounter: func(s Stats) int { return s.InvalidSignature }},
		{name: "signature altered after signing", path: hoSoPath, key: messageID(1),
			body:       bytes.Replace(valid, []byte("trusted-test-signature"), []byte("forged"), 1),
			wantStatus: 400, wantMessage: "chữ ký không hợp lệ", wantCounter: func(s Stats) int { return s.InvalidSignature }},
		{name: "not XML", path: hoSoPath, key: messageID(1), body: []byte("hello " + trustedSignature), wantStatus: 400,
			wantMessage: "cannot decode", wantCounter: func(s Stats) int { return s.Invalid }},
		{name: "invalid packet lists every issue", path: hoSoPath, key: messageID(2), body: encode(t, invalid, true), wantStatus: 400,
			wantIssue: "TrangThaiHoSo", wantMessage: "MaTTHC", wantCounter: func(s Stats) int { return s.Invalid }},
		{name: "dossier posted to the progress endpoint", path: DefaultEndpoints[packets.KindProgress], key: messageID(1), body: valid,
			wantStatus: 400, wantMessage: hoSoPath, wantCounter: func(s Stats) int { return s.Invalid }},
		{name: "JSON content type", path: hoSoPath, key: messageID(1), contentType: "application/json", body: valid,
			wantStatus: 415, wantCounter: func(s Stats) int { return s.Invalid }},
		{name: "too large", path: hoSoPath, key: messageID(1), body: bytes.Repeat([]byte("x"), 4097), wantStatus: 413,
			wantCounter: func(s Stats) int { return s.Invalid }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := testOptions(newFakeClock())
			o.MaxBodyBytes = 4096
			s := mustNew(t, o)
			h := s.Handler()
			headers := map[string]string{"Authorization": "Bearer " + token(t, h), "Content-Type": "text/xml"}
			if tt.contentType != "" {
				headers["Content-Type"] = tt.contentType
			}
			if tt.key != "" {
				headers["Idempotency-Key"] = tt.key
			}
			r := call(t, h, "POST", tt.path, headers, tt.body)

			if r.Status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.wantStatus, r.Raw)
			}
			msg, _ := r.JSON["message"].(string)
			if !strings.Contains(msg, tt.wantMessage) {
				t.Errorf("message %q does not mention %q", msg, tt.wantMessage)
			}
			wantCode := "-1"
			if tt.wantStatus == 200 {
				wantCode = "0"
			}
			if r.JSON["error_code"] != wantCode {
				t.Errorf("error_code %v, want %q", r.JSON["error_code"], wantCode)
			}
			if tt.wantIssue != "" && !strings.Contains(string(r.Raw), `"field":"`+tt.wantIssue+`"`) {
				t.Errorf("issues do not name %s: %s", tt.wantIssue, r.Raw)
			}
			if strings.Contains(string(r.Raw), "Nguyễn Văn A") {
				t.Errorf("reply echoes personal data: %s", r.Raw)
			}
			st := s.Stats()
			if tt.wantCounter(st) != 1 {
				t.Errorf("counter not incremented: %+v", st)
			}
			if tt.wantStatus != 200 && (st.Rejected != 1 || st.Unique != 0) {
				t.Errorf("rejected packet counted or stored: %+v", st)
			}
			checkInvariant(t, st)
		})
	}
}

func TestDuplicatesAndConflicts(t *testing.T) {
	s := mustNew(t, testOptions(newFakeClock()))
	h := s.Handler()
	tok := token(t, h)
	first := encode(t, dossier(1), true)

	var got []string
	for range 3 {
		r := postPacket(t, h, tok, hoSoPath, messageID(1), first)
		got = append(got, fmt.Sprintf("%d %v %v", r.Status, r.JSON["error_code"], r.JSON["duplicate"]))
	}
	want := []string{"200 0 <nil>", "200 0 true", "200 0 true"}
	if !slices.Equal(got, want) {
		t.Errorf("answers %q, want %q", got, want)
	}

	// Same MaGoiTin, other bytes: the sender re-encoded or re-signed.
	changed := dossier(1)
	changed.Dossier.TrangThaiHoSo = "4"
	r := postPacket(t, h, tok, hoSoPath, messageID(1), encode(t, changed, true))
	if r.Status != http.StatusConflict || !strings.Contains(r.JSON["message"].(string), "unchanged") {
		t.Errorf("conflict answered %d %s", r.Status, r.Raw)
	}
	// A second packet is unique.
	if r := postPacket(t, h, tok, hoSoPath, messageID(2), encode(t, dossier(2), true)); r.Status != 200 {
		t.Fatalf("second packet: %d %s", r.Status, r.Raw)
	}

	st := s.Stats()
	if st.Unique != 2 || st.Duplicates != 2 || st.Accepted != 4 || st.Conflicts != 1 || st.ByKind["HoSo"] != 2 {
		t.Errorf("stats %+v", st)
	}
	checkInvariant(t, st)
	acc := s.Accepted()
	if len(acc) != 2 || acc[0].MessageID != messageID(1) || acc[0].Count != 3 || !bytes.Equal(acc[0].Body, first) {
		t.Fatalf("accepted %+v", acc)
	}
	if acc[0].MaHoSo != "000.00.06.H29-260302-0001" || acc[0].Kind != "HoSo" || acc[0].Profile != "hcm-lgsp" {
		t.Errorf("metadata %+v", acc[0])
	}
}

// TestFaultRates sends 2,000 distinct packets and checks the injected
// fractions against the configured rates (within four standard
// deviations), and that a seed fixes the sequence.
func TestFaultRates(t *testing.T) {
	const n = 2000
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = encode(t, dossier(i), true)
	}
	run := func(seed int64) (Stats, []int) {
		o := testOptions(newFakeClock())
		o.ErrorRate, o.ThrottleRate, o.DropAckRate, o.RetryAfter, o.Seed = 0.2, 0.1, 0.05, 2*time.Second, seed
		s := mustNew(t, o)
		h := s.Handler()
		tok := token(t, h)
		statuses := make([]int, n)
		for i := range n {
			r := postPacket(t, h, tok, hoSoPath, messageID(i), bodies[i])
			statuses[i] = r.Status
			if r.Status == http.StatusTooManyRequests {
				fault, _ := r.JSON["fault"].(map[string]any)
				if r.Header.Get("Retry-After") != "2" || fault["code"] != float64(900801) {
					t.Fatalf("429 without Retry-After 2 and code 900801: %v %s", r.Header, r.Raw)
				}
			}
		}
		return s.Stats(), statuses
	}
	st, statuses := run(7)
	checkInvariant(t, st)

	within := func(name string, got int, trials int, p float64) {
		mean := float64(trials) * p
		sd := math.Sqrt(float64(trials) * p * (1 - p))
		if d := float64(got) - mean; d > 4*sd || d < -4*sd {
			t.Errorf("%s: %d of %d, expected %.0f ± %.0f", name, got, trials, mean, 4*sd)
		}
	}
	within("429", st.Injected429, n, 0.1)
	within("5xx", st.Injected5xx, n, 0.2)
	processed := n - st.Injected429 - st.Injected5xx
	within("dropped acks", st.InjectedDrop, processed, 0.05)
	if st.Unique != processed || st.Accepted != processed-st.InjectedDrop {
		t.Errorf("processed %d: %+v", processed, st)
	}
	counts := map[int]int{}
	for _, c := range statuses {
		counts[c]++
	}
	for _, c := range []int{500, 502, 504} {
		if counts[c] == 0 {
			t.Errorf("no injected %d among %v", c, counts)
		}
	}

	_, again := run(7)
	if !slices.Equal(statuses, again) {
		t.Errorf("same seed, same requests, different answers")
	}
	_, other := run(8)
	if slices.Equal(statuses, other) {
		t.Errorf("different seeds gave identical answers to %d requests", n)
	}
}

func TestOutageWindow(t *testing.T) {
	clock := newFakeClock()
	o := testOptions(clock)
	start := clock.Now()
	w, err := ParseOutage("10m@5m", start)
	if err != nil {
		t.Fatal(err)
	}
	o.Outages = []Window{w}
	s := mustNew(t, o)
	h := s.Handler()
	tok := token(t, h)

	steps := []struct {
		at         time.Duration
		wantPacket int
		wantToken  int
	}{
		{at: 0, wantPacket: 200, wantToken: 200},
		{at: 5*time.Minute - time.Second, wantPacket: 200, wantToken: 200},
		{at: 5 * time.Minute, wantPacket: 503, wantToken: 503},
		{at: 15*time.Minute - time.Second, wantPacket: 503, wantToken: 503},
		{at: 15 * time.Minute, wantPacket: 200, wantToken: 200},
	}
	for i, st := range steps {
		clock.Advance(start.Add(st.at).Sub(clock.Now()))
		r := postPacket(t, h, tok, hoSoPath, messageID(i), encode(t, dossier(i), true))
		if r.Status != st.wantPacket {
			t.Errorf("packet at +%s: %d, want %d", st.at, r.Status, st.wantPacket)
		}
		tr := call(t, h, "POST", "/token", map[string]string{
			"Content-Type": "application/x-www-form-urlencoded", "Authorization": basicAuth(testClientID, testClientSecret),
		}, []byte("grant_type=client_credentials"))
		if tr.Status != st.wantToken {
			t.Errorf("token at +%s: %d, want %d", st.at, tr.Status, st.wantToken)
		}
	}
	stats := s.Stats()
	if stats.Outage != 2 || stats.TokenFailures != 2 || stats.Unique != 3 {
		t.Errorf("stats %+v", stats)
	}
	checkInvariant(t, stats)

	// Start and end an outage at run time.
	if err := s.SetFaults(Faults{Outages: []Window{{Start: clock.Now(), End: clock.Now().Add(time.Minute)}}}); err != nil {
		t.Fatal(err)
	}
	if r := postPacket(t, h, tok, hoSoPath, messageID(10), encode(t, dossier(10), true)); r.Status != 503 {
		t.Errorf("during runtime outage: %d", r.Status)
	}
	if err := s.SetFaults(Faults{}); err != nil {
		t.Fatal(err)
	}
	if r := postPacket(t, h, tok, hoSoPath, messageID(10), encode(t, dossier(10), true)); r.Status != 200 {
		t.Errorf("after runtime outage: %d", r.Status)
	}
}

func TestDropAckStoresThenAnswers502(t *testing.T) {
	o := testOptions(newFakeClock())
	o.DropAckRate = 1
	s := mustNew(t, o)
	h := s.Handler()
	tok := token(t, h)
	body := encode(t, dossier(1), true)

	r := postPacket(t, h, tok, hoSoPath, messageID(1), body)
	if r.Status != http.StatusBadGateway {
		t.Fatalf("status %d, want 502", r.Status)
	}
	if acc := s.Accepted(); len(acc) != 1 || !bytes.Equal(acc[0].Body, body) {
		t.Fatalf("packet not stored before the lost acknowledgement: %+v", acc)
	}
	// The sender resends; the sandbox recognises the duplicate.
	if err := s.SetFaults(Faults{}); err != nil {
		t.Fatal(err)
	}
	r = postPacket(t, h, tok, hoSoPath, messageID(1), body)
	if r.Status != 200 || r.JSON["duplicate"] != true {
		t.Fatalf("resend answered %d %s", r.Status, r.Raw)
	}
	st := s.Stats()
	if st.InjectedDrop != 1 || st.Unique != 1 || st.Duplicates != 1 || st.Accepted != 1 {
		t.Errorf("stats %+v", st)
	}
	checkInvariant(t, st)
}

func TestLatency(t *testing.T) {
	o := testOptions(nil)
	o.Latency = 30 * time.Millisecond
	s := mustNew(t, o)
	h := s.Handler()
	tok := token(t, h)
	start := time.Now()
	if r := postPacket(t, h, tok, hoSoPath, messageID(1), encode(t, dossier(1), true)); r.Status != 200 {
		t.Fatalf("status %d", r.Status)
	}
	if d := time.Since(start); d < o.Latency {
		t.Errorf("answered after %s, before the configured latency %s", d, o.Latency)
	}
}

func TestStoreDirAndMemoryBound(t *testing.T) {
	dir := t.TempDir()
	o := testOptions(newFakeClock())
	o.StoreDir = dir
	o.MaxMemoryBytes = 1 // nothing fits: metadata only in memory
	s := mustNew(t, o)
	h := s.Handler()
	tok := token(t, h)
	body := encode(t, progress(3), true)
	if r := postPacket(t, h, tok, DefaultEndpoints[packets.KindProgress], messageID(3), body); r.Status != 200 {
		t.Fatalf("status %d %s", r.Status, r.Raw)
	}
	onDisk, err := os.ReadFile(filepath.Join(dir, "hcm-lgsp", "TienDoXuLy", messageID(3)+".xml"))
	if err != nil || !bytes.Equal(onDisk, body) {
		t.Fatalf("stored file: %v, equal %v", err, bytes.Equal(onDisk, body))
	}
	acc := s.Accepted()
	if len(acc) != 1 || acc[0].Body != nil || acc[0].Size != len(body) {
		t.Fatalf("accepted %+v", acc)
	}
	r := call(t, h, "GET", "/sandbox/packets/"+messageID(3), map[string]string{"X-Test-Remote-Addr": "127.0.0.1:5000"}, nil)
	if r.Status != 200 || !bytes.Equal(r.Raw, body) {
		t.Errorf("GET packet from disk: %d", r.Status)
	}

	// Without a store directory the body is gone.
	o.StoreDir = ""
	s2 := mustNew(t, o)
	h2 := s2.Handler()
	postPacket(t, h2, token(t, h2), DefaultEndpoints[packets.KindProgress], messageID(3), body)
	if r := call(t, h2, "GET", "/sandbox/packets/"+messageID(3), map[string]string{"X-Test-Remote-Addr": "127.0.0.1:5000"}, nil); r.Status != http.StatusGone {
		t.Errorf("GET packet without body: %d, want 410", r.Status)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Options)
		want   string
	}{
		{name: "no credentials", modify: func(o *Options) { o.ClientSecret = "" }, want: "client secret"},
		{name: "rate above 1", modify: func(o *Options) { o.ErrorRate = 1.5 }, want: "error rate 1.5"},
		{name: "negative rate", modify: func(o *Options) { o.DropAckRate = -0.1 }, want: "drop-ack rate"},
		{name: "rates sum above 1", modify: func(o *Options) { o.ErrorRate, o.ThrottleRate = 0.7, 0.5 }, want: "exceed 1"},
		{name: "negative latency", modify: func(o *Options) { o.Latency = -time.Second }, want: "latency"},
		{name: "empty outage", modify: func(o *Options) { o.Outages = []Window{{Start: created, End: created}} }, want: "outage 1"},
		{name: "endpoint not a path", modify: func(o *Options) {
			o.Endpoints = map[packets.Kind]string{packets.KindDossier: "ho-so"}
		}, want: `"ho-so"`},
		{name: "endpoint used twice", modify: func(o *Options) {
			o.Endpoints = map[packets.Kind]string{packets.KindDossier: "/x", packets.KindProgress: "/x"}
		}, want: `"/x" is used for both`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := testOptions(nil)
			tt.modify(&o)
			_, err := New(o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New error %v, want it to mention %s", err, tt.want)
			}
		})
	}
}

func TestUnsignedModeWarns(t *testing.T) {
	var logs strings.Builder
	o := testOptions(nil)
	o.Verify = nil
	o.Logger = newTextLogger(&logs)
	s := mustNew(t, o)
	if !strings.Contains(logs.String(), "UNSIGNED") {
		t.Errorf("no warning about unsigned packets: %q", logs.String())
	}
	h := s.Handler()
	if r := postPacket(t, h, token(t, h), hoSoPath, messageID(1), encode(t, dossier(1), false)); r.Status != 200 {
		t.Errorf("unsigned packet refused without a trust store: %d %s", r.Status, r.Raw)
	}
}
