package lgsp

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestClassify(t *testing.T) {
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	tlsErr := &url.Error{Op: "Post", URL: "https://lgsp.example/x", Err: x509.UnknownAuthorityError{}}
	tests := []struct {
		name      string
		status    int
		header    http.Header
		body      string
		err       error
		wantClass Class
		wantWait  time.Duration
	}{
		{name: "200 empty", status: 200, wantClass: ClassDelivered},
		{name: "201 text", status: 201, body: "ok", wantClass: ClassDelivered},
		{name: "200 error_code 0 string", status: 200, body: `{"error_code":"0"}`, wantClass: ClassDelivered},
		{name: "200 error_code 0 number", status: 200, body: `{"error_code":0}`, wantClass: ClassDelivered},
		{name: "200 error_code null", status: 200, body: `{"error_code":null}`, wantClass: ClassDelivered},
		{name: "200 error_code -1", status: 200, body: `{"error_code":"-1"}`, wantClass: ClassPermanent},
		{name: "200 error_code 3 number", status: 200, body: `{"error_code":3,"message":"đã tồn tại"}`, wantClass: ClassPermanent},
		{name: "200 XML body", status: 200, body: `<ok/>`, wantClass: ClassDelivered},
		{name: "204", status: 204, wantClass: ClassDelivered},
		{name: "302", status: 302, wantClass: ClassPermanent},
		{name: "400", status: 400, wantClass: ClassPermanent},
		{name: "401", status: 401, wantClass: ClassPermanent},
		{name: "404", status: 404, wantClass: ClassPermanent},
		{name: "409", status: 409, wantClass: ClassPermanent},
		{name: "413", status: 413, wantClass: ClassPermanent},
		{name: "408", status: 408, wantClass: ClassTransient},
		{name: "429 seconds", status: 429, header: h("Retry-After", "7"), wantClass: ClassThrottled, wantWait: 7 * time.Second},
		{name: "429 date", status: 429, header: h("Retry-After", "Mon, 02 Mar 2026 08:01:30 GMT"), wantClass: ClassThrottled, wantWait: 90 * time.Second},
		{name: "429 past date", status: 429, header: h("Retry-After", "Mon, 02 Mar 2026 07:00:00 GMT"), wantClass: ClassThrottled},
		{name: "429 garbage", status: 429, header: h("Retry-After", "soon"), wantClass: ClassThrottled},
		{name: "429 no header", status: 429, wantClass: ClassThrottled},
		{name: "503", status: 503, header: h("Retry-After", "2"), wantClass: ClassThrottled, wantWait: 2 * time.Second},
		{name: "500", status: 500, wantClass: ClassTransient},
		{name: "502", status: 502, wantClass: ClassTransient},
		{name: "504", status: 504, wantClass: ClassTransient},
		{name: "500 WSO2 900801 JSON fault", status: 500, body: `{"fault":{"code":900801,"message":"Hard limit exceeded"}}`, wantClass: ClassThrottled},
		{name: "400 WSO2 900800 top-level string code", status: 400, body: `{"code":"900800","message":"Message throttled out"}`, wantClass: ClassThrottled},
		{name: "500 WSO2 XML fault", status: 500, body: `<ams:fault xmlns:ams="http://wso2.org/apimanager"><ams:code>900801</ams:code></ams:fault>`, wantClass: ClassThrottled},
		{name: "403 WSO2 900805 blocked stays permanent", status: 403, body: `{"fault":{"code":900805}}`, wantClass: ClassPermanent},
		{name: "network error", err: errors.New("dial tcp 10.0.0.1:443: connect: connection refused"), wantClass: ClassTransient},
		{name: "timeout", err: context.DeadlineExceeded, wantClass: ClassTransient},
		{name: "TLS unknown authority", err: tlsErr, wantClass: ClassPermanent},
		{name: "TLS error flattened to text", err: errors.New("Post \"https://x\": tls: failed to verify certificate: x509: certificate has expired"), wantClass: ClassPermanent},
		{name: "TLS handshake timeout is transient", err: errors.New("net/http: TLS handshake timeout"), wantClass: ClassTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := tt.header
			if header == nil {
				header = http.Header{}
			}
			class, wait := classify(now, tt.status, header, []byte(tt.body), tt.err)
			if class != tt.wantClass || wait != tt.wantWait {
				t.Errorf("classify = %s, %s; want %s, %s", class, wait, tt.wantClass, tt.wantWait)
			}
		})
	}
}

func TestIsAuthFailure(t *testing.T) {
	tests := []struct {
		status int
		body   string
		want   bool
	}{
		{401, ``, true},
		{403, `{"fault":{"code":900901,"message":"Invalid Credentials"}}`, true},
		{500, `{"fault":{"code":"900902"}}`, true},
		{401, `<ams:fault><ams:code>900903</ams:code></ams:fault>`, true},
		{403, `{"fault":{"code":900908}}`, false},
		{200, `{"error_code":"0"}`, false},
		{500, `900901`, false},
	}
	for _, tt := range tests {
		if got := isAuthFailure(tt.status, []byte(tt.body)); got != tt.want {
			t.Errorf("isAuthFailure(%d, %s) = %v, want %v", tt.status, tt.body, got, tt.want)
		}
	}
}

func TestClassString(t *testing.T) {
	want := map[Class]string{ClassDelivered: "delivered", ClassPermanent: "permanent", ClassThrottled: "throttled", ClassTransient: "transient", 0: "unknown"}
	for c, s := range want {
		if c.String() != s {
			t.Errorf("Class(%d).String() = %q, want %q", int(c), c.String(), s)
		}
	}
}

func TestExcerpt(t *testing.T) {
	long := strings.Repeat("ắ", 600) // 3 bytes each: 1800 bytes
	got := excerpt([]byte(long))
	if len(got) > MaxExcerpt || !utf8.ValidString(got) || len(got) < MaxExcerpt-3 {
		t.Errorf("excerpt of %d bytes: len %d, valid UTF-8 %v", len(long), len(got), utf8.ValidString(got))
	}
	if got := excerpt([]byte(`{"echo":"Bearer abc123"}`), "abc123"); strings.Contains(got, "abc123") {
		t.Errorf("token not redacted: %s", got)
	}
}

func TestParseTokenResponse(t *testing.T) {
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		body    string
		wantTTL time.Duration
		wantErr string
	}{
		{body: `{"access_token":"a","token_type":"Bearer","expires_in":3600,"scope":"default"}`, wantTTL: time.Hour},
		{body: `{"access_token":"a","token_type":"bearer","expires_in":"120"}`, wantTTL: 2 * time.Minute},
		{body: `{"access_token":"a"}`, wantTTL: defaultTokenTTL},
		{body: `{"access_token":"a","expires_in":0}`, wantTTL: defaultTokenTTL},
		{body: `{"access_token":""}`, wantErr: "no access_token"},
		{body: `{"access_token":"a","token_type":"mac"}`, wantErr: `"mac"`},
		{body: `{"access_token":"a","expires_in":"soon"}`, wantErr: `"soon"`},
		{body: `{"access_token":"a","expires_in":-5}`, wantErr: `"-5"`},
		{body: `{"access_token":"a b"}`, wantErr: "whitespace"},
		{body: `<html>`, wantErr: "JSON"},
	}
	for _, tt := range tests {
		g, err := parseTokenResponse([]byte(tt.body), now)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err %v, want it to mention %s", tt.body, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.body, err)
			continue
		}
		if got := g.expiresAt.Sub(now); got != tt.wantTTL {
			t.Errorf("%s: ttl %s, want %s", tt.body, got, tt.wantTTL)
		}
		if !g.refreshAt.Before(g.expiresAt) || g.refreshAt.Before(now) {
			t.Errorf("%s: refresh at %s outside [now, expiry %s)", tt.body, g.refreshAt, g.expiresAt)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "120", "-1", "99999999999999999999", "Mon, 02 Mar 2026 08:01:30 GMT", "Monday, 02-Mar-26 08:01:30 GMT", "soon"} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := parseRetryAfter(v, now)
		if d < 0 {
			t.Fatalf("negative wait %s for %q", d, v)
		}
		if !ok && d != 0 {
			t.Fatalf("wait %s without ok for %q", d, v)
		}
	})
}

func FuzzClassifyBody(f *testing.F) {
	for _, s := range []string{``, `{"error_code":"0"}`, `{"error_code":-1}`, `{"fault":{"code":900901}}`, `{"code":"900800"}`,
		`<ams:fault><ams:code>900801</ams:code></ams:fault>`, `{"error_code":{"x":1}}`, `{"fault":null}`, `[1,2]`} {
		f.Add(200, s)
		f.Add(503, s)
	}
	f.Fuzz(func(t *testing.T, status int, body string) {
		class, wait := classify(time.Now(), status, http.Header{}, []byte(body), nil)
		if class < ClassDelivered || class > ClassTransient {
			t.Fatalf("class %d out of range", class)
		}
		if wait != 0 {
			t.Fatalf("wait %s without Retry-After", wait)
		}
		if class == ClassDelivered && (status < 200 || status > 299) {
			t.Fatalf("status %d delivered", status)
		}
		_ = isAuthFailure(status, []byte(body))
	})
}

func FuzzParseTokenResponse(f *testing.F) {
	for _, s := range []string{`{"access_token":"a","expires_in":3600}`, `{"access_token":"a","expires_in":"1e3"}`, `{}`, `{"expires_in":1e308}`, `null`} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body string) {
		g, err := parseTokenResponse([]byte(body), now)
		if err != nil {
			return
		}
		if g.value == "" || !g.expiresAt.After(now) || g.refreshAt.Before(now) || g.refreshAt.After(g.expiresAt) {
			t.Fatalf("bad grant %+v from %q", g, body)
		}
		if strings.ContainsAny(g.value, "\r\n") {
			t.Fatal(fmt.Sprintf("token with newline from %q", body))
		}
	})
}
