package ratings

import (
	"errors"
	"strings"
	"testing"

	"github.com/hcmc-lgsp/lgsp-connector/stats"
)

func TestDefaultConfigIsValid(t *testing.T) {
	if errs := DefaultConfig().Validate("ratings"); len(errs) > 0 {
		t.Fatalf("DefaultConfig: %v", errors.Join(errs...))
	}
	r := rules(t, stats.Options{}, nil)
	for _, i := range Indicators() {
		if r.FromSurvey(i) != (i == 6 || i == 7 || i == 8) {
			t.Errorf("indicator %d: FromSurvey %v", i, r.FromSurvey(i))
		}
	}
	if !r.percentSign {
		t.Error("the default summary has no percent sign")
	}
}

func TestConfigErrorsNameTheirKeys(t *testing.T) {
	c := DefaultConfig()
	c.Scoring.ResolvedStatuses = []string{"9", "11", "9"}
	c.Scoring.TotalTime = []int{2, 3}
	c.Scoring.UnitTime = nil
	c.Scoring.OneStopChannels = []string{"4"}
	c.Scoring.OtherAgencies = []string{"Chi cục Thuế", " chi cục thuế ", ""}
	c.Scoring.OfflinePoints = "half"
	c.SurveyIndicators = []int{6, 7, 10, 7}
	c.Criteria = []Criterion{{Code: "TC06", Indicator: 6}, {Code: "TC06", Indicator: 1}, {Code: "", Indicator: 7}}
	c.Bands = []Band{{Min: 15.005, Name: "Xuất sắc"}, {Min: 12, Name: "Tốt"}, {Min: 12, Name: " "}, {Min: 19, Name: "Tốt"}}
	errs := c.Validate("ratings")
	text := errors.Join(errs...).Error()
	for _, want := range []string{
		`ratings.scoring.resolved_statuses[1]: "11" is not a TrangThaiHoSo code`,
		`ratings.scoring.resolved_statuses[2]: "9" is listed twice`,
		`ratings.scoring.total_time[1]: 3 points: an indicator scores 0, 1 or 2`,
		`ratings.scoring.unit_time: lists no points`,
		`ratings.scoring.one_stop_channels[0]: "4" is not a KenhThucHien code`,
		`ratings.scoring.other_agencies[1]: "chi cục thuế" is listed twice`,
		`ratings.scoring.other_agencies[2]: is empty`,
		`ratings.scoring.offline_points: "half" is not 0, 1, 2 or none`,
		`ratings.survey_indicators[2]: 10 is not an indicator 1–9`,
		`ratings.survey_indicators[3]: indicator 7 is listed twice`,
		`ratings.survey_indicators: lacks indicator 8 (acceptance of and explanation for feedback): the records cannot score it`,
		`ratings.criteria[1].code: "TC06" is listed twice`,
		`ratings.criteria[1].indicator: indicator 1 is computed from the records`,
		`ratings.criteria[2].code: is empty`,
		`ratings.bands[0].min: 15.005 is not a total 0–18 with at most two decimals`,
		`ratings.bands[2].min: 12.00 is the min of another band`,
		`ratings.bands[2].name: is empty`,
		`ratings.bands[3].min: 19 is not a total 0–18`,
		`ratings.bands[3].name: "Tốt" names two bands`,
		`ratings.bands: no band starts at 0`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("errors lack %q", want)
		}
	}
	if len(errs) != 20 {
		t.Errorf("%d errors, want 20 (one per problem):\n%s", len(errs), text)
	}
	if _, err := New(c, stats.Options{Location: hcm}); err == nil {
		t.Error("New accepted an invalid config")
	}

	overlap := DefaultConfig()
	overlap.OverallQuestions = []string{"TC01"}
	overlap.Criteria = []Criterion{{Code: "TC01", Indicator: 6}}
	if errs := overlap.Validate("ratings"); len(errs) != 1 || !strings.Contains(errs[0].Error(), `ratings.criteria[0].code: "TC01" is also an overall question`) {
		t.Errorf("a criterion that is the overall question: %v", errs)
	}
	noBands := DefaultConfig()
	noBands.Bands = nil
	if errs := noBands.Validate("ratings"); len(errs) != 1 || !strings.Contains(errs[0].Error(), "ratings.bands: lists no band") {
		t.Errorf("no bands: %v", errs)
	}
	if _, err := New(DefaultConfig(), stats.Options{Basis: "lunar"}); err == nil || !strings.Contains(err.Error(), "lunar") {
		t.Errorf("New with a bad deadline basis: %v", err)
	}
}

// The default bands: above 15 Xuất sắc, 12–15 Tốt, 9–12 Khá, 6–9 Trung
// bình, below 6 Yếu; each min inclusive, so 12.00 is Tốt and 15.00 too.
func TestBandBoundaries(t *testing.T) {
	r := rules(t, stats.Options{}, nil)
	for _, tc := range []struct {
		total Hundredths
		want  string
	}{
		{1800, "Xuất sắc"}, {1501, "Xuất sắc"}, {1500, "Tốt"}, {1200, "Tốt"}, {1199, "Khá"},
		{900, "Khá"}, {899, "Trung bình"}, {600, "Trung bình"}, {599, "Yếu"}, {0, "Yếu"},
	} {
		if got := r.Band(tc.total); got != tc.want {
			t.Errorf("Band(%s) = %q, want %q", tc.total, got, tc.want)
		}
	}
	// Bands given in any order are sorted by min.
	custom := rules(t, stats.Options{}, func(c *Config) {
		c.Bands = []Band{{Min: 0, Name: "chưa đạt"}, {Min: 16.5, Name: "đạt"}}
	})
	if custom.Band(1649) != "chưa đạt" || custom.Band(1650) != "đạt" {
		t.Errorf("custom bands: 16.49 → %q, 16.50 → %q", custom.Band(1649), custom.Band(1650))
	}
}
