package dvcqg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/lgsp"
	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// runConcurrently starts n calls of fn together and returns their errors.
func runConcurrently(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

func TestOneLoginServesManyCalls(t *testing.T) {
	r := newRig(t, rigOptions{})
	ctx := context.Background()
	// Concurrent first calls all need a session at once: one login.
	errs := runConcurrently(12, func(i int) error {
		_, err := r.c.TraCuuHoSo(ctx, maHoSo(i))
		return err
	})
	for i := range 8 {
		_, err := r.c.TraCuuHoSo(ctx, maHoSo(100+i))
		errs = append(errs, err)
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if got := r.calls("login"); got != 1 || r.c.Logins() != 1 {
		t.Errorf("portal saw %d logins (client started %d) for 20 calls, want 1", got, r.c.Logins())
	}
	if got := r.calls(ServiceTraCuuHoSo); got != 20 {
		t.Errorf("portal saw %d lookups, want 20", got)
	}
	r.checkNoSecrets(t)
}

func TestExpiredSessionMeansOneReLogin(t *testing.T) {
	tests := []struct {
		name   string
		expire func(r *rig)
	}{
		{"all sessions ended by the portal", func(r *rig) { r.sb.ExpirePortalSessions() }},
		{"session lifetime over", func(r *rig) { r.clock.Advance(31 * time.Minute) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, rigOptions{sessionTTL: 30 * time.Minute})
			ctx := context.Background()
			if _, err := r.c.TraCuuHoSo(ctx, maHoSo(1)); err != nil {
				t.Fatal(err)
			}
			tt.expire(r)
			// Several callers meet the expired session together: they
			// share one new login and each retries once.
			errs := runConcurrently(8, func(i int) error {
				_, err := r.c.TraCuuHoSo(ctx, maHoSo(i))
				return err
			})
			for i, err := range errs {
				if err != nil {
					t.Fatalf("call %d after expiry: %v", i, err)
				}
			}
			st := r.sb.Stats().DVCQG
			if st.Calls["login"] != 2 {
				t.Errorf("portal saw %d logins, want 2 (one before, one after expiry)", st.Calls["login"])
			}
			if st.SessionRejected < 1 || st.SessionRejected > 8 || st.Calls[ServiceTraCuuHoSo] != 1+8+st.SessionRejected {
				t.Errorf("session rejections %d, lookups %d: want every refused call retried exactly once", st.SessionRejected, st.Calls[ServiceTraCuuHoSo])
			}
		})
	}
}

func TestSessionDetectionIsConfigurable(t *testing.T) {
	// With detection that does not recognise the sandbox's answer, an
	// expired session is an ordinary rejection: no re-login.
	r := newRig(t, rigOptions{cfg: func(c *Config) {
		c.SessionErrorCodes, c.SessionErrorMessages = []string{"401"}, []string{"token hết hạn"}
	}})
	ctx := context.Background()
	if _, err := r.c.TraCuuHoSo(ctx, maHoSo(1)); err != nil {
		t.Fatal(err)
	}
	r.sb.ExpirePortalSessions()
	_, err := r.c.TraCuuHoSo(ctx, maHoSo(1))
	var pe *Error
	if !errors.As(err, &pe) || pe.Code != "-2" || !errors.Is(err, ErrRejected) {
		t.Fatalf("err = %v, want the portal's -2 rejection", err)
	}
	if r.calls("login") != 1 {
		t.Errorf("logins = %d, want 1", r.calls("login"))
	}
}

func TestWrongPasswordIsAClearConfigurationError(t *testing.T) {
	r := newRig(t, rigOptions{password: "not-the-" + portalPassword + "-x"})
	ctx := context.Background()
	var errs []error
	_, err := r.c.TraCuuHoSo(ctx, maHoSo(1))
	errs = append(errs, err)
	errs = append(errs, r.c.DongBoHoSoMC(ctx, [][]byte{item(t, dossierPacket(1, "2"))}, false))
	_, err = r.c.LayDanhMucCoQuan(ctx)
	errs = append(errs, err)
	for i, err := range errs {
		if !errors.Is(err, ErrLoginRefused) || !errors.Is(err, lgsp.ErrConfig) {
			t.Errorf("call %d: err = %v, want ErrLoginRefused and lgsp.ErrConfig", i, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, "dvcqg.password") || !strings.Contains(msg, "wrong username or password") {
			t.Errorf("call %d: error %q does not tell what to fix", i, msg)
		}
	}
	res := NewSender(r.c, newAckLog(), SenderOptions{}).Send(ctx, stored(t, dossierPacket(1, "2")))
	if res.Class != lgsp.ClassPermanent || !errors.Is(res.Err, lgsp.ErrConfig) {
		t.Errorf("Sender: class %s err %v, want a permanent configuration error (delivery pauses)", res.Class, res.Err)
	}
	errs = append(errs, res.Err)
	if got := r.calls(ServiceTraCuuHoSo) + r.calls(ServiceDongBoHoSoMC); got != 0 {
		t.Errorf("%d service calls reached the portal without a session", got)
	}
	r.checkNoSecrets(t, errs...)
	// The password travelled in the login body only; it is not in the
	// portal's refusal either (the sandbox never echoes it).
	if strings.Contains(fmt.Sprint(r.sb.Stats()), portalPassword) {
		t.Error("the password shows in the sandbox stats")
	}
}

func TestAlreadyExistsIsResentAsUpdate(t *testing.T) {
	r := newRig(t, rigOptions{})
	ctx := context.Background()
	first := [][]byte{item(t, dossierPacket(1, "2"))}
	if err := r.c.DongBoHoSoMC(ctx, first, false); err != nil {
		t.Fatal(err)
	}
	// A create of the same dossier with a new status: the portal says
	// "đã tồn tại", the client resends as an update.
	changed := [][]byte{item(t, dossierPacket(1, "4"))}
	if err := r.c.DongBoHoSoMC(ctx, changed, false); err != nil {
		t.Fatalf("create of a known dossier: %v", err)
	}
	d, ok := r.sb.PortalDossier(maHoSo(1))
	if !ok || d.Updates != 1 || !strings.Contains(string(d.Item), `"TrangThaiHoSo":"4"`) {
		t.Errorf("portal dossier: found %t, %d updates, item %s; want the new version applied as an update", ok, d.Updates, d.Item)
	}
	st := r.sb.Stats().DVCQG
	if st.AlreadyExists != 1 || st.Calls[ServiceDongBoHoSoMC] != 3 {
		t.Errorf("portal saw %d 'đã tồn tại' and %d DongBoHoSoMC calls, want 1 and 3", st.AlreadyExists, st.Calls[ServiceDongBoHoSoMC])
	}
	// An update of an unknown dossier is the portal's to refuse.
	err := r.c.DongBoHoSoMC(ctx, [][]byte{item(t, dossierPacket(2, "2"))}, true)
	var pe *Error
	if !errors.As(err, &pe) || pe.Code != "-1" || !strings.Contains(pe.Message, "không tồn tại") {
		t.Errorf("update of an unknown dossier: %v", err)
	}
}

func TestTraCuuHoSo(t *testing.T) {
	r := newRig(t, rigOptions{})
	ctx := context.Background()
	if err := r.c.DongBoHoSoMC(ctx, [][]byte{item(t, dossierPacket(1, "2"))}, false); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		maHoSo string
		want   bool
	}{{maHoSo(1), true}, {maHoSo(2), false}} {
		found, err := r.c.TraCuuHoSo(ctx, tt.maHoSo)
		if err != nil || found != tt.want {
			t.Errorf("TraCuuHoSo(%s) = %t, %v; want %t", tt.maHoSo, found, err, tt.want)
		}
	}
	if _, err := r.c.TraCuuHoSo(ctx, ""); err == nil {
		t.Error("TraCuuHoSo(\"\") succeeded")
	}
}

func TestProgressGoesInCallsOfAtMostTen(t *testing.T) {
	tests := []struct {
		name      string
		steps     int
		wantCalls int
	}{{"one", 1, 1}, {"ten", 10, 1}, {"eleven", 11, 2}, {"twenty-three", 23, 3}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, rigOptions{})
			ctx := context.Background()
			if err := r.c.DongBoHoSoMC(ctx, [][]byte{item(t, dossierPacket(1, "4"))}, false); err != nil {
				t.Fatal(err)
			}
			var steps [][]byte
			for i := range tt.steps {
				steps = append(steps, item(t, stepPacket(1, i)))
			}
			sent, err := r.c.CapNhatTienDoHoSoMC(ctx, steps)
			if err != nil || sent != tt.steps {
				t.Fatalf("sent %d, %v; want %d", sent, err, tt.steps)
			}
			if got := r.calls(ServiceCapNhatTienDoHoSoMC); got != tt.wantCalls {
				t.Errorf("%d calls, want %d", got, tt.wantCalls)
			}
			d, _ := r.sb.PortalDossier(maHoSo(1))
			if len(d.Steps) != tt.steps {
				t.Fatalf("portal holds %d steps, want %d", len(d.Steps), tt.steps)
			}
			for i, s := range d.Steps {
				if want := fmt.Sprintf(`"NoiDungXuLy":"bước %d"`, i); !strings.Contains(string(s), want) {
					t.Errorf("step %d arrived as %s, want %s", i, s, want)
				}
			}
		})
	}
}

func TestProgressStopsAtTheFirstRefusedCall(t *testing.T) {
	r := newRig(t, rigOptions{})
	ctx := context.Background()
	if err := r.c.DongBoHoSoMC(ctx, [][]byte{item(t, dossierPacket(1, "4"))}, false); err != nil {
		t.Fatal(err)
	}
	var steps [][]byte
	for i := range 10 {
		steps = append(steps, item(t, stepPacket(1, i)))
	}
	for i := range 15 { // the portal has no dossier 2
		steps = append(steps, item(t, stepPacket(2, i)))
	}
	sent, err := r.c.CapNhatTienDoHoSoMC(ctx, steps)
	if sent != 10 || !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "first 10 of 25") {
		t.Fatalf("sent %d, %v; want 10 and a rejection naming how far it got", sent, err)
	}
	if got := r.calls(ServiceCapNhatTienDoHoSoMC); got != 2 {
		t.Errorf("%d calls, want 2 (stopped after the refused one)", got)
	}
}

func TestStatisticsAreStored(t *testing.T) {
	r := newRig(t, rigOptions{})
	figures := map[string]string{
		"Thang": "9", "Nam": "2026", "Madonvi": unitCode, "TenDonVi": "UBND phường Bến Thành", "LoaiThongKe": "1",
		"SoNhanTrongKy": "120", "SoTonKyTruoc": "15", "TongSoXuLy": "135", "TongDaXuLy": "110",
		"TongXuLyDungHan": "104", "PhanTramXuLyDungHan": "94.55", "TongXuLyTreHan": "6", "PhanTramXuLyTreHan": "5.45",
		"TongChuaXuLy": "25", "TongChuaXuLyTrongHan": "23", "PhanTramChuaXuLyTrongHan": "92.00",
		"TongChuaXuLyTreHan": "2", "PhanTramChuaXuLyTreHan": "8.00", "GhiChu": "",
	}
	b, _ := json.Marshal(figures)
	if err := r.c.DongBoThongKeHoSo(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	got, ok := r.sb.PortalStatistics(unitCode, 2026, 9)
	if !ok {
		t.Fatal("the portal has no statistics for September 2026")
	}
	for k, v := range figures {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if err := r.c.DongBoThongKeHoSo(context.Background(), json.RawMessage(`[1,2]`)); err == nil {
		t.Error("a non-object statistics item was sent")
	}
}

// The month's summary goes in one call, its items byte for byte; the
// portal keeps it per unit and month. A malformed item is never sent.
func TestRatingsSummaryIsStored(t *testing.T) {
	r := newRig(t, rigOptions{})
	items := [][]byte{
		[]byte(`{"NgayTongHop":"9-2026","TongSoNguoiDanhGia":8,"PhanTramDanhGiaRatHaiLong":"13%","PhanTramDanhGiaHaiLong":"87%","PhanTramDanhGiaChuaHaiLong":"0%",` +
			`"PhanTramDanhGiaDichVuRatHaiLong":"13%","PhanTramDanhGiaDichVuHaiLong":"87%","PhanTramDanhGiaDichVuChuaHaiLong":"0%",` +
			`"DanhSachNoiDungYKien":"","MaThuTuc":"","NoiDung":"Mức độ hài lòng chung","Madonvi":"` + unitCode + `","TenDonVi":"UBND phường Bến Thành"}`),
		[]byte(`{"NgayTongHop":"9-2026","TongSoNguoiDanhGia":0,"PhanTramDanhGiaRatHaiLong":"0%","PhanTramDanhGiaHaiLong":"0%","PhanTramDanhGiaChuaHaiLong":"0%",` +
			`"PhanTramDanhGiaDichVuRatHaiLong":"0%","PhanTramDanhGiaDichVuHaiLong":"0%","PhanTramDanhGiaDichVuChuaHaiLong":"0%",` +
			`"DanhSachNoiDungYKien":"","MaThuTuc":"","NoiDung":"Thái độ cán bộ","Madonvi":"` + unitCode + `","TenDonVi":"UBND phường Bến Thành"}`),
	}
	if err := r.c.DongBoDanhGia(context.Background(), items); err != nil {
		t.Fatal(err)
	}
	got, ok := r.sb.PortalRatings(unitCode, 2026, 9)
	if !ok || len(got) != len(items) {
		t.Fatalf("the portal holds %d items for September 2026 (%v), want %d", len(got), ok, len(items))
	}
	for i := range items {
		if string(got[i]) != string(items[i]) {
			t.Errorf("item %d stored as\n %s\nsent\n %s", i, got[i], items[i])
		}
	}
	if n := r.calls(ServiceDongBoDanhGia); n != 1 {
		t.Errorf("%d DongBoDanhGia calls, want 1 (the month in one call)", n)
	}
	for _, bad := range [][][]byte{nil, {[]byte(`[1]`)}, {items[0], []byte(`"x"`)}} {
		if err := r.c.DongBoDanhGia(context.Background(), bad); err == nil {
			t.Errorf("items %q were sent", bad)
		}
	}
	if n := r.calls(ServiceDongBoDanhGia); n != 1 {
		t.Errorf("%d DongBoDanhGia calls after refused items, want still 1", n)
	}
}

// fixture reads a catalogue the sandbox answers from.
func fixture(t *testing.T, service string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "internal", "sandbox", "fixtures", "dvcqg", service+".json"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := rowsOf(b)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestCataloguesReturnTheFixtureRows(t *testing.T) {
	r := newRig(t, rigOptions{})
	ctx := context.Background()

	for _, service := range append([]string{ServiceLayDanhMucCoQuan, ServiceLayDanhMucLinhVuc, ServiceLayDanhSachTTHC}, CommonCatalogues...) {
		t.Run(service, func(t *testing.T) {
			rows, err := r.c.Catalogue(ctx, service, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := fixture(t, service)
			gotJSON, _ := json.Marshal(rows)
			wantJSON, _ := json.Marshal(want)
			if len(rows) == 0 || string(gotJSON) != string(wantJSON) {
				t.Errorf("%d rows, want the fixture's %d:\n got %.300s\nwant %.300s", len(rows), len(want), gotJSON, wantJSON)
			}
		})
	}

	agencies, err := r.c.LayDanhMucCoQuan(ctx)
	if err != nil || len(agencies) != len(fixture(t, ServiceLayDanhMucCoQuan)) {
		t.Fatalf("LayDanhMucCoQuan: %d rows, %v", len(agencies), err)
	}
	if !containsAgency(agencies, CoQuan{MaDonVi: "000.00.12.H29", TenDonVi: "Ủy ban nhân dân phường Sài Gòn", CapDonVi: "3"}) {
		t.Errorf("LayDanhMucCoQuan lacks phường Sài Gòn as level 3: %v", agencies[:3])
	}
	fields, err := r.c.LayDanhMucLinhVuc(ctx)
	if err != nil || len(fields) != len(fixture(t, ServiceLayDanhMucLinhVuc)) || fields[0] != (LinhVuc{"H29-HT", "Hộ tịch", "000.00.00.H29"}) {
		t.Errorf("LayDanhMucLinhVuc: %v, %v", fields, err)
	}
	procs, err := r.c.LayDanhSachTTHC(ctx)
	if err != nil || len(procs) != len(fixture(t, ServiceLayDanhSachTTHC)) || procs[0] != (TTHC{"1.001193", "Đăng ký khai sinh"}) {
		t.Errorf("LayDanhSachTTHC: %v, %v", procs, err)
	}

	tt, found, err := r.c.LayThuTuc(ctx, "1.001193")
	if err != nil || !found {
		t.Fatalf("LayThuTuc(1.001193) = found %t, %v", found, err)
	}
	if tt.TenTTHC != "Đăng ký khai sinh" || !tt.Published() || len(tt.LinhVuc) != 1 || tt.LinhVuc[0].MaLinhVuc != "H29-HT" ||
		len(tt.ThanhPhanHoSo) == 0 || len(tt.ThanhPhanHoSo[0].GiayTo) == 0 || len(tt.CachThucThucHien) == 0 ||
		tt.CachThucThucHien[0].ThoiGian[0].ThoiGianGiaiQuyet != "1" || len(tt.KetQuaThucHien) == 0 || len(tt.CapThucHien) == 0 {
		t.Errorf("LayThuTuc(1.001193) = %+v", tt)
	}
	if _, found, err := r.c.LayThuTuc(ctx, "9.999999"); found || err != nil {
		t.Errorf("LayThuTuc of an unknown code: found %t, %v", found, err)
	}
	if _, err := r.c.Catalogue(ctx, ServiceDongBoHoSoMC, nil); err == nil {
		t.Error("Catalogue accepted a push service")
	}
	if _, err := r.c.Catalogue(ctx, "LayDanhMucKhongCo", nil); !errors.Is(err, ErrRejected) {
		t.Errorf("unknown catalogue: %v, want the portal's rejection", err)
	}
	if r.calls("login") != 1 {
		t.Errorf("logins = %d, want 1", r.calls("login"))
	}
}

func containsAgency(list []CoQuan, want CoQuan) bool {
	for _, a := range list {
		if a == want {
			return true
		}
	}
	return false
}

func TestDSTCodeHeaderAndEndpoints(t *testing.T) {
	var seen []lgsp.Request
	var mu sync.Mutex
	r := newRig(t, rigOptions{
		cfg: func(c *Config) { c.DSTCode = "VN:GOV:000.00.00.G22:vpcpdvcprovider" },
		transport: func(next Transport) Transport {
			return recordTransport{next: next, record: func(q lgsp.Request) { mu.Lock(); seen = append(seen, q); mu.Unlock() }}
		},
	})
	ctx := context.Background()
	if _, err := r.c.TraCuuHoSo(ctx, maHoSo(1)); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 {
		t.Fatalf("%d requests, want login and lookup", len(seen))
	}
	for i, want := range []string{DefaultAuthEndpoint, DefaultIntegrationEndpoint} {
		if seen[i].Path != want || seen[i].Headers["dstcode"] != "VN:GOV:000.00.00.G22:vpcpdvcprovider" || seen[i].MessageID == "" {
			t.Errorf("request %d: path %q headers %v id %q", i, seen[i].Path, seen[i].Headers, seen[i].MessageID)
		}
	}
	var env map[string]string
	if err := json.Unmarshal(seen[1].Body, &env); err != nil || env["madonvi"] != unitCode || env["service"] != ServiceTraCuuHoSo ||
		env["mahoso"] != maHoSo(1) || env["session"] == "" {
		t.Errorf("lookup envelope %s", seen[1].Body)
	}
}

type recordTransport struct {
	next   Transport
	record func(lgsp.Request)
}

func (r recordTransport) Call(ctx context.Context, q lgsp.Request) (lgsp.Result, []byte) {
	r.record(q)
	return r.next.Call(ctx, q)
}

func TestNewChecksConfig(t *testing.T) {
	tr := recordTransport{}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no account", Config{MaDonVi: unitCode}, "username and password"},
		{"no madonvi", Config{Username: "u", Password: "p"}, "madonvi"},
		{"bad endpoint", Config{Username: "u", Password: "p", MaDonVi: unitCode, AuthEndpoint: "mapi/login"}, "auth endpoint"},
		{"dstcode with a line break", Config{Username: "u", Password: "p", MaDonVi: unitCode, DSTCode: "a\r\nb"}, "dstcode"},
	}
	for _, tt := range tests {
		if _, err := New(tr, tt.cfg, Options{}); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want one about %q", tt.name, err, tt.want)
		}
	}
	if _, err := New(nil, Config{Username: "u", Password: "p", MaDonVi: unitCode}, Options{}); err == nil {
		t.Error("New without a transport succeeded")
	}
	c := Config{Username: "u", Password: portalPassword, MaDonVi: unitCode}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), c.LogValue().String()} {
		if strings.Contains(s, portalPassword) || !strings.Contains(s, "[REDACTED]") {
			t.Errorf("Config prints as %q", s)
		}
	}
}

// The envelope keeps items byte for byte and writes the session first.
func TestEnvelopeBody(t *testing.T) {
	update := true
	q := portalCall{service: ServiceDongBoHoSoMC, madonvi: unitCode, isUpdating: &update,
		params: [][2]string{{"mahoso", "a<b>&c"}}, data: [][]byte{[]byte(`{"MaHoSo":"x",  "B":1}`), []byte(`{}`)}}
	got := string(q.body("s-1"))
	want := `{"session":"s-1","madonvi":"000.00.06.H29","service":"DongBoHoSoMC","isUpdating":"True","mahoso":"a<b>&c","data":[{"MaHoSo":"x",  "B":1},{}]}`
	if got != want {
		t.Errorf("body\n got %s\nwant %s", got, want)
	}
	if !json.Valid([]byte(got)) {
		t.Error("body is not JSON")
	}
	if a, b := derivedID("id-1", "update"), derivedID("id-1", "update"); a != b || a == derivedID("id-2", "update") || len(a) != 36 {
		t.Errorf("derived IDs %q %q are not stable, distinct UUIDs", a, b)
	}
	_ = packets.ProfileDVCQG
}

// staleSessions replaces the session of every service call with one the
// portal never issued, so each call is refused as "session invalid".
type staleSessions struct{ next Transport }

func (s staleSessions) Call(ctx context.Context, q lgsp.Request) (lgsp.Result, []byte) {
	var env map[string]json.RawMessage
	if json.Unmarshal(q.Body, &env) == nil && env["session"] != nil {
		env["session"] = json.RawMessage(`"never-issued"`)
		q.Body, _ = json.Marshal(env)
	}
	return s.next.Call(ctx, q)
}

func TestRefusedFreshSessionIsRetriedOnlyOnce(t *testing.T) {
	r := newRig(t, rigOptions{transport: func(next Transport) Transport { return staleSessions{next} }})
	_, err := r.c.TraCuuHoSo(context.Background(), maHoSo(1))
	var pe *Error
	if !errors.Is(err, ErrSessionRejected) || !errors.As(err, &pe) || pe.Class != lgsp.ClassTransient {
		t.Fatalf("err = %v, want a transient ErrSessionRejected", err)
	}
	if st := r.sb.Stats().DVCQG; st.Calls["login"] != 2 || st.Calls[ServiceTraCuuHoSo] != 2 {
		t.Errorf("logins %d, lookups %d; want exactly one re-login and one retry", st.Calls["login"], st.Calls[ServiceTraCuuHoSo])
	}
}

func TestCheckLogin(t *testing.T) {
	r := newRig(t, rigOptions{})
	ctx := context.Background()
	for i := range 2 {
		if err := r.c.CheckLogin(ctx); err != nil {
			t.Fatal(err)
		}
		if got := r.calls("login"); got != i+1 {
			t.Errorf("after CheckLogin %d: %d logins, want %d (a fresh login each time)", i+1, got, i+1)
		}
	}
	bad := newRig(t, rigOptions{password: "wrong"})
	if err := bad.c.CheckLogin(ctx); !errors.Is(err, ErrLoginRefused) {
		t.Errorf("CheckLogin with a wrong password: %v", err)
	}
}
