package inbound

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// The answer to a lookup is the DongBoHoSoMC item of the dossier, byte
// for byte what the dvcqg profile sends in DongBoHoSoMC's data array (same
// field names, order and values), with the attachment references turned
// into download links; both the portal's envelope form and the REST form
// give it.
func TestLookupAnswersDongBoHoSoMCItem(t *testing.T) {
	e := newEnv(t, nil)

	// What DongBoHoSoMC would carry for the same record.
	rec := dossierRecord(codeFound, "DANG_XU_LY")
	p, _, err := testMapper(t).Map("ho_so", rec.Key, rec.Values)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.srv.SignLinks(p, t0); n != 2 {
		t.Fatalf("SignLinks rewrote %d links, want 2", n)
	}
	p.Header.MaDonViGui = "000.00.12.H29"
	profile, _ := packets.ProfileByName(packets.ProfileDVCQG)
	wire, err := profile.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	var sync struct {
		Service string            `json:"service"`
		Data    []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(wire, &sync); err != nil || sync.Service != "DongBoHoSoMC" || len(sync.Data) != 1 {
		t.Fatalf("DongBoHoSoMC envelope: %v %s", err, wire)
	}

	for _, tc := range []struct{ name, method, path, body string }{
		{"envelope", "POST", "/dvcqg/TraCuuHoSo", `{"session":"s","madonvi":"000.00.00.H29","service":"TraCuuHoSo","mahoso":"` + codeFound + `"}`},
		{"envelope, MaHoSo spelling", "POST", "/dvcqg/TraCuuHoSo", `{"MaHoSo":" ` + codeFound + ` "}`},
		{"rest", "GET", "/api/v1/ho-so/" + codeFound, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := e.do(t, tc.method, tc.path, testToken, tc.body, "Content-Type", "application/json")
			if a.status != http.StatusOK || a.env.ErrorCode != 0 || len(a.env.Result) != 1 {
				t.Fatalf("status %d, answer %s", a.status, a.body)
			}
			if !bytes.Equal(a.env.Result[0], sync.Data[0]) {
				t.Errorf("result[0] differs from the DongBoHoSoMC item:\n got %s\nwant %s", a.env.Result[0], sync.Data[0])
			}
			var item struct {
				MaHoSo, ChuHoSo, TrangThaiHoSo string
				TaiLieuNop                     []struct{ TepDinhKemId, DuongDanTaiTepTin string }
			}
			if err := json.Unmarshal(a.env.Result[0], &item); err != nil {
				t.Fatal(err)
			}
			if item.MaHoSo != codeFound || item.ChuHoSo != applicant || item.TrangThaiHoSo != "4" || len(item.TaiLieuNop) != 2 ||
				!strings.HasPrefix(item.TaiLieuNop[0].DuongDanTaiTepTin, testBaseURL+"/files/") {
				t.Errorf("item = %+v", item)
			}
		})
	}
}

// Every outcome has its error code; the portal's envelope form keeps HTTP
// 200 for business outcomes, the REST form uses the code as status. No
// error answer repeats the applicant's data.
func TestLookupOutcomes(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxBodyBytes = 1024 })
	post := func(body string) string { return body }
	for _, tc := range []struct {
		name, method, path, body string
		status, code             int
	}{
		{"unknown, envelope", "POST", "/dvcqg/TraCuuHoSo", post(`{"mahoso":"000.00.12.H29-251015-9999"}`), 200, 404},
		{"unknown, rest", "GET", "/api/v1/ho-so/000.00.12.H29-251015-9999", "", 404, 404},
		{"ambiguous, envelope", "POST", "/dvcqg/TraCuuHoSo", post(`{"mahoso":"` + codeTwice + `"}`), 200, 409},
		{"ambiguous, rest", "GET", "/api/v1/ho-so/" + codeTwice, "", 409, 409},
		{"unmappable status, envelope", "POST", "/dvcqg/TraCuuHoSo", post(`{"mahoso":"` + codeNoMap + `"}`), 200, 422},
		{"unmappable status, rest", "GET", "/api/v1/ho-so/" + codeNoMap, "", 422, 422},
		{"database down", "POST", "/dvcqg/TraCuuHoSo", post(`{"mahoso":"` + codeBroke + `"}`), 503, 503},
		{"not JSON", "POST", "/dvcqg/TraCuuHoSo", "mahoso=" + codeFound, 400, 400},
		{"no code", "POST", "/dvcqg/TraCuuHoSo", `{"madonvi":"000.00.00.H29"}`, 400, 400},
		{"code not a string", "POST", "/dvcqg/TraCuuHoSo", `{"mahoso":12}`, 400, 400},
		{"two spellings", "POST", "/dvcqg/TraCuuHoSo", `{"mahoso":"a","MaHoSo":"b"}`, 400, 400},
		{"trailing data", "POST", "/dvcqg/TraCuuHoSo", `{"mahoso":"` + codeFound + `"} {}`, 400, 400},
		{"other service", "POST", "/dvcqg/TraCuuHoSo", `{"service":"DongBoHoSoMC","mahoso":"` + codeFound + `"}`, 400, 400},
		{"control character", "POST", "/dvcqg/TraCuuHoSo", `{"mahoso":"a\u0000b"}`, 400, 400},
		{"body too large", "POST", "/dvcqg/TraCuuHoSo", `{"mahoso":"` + strings.Repeat("x", 2000) + `"}`, 413, 413},
		{"code too long, rest", "GET", "/api/v1/ho-so/" + strings.Repeat("9", 101), "", 400, 400},
		{"wrong method", "PUT", "/dvcqg/TraCuuHoSo", "{}", 405, 405},
		{"no such endpoint", "GET", "/dvcqg/LayDanhMucCoQuan", "", 404, 404},
		{"no listing of files", "GET", "/files/", "", 404, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := e.do(t, tc.method, tc.path, testToken, tc.body)
			if a.status != tc.status || a.env.ErrorCode != tc.code || a.env.Message == "" || len(a.env.Result) != 0 {
				t.Errorf("status %d error_code %d (%s); want %d and %d", a.status, a.env.ErrorCode, a.body, tc.status, tc.code)
			}
			if bytes.Contains(a.body, []byte(applicant)) || bytes.Contains(a.body, []byte("Nguy")) {
				t.Errorf("error answer carries personal data: %s", a.body)
			}
		})
	}
	if !strings.Contains(e.logText(), "TRANG_THAI_LA") || strings.Contains(e.logText(), applicant) {
		t.Errorf("the unmappable dossier should be logged with its (non-personal) status value and without the applicant:\n%s", e.logText())
	}
	if a := e.do(t, "PUT", "/dvcqg/TraCuuHoSo", testToken, "{}"); a.header.Get("Allow") != "POST" {
		t.Errorf("405 without Allow: POST (%q)", a.header.Get("Allow"))
	}
}

// Without a valid token nothing is looked up and nothing leaks; from an
// address outside the allow-list, not even the token is looked at.
func TestAuthentication(t *testing.T) {
	e := newEnv(t, nil)
	body := `{"mahoso":"` + codeFound + `"}`
	for _, tc := range []struct {
		name, token string
		hdr         []string
	}{
		{"no token", "", nil},
		{"wrong token", "lgsp-bearer-token-0123456780", nil},
		{"token prefix", testToken[:20], nil},
		{"basic instead of bearer", "", []string{"Authorization", "Basic " + testToken}},
		{"empty bearer", "", []string{"Authorization", "Bearer "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.look.calls.Load()
			a := e.do(t, "POST", "/dvcqg/TraCuuHoSo", tc.token, body, tc.hdr...)
			if a.status != 401 || a.env.ErrorCode != 401 || !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("status %d error_code %d, WWW-Authenticate %q; want 401", a.status, a.env.ErrorCode, a.header.Get("WWW-Authenticate"))
			}
			if e.look.calls.Load() != before {
				t.Error("the dossier was looked up for an unauthenticated call")
			}
			if bytes.Contains(a.body, []byte(codeFound)) || bytes.Contains(a.body, []byte(applicant)) {
				t.Errorf("401 answer leaks request or dossier data: %s", a.body)
			}
		})
	}
	if a := e.do(t, "GET", "/api/v1/ho-so/"+codeFound, "", ""); a.status != 401 {
		t.Errorf("REST lookup without token: %d", a.status)
	}
	if a := e.do(t, "POST", "/dvcqg/TraCuuHoSo", "another-token-abcdefghijkl", body); a.status != 200 {
		t.Errorf("the first configured token: %d %s", a.status, a.body)
	}

	denied := newEnv(t, func(o *Options) { o.AllowIPs = []string{"10.0.0.0/8", "2001:db8::1"} })
	a := denied.do(t, "POST", "/dvcqg/TraCuuHoSo", testToken, body)
	if a.status != 403 || a.env.ErrorCode != 403 || denied.look.calls.Load() != 0 {
		t.Errorf("from 127.0.0.1 with allow-list 10.0.0.0/8: status %d, %d lookups; want 403 and none", a.status, denied.look.calls.Load())
	}
	link := denied.srv.FileURL("501", t0)
	if a := denied.do(t, "GET", strings.TrimPrefix(link, testBaseURL), "", ""); a.status != 403 || len(denied.files.opens) != 0 {
		t.Errorf("file link from a denied address: %d", a.status)
	}
	allowed := newEnv(t, func(o *Options) { o.AllowIPs = []string{"10.0.0.0/8", "127.0.0.1"} })
	if a := allowed.do(t, "POST", "/dvcqg/TraCuuHoSo", testToken, body); a.status != 200 {
		t.Errorf("from an allowed address: %d %s", a.status, a.body)
	}
}

// Every call lands in the store's inbound log with who, what, outcome and
// size, and nothing personal; the process log has no personal data either.
func TestCallsAreRecorded(t *testing.T) {
	e := newEnv(t, nil)
	ok := e.do(t, "POST", "/dvcqg/TraCuuHoSo", testToken, `{"mahoso":"`+codeFound+`"}`)
	e.clock.Advance(time.Second)
	e.do(t, "GET", "/api/v1/ho-so/"+codeFound, "bad-token-0123456789abc", "")
	e.clock.Advance(time.Second)
	e.do(t, "GET", strings.TrimPrefix(e.srv.FileURL("501", t0), testBaseURL), "", "")
	e.clock.Advance(time.Second)
	e.do(t, "GET", "/nope", "", "")
	e.waitLogged(t, 4)

	calls, err := e.store.Inbound(context.Background(), outbox.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		method, path, caller, code, ref, ip string
		status                              int
		bytes                               int64
	}
	var got []row
	for _, c := range calls {
		got = append(got, row{c.Method, c.Path, c.Caller, c.MaHoSo, c.FileRef, c.RemoteIP, c.Status, c.BytesOut})
		if strings.Contains(c.Error, applicant) || strings.Contains(c.Path, "files/A") {
			t.Errorf("inbound log row holds personal data or a link token: %+v", c)
		}
	}
	want := []row{
		{"GET", "/nope", "", "", "", "127.0.0.1", 404, 0},
		{"GET", "/files/{token}", "link", "", "501", "127.0.0.1", 200, int64(len(tepKhai))},
		{"GET", "/api/v1/ho-so/{MaHoSo}", "", "", "", "127.0.0.1", 401, 0},
		{"POST", "/dvcqg/TraCuuHoSo", "bearer:2", codeFound, "", "127.0.0.1", 200, int64(len(ok.body))},
	}
	if len(got) != len(want) {
		t.Fatalf("inbound log:\n%+v\nwant\n%+v", got, want)
	}
	for i := range want {
		w := want[i]
		if w.bytes == 0 {
			w.bytes = got[i].bytes // error bodies: size checked below
		}
		if got[i] != w {
			t.Errorf("row %d = %+v\nwant %+v", i, got[i], w)
		}
	}
	if calls[0].BytesOut == 0 || calls[2].Error == "" || !calls[3].At.Equal(t0) {
		t.Errorf("error rows: %+v", calls)
	}
	if logs := e.logText(); strings.Contains(logs, applicant) || strings.Contains(logs, testToken) {
		t.Errorf("process log holds personal data or a token:\n%s", logs)
	}
}

// Options are checked: authentication is mandatory, tokens long, the
// allow-list parseable, links complete.
func TestNewRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		modify func(*Options)
		want   string
	}{
		{"no authentication", func(o *Options) { o.BearerTokens = nil }, "no authentication"},
		{"short token", func(o *Options) { o.BearerTokens = []string{"short"} }, "at least 16"},
		{"bad allow-list", func(o *Options) { o.AllowIPs = []string{"10.0.0.256"} }, "10.0.0.256"},
		{"link without secret", func(o *Options) { o.LinkSecret = nil }, "link secret"},
		{"link without base", func(o *Options) { o.PublicBaseURL = "" }, "public base URL"},
		{"relative base", func(o *Options) { o.PublicBaseURL = "/files" }, "public base URL"},
		{"no TTL", func(o *Options) { o.LinkTTL = 0 }, "TTL"},
		{"client CA without TLS", func(o *Options) { o.ClientCAFile = "ca.pem" }, "need TLS"},
		{"cert without key", func(o *Options) { o.TLSCertFile = "x.pem" }, "both"},
		{"lookup without mapper", func(o *Options) { o.Mapper = nil }, "Mapper"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{BearerTokens: []string{testToken}, PublicBaseURL: testBaseURL, LinkSecret: testLinkSecret, LinkTTL: time.Hour,
				Lookuper: &fakeLookuper{}, Mapper: testMapper(t)}
			tc.modify(&o)
			if _, err := New(o); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New = %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

// Shutdown is idempotent and safe without Start; Start reports a busy
// port.
func TestLifecycle(t *testing.T) {
	o := Options{Listen: "127.0.0.1:0", BearerTokens: []string{testToken}}
	idle, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := idle.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown without Start: %v", err)
	}
	if err := idle.Start(context.Background()); err == nil {
		t.Error("Start after Shutdown succeeded")
	}

	e := newEnv(t, nil)
	o.Listen = e.srv.Addr().String()
	busy, _ := New(o)
	if err := busy.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "listen") {
		t.Errorf("Start on a busy port = %v", err)
	}
	if err := e.srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Shutdown(context.Background()); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
	if _, err := http.Get(e.base + "/nope"); err == nil {
		t.Error("the server still answers after Shutdown")
	}
}
