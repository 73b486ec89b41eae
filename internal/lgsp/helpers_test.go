package lgsp

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testClientID     = "connector-phuong-ben-thanh"
	testClientSecret = "s3cr3t-client-secret-value"
)

// fakeClock is a settable clock for token expiry.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// attempt is what the fake LGSP saw in one packet request.
type attempt struct {
	Header http.Header
	Body   []byte
}

// fakeLGSP is a minimal LGSP for transport tests: a token endpoint that
// issues "tok-1", "tok-2", … and a packet endpoint whose answers are
// scripted per call. The full behaviour lives in internal/sandbox.
type fakeLGSP struct {
	t         *testing.T
	mu        sync.Mutex
	tokenTTL  int                 // expires_in in seconds
	tokenGate chan struct{}       // when non-nil, token requests wait for it
	tokenHits int                 // token requests served
	tokenForm []map[string]string // form fields of each token request
	tokenAuth []string            // Authorization header of each token request
	rejected  map[string]bool     // tokens the packet endpoint refuses with 401
	script    []http.HandlerFunc  // answers to packet requests, in order; the last one repeats
	attempts  []attempt
}

func newFakeLGSP(t *testing.T) *fakeLGSP {
	return &fakeLGSP{t: t, tokenTTL: 3600, rejected: map[string]bool{}}
}

func (f *fakeLGSP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/token":
		f.serveToken(w, r)
	case "/kho-du-lieu/1.0/ho-so":
		f.servePacket(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeLGSP) serveToken(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	gate := f.tokenGate
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	form := map[string]string{}
	for k := range r.PostForm {
		form[k] = r.PostForm.Get(k)
	}
	f.tokenForm = append(f.tokenForm, form)
	f.tokenAuth = append(f.tokenAuth, r.Header.Get("Authorization"))
	if id != testClientID || secret != testClientSecret || r.PostForm.Get("grant_type") != "client_credentials" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":"invalid_client","error_description":"Client Authentication failed."}`)
		return
	}
	f.tokenHits++
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"access_token": fmt.Sprintf("tok-%d-opaque", f.tokenHits),
		"token_type":   "Bearer",
		"expires_in":   f.tokenTTL,
		"scope":        "default",
	})
}

func (f *fakeLGSP) servePacket(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.attempts = append(f.attempts, attempt{Header: r.Header.Clone(), Body: body})
	n := len(f.attempts)
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	refused := f.rejected[tok] || !strings.HasPrefix(tok, "tok-")
	var h http.HandlerFunc
	if len(f.script) > 0 {
		h = f.script[min(n, len(f.script))-1]
	}
	f.mu.Unlock()
	if refused {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"fault":{"code":900901,"message":"Invalid Credentials","description":"Invalid Credentials. Make sure you have provided the correct security credentials"}}`)
		return
	}
	if h == nil {
		h = answer(http.StatusOK, `{"error_code":"0","message":"accepted"}`, nil)
	}
	h(w, r)
}

func (f *fakeLGSP) tokens() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenHits
}

func (f *fakeLGSP) seen() []attempt {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]attempt(nil), f.attempts...)
}

// answer returns a handler writing status, body and headers.
func answer(status int, body string, headers map[string]string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		if strings.HasPrefix(body, "{") {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// logBuffer captures every log line at debug level, for secret checks.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testOptions are fast options for a fake server at baseURL.
func testOptions(baseURL string, clock *fakeClock) Options {
	o := Options{
		BaseURL:      baseURL,
		ClientID:     testClientID,
		ClientSecret: testClientSecret,
		Timeout:      5 * time.Second,
		RetryWaitMin: time.Millisecond,
		RetryWaitMax: 5 * time.Millisecond,
	}
	if clock != nil {
		o.Now = clock.Now
	}
	return o
}

func mustNew(t *testing.T, o Options) *Client {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// testPKI is a throwaway CA with a client certificate, written as PEM files.
type testPKI struct {
	caPEM                 []byte
	caPool                *x509.CertPool
	clientCert, clientKey string // file paths
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Test LGSP client CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "connector 000.00.06.H29"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(leafKey)
	if err != nil {
		t.Fatal(err)
	}
	p := testPKI{
		caPEM:      pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		caPool:     x509.NewCertPool(),
		clientCert: filepath.Join(dir, "client.pem"),
		clientKey:  filepath.Join(dir, "client.key"),
	}
	p.caPool.AddCert(caCert)
	writeFile(t, p.clientCert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}))
	writeFile(t, p.clientKey, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	return p
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
