package ratings

import (
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
	"github.com/hcmc-lgsp/lgsp-connector/stats"
)

// want is one expected indicator: known with points, or not known; note
// is a part of Score.Note.
type want struct {
	known  bool
	points int
	note   string
}

func pts(p int, note string) want { return want{true, p, note} }
func none(note string) want       { return want{note: note} }

func check(t *testing.T, name string, got Score, w want) {
	t.Helper()
	if got.Known != w.known || (w.known && got.Points != w.points) || !strings.Contains(got.Note, w.note) {
		t.Errorf("%s: got known=%v points=%d note %q; want known=%v points=%d note containing %q",
			name, got.Known, got.Points, got.Note, w.known, w.points, w.note)
	}
}

// resolved is a dossier resolved (status 10) with due date and end.
func resolved(due, end string) *packets.Dossier {
	return &packets.Dossier{MaHoSo: "H", TrangThaiHoSo: "10", KenhThucHien: "1", NgayTiepNhan: at("2026-10-01 08:00"), NgayHenTra: at(due), NgayKetThucXuLy: at(end)}
}

// Indicator 1 with the default points [2, 1, 0]: on time 2, one day late
// 1, two or more 0. October 2026: Friday 16, Saturday 17, Monday 19.
func TestIndicator1TotalTime(t *testing.T) {
	byDay := rules(t, stats.Options{}, nil)
	byInstant := rules(t, stats.Options{Compare: stats.CompareInstant}, nil)
	// Working days, 2026-09-02 (Wednesday, National Day) a holiday.
	working := rules(t, stats.Options{Basis: stats.BasisWorkingDays, Holidays: []stats.Date{{Year: 2026, Month: time.September, Day: 2}}}, nil)
	gentle := rules(t, stats.Options{}, func(c *Config) { c.Scoring.TotalTime = []int{2, 2, 1, 0} })

	tests := []struct {
		name  string
		r     *Rules
		d     *packets.Dossier
		want  want
		moved bool
	}{
		// Due 10-12, ended 10-07: five days early → on time → 2.
		{"early", byDay, resolved("2026-10-12 17:00", "2026-10-07 10:00"), pts(2, "on time"), false},
		// Due 10-12 17:00, ended exactly 10-12 17:00: at the deadline is on time → 2.
		{"exactly at the deadline, by instant", byInstant, resolved("2026-10-12 17:00", "2026-10-12 17:00"), pts(2, "on time"), false},
		// Due 10-12 10:00, ended 10-12 15:00: by calendar day the due day is on time → 2 …
		{"later on the due day, by day", byDay, resolved("2026-10-12 10:00", "2026-10-12 15:00"), pts(2, "on time"), false},
		// … by instant it is late, the same day → 1 day late → 1.
		{"later on the due day, by instant", byInstant, resolved("2026-10-12 10:00", "2026-10-12 15:00"), pts(1, "1 day late"), false},
		// Due 10-12, ended 10-13 08:00: one day late → 1.
		{"one day late", byDay, resolved("2026-10-12 17:00", "2026-10-13 08:00"), pts(1, "1 day late"), false},
		// Due 10-12, ended 10-14: two days late → 0.
		{"two days late", byDay, resolved("2026-10-12 17:00", "2026-10-14 08:00"), pts(0, "2 days late"), false},
		// Same, with points [2, 2, 1, 0]: two days late → 1.
		{"two days late, gentler points", gentle, resolved("2026-10-12 17:00", "2026-10-14 08:00"), pts(1, "2 days late"), false},
		// Due 10-12, ended 10-30: 18 days late; the last entry holds → 0.
		{"long late", byDay, resolved("2026-10-12 17:00", "2026-10-30 08:00"), pts(0, "18 days late"), false},
		// No NgayHenTra: never late, as in the statistics → 2.
		{"no due date", byDay, resolved("", "2026-10-30 08:00"), pts(2, "never late"), false},
		// Working days: due Wednesday 09-02, a holiday → moves to Thursday 09-03; ended 09-03 16:00 → on time → 2.
		{"due on a holiday", working, resolved("2026-09-02 17:00", "2026-09-03 16:00"), pts(2, "on time"), true},
		// The same dossier on the calendar basis: 09-03 is a day after 09-02 → 1.
		{"due on a holiday, calendar basis", byDay, resolved("2026-09-02 17:00", "2026-09-03 16:00"), pts(1, "1 day late"), false},
		// Working days: due Saturday 10-17 → Monday 10-19; ended Tuesday 10-20 → 1 working day late → 1.
		{"due on a Saturday, a day after", working, resolved("2026-10-17 11:00", "2026-10-20 09:00"), pts(1, "1 day late"), true},
		// Working days: due Friday 10-16, ended Monday 10-19: the weekend does not count → 1 day late → 1.
		{"over a weekend", working, resolved("2026-10-16 17:00", "2026-10-19 09:00"), pts(1, "1 day late"), false},
		// Status 4 (processing): not resolved → not computable, not 0.
		{"not finished", byDay, &packets.Dossier{TrangThaiHoSo: "4", KenhThucHien: "1", NgayHenTra: at("2026-10-12 17:00")}, none(`not resolved (status "4")`), false},
		// Status 7 (withdrawn) is not a resolution by default.
		{"withdrawn", byDay, &packets.Dossier{TrangThaiHoSo: "7", NgayHenTra: at("2026-10-12 17:00"), NgayKetThucXuLy: at("2026-10-10 10:00")}, none("not resolved"), false},
		// Status 10 with NgayTra 10-12 but no NgayKetThucXuLy: NgayTra is the end → on time → 2.
		{"ended at NgayTra", byDay, &packets.Dossier{TrangThaiHoSo: "10", NgayHenTra: at("2026-10-12 17:00"), NgayTra: at("2026-10-12 09:00")}, pts(2, "on time"), false},
		// Status 9 without any end date: when it ended is unknown.
		{"resolved without end", byDay, &packets.Dossier{TrangThaiHoSo: "9", NgayHenTra: at("2026-10-12 17:00")}, none("without NgayKetThucXuLy or NgayTra"), false},
	}
	for _, tc := range tests {
		got := tc.r.Score("U", tc.d, nil)
		check(t, tc.name, got.Get(TotalTime), tc.want)
		if got.DeadlineMoved != tc.moved {
			t.Errorf("%s: DeadlineMoved %v, want %v", tc.name, got.DeadlineMoved, tc.moved)
		}
	}
}

// Indicator 2 with [2, 1, 0]: every unit's steps within their own
// deadlines 2, one unit late 1, two or more 0.
func TestIndicator2UnitTime(t *testing.T) {
	byDay := rules(t, stats.Options{}, nil)
	working := rules(t, stats.Options{Basis: stats.BasisWorkingDays, Holidays: []stats.Date{{Year: 2026, Month: time.September, Day: 2}}}, nil)
	d := resolved("2026-10-20 17:00", "2026-10-19 10:00")
	tests := []struct {
		name  string
		r     *Rules
		d     *packets.Dossier
		steps []packets.ProgressStep
		want  want
	}{
		{"no steps", byDay, d, nil, none("no progress steps")},
		// Both departments done before their step deadlines → 0 units late → 2.
		{"all on time", byDay, d, []packets.ProgressStep{
			step("Một cửa", "2026-10-02 09:00", "2026-10-02 17:00", "2"),
			step("Phòng Kinh tế", "2026-10-08 10:00", "2026-10-09 17:00", "4"),
		}, pts(2, "0 units late")},
		// Done exactly at the step's own deadline → on time → 2.
		{"step exactly at its deadline", byDay, d, []packets.ProgressStep{
			step("Phòng Kinh tế", "2026-10-09 17:00", "2026-10-09 17:00", "4"),
		}, pts(2, "0 units late")},
		// Phòng Kinh tế late twice (10-10 > 10-09, 10-15 > 10-14): one unit → 1.
		{"one unit late twice", byDay, d, []packets.ProgressStep{
			step("Một cửa", "2026-10-02 09:00", "2026-10-02 17:00", "2"),
			step("Phòng Kinh tế", "2026-10-10 10:00", "2026-10-09 17:00", "4"),
			step(" phòng kinh tế ", "2026-10-15 10:00", "2026-10-14 17:00", "4"),
		}, pts(1, "1 unit late")},
		// Một cửa late (10-03 > 10-02) and Phòng Kinh tế late → two units → 0.
		{"two units late", byDay, d, []packets.ProgressStep{
			step("Một cửa", "2026-10-03 09:00", "2026-10-02 17:00", "2"),
			step("Phòng Kinh tế", "2026-10-10 10:00", "2026-10-09 17:00", "4"),
		}, pts(0, "2 units late")},
		// Steps without a deadline (older OpenCPS builds send "") say nothing.
		{"no step deadlines", byDay, d, []packets.ProgressStep{
			step("Một cửa", "2026-10-02 09:00", "", "2"),
			step("Phòng Kinh tế", "2026-10-10 10:00", "", "4"),
		}, none("no step has both")},
		// Step deadline Wednesday 09-02 (holiday) → Thursday 09-03; done 09-03 → on time → 2.
		{"step due on a holiday", working, d, []packets.ProgressStep{
			step("Phòng Kinh tế", "2026-09-03 15:00", "2026-09-02 17:00", "4"),
		}, pts(2, "0 units late")},
		// A step of another dossier (MaHoSo "X") is ignored; the dossier's own step is late → 1.
		{"another dossier's step", byDay, d, []packets.ProgressStep{
			{MaHoSo: "X", PhongBanXuLy: "Một cửa", ThoiDiemXuLy: at("2026-10-05 09:00"), NgayKetThucTheoQuyDinh: at("2026-10-02 17:00")},
			{MaHoSo: "H", PhongBanXuLy: "Phòng Kinh tế", ThoiDiemXuLy: at("2026-10-10 09:00"), NgayKetThucTheoQuyDinh: at("2026-10-09 17:00")},
		}, pts(1, "1 unit late")},
		// Not resolved: no score even with late steps.
		{"not finished", byDay, &packets.Dossier{MaHoSo: "H", TrangThaiHoSo: "4"}, []packets.ProgressStep{
			step("Phòng Kinh tế", "2026-10-10 10:00", "2026-10-09 17:00", "4"),
		}, none("not resolved")},
	}
	for _, tc := range tests {
		check(t, tc.name, tc.r.Score("U", tc.d, tc.steps).Get(UnitTime), tc.want)
	}
}

// Indicator 3 with [2, 1, 0]: no supplement request 2, one 1, two or more
// 0; requests are the larger of DanhSachHoSoBoSung and the steps in
// status 5.
func TestIndicator3Contacts(t *testing.T) {
	r := rules(t, stats.Options{}, nil)
	one := []packets.Supplement{{HoSoBoSungId: 1}}
	tests := []struct {
		name   string
		extras []packets.Supplement
		steps  []packets.ProgressStep
		want   want
	}{
		{"none", nil, nil, pts(2, "0 supplement requests")},
		{"one listed", one, nil, pts(1, "1 supplement request")},
		// Two steps in status 5, nothing listed → 2 → 0.
		{"two as steps", nil, []packets.ProgressStep{
			step("Một cửa", "2026-10-02 09:00", "", "5"), step("Một cửa", "2026-10-06 09:00", "", "4"), step("Một cửa", "2026-10-08 09:00", "", " 5"),
		}, pts(0, "2 supplement requests")},
		// One listed and one step in status 5: the same request → 1 → 1.
		{"the same request twice over", one, []packets.ProgressStep{step("Một cửa", "2026-10-02 09:00", "", "5")}, pts(1, "1 supplement request")},
		{"three listed", []packets.Supplement{{HoSoBoSungId: 1}, {HoSoBoSungId: 2}, {HoSoBoSungId: 3}}, nil, pts(0, "3 supplement requests")},
	}
	for _, tc := range tests {
		d := resolved("2026-10-20 17:00", "2026-10-19 10:00")
		d.DanhSachHoSoBoSung = tc.extras
		check(t, tc.name, r.Score("U", d, tc.steps).Get(Contacts), tc.want)
	}
	// Unresolved dossiers are scored too (the count so far).
	check(t, "pending", r.Score("U", &packets.Dossier{TrangThaiHoSo: "5", DanhSachHoSoBoSung: one}, nil).Get(Contacts), pts(1, "1 supplement request"))
}

// Indicator 4 with [2, 1, 0]: one agency 2, two 1, three or more 0. The
// unit counts one; each configured other agency met among the steps adds
// one.
func TestIndicator4Agencies(t *testing.T) {
	r := rules(t, stats.Options{}, func(c *Config) {
		c.Scoring.OtherAgencies = []string{"Chi cục Thuế khu vực I", "Văn phòng Đăng ký đất đai"}
	})
	d := resolved("2026-10-20 17:00", "2026-10-19 10:00")
	own := step("Phòng Kinh tế", "2026-10-05 09:00", "", "4")
	tax := step("chi cục thuế khu vực i", "2026-10-08 09:00", "", "4")
	land := step("Văn phòng Đăng ký đất đai", "2026-10-09 09:00", "", "4")
	tests := []struct {
		name  string
		steps []packets.ProgressStep
		want  want
	}{
		{"no steps", nil, none("no progress steps")},
		// Only the unit's own departments → 1 agency → 2.
		{"own departments", []packets.ProgressStep{step("Một cửa", "2026-10-02 09:00", "", "2"), own}, pts(2, "1 agency")},
		// The tax office, met twice (case differs) → 2 agencies → 1.
		{"one other agency", []packets.ProgressStep{own, tax, tax}, pts(1, "2 agencies")},
		// Tax office and land registry → 3 agencies → 0.
		{"two other agencies", []packets.ProgressStep{own, tax, land}, pts(0, "3 agencies")},
	}
	for _, tc := range tests {
		check(t, tc.name, r.Score("U", d, tc.steps).Get(Agencies), tc.want)
	}
}

// Indicators 5 and 9 from KenhThucHien (1 in person, 2 online, 3 post):
// by default 5 gives 2 to channels 1 and 2, 0 to 3; 9 gives 2 to channel
// 2, 0 to the others.
func TestIndicators5And9Channel(t *testing.T) {
	def := rules(t, stats.Options{}, nil)
	noneOffline := rules(t, stats.Options{}, func(c *Config) { c.Scoring.OfflinePoints = "none" })
	oneOffline := rules(t, stats.Options{}, func(c *Config) { c.Scoring.OfflinePoints = "1" })
	tests := []struct {
		name         string
		r            *Rules
		channel      string
		five, online want
	}{
		{"in person", def, "1", pts(2, "through the one-stop"), pts(0, "not online")},
		{"online", def, "2", pts(2, "through the one-stop"), pts(2, "online")},
		{"by post", def, "3", pts(0, "not through"), pts(0, "not online")},
		{"no channel", def, "", none("no KenhThucHien"), none("no KenhThucHien")},
		{"in person, offline none", noneOffline, "1", pts(2, ""), none("offline_points is none")},
		{"in person, offline 1", oneOffline, "1", pts(2, ""), pts(1, "not online")},
	}
	for _, tc := range tests {
		d := resolved("2026-10-20 17:00", "2026-10-19 10:00")
		d.KenhThucHien = tc.channel
		s := tc.r.Score("U", d, nil)
		check(t, tc.name+", indicator 5", s.Get(OneStop), tc.five)
		check(t, tc.name+", indicator 9", s.Get(OnlineService), tc.online)
	}
}

// The records never score 6, 7 and 8; the dossier's identity is carried.
func TestScoreCitizenIndicatorsAndIdentity(t *testing.T) {
	r := rules(t, stats.Options{}, nil)
	d := resolved("2026-10-20 17:00", "2026-10-19 10:00")
	d.MaTTHC = "1.001234"
	s := r.Score("000.00.12.H29", d, nil)
	for _, i := range []Indicator{Disclosure, Attitude, Feedback} {
		check(t, i.String(), s.Get(i), none("only a citizen"))
	}
	if s.MaHoSo != "H" || s.MaDonVi != "000.00.12.H29" || s.MaTTHC != "1.001234" || s.Status != "10" || !s.Resolved ||
		!s.End.Equal(at("2026-10-19 10:00").Time) {
		t.Errorf("identity: %+v", s)
	}
	if got := s.Get(0); got != (Score{}) {
		t.Errorf("Get(0) = %+v", got)
	}
}
