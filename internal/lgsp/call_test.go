package lgsp

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// bigJSON returns a JSON object of about n bytes whose error_code comes
// after the padding, so only a reader of the whole body sees it.
func bigJSON(n int, code string) string {
	return `{"result":"` + strings.Repeat("x", n) + `","error_code":` + code + `}`
}

func TestCallReturnsTheWholeBody(t *testing.T) {
	tests := []struct {
		name      string
		script    []http.HandlerFunc
		wantClass Class
		wantBody  string // "" means nil
	}{
		{
			name:      "small answer",
			script:    []http.HandlerFunc{answer(200, `{"error_code":0,"result":[{"MATTHC":"1.001193"}]}`, nil)},
			wantClass: ClassDelivered,
			wantBody:  `{"error_code":0,"result":[{"MATTHC":"1.001193"}]}`,
		},
		{
			name:      "answer far beyond Send's classification window",
			script:    []http.HandlerFunc{answer(200, bigJSON(300<<10, "0"), nil)},
			wantClass: ClassDelivered,
			wantBody:  bigJSON(300<<10, "0"),
		},
		{
			name:      "rejection after a long result is classified on the whole body",
			script:    []http.HandlerFunc{answer(200, bigJSON(300<<10, `"-1"`), nil)},
			wantClass: ClassPermanent,
			wantBody:  bigJSON(300<<10, `"-1"`),
		},
		{
			name:      "body of the last quick retry",
			script:    []http.HandlerFunc{answer(502, `{"fault":{"code":101503}}`, nil), answer(200, `{"error_code":0,"session":"s-2"}`, nil)},
			wantClass: ClassDelivered,
			wantBody:  `{"error_code":0,"session":"s-2"}`,
		},
		{
			name:      "error answers come with their body too",
			script:    []http.HandlerFunc{answer(404, `{"error":"no such service"}`, nil)},
			wantClass: ClassPermanent,
			wantBody:  `{"error":"no such service"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeLGSP(t)
			f.script = tt.script
			srv := httptest.NewServer(f)
			defer srv.Close()
			c := mustNew(t, testOptions(srv.URL, nil))

			res, body := c.Call(context.Background(), testPacket)
			if res.Class != tt.wantClass {
				t.Fatalf("class %s, want %s (err %v)", res.Class, tt.wantClass, res.Err)
			}
			if string(body) != tt.wantBody {
				t.Errorf("body has %d bytes (starts %.60q), want %d bytes", len(body), body, len(tt.wantBody))
			}
			if len(res.Excerpt) > MaxExcerpt {
				t.Errorf("excerpt has %d bytes, more than MaxExcerpt", len(res.Excerpt))
			}
		})
	}
}

func TestSendStillClassifiesOnTheStartOfALongBody(t *testing.T) {
	// Send's behaviour must not change with Call's arrival: it reads the
	// first 64 KiB, where this body's error_code is not.
	f := newFakeLGSP(t)
	f.script = []http.HandlerFunc{answer(200, bigJSON(300<<10, `"-1"`), nil)}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := mustNew(t, testOptions(srv.URL, nil))
	if res := c.Send(context.Background(), testPacket); res.Class != ClassDelivered {
		t.Fatalf("Send class %s, want delivered (classification on the first %d bytes)", res.Class, maxResponseBytes)
	}
}

func TestCallRefusesABodyBeyondTheLimit(t *testing.T) {
	huge := bytes.Repeat([]byte("a"), MaxCallResponseBytes+1)
	f := newFakeLGSP(t)
	f.script = []http.HandlerFunc{func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(huge)
	}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := mustNew(t, testOptions(srv.URL, nil))

	res, body := c.Call(context.Background(), testPacket)
	if res.Class != ClassPermanent || body != nil {
		t.Fatalf("class %s with %d body bytes, want permanent and no body", res.Class, len(body))
	}
	if res.Err == nil || !strings.Contains(res.Err.Error(), "larger than") {
		t.Errorf("error %v does not say the answer was too large", res.Err)
	}
	if errors.Is(res.Err, ErrConfig) {
		t.Errorf("a too-large answer is not a configuration error: %v", res.Err)
	}
}

func TestCallWithoutAnswerHasNoBody(t *testing.T) {
	o := testOptions("http://127.0.0.1:1", nil) // nothing listens on port 1
	o.TokenAuth = TokenAuthNone
	o.QuickRetries = -1
	c := mustNew(t, o)
	res, body := c.Call(context.Background(), testPacket)
	if res.Class != ClassTransient || body != nil {
		t.Fatalf("class %s with %d body bytes, want transient and no body", res.Class, len(body))
	}
}

func TestRequestHeaders(t *testing.T) {
	f := newFakeLGSP(t)
	srv := httptest.NewServer(f)
	defer srv.Close()
	o := testOptions(srv.URL, nil)
	o.Headers = map[string]string{"dstcode": "static", "X-Static": "kept"}
	c := mustNew(t, o)

	r := testPacket
	r.Headers = map[string]string{
		"dstcode":         "VN:GOV:000.00.00.G22:vpcpdvcprovider",
		"Idempotency-Key": "must-not-win",
		"Authorization":   "must-not-win",
	}
	if res := c.Send(context.Background(), r); res.Class != ClassDelivered {
		t.Fatalf("class %s: %v", res.Class, res.Err)
	}
	seen := f.seen()
	if len(seen) != 1 {
		t.Fatalf("server saw %d requests, want 1", len(seen))
	}
	h := seen[0].Header
	for name, want := range map[string]string{
		"dstcode":         "VN:GOV:000.00.00.G22:vpcpdvcprovider",
		"X-Static":        "kept",
		"Idempotency-Key": testPacket.MessageID,
		"Authorization":   "Bearer tok-1-opaque",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}

	for _, bad := range []map[string]string{{"bad name": "v"}, {"X-Ok": "line\r\nInjected: 1"}} {
		r.Headers = bad
		res := c.Send(context.Background(), r)
		if res.Class != ClassPermanent || !errors.Is(res.Err, ErrConfig) {
			t.Errorf("headers %q: class %s err %v, want a permanent configuration error", bad, res.Class, res.Err)
		}
	}
	if n := len(f.seen()); n != 1 {
		t.Errorf("requests with invalid headers reached the server (%d requests)", n)
	}
}
