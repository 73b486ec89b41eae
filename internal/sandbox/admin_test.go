package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

func TestAdminAccess(t *testing.T) {
	o := testOptions(newFakeClock())
	o.AdminToken = "admin-token-for-tests"
	s := mustNew(t, o)
	h := s.Handler()
	tok := token(t, h)

	tests := []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{name: "loopback v4", headers: map[string]string{"X-Test-Remote-Addr": "127.0.0.1:40000"}, want: 200},
		{name: "loopback v6", headers: map[string]string{"X-Test-Remote-Addr": "[::1]:40000"}, want: 200},
		{name: "remote without token", headers: map[string]string{"X-Test-Remote-Addr": "203.0.113.5:40000"}, want: 401},
		{name: "remote with wrong token", headers: map[string]string{"X-Test-Remote-Addr": "203.0.113.5:40000", "Authorization": "Bearer guess"}, want: 401},
		{name: "remote with admin token", headers: map[string]string{"X-Test-Remote-Addr": "203.0.113.5:40000", "Authorization": "Bearer admin-token-for-tests"}, want: 200},
		{name: "remote with access token", headers: map[string]string{"X-Test-Remote-Addr": "203.0.113.5:40000", "Authorization": "Bearer " + tok}, want: 200},
		{name: "browser page of another origin", headers: map[string]string{"X-Test-Remote-Addr": "127.0.0.1:40000", "Origin": "http://evil.example"}, want: 403},
	}
	for _, tt := range tests {
		for _, path := range []string{"/sandbox/stats", "/sandbox/packets", "/sandbox/faults"} {
			if r := call(t, h, "GET", path, tt.headers, nil); r.Status != tt.want {
				t.Errorf("%s: GET %s = %d, want %d", tt.name, path, r.Status, tt.want)
			}
		}
	}
	remote := map[string]string{"X-Test-Remote-Addr": "203.0.113.5:40000", "Content-Type": "application/json"}
	if r := call(t, h, "POST", "/sandbox/faults", remote, []byte(`{"error_rate":1}`)); r.Status != 401 {
		t.Errorf("remote POST /sandbox/faults without token: %d", r.Status)
	}
	if s.Faults().ErrorRate != 0 {
		t.Errorf("faults changed by an unauthorised request")
	}
}

// TestAdminOverHTTP drives the admin API as a user would with curl,
// through a real listener on loopback.
func TestAdminOverHTTP(t *testing.T) {
	clock := newFakeClock()
	s := mustNew(t, testOptions(clock))
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	tok := token(t, s.Handler())
	bodies := map[string][]byte{}
	for i := 1; i <= 3; i++ {
		b := encode(t, dossier(i), true)
		bodies[messageID(i)] = b
		postPacket(t, s.Handler(), tok, hoSoPath, messageID(i), b)
	}
	b := encode(t, progress(4), true)
	postPacket(t, s.Handler(), tok, DefaultEndpoints[packets.KindProgress], messageID(4), b)

	get := func(path string) (int, []byte) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, raw
	}

	status, raw := get("/sandbox/stats")
	var st Stats
	if status != 200 || json.Unmarshal(raw, &st) != nil || st.Unique != 4 || st.ByKind["HoSo"] != 3 || st.ByKind["TienDoXuLy"] != 1 {
		t.Fatalf("stats %d %s", status, raw)
	}

	status, raw = get("/sandbox/packets?kind=HoSo&limit=2&offset=1")
	var list struct {
		Total   int        `json:"total"`
		Packets []Accepted `json:"packets"`
	}
	if status != 200 || json.Unmarshal(raw, &list) != nil {
		t.Fatalf("list %d %s", status, raw)
	}
	if list.Total != 3 || len(list.Packets) != 2 || list.Packets[0].MessageID != messageID(2) || list.Packets[1].MessageID != messageID(3) {
		t.Errorf("list %+v", list)
	}
	if bytes.Contains(raw, []byte("GoiTin")) || bytes.Contains(raw, []byte("Nguy")) {
		t.Errorf("listing carries packet bodies: %s", raw)
	}
	if status, _ := get("/sandbox/packets?limit=-3"); status != 400 {
		t.Errorf("negative limit accepted: %d", status)
	}

	status, raw = get("/sandbox/packets/" + messageID(2))
	if status != 200 || !bytes.Equal(raw, bodies[messageID(2)]) {
		t.Errorf("stored bytes differ from the posted ones (%d)", status)
	}
	if status, _ := get("/sandbox/packets/" + messageID(99)); status != 404 {
		t.Errorf("unknown packet: %d", status)
	}

	post := func(body string) (int, map[string]any) {
		resp, err := http.Post(srv.URL+"/sandbox/faults", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	if status, out := post(`{"error_rate":0.3,"retry_after":"5s"}`); status != 200 || out["error_rate"] != 0.3 || out["retry_after"] != "5s" {
		t.Errorf("set faults: %d %v", status, out)
	}
	// A partial update keeps the other fields.
	if status, out := post(`{"throttle_rate":0.1,"outage_for":"2m"}`); status != 200 || out["error_rate"] != 0.3 || out["throttle_rate"] != 0.1 {
		t.Errorf("partial update: %d %v", status, out)
	}
	f := s.Faults()
	if len(f.Outages) != 1 || !f.Outages[0].Start.Equal(clock.Now()) || f.Outages[0].End.Sub(f.Outages[0].Start) != 2*time.Minute {
		t.Errorf("outage_for: %+v", f.Outages)
	}
	if status, _ := post(`{"outages":[]}`); status != 200 || len(s.Faults().Outages) != 0 {
		t.Errorf("clearing outages failed")
	}
	for _, bad := range []string{`{"error-rate":0.3}`, `{"error_rate":2}`, `{"latency":"fast"}`, `{"outage_for":"-1m"}`, `not json`} {
		if status, out := post(bad); status != 400 || out["error"] == nil {
			t.Errorf("bad faults %s: %d %v", bad, status, out)
		}
	}
	if f := s.Faults(); f.ErrorRate != 0.3 || f.ThrottleRate != 0.1 {
		t.Errorf("a rejected update changed the faults: %+v", f)
	}
}

func TestParseOutage(t *testing.T) {
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		spec      string
		wantStart time.Duration
		wantLen   time.Duration
		wantErr   bool
	}{
		{spec: "10m@5m", wantStart: 5 * time.Minute, wantLen: 10 * time.Minute},
		{spec: "90s", wantStart: 0, wantLen: 90 * time.Second},
		{spec: " 1h30m @ 0s ", wantStart: 0, wantLen: 90 * time.Minute},
		{spec: "", wantErr: true},
		{spec: "0s@1m", wantErr: true},
		{spec: "10m@", wantErr: true},
		{spec: "10m@-1m", wantErr: true},
		{spec: "ten minutes", wantErr: true},
		{spec: "1000000h", wantErr: true},
	}
	for _, tt := range tests {
		w, err := ParseOutage(tt.spec, start)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseOutage(%q) error %v, want error %v", tt.spec, err, tt.wantErr)
			continue
		}
		if err == nil && (w.Start.Sub(start) != tt.wantStart || w.End.Sub(w.Start) != tt.wantLen) {
			t.Errorf("ParseOutage(%q) = %+v", tt.spec, w)
		}
		if err != nil && !strings.Contains(err.Error(), "outage") {
			t.Errorf("ParseOutage(%q) error %q does not say what it parsed", tt.spec, err)
		}
	}
}

func FuzzParseOutage(f *testing.F) {
	for _, s := range []string{"10m@5m", "90s", "1h@0s", "@", "0s", "-5m@1m", "1e9h"} {
		f.Add(s)
	}
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, spec string) {
		w, err := ParseOutage(spec, start)
		if err != nil {
			return
		}
		if !w.End.After(w.Start) || w.Start.Before(start) {
			t.Fatalf("ParseOutage(%q) = %+v", spec, w)
		}
	})
}

func FuzzMergeFaults(f *testing.F) {
	for _, s := range []string{`{}`, `{"error_rate":0.5}`, `{"outages":[{"start":"2026-03-02T08:00:00Z","end":"2026-03-02T09:00:00Z"}]}`,
		`{"outage_for":"5m","latency":"10ms","latency_jitter":"5ms"}`, `{"throttle_rate":0.9,"error_rate":0.2}`, `[]`} {
		f.Add([]byte(s))
	}
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		cur := Faults{ErrorRate: 0.1}
		out, err := mergeFaults(cur, body, now)
		if err != nil {
			if out.ErrorRate != cur.ErrorRate || len(out.Outages) != 0 {
				t.Fatalf("failed merge changed the faults: %+v", out)
			}
			return
		}
		if err := out.validate(); err != nil {
			t.Fatalf("merge produced invalid faults %+v: %v", out, err)
		}
	})
}

// FuzzPacketEndpoints posts arbitrary bodies to the packet endpoints: the
// sandbox must answer without panicking, store nothing it could not check,
// and keep its counters consistent.
func FuzzPacketEndpoints(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0" encoding="UTF-8"?><GoiTin><ThongTinGoiTin></ThongTinGoiTin></GoiTin>`), false)
	f.Add([]byte(`{"madonvi":"000.00.06.H29","service":"DongBoHoSoMC","data":[{}]}`), true)
	f.Add([]byte(`{"service":"DongBoHoSoMC","data":[{"MaHoSo":1}]}`), true)
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "b">]><GoiTin>&a;</GoiTin>`), false)
	o := Options{ClientID: testClientID, ClientSecret: testClientSecret}
	s, err := New(o)
	if err != nil {
		f.Fatal(err)
	}
	h := s.Handler()
	tok := token(f, h)
	f.Fuzz(func(t *testing.T, body []byte, dvcqg bool) {
		path, ct := hoSoPath, "application/xml"
		if dvcqg {
			path, ct = DVCQGPrefix+"DongBoHoSoMC", "application/json"
		}
		r := call(t, h, "POST", path, map[string]string{
			"Authorization": "Bearer " + tok, "Content-Type": ct, "Idempotency-Key": messageID(1),
		}, body)
		if r.Status == 0 || r.Status >= 500 {
			t.Fatalf("status %d for %q", r.Status, body)
		}
		st := s.Stats()
		if sum := st.Accepted + st.Rejected + st.Aborted + st.Injected5xx + st.Injected429 + st.InjectedDrop + st.Outage; sum != st.Received {
			t.Fatalf("stats do not add up: %+v", st)
		}
	})
}

func TestServeStopsWithContext(t *testing.T) {
	s := mustNew(t, testOptions(nil))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/sandbox/stats")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("stats over Serve: %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve returned %v after cancel", err)
	}
}
