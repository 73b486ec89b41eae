package sandbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/hcmc-lgsp/lgsp-connector/internal/sampledata"
	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// portalClient drives the portal emulation through the handler.
type portalClient struct {
	t       *testing.T
	h       http.Handler
	tok     string
	session string
	n       int // message ID counter
}

func newPortalClient(t *testing.T, s *Server) *portalClient {
	t.Helper()
	return &portalClient{t: t, h: s.Handler(), tok: token(t, s.Handler()), n: 9000}
}

func (c *portalClient) nextKey() string {
	c.n++
	return messageID(c.n)
}

func (c *portalClient) post(path, key string, body []byte) reply {
	c.t.Helper()
	return call(c.t, c.h, "POST", path, map[string]string{
		"Content-Type":    "application/json; charset=utf-8",
		"Authorization":   "Bearer " + c.tok,
		"Idempotency-Key": key,
	}, body)
}

func (c *portalClient) login(user, pass string) reply {
	c.t.Helper()
	body, _ := json.Marshal(map[string]string{"username": user, "password": pass})
	r := c.post(PortalLoginPath, c.nextKey(), body)
	if code(r) == "0" {
		c.session, _ = r.JSON["session"].(string)
	}
	return r
}

// do calls a service with the current session and a new message ID.
func (c *portalClient) do(service string, extra map[string]any) reply {
	c.t.Helper()
	return c.doKey(c.nextKey(), service, extra)
}

func (c *portalClient) doKey(key, service string, extra map[string]any) reply {
	c.t.Helper()
	env := map[string]any{"session": c.session, "madonvi": "000.00.06.H29", "service": service}
	for k, v := range extra {
		env[k] = v
	}
	body, err := json.Marshal(env)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.post(PortalServicePath, key, body)
}

// code is the reply's error_code as text.
func code(r reply) string {
	switch v := r.JSON["error_code"].(type) {
	case float64:
		return fmt.Sprint(int(v))
	case string:
		return v
	}
	return fmt.Sprintf("<none: HTTP %d %s>", r.Status, r.Raw)
}

func resultRows(t *testing.T, r reply) []any {
	t.Helper()
	rows, ok := r.JSON["result"].([]any)
	if !ok {
		t.Fatalf("reply has no result array: %s", r.Raw)
	}
	return rows
}

// items encodes packets as data items.
func items(t *testing.T, ps ...*packets.Packet) []json.RawMessage {
	t.Helper()
	out := make([]json.RawMessage, len(ps))
	for i, p := range ps {
		b, err := packets.EncodeDVCQGItem(p)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

func stepsFor(t *testing.T, dossierN, count int) []json.RawMessage {
	t.Helper()
	ps := make([]*packets.Packet, count)
	for i := range ps {
		p := progress(dossierN)
		p.Progress.NoiDungXuLy = fmt.Sprintf("bước %d", i+1)
		p.Progress.ThoiDiemXuLy = packets.At(created.Add(time.Duration(i) * time.Hour))
		ps[i] = p
	}
	return items(t, ps...)
}

func TestPortalLogin(t *testing.T) {
	tests := []struct {
		name, user, pass string
		wantCode         string
		wantFailures     int
	}{
		{"right account", DefaultPortalUsername, DefaultPortalPassword, "0", 0},
		{"wrong password", DefaultPortalUsername, "mat-khau-sai-PASSWORD-MARKER", "-1", 1},
		{"unknown user", "nguoi-la", DefaultPortalPassword, "-1", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustNew(t, testOptions(nil))
			c := newPortalClient(t, s)
			r := c.login(tt.user, tt.pass)
			if r.Status != http.StatusOK || code(r) != tt.wantCode {
				t.Fatalf("login: HTTP %d error_code %s, want 200 and %s: %s", r.Status, code(r), tt.wantCode, r.Raw)
			}
			if tt.wantCode == "0" && c.session == "" {
				t.Errorf("successful login without a session: %s", r.Raw)
			}
			if strings.Contains(string(r.Raw), "PASSWORD-MARKER") || (tt.wantCode != "0" && strings.Contains(string(r.Raw), "session")) {
				t.Errorf("refusal echoes the password or hands out a session: %s", r.Raw)
			}
			st := s.Stats()
			if st.DVCQG.Calls["login"] != 1 || st.DVCQG.LoginFailures != tt.wantFailures {
				t.Errorf("stats: logins %d, failures %d; want 1, %d", st.DVCQG.Calls["login"], st.DVCQG.LoginFailures, tt.wantFailures)
			}
			checkInvariant(t, st)
		})
	}
}

func TestPortalLoginNeedsTheGateway(t *testing.T) {
	s := mustNew(t, testOptions(nil))
	body := []byte(`{"username":"dvcqg-sandbox","password":"dvcqg-sandbox-password"}`)
	r := call(t, s.Handler(), "POST", PortalLoginPath, map[string]string{
		"Content-Type": "application/json", "Idempotency-Key": messageID(1),
	}, body)
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("login without an LGSP token: HTTP %d, want 401", r.Status)
	}
}

func TestPortalSessions(t *testing.T) {
	clock := newFakeClock()
	o := testOptions(clock)
	o.Portal = PortalOptions{Username: "phuong-ben-thanh", Password: "mk-2026", SessionTTL: 10 * time.Minute}
	s := mustNew(t, o)
	c := newPortalClient(t, s)
	if r := c.login("phuong-ben-thanh", "mk-2026"); code(r) != "0" {
		t.Fatalf("login with configured account: %s", r.Raw)
	}
	lookup := map[string]any{"mahoso": "000.00.06.H29-260302-0001"}

	steps := []struct {
		name     string
		before   func()
		wantCode string
	}{
		{"fresh session", nil, "0"},
		{"just before expiry", func() { clock.Advance(10*time.Minute - time.Second) }, "0"},
		{"at expiry", func() { clock.Advance(time.Second) }, "-2"},
		{"after a new login", func() { c.login("phuong-ben-thanh", "mk-2026") }, "0"},
		{"after expire-all", func() {
			if n := s.ExpirePortalSessions(); n != 2 {
				t.Errorf("ExpirePortalSessions ended %d sessions, want 2 (the expired one is still listed)", n)
			}
		}, "-2"},
		{"unknown session", func() { c.login("phuong-ben-thanh", "mk-2026"); c.session = "not-a-session" }, "-2"},
	}
	rejected := 0
	for _, st := range steps {
		if st.before != nil {
			st.before()
		}
		r := c.do("TraCuuHoSo", lookup)
		if code(r) != st.wantCode {
			t.Fatalf("%s: error_code %s, want %s: %s", st.name, code(r), st.wantCode, r.Raw)
		}
		if st.wantCode == "-2" {
			rejected++
			if msg, _ := r.JSON["message"].(string); !strings.Contains(msg, "session") {
				t.Errorf("%s: message %q does not name the session", st.name, msg)
			}
		}
	}
	st := s.Stats()
	if st.DVCQG.SessionRejected != rejected {
		t.Errorf("session_rejected = %d, want %d", st.DVCQG.SessionRejected, rejected)
	}
	checkInvariant(t, st)
}

func TestPortalExpireSessionsEndpoint(t *testing.T) {
	s := mustNew(t, testOptions(nil))
	c := newPortalClient(t, s)
	c.login(DefaultPortalUsername, DefaultPortalPassword)
	r := call(t, s.Handler(), "POST", "/sandbox/dvcqg/expire-sessions", map[string]string{"X-Test-Remote-Addr": "192.0.2.7:5000"}, nil)
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("remote call without a token: HTTP %d, want 401", r.Status)
	}
	r = call(t, s.Handler(), "POST", "/sandbox/dvcqg/expire-sessions", map[string]string{
		"X-Test-Remote-Addr": "192.0.2.7:5000", "Authorization": "Bearer " + c.tok,
	}, nil)
	if r.Status != http.StatusOK || r.JSON["expired"] != float64(1) {
		t.Fatalf("expire-sessions: HTTP %d %s, want 200 and 1 expired", r.Status, r.Raw)
	}
	if got := code(c.do("TraCuuHoSo", map[string]any{"mahoso": "x"})); got != "-2" {
		t.Errorf("call after expire-sessions: error_code %s, want -2", got)
	}
}

func TestPortalDossiers(t *testing.T) {
	s := mustNew(t, testOptions(nil))
	c := newPortalClient(t, s)
	c.login(DefaultPortalUsername, DefaultPortalPassword)
	d1, d2 := dossier(1), dossier(2)
	changed := dossier(1)
	changed.Dossier.TrangThaiHoSo = "4"
	createKey := c.nextKey()

	steps := []struct {
		name     string
		key      string // "" for a new one
		updating string
		data     []json.RawMessage
		wantCode string
		wantMsg  string
	}{
		{"create", createKey, "False", items(t, d1), "0", "thành công"},
		{"create of a known dossier", "", "False", items(t, d1), "3", "đã tồn tại"},
		{"update of a known dossier", "", "True", items(t, changed), "0", "thành công"},
		{"update of an unknown dossier", "", "True", items(t, d2), "-1", "không tồn tại"},
		{"create of two, one known: nothing applied", "", "False", items(t, d2, d1), "3", "đã tồn tại"},
		{"same dossier twice in one create", "", "False", items(t, d2, d2), "3", "đã tồn tại"},
		{"no isUpdating", "", "", items(t, d2), "-1", "isUpdating"},
		{"invalid item", "", "False", []json.RawMessage{json.RawMessage(`{"MaHoSo":"x"}`)}, "-1", "data[0]"},
	}
	for _, st := range steps {
		extra := map[string]any{"data": st.data}
		if st.updating != "" {
			extra["isUpdating"] = st.updating
		}
		key := st.key
		if key == "" {
			key = c.nextKey()
		}
		r := c.doKey(key, "DongBoHoSoMC", extra)
		msg, _ := r.JSON["message"].(string)
		if code(r) != st.wantCode || !strings.Contains(msg, st.wantMsg) {
			t.Fatalf("%s: error_code %s message %q, want %s with %q", st.name, code(r), msg, st.wantCode, st.wantMsg)
		}
	}
	// The create's message ID again, under a new session (as after a
	// re-login): recognised as a duplicate, not applied again.
	c.login(DefaultPortalUsername, DefaultPortalPassword)
	r := c.doKey(createKey, "DongBoHoSoMC", map[string]any{"isUpdating": "False", "data": items(t, d1)})
	if code(r) != "0" || r.JSON["duplicate"] != true {
		t.Fatalf("resent create: %s, want a duplicate acknowledgement", r.Raw)
	}

	got, ok := s.PortalDossier(d1.Dossier.MaHoSo)
	if !ok || got.Updates != 1 || !strings.Contains(string(got.Item), `"TrangThaiHoSo":"4"`) {
		t.Errorf("dossier 1: found %t, updates %d, item %s; want the update applied once", ok, got.Updates, got.Item)
	}
	if _, ok := s.PortalDossier(d2.Dossier.MaHoSo); ok {
		t.Errorf("dossier 2 exists although every call that named it was refused")
	}

	for _, tt := range []struct {
		maHoSo string
		rows   int
	}{{d1.Dossier.MaHoSo, 1}, {d2.Dossier.MaHoSo, 0}} {
		r := c.do("TraCuuHoSo", map[string]any{"mahoso": tt.maHoSo})
		rows := resultRows(t, r)
		if code(r) != "0" || len(rows) != tt.rows {
			t.Errorf("TraCuuHoSo %s: error_code %s, %d rows; want 0 and %d", tt.maHoSo, code(r), len(rows), tt.rows)
		}
		if tt.rows == 1 && strings.Contains(string(r.Raw), "Nguyễn Văn A") {
			t.Errorf("TraCuuHoSo answers personal data: %s", r.Raw)
		}
	}

	st := s.Stats()
	if st.DVCQG.Dossiers != 1 || st.DVCQG.DossierUpdates != 1 || st.DVCQG.AlreadyExists != 3 || st.DVCQG.Calls["DongBoHoSoMC"] != len(steps)+1 {
		t.Errorf("portal stats %+v: want 1 dossier, 1 update, 3 already-exists, %d calls", st.DVCQG, len(steps)+1)
	}
	if st.ByKind["DongBoHoSoMC"] != 2 {
		t.Errorf("stored DongBoHoSoMC calls = %d, want 2 (create and update)", st.ByKind["DongBoHoSoMC"])
	}
	checkInvariant(t, st)
}

func TestPortalProgress(t *testing.T) {
	s := mustNew(t, testOptions(nil))
	c := newPortalClient(t, s)
	c.login(DefaultPortalUsername, DefaultPortalPassword)
	maHoSo := dossier(1).Dossier.MaHoSo

	steps := []struct {
		name     string
		before   func()
		data     []json.RawMessage
		wantCode string
		wantMsg  string
	}{
		{"progress before its dossier", nil, stepsFor(t, 1, 1), "-1", "chưa được đồng bộ"},
		{"ten steps", func() {
			if r := c.do("DongBoHoSoMC", map[string]any{"isUpdating": "False", "data": items(t, dossier(1))}); code(r) != "0" {
				t.Fatalf("create: %s", r.Raw)
			}
		}, stepsFor(t, 1, 10), "0", "thành công"},
		{"eleven steps", nil, stepsFor(t, 1, 11), "-1", "at most 10"},
		{"one known, one unknown dossier", nil, append(stepsFor(t, 1, 1), stepsFor(t, 2, 1)...), "-1", dossier(2).Dossier.MaHoSo},
	}
	for _, st := range steps {
		if st.before != nil {
			st.before()
		}
		r := c.do("CapNhatTienDoHoSoMC", map[string]any{"data": st.data})
		msg, _ := r.JSON["message"].(string)
		if code(r) != st.wantCode || !strings.Contains(msg, st.wantMsg) {
			t.Fatalf("%s: error_code %s message %q, want %s with %q", st.name, code(r), msg, st.wantCode, st.wantMsg)
		}
	}
	d, _ := s.PortalDossier(maHoSo)
	if len(d.Steps) != 10 {
		t.Fatalf("dossier has %d steps, want 10", len(d.Steps))
	}
	for i, step := range d.Steps {
		if want := fmt.Sprintf(`"NoiDungXuLy":"bước %d"`, i+1); !strings.Contains(string(step), want) {
			t.Errorf("step %d is %s, want %s (arrival order)", i, step, want)
		}
	}
	if st := s.Stats(); st.DVCQG.Steps != 10 {
		t.Errorf("stats steps = %d, want 10", st.DVCQG.Steps)
	}
}

// statisticsItem is a consistent month: 40 received + 10 carried over =
// 50; 30 done (27 on time, 3 late), 20 pending (18 within deadline, 2
// overdue).
func statisticsItem(month string) map[string]any {
	return map[string]any{
		"Thang": month, "Nam": "2026", "Madonvi": "000.00.06.H29", "TenDonVi": "UBND phường Bến Thành", "LoaiThongKe": "1",
		"SoNhanTrongKy": "40", "SoTonKyTruoc": "10", "TongSoXuLy": "50", "TongDaXuLy": "30",
		"TongXuLyDungHan": "27", "PhanTramXuLyDungHan": "90.00", "TongXuLyTreHan": "3", "PhanTramXuLyTreHan": "10.00",
		"TongChuaXuLy": "20", "TongChuaXuLyTrongHan": "18", "PhanTramChuaXuLyTrongHan": "90.00",
		"TongChuaXuLyTreHan": "2", "PhanTramChuaXuLyTreHan": "10.00", "GhiChu": "",
	}
}

func TestPortalStatistics(t *testing.T) {
	s := mustNew(t, testOptions(nil))
	c := newPortalClient(t, s)
	c.login(DefaultPortalUsername, DefaultPortalPassword)

	missing := statisticsItem("10")
	delete(missing, "TongXuLyTreHan")
	badMonth := statisticsItem("13")
	negative := statisticsItem("10")
	negative["SoNhanTrongKy"] = "-1"
	replacement := statisticsItem("10")
	replacement["GhiChu"] = "gửi lại / resent"
	numeric := statisticsItem("11")
	numeric["SoNhanTrongKy"] = 40 // a JSON number is read as its text

	steps := []struct {
		name     string
		item     map[string]any
		wantCode string
		wantMsg  string
	}{
		{"October", statisticsItem("10"), "0", ""},
		{"missing figure", missing, "-1", "TongXuLyTreHan"},
		{"month 13", badMonth, "-1", "Thang"},
		{"negative figure", negative, "-1", "SoNhanTrongKy"},
		{"October again", replacement, "0", ""},
		{"November with a number", numeric, "0", ""},
	}
	for _, st := range steps {
		r := c.do("DongBoThongKeHoSo", map[string]any{"data": []any{st.item}})
		msg, _ := r.JSON["message"].(string)
		if code(r) != st.wantCode || !strings.Contains(msg, st.wantMsg) {
			t.Fatalf("%s: error_code %s message %q, want %s with %q", st.name, code(r), msg, st.wantCode, st.wantMsg)
		}
	}
	oct, ok := s.PortalStatistics("000.00.06.H29", 2026, 10)
	if !ok || oct["GhiChu"] != "gửi lại / resent" || oct["TongDaXuLy"] != "30" {
		t.Errorf("October figures %v: want the resent report", oct)
	}
	if nov, _ := s.PortalStatistics("000.00.06.H29", 2026, 11); nov["SoNhanTrongKy"] != "40" {
		t.Errorf("November SoNhanTrongKy = %q, want \"40\"", nov["SoNhanTrongKy"])
	}
	if st := s.Stats(); st.DVCQG.Statistics != 2 {
		t.Errorf("statistics stored = %d, want 2 (a resent month replaces)", st.DVCQG.Statistics)
	}
}

// ratingItem is one question of a month's DongBoDanhGia: 7 answers, 3
// very satisfied, 2 satisfied and 2 not yet satisfied (43%, 29%, 28%).
func ratingItem(month, question string) map[string]any {
	return map[string]any{
		"NgayTongHop": month, "TongSoNguoiDanhGia": 7,
		"PhanTramDanhGiaRatHaiLong": "43%", "PhanTramDanhGiaHaiLong": "29%", "PhanTramDanhGiaChuaHaiLong": "28%",
		"PhanTramDanhGiaDichVuRatHaiLong": "43%", "PhanTramDanhGiaDichVuHaiLong": "29%", "PhanTramDanhGiaDichVuChuaHaiLong": "28%",
		"DanhSachNoiDungYKien": "", "MaThuTuc": "", "NoiDung": question,
		"Madonvi": "000.00.06.H29", "TenDonVi": "UBND phường Bến Thành",
	}
}

func TestPortalRatings(t *testing.T) {
	s := mustNew(t, testOptions(nil))
	c := newPortalClient(t, s)
	c.login(DefaultPortalUsername, DefaultPortalPassword)

	with := func(month string, change func(map[string]any)) map[string]any {
		item := ratingItem(month, "Mức độ hài lòng chung")
		change(item)
		return item
	}
	nobody := with("10-2026", func(m map[string]any) {
		m["TongSoNguoiDanhGia"] = 0
		for _, set := range ratingShares {
			for _, f := range set {
				m[f] = "0%"
			}
		}
	})
	steps := []struct {
		name     string
		items    []any
		wantCode string
		wantMsg  string
	}{
		{"October, two questions", []any{ratingItem("10-2026", "Hài lòng chung"), ratingItem("10-2026", "Thái độ cán bộ")}, "0", ""},
		{"leading zero", []any{ratingItem("03-2026", "q")}, "-1", "NgayTongHop"},
		{"yyyy-MM", []any{ratingItem("2026-10", "q")}, "-1", "NgayTongHop"},
		{"month 13", []any{ratingItem("13-2026", "q")}, "-1", "NgayTongHop"},
		{"respondents as a string", []any{with("10-2026", func(m map[string]any) { m["TongSoNguoiDanhGia"] = "7" })}, "-1", "TongSoNguoiDanhGia"},
		{"negative respondents", []any{with("10-2026", func(m map[string]any) { m["TongSoNguoiDanhGia"] = -1 })}, "-1", "TongSoNguoiDanhGia"},
		{"share over 100", []any{with("10-2026", func(m map[string]any) { m["PhanTramDanhGiaHaiLong"] = "129%" })}, "-1", "PhanTramDanhGiaHaiLong"},
		{"share with decimals", []any{with("10-2026", func(m map[string]any) { m["PhanTramDanhGiaHaiLong"] = "28.57%" })}, "-1", "PhanTramDanhGiaHaiLong"},
		{"shares not summing to 100", []any{with("10-2026", func(m map[string]any) { m["PhanTramDanhGiaDichVuChuaHaiLong"] = "27%" })}, "-1", "sum to 99"},
		{"missing share", []any{with("10-2026", func(m map[string]any) { delete(m, "PhanTramDanhGiaRatHaiLong") })}, "-1", "PhanTramDanhGiaRatHaiLong"},
		{"no question text", []any{ratingItem("10-2026", " ")}, "-1", "NoiDung"},
		{"two months in one call", []any{ratingItem("10-2026", "q"), ratingItem("11-2026", "q")}, "-1", "one unit's month per call"},
		{"empty", []any{}, "-1", "empty"},
		{"November, nobody answered, plain numbers", []any{with("11-2026", func(m map[string]any) {
			for k, v := range nobody {
				m[k] = v
			}
			m["NgayTongHop"] = "11-2026"
			m["PhanTramDanhGiaRatHaiLong"] = "0"
		})}, "0", ""},
		{"October again, one question", []any{ratingItem("10-2026", "Hài lòng chung")}, "0", ""},
	}
	for _, st := range steps {
		r := c.do("DongBoDanhGia", map[string]any{"data": st.items})
		msg, _ := r.JSON["message"].(string)
		if code(r) != st.wantCode || !strings.Contains(msg, st.wantMsg) {
			t.Fatalf("%s: error_code %s message %q, want %s with %q", st.name, code(r), msg, st.wantCode, st.wantMsg)
		}
	}
	oct, ok := s.PortalRatings("000.00.06.H29", 2026, 10)
	if !ok || len(oct) != 1 || !strings.Contains(string(oct[0]), `"Hài lòng chung"`) {
		t.Errorf("October items %s: want the one resent question", oct)
	}
	if nov, ok := s.PortalRatings("000.00.06.H29", 2026, 11); !ok || len(nov) != 1 || !strings.Contains(string(nov[0]), `"TongSoNguoiDanhGia":0`) {
		t.Errorf("November items %s: want one item nobody answered", nov)
	}
	if _, ok := s.PortalRatings("000.00.06.H29", 2026, 9); ok {
		t.Error("September was never sent")
	}
	st := s.Stats()
	if st.DVCQG.Ratings != 2 || st.DVCQG.RatingItems != 4 || st.DVCQG.Calls["DongBoDanhGia"] != len(steps) {
		t.Errorf("ratings stored %d (want 2: a resent month replaces), items %d (want 2+1+1), calls %d (want %d)",
			st.DVCQG.Ratings, st.DVCQG.RatingItems, st.DVCQG.Calls["DongBoDanhGia"], len(steps))
	}
	checkInvariant(t, st)
}

func TestPortalCatalogues(t *testing.T) {
	s := mustNew(t, testOptions(nil))
	c := newPortalClient(t, s)
	c.login(DefaultPortalUsername, DefaultPortalPassword)
	fx := s.portal.fixtures
	for _, name := range fx.names() {
		if name == "LayThuTuc" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			r := c.do(name, nil)
			rows := resultRows(t, r)
			if code(r) != "0" || len(rows) == 0 || len(rows) != len(fx.rows(name)) {
				t.Fatalf("error_code %s, %d rows; want 0 and the fixture's %d", code(r), len(rows), len(fx.rows(name)))
			}
		})
	}
	for _, tt := range []struct {
		maTTHC string
		rows   int
	}{{"1.001193", 1}, {"9.999999", 0}} {
		r := c.do("LayThuTuc", map[string]any{"maTTHC": tt.maTTHC})
		rows := resultRows(t, r)
		if len(rows) != tt.rows {
			t.Fatalf("LayThuTuc %s: %d rows, want %d", tt.maTTHC, len(rows), tt.rows)
		}
		if tt.rows == 1 && rows[0].(map[string]any)["TENTTHC"] != "Đăng ký khai sinh" {
			t.Errorf("LayThuTuc %s: %v", tt.maTTHC, rows[0])
		}
	}
	if r := c.do("LayDanhMucKhongCo", nil); code(r) != "-1" || !strings.Contains(string(r.Raw), "LayDanhMucCoQuan") {
		t.Errorf("unknown catalogue: %s, want -1 listing the known ones", r.Raw)
	}
	if st := s.Stats(); st.DVCQG.Calls["LayThuTuc"] != 2 || st.DVCQG.Calls["?"] != 1 {
		t.Errorf("calls %v: want 2 LayThuTuc and 1 unknown", st.DVCQG.Calls)
	}
}

// TestPortalFixturesCoverSampleData checks the fixtures against what the
// sample legacy database holds, so the demo's procedures and fields are
// all found in the catalogues.
func TestPortalFixturesCoverSampleData(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:portalfixtures?mode=memory&cache=shared")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := sampledata.CreateSchema(ctx, db, sampledata.SQLite); err != nil {
		t.Fatal(err)
	}
	if _, err := sampledata.Generate(ctx, db, sampledata.SQLite, sampledata.Options{Seed: 7, Dossiers: 400}); err != nil {
		t.Fatal(err)
	}
	fx, err := loadPortalFixtures()
	if err != nil {
		t.Fatal(err)
	}
	column := func(service, key string) map[string]bool {
		out := map[string]bool{}
		for _, r := range fx.rows(service) {
			var row map[string]any
			if err := json.Unmarshal(r, &row); err != nil {
				t.Fatal(err)
			}
			out[fmt.Sprint(row[key])] = true
		}
		return out
	}
	procedures, fields := column("LayDanhSachTTHC", "MATTHC"), column("LayDanhMucLinhVuc", "MALINHVUC")

	rows, err := db.QueryContext(ctx, `SELECT DISTINCT ma_thu_tuc, ten_thu_tuc, ma_linh_vuc FROM hs_hoso WHERE ma_thu_tuc IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var code, name, field string
		if err := rows.Scan(&code, &name, &field); err != nil {
			t.Fatal(err)
		}
		seen++
		rec, ok := fx.procedure(code)
		if !ok || !procedures[code] || !fields[field] {
			t.Errorf("sample procedure %s (field %s): LayThuTuc %t, LayDanhSachTTHC %t, LayDanhMucLinhVuc %t", code, field, ok, procedures[code], fields[field])
			continue
		}
		var r struct {
			TENTTHC         string
			LINHVUCTHUCHIEN []struct{ MALINHVUC string }
		}
		if err := json.Unmarshal(rec, &r); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(r.TENTTHC, name) || len(r.LINHVUCTHUCHIEN) == 0 || r.LINHVUCTHUCHIEN[0].MALINHVUC != field {
			t.Errorf("LayThuTuc %s: name %q field %v; sample data says %q in %s", code, r.TENTTHC, r.LINHVUCTHUCHIEN, name, field)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if seen < 5 {
		t.Fatalf("sample data has only %d procedures; the check proves little", seen)
	}
	agencyID := regexp.MustCompile(`^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$`)
	for code := range column("LayDanhMucCoQuan", "MADONVI") {
		if !agencyID.MatchString(code) {
			t.Errorf("agency code %q is not ddd.dd.dd.Xdd", code)
		}
	}
	for _, unit := range []string{"000.00.12.H29", "000.00.06.H29"} { // demo and sandbox test units
		if !column("LayDanhMucCoQuan", "MADONVI")[unit] {
			t.Errorf("agency %s (used by the demo and tests) is not in LayDanhMucCoQuan", unit)
		}
	}
}

func TestPortalLostAcknowledgement(t *testing.T) {
	s := mustNew(t, testOptions(nil))
	c := newPortalClient(t, s)
	c.login(DefaultPortalUsername, DefaultPortalPassword)
	if err := s.SetFaults(Faults{DropAckRate: 1}); err != nil {
		t.Fatal(err)
	}
	key := c.nextKey()
	create := map[string]any{"isUpdating": "False", "data": items(t, dossier(3))}
	if r := c.doKey(key, "DongBoHoSoMC", create); r.Status != http.StatusBadGateway {
		t.Fatalf("with the acknowledgement dropped: HTTP %d, want 502", r.Status)
	}
	if err := s.SetFaults(Faults{}); err != nil {
		t.Fatal(err)
	}
	r := c.doKey(key, "DongBoHoSoMC", create)
	if code(r) != "0" || r.JSON["duplicate"] != true {
		t.Fatalf("retry after a lost acknowledgement: %s, want a duplicate acknowledgement", r.Raw)
	}
	d, _ := s.PortalDossier(dossier(3).Dossier.MaHoSo)
	if d.Updates != 0 {
		t.Errorf("the retry was applied again (%d updates)", d.Updates)
	}
	checkInvariant(t, s.Stats())
}

func TestPortalRejectsBadEnvelopes(t *testing.T) {
	s := mustNew(t, testOptions(nil))
	c := newPortalClient(t, s)
	c.login(DefaultPortalUsername, DefaultPortalPassword)
	tests := []struct {
		name, body, wantMsg string
	}{
		{"not JSON", `{"session":`, "not a JSON envelope"},
		{"data not a list", `{"session":"` + c.session + `","madonvi":"x","service":"DongBoHoSoMC","data":{}}`, "wrong types"},
		{"no madonvi", `{"session":"` + c.session + `","service":"TraCuuHoSo","mahoso":"x"}`, "madonvi"},
		{"no mahoso", `{"session":"` + c.session + `","madonvi":"x","service":"TraCuuHoSo"}`, "mahoso"},
		{"no maTTHC", `{"session":"` + c.session + `","madonvi":"x","service":"LayThuTuc"}`, "maTTHC"},
		{"empty statistics", `{"session":"` + c.session + `","madonvi":"x","service":"DongBoThongKeHoSo","data":[]}`, "empty"},
	}
	for _, tt := range tests {
		r := c.post(PortalServicePath, c.nextKey(), []byte(tt.body))
		msg, _ := r.JSON["message"].(string)
		if r.Status != http.StatusOK || code(r) != "-1" || !strings.Contains(msg, tt.wantMsg) {
			t.Errorf("%s: HTTP %d error_code %s message %q; want 200, -1 and %q", tt.name, r.Status, code(r), msg, tt.wantMsg)
		}
	}
	checkInvariant(t, s.Stats())
}

// FuzzPortalService posts arbitrary envelopes with a valid session: the
// portal answers every one (never a panic), and the stats still add up.
func FuzzPortalService(f *testing.F) {
	for _, s := range []string{
		`{"madonvi":"000.00.06.H29","service":"TraCuuHoSo","mahoso":"x"}`,
		`{"madonvi":"000.00.06.H29","service":"DongBoHoSoMC","isUpdating":"False","data":[{"MaHoSo":"x"}]}`,
		`{"madonvi":"000.00.06.H29","service":"CapNhatTienDoHoSoMC","data":[{},{}]}`,
		`{"madonvi":"000.00.06.H29","service":"DongBoThongKeHoSo","data":[{"Thang":"1","Nam":"2026"}]}`,
		`{"madonvi":"000.00.06.H29","service":"DongBoDanhGia","data":[{"NgayTongHop":"10-2026","TongSoNguoiDanhGia":1,"PhanTramDanhGiaRatHaiLong":"100%"}]}`,
		`{"madonvi":"000.00.06.H29","service":"LayThuTuc","maTTHC":"1.001193"}`,
		`{"service":["x"]}`,
	} {
		f.Add([]byte(s))
	}
	s, err := New(Options{ClientID: testClientID, ClientSecret: testClientSecret})
	if err != nil {
		f.Fatal(err)
	}
	h := s.Handler()
	tok := token(f, h)
	login := call(f, h, "POST", PortalLoginPath, map[string]string{
		"Content-Type": "application/json", "Authorization": "Bearer " + tok, "Idempotency-Key": messageID(1),
	}, []byte(`{"username":"`+DefaultPortalUsername+`","password":"`+DefaultPortalPassword+`"}`))
	session, _ := login.JSON["session"].(string)
	n := 1
	f.Fuzz(func(t *testing.T, body []byte) {
		// Put the session in front so the body reaches the services.
		if len(body) > 0 && body[0] == '{' {
			body = append([]byte(`{"session":"`+session+`",`), body[1:]...)
		}
		n++
		r := call(t, h, "POST", PortalServicePath, map[string]string{
			"Content-Type": "application/json", "Authorization": "Bearer " + tok, "Idempotency-Key": messageID(n),
		}, body)
		if r.Status != http.StatusOK && r.Status != http.StatusConflict {
			t.Fatalf("HTTP %d for %q: %s", r.Status, body, r.Raw)
		}
		if _, ok := r.JSON["error_code"]; !ok {
			t.Fatalf("answer without error_code: %s", r.Raw)
		}
		st := s.Stats()
		if sum := st.Accepted + st.Rejected + st.Aborted + st.Injected5xx + st.Injected429 + st.InjectedDrop + st.Outage; sum != st.Received {
			t.Fatalf("stats do not add up after %q: received %d, outcomes %d", body, st.Received, sum)
		}
	})
}

// FuzzParseMonthYear: NgayTongHop is read only in its one written form,
// M-yyyy: whatever is accepted prints back to the same text.
func FuzzParseMonthYear(f *testing.F) {
	for _, s := range []string{"10-2026", "3-2027", "03-2026", "2026-10", "13-2026", "+1-2026", "1--202", "1-02026", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		month, year, ok := parseMonthYear(s)
		if !ok {
			return
		}
		if month < 1 || month > 12 || year < 2000 || year > 9999 {
			t.Fatalf("%q accepted as month %d, year %d", s, month, year)
		}
		if back := fmt.Sprintf("%d-%04d", month, year); back != s {
			t.Fatalf("%q accepted as %d-%d, which writes %q", s, month, year, back)
		}
	})
}
