package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/scheduler"
	"github.com/hcmc-lgsp/lgsp-connector/stats"
)

// fixtureDir is the ratings fixture shared with internal/app's tests: two
// SQLite scripts and a configuration whose October 2026 figures are worked
// out by hand in its comments.
var fixtureDir = filepath.Join("..", "..", "internal", "app", "testdata", "ratings")

// ratingsFixture writes the fixture's databases, a signing key and its
// configuration with extra appended; it returns the configuration file.
func ratingsFixture(t *testing.T, edit func(string) string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"onestop", "survey"} {
		script, err := os.ReadFile(filepath.Join(fixtureDir, name+".sql"))
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
				t.Fatalf("%s.sql: %v", name, err)
			}
		}
		db.Close()
	}
	raw, err := os.ReadFile(filepath.Join(fixtureDir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	kp := newKeyPair(t, dir, "signing", 24*time.Hour, time.Now())
	yaml := strings.NewReplacer(
		"$ONESTOP", filepath.ToSlash(filepath.Join(dir, "onestop.db")),
		"$SURVEY", filepath.ToSlash(filepath.Join(dir, "survey.db")),
		"$STORE", filepath.ToSlash(filepath.Join(dir, "outbox.db")),
		"$CERT", filepath.ToSlash(kp.certFile), "$KEY", filepath.ToSlash(kp.keyFile),
	).Replace(string(raw))
	if edit != nil {
		yaml = edit(yaml)
	}
	path := filepath.Join(dir, "lgsp.yaml")
	writeFile(t, path, []byte(yaml))
	return path
}

// The October report by unit, as people read it: the one row worked out
// by hand, then what each stream handed over.
func TestRatingsReportTable(t *testing.T) {
	path := ratingsFixture(t, nil)
	r := mustExecute(t, "ratings", "report", "--config", path, "--month", "2026-10")
	for _, want := range []string{
		"kỳ / period 2026-10, theo / by đơn vị / unit (MaDonVi)",
		"Từ / From 2026-10-01 00:00 đến trước / to before 2026-11-01 00:00",
		"000.00.12.H29      5      3  1 (20.00%)  1 (20.00%)  1 (20.00%)  1 (20.00%)  1 (20.00%)  1.00  1.33  1.00  1.67  1.33  1.00  1.67  1.00  0.67  10.67  Khá",
		"Hồ sơ / Dossiers: đã đọc / read 5; dùng / used 3; ngoài kỳ / outside the period 1; không dùng / not used 1",
		"Luồng / stream danh_gia (phiếu / answers): đọc / read 17; dùng / used 14; không dùng / not used 3",
		"       1  bản gửi lại, trùng định danh / re-sent copy (same identity)",
		"       1  ánh xạ từ chối trường MaCanBo (sẽ bị cách ly) / the mapping refuses field MaCanBo (quarantined when sent)",
		"Luồng / stream ho_so (hồ sơ / dossiers): đọc / read 6; dùng / used 5; không dùng / not used 1",
		"Luồng / stream qua_trinh_xu_ly (bước xử lý / steps): đọc / read 12; dùng / used 10; không dùng / not used 2",
		"       1  bước của hồ sơ không được chấm trong kỳ / step of a dossier not scored in the period",
		"Thời gian tính / computed in",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "provisional") || strings.Contains(r.stdout, "WARNING") {
		t.Errorf("a past month with steps is neither provisional nor missing indicators:\n%s", r.stdout)
	}
}

// By procedure as CSV: exactly the three rows worked out by hand, and
// nothing but CSV on stdout.
func TestRatingsReportCSV(t *testing.T) {
	path := ratingsFixture(t, nil)
	r := mustExecute(t, "ratings", "report", "--config", path, "--month", "2026-10", "--by", "procedure", "--format", "csv")
	want := strings.Join([]string{
		"group_by,period,key,answers,forms,dossiers,level_1,level_2,level_3,level_4,level_5,level_1_percent,level_2_percent,level_3_percent,level_4_percent,level_5_percent," +
			"indicator_1,indicator_2,indicator_3,indicator_4,indicator_5,indicator_6,indicator_7,indicator_8,indicator_9," +
			"indicator_1_n,indicator_2_n,indicator_3_n,indicator_4_n,indicator_5_n,indicator_6_n,indicator_7_n,indicator_8_n,indicator_9_n,total,complete,band",
		"procedure,2026-10,,2,2,0,0,0,1,0,1,0.00,0.00,50.00,0.00,50.00,,,,,,,,,,0,0,0,0,0,0,0,0,0,0.00,false,",
		"procedure,2026-10,1.001,8,2,2,1,1,0,0,0,50.00,50.00,0.00,0.00,0.00,1.50,1.50,1.50,1.50,2.00,1.50,2.00,1.50,1.00,2,2,2,2,2,2,2,2,2,14.00,true,Tốt",
		"procedure,2026-10,2.002,4,1,1,0,0,0,1,0,0.00,0.00,0.00,100.00,0.00,0.00,1.00,0.00,2.00,0.00,0.00,1.00,0.00,0.00,1,1,1,1,1,1,1,1,1,4.00,true,Yếu",
	}, "\n") + "\n"
	if r.stdout != want {
		t.Errorf("csv:\n%s\nwant:\n%s", r.stdout, want)
	}
	if !strings.Contains(r.stderr, "Luồng / stream danh_gia") {
		t.Errorf("the streams' accounting is not on stderr:\n%s", r.stderr)
	}
}

// By officer as JSON: officers' rows hold only what citizens said about
// them; dossiers are not attributed.
func TestRatingsReportJSON(t *testing.T) {
	path := ratingsFixture(t, nil)
	r := mustExecute(t, "ratings", "report", "--config", path, "--month", "2026-10", "--by", "officer", "--format", "json")
	var out struct {
		Report struct {
			Period  string `json:"period"`
			GroupBy string `json:"group_by"`
			Rows    []struct {
				Key        string `json:"key"`
				Answers    int    `json:"answers"`
				Forms      int    `json:"forms"`
				Dossiers   int    `json:"dossiers"`
				Levels     [5]int `json:"levels"`
				Indicators []struct {
					Indicator int      `json:"indicator"`
					N         int      `json:"n"`
					Average   *float64 `json:"average"`
				} `json:"indicators"`
				Total    float64 `json:"total"`
				Complete bool    `json:"complete"`
				Band     string  `json:"band"`
			} `json:"rows"`
			Dossiers struct {
				NotUsed map[string]int `json:"not_used"`
			} `json:"dossiers"`
		} `json:"report"`
		Answers struct {
			Read    int            `json:"read"`
			NotUsed map[string]int `json:"not_used"`
		} `json:"answers"`
		Steps       struct{ Read int } `json:"steps"`
		Provisional bool               `json:"provisional"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	rep := out.Report
	if rep.Period != "2026-10" || rep.GroupBy != "officer" || out.Provisional || out.Answers.Read != 17 || out.Answers.NotUsed["duplicate_identity"] != 1 {
		t.Errorf("head: %+v", out)
	}
	type row struct {
		key                      string
		answers, forms, dossiers int
		levels                   [5]int
		cs6, cs7, cs8, total     float64
	}
	want := []row{
		{"CB.001", 9, 3, 0, [5]int{1, 0, 0, 1, 1}, 1.00, 1.50, 0.50, 3.00},
		{"CB.002", 5, 2, 0, [5]int{0, 1, 1, 0, 0}, 1.00, 2.00, 2.00, 5.00},
	}
	if len(rep.Rows) != len(want) {
		t.Fatalf("%d rows, want %d: %s", len(rep.Rows), len(want), r.stdout)
	}
	for i, w := range want {
		g := rep.Rows[i]
		avg := func(k int) float64 {
			if a := g.Indicators[k-1].Average; a != nil {
				return *a
			}
			return -1
		}
		got := row{g.Key, g.Answers, g.Forms, g.Dossiers, g.Levels, avg(6), avg(7), avg(8), g.Total}
		if got != w {
			t.Errorf("row %d: %+v, want %+v", i, got, w)
		}
		if g.Complete || g.Band != "" || g.Indicators[0].Average != nil {
			t.Errorf("row %s: complete %v, band %q, CS1 %v; an officer's row is never complete", g.Key, g.Complete, g.Band, g.Indicators[0].Average)
		}
	}
	if rep.Dossiers.NotUsed["no_officer"] != 3 {
		t.Errorf("dossiers not used %v: want the 3 scored dossiers as no_officer", rep.Dossiers.NotUsed)
	}
}

// The summary prints each question's item and the data for the portal;
// without dvcqg, --send fails after printing and never claims to send.
func TestRatingsSummaryNotConfigured(t *testing.T) {
	path := ratingsFixture(t, nil)
	r := execute(context.Background(), "ratings", "summary", "--config", path, "--month", "2026-10", "--send")
	if r.code() != 1 || r.err == nil || !strings.Contains(r.err.Error(), "không gửi / not sent") || !strings.Contains(r.err.Error(), "is not configured") {
		t.Fatalf("summary --send without dvcqg: exit %d, %v; want exit 1 saying sending is not configured", r.code(), r.err)
	}
	for _, want := range []string{
		"TC00       5                       20%           20%       60%            Ông/bà hài lòng thế nào với việc giải quyết hồ sơ?",
		"TC01       0                       0%            0%        0%             Ông/bà hài lòng thế nào với thái độ của cán bộ?",
		"Phiếu / Answers: đã đọc / read 14; dùng / used 5; ngoài kỳ / outside the period 0; không dùng / not used 9",
		"       9  điểm chỉ số, không phải mức độ hài lòng / indicator points, not a level",
		`  {"NgayTongHop":"10-2026","TongSoNguoiDanhGia":5,"PhanTramDanhGiaRatHaiLong":"20%"`,
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stderr, "đã gửi") || strings.Contains(r.stderr, "sent ") {
		t.Errorf("summary --send claims to have sent:\n%s", r.stderr)
	}
	// A month that has not ended is never sent.
	r = execute(context.Background(), "ratings", "summary", "--config", path, "--month", "2099-01", "--send")
	if r.err == nil || !strings.Contains(r.err.Error(), "has not ended") {
		t.Errorf("summary --send for a month not over: %v", r.err)
	}
}

// portalFixture is the fixture configured for a sandbox's portal.
func portalFixture(t *testing.T, enabled bool) (path string, sb *sandbox.Server) {
	t.Helper()
	sb, err := sandbox.New(sandbox.Options{ClientID: "lgsp-connector-test", ClientSecret: "not-a-secret"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	path = ratingsFixture(t, func(y string) string {
		y = strings.Replace(y, `base_url: "http://127.0.0.1:1"`, `base_url: "`+srv.URL+`"`, 1)
		y = strings.Replace(y, "ratings:\n", fmt.Sprintf("ratings:\n  enabled: %v\n", enabled), 1)
		return y + fmt.Sprintf("\ndvcqg:\n  enabled: true\n  username: %q\n  password: %q\n", sandbox.DefaultPortalUsername, sandbox.DefaultPortalPassword)
	})
	return path, sb
}

func TestRatingsSummarySend(t *testing.T) {
	path, sb := portalFixture(t, false)
	r := mustExecute(t, "ratings", "summary", "--config", path, "--month", "2026-10", "--send", "--format", "json")
	var out struct {
		Period    string            `json:"period"`
		Items     []json.RawMessage `json:"items"`
		Questions []string          `json:"questions"`
		Used      int               `json:"used"`
		NotUsed   map[string]int    `json:"not_used"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	if out.Period != "2026-10" || len(out.Items) != 2 || strings.Join(out.Questions, ",") != "TC00,TC01" || out.Used != 5 || out.NotUsed["score_answer"] != 9 {
		t.Errorf("json: %s", r.stdout)
	}
	if !strings.Contains(r.stderr, "đã gửi / sent DongBoDanhGia 2026-10: 2 mục / items") {
		t.Errorf("stderr lacks the sent line:\n%s", r.stderr)
	}
	got, ok := sb.PortalRatings("000.00.12.H29", 2026, 10)
	if !ok || len(got) != 2 {
		t.Fatalf("the portal holds %d items for October (%v), want 2", len(got), ok)
	}
	for i := range got {
		if !jsonEqual(t, got[i], out.Items[i]) {
			t.Errorf("item %d: portal holds %s, printed %s", i, got[i], out.Items[i])
		}
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(x) == fmt.Sprint(y)
}

func TestRatingsBadFlags(t *testing.T) {
	path := ratingsFixture(t, nil)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"report", "--month", "2026-13"}, "the month must be 01 to 12"},
		{[]string{"report", "--month", "2026-Q3"}, "want a month written YYYY-MM"},
		{[]string{"report", "--quarter", "2026-10"}, "want a quarter written YYYY-Qn"},
		{[]string{"report", "--month", "2026-10", "--quarter", "2026-Q4"}, "choose one of --month and --quarter"},
		{[]string{"report", "--month", "2026-10", "--by", "ward"}, "--by"},
		{[]string{"report", "--month", "2026-10", "--format", "xml"}, "use table, csv or json"},
		{[]string{"summary", "--month", "2026-10", "--format", "csv"}, "use table or json"},
		{[]string{"summary", "--quarter", "2026-Q4"}, "unknown flag: --quarter"},
	}
	for _, tc := range tests {
		args := append([]string{"ratings", tc.args[0], "--config", path}, tc.args[1:]...)
		r := execute(context.Background(), args...)
		if r.err == nil || !strings.Contains(r.err.Error(), tc.want) {
			t.Errorf("lgsp-connector %s: %v, want an error mentioning %q", strings.Join(args, " "), r.err, tc.want)
		}
	}
}

// The monthly job, as `run` registers it: on ratings.schedule it sends
// the previous month's summary; it is not registered while ratings is off.
func TestRatingsJob(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	zone, err := time.LoadLocation(stats.DefaultZone)
	if err != nil {
		t.Fatal(err)
	}
	path, sb := portalFixture(t, true)
	cfg, err := config.Load(path, config.LoadOptions{IgnoreEnv: true})
	if err != nil {
		t.Fatal(err)
	}
	sch := scheduler.New(scheduler.Options{Location: zone})
	t.Cleanup(func() { _ = sch.Stop(ctx) })
	// Early on 1 November: the month before is October.
	now := func() time.Time { return time.Date(2026, 11, 1, 3, 0, 0, 0, zone) }
	if err := addRatingsJob(ctx, sch, cfg, nil, log, now); err != nil {
		t.Fatal(err)
	}
	next, err := sch.Next("ratings", now())
	if want := time.Date(2026, 12, 1, 3, 0, 0, 0, zone); err != nil || !next.Equal(want) {
		t.Errorf("next run %s (%v), want %s: 03:00 on the 1st", next, err, want)
	}
	if err := sch.RunNow("ratings"); err != nil {
		t.Fatal(err)
	}
	got, ok := sb.PortalRatings("000.00.12.H29", 2026, 10)
	if !ok || len(got) != 2 || !strings.Contains(string(got[0]), `"TongSoNguoiDanhGia":5`) {
		t.Errorf("after the job the portal holds %s (%v); want October's two items", got, ok)
	}

	off, _ := portalFixture(t, false)
	cfg, err = config.Load(off, config.LoadOptions{IgnoreEnv: true})
	if err != nil {
		t.Fatal(err)
	}
	quiet := scheduler.New(scheduler.Options{Location: zone})
	t.Cleanup(func() { _ = quiet.Stop(ctx) })
	if err := addRatingsJob(ctx, quiet, cfg, nil, log, now); err != nil || len(quiet.Jobs()) != 0 {
		t.Errorf("ratings off: %v, jobs %v; want no job", err, quiet.Jobs())
	}
}
