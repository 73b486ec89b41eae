package ratings

import (
	"fmt"
	"strings"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// Score is one indicator of one dossier.
type Score struct {
	// Known is false when the records cannot score the indicator for this
	// dossier (not resolved yet, no progress steps, no channel, or an
	// indicator only a citizen answers). Not known is not 0: reports leave
	// it out of the average.
	Known bool
	// Points is 0–2 when Known.
	Points int
	// Note says what was measured ("1 day late", "2 supplement requests")
	// or, when not Known, why not.
	Note string
}

// DossierScores are the nine indicators of one dossier as its records
// score them.
type DossierScores struct {
	MaHoSo  string
	MaDonVi string // the unit the dossier counts for (given to Score)
	MaTTHC  string
	// Status is the dossier's TrangThaiHoSo, trimmed.
	Status string
	// Resolved is true for a status of scoring.resolved_statuses.
	Resolved bool
	// End is when a resolved dossier ended (NgayKetThucXuLy, else NgayTra);
	// zero when unresolved or undated. Reports place the dossier in the
	// period holding End.
	End time.Time
	// DeadlineMoved: the due date fell on a day off and moved (working-days
	// basis).
	DeadlineMoved bool
	// Scores holds indicator i at index i-1.
	Scores [NumIndicators]Score
}

// Get returns indicator i (1–9); an invalid i gives the zero Score.
func (d DossierScores) Get(i Indicator) Score {
	if !i.Valid() {
		return Score{}
	}
	return d.Scores[i-1]
}

func known(points int, format string, args ...any) Score {
	return Score{Known: true, Points: points, Note: fmt.Sprintf(format, args...)}
}

func unknown(format string, args ...any) Score {
	return Score{Note: fmt.Sprintf(format, args...)}
}

// Score computes the indicators the records can score for dossier d,
// counted for unit (its MaDonVi; the connector's unit.code), from d and
// its progress steps. Steps of another dossier (a different, non-empty
// MaHoSo) are ignored. The rules are those of docs/ratings.md, section
// "Indicators computed from records"; indicators 6, 7 and 8 are never
// known here.
func (r *Rules) Score(unit string, d *packets.Dossier, steps []packets.ProgressStep) DossierScores {
	out := DossierScores{MaHoSo: d.MaHoSo, MaDonVi: unit, MaTTHC: d.MaTTHC, Status: strings.TrimSpace(d.TrangThaiHoSo)}
	own := steps[:0:0]
	for _, s := range steps {
		if s.MaHoSo == "" || s.MaHoSo == d.MaHoSo {
			own = append(own, s)
		}
	}
	out.Resolved = r.resolved[out.Status]
	if out.Resolved {
		out.End = d.NgayKetThucXuLy.Time
		if out.End.IsZero() {
			out.End = d.NgayTra.Time
		}
	}
	put := func(i Indicator, s Score) { out.Scores[i-1] = s }

	switch {
	case !out.Resolved:
		put(TotalTime, unknown("not resolved (status %q)", out.Status))
		put(UnitTime, unknown("not resolved (status %q)", out.Status))
	case out.End.IsZero():
		put(TotalTime, unknown("resolved without NgayKetThucXuLy or NgayTra"))
		put(UnitTime, r.unitTime(own))
	default:
		s, moved := r.totalTime(d.NgayHenTra.Time, out.End)
		put(TotalTime, s)
		out.DeadlineMoved = moved
		put(UnitTime, r.unitTime(own))
	}
	put(Contacts, r.contactsScore(d, own))
	put(Agencies, r.agenciesScore(own))
	put(OneStop, r.oneStopScore(d.KenhThucHien))
	put(OnlineService, r.onlineScore(d.KenhThucHien))
	for _, i := range []Indicator{Disclosure, Attitude, Feedback} {
		put(i, unknown("only a citizen can answer it"))
	}
	return out
}

// totalTime is indicator 1: days late against NgayHenTra, scored by
// scoring.total_time. No due date is never late, as in the statistics.
func (r *Rules) totalTime(due, end time.Time) (Score, bool) {
	if due.IsZero() {
		return known(tier(r.pts.totalTime, 0), "no NgayHenTra: never late"), false
	}
	days, moved := r.cal.DaysLate(due, end)
	switch days {
	case 0:
		return known(tier(r.pts.totalTime, 0), "on time"), moved
	case 1:
		return known(tier(r.pts.totalTime, 1), "1 day late"), moved
	}
	return known(tier(r.pts.totalTime, days), "%d days late", days), moved
}

// unitTime is indicator 2: the units (PhongBanXuLy) with a step done
// (ThoiDiemXuLy) after its own deadline (NgayKetThucTheoQuyDinh), scored
// by scoring.unit_time. Steps without both times say nothing; a dossier
// none of whose steps has them cannot be scored.
func (r *Rules) unitTime(steps []packets.ProgressStep) Score {
	if len(steps) == 0 {
		return unknown("no progress steps")
	}
	judged := 0
	late := set{}
	for _, s := range steps {
		if s.NgayKetThucTheoQuyDinh.IsZero() || s.ThoiDiemXuLy.IsZero() {
			continue
		}
		judged++
		if days, _ := r.cal.DaysLate(s.NgayKetThucTheoQuyDinh.Time, s.ThoiDiemXuLy.Time); days > 0 {
			late[strings.ToLower(strings.TrimSpace(s.PhongBanXuLy))] = true
		}
	}
	if judged == 0 {
		return unknown("no step has both NgayKetThucTheoQuyDinh and ThoiDiemXuLy")
	}
	if len(late) == 1 {
		return known(tier(r.pts.unitTime, 1), "1 unit late")
	}
	return known(tier(r.pts.unitTime, len(late)), "%d units late", len(late))
}

// contactsScore is indicator 3: supplement requests, scored by
// scoring.contacts. They are counted twice over — the DanhSachHoSoBoSung
// items and the steps in a supplement status — and the larger count is
// taken, because a system that fills both describes the same requests.
func (r *Rules) contactsScore(d *packets.Dossier, steps []packets.ProgressStep) Score {
	n := 0
	for _, s := range steps {
		if r.supplement[strings.TrimSpace(s.TrangThai)] {
			n++
		}
	}
	n = max(n, len(d.DanhSachHoSoBoSung))
	if n == 1 {
		return known(tier(r.pts.contacts, 1), "1 supplement request")
	}
	return known(tier(r.pts.contacts, n), "%d supplement requests", n)
}

// agenciesScore is indicator 4: the unit itself plus each other agency
// (scoring.other_agencies) met among the steps' PhongBanXuLy, scored by
// scoring.agencies. Without steps nobody knows who handled the dossier.
func (r *Rules) agenciesScore(steps []packets.ProgressStep) Score {
	if len(steps) == 0 {
		return unknown("no progress steps")
	}
	met := make([]bool, len(r.otherAgencies))
	n := 1
	for _, s := range steps {
		dept := strings.TrimSpace(s.PhongBanXuLy)
		for i, a := range r.otherAgencies {
			if !met[i] && strings.EqualFold(dept, a) {
				met[i] = true
				n++
			}
		}
	}
	if n == 1 {
		return known(tier(r.pts.agencies, 0), "1 agency")
	}
	return known(tier(r.pts.agencies, n-1), "%d agencies", n)
}

// oneStopScore is indicator 5: 2 points for a channel of
// scoring.one_stop_channels, 0 for the others.
func (r *Rules) oneStopScore(channel string) Score {
	channel = strings.TrimSpace(channel)
	switch {
	case channel == "":
		return unknown("no KenhThucHien")
	case r.oneStop[channel]:
		return known(MaxPoints, "channel %s: through the one-stop department", channel)
	}
	return known(0, "channel %s: not through the one-stop department", channel)
}

// onlineScore is indicator 9: 2 points for a channel of
// scoring.online_channels, scoring.offline_points for the others.
func (r *Rules) onlineScore(channel string) Score {
	channel = strings.TrimSpace(channel)
	switch {
	case channel == "":
		return unknown("no KenhThucHien")
	case r.online[channel]:
		return known(MaxPoints, "channel %s: online", channel)
	case r.offlinePoints < 0:
		return unknown("channel %s: not online, and offline_points is none", channel)
	}
	return known(r.offlinePoints, "channel %s: not online", channel)
}
