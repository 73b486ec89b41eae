package sandbox

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// The national portal as its adapter presents it (SPEC-dvcqg.md §1): a
// login that hands out sessions, and one dispatch path where the
// envelope's "service" picks the operation. Both sit behind the same
// gateway as every other endpoint (token, faults). Unlike the minimal
// /dvcqg/1.0/<service> endpoint (dvcqg.go), this one keeps state the way
// the portal does: dossiers by MaHoSo (a create of a known one is
// answered "đã tồn tại", an update of an unknown one fails), progress only
// for dossiers it has, statistics per unit and month, and catalogues from
// the fixture files in fixtures/dvcqg.
//
// How the portal signals an expired session is not known (SPEC-dvcqg.md
// §16.3); the sandbox answers error_code -2 with a message naming the
// session, and the connector's detection is configurable.

// Paths of the emulated portal adapter.
const (
	PortalLoginPath   = "/mapi/login"
	PortalServicePath = "/mapi/g"
)

// Default portal account of the sandbox.
const (
	DefaultPortalUsername = "dvcqg-sandbox"
	DefaultPortalPassword = "dvcqg-sandbox-password"
)

// Portal answer codes beyond 0 (success).
const (
	portalCodeError          = -1 // any refusal
	portalCodeSessionInvalid = -2 // session unknown or expired (sandbox's choice)
	portalCodeExists         = 3  // create of a dossier the portal has
)

// maxPortalSteps is the most progress steps one call may carry.
const maxPortalSteps = 10

// PortalOptions configure the national-portal emulation.
type PortalOptions struct {
	// Username and Password are the only account /mapi/login accepts;
	// defaults DefaultPortalUsername and DefaultPortalPassword.
	Username, Password string
	// SessionTTL is how long a session stays valid; default 30m.
	SessionTTL time.Duration
}

// PortalStats count what the portal emulation answered.
type PortalStats struct {
	// Calls counts requests per service that passed the gateway, login
	// included as "login", whatever the answer.
	Calls           map[string]int `json:"calls"`
	LoginFailures   int            `json:"login_failures"`   // wrong username or password
	SessionRejected int            `json:"session_rejected"` // calls refused for an unknown or expired session
	AlreadyExists   int            `json:"already_exists"`   // creates answered error_code 3 "đã tồn tại"
	Dossiers        int            `json:"dossiers"`         // distinct dossiers known
	DossierUpdates  int            `json:"dossier_updates"`  // updates applied to known dossiers
	Steps           int            `json:"steps"`            // progress steps stored
	Statistics      int            `json:"statistics"`       // (unit, month) statistics stored, replacements excluded
	Ratings         int            `json:"ratings"`          // (unit, month) satisfaction summaries stored, replacements excluded
	RatingItems     int            `json:"rating_items"`     // DongBoDanhGia items (questions) received in accepted calls
}

func (p PortalStats) clone() PortalStats {
	out := p
	out.Calls = make(map[string]int, len(p.Calls))
	for k, v := range p.Calls {
		out.Calls[k] = v
	}
	return out
}

// PortalDossier is a dossier as the emulated portal holds it.
type PortalDossier struct {
	MaHoSo  string
	MaDonVi string
	// Item is the last DongBoHoSoMC item received for it.
	Item json.RawMessage
	// Updates counts the updates applied after the create.
	Updates int
	// Steps are the CapNhatTienDoHoSoMC items, in arrival order.
	Steps []json.RawMessage
}

// portal is the emulation's state.
type portal struct {
	user, pass string
	ttl        time.Duration
	fixtures   *portalFixtures

	mu         sync.Mutex
	sessions   map[string]time.Time // session → expiry
	dossiers   map[string]*PortalDossier
	statistics map[statisticsKey]map[string]string
	// ratings holds the last DongBoDanhGia items per unit and month.
	ratings map[statisticsKey][]json.RawMessage
}

type statisticsKey struct {
	madonvi     string
	year, month int
}

func newPortal(o PortalOptions) (*portal, error) {
	if o.Username == "" {
		o.Username = DefaultPortalUsername
	}
	if o.Password == "" {
		o.Password = DefaultPortalPassword
	}
	if o.SessionTTL == 0 {
		o.SessionTTL = 30 * time.Minute
	}
	if o.SessionTTL < 0 {
		return nil, fmt.Errorf("sandbox portal session TTL %s: must be positive", o.SessionTTL)
	}
	fx, err := loadPortalFixtures()
	if err != nil {
		return nil, err
	}
	return &portal{
		user: o.Username, pass: o.Password, ttl: o.SessionTTL, fixtures: fx,
		sessions: map[string]time.Time{}, dossiers: map[string]*PortalDossier{},
		statistics: map[statisticsKey]map[string]string{}, ratings: map[statisticsKey][]json.RawMessage{},
	}, nil
}

// ExpirePortalSessions ends every portal session now, as if they had all
// timed out: the next call of each client is answered "session invalid".
// It returns how many sessions were open.
func (s *Server) ExpirePortalSessions() int {
	s.portal.mu.Lock()
	defer s.portal.mu.Unlock()
	n := len(s.portal.sessions)
	s.portal.sessions = map[string]time.Time{}
	return n
}

// PortalDossier returns a dossier the emulated portal holds.
func (s *Server) PortalDossier(maHoSo string) (PortalDossier, bool) {
	s.portal.mu.Lock()
	defer s.portal.mu.Unlock()
	d, ok := s.portal.dossiers[maHoSo]
	if !ok {
		return PortalDossier{}, false
	}
	out := *d
	out.Steps = append([]json.RawMessage(nil), d.Steps...)
	return out, true
}

// PortalStatistics returns the figures DongBoThongKeHoSo stored for a unit
// and month, by field name (Thang, Nam, SoNhanTrongKy …).
func (s *Server) PortalStatistics(madonvi string, year, month int) (map[string]string, bool) {
	s.portal.mu.Lock()
	defer s.portal.mu.Unlock()
	f, ok := s.portal.statistics[statisticsKey{madonvi, year, month}]
	if !ok {
		return nil, false
	}
	out := make(map[string]string, len(f))
	for k, v := range f {
		out[k] = v
	}
	return out, true
}

// PortalRatings returns the DongBoDanhGia items the portal holds for a
// unit and month (the last summary sent for it), one per question, as
// received.
func (s *Server) PortalRatings(madonvi string, year, month int) ([]json.RawMessage, bool) {
	s.portal.mu.Lock()
	defer s.portal.mu.Unlock()
	items, ok := s.portal.ratings[statisticsKey{madonvi, year, month}]
	if !ok {
		return nil, false
	}
	out := make([]json.RawMessage, len(items))
	for i, item := range items {
		out[i] = append(json.RawMessage(nil), item...)
	}
	return out, true
}

func (s *Server) portalRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST "+PortalLoginPath, s.handlePortalLogin)
	mux.HandleFunc("POST "+PortalServicePath, s.handlePortalService)
	mux.HandleFunc("POST /sandbox/dvcqg/expire-sessions", s.admin(func(w http.ResponseWriter, _ *http.Request) {
		n := s.ExpirePortalSessions()
		s.log.Info("sandbox expired every national portal session", "sessions", n)
		writeJSON(w, http.StatusOK, map[string]int{"expired": n})
	}))
}

// answerPortal refuses a call in the portal's way: HTTP 200, a non-zero
// error_code and a message.
func (s *Server) answerPortal(w http.ResponseWriter, key string, code int, count func(*Stats), format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.count(func(st *Stats) { st.Rejected++; count(st) })
	s.log.Debug("sandbox portal refused a call", "message_id", key, "error_code", code, "reason", msg)
	writeJSON(w, http.StatusOK, map[string]any{"error_code": code, "message": msg})
}

func (s *Server) handlePortalLogin(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.gateway(w, r); !ok {
		return
	}
	body, key, rej := s.readPacket(w, r, "application/json")
	if rej != nil {
		s.answerDVCQGRejection(w, key, rej)
		return
	}
	s.count(func(st *Stats) { st.DVCQG.Calls["login"]++ })
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		s.answerPortal(w, key, portalCodeError, countInvalid, "yêu cầu đăng nhập không đọc được / login request is not JSON {\"username\",\"password\"}")
		return
	}
	p := s.portal
	userOK := subtle.ConstantTimeCompare([]byte(in.Username), []byte(p.user)) == 1
	passOK := subtle.ConstantTimeCompare([]byte(in.Password), []byte(p.pass)) == 1
	if !userOK || !passOK {
		// Never echo what was sent: it may be a real password.
		s.answerPortal(w, key, portalCodeError, func(st *Stats) { st.DVCQG.LoginFailures++ },
			"Tên đăng nhập hoặc mật khẩu không đúng / wrong username or password")
		return
	}
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		s.answerPortal(w, key, portalCodeError, countNothing, "không tạo được phiên / no randomness for a session")
		return
	}
	session := hex.EncodeToString(raw[:])
	now := s.now()
	p.mu.Lock()
	if len(p.sessions) >= 1024 {
		for k, exp := range p.sessions {
			if !now.Before(exp) {
				delete(p.sessions, k)
			}
		}
	}
	p.sessions[session] = now.Add(p.ttl)
	p.mu.Unlock()
	s.count(func(st *Stats) { st.Accepted++ })
	writeJSON(w, http.StatusOK, map[string]any{"error_code": 0, "message": "Đăng nhập thành công / logged in", "session": session})
}

// validSession reports whether session was issued and has not expired.
func (p *portal) validSession(session string, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	exp, ok := p.sessions[session]
	return ok && now.Before(exp)
}

// portalMutations are the services that change the portal's state; they
// are stored and deduplicated by Idempotency-Key like every packet.
var portalMutations = map[string]bool{
	"DongBoHoSoMC": true, "CapNhatTienDoHoSoMC": true, "DongBoThongKeHoSo": true, "DongBoDanhGia": true,
}

func (s *Server) handlePortalService(w http.ResponseWriter, r *http.Request) {
	f, ok := s.gateway(w, r)
	if !ok {
		return
	}
	body, key, rej := s.readPacket(w, r, "application/json")
	if rej != nil {
		s.answerDVCQGRejection(w, key, rej)
		return
	}
	var fields map[string]json.RawMessage
	var env dvcqgEnvelope
	if err := json.Unmarshal(body, &fields); err != nil {
		s.count(func(st *Stats) { st.DVCQG.Calls["?"]++ })
		s.answerPortal(w, key, portalCodeError, countInvalid, "envelope không đọc được / not a JSON envelope: %v", err)
		return
	}
	if err := json.Unmarshal(body, &env); err != nil {
		s.count(func(st *Stats) { st.DVCQG.Calls["?"]++ })
		s.answerPortal(w, key, portalCodeError, countInvalid, "envelope sai kiểu / envelope keys have the wrong types: %v", err)
		return
	}
	name := env.Service
	known := portalMutations[name] || name == "TraCuuHoSo" || s.portal.fixtures.has(name)
	if known {
		s.count(func(st *Stats) { st.DVCQG.Calls[name]++ })
	} else {
		s.count(func(st *Stats) { st.DVCQG.Calls["?"]++ })
	}
	if !s.portal.validSession(env.Session, s.now()) {
		s.answerPortal(w, key, portalCodeSessionInvalid, func(st *Stats) { st.DVCQG.SessionRejected++ },
			"Phiên làm việc không hợp lệ hoặc đã hết hạn / session invalid or expired: log in again")
		return
	}
	switch {
	case !known:
		s.answerPortal(w, key, portalCodeError, countInvalid,
			"dịch vụ %q không có trong sandbox / service not emulated (known: DongBoHoSoMC, CapNhatTienDoHoSoMC, TraCuuHoSo, DongBoThongKeHoSo, DongBoDanhGia, %s)",
			name, strings.Join(s.portal.fixtures.names(), ", "))
		return
	case strings.TrimSpace(env.MaDonVi) == "":
		s.answerPortal(w, key, portalCodeError, countInvalid, "thiếu madonvi / madonvi is required")
		return
	case !portalMutations[name]:
		s.answerLookup(w, key, name, fields)
		return
	}

	// A mutation: stored without the session, which changes with every
	// login while the call stays the same.
	delete(fields, "session")
	stored, _ := json.Marshal(fields) // keys sorted: the same call gives the same bytes
	a := Accepted{MessageID: key, Profile: packets.ProfileDVCQG, Kind: name, At: s.now()}
	if prev, seen := s.store.get(key); seen {
		// Answered before (duplicate) or reused for other bytes
		// (conflict): accept decides, without applying the call again.
		a.MaHoSo = prev.MaHoSo
		s.acceptPortal(w, f, a, stored)
		return
	}
	call := &dvcqgCall{Key: key, Envelope: env, Body: body, Now: s.now()}
	var code int
	var msg string
	switch name {
	case "DongBoHoSoMC":
		a.MaHoSo, code, msg = s.applyDossiers(call)
	case "CapNhatTienDoHoSoMC":
		a.MaHoSo, code, msg = s.applySteps(call)
	case "DongBoThongKeHoSo":
		code, msg = s.applyStatistics(call)
	case "DongBoDanhGia":
		code, msg = s.applyRatings(call)
	}
	if code != 0 {
		counter := countInvalid
		if code == portalCodeExists {
			counter = func(st *Stats) { st.DVCQG.AlreadyExists++ }
		}
		s.answerPortal(w, key, code, counter, "%s", msg)
		return
	}
	s.acceptPortal(w, f, a, stored)
}

// acceptPortal stores an applied mutation and answers it (or recognises a
// duplicate or conflict), with fault injection's lost acknowledgement.
func (s *Server) acceptPortal(w http.ResponseWriter, f fate, a Accepted, stored []byte) {
	s.accept(w, f, a, stored, func(duplicate bool) (int, any) {
		if duplicate {
			return http.StatusOK, map[string]any{"error_code": 0, "message": "đã nhận trước đó / duplicate", "duplicate": true}
		}
		return http.StatusOK, map[string]any{"error_code": 0, "message": "Đồng bộ thành công / accepted"}
	}, func(rej *rejection) {
		s.answerPortal(w, a.MessageID, portalCodeError, rej.counter, "%s", rej.message)
	})
}

// itemKeys reads MaHoSo of each data item.
func itemKeys(data []json.RawMessage) ([]string, error) {
	out := make([]string, len(data))
	for i, item := range data {
		var k struct {
			MaHoSo string `json:"MaHoSo"`
		}
		if err := json.Unmarshal(item, &k); err != nil {
			return nil, fmt.Errorf("data[%d]: %v", i, err)
		}
		out[i] = k.MaHoSo
	}
	return out, nil
}

// applyDossiers runs DongBoHoSoMC: all items or none.
func (s *Server) applyDossiers(call *dvcqgCall) (first string, code int, msg string) {
	env := call.Envelope
	if env.IsUpdating == nil || (*env.IsUpdating != "True" && *env.IsUpdating != "False") {
		return "", portalCodeError, `isUpdating phải là "True" hoặc "False" / isUpdating must be "True" or "False"`
	}
	update := *env.IsUpdating == "True"
	if out := syncService(packets.KindDossier)(s, call); out.Rejection != nil {
		return "", portalCodeError, out.Rejection.message
	}
	keys, err := itemKeys(env.Data)
	if err != nil {
		return "", portalCodeError, "data không đọc được / cannot read data: " + err.Error()
	}
	p := s.portal
	p.mu.Lock()
	defer p.mu.Unlock()
	inCall := map[string]bool{}
	for _, k := range keys {
		_, known := p.dossiers[k]
		switch {
		case !update && (known || inCall[k]):
			return "", portalCodeExists, fmt.Sprintf("Hồ sơ %s đã tồn tại / dossier already exists: send it with isUpdating \"True\"", k)
		case update && !known:
			return "", portalCodeError, fmt.Sprintf("Hồ sơ %s không tồn tại, không thể cập nhật / unknown dossier, cannot update: create it first", k)
		}
		inCall[k] = true
	}
	created, updated := 0, 0
	for i, k := range keys {
		if d, known := p.dossiers[k]; known {
			d.Item, d.MaDonVi = append(json.RawMessage(nil), env.Data[i]...), env.MaDonVi
			d.Updates++
			updated++
			continue
		}
		p.dossiers[k] = &PortalDossier{MaHoSo: k, MaDonVi: env.MaDonVi, Item: append(json.RawMessage(nil), env.Data[i]...)}
		created++
	}
	s.count(func(st *Stats) { st.DVCQG.Dossiers += created; st.DVCQG.DossierUpdates += updated })
	return keys[0], 0, ""
}

// applySteps runs CapNhatTienDoHoSoMC: at most 10 steps, each for a
// dossier the portal has; all or none.
func (s *Server) applySteps(call *dvcqgCall) (first string, code int, msg string) {
	env := call.Envelope
	if n := len(env.Data); n > maxPortalSteps {
		return "", portalCodeError, fmt.Sprintf("tối đa %d bước mỗi lần gọi, nhận %d / at most %d steps per call, got %d", maxPortalSteps, n, maxPortalSteps, n)
	}
	if out := syncService(packets.KindProgress)(s, call); out.Rejection != nil {
		return "", portalCodeError, out.Rejection.message
	}
	keys, err := itemKeys(env.Data)
	if err != nil {
		return "", portalCodeError, "data không đọc được / cannot read data: " + err.Error()
	}
	p := s.portal
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range keys {
		if _, known := p.dossiers[k]; !known {
			return "", portalCodeError, fmt.Sprintf("Hồ sơ %s chưa được đồng bộ / dossier not synced yet: send DongBoHoSoMC before its progress", k)
		}
	}
	for i, k := range keys {
		d := p.dossiers[k]
		d.Steps = append(d.Steps, append(json.RawMessage(nil), env.Data[i]...))
	}
	s.count(func(st *Stats) { st.DVCQG.Steps += len(keys) })
	return keys[0], 0, ""
}

// statisticsFigures are the 13 figures of DongBoThongKeHoSo
// (SPEC-dvcqg.md §9.1), each required as a number (JSON string or number).
var statisticsFigures = []string{
	"SoNhanTrongKy", "SoTonKyTruoc", "TongSoXuLy", "TongDaXuLy",
	"TongXuLyDungHan", "PhanTramXuLyDungHan", "TongXuLyTreHan", "PhanTramXuLyTreHan",
	"TongChuaXuLy", "TongChuaXuLyTrongHan", "PhanTramChuaXuLyTrongHan",
	"TongChuaXuLyTreHan", "PhanTramChuaXuLyTreHan",
}

// applyStatistics runs DongBoThongKeHoSo: each item is one unit's month;
// a later report for the same unit and month replaces the earlier.
func (s *Server) applyStatistics(call *dvcqgCall) (code int, msg string) {
	env := call.Envelope
	if len(env.Data) == 0 {
		return portalCodeError, "data trống / data is empty"
	}
	type report struct {
		key     statisticsKey
		figures map[string]string
	}
	reports := make([]report, 0, len(env.Data))
	for i, item := range env.Data {
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(item, &raw); err != nil {
			return portalCodeError, fmt.Sprintf("data[%d] không phải đối tượng JSON / is not a JSON object: %v", i, err)
		}
		figures := make(map[string]string, len(raw))
		for k, v := range raw {
			var text string
			if json.Unmarshal(v, &text) != nil {
				text = strings.TrimSpace(string(v)) // a number
			}
			figures[k] = text
		}
		var problems []string
		month, err := strconv.Atoi(figures["Thang"])
		if err != nil || month < 1 || month > 12 {
			problems = append(problems, fmt.Sprintf("Thang %q: cần 1–12 / want 1-12", figures["Thang"]))
		}
		year, err := strconv.Atoi(figures["Nam"])
		if err != nil || year < 2000 || year > 2100 {
			problems = append(problems, fmt.Sprintf("Nam %q: cần năm 4 chữ số / want a 4-digit year", figures["Nam"]))
		}
		for _, f := range statisticsFigures {
			v, present := figures[f]
			n, err := strconv.ParseFloat(v, 64)
			switch {
			case !present:
				problems = append(problems, f+": thiếu / missing")
			case err != nil || n < 0:
				problems = append(problems, fmt.Sprintf("%s %q: cần số không âm / want a number >= 0", f, v))
			}
		}
		if len(problems) > 0 {
			return portalCodeError, fmt.Sprintf("data[%d] không hợp lệ / invalid: %s", i, strings.Join(problems, "; "))
		}
		unit := figures["Madonvi"]
		if unit == "" {
			unit = env.MaDonVi
		}
		reports = append(reports, report{statisticsKey{unit, year, month}, figures})
	}
	p := s.portal
	p.mu.Lock()
	added := 0
	for _, r := range reports {
		if _, replaced := p.statistics[r.key]; !replaced {
			added++
		}
		p.statistics[r.key] = r.figures
	}
	p.mu.Unlock()
	s.count(func(st *Stats) { st.DVCQG.Statistics += added })
	return 0, ""
}

// ratingShares are the six percentages of a DongBoDanhGia item
// (SPEC-dvcqg.md §9.2), in two sets of three: very satisfied, satisfied,
// not (yet) satisfied, then the same "for the service".
var ratingShares = [2][3]string{
	{"PhanTramDanhGiaRatHaiLong", "PhanTramDanhGiaHaiLong", "PhanTramDanhGiaChuaHaiLong"},
	{"PhanTramDanhGiaDichVuRatHaiLong", "PhanTramDanhGiaDichVuHaiLong", "PhanTramDanhGiaDichVuChuaHaiLong"},
}

// applyRatings runs DongBoDanhGia: the items are one unit's month, one
// per question; a later summary for the same unit and month replaces the
// earlier one whole. Each item must be well formed: NgayTongHop M-yyyy,
// TongSoNguoiDanhGia a whole JSON number, each share a whole percent
// 0–100 (with or without a trailing "%") and each set of three summing to
// 100 — or all 0 when nobody answered —, a question text; all items of a
// call of the same month.
func (s *Server) applyRatings(call *dvcqgCall) (code int, msg string) {
	env := call.Envelope
	if len(env.Data) == 0 {
		return portalCodeError, "data trống / data is empty"
	}
	var key statisticsKey
	for i, item := range env.Data {
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(item, &raw); err != nil {
			return portalCodeError, fmt.Sprintf("data[%d] không phải đối tượng JSON / is not a JSON object: %v", i, err)
		}
		text := func(k string) (string, bool) {
			var v string
			err := json.Unmarshal(raw[k], &v)
			return v, raw[k] != nil && err == nil
		}
		var problems []string
		day, _ := text("NgayTongHop")
		month, year, ok := parseMonthYear(day)
		if !ok {
			problems = append(problems, fmt.Sprintf("NgayTongHop %q: cần M-yyyy, ví dụ 10-2026 / want M-yyyy, e.g. 10-2026", day))
		}
		var n int64
		if raw["TongSoNguoiDanhGia"] == nil || json.Unmarshal(raw["TongSoNguoiDanhGia"], &n) != nil || n < 0 {
			problems = append(problems, fmt.Sprintf("TongSoNguoiDanhGia %s: cần một số nguyên không âm (số JSON, không phải chuỗi) / want a whole JSON number >= 0, not a string",
				strings.TrimSpace(string(raw["TongSoNguoiDanhGia"]))))
		}
		for _, set := range ratingShares {
			sum := 0
			for _, f := range set {
				v, present := text(f)
				p, err := strconv.Atoi(strings.TrimSuffix(v, "%"))
				if !present || err != nil || p < 0 || p > 100 || strings.HasPrefix(v, "+") {
					problems = append(problems, fmt.Sprintf("%s %q: cần phần trăm nguyên 0–100, ví dụ \"43%%\" / want a whole percent 0-100, e.g. \"43%%\"", f, v))
					continue
				}
				sum += p
			}
			if len(problems) == 0 && ((n > 0 && sum != 100) || (n == 0 && sum != 0)) {
				problems = append(problems, fmt.Sprintf("%s…: tổng %d, cần 100 (0 khi không ai đánh giá) / the three sum to %d, want 100 (0 when nobody answered)", set[0], sum, sum))
			}
		}
		if q, _ := text("NoiDung"); strings.TrimSpace(q) == "" {
			problems = append(problems, "NoiDung: thiếu nội dung câu hỏi / the question's text is missing")
		}
		if len(problems) > 0 {
			return portalCodeError, fmt.Sprintf("data[%d] không hợp lệ / invalid: %s", i, strings.Join(problems, "; "))
		}
		unit, _ := text("Madonvi")
		if unit == "" {
			unit = env.MaDonVi
		}
		k := statisticsKey{unit, year, month}
		if i > 0 && k != key {
			return portalCodeError, fmt.Sprintf("data[%d] là %d-%d của %s, data[0] là %d-%d của %s: mỗi lần gửi một đơn vị, một tháng / one unit's month per call",
				i, month, year, unit, key.month, key.year, key.madonvi)
		}
		key = k
	}
	items := make([]json.RawMessage, len(env.Data))
	for i, item := range env.Data {
		items[i] = append(json.RawMessage(nil), item...)
	}
	p := s.portal
	p.mu.Lock()
	_, replaced := p.ratings[key]
	p.ratings[key] = items
	p.mu.Unlock()
	s.count(func(st *Stats) {
		if !replaced {
			st.DVCQG.Ratings++
		}
		st.DVCQG.RatingItems += len(items)
	})
	return 0, ""
}

// parseMonthYear reads NgayTongHop, "M-yyyy": a month 1–12 without a
// leading zero, a dash, a four-digit year.
func parseMonthYear(s string) (month, year int, ok bool) {
	m, y, found := strings.Cut(s, "-")
	if !found || m == "" || m[0] == '0' || len(y) != 4 {
		return 0, 0, false
	}
	month, err1 := strconv.Atoi(m)
	year, err2 := strconv.Atoi(y)
	if err1 != nil || err2 != nil || month < 1 || month > 12 || year < 2000 || strings.ContainsAny(m+y, "+-") {
		return 0, 0, false
	}
	return month, year, true
}

// answerLookup answers TraCuuHoSo and the catalogues.
func (s *Server) answerLookup(w http.ResponseWriter, key, name string, fields map[string]json.RawMessage) {
	var rows []json.RawMessage
	switch name {
	case "TraCuuHoSo":
		maHoSo := param(fields, "mahoso")
		if maHoSo == "" {
			s.answerPortal(w, key, portalCodeError, countInvalid, "thiếu mahoso / mahoso is required")
			return
		}
		if row, ok := s.portal.lookupRow(maHoSo); ok {
			rows = append(rows, row)
		}
	case "LayThuTuc":
		maTTHC := param(fields, "maTTHC")
		if maTTHC == "" {
			s.answerPortal(w, key, portalCodeError, countInvalid, "thiếu maTTHC / maTTHC is required")
			return
		}
		if rec, ok := s.portal.fixtures.procedure(maTTHC); ok {
			rows = append(rows, rec)
		}
	default:
		rows = s.portal.fixtures.rows(name)
	}
	if rows == nil {
		rows = []json.RawMessage{}
	}
	s.count(func(st *Stats) { st.Accepted++ })
	writeJSON(w, http.StatusOK, map[string]any{"error_code": 0, "message": "thành công / ok", "result": rows})
}

// param returns an envelope parameter as text, its key matched without
// regard to case (mahoso, maHoSo).
func param(fields map[string]json.RawMessage, name string) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.EqualFold(k, name) {
			var v string
			if json.Unmarshal(fields[k], &v) == nil {
				return strings.TrimSpace(v)
			}
		}
	}
	return ""
}

// lookupRow is TraCuuHoSo's row for a known dossier: its codes, dates and
// status, and how often it was updated (no personal data).
func (p *portal) lookupRow(maHoSo string) (json.RawMessage, bool) {
	p.mu.Lock()
	d, ok := p.dossiers[maHoSo]
	var item json.RawMessage
	var updates, steps int
	if ok {
		item, updates, steps = d.Item, d.Updates, len(d.Steps)
	}
	p.mu.Unlock()
	if !ok {
		return nil, false
	}
	var src map[string]json.RawMessage
	_ = json.Unmarshal(item, &src) // stored items were checked on arrival
	row := map[string]any{"MaHoSo": maHoSo, "SoLanCapNhat": updates, "SoBuocXuLy": steps}
	for _, k := range []string{"MaTTHC", "TrangThaiHoSo", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "DonViXuLy"} {
		if v, ok := src[k]; ok {
			row[k] = v
		}
	}
	b, _ := json.Marshal(row)
	return b, true
}
