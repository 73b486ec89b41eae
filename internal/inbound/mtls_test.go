package inbound

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
)

// tlsClient trusts the test CA and presents cert (none when nil).
func tlsClient(t *testing.T, cert *tls.Certificate) *http.Client {
	p := testPKI(t)
	cfg := &tls.Config{RootCAs: p.roots}
	if cert != nil {
		// Present it even when the server's list of acceptable CAs does not
		// name its issuer (Go's client would otherwise send nothing).
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	tr := &http.Transport{TLSClientConfig: cfg}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// With a client CA, lookups need a certificate that CA issued for client
// authentication: none → 401, another CA's or a server-only certificate →
// 403, the right one → 200 with the certificate's name as the caller.
// File links still need no certificate: the portal fetches them as they
// are.
func TestClientCertificates(t *testing.T) {
	p := testPKI(t)
	e := newEnv(t, func(o *Options) {
		o.TLSCertFile, o.TLSKeyFile, o.ClientCAFile = p.serverCert, p.serverKey, p.caFile
		o.BearerTokens = nil
	})
	body := `{"mahoso":"` + codeFound + `"}`
	for _, tc := range []struct {
		name   string
		cert   *tls.Certificate
		status int
	}{
		{"no certificate", nil, 401},
		{"another CA", &p.rogue, 403},
		{"not for client authentication", &p.serverAsClient, 403},
		{"trusted", &p.client, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.look.calls.Load()
			a := doWith(t, tlsClient(t, tc.cert), "POST", e.base+"/dvcqg/TraCuuHoSo", "", body)
			wantCode := tc.status
			if tc.status == 200 {
				wantCode = 0
			}
			if a.status != tc.status || a.env.ErrorCode != wantCode {
				t.Errorf("status %d error_code %d (%s); want %d", a.status, a.env.ErrorCode, a.body, tc.status)
			}
			if looked := e.look.calls.Load() != before; looked != (tc.status == 200) {
				t.Errorf("looked up: %v", looked)
			}
		})
	}
	if a := doWith(t, tlsClient(t, nil), "GET", e.base+linkPath(e.srv.FileURL("501", t0)), "", ""); a.status != 200 || string(a.body) != tepKhai {
		t.Errorf("file link without a client certificate: %d", a.status)
	}
	e.waitLogged(t, 5)
	calls, err := e.store.Inbound(context.Background(), outbox.Filter{MaHoSo: codeFound, Limit: 1})
	if err != nil || len(calls) != 1 || calls[0].Caller != "cert:LGSP HCM" || calls[0].Status != 200 {
		t.Errorf("recorded caller: %+v, %v", calls, err)
	}
	// Plain HTTP to a TLS port gets nowhere.
	if resp, err := http.Get(strings.Replace(e.base, "https", "http", 1) + "/dvcqg/TraCuuHoSo"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plain HTTP answered 200")
		}
	}
}

// With both a client CA and tokens, a call needs both.
func TestCertificateAndToken(t *testing.T) {
	p := testPKI(t)
	e := newEnv(t, func(o *Options) {
		o.TLSCertFile, o.TLSKeyFile, o.ClientCAFile = p.serverCert, p.serverKey, p.caFile
	})
	body := `{"mahoso":"` + codeFound + `"}`
	c := tlsClient(t, &p.client)
	if a := doWith(t, c, "POST", e.base+"/dvcqg/TraCuuHoSo", "", body); a.status != 401 {
		t.Errorf("certificate without token: %d", a.status)
	}
	if a := doWith(t, tlsClient(t, nil), "POST", e.base+"/dvcqg/TraCuuHoSo", testToken, body); a.status != 401 {
		t.Errorf("token without certificate: %d", a.status)
	}
	if a := doWith(t, c, "POST", e.base+"/dvcqg/TraCuuHoSo", testToken, body); a.status != 200 {
		t.Errorf("both: %d %s", a.status, a.body)
	}
	e.waitLogged(t, 3)
	calls, _ := e.store.Inbound(context.Background(), outbox.Filter{Limit: 1})
	if len(calls) != 1 || calls[0].Caller != "cert:LGSP HCM+bearer:2" {
		t.Errorf("caller = %+v", calls)
	}
}

// The handler also works mounted in another TLS server (httptest), with
// the server's own TLS configuration: the client certificate is checked
// by the handler, not by the listener.
func TestHandlerInHTTPTestTLSServer(t *testing.T) {
	p := testPKI(t)
	srv, err := New(Options{
		TLSCertFile: p.serverCert, TLSKeyFile: p.serverKey, ClientCAFile: p.caFile,
		Lookuper: &fakeLookuper{}, Mapper: testMapper(t), Now: func() time.Time { return t0 },
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv.Handler())
	ts.TLS = srv.TLSConfig()
	ts.StartTLS()
	defer ts.Close()
	url := ts.URL + "/api/v1/ho-so/" + codeFound
	if a := doWith(t, tlsClient(t, &p.client), "GET", url, "", ""); a.status != 200 || len(a.env.Result) != 1 {
		t.Errorf("trusted certificate: %d %s", a.status, a.body)
	}
	if a := doWith(t, tlsClient(t, &p.rogue), "GET", url, "", ""); a.status != 403 {
		t.Errorf("untrusted certificate: %d", a.status)
	}
}
