package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
)

var listeningRE = regexp.MustCompile(`msg="LGSP sandbox listening" addr=(127\.0\.0\.1:[0-9]+)`)

// TestSandboxCommandListensOnChosenPort: `sandbox --listen 127.0.0.1:0`
// reports the port the system chose, answers there (tokens for the
// configured client only, its trust store loaded from --trust), and stops
// cleanly when its context ends.
func TestSandboxCommandListensOnChosenPort(t *testing.T) {
	dir := t.TempDir()
	kp := newKeyPair(t, dir, "trusted", 24*time.Hour, time.Now())
	root := newRootCmd()
	var stdout, stderr syncBuffer
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	root.SetArgs([]string{"sandbox", "--listen", "127.0.0.1:0", "--trust", kp.certFile, "--client-id", "cli", "--client-secret", "sandbox-secret"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()

	var addr string
	waitFor(t, 10*time.Second, "the sandbox to report its address", func() bool {
		select {
		case err := <-done:
			t.Fatalf("sandbox stopped early: %v\n%s", err, stderr.String())
		default:
		}
		if m := listeningRE.FindStringSubmatch(stderr.String()); m != nil {
			addr = m[1]
		}
		return addr != ""
	})
	if strings.HasSuffix(addr, ":0") {
		t.Fatalf("sandbox reported %s, not the port it listens on", addr)
	}
	if !strings.Contains(stderr.String(), "sandbox trusts signing certificates") {
		t.Errorf("the --trust certificate was not loaded:\n%s", stderr.String())
	}

	client := &http.Client{Timeout: 5 * time.Second}
	for _, tc := range []struct {
		secret string
		want   int
	}{{"sandbox-secret", http.StatusOK}, {"wrong", http.StatusUnauthorized}} {
		resp, err := client.PostForm("http://"+addr+sandbox.TokenPath, url.Values{
			"grant_type": {"client_credentials"}, "client_id": {"cli"}, "client_secret": {tc.secret}})
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("token with secret %q: HTTP %d %v, want %d", tc.secret, resp.StatusCode, body, tc.want)
		}
		if tc.want == http.StatusOK && body["access_token"] == nil {
			t.Errorf("token answer has no access_token: %v", body)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("sandbox ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sandbox did not stop within 10s of its context ending")
	}
	if _, err := client.Get("http://" + addr + sandbox.TokenPath); err == nil {
		t.Errorf("sandbox still answers after it stopped")
	}
}

// TestSandboxCommandPortInUse: a taken port is an error, not a
// "listening" line followed by silence.
func TestSandboxCommandPortInUse(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()
	res := execute(t.Context(), "sandbox", "--listen", addr, "--client-secret", "x")
	if res.err == nil || !strings.Contains(res.err.Error(), addr) {
		t.Fatalf("sandbox on a taken port %s: err %v, want one naming the address", addr, res.err)
	}
	if strings.Contains(res.stderr, "LGSP sandbox listening") {
		t.Errorf("sandbox claimed to listen on a taken port:\n%s", res.stderr)
	}
}

// A negative --memory-mib is refused before anything listens.
func TestSandboxCommandRefusesNegativeMemory(t *testing.T) {
	res := execute(t.Context(), "sandbox", "--listen", "127.0.0.1:0", "--client-secret", "x", "--memory-mib", "-1")
	if res.err == nil || !strings.Contains(res.err.Error(), "--memory-mib") {
		t.Fatalf("--memory-mib -1: err %v, want one naming the flag", res.err)
	}
	if strings.Contains(res.stderr, "LGSP sandbox listening") {
		t.Errorf("sandbox listened despite a negative --memory-mib:\n%s", res.stderr)
	}
}
