package inbound

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/mapping"
)

// t0 is the fixed time of every test clock.
var t0 = time.Date(2025, 10, 15, 9, 30, 0, 0, time.UTC)

const (
	testToken   = "lgsp-bearer-token-0123456789"
	testBaseURL = "https://lgsp.example.vn/phuong-sai-gon"
	// applicant is personal data: it may appear in a lookup's answer and
	// nowhere else (logs, the inbound log, error answers).
	applicant = "Nguyễn Thị Bích Ngọc"
	codeFound = "000.00.12.H29-251015-0001"
	codeNoMap = "000.00.12.H29-251015-0002"
	codeTwice = "000.00.12.H29-251015-0003"
	codeBroke = "000.00.12.H29-251015-0004"
)

var testLinkSecret = []byte("link-secret-0123456789-abcdefghijklmnop")

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakeLookuper answers from a map, as a source would: dossier records
// with a tai_lieu child list.
type fakeLookuper struct {
	calls atomic.Int64
}

func dossierRecord(code, status string) connectors.Record {
	return connectors.Record{Stream: "ho_so", Key: "17", Values: map[string]any{
		"id": int64(17), "so_ho_so": code, "ho_ten": []byte(applicant), "trang_thai": status,
		"ngay_nhan": "2025-10-15 08:05:00", "ma_tthc": "1.001193",
		"tai_lieu": []map[string]any{
			{"hoso_id": int64(17), "id": int64(501), "ten": "Tờ khai đăng ký khai sinh"},
			{"hoso_id": int64(17), "id": int64(502), "ten": "Giấy chứng sinh"},
		},
	}}
}

func (f *fakeLookuper) Lookup(_ context.Context, stream, code string) (connectors.Record, bool, error) {
	f.calls.Add(1)
	if stream != "ho_so" {
		return connectors.Record{}, false, fmt.Errorf("unknown stream %q", stream)
	}
	switch code {
	case codeFound:
		return dossierRecord(code, "DANG_XU_LY"), true, nil
	case codeNoMap:
		return dossierRecord(code, "TRANG_THAI_LA"), true, nil
	case codeTwice:
		return connectors.Record{}, false, fmt.Errorf("lookup: %w", connectors.ErrAmbiguous)
	case codeBroke:
		return connectors.Record{}, false, errors.New("iso_dientu: connection refused")
	}
	return connectors.Record{}, false, nil
}

func testMapper(t testing.TB) *mapping.Mapper {
	t.Helper()
	m, err := mapping.New(mapping.Config{
		Timezone:   "Asia/Ho_Chi_Minh",
		CodeTables: map[string]map[string]string{"trang_thai": {"DANG_XU_LY": "4", "DA_TRA_KQ": "10"}},
		Streams: map[string]mapping.StreamMapping{"ho_so": {
			Packet: "HoSo",
			Fields: map[string]mapping.FieldMapping{
				"MaHoSo":        {Column: "so_ho_so", Required: true},
				"MaTTHC":        {Column: "ma_tthc"},
				"ChuHoSo":       {Column: "ho_ten"},
				"TrangThaiHoSo": {Column: "trang_thai", CodeTable: "trang_thai", Required: true},
				"NgayTiepNhan":  {Column: "ngay_nhan", Format: []string{"2006-01-02 15:04:05"}},
			},
			Lists: map[string]mapping.ListMapping{"TaiLieuNop": {From: "tai_lieu", Fields: map[string]mapping.FieldMapping{
				"TepDinhKemId":      {Column: "id"},
				"TenTepDinhKem":     {Column: "ten"},
				"DuongDanTaiTepTin": {Column: "id"},
			}}},
		}},
	}, mapping.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// patternReader yields n bytes of a fixed pattern (byte i is i*7+i/1021
// mod 256), never more than maxRead per Read: a reader that fails if
// someone tries to read it whole in one go. gateAt, when positive, makes
// it wait for gate to close after producing that many bytes.
type patternReader struct {
	n, off  int64
	maxRead int
	gateAt  int64
	gate    <-chan struct{}
	ctx     context.Context
	seek    bool
	closed  atomic.Bool
}

func patternByte(i int64) byte { return byte(i*7 + i/1021) }

func (p *patternReader) Read(b []byte) (int, error) {
	if p.maxRead > 0 && len(b) > p.maxRead {
		return 0, fmt.Errorf("Read asked for %d bytes at once, more than %d: the file is being read whole", len(b), p.maxRead)
	}
	if p.off >= p.n {
		return 0, io.EOF
	}
	if p.gateAt > 0 && p.off >= p.gateAt && p.gate != nil {
		select {
		case <-p.gate:
			p.gate = nil
		case <-p.ctx.Done():
			return 0, p.ctx.Err()
		}
	}
	n := min(int64(len(b)), p.n-p.off)
	if p.gateAt > 0 && p.gate != nil && p.off < p.gateAt {
		n = min(n, p.gateAt-p.off)
	}
	for i := range n {
		b[i] = patternByte(p.off + i)
	}
	p.off += n
	return int(n), nil
}

func (p *patternReader) Close() error { p.closed.Store(true); return nil }

// seekablePattern adds Seek, so the server serves ranges.
type seekablePattern struct{ *patternReader }

func (s seekablePattern) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += s.off
	case io.SeekEnd:
		off += s.n
	}
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	s.off = off
	return off, nil
}

// fakeFiles serves files by reference.
type fakeFiles struct {
	mu    sync.Mutex
	files map[string]func(ctx context.Context) (io.ReadCloser, connectors.FileInfo)
	opens []string
}

func (f *fakeFiles) OpenFile(ctx context.Context, ref string) (io.ReadCloser, connectors.FileInfo, error) {
	f.mu.Lock()
	f.opens = append(f.opens, ref)
	open := f.files[ref]
	f.mu.Unlock()
	switch {
	case ref == "outside":
		return nil, connectors.FileInfo{}, fmt.Errorf("file %q: %w: path escapes", ref, connectors.ErrFileRejected)
	case open == nil:
		return nil, connectors.FileInfo{}, fmt.Errorf("file %q: %w", ref, connectors.ErrFileNotFound)
	}
	rc, info := open(ctx)
	return rc, info, nil
}

func smallFile(content, name, ctype string) func(context.Context) (io.ReadCloser, connectors.FileInfo) {
	return func(context.Context) (io.ReadCloser, connectors.FileInfo) {
		return nopSeekCloser{strings.NewReader(content)}, connectors.FileInfo{Name: name, Size: int64(len(content)), ContentType: ctype}
	}
}

type nopSeekCloser struct{ io.ReadSeeker }

func (nopSeekCloser) Close() error { return nil }

const tepKhai = "%PDF-1.4 nội dung tờ khai"

func newFakeFiles() *fakeFiles {
	return &fakeFiles{files: map[string]func(context.Context) (io.ReadCloser, connectors.FileInfo){
		"501": smallFile(tepKhai, "Tờ khai đăng ký khai sinh.pdf", "application/pdf"),
		"502": smallFile("GCS", "Giấy chứng sinh", ""),
	}}
}

// env is a server under test and what it was built with.
type env struct {
	srv    *Server
	base   string // http(s)://127.0.0.1:port
	client *http.Client
	clock  *clock
	look   *fakeLookuper
	files  *fakeFiles
	store  *outbox.Store
	logs   *lockedWriter
	logged chan struct{} // one value per call recorded in the store
}

// newEnv starts a server on 127.0.0.1:0 with bearer authentication and
// fakes, after modify adjusts the options.
func newEnv(t *testing.T, modify func(*Options)) *env {
	t.Helper()
	e := &env{clock: &clock{t: t0}, look: &fakeLookuper{}, files: newFakeFiles(), logs: &lockedWriter{w: &bytes.Buffer{}},
		logged: make(chan struct{}, 1000)}
	store, err := outbox.Open(context.Background(), outbox.Options{Path: filepath.Join(t.TempDir(), "outbox.db"), Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	e.store = store
	o := Options{
		Listen: "127.0.0.1:0", BearerTokens: []string{"another-token-abcdefghijkl", testToken},
		PublicBaseURL: testBaseURL, LinkSecret: testLinkSecret, LinkTTL: time.Hour,
		Lookuper: e.look, Mapper: testMapper(t), Files: e.files, Log: &signallingLog{store: store, done: e.logged},
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    e.clock.Now,
	}
	if modify != nil {
		modify(&o)
	}
	srv, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	e.srv = srv
	scheme := "http"
	tr := &http.Transport{}
	if o.TLSCertFile != "" {
		scheme = "https"
		tr.TLSClientConfig = &tls.Config{RootCAs: testPKI(t).roots}
	}
	e.client = &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Cleanup(tr.CloseIdleConnections)
	e.base = scheme + "://" + srv.Addr().String()
	return e
}

// signallingLog records in the store and then tells the test, which
// waits for it instead of guessing: the server records a call after the
// caller has its answer.
type signallingLog struct {
	store *outbox.Store
	done  chan struct{}
}

func (l *signallingLog) RecordInbound(ctx context.Context, c outbox.InboundCall) error {
	err := l.store.RecordInbound(ctx, c)
	l.done <- struct{}{}
	return err
}

// waitLogged waits until n more calls are recorded.
func (e *env) waitLogged(t *testing.T, n int) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for range n {
		select {
		case <-e.logged:
		case <-timeout:
			t.Fatalf("calls were not recorded in the store within 10s")
		}
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (e *env) logText() string {
	e.logs.mu.Lock()
	defer e.logs.mu.Unlock()
	return e.logs.w.String()
}

// answer is an HTTP response read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
	env    envelope
}

func (e *env) do(t *testing.T, method, path, token string, body string, hdr ...string) answer {
	t.Helper()
	return doWith(t, e.client, method, e.base+path, token, body, hdr...)
}

func doWith(t *testing.T, c *http.Client, method, url, token, body string, hdr ...string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, body: b}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(b, &a.env); err != nil {
			t.Fatalf("%s %s: answer is not the JSON envelope: %v\n%s", method, url, err, b)
		}
	}
	return a
}

// pki is a test CA, a server certificate for 127.0.0.1, a client
// certificate it issued, and a client certificate of another CA.
type pki struct {
	dir                           string
	caFile, serverCert, serverKey string
	client, rogue, serverAsClient tls.Certificate
	roots                         *x509.CertPool
}

var (
	pkiOnce sync.Once
	pkiVal  *pki
	pkiErr  error
)

// testPKI builds the certificates once per test binary (key generation
// is the slow part).
func testPKI(t testing.TB) *pki {
	t.Helper()
	pkiOnce.Do(func() { pkiVal, pkiErr = makePKI() })
	if pkiErr != nil {
		t.Fatal(pkiErr)
	}
	return pkiVal
}

func makePKI() (*pki, error) {
	dir, err := os.MkdirTemp("", "inbound-pki-")
	if err != nil {
		return nil, err
	}
	p := &pki{dir: dir, roots: x509.NewCertPool()}
	ca, caKey, err := newCert(nil, nil, "Test CA", true, nil)
	if err != nil {
		return nil, err
	}
	p.roots.AddCert(ca)
	p.caFile = filepath.Join(dir, "ca.pem")
	if err := writePEM(p.caFile, "CERTIFICATE", ca.Raw); err != nil {
		return nil, err
	}
	srv, srvKey, err := newCert(ca, caKey, "inbound.test", false, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth})
	if err != nil {
		return nil, err
	}
	p.serverCert, p.serverKey = filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key")
	keyDER, _ := x509.MarshalECPrivateKey(srvKey)
	if err := writePEM(p.serverCert, "CERTIFICATE", srv.Raw); err != nil {
		return nil, err
	}
	if err := writePEM(p.serverKey, "EC PRIVATE KEY", keyDER); err != nil {
		return nil, err
	}
	p.serverAsClient = tls.Certificate{Certificate: [][]byte{srv.Raw}, PrivateKey: srvKey}
	cl, clKey, err := newCert(ca, caKey, "LGSP HCM", false, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth})
	if err != nil {
		return nil, err
	}
	p.client = tls.Certificate{Certificate: [][]byte{cl.Raw}, PrivateKey: clKey}
	other, otherKey, err := newCert(nil, nil, "Other CA", true, nil)
	if err != nil {
		return nil, err
	}
	rogue, rogueKey, err := newCert(other, otherKey, "LGSP HCM", false, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth})
	if err != nil {
		return nil, err
	}
	p.rogue = tls.Certificate{Certificate: [][]byte{rogue.Raw}, PrivateKey: rogueKey}
	return p, nil
}

var serial atomic.Int64

func newCert(parent *x509.Certificate, parentKey *ecdsa.PrivateKey, cn string, isCA bool, usage []x509.ExtKeyUsage) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)), Subject: pkix.Name{CommonName: cn},
		// Valid at the tests' fixed clock (client certificates are checked
		// against it) and now (the client checks the server's).
		NotBefore: earlier(t0, time.Now()).Add(-time.Hour), NotAfter: later(t0, time.Now()).Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: usage,
		BasicConstraintsValid: true, IsCA: isCA,
	}
	if isCA {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	} else {
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent, parentKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		return nil, nil, err
	}
	c, err := x509.ParseCertificate(der)
	return c, key, err
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func writePEM(path, typ string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if pkiVal != nil {
		os.RemoveAll(pkiVal.dir)
	}
	os.Exit(code)
}
