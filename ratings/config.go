package ratings

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
	"github.com/hcmc-lgsp/lgsp-connector/stats"
)

// Config is the `ratings:` section of the connector's YAML. Every key has
// a default (DefaultConfig); a list given replaces its default whole.
// Deadlines are judged with the `statistics:` section's calendar (see New).
type Config struct {
	// Scoring says how the indicators computable from records are scored.
	Scoring Scoring `mapstructure:"scoring"`
	// Criteria map questions of the city's rating-criteria catalog
	// (MaTieuChi) that are scored 0–2 to the indicator they answer.
	Criteria []Criterion `mapstructure:"criteria"`
	// SurveyIndicators are the indicators reports take from the citizens'
	// answers; the others are computed from the records. Default 6, 7, 8.
	SurveyIndicators []int `mapstructure:"survey_indicators"`
	// OverallQuestions are the MaTieuChi of the overall satisfaction
	// question, whose levels the reports count. Default [""]: a rating
	// without MaTieuChi is about overall satisfaction.
	OverallQuestions []string `mapstructure:"overall_questions"`
	// Bands rank a unit's 18-point total; each band holds the totals from
	// its min (inclusive) up to the next band's min.
	Bands []Band `mapstructure:"bands"`
	// Summary shapes the monthly DongBoDanhGia items.
	Summary SummaryConfig `mapstructure:"summary"`
}

// Scoring holds the rules of the indicators computed from the one-stop
// records. A points list gives the points for a count of 0, 1, 2, …; its
// last entry holds for every larger count: [2, 1, 0] is 2 points for none,
// 1 for one, 0 for two or more.
type Scoring struct {
	// ResolvedStatuses are the TrangThaiHoSo of a resolved dossier, the
	// only ones whose time (indicators 1 and 2) can be judged and the only
	// ones reports count. Default 9 and 10.
	ResolvedStatuses []string `mapstructure:"resolved_statuses"`
	// TotalTime (indicator 1) scores by days late: on time, 1 day, 2 or
	// more. Default [2, 1, 0].
	TotalTime []int `mapstructure:"total_time"`
	// UnitTime (indicator 2) scores by the number of units with a step
	// done after its own deadline. Default [2, 1, 0].
	UnitTime []int `mapstructure:"unit_time"`
	// Contacts (indicator 3) scores by the number of supplement requests.
	// Default [2, 1, 0].
	Contacts []int `mapstructure:"contacts"`
	// SupplementStatuses are the progress-step TrangThai that record a
	// supplement request (indicator 3). Default 5.
	SupplementStatuses []string `mapstructure:"supplement_statuses"`
	// Agencies (indicator 4) scores by the number of agencies involved,
	// starting at one: 1, 2, 3 or more. Default [2, 1, 0].
	Agencies []int `mapstructure:"agencies"`
	// OtherAgencies are PhongBanXuLy values of progress steps that are
	// another agency (a tax office, a land registry), not a department of
	// the unit itself. Each one met adds an agency (indicator 4).
	OtherAgencies []string `mapstructure:"other_agencies"`
	// OneStopChannels are the KenhThucHien handled through the one-stop
	// department: 2 points on indicator 5, other channels 0. Default 1, 2.
	OneStopChannels []string `mapstructure:"one_stop_channels"`
	// OnlineChannels are the KenhThucHien of online submission: 2 points
	// on indicator 9. Default 2.
	OnlineChannels []string `mapstructure:"online_channels"`
	// OfflinePoints is indicator 9 for the other channels: "0", "1", "2",
	// or "none" to leave those dossiers out of indicator 9. Default "0".
	OfflinePoints string `mapstructure:"offline_points"`
}

// Criterion ties one rating-criteria code to an indicator.
type Criterion struct {
	Code      string `mapstructure:"code"`
	Indicator int    `mapstructure:"indicator"`
}

// Band is one rank on the 18-point total.
type Band struct {
	// Min is the lowest total of the band, inclusive, 0–18 with at most
	// two decimals (totals are sums of 2-decimal averages).
	Min  float64 `mapstructure:"min"`
	Name string  `mapstructure:"name"`
}

// SummaryConfig shapes the DongBoDanhGia items.
type SummaryConfig struct {
	// PercentSign appends "%" to the six percentages ("43%"), as the one
	// implementation on record does. Default true.
	PercentSign bool `mapstructure:"percent_sign"`
}

// Default values.
const (
	DefaultOfflinePoints = "0"
	// OfflineNone leaves dossiers submitted off line out of indicator 9.
	OfflineNone = "none"
)

// DefaultBands are the ranks one vendor's system prints (SPEC-legal §1.2):
// above 15 Xuất sắc, 12–15 Tốt, 9–12 Khá, 6–9 Trung bình, below 6 Yếu.
// The shared boundaries go to the upper band (12.00 is Tốt) except 15,
// which the vendor puts in Tốt ("above 15"): totals move in steps of 0.01,
// so Xuất sắc starts at 15.01.
func DefaultBands() []Band {
	return []Band{
		{Min: 15.01, Name: "Xuất sắc"},
		{Min: 12, Name: "Tốt"},
		{Min: 9, Name: "Khá"},
		{Min: 6, Name: "Trung bình"},
		{Min: 0, Name: "Yếu"},
	}
}

// DefaultConfig is the section with every default filled in.
func DefaultConfig() Config {
	return Config{
		Scoring: Scoring{
			ResolvedStatuses:   []string{"9", "10"},
			TotalTime:          []int{2, 1, 0},
			UnitTime:           []int{2, 1, 0},
			Contacts:           []int{2, 1, 0},
			SupplementStatuses: []string{"5"},
			Agencies:           []int{2, 1, 0},
			OtherAgencies:      []string{},
			OneStopChannels:    []string{"1", "2"},
			OnlineChannels:     []string{"2"},
			OfflinePoints:      DefaultOfflinePoints,
		},
		Criteria:         []Criterion{},
		SurveyIndicators: []int{int(Disclosure), int(Attitude), int(Feedback)},
		OverallQuestions: []string{""},
		Bands:            DefaultBands(),
		Summary:          SummaryConfig{PercentSign: true},
	}
}

// Validate reports every problem at once, each with its key path under
// prefix (normally "ratings").
func (c Config) Validate(prefix string) []error {
	_, errs := c.compile(prefix)
	return errs
}

// Rules is a checked configuration joined with the statistics' deadline
// calendar: everything this package computes hangs off it. Immutable and
// safe for concurrent use.
type Rules struct {
	cal *stats.Calendar

	resolved, supplement   set
	pts                    pointLists
	otherAgencies          []string // trimmed; matched case-insensitively
	oneStop, online        set
	offlinePoints          int // -1: none
	criteria               map[string]Indicator
	survey                 [NumIndicators + 1]bool
	overall                set
	bands                  []band // highest min first
	percentSign            bool
	surveyList, recordList []Indicator
}

// pointLists are the points lists of scoring, by indicator.
type pointLists struct{ totalTime, unitTime, contacts, agencies []int }

type band struct {
	min  Hundredths
	name string
}

type set map[string]bool

// New checks c and joins it with the deadline rules of the statistics
// (stats.Config.Options gives them): indicators 1 and 2 judge "on time"
// exactly as the monthly statistics do, on the same calendar or
// working-days basis.
func New(c Config, deadlines stats.Options) (*Rules, error) {
	r, errs := c.compile("ratings")
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	cal, err := stats.NewCalendar(deadlines)
	if err != nil {
		return nil, err
	}
	r.cal = cal
	return r, nil
}

func (c Config) compile(prefix string) (*Rules, []error) {
	var errs []error
	add := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", prefix, key, fmt.Sprintf(format, args...)))
	}
	s := c.Scoring
	r := &Rules{
		pts:      pointLists{s.TotalTime, s.UnitTime, s.Contacts, s.Agencies},
		criteria: map[string]Indicator{}, percentSign: c.Summary.PercentSign,
	}

	codes := func(key string, list []string, valid packets.CodeList, required bool) set {
		out := set{}
		if required && len(list) == 0 {
			add(key, "lists no code; remove the key to use the default")
		}
		for i, v := range list {
			v = strings.TrimSpace(v)
			switch {
			case !valid.Valid(v):
				add(fmt.Sprintf("%s[%d]", key, i), "%q is not a %s code", v, valid.Field())
			case out[v]:
				add(fmt.Sprintf("%s[%d]", key, i), "%q is listed twice", v)
			}
			out[v] = true
		}
		return out
	}
	r.resolved = codes("scoring.resolved_statuses", s.ResolvedStatuses, packets.Statuses(), true)
	r.supplement = codes("scoring.supplement_statuses", s.SupplementStatuses, packets.Statuses(), false)
	r.oneStop = codes("scoring.one_stop_channels", s.OneStopChannels, packets.Channels(), false)
	r.online = codes("scoring.online_channels", s.OnlineChannels, packets.Channels(), false)

	points := func(key string, list []int, counting string) {
		if len(list) == 0 {
			add(key, "lists no points; give the points for %s, e.g. [2, 1, 0]", counting)
		}
		for i, p := range list {
			if p < 0 || p > MaxPoints {
				add(fmt.Sprintf("%s[%d]", key, i), "%d points: an indicator scores 0, 1 or 2", p)
			}
		}
	}
	points("scoring.total_time", s.TotalTime, "0, 1, 2 … days late")
	points("scoring.unit_time", s.UnitTime, "0, 1, 2 … units late")
	points("scoring.contacts", s.Contacts, "0, 1, 2 … supplement requests")
	points("scoring.agencies", s.Agencies, "1, 2, 3 … agencies")

	seenAgency := set{}
	for i, a := range s.OtherAgencies {
		a = strings.TrimSpace(a)
		switch key := strings.ToLower(a); {
		case a == "":
			add(fmt.Sprintf("scoring.other_agencies[%d]", i), "is empty; write the PhongBanXuLy of the other agency")
		case seenAgency[key]:
			add(fmt.Sprintf("scoring.other_agencies[%d]", i), "%q is listed twice", a)
		default:
			seenAgency[key] = true
			r.otherAgencies = append(r.otherAgencies, a)
		}
	}
	switch p := strings.TrimSpace(s.OfflinePoints); p {
	case OfflineNone:
		r.offlinePoints = -1
	case "0", "1", "2":
		r.offlinePoints = int(p[0] - '0')
	default:
		add("scoring.offline_points", "%q is not 0, 1, 2 or none", s.OfflinePoints)
	}

	for i, n := range c.SurveyIndicators {
		key := fmt.Sprintf("survey_indicators[%d]", i)
		switch ind := Indicator(n); {
		case !ind.Valid():
			add(key, "%d is not an indicator 1–9", n)
		case r.survey[ind]:
			add(key, "indicator %d is listed twice", n)
		default:
			r.survey[ind] = true
		}
	}
	for _, ind := range Indicators() {
		if r.survey[ind] {
			r.surveyList = append(r.surveyList, ind)
			continue
		}
		r.recordList = append(r.recordList, ind)
		if !ind.FromRecords() {
			add("survey_indicators", "lacks indicator %d (%s): the records cannot score it, only a citizen can", ind, ind.English())
		}
	}

	r.overall = set{}
	for i, q := range c.OverallQuestions {
		q = strings.TrimSpace(q)
		if r.overall[q] {
			add(fmt.Sprintf("overall_questions[%d]", i), "%q is listed twice", q)
		}
		r.overall[q] = true
	}
	for i, cr := range c.Criteria {
		key := fmt.Sprintf("criteria[%d]", i)
		code := strings.TrimSpace(cr.Code)
		ind := Indicator(cr.Indicator)
		_, dup := r.criteria[code]
		switch {
		case code == "":
			add(key+".code", "is empty; write the MaTieuChi of the question")
		case dup:
			add(key+".code", "%q is listed twice", code)
		case r.overall[code]:
			add(key+".code", "%q is also an overall question; a question is answered either with a level or with points", code)
		}
		switch {
		case !ind.Valid():
			add(key+".indicator", "%d is not an indicator 1–9", cr.Indicator)
		case !r.survey[ind]:
			add(key+".indicator", "indicator %d is computed from the records; list it in survey_indicators to take it from the answers", cr.Indicator)
		}
		r.criteria[code] = ind
	}

	if len(c.Bands) == 0 {
		add("bands", "lists no band; remove the key to use the defaults")
	}
	seenMin, seenName := map[Hundredths]bool{}, set{}
	hasZero := false
	for i, b := range c.Bands {
		key := fmt.Sprintf("bands[%d]", i)
		h, ok := hundredthsOf(b.Min)
		switch {
		case !ok:
			add(key+".min", "%s is not a total 0–18 with at most two decimals", strconv.FormatFloat(b.Min, 'g', -1, 64))
		case seenMin[h]:
			add(key+".min", "%s is the min of another band", h)
		}
		seenMin[h], hasZero = true, hasZero || (ok && h == 0)
		name := strings.TrimSpace(b.Name)
		switch {
		case name == "":
			add(key+".name", "is empty")
		case seenName[name]:
			add(key+".name", "%q names two bands", name)
		}
		seenName[name] = true
		r.bands = append(r.bands, band{h, name})
	}
	if len(c.Bands) > 0 && !hasZero {
		add("bands", "no band starts at 0, so low totals would have no rank; give the lowest band min: 0")
	}
	slices.SortFunc(r.bands, func(a, b band) int { return int(b.min - a.min) })
	return r, errs
}

// hundredthsOf converts a configured total to hundredths, refusing values
// outside 0–18 or with more than two decimals.
func hundredthsOf(f float64) (Hundredths, bool) {
	if math.IsNaN(f) || f < 0 || f > MaxTotal {
		return 0, false
	}
	h := math.Round(f * 100)
	if math.Abs(f*100-h) > 1e-6 {
		return 0, false
	}
	return Hundredths(h), true
}

// Band names the rank of an 18-point total: the band with the highest min
// not above it.
func (r *Rules) Band(total Hundredths) string {
	for _, b := range r.bands {
		if total >= b.min {
			return b.name
		}
	}
	return ""
}

// FromSurvey reports whether reports take indicator i from the citizens'
// answers rather than from the records.
func (r *Rules) FromSurvey(i Indicator) bool { return i.Valid() && r.survey[i] }

// tier is the points for count n in a points list.
func tier(list []int, n int) int { return list[min(n, len(list)-1)] }
