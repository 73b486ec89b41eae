package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

const (
	testClientID     = "lgsp-connector-test"
	testClientSecret = "sandbox-test-secret"
)

// trustedSignature stands in for an XML-DSig signature in these tests;
// the real verifier is injected by the caller (signing.Verifier.VerifyBytes)
// and tested in the signing package and the end-to-end tests.
const trustedSignature = "<Signature>trusted-test-signature</Signature>"

// testVerify accepts documents carrying trustedSignature.
func testVerify(doc []byte) error {
	if !bytes.Contains(doc, []byte(trustedSignature)) {
		return errors.New("no signature from a trusted certificate")
	}
	return nil
}

// fakeClock is a settable clock.
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

func testOptions(clock *fakeClock) Options {
	o := Options{ClientID: testClientID, ClientSecret: testClientSecret, Verify: testVerify}
	if clock != nil {
		o.Now = clock.Now
	}
	return o
}

func mustNew(t *testing.T, o Options) *Server {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatalf("sandbox.New: %v", err)
	}
	return s
}

var created = time.Date(2026, 3, 2, 8, 0, 0, 0, packets.VietnamZone)

// messageID returns a deterministic UUID-shaped message ID.
func messageID(n int) string {
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
}

// dossier returns a valid dossier packet.
func dossier(n int) *packets.Packet {
	return &packets.Packet{
		Header: packets.Header{
			MaGoiTin: messageID(n), LoaiGoiTin: packets.KindDossier, PhienBan: packets.SchemaVersion,
			MaDonViGui: "000.00.06.H29", MaDonViNhan: "000.00.00.H29", ThoiGianTao: created,
		},
		Dossier: &packets.Dossier{
			MaHoSo:        fmt.Sprintf("000.00.06.H29-260302-%04d", n%10000),
			MaTTHC:        "1.001234",
			DonViXuLy:     "UBND phường Bến Thành",
			NgayTiepNhan:  packets.At(created),
			TrangThaiHoSo: "2",
			LoaiDoiTuong:  "1",
			HinhThuc:      "0",
			ChuHoSo:       "Nguyễn Văn A",
		},
	}
}

// progress returns a valid progress-step packet.
func progress(n int) *packets.Packet {
	return &packets.Packet{
		Header: packets.Header{
			MaGoiTin: messageID(n), LoaiGoiTin: packets.KindProgress, PhienBan: packets.SchemaVersion,
			MaDonViGui: "000.00.06.H29", MaDonViNhan: "000.00.00.H29", ThoiGianTao: created,
		},
		Progress: &packets.ProgressStep{
			MaHoSo: fmt.Sprintf("000.00.06.H29-260302-%04d", n%10000), NguoiXuLy: "Trần Thị B",
			ThoiDiemXuLy: packets.At(created), TrangThai: "4",
		},
	}
}

// encode writes p in the hcm-lgsp profile and, when signed, appends the
// test signature as the last child of GoiTin (where the signer puts it).
func encode(t testing.TB, p *packets.Packet, signed bool) []byte {
	t.Helper()
	prof, err := packets.ProfileByName(packets.ProfileHCMLGSP)
	if err != nil {
		t.Fatal(err)
	}
	b, err := prof.Encode(p)
	if err != nil {
		t.Fatalf("encode packet: %v", err)
	}
	if signed {
		b = bytes.Replace(b, []byte("</GoiTin>"), []byte(trustedSignature+"</GoiTin>"), 1)
	}
	return b
}

// reply is a decoded sandbox answer.
type reply struct {
	Status int
	Header http.Header
	JSON   map[string]any
	Raw    []byte
}

// call sends one request straight to the handler, as remote (non-loopback)
// client unless remote is empty.
func call(t testing.TB, h http.Handler, method, path string, headers map[string]string, body []byte) reply {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if ra, ok := headers["X-Test-Remote-Addr"]; ok {
		req.RemoteAddr = ra
		req.Header.Del("X-Test-Remote-Addr")
		// A client on this machine names the sandbox by a loopback
		// address, as curl http://127.0.0.1:8089/… does.
		if host, _, err := net.SplitHostPort(ra); err == nil && net.ParseIP(host).IsLoopback() {
			req.Host = net.JoinHostPort(host, "8089")
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	raw, _ := io.ReadAll(res.Body)
	out := reply{Status: res.StatusCode, Header: res.Header, Raw: raw}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out.JSON); err != nil {
			t.Fatalf("%s %s: reply is not JSON: %v: %s", method, path, err, raw)
		}
	}
	return out
}

// token gets an access token from the sandbox.
func token(t testing.TB, h http.Handler) string {
	t.Helper()
	r := call(t, h, "POST", "/token", map[string]string{
		"Content-Type":  "application/x-www-form-urlencoded",
		"Authorization": basicAuth(testClientID, testClientSecret),
	}, []byte("grant_type=client_credentials"))
	if r.Status != http.StatusOK {
		t.Fatalf("token: %d %s", r.Status, r.Raw)
	}
	return r.JSON["access_token"].(string)
}

func basicAuth(id, secret string) string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(id, secret)
	return req.Header.Get("Authorization")
}

// postPacket posts an hcm-lgsp packet with the usual headers.
func postPacket(t testing.TB, h http.Handler, tok, path, key string, body []byte) reply {
	t.Helper()
	headers := map[string]string{"Content-Type": "application/xml; charset=utf-8"}
	if tok != "" {
		headers["Authorization"] = "Bearer " + tok
	}
	if key != "" {
		headers["Idempotency-Key"] = key
	}
	return call(t, h, "POST", path, headers, body)
}

// checkInvariant asserts that every packet request ended in exactly one bucket.
func checkInvariant(t *testing.T, st Stats) {
	t.Helper()
	sum := st.Accepted + st.Rejected + st.Aborted + st.Injected5xx + st.Injected429 + st.InjectedDrop + st.Outage
	if sum != st.Received {
		t.Errorf("stats do not add up: received %d, outcomes %d: %+v", st.Received, sum, st)
	}
}

func newTextLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
