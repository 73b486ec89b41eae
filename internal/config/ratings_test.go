package config

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/ratings"
)

// Without the section: the ratings package's defaults, the job off, the
// dossiers from the statistics' stream, and one overall question.
func TestRatingsDefaults(t *testing.T) {
	cfg, err := Load(filepath.Join("testdata", "good.yaml"), LoadOptions{IgnoreEnv: true, SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Ratings
	if fmt.Sprintf("%#v", r.Rules) != fmt.Sprintf("%#v", ratings.DefaultConfig()) {
		t.Errorf("rules = %#v, want the package defaults", r.Rules)
	}
	if r.Enabled || r.Schedule != "0 3 1 * *" || r.Stream != "danh_gia" || r.DossierStream != "ho_so" ||
		r.StepsStream != "qua_trinh_xu_ly" || r.StepsLookback != 180*24*time.Hour || r.Questions != nil {
		t.Errorf("wiring defaults = %+v", r)
	}
	if q := r.SummaryQuestions(); !maps.Equal(q, map[string]string{"": DefaultQuestionText}) {
		t.Errorf("default questions = %q", q)
	}
}

const ratingsSection = `
statistics:
  stream: ho_so
ratings:
  steps_stream: ""
  steps_lookback: 90d
  scoring:
    total_time: [2, 2, 1, 0]
    offline_points: none
  criteria:
    - {code: TC07, indicator: 7}
  overall_questions: [TC00]
  bands:
    - {min: 10, name: Đạt}
    - {min: 0, name: Chưa đạt}
  summary:
    percent_sign: false
  questions:
    TC00: "Ông/bà có hài lòng với việc giải quyết hồ sơ không?"
    " TC01 ": "Thái độ của cán bộ tiếp nhận"
`

// The rules sit at the top level of the section beside the wiring keys;
// a list given replaces its default; question codes are trimmed.
func TestRatingsSection(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "good.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadBytes(append(good, ratingsSection...), absTestdata(t), LoadOptions{IgnoreEnv: true, SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Ratings
	want := ratings.DefaultConfig()
	want.Scoring.TotalTime = []int{2, 2, 1, 0}
	want.Scoring.OfflinePoints = "none"
	want.Criteria = []ratings.Criterion{{Code: "TC07", Indicator: 7}}
	want.OverallQuestions = []string{"TC00"}
	want.Bands = []ratings.Band{{Min: 10, Name: "Đạt"}, {Min: 0, Name: "Chưa đạt"}}
	want.Summary.PercentSign = false
	if fmt.Sprintf("%#v", r.Rules) != fmt.Sprintf("%#v", want) {
		t.Errorf("rules =\n %#v\nwant\n %#v", r.Rules, want)
	}
	if r.StepsStream != "" || r.StepsLookback != 90*24*time.Hour || r.DossierStream != "ho_so" {
		t.Errorf("wiring = %+v", r)
	}
	wantQ := map[string]string{"TC00": "Ông/bà có hài lòng với việc giải quyết hồ sơ không?", "TC01": "Thái độ của cán bộ tiếp nhận"}
	if q := r.SummaryQuestions(); !maps.Equal(q, wantQ) {
		t.Errorf("questions = %q, want %q", q, wantQ)
	}
	if !strings.Contains(cfg.Redacted(), "ratings:") || !strings.Contains(cfg.Redacted(), "percent_sign: false") {
		t.Errorf("config show lacks the ratings section:\n%s", cfg.Redacted())
	}
}

// Every scalar key, the rules' included, can be set from the environment.
func TestRatingsFromEnvironment(t *testing.T) {
	t.Setenv("LGSP_RATINGS_STREAM", "phieu_khao_sat")
	t.Setenv("LGSP_RATINGS_STEPS_LOOKBACK", "30d")
	t.Setenv("LGSP_RATINGS_SCORING_OFFLINE_POINTS", "1")
	t.Setenv("LGSP_RATINGS_SUMMARY_PERCENT_SIGN", "false")
	cfg, err := Load(filepath.Join("testdata", "good.yaml"), LoadOptions{SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Ratings
	if r.Stream != "phieu_khao_sat" || r.StepsLookback != 30*24*time.Hour || r.Rules.Scoring.OfflinePoints != "1" || r.Rules.Summary.PercentSign {
		t.Errorf("ratings from the environment = %+v", r)
	}
}

const portalRatingsConfig = `
unit: {code: "000.00.12.H29"}
source:
  type: fake
  dsn: "app:pw@tcp(db:3306)/iso"
  streams:
    ho_so: {query: "SELECT 1"}
    danh_gia: {query: "SELECT 2"}
mapping:
  streams:
    ho_so:
      packet: HoSo
      fields: {MaHoSo: so_ho_so}
    danh_gia:
      packet: DanhGia
      fields: {MaPhieu: ma_phieu}
lgsp:
  base_url: https://lgsp.example.vn
  client_id: c
  client_secret: s
  profile: %s
dvcqg: {enabled: true, username: u, password: p}
signing: {cert_file: certs/sign.crt, key_file: certs/sign.key}
ratings: {enabled: true}
`

// Under the dvcqg profile the rating stream is read only by period (the
// portal takes no single ratings); under hcm-lgsp it is delivered too.
// Dossier streams are never report-only.
func TestReportOnly(t *testing.T) {
	for _, tc := range []struct {
		profile          string
		danhGia, dossier bool
	}{
		{"dvcqg", true, false},
		{"hcm-lgsp", false, false},
	} {
		cfg, err := LoadBytes([]byte(fmt.Sprintf(portalRatingsConfig, tc.profile)), absTestdata(t), LoadOptions{IgnoreEnv: true, SkipFileChecks: true})
		if err != nil {
			t.Fatalf("%s: %v", tc.profile, err)
		}
		if got := cfg.ReportOnly("danh_gia"); got != tc.danhGia {
			t.Errorf("%s: ReportOnly(danh_gia) = %v, want %v", tc.profile, got, tc.danhGia)
		}
		if got := cfg.ReportOnly("ho_so"); got != tc.dossier {
			t.Errorf("%s: ReportOnly(ho_so) = %v, want %v", tc.profile, got, tc.dossier)
		}
	}
}
