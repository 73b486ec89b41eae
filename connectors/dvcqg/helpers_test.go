package dvcqg

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/lgsp"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

const (
	testClientID     = "connector-phuong-ben-thanh"
	testClientSecret = "lgsp-client-secret-value"
	portalUser       = "phuong-ben-thanh"
	// A marker standing for the portal password: it must never reach a
	// log line or an error.
	portalPassword = "PORTAL-PASSWORD-MARKER-9f3a"
	unitCode       = "000.00.06.H29"
)

// fakeClock is a settable clock shared by the sandbox (session and token
// expiry).
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
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

// logBuffer collects every log line of the client and the transport.
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

// rig is a sandbox LGSP with the portal emulation, served over real HTTP,
// an LGSP transport to it and a portal client over that transport.
type rig struct {
	sb    *sandbox.Server
	clock *fakeClock
	lgsp  *lgsp.Client
	c     *Client
	logs  *logBuffer
}

type rigOptions struct {
	password   string        // the client's password; default the right one
	sessionTTL time.Duration // sandbox portal sessions
	cfg        func(*Config)
	transport  func(Transport) Transport // wraps the LGSP client
}

func newRig(t *testing.T, o rigOptions) *rig {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 10, 5, 8, 0, 0, 0, time.UTC)}
	sb, err := sandbox.New(sandbox.Options{
		ClientID: testClientID, ClientSecret: testClientSecret, Now: clock.Now,
		Portal: sandbox.PortalOptions{Username: portalUser, Password: portalPassword, SessionTTL: o.sessionTTL},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	logs := &logBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	lc, err := lgsp.New(lgsp.Options{
		BaseURL: srv.URL, ClientID: testClientID, ClientSecret: testClientSecret,
		Timeout: 5 * time.Second, RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond,
		Logger: logger, Now: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Username: portalUser, Password: portalPassword, MaDonVi: unitCode}
	if o.password != "" {
		cfg.Password = o.password
	}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	var tr Transport = lc
	if o.transport != nil {
		tr = o.transport(lc)
	}
	c, err := New(tr, cfg, Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{sb: sb, clock: clock, lgsp: lc, c: c, logs: logs}
}

// calls is how many requests the portal emulation saw for a service.
func (r *rig) calls(service string) int { return r.sb.Stats().DVCQG.Calls[service] }

// checkNoSecrets fails when a secret reached the logs or an error.
func (r *rig) checkNoSecrets(t *testing.T, errs ...error) {
	t.Helper()
	for _, s := range []string{portalPassword, testClientSecret} {
		if strings.Contains(r.logs.String(), s) {
			t.Errorf("a secret reached the logs:\n%s", r.logs.String())
		}
		for _, err := range errs {
			if err != nil && strings.Contains(err.Error(), s) {
				t.Errorf("a secret reached an error: %v", err)
			}
		}
	}
}

var received = time.Date(2026, 10, 5, 8, 30, 0, 0, packets.VietnamZone)

func maHoSo(n int) string { return fmt.Sprintf("%s-261005-%04d", unitCode, n) }

// dossierPacket is a valid dossier packet; status varies between
// versions of the same dossier.
func dossierPacket(n int, status string) *packets.Packet {
	return &packets.Packet{
		Header: packets.Header{
			MaGoiTin: fmt.Sprintf("6f1c2a9e-3b7d-4c1e-9a52-%012d", n), LoaiGoiTin: packets.KindDossier,
			PhienBan: packets.SchemaVersion, MaDonViGui: unitCode, MaDonViNhan: "000.00.00.G22", ThoiGianTao: received,
		},
		Dossier: &packets.Dossier{
			MaHoSo: maHoSo(n), MaTTHC: "1.001193", TenTTHC: "Đăng ký khai sinh", MaLinhVuc: "H29-HT", TenLinhVuc: "Hộ tịch",
			DonViXuLy: "UBND phường Bến Thành", NgayTiepNhan: packets.At(received), TrangThaiHoSo: status,
			LoaiDoiTuong: "1", HinhThuc: "0", ChuHoSo: "Nguyễn Văn A",
		},
	}
}

// stepPacket is a valid progress step of dossier n; i orders the steps.
func stepPacket(n, i int) *packets.Packet {
	return &packets.Packet{
		Header: packets.Header{
			MaGoiTin: fmt.Sprintf("7a2b3c4d-3b7d-4c1e-9a52-%06d%06d", n, i), LoaiGoiTin: packets.KindProgress,
			PhienBan: packets.SchemaVersion, MaDonViGui: unitCode, MaDonViNhan: "000.00.00.G22", ThoiGianTao: received,
		},
		Progress: &packets.ProgressStep{
			MaHoSo: maHoSo(n), NguoiXuLy: "Trần Thị B", ThoiDiemXuLy: packets.At(received.Add(time.Duration(i) * time.Minute)),
			NoiDungXuLy: fmt.Sprintf("bước %d", i), TrangThai: "4",
		},
	}
}

func item(t testing.TB, p *packets.Packet) []byte {
	t.Helper()
	b, err := packets.EncodeDVCQGItem(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// stored is what the outbox holds for p with the dvcqg profile.
func stored(t testing.TB, p *packets.Packet) lgsp.Request {
	t.Helper()
	prof, err := packets.ProfileByName(packets.ProfileDVCQG)
	if err != nil {
		t.Fatal(err)
	}
	b, err := prof.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	return lgsp.Request{Path: "/ignored", MessageID: p.Header.MaGoiTin, ContentType: prof.ContentType(), Body: b}
}

// ackLog is an AckLog over a set the test fills.
type ackLog struct {
	mu    sync.Mutex
	known map[string]bool
	err   error
	asked []string
}

func newAckLog() *ackLog { return &ackLog{known: map[string]bool{}} }

func (a *ackLog) Acknowledged(_ context.Context, maHoSo string) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, maHoSo)
	return a.known[maHoSo], a.err
}

func (a *ackLog) set(maHoSo string) {
	a.mu.Lock()
	a.known[maHoSo] = true
	a.mu.Unlock()
}

// failing wraps a transport and answers calls whose body contains match
// with an outage, without reaching the server.
type failing struct {
	next  Transport
	match string
}

func (f failing) Call(ctx context.Context, r lgsp.Request) (lgsp.Result, []byte) {
	if bytes.Contains(r.Body, []byte(f.match)) {
		return lgsp.Result{Class: lgsp.ClassThrottled, Status: 503, Err: fmt.Errorf("injected outage for %s", f.match)}, []byte(`{"fault":{"code":101503}}`)
	}
	return f.next.Call(ctx, r)
}
