package app_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/app"
	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
	"github.com/hcmc-lgsp/lgsp-connector/ratings"
	"github.com/hcmc-lgsp/lgsp-connector/stats"

	_ "modernc.org/sqlite"
)

// ratingsFixture writes the two SQLite databases of testdata/ratings (a
// unit's one-stop database and its survey kiosk's) and returns the
// fixture's configuration text for them; config.yaml there says what
// October 2026 must give, worked out by hand.
func ratingsFixture(t *testing.T) (yaml, dir string) {
	t.Helper()
	dir = t.TempDir()
	for _, name := range []string{"onestop", "survey"} {
		script, err := os.ReadFile(filepath.Join("testdata", "ratings", name+".sql"))
		if err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(filepath.Join(dir, name+".db")))
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range strings.Split(string(script), ";\n") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			if _, err := db.Exec(stmt); err != nil {
				db.Close()
				t.Fatalf("%s.sql: %v\n%s", name, err, stmt)
			}
		}
		db.Close()
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "ratings", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	yaml = strings.NewReplacer(
		"$ONESTOP", filepath.ToSlash(filepath.Join(dir, "onestop.db")),
		"$SURVEY", filepath.ToSlash(filepath.Join(dir, "survey.db")),
		"$STORE", filepath.ToSlash(filepath.Join(dir, "outbox.db")),
		"$CERT", "cert.pem", "$KEY", "key.pem",
	).Replace(string(raw))
	return yaml, dir
}

func loadRatingsConfig(t *testing.T, yaml, dir string) *config.Config {
	t.Helper()
	cfg, err := config.LoadBytes([]byte(yaml), dir, config.LoadOptions{IgnoreEnv: true, SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func october(t *testing.T) stats.Period {
	t.Helper()
	zone, err := time.LoadLocation(stats.DefaultZone)
	if err != nil {
		t.Fatal(err)
	}
	return stats.MonthPeriod(2026, time.October, zone)
}

func ratingsOptions(cfg *config.Config) app.RatingsOptions {
	return app.RatingsOptions{Ratings: app.RatingsConfig(cfg), Statistics: app.StatisticsConfig(cfg)}
}

func checkRead(t *testing.T, what string, got app.StreamRead, read, used int, notUsed map[string]int) {
	t.Helper()
	if got.Read != read || got.Used != used || !maps.Equal(got.NotUsed, notUsed) {
		t.Errorf("%s: read %d, used %d, not used %v; want %d, %d, %v", what, got.Read, got.Used, got.NotUsed, read, used, notUsed)
	}
	if got.Read != got.Used+got.NotUsedTotal() {
		t.Errorf("%s: read %d ≠ used %d + not used %d", what, got.Read, got.Used, got.NotUsedTotal())
	}
}

// means are a row's nine indicator means in hundredths, -1 without values.
func means(row ratings.Row) []int64 {
	out := make([]int64, len(row.Indicators))
	for i, a := range row.Indicators {
		out[i] = int64(a.Mean)
		if a.N == 0 {
			out[i] = -1
		}
	}
	return out
}

// TestComputeRatingsByUnit is the fixture's October report by unit, every
// number worked out by hand (testdata/ratings/config.yaml): answers from
// the kiosk's database deduplicated by identity, dossiers resolved in the
// month scored with their steps of the 180 days before, records the
// mapping refuses counted by field.
func TestComputeRatingsByUnit(t *testing.T) {
	yaml, dir := ratingsFixture(t)
	cfg := loadRatingsConfig(t, yaml, dir)
	rep, err := app.ComputeRatings(context.Background(), cfg, october(t), ratings.ByUnit, ratingsOptions(cfg))
	if err != nil {
		t.Fatal(err)
	}
	checkRead(t, "answers", rep.Answers, 17, 14, map[string]int{app.ReasonDuplicateIdentity: 1, "mapping: MaCanBo": 1, "mapping: MaTieuChi": 1})
	checkRead(t, "dossiers", rep.Dossiers, 6, 5, map[string]int{"mapping: KenhThucHien": 1})
	checkRead(t, "steps", rep.Steps, 12, 10, map[string]int{app.ReasonStepNotNeeded: 1, "mapping: TrangThai": 1})
	if rep.StepsNote != "" {
		t.Errorf("steps note %q, want none: the steps were read", rep.StepsNote)
	}

	r := rep.Report
	if len(r.Rows) != 1 {
		t.Fatalf("%d rows, want one for the unit: %+v", len(r.Rows), r.Rows)
	}
	row := r.Rows[0]
	if row.Key != "000.00.12.H29" || row.Answers != 14 || row.Forms != 5 || row.Dossiers != 3 || row.Levels != [5]int{1, 1, 1, 1, 1} {
		t.Errorf("row %q: answers %d, forms %d, dossiers %d, levels %v; want 000.00.12.H29, 14, 5, 3, [1 1 1 1 1]",
			row.Key, row.Answers, row.Forms, row.Dossiers, row.Levels)
	}
	if got, want := means(row), []int64{100, 133, 100, 167, 133, 100, 167, 100, 67}; !slices.Equal(got, want) {
		t.Errorf("indicator means %v, want %v", got, want)
	}
	if row.Total != 1067 || !row.Complete || row.Band != "Khá" {
		t.Errorf("total %s, complete %v, band %q; want 10.67, complete, Khá", row.Total, row.Complete, row.Band)
	}
	if a := r.Answers; a.Read != 14 || a.Used != 14 || a.Outside != 0 || a.NotUsedTotal() != 0 {
		t.Errorf("report answers %+v, want 14 read and used", a)
	}
	if d := r.Dossiers; d.Read != 5 || d.Used != 3 || d.Outside != 1 || !maps.Equal(d.NotUsed, map[ratings.Reason]int{ratings.ReasonNotResolved: 1}) {
		t.Errorf("report dossiers %+v, want 5 read, 3 used, 1 outside (D7), 1 not resolved (D4)", d)
	}
}

// By procedure the answers and dossiers split by MaTTHC; answers without
// one form the row "-".
func TestComputeRatingsByProcedure(t *testing.T) {
	yaml, dir := ratingsFixture(t)
	cfg := loadRatingsConfig(t, yaml, dir)
	rep, err := app.ComputeRatings(context.Background(), cfg, october(t), ratings.ByProcedure, ratingsOptions(cfg))
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		key               string
		answers, dossiers int
		levels            [5]int
		means             []int64
		total             ratings.Hundredths
		complete          bool
		band              string
	}
	wants := []want{
		{"", 2, 0, [5]int{0, 0, 1, 0, 1}, []int64{-1, -1, -1, -1, -1, -1, -1, -1, -1}, 0, false, ""},
		{"1.001", 8, 2, [5]int{1, 1, 0, 0, 0}, []int64{150, 150, 150, 150, 200, 150, 200, 150, 100}, 1400, true, "Tốt"},
		{"2.002", 4, 1, [5]int{0, 0, 0, 1, 0}, []int64{0, 100, 0, 200, 0, 0, 100, 0, 0}, 400, true, "Yếu"},
	}
	if len(rep.Report.Rows) != len(wants) {
		t.Fatalf("%d rows, want %d: %+v", len(rep.Report.Rows), len(wants), rep.Report.Rows)
	}
	for i, w := range wants {
		row := rep.Report.Rows[i]
		got := want{row.Key, row.Answers, row.Dossiers, row.Levels, means(row), row.Total, row.Complete, row.Band}
		if fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("row %d:\n got %v\nwant %v", i, got, w)
		}
	}
}

// The October summary: one item per question of ratings.questions, the
// overall levels counted, the indicator answers reported as not counted.
func TestComputeRatingsSummary(t *testing.T) {
	yaml, dir := ratingsFixture(t)
	cfg := loadRatingsConfig(t, yaml, dir)
	sum, err := app.ComputeRatingsSummary(context.Background(), cfg, october(t), ratingsOptions(cfg))
	if err != nil {
		t.Fatal(err)
	}
	checkRead(t, "answers", sum.Answers, 17, 14, map[string]int{app.ReasonDuplicateIdentity: 1, "mapping: MaCanBo": 1, "mapping: MaTieuChi": 1})
	if a := sum.Result.Answers; a.Read != 14 || a.Used != 5 || !maps.Equal(a.NotUsed, map[ratings.Reason]int{ratings.ReasonScoreAnswer: 9}) {
		t.Errorf("summary answers %+v, want 14 read, 5 used, 9 indicator answers", a)
	}
	items, err := app.SummaryItems(sum.Result)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"NgayTongHop":"10-2026","TongSoNguoiDanhGia":5,"PhanTramDanhGiaRatHaiLong":"20%","PhanTramDanhGiaHaiLong":"20%","PhanTramDanhGiaChuaHaiLong":"60%",` +
			`"PhanTramDanhGiaDichVuRatHaiLong":"20%","PhanTramDanhGiaDichVuHaiLong":"20%","PhanTramDanhGiaDichVuChuaHaiLong":"60%","DanhSachNoiDungYKien":"","MaThuTuc":"",` +
			`"NoiDung":"Ông/bà hài lòng thế nào với việc giải quyết hồ sơ?","Madonvi":"000.00.12.H29","TenDonVi":"UBND phường Sài Gòn"}`,
		`{"NgayTongHop":"10-2026","TongSoNguoiDanhGia":0,"PhanTramDanhGiaRatHaiLong":"0%","PhanTramDanhGiaHaiLong":"0%","PhanTramDanhGiaChuaHaiLong":"0%",` +
			`"PhanTramDanhGiaDichVuRatHaiLong":"0%","PhanTramDanhGiaDichVuHaiLong":"0%","PhanTramDanhGiaDichVuChuaHaiLong":"0%","DanhSachNoiDungYKien":"","MaThuTuc":"",` +
			`"NoiDung":"Ông/bà hài lòng thế nào với thái độ của cán bộ?","Madonvi":"000.00.12.H29","TenDonVi":"UBND phường Sài Gòn"}`,
	}
	if len(items) != len(want) {
		t.Fatalf("%d items, want %d", len(items), len(want))
	}
	for i := range want {
		if string(items[i]) != want[i] {
			t.Errorf("item %d:\n got %s\nwant %s", i, items[i], want[i])
		}
	}
	if _, err := app.ComputeRatingsSummary(context.Background(), cfg, stats.QuarterPeriod(2026, 4, october(t).Start.Location()), ratingsOptions(cfg)); err == nil ||
		!strings.Contains(err.Error(), "not a month") {
		t.Errorf("a quarter's summary: %v, want an error saying the summary is monthly", err)
	}
}

// Without steps the report is still made, and says why indicators 2, 3
// and 4 are missing: no steps stream, or one its source cannot read by
// period. A rating stream the source cannot read by period is an error
// naming it.
func TestComputeRatingsWithoutSteps(t *testing.T) {
	yaml, dir := ratingsFixture(t)
	const stepsPeriod = "      statistics: {received: thoi_diem, finished: thoi_diem}\n"
	cases := []struct {
		name, yaml, note string
	}{
		{"no steps stream", strings.Replace(yaml, "ratings:\n", "ratings:\n  steps_stream: \"\"\n", 1), "ratings.steps_stream is empty"},
		{"steps not readable by period", strings.Replace(yaml, stepsPeriod, "", 1), `ratings.steps_stream "qua_trinh_xu_ly": nguồn không đọc được luồng này theo kỳ / the source cannot read this stream by period`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.yaml == yaml {
				t.Fatal("the fixture's configuration did not change")
			}
			cfg := loadRatingsConfig(t, tc.yaml, dir)
			rep, err := app.ComputeRatings(context.Background(), cfg, october(t), ratings.ByUnit, ratingsOptions(cfg))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(rep.StepsNote, tc.note) {
				t.Errorf("steps note %q, want it to contain %q", rep.StepsNote, tc.note)
			}
			row := rep.Report.Rows[0]
			if got := row.Missing(); !slices.Equal(got, []ratings.Indicator{ratings.UnitTime, ratings.Contacts, ratings.Agencies}) || row.Complete || row.Band != "" {
				t.Errorf("missing %v, complete %v, band %q; want indicators 2, 3, 4 missing and no rank", got, row.Complete, row.Band)
			}
			// The others are those of the full report.
			if got, want := means(row), []int64{100, -1, -1, -1, 133, 100, 167, 100, 67}; !slices.Equal(got, want) {
				t.Errorf("indicator means %v, want %v", got, want)
			}
		})
	}

	const ratingsPeriod = "        statistics: {received: thoi_diem, finished: thoi_diem}\n"
	cfg := loadRatingsConfig(t, strings.Replace(yaml, ratingsPeriod, "", 1), dir)
	_, err := app.ComputeRatingsSummary(context.Background(), cfg, october(t), ratingsOptions(cfg))
	if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), `ratings.stream "danh_gia": nguồn không đọc được luồng này theo kỳ / the source cannot read this stream by period`) {
		t.Errorf("a rating stream without period columns: %v; want a bilingual error naming ratings.stream", err)
	}
}

// Streams that are missing or build the wrong packet are refused before
// anything is read, all of them at once.
func TestComputeRatingsRefusesWrongStreams(t *testing.T) {
	yaml, dir := ratingsFixture(t)
	cfg := loadRatingsConfig(t, yaml, dir)
	o := ratingsOptions(cfg)
	o.Ratings.Stream, o.Ratings.DossierStream, o.Ratings.StepsStream = "ho_so", "qua_trinh_xu_ly", "buoc"
	_, err := app.ComputeRatings(context.Background(), cfg, october(t), ratings.ByUnit, o)
	for _, want := range []string{
		`ratings.stream "ho_so": cần luồng ánh xạ thành DanhGia / must be a stream whose mapping builds DanhGia (mapping.streams.ho_so.packet: DanhGia)`,
		`ratings.dossier_stream "qua_trinh_xu_ly": cần luồng ánh xạ thành HoSo`,
		`ratings.steps_stream "buoc": luồng không có trong mapping.streams / stream is not in mapping.streams`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}

// The summary travels to the portal in one DongBoDanhGia call and the
// portal holds exactly the computed items; without dvcqg nothing is sent.
func TestSendRatingsSummary(t *testing.T) {
	yaml, dir := ratingsFixture(t)
	cfg := loadRatingsConfig(t, yaml, dir)
	if _, err := app.NewRatingsSender(context.Background(), cfg, nil); !errors.Is(err, app.ErrRatingsSenderNotConfigured) {
		t.Fatalf("without dvcqg: %v, want ErrRatingsSenderNotConfigured", err)
	}

	sb, err := sandbox.New(sandbox.Options{ClientID: "lgsp-connector-test", ClientSecret: "not-a-secret"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	portal := strings.Replace(yaml, `base_url: "http://127.0.0.1:1"`, `base_url: "`+srv.URL+`"`, 1) + fmt.Sprintf(`
dvcqg:
  enabled: true
  username: %q
  password: %q
`, sandbox.DefaultPortalUsername, sandbox.DefaultPortalPassword)
	cfg = loadRatingsConfig(t, portal, dir)
	sum, err := app.ComputeRatingsSummary(context.Background(), cfg, october(t), ratingsOptions(cfg))
	if err != nil {
		t.Fatal(err)
	}
	sender, err := app.NewRatingsSender(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sender.SendRatings(context.Background(), sum.Result); err != nil {
		t.Fatal(err)
	}
	got, ok := sb.PortalRatings("000.00.12.H29", 2026, 10)
	want, _ := app.SummaryItems(sum.Result)
	if !ok || len(got) != len(want) {
		t.Fatalf("the portal holds %d items for October (%v), want %d", len(got), ok, len(want))
	}
	for i := range want {
		var g, w map[string]any
		if json.Unmarshal(got[i], &g) != nil || json.Unmarshal(want[i], &w) != nil || fmt.Sprint(g) != fmt.Sprint(w) {
			t.Errorf("item %d: portal holds %s, computed %s", i, got[i], want[i])
		}
	}
	if n := sb.Stats().DVCQG.Calls["DongBoDanhGia"]; n != 1 {
		t.Errorf("%d DongBoDanhGia calls, want 1", n)
	}
}

// config.example.yaml's ratings: example, once uncommented, decodes; on
// its own it lacks only what it says it needs: the portal, and the
// answers' stream from the sources: example with its mapping.
func TestExampleConfigRatings(t *testing.T) {
	root := filepath.Join("..", "..")
	data, err := os.ReadFile(filepath.Join(root, "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	start := slices.Index(lines, "# ratings:")
	if start < 0 {
		t.Fatal("config.example.yaml has no commented \"# ratings:\" example")
	}
	n := 0
	for i := start; i < len(lines) && strings.HasPrefix(lines[i], "# "); i++ {
		lines[i] = strings.TrimPrefix(lines[i], "# ")
		n++
	}
	if n < 10 {
		t.Fatalf("the ratings: example is only %d lines", n)
	}
	t.Setenv("LGSP_LGSP_CLIENT_SECRET", "from-the-environment")
	_, err = config.LoadBytes([]byte(strings.Join(lines, "\n")), root, config.LoadOptions{SkipFileChecks: true})
	var invalid *config.ValidationErrors
	if !errors.As(err, &invalid) {
		t.Fatalf("want the two problems of an example on its own, got %v", err)
	}
	var got []string
	for _, p := range invalid.Problems {
		got = append(got, p.Path)
	}
	if !slices.Equal(got, []string{"ratings.enabled", "ratings.stream"}) {
		t.Errorf("problems %v, want ratings.enabled (needs dvcqg) and ratings.stream (not mapped):\n%v", got, err)
	}
}
