package hardening_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// The only inbound HTTP endpoints today are the sandbox's. This is the
// admin token the tests give it.
const adminToken = "admin-token-5e1f0c"

// exposedSandbox serves a sandbox on every interface, as `lgsp-connector
// sandbox --listen 0.0.0.0:PORT` does, and returns its loopback URL and a
// URL through a non-loopback address of this machine, so requests arrive
// from a non-loopback peer over real TCP. Without such an address the
// peer address is rewritten in front of the handler instead (logged).
func exposedSandbox(t *testing.T) (sb *sandbox.Server, loopbackURL, remoteURL string) {
	t.Helper()
	sb, err := sandbox.New(sandbox.Options{ClientID: sandboxClientID, ClientSecret: "inbound-secret", AdminToken: adminToken})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	h := sb.Handler()
	ip := nonLoopbackIP()
	if ip == nil {
		t.Logf("no non-loopback address on this machine: peers of requests to /remote are rewritten to 203.0.113.5")
		inner := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if p, ok := strings.CutPrefix(r.URL.Path, "/remote"); ok {
				r.URL.Path, r.RemoteAddr = p, "203.0.113.5:40000"
			}
			inner.ServeHTTP(w, r)
		})
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	loopbackURL = "http://127.0.0.1:" + strconv.Itoa(port)
	if ip == nil {
		return sb, loopbackURL, loopbackURL + "/remote"
	}
	return sb, loopbackURL, "http://" + net.JoinHostPort(ip.String(), strconv.Itoa(port))
}

func nonLoopbackIP() net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil && !n.IP.IsLinkLocalUnicast() {
			return n.IP
		}
	}
	return nil
}

type call struct {
	status int
	body   string
}

func do(t *testing.T, method, u string, headers map[string]string, body string) call {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return call{resp.StatusCode, string(b)}
}

func accessToken(t *testing.T, base string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {sandboxClientID}, "client_secret": {"inbound-secret"}}
	resp, err := http.Post(base+sandbox.TokenPath, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	return tok.AccessToken
}

// TestSandboxAdminRefusesOutsiders exercises the sandbox's inbound
// endpoints over TCP from a loopback and a non-loopback peer: /sandbox/*
// answers loopback, or a peer presenting the admin token or a valid
// access token, and nobody else; a browser page of another origin is
// refused; the packet endpoints and /token want credentials from anyone.
func TestSandboxAdminRefusesOutsiders(t *testing.T) {
	sb, local, remote := exposedSandbox(t)
	tok := accessToken(t, local)

	adminPaths := []string{"/sandbox/stats", "/sandbox/packets", "/sandbox/faults", "/sandbox/packets/00000000-0000-0000-0000-000000000000"}
	tests := []struct {
		name    string
		base    string
		headers map[string]string
		want    int
	}{
		{"loopback peer", local, nil, 0}, // 0: anything but 401/403
		{"remote peer, no token", remote, nil, http.StatusUnauthorized},
		{"remote peer, wrong token", remote, map[string]string{"Authorization": "Bearer " + adminToken + "x"}, http.StatusUnauthorized},
		{"remote peer, token in another scheme", remote, map[string]string{"Authorization": "Basic " + adminToken}, http.StatusUnauthorized},
		{"remote peer, empty bearer", remote, map[string]string{"Authorization": "Bearer "}, http.StatusUnauthorized},
		{"remote peer, admin token", remote, map[string]string{"Authorization": "Bearer " + adminToken}, 0},
		{"remote peer, access token", remote, map[string]string{"Authorization": "Bearer " + tok}, 0},
		{"loopback peer, page of another origin", local, map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"remote peer with admin token, page of another origin", remote, map[string]string{"Origin": "http://evil.example", "Authorization": "Bearer " + adminToken}, http.StatusForbidden},
	}
	for _, tc := range tests {
		for _, p := range adminPaths {
			got := do(t, http.MethodGet, tc.base+p, tc.headers, "")
			refused := got.status == http.StatusUnauthorized || got.status == http.StatusForbidden
			switch {
			case tc.want == 0 && refused:
				t.Errorf("%s: GET %s = %d, want it served: %s", tc.name, p, got.status, got.body)
			case tc.want != 0 && got.status != tc.want:
				t.Errorf("%s: GET %s = %d, want %d", tc.name, p, got.status, tc.want)
			case tc.want != 0 && (strings.Contains(got.body, "error_rate") || strings.Contains(got.body, "received")):
				t.Errorf("%s: GET %s refused but leaked data: %s", tc.name, p, got.body)
			}
		}
	}

	// Changing faults from outside without a token changes nothing.
	for _, h := range []map[string]string{nil, {"Authorization": "Bearer nope"}} {
		h2 := map[string]string{"Content-Type": "application/json"}
		for k, v := range h {
			h2[k] = v
		}
		if got := do(t, http.MethodPost, remote+"/sandbox/faults", h2, `{"error_rate":1}`); got.status != http.StatusUnauthorized {
			t.Errorf("remote POST /sandbox/faults without a valid token = %d", got.status)
		}
	}
	if got := do(t, http.MethodPost, local+"/sandbox/faults", map[string]string{"Content-Type": "application/json", "Origin": "http://evil.example"}, `{"error_rate":1}`); got.status != http.StatusForbidden {
		t.Errorf("cross-origin POST /sandbox/faults = %d, want 403", got.status)
	}
	if f := sb.Faults(); f.ErrorRate != 0 {
		t.Errorf("a refused request changed the faults: %+v", f)
	}

	// Packet endpoints and /token are credentials-only, for any peer.
	hoSo := sandbox.DefaultEndpoints[packets.KindDossier]
	for _, base := range []string{local, remote} {
		for _, h := range []map[string]string{nil, {"Authorization": "Bearer " + adminToken}, {"Authorization": "Bearer forged"}} {
			h2 := map[string]string{"Content-Type": "application/xml", "Idempotency-Key": "00000000-0000-0000-0000-000000000001"}
			for k, v := range h {
				h2[k] = v
			}
			if got := do(t, http.MethodPost, base+hoSo, h2, "<GoiTin/>"); got.status != http.StatusUnauthorized {
				t.Errorf("POST %s with %v = %d, want 401", hoSo, h, got.status)
			}
		}
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {sandboxClientID}, "client_secret": {"guess"}}
		if got := do(t, http.MethodPost, base+sandbox.TokenPath, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, form.Encode()); got.status != http.StatusUnauthorized || strings.Contains(got.body, "access_token") {
			t.Errorf("token with a wrong secret = %d %s", got.status, got.body)
		}
	}
	if st := sb.Stats(); st.Accepted != 0 {
		t.Errorf("sandbox accepted %d packets from unauthenticated requests", st.Accepted)
	}
}
