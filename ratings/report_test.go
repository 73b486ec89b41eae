package ratings

import (
	"maps"
	"slices"
	"testing"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
	"github.com/hcmc-lgsp/lgsp-connector/stats"
)

const (
	unitA = "000.00.12.H29"
	unitB = "000.00.13.H29"
)

// withCriteria ties TC06, TC07, TC08 to indicators 6, 7, 8.
func withCriteria(c *Config) {
	c.Criteria = []Criterion{{Code: "TC06", Indicator: 6}, {Code: "TC07", Indicator: 7}, {Code: "TC08", Indicator: 8}}
}

// scored builds the scores of a resolved dossier by hand: points of
// indicators 1–5 and 9, -1 for not known.
func scored(code, unit, procedure, end string, p [6]int) DossierScores {
	d := DossierScores{MaHoSo: code, MaDonVi: unit, MaTTHC: procedure, Status: "10", Resolved: true, End: at(end).Time}
	for k, i := range []Indicator{TotalTime, UnitTime, Contacts, Agencies, OneStop, OnlineService} {
		if p[k] >= 0 {
			d.Scores[i-1] = Score{Known: true, Points: p[k]}
		}
	}
	return d
}

// The fixture of the report tests, Q4 2026 = [2026-10-01, 2027-01-01).
func reportFixture() ([]packets.Rating, []DossierScores) {
	answers := []packets.Rating{
		// Unit A, three forms in the quarter.
		rating("P1", unitA, "", "1", "", "2026-10-05 09:00"),
		rating("P1", unitA, "TC06", "", "2", "2026-10-05 09:00"),
		rating("P1", unitA, "TC07", "", "2", "2026-10-05 09:00"),
		rating("P1", unitA, "TC08", "", "1", "2026-10-05 09:00"),
		rating("P2", unitA, "", "2", "", "2026-11-10 10:00"),
		rating("P2", unitA, "TC06", "", "2", "2026-11-10 10:00"),
		rating("P2", unitA, "TC07", "", "1", "2026-11-10 10:00"),
		rating("P2", unitA, "TC08", "", "2", "2026-11-10 10:00"),
		rating("P3", unitA, "", "4", "", "2026-12-20 15:00"),
		rating("P3", unitA, "TC06", "", "1", "2026-12-20 15:00"),
		rating("P3", unitA, "TC07", "", "2", "2026-12-20 15:00"),
		rating("P3", unitA, "TC08", "", "2", "2026-12-20 15:00"),
		// The kiosk re-sent P1's TC07 a day later with another value: duplicate, the earliest (2 points) kept.
		rating("P1", unitA, "TC07", "", "0", "2026-10-06 09:00"),
		// Outside the quarter: the last minute of September and the first instant of 2027.
		rating("P4", unitA, "", "1", "", "2026-09-30 23:59"),
		rating("P5", unitA, "", "1", "", "2027-01-01 00:00"),
		// Faults: no time, level 6, points for a criterion tied to nothing,
		// a level for a question that is not the overall one, both answers, neither.
		rating("P6", unitA, "", "1", "", ""),
		rating("P7", unitA, "", "6", "", "2026-10-07 09:00"),
		rating("P8", unitA, "TC99", "", "2", "2026-10-07 09:00"),
		rating("P9", unitA, "TC02", "2", "", "2026-10-07 09:00"),
		rating("P10", unitA, "", "1", "2", "2026-10-07 09:00"),
		rating("P11", unitA, "", "", "", "2026-10-07 09:00"),
		// Unit B: one form.
		rating("Q1", unitB, "", "5", "", "2026-10-20 08:00"),
		rating("Q1", unitB, "TC06", "", "0", "2026-10-20 08:00"),
		// No unit, no MaPhieu: a form of its own, under the key "".
		rating("", "", "", "3", "", "2026-11-11 11:00"),
	}
	dossiers := []DossierScores{
		//                                               1  2  3  4  5  9
		scored("D1", unitA, "1.001", "2026-10-10 10:00", [6]int{2, 2, 2, 2, 2, 0}),
		scored("D2", unitA, "1.002", "2026-11-15 10:00", [6]int{1, -1, 1, 2, 2, 2}),
		scored("D3", unitA, "1.001", "2026-12-01 10:00", [6]int{0, 1, 2, 1, 2, 2}),
		{MaHoSo: "D4", MaDonVi: unitA, Status: "4"},                                // pending
		scored("D5", unitA, "1.001", "2026-09-30 10:00", [6]int{0, 0, 0, 0, 0, 0}), // resolved in September
		scored("D1", unitA, "1.001", "2026-10-10 10:00", [6]int{0, 0, 0, 0, 0, 0}), // D1 again
		{MaHoSo: "D6", MaDonVi: unitA, Status: "9", Resolved: true},                // no end date
		scored("E1", unitB, "1.003", "2026-10-25 10:00", [6]int{2, 2, 2, 2, 2, 2}),
	}
	return answers, dossiers
}

func TestReportByUnit(t *testing.T) {
	r := rules(t, stats.Options{}, withCriteria)
	answers, dossiers := reportFixture()
	rep, err := r.Report(q4of2026, ByUnit, answers, dossiers)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 3 || rep.Rows[0].Key != "" || rep.Rows[1].Key != unitA || rep.Rows[2].Key != unitB {
		t.Fatalf("rows %v, want \"\", A, B in this order", keys(rep.Rows))
	}

	// Unit A.
	// Levels: P1 1, P2 2, P3 4 → [1 1 0 1 0]; 3 respondents → 33.33 % each.
	// CS1 (2+1+0)/3 = 1.00   CS2 (2+1)/2 = 1.50 (D2 not known)   CS3 (2+1+2)/3 = 1.67
	// CS4 (2+2+1)/3 = 1.67   CS5 6/3 = 2.00   CS9 (0+2+2)/3 = 1.33
	// CS6 (2+2+1)/3 = 1.67   CS7 (2+1+2)/3 = 1.67 (the earliest P1 copy)   CS8 (1+2+2)/3 = 1.67
	// Total 1.00+1.50+1.67+1.67+2.00+1.67+1.67+1.67+1.33 = 14.18 → Tốt (12 ≤ 14.18 < 15.01).
	a := rep.Rows[1]
	if a.Answers != 12 || a.Forms != 3 || a.Dossiers != 3 || a.Levels != [5]int{1, 1, 0, 1, 0} {
		t.Errorf("A: answers %d forms %d dossiers %d levels %v; want 12, 3, 3, [1 1 0 1 0]", a.Answers, a.Forms, a.Dossiers, a.Levels)
	}
	if a.LevelPercent(VerySatisfied) != 3333 || a.LevelPercent(Neutral) != 0 || a.LevelPercent(Dissatisfied) != 3333 {
		t.Errorf("A: level percents %s %s %s", a.LevelPercent(1), a.LevelPercent(3), a.LevelPercent(4))
	}
	wantMeans := [NumIndicators]Hundredths{100, 150, 167, 167, 200, 167, 167, 167, 133}
	wantN := [NumIndicators]int{3, 2, 3, 3, 3, 3, 3, 3, 3}
	for k, avg := range a.Indicators {
		if avg.Mean != wantMeans[k] || avg.N != wantN[k] {
			t.Errorf("A: CS%d = %s over %d, want %s over %d", k+1, avg.Mean, avg.N, wantMeans[k], wantN[k])
		}
	}
	if a.Total != 1418 || !a.Complete || a.Band != "Tốt" {
		t.Errorf("A: total %s complete %v band %q; want 14.18, true, Tốt", a.Total, a.Complete, a.Band)
	}

	// Unit B: Q1 level 5, CS6 0; E1 2 everywhere. CS7 and CS8 have no
	// answer → incomplete, no rank; total 6 × 2.00 + 0.00 = 12.00.
	b := rep.Rows[2]
	if b.Levels != [5]int{0, 0, 0, 0, 1} || b.Forms != 1 || b.Dossiers != 1 || b.Total != 1200 || b.Complete || b.Band != "" ||
		!slices.Equal(b.Missing(), []Indicator{Attitude, Feedback}) {
		t.Errorf("B: %+v, missing %v", b, b.Missing())
	}
	// The answer without unit or form: its own row, one form.
	if n := rep.Rows[0]; n.Levels != [5]int{0, 0, 1, 0, 0} || n.Forms != 1 || n.Answers != 1 || n.Total != 0 {
		t.Errorf("no unit: %+v", n)
	}

	// 24 answers: 15 used (12 A, 2 B, 1 none), 2 outside, 7 not used.
	wantAnswers := Tally{Read: 24, Used: 15, Outside: 2, NotUsed: map[Reason]int{
		ReasonDuplicate: 1, ReasonNoTime: 1, ReasonBadLevel: 1, ReasonUnknownCriterion: 1,
		ReasonOtherQuestion: 1, ReasonTwoAnswers: 1, ReasonNoAnswer: 1,
	}}
	checkTally(t, "answers", rep.Answers, wantAnswers)
	// 8 dossiers: D1 D2 D3 E1 used; D5 outside; D4 pending, D1 twice, D6 undated.
	checkTally(t, "dossiers", rep.Dossiers, Tally{Read: 8, Used: 4, Outside: 1, NotUsed: map[Reason]int{
		ReasonNotResolved: 1, ReasonDuplicateDossier: 1, ReasonNoEndDate: 1,
	}})
	if !slices.Equal(rep.Survey, []Indicator{6, 7, 8}) {
		t.Errorf("Survey %v", rep.Survey)
	}
}

func TestReportByOfficerAndProcedure(t *testing.T) {
	r := rules(t, stats.Options{}, withCriteria)
	answers, dossiers := reportFixture()
	for i := range answers {
		switch answers[i].MaPhieu {
		case "P1", "P2":
			answers[i].MaCanBo = "CB01"
		case "P3", "Q1":
			answers[i].MaCanBo = "CB02"
		}
	}
	rep, err := r.Report(q4of2026, ByOfficer, answers, dossiers)
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(rep.Rows); !slices.Equal(got, []string{"", "CB01", "CB02"}) {
		t.Fatalf("rows %v", got)
	}
	// CB01: P1, P2. CS6 (2+2)/2 = 2.00, CS7 (2+1)/2 = 1.50, CS8 (1+2)/2 = 1.50;
	// no dossier indicator is attributed to an officer → incomplete.
	cb1 := rep.Rows[1]
	if cb1.Levels != [5]int{1, 1, 0, 0, 0} || cb1.Indicators[5].Mean != 200 || cb1.Indicators[6].Mean != 150 || cb1.Indicators[7].Mean != 150 ||
		cb1.Dossiers != 0 || cb1.Complete || cb1.Total != 500 {
		t.Errorf("CB01: %+v", cb1)
	}
	// The four dossiers resolved in the quarter are not attributed.
	checkTally(t, "dossiers by officer", rep.Dossiers, Tally{Read: 8, Used: 0, Outside: 1, NotUsed: map[Reason]int{
		ReasonNotResolved: 1, ReasonDuplicateDossier: 1, ReasonNoEndDate: 1, ReasonNoOfficer: 4,
	}})

	rep, err = r.Report(q4of2026, ByProcedure, nil, dossiers)
	if err != nil {
		t.Fatal(err)
	}
	// 1.001: D1, D3 → CS1 (2+0)/2 = 1.00, CS2 (2+1)/2 = 1.50, CS9 (0+2)/2 = 1.00.
	if got := keys(rep.Rows); !slices.Equal(got, []string{"1.001", "1.002", "1.003"}) {
		t.Fatalf("rows %v", got)
	}
	p1 := rep.Rows[0]
	if p1.Dossiers != 2 || p1.Indicators[0].Mean != 100 || p1.Indicators[1].Mean != 150 || p1.Indicators[8].Mean != 100 || p1.Forms != 0 {
		t.Errorf("1.001: %+v", p1)
	}

	if _, err := r.Report(q4of2026, "ward", nil, nil); err == nil {
		t.Error("Report accepted group by ward")
	}
	if _, err := r.Report(stats.Period{}, ByUnit, nil, nil); err == nil {
		t.Error("Report accepted an empty period")
	}
}

// Indicators 1–8 from the answers (a survey asking them all): the dossier
// scores are not used for them, only for 9.
func TestReportSurveyForEverything(t *testing.T) {
	r := rules(t, stats.Options{}, func(c *Config) {
		c.SurveyIndicators = []int{1, 2, 3, 4, 5, 6, 7, 8}
		c.Criteria = nil
		for i := 1; i <= 8; i++ {
			c.Criteria = append(c.Criteria, Criterion{Code: "C" + string(rune('0'+i)), Indicator: i})
		}
	})
	var answers []packets.Rating
	for i := 1; i <= 8; i++ {
		answers = append(answers, rating("F1", unitA, "C"+string(rune('0'+i)), "", "1", "2026-10-05 09:00"))
	}
	dossiers := []DossierScores{scored("D1", unitA, "", "2026-10-10 10:00", [6]int{2, 2, 2, 2, 2, 2})}
	rep, err := r.Report(october2026, ByUnit, answers, dossiers)
	if err != nil {
		t.Fatal(err)
	}
	// CS1–CS8 = 1.00 each from the answers, CS9 = 2.00 from D1 → 10.00 → Khá.
	w := rep.Rows[0]
	if w.Total != 1000 || !w.Complete || w.Band != "Khá" || w.Indicators[0].Mean != 100 || w.Indicators[8].Mean != 200 {
		t.Errorf("row %+v", w)
	}
}

func keys(rows []Row) []string {
	out := make([]string, len(rows))
	for i, w := range rows {
		out[i] = w.Key
	}
	return out
}

func checkTally(t *testing.T, what string, got, want Tally) {
	t.Helper()
	if got.Read != want.Read || got.Used != want.Used || got.Outside != want.Outside || !maps.Equal(got.NotUsed, want.NotUsed) {
		t.Errorf("%s: %+v, want %+v", what, got, want)
	}
	if got.Read != got.Used+got.Outside+got.NotUsedTotal() {
		t.Errorf("%s: read %d ≠ used %d + outside %d + not used %d", what, got.Read, got.Used, got.Outside, got.NotUsedTotal())
	}
}
