package ratings

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
	"github.com/hcmc-lgsp/lgsp-connector/stats"
)

// GroupBy is what a report's rows are.
type GroupBy string

// The groupings of a report.
const (
	ByUnit      GroupBy = "unit"      // MaDonVi
	ByOfficer   GroupBy = "officer"   // MaCanBo
	ByProcedure GroupBy = "procedure" // MaTTHC
)

// ParseGroupBy reads unit, officer or procedure (as the command line
// writes them), in any case, around spaces.
func ParseGroupBy(s string) (GroupBy, error) {
	switch g := GroupBy(strings.ToLower(strings.TrimSpace(s))); g {
	case ByUnit, ByOfficer, ByProcedure:
		return g, nil
	}
	return "", fmt.Errorf("group by %q: want unit, officer or procedure", s)
}

// Reason says why an answer or a dossier was read but not used.
type Reason string

// Why answers (packets.Rating) are not used.
const (
	// ReasonDuplicate: the same MaPhieu and MaTieuChi as another answer
	// (a kiosk re-sent it); the earliest ThoiDiemDanhGia is kept.
	ReasonDuplicate Reason = "duplicate"
	// ReasonNoTime: no ThoiDiemDanhGia, so no period can claim it.
	ReasonNoTime Reason = "no_time"
	// ReasonNoAnswer: neither MucDoHaiLong nor Diem.
	ReasonNoAnswer Reason = "no_answer"
	// ReasonTwoAnswers: both MucDoHaiLong and Diem; which one counts is
	// not guessed.
	ReasonTwoAnswers Reason = "level_and_score"
	// ReasonBadLevel: MucDoHaiLong is not "1" … "5".
	ReasonBadLevel Reason = "bad_level"
	// ReasonBadScore: Diem is not "0", "1" or "2".
	ReasonBadScore Reason = "bad_score"
	// ReasonOtherQuestion: a level given to a question other than the
	// overall one; the monthly summary counts it per question.
	ReasonOtherQuestion Reason = "other_question"
	// ReasonUnknownCriterion: points given to a MaTieuChi that criteria do
	// not tie to an indicator.
	ReasonUnknownCriterion Reason = "unknown_criterion"
	// ReasonScoreAnswer: points, not a level; the monthly summary counts
	// levels only.
	ReasonScoreAnswer Reason = "score_answer"
	// ReasonOtherUnit: the answer names another unit than the summary's.
	ReasonOtherUnit Reason = "other_unit"
)

// Why dossier scores are not used.
const (
	// ReasonDuplicateDossier: a MaHoSo already counted; the first counts.
	ReasonDuplicateDossier Reason = "duplicate_mahoso"
	// ReasonNotResolved: a status outside scoring.resolved_statuses.
	ReasonNotResolved Reason = "not_resolved"
	// ReasonNoEndDate: resolved, but without NgayKetThucXuLy or NgayTra.
	ReasonNoEndDate Reason = "resolved_without_end_date"
	// ReasonNoOfficer: a report by officer; a dossier has no single
	// officer, so the indicators computed from records are not attributed.
	ReasonNoOfficer Reason = "no_officer"
)

// Average is one indicator of one row: N values summing to Sum, and their
// mean rounded half up to two decimals.
type Average struct {
	N, Sum int
	Mean   Hundredths
}

// Row is one unit, officer or procedure of a report.
type Row struct {
	// Key is the MaDonVi, MaCanBo or MaTTHC; "" gathers answers and
	// dossiers without one.
	Key string
	// Answers is the number of answers used: overall levels and indicator
	// points.
	Answers int
	// Forms is the number of distinct MaPhieu among them (an answer
	// without MaPhieu is a form of its own).
	Forms int
	// Dossiers is the number of dossiers resolved in the period whose
	// records scored indicators.
	Dossiers int
	// Levels counts the overall-question answers at levels 1 … 5.
	Levels [5]int
	// Indicators holds indicator i at index i-1.
	Indicators [NumIndicators]Average
	// Total is the sum of the indicator means that have values, 0–18.
	Total Hundredths
	// Complete is true when all nine indicators have values; only then is
	// the row ranked.
	Complete bool
	// Band is the rank of Total; "" when not Complete.
	Band string
}

// Respondents is the number of overall-question answers.
func (w Row) Respondents() int {
	n := 0
	for _, c := range w.Levels {
		n += c
	}
	return n
}

// LevelPercent is the share of respondents at level l, rounded half up to
// two decimals; 0 without respondents.
func (w Row) LevelPercent(l Level) Hundredths {
	if !l.Valid() {
		return 0
	}
	return Hundredths(stats.Ratio(w.Levels[l-1], w.Respondents()))
}

// Missing lists the indicators without a value.
func (w Row) Missing() []Indicator {
	var out []Indicator
	for _, i := range Indicators() {
		if w.Indicators[i-1].N == 0 {
			out = append(out, i)
		}
	}
	return out
}

// Report is the satisfaction and evaluation of one period, one row per
// unit, officer or procedure, sorted by key.
type Report struct {
	Period stats.Period
	By     GroupBy
	Rows   []Row
	// Survey lists the indicators taken from the answers; the others come
	// from the records.
	Survey []Indicator
	// Answers and Dossiers account for every input: read = used + outside
	// + not used.
	Answers, Dossiers Tally
}

// Tally accounts for the inputs of one kind.
type Tally struct {
	Read    int
	Used    int
	Outside int // valid, but dated outside the period
	NotUsed map[Reason]int
}

func (t *Tally) skip(r Reason) {
	if t.NotUsed == nil {
		t.NotUsed = map[Reason]int{}
	}
	t.NotUsed[r]++
}

// NotUsedTotal is the number of inputs not used, all reasons together.
func (t Tally) NotUsedTotal() int {
	n := 0
	for _, c := range t.NotUsed {
		n += c
	}
	return n
}

// Reasons lists the reasons present, sorted.
func (t Tally) Reasons() []Reason {
	out := make([]Reason, 0, len(t.NotUsed))
	for k := range t.NotUsed {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// answer is one usable answer: a level or points, never both.
type answer struct {
	level    Level
	points   int
	isLevel  bool
	question string
}

// readAnswer checks the answer part of a rating.
func readAnswer(a *packets.Rating) (answer, Reason) {
	out := answer{question: strings.TrimSpace(a.MaTieuChi)}
	switch {
	case a.MucDoHaiLong == "" && a.Diem == "":
		return out, ReasonNoAnswer
	case a.MucDoHaiLong != "" && a.Diem != "":
		return out, ReasonTwoAnswers
	case a.MucDoHaiLong != "":
		l, err := ParseLevel(a.MucDoHaiLong)
		if err != nil {
			return out, ReasonBadLevel
		}
		out.level, out.isLevel = l, true
	default:
		p, err := ParseScore(a.Diem)
		if err != nil {
			return out, ReasonBadScore
		}
		out.points = p
	}
	return out, ""
}

// firstCopies marks the answers to keep: of those sharing MaPhieu and
// MaTieuChi, the one answered earliest (then the first read). Answers
// without MaPhieu cannot be told apart and are all kept.
func firstCopies(answers []packets.Rating) []bool {
	keep := make([]bool, len(answers))
	best := map[[2]string]int{}
	for i := range answers {
		a := &answers[i]
		if a.MaPhieu == "" {
			keep[i] = true
			continue
		}
		k := [2]string{a.MaPhieu, strings.TrimSpace(a.MaTieuChi)}
		j, seen := best[k]
		if !seen {
			best[k], keep[i] = i, true
			continue
		}
		if t, u := a.ThoiDiemDanhGia.Time, answers[j].ThoiDiemDanhGia.Time; !t.IsZero() && (u.IsZero() || t.Before(u)) {
			keep[j], keep[i], best[k] = false, true, i
		}
	}
	return keep
}

// Report aggregates the answers and the dossier scores of period p by
// unit, officer or procedure, under the rules of docs/ratings.md
// ("Reports"): answers dated in p; dossiers resolved in p; levels of the
// overall question counted; each indicator averaged over its values, from
// the answers (survey_indicators) or from the dossiers (the others); the
// total of the averages ranked when all nine have values.
func (r *Rules) Report(p stats.Period, by GroupBy, answers []packets.Rating, dossiers []DossierScores) (Report, error) {
	switch by {
	case ByUnit, ByOfficer, ByProcedure:
	default:
		return Report{}, fmt.Errorf("ratings report: group by %q: want unit, officer or procedure", by)
	}
	if !p.Start.Before(p.End) {
		return Report{}, fmt.Errorf("ratings report: period %s: start %s is not before end %s", p, p.Start, p.End)
	}
	rep := Report{Period: p, By: by, Survey: slices.Clone(r.surveyList)}
	rows := map[string]*Row{}
	forms := map[string]map[string]bool{}
	row := func(key string) *Row {
		w, ok := rows[key]
		if !ok {
			w = &Row{Key: key}
			rows[key], forms[key] = w, map[string]bool{}
		}
		return w
	}

	keep := firstCopies(answers)
	for i := range answers {
		a := &answers[i]
		t := &rep.Answers
		t.Read++
		if !keep[i] {
			t.skip(ReasonDuplicate)
			continue
		}
		if a.ThoiDiemDanhGia.IsZero() {
			t.skip(ReasonNoTime)
			continue
		}
		if !p.Contains(a.ThoiDiemDanhGia.Time) {
			t.Outside++
			continue
		}
		ans, why := readAnswer(a)
		if why == "" && ans.isLevel && !r.overall[ans.question] {
			why = ReasonOtherQuestion
		}
		ind, mapped := r.criteria[ans.question]
		if why == "" && !ans.isLevel && !mapped {
			why = ReasonUnknownCriterion
		}
		if why != "" {
			t.skip(why)
			continue
		}
		t.Used++
		var key string
		switch by {
		case ByUnit:
			key = a.MaDonVi
		case ByOfficer:
			key = a.MaCanBo
		default:
			key = a.MaTTHC
		}
		w := row(strings.TrimSpace(key))
		w.Answers++
		form := a.MaPhieu
		if form == "" {
			form = fmt.Sprintf("\x00%d", i) // a form of its own
		}
		forms[w.Key][form] = true
		if ans.isLevel {
			w.Levels[ans.level-1]++
			continue
		}
		avg := &w.Indicators[ind-1]
		avg.N, avg.Sum = avg.N+1, avg.Sum+ans.points
	}

	seen := map[string]bool{}
	for _, d := range dossiers {
		t := &rep.Dossiers
		t.Read++
		if d.MaHoSo != "" {
			if seen[d.MaHoSo] {
				t.skip(ReasonDuplicateDossier)
				continue
			}
			seen[d.MaHoSo] = true
		}
		switch {
		case !d.Resolved:
			t.skip(ReasonNotResolved)
			continue
		case d.End.IsZero():
			t.skip(ReasonNoEndDate)
			continue
		}
		if !p.Contains(d.End) {
			t.Outside++
			continue
		}
		if by == ByOfficer {
			t.skip(ReasonNoOfficer)
			continue
		}
		t.Used++
		key := d.MaDonVi
		if by == ByProcedure {
			key = d.MaTTHC
		}
		w := row(strings.TrimSpace(key))
		w.Dossiers++
		for _, i := range r.recordList {
			if s := d.Get(i); s.Known {
				avg := &w.Indicators[i-1]
				avg.N, avg.Sum = avg.N+1, avg.Sum+s.Points
			}
		}
	}

	for key, w := range rows {
		w.Forms = len(forms[key])
		w.Complete = true
		for i := range w.Indicators {
			avg := &w.Indicators[i]
			if avg.N == 0 {
				w.Complete = false
				continue
			}
			avg.Mean = mean(avg.Sum, avg.N)
			w.Total += avg.Mean
		}
		if w.Complete {
			w.Band = r.Band(w.Total)
		}
		rep.Rows = append(rep.Rows, *w)
	}
	sort.Slice(rep.Rows, func(i, j int) bool { return rep.Rows[i].Key < rep.Rows[j].Key })
	return rep, nil
}
