package lgsp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestGet: a catalog read through the transport: the body whole, the
// token sent and refreshed once when refused, and the answers classified
// as for packets.
func TestGet(t *testing.T) {
	var tokens, refusals atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		n := tokens.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":3600}`, n)
	})
	mux.HandleFunc("GET /units", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") != "application/json" || r.Header.Get("X-Unit") != "000.00.12.H29" {
			http.Error(w, "headers missing", http.StatusBadRequest)
			return
		}
		// The first token is "revoked": one refusal, then the fresh one works.
		if r.Header.Get("Authorization") == "Bearer tok-1" {
			refusals.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"fault":{"code":900901,"message":"Invalid Credentials"}}`)
			return
		}
		fmt.Fprint(w, `[{"Ma":"000.00.12.H29","Ten":"Phường Sài Gòn"}]`)
	})
	mux.HandleFunc("GET /refused", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"error_code":"-1","message":"Không có quyền đọc danh mục"}`)
	})
	mux.HandleFunc("GET /big", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, strings.Repeat("x", 2048))
	})
	mux.HandleFunc("GET /busy", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, err := New(Options{BaseURL: srv.URL, ClientID: "id", ClientSecret: "secret", QuickRetries: -1, Headers: map[string]string{"X-Unit": "000.00.12.H29"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	body, res := c.Get(ctx, "/units", 0)
	if res.Err != nil || res.Class != ClassDelivered || string(body) != `[{"Ma":"000.00.12.H29","Ten":"Phường Sài Gòn"}]` {
		t.Fatalf("Get /units = %q, %+v", body, res)
	}
	if tokens.Load() != 2 || refusals.Load() != 1 || res.Attempts != 2 {
		t.Errorf("tokens %d, refusals %d, attempts %d; want one refresh after one refusal", tokens.Load(), refusals.Load(), res.Attempts)
	}

	tests := []struct {
		path  string
		limit int64
		class Class
		want  string
	}{
		{"/refused", 0, ClassPermanent, "Không có quyền đọc danh mục"},
		{"/big", 1024, ClassPermanent, "larger than 1024 bytes"},
		{"/busy", 0, ClassThrottled, "HTTP 503"},
		{"/nowhere", 0, ClassPermanent, "HTTP 404"},
	}
	for _, tc := range tests {
		body, res := c.Get(ctx, tc.path, tc.limit)
		if body != nil || res.Class != tc.class || res.Err == nil || !strings.Contains(res.Err.Error(), tc.want) {
			t.Errorf("Get %s = %q, class %s, err %v; want class %s and %q", tc.path, body, res.Class, res.Err, tc.class, tc.want)
		}
	}
	if _, res := c.Get(ctx, "/busy", 0); res.RetryAfter.Seconds() != 120 {
		t.Errorf("Retry-After = %s", res.RetryAfter)
	}

	bad, _ := New(Options{BaseURL: srv.URL, ClientID: "id", ClientSecret: "secret", QuickRetries: -1})
	srv.Close()
	if _, res := bad.Get(ctx, "/units", 0); res.Class != ClassTransient || errors.Is(res.Err, ErrConfig) {
		t.Errorf("Get from a closed server = %s, %v; want transient", res.Class, res.Err)
	}
}
