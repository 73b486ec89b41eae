package app_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	isodientu "github.com/hcmc-lgsp/lgsp-connector/connectors/iso-dientu"
	"github.com/hcmc-lgsp/lgsp-connector/internal/app"
	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/internal/demo"
	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sampledata"
	"github.com/hcmc-lgsp/lgsp-connector/internal/testdb"
	"github.com/hcmc-lgsp/lgsp-connector/signing"
	"github.com/hcmc-lgsp/lgsp-connector/stats"

	_ "modernc.org/sqlite"
)

// surveyRows are the kiosk's answers in the second database:
// id, dossier code, officer, comment, answered at.
var surveyRows = [][]any{
	{1, "000.00.12.H29-260302-0001", "Nguyễn Văn An", "Hài lòng", "2026-03-02 09:15:00"},
	{2, "000.00.12.H29-260302-0002", "Trần Thị Bình", "Rất hài lòng", "2026-03-02 10:40:00"},
	{3, "000.00.12.H29-260303-0007", "Nguyễn Văn An", "Chờ lâu", "2026-03-03 14:05:00"},
}

// surveyDB is the survey kiosk vendor's MariaDB database, apart from the
// one-stop software's: a table of answers with its own cursor columns.
func surveyDB(t *testing.T) string {
	t.Helper()
	dsn, db := testdb.MariaDB(t)
	ctx := context.Background()
	for _, stmt := range []string{
		`CREATE TABLE phieu_khao_sat (
			id INT PRIMARY KEY, so_ho_so VARCHAR(40) NOT NULL, can_bo VARCHAR(100) NOT NULL,
			y_kien VARCHAR(400), thoi_diem DATETIME NOT NULL, ngay_cap_nhat DATETIME NOT NULL)`,
		`CREATE INDEX ix_phieu_cap_nhat ON phieu_khao_sat (ngay_cap_nhat, id)`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range surveyRows {
		if _, err := db.ExecContext(ctx, `INSERT INTO phieu_khao_sat VALUES (?, ?, ?, ?, ?, ?)`, r[0], r[1], r[2], r[3], r[4], r[4]); err != nil {
			t.Fatal(err)
		}
	}
	return dsn
}

// The second source's stream. It is mapped to TienDoXuLy so that this test
// depends on the source wiring alone, not on the rating packet.
const surveySources = `
sources:
  khao_sat:
    type: iso_dientu
    driver: mysql
    dsn: %q
    streams:
      khao_sat:
        query: SELECT id, so_ho_so, can_bo, y_kien, thoi_diem, ngay_cap_nhat FROM phieu_khao_sat
        cursor: {updated: ngay_cap_nhat, key: id, key_type: int}
        lag: 5s
`

const surveyMapping = `    khao_sat:
      packet: TienDoXuLy
      fields:
        MaHoSo: {column: so_ho_so, required: true}
        NguoiXuLy: {column: can_bo, required: true}
        NoiDungXuLy: y_kien
        TrangThai: {const: "4"}
        ThoiDiemXuLy: {column: thoi_diem, required: true}
`

// severalSourcesRig writes a unit's configuration reading dossiers and
// steps from the one-stop SQLite database (source:) and survey answers
// from the kiosk's MariaDB (sources.khao_sat), with a signing key. It
// returns the configuration with and without sources:.
func severalSourcesRig(t *testing.T) (multi, single *config.Config, gen sampledata.Stats) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	legacy := filepath.Join(dir, "legacy.db")
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(legacy))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := sampledata.CreateSchema(ctx, db, sampledata.SQLite); err != nil {
		t.Fatal(err)
	}
	if gen, err = sampledata.Generate(ctx, db, sampledata.SQLite, sampledata.Options{
		Seed: 11, Dossiers: 12, MaxStepsPerDossier: 2, Start: time.Date(2026, 8, 3, 7, 30, 0, 0, time.FixedZone("ICT", 7*3600)), Days: 20,
	}); err != nil {
		t.Fatal(err)
	}
	key, cert, err := signing.GenerateSelfSigned("multi-source unit", 24*time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := signing.EncodeKeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), signing.EncodeCertPEM(cert), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	base, err := demo.RenderConfig(demo.ConfigParams{
		Driver: "sqlite", LegacyDSN: "file:" + filepath.ToSlash(legacy) + "?mode=ro", LGSPURL: "http://127.0.0.1:1",
		ClientSecret: "x", CertFile: "cert.pem", KeyFile: "key.pem", StorePath: filepath.Join(dir, "outbox.db"),
	})
	if err != nil {
		t.Fatal(err)
	}
	base = withStatisticsColumns(t, base)
	load := func(yaml string) *config.Config {
		t.Helper()
		cfg, err := config.LoadBytes([]byte(yaml), dir, config.LoadOptions{IgnoreEnv: true})
		if err != nil {
			t.Fatalf("%v\n%s", err, yaml)
		}
		return cfg
	}
	single = load(string(base))

	const steps = "    qua_trinh_xu_ly:\n      packet: TienDoXuLy\n"
	y := string(base)
	if !strings.Contains(y, steps) {
		t.Fatalf("the demo configuration no longer has %q", steps)
	}
	y = strings.Replace(y, steps, surveyMapping+steps, 1)
	y += strings.Replace(surveySources, "%q", `"`+surveyDB(t)+`"`, 1)
	return load(y), single, gen
}

// TestSeveralSources: a connector with the one-stop database under
// source: and the survey kiosk's database under sources.khao_sat reads
// every stream of both into the outbox, and the doctor checks both,
// each check named after its source. With source: alone, the source is
// the connector itself, as before.
func TestSeveralSources(t *testing.T) {
	ctx := context.Background()
	cfg, single, gen := severalSourcesRig(t)

	a, err := app.Build(ctx, single, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, direct := a.Source.(*isodientu.Source); !direct {
		t.Errorf("with source: alone the source is %T, want the iso_dientu source itself", a.Source)
	}
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}

	a, err = app.Build(ctx, cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(ctx)
	if got, want := a.Source.Streams(), []string{"ho_so", "qua_trinh_xu_ly", "khao_sat"}; !slices.Equal(got, want) {
		t.Errorf("streams = %q, want %q (source:'s first, then sources.khao_sat's)", got, want)
	}
	st, err := a.Pipeline.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := gen.Dossiers + gen.Steps + len(surveyRows); st.Read != want || st.Queued != want {
		t.Errorf("poll read %d and queued %d, want %d each (%d dossiers + %d steps + %d answers)",
			st.Read, st.Queued, want, gen.Dossiers, gen.Steps, len(surveyRows))
	}
	count := func(stream string) []outbox.Entry {
		t.Helper()
		es, err := a.Store.Query(ctx, outbox.Filter{Stream: stream, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		return es
	}
	if n := len(count("ho_so")); n != gen.Dossiers {
		t.Errorf("outbox holds %d ho_so packets, want %d", n, gen.Dossiers)
	}
	var codes []string
	for _, e := range count("khao_sat") {
		codes = append(codes, e.MaHoSo)
	}
	slices.Sort(codes)
	want := []string{surveyRows[0][1].(string), surveyRows[1][1].(string), surveyRows[2][1].(string)}
	if !slices.Equal(codes, want) {
		t.Errorf("khao_sat packets are for %q, want the survey database's %q", codes, want)
	}
	for _, stream := range []string{"ho_so", "khao_sat"} {
		if raw, err := a.Store.Cursor(ctx, stream); err != nil || len(raw) == 0 {
			t.Errorf("stream %s: no cursor stored after the poll (%s, %v)", stream, raw, err)
		}
	}
	// A second poll finds nothing new in either database.
	if st, err := a.Pipeline.Poll(ctx); err != nil || st.Read != 0 {
		t.Errorf("second poll read %d (%v), want 0", st.Read, err)
	}

	// The doctor: every source's checks, named after it; none fails.
	var named []string
	for _, c := range app.Doctor(ctx, cfg, time.Now()) {
		for _, prefix := range []string{"source: ", "sources.khao_sat: "} {
			if strings.HasPrefix(c.Name, prefix) {
				named = append(named, prefix)
				if c.Status == app.Fail {
					t.Errorf("doctor: %s %s: %s (%s)", c.Status, c.Name, c.Detail, c.Hint)
				}
			}
		}
	}
	for _, prefix := range []string{"source: ", "sources.khao_sat: "} {
		if !slices.Contains(named, prefix) {
			t.Errorf("doctor ran no check named %q…", prefix)
		}
	}
}

// TestSeveralSourcesBuildError: a source that cannot be built names its
// section, in its own key paths.
func TestSeveralSourcesBuildError(t *testing.T) {
	cfg, _, _ := severalSourcesRig(t)
	ks := cfg.Sources["khao_sat"].Settings.(*isodientu.Config)
	ks.DSN = "kiosk:pw@tcp(127.0.0.1:3306)/survey?loc=Mars/Olympus"
	_, err := app.Build(context.Background(), cfg, app.Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "sources.khao_sat") || strings.Contains(err.Error(), "source.dsn") {
		t.Errorf("Build = %v; want an error starting with sources.khao_sat and not naming source.dsn", err)
	}
}

// TestExampleConfigSources: the commented sources: example of
// config.example.yaml, once uncommented, loads with its secret from the
// environment variable it names, and builds.
func TestExampleConfigSources(t *testing.T) {
	root := filepath.Join("..", "..")
	data, err := os.ReadFile(filepath.Join(root, "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	start := slices.Index(lines, "# sources:")
	if start < 0 {
		t.Fatal("config.example.yaml has no commented \"# sources:\" example")
	}
	n := 0
	for i := start; i < len(lines) && strings.HasPrefix(lines[i], "# "); i++ {
		lines[i] = strings.TrimPrefix(lines[i], "# ")
		n++
	}
	if n < 5 {
		t.Fatalf("the sources: example is only %d lines", n)
	}
	example := []byte(strings.Join(lines, "\n"))

	t.Setenv("LGSP_LGSP_CLIENT_SECRET", "from-the-environment")
	_, err = config.LoadBytes(example, root, config.LoadOptions{SkipFileChecks: true})
	if err == nil || !strings.Contains(err.Error(), "sources.khao_sat.dsn: is required") || !strings.Contains(err.Error(), "LGSP_SOURCES_KHAO_SAT_DSN") {
		t.Fatalf("without its DSN, want sources.khao_sat.dsn required, pointing to LGSP_SOURCES_KHAO_SAT_DSN; got %v", err)
	}
	t.Setenv("LGSP_SOURCES_KHAO_SAT_DSN", "kiosk_reader:pw@tcp(10.0.0.9:3306)/khaosat?charset=utf8mb4")
	cfg, err := config.LoadBytes(example, root, config.LoadOptions{SkipFileChecks: true})
	if err != nil {
		t.Fatalf("the uncommented sources: example: %v", err)
	}
	if ns, ok := cfg.StreamSource("danh_gia"); !ok || ns.Path != "sources.khao_sat" {
		t.Errorf("stream danh_gia is served by %q, want sources.khao_sat", ns.Path)
	}
	checkBuilds(t, cfg)
}

// TestSeveralSourcesStatistics: the monthly statistics read their stream
// through the source that serves it, and come out as with source: alone.
func TestSeveralSourcesStatistics(t *testing.T) {
	ctx := context.Background()
	cfg, single, gen := severalSourcesRig(t)
	zone, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	p := stats.MonthPeriod(2026, time.August, zone)
	alone, err := app.ComputeStats(ctx, single, p, app.StatsOptions{Statistics: app.StatisticsConfig(single), Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	both, err := app.ComputeStats(ctx, cfg, p, app.StatsOptions{Statistics: app.StatisticsConfig(cfg), Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	if alone.Result.Read != gen.Dossiers {
		t.Errorf("August read %d dossiers, want all %d (received 3–22 August)", alone.Result.Read, gen.Dossiers)
	}
	if both.Result.Read != alone.Result.Read || both.Result.Figures != alone.Result.Figures {
		t.Errorf("with sources: read %d, figures %+v; with source: alone read %d, figures %+v",
			both.Result.Read, both.Result.Figures, alone.Result.Read, alone.Result.Figures)
	}
	if both.Plan == "" || both.Plan != alone.Plan {
		t.Errorf("query plan with sources: %q, alone %q; want the same, not empty", both.Plan, alone.Plan)
	}
}
