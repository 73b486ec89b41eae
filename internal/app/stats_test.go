package app_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	"github.com/hcmc-lgsp/lgsp-connector/internal/app"
	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/internal/demo"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sampledata"
	"github.com/hcmc-lgsp/lgsp-connector/mapping"
	"github.com/hcmc-lgsp/lgsp-connector/packets"
	"github.com/hcmc-lgsp/lgsp-connector/stats"

	_ "modernc.org/sqlite"
)

// withStatisticsColumns adds the statistics columns to the demo
// configuration's ho_so stream (the first cursor line is ho_so's).
func withStatisticsColumns(t *testing.T, yaml []byte) []byte {
	t.Helper()
	const cursor = "      cursor: {updated: ngay_cap_nhat, key: id, key_type: int}\n"
	s := string(yaml)
	if !strings.Contains(s, cursor) {
		t.Fatalf("the demo configuration no longer has the line %q", cursor)
	}
	return []byte(strings.Replace(s, cursor, cursor+"      statistics: {received: ngay_nhan, finished: ngay_ket_thuc}\n", 1))
}

// statsRig is a SQLite sample database of 900 good and 30 bad dossiers
// received from August to October 2026, and the demo configuration on it.
func statsRig(t *testing.T) (*config.Config, sampledata.Stats) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "legacy.db")
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := sampledata.CreateSchema(ctx, db, sampledata.SQLite); err != nil {
		t.Fatal(err)
	}
	gen, err := sampledata.Generate(ctx, db, sampledata.SQLite, sampledata.Options{
		Seed: 5, Dossiers: 900, BadRows: 30, MaxStepsPerDossier: 4,
		Start: time.Date(2026, 8, 1, 7, 30, 0, 0, time.FixedZone("ICT", 7*3600)), Days: 92,
	})
	if err != nil {
		t.Fatal(err)
	}
	yaml, err := demo.RenderConfig(demo.ConfigParams{
		Driver: "sqlite", LegacyDSN: "file:" + filepath.ToSlash(path) + "?mode=ro", LGSPURL: "http://127.0.0.1:1",
		ClientSecret: "x", CertFile: "cert.pem", KeyFile: "key.pem", StorePath: filepath.Join(dir, "outbox.db"),
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadBytes(withStatisticsColumns(t, yaml), dir, config.LoadOptions{IgnoreEnv: true, SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	return cfg, gen
}

// allDossiers reads the whole ho_so stream the ordinary way (cursor from
// the start, no period filter) and maps the six fields the statistics read
// (docs/statistics.md); what the mapping rejects is left out.
func allDossiers(t *testing.T, cfg *config.Config) []*packets.Dossier {
	t.Helper()
	ctx := context.Background()
	factory, _ := connectors.Lookup(cfg.Source.Type)
	src, err := factory.CreateSource(connectors.Settings{Now: func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }}, cfg.Source.Settings)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer src.Shutdown(ctx)
	m := cfg.Mapping
	sm := m.Streams["ho_so"]
	fields := map[string]mapping.FieldMapping{}
	for _, f := range []string{"MaHoSo", "TrangThaiHoSo", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra"} {
		fields[f] = sm.Fields[f]
	}
	sm.Fields, sm.Lists = fields, nil
	m.Streams = map[string]mapping.StreamMapping{"ho_so": sm}
	mapper, err := mapping.New(m, mapping.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out []*packets.Dossier
	for after := (connectors.Cursor{}); ; {
		b, err := src.Read(ctx, "ho_so", after, 500)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range b.Records {
			if p, _, err := mapper.Map("ho_so", r.Key, r.Values); err == nil {
				out = append(out, p.Dossier)
			}
		}
		after = b.Next
		if !b.More {
			return out
		}
	}
}

// The figures computed from the period read (three index ranges) are the
// figures computed from every dossier of the database: the period read
// leaves out only dossiers that count nowhere. Consecutive months fit:
// what August leaves pending, September carries over.
func TestComputeStatsEqualsFullRead(t *testing.T) {
	cfg, gen := statsRig(t)
	everything := allDossiers(t, cfg)
	// Of the 7 kinds of bad rows, only a bad receipt date, an unknown
	// status and a missing MaHoSo touch what the statistics read; the
	// others (name encoding, channel, applicant type, summary) still count.
	wantMapped := gen.Dossiers
	for _, field := range gen.BadReasons {
		if !slices.Contains([]string{"NgayTiepNhan", "TrangThaiHoSo", "MaHoSo"}, field) {
			wantMapped++
		}
	}
	if len(everything) != wantMapped {
		t.Fatalf("the full read mapped %d dossiers, want %d (%d good, %d bad)", len(everything), wantMapped, gen.Dossiers, gen.BadDossiers)
	}
	zone, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	var prevPending = -1
	sawMappingSkip := false
	for _, month := range []time.Month{time.August, time.September, time.October} {
		p := stats.MonthPeriod(2026, month, zone)
		rep, err := app.ComputeStats(context.Background(), cfg, p, app.StatsOptions{Statistics: app.StatisticsConfig(cfg), Explain: true})
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		want, err := stats.Compute(slices.Values(everything), p, stats.Options{Location: zone, UnitCode: cfg.Unit.Code, UnitName: cfg.Unit.Name})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Result.Figures != want.Figures {
			t.Errorf("%s from the period read:\n%+v\nfrom every dossier:\n%+v", p, rep.Result.Figures, want.Figures)
		}
		if err := rep.Result.Figures.Check(); err != nil {
			t.Errorf("%s: %v", p, err)
		}
		if rep.Result.Read >= gen.Dossiers+gen.BadDossiers {
			t.Errorf("%s: the period read %d of %d rows; it should leave out what finished before the month", p, rep.Result.Read, gen.Dossiers+gen.BadDossiers)
		}
		if prevPending >= 0 && rep.Result.Figures.SoTonKyTruoc != prevPending {
			t.Errorf("%s carries over %d, the month before left %d pending", p, rep.Result.Figures.SoTonKyTruoc, prevPending)
		}
		prevPending = rep.Result.Figures.TongChuaXuLy
		for reason := range rep.Result.Excluded {
			if field, ok := strings.CutPrefix(string(reason), "mapping: "); ok {
				sawMappingSkip = true
				if !slices.Contains([]string{"NgayTiepNhan", "TrangThaiHoSo", "MaHoSo"}, field) {
					t.Errorf("%s: a dossier was left out for %s, which the statistics do not read", p, field)
				}
			}
		}
		if rep.Plan == "" || len(rep.FullScans) > 0 {
			t.Errorf("%s: plan %q, full scans %v; want an indexed plan", p, rep.Plan, rep.FullScans)
		}
		t.Logf("%s: read %d, figures %+v, not counted %v", p, rep.Result.Read, rep.Result.Figures, rep.Result.Excluded)
	}
	if !sawMappingSkip {
		t.Error("the bad rows the mapping rejects should show as \"mapping: <field>\" among the dossiers not counted")
	}
}

func TestComputeStatsRefusesWhatItCannotRead(t *testing.T) {
	cfg, _ := statsRig(t)
	zone, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	p := stats.MonthPeriod(2026, time.September, zone)

	sc := app.StatisticsConfig(cfg)
	sc.Stream = "qua_trinh_xu_ly"
	if _, err := app.ComputeStats(context.Background(), cfg, p, app.StatsOptions{Statistics: sc}); err == nil || !strings.Contains(err.Error(), "HoSo") {
		t.Errorf("a progress stream: %v, want an error asking for a HoSo stream", err)
	}
	sc = app.StatisticsConfig(cfg)
	sc.Compare = "hour"
	if _, err := app.ComputeStats(context.Background(), cfg, p, app.StatsOptions{Statistics: sc}); err == nil || !strings.Contains(err.Error(), "statistics.compare") {
		t.Errorf("bad options: %v", err)
	}
	if _, err := app.NewStatsSender(context.Background(), cfg, nil); err != app.ErrStatsSenderNotConfigured {
		t.Errorf("NewStatsSender without dvcqg: %v, want ErrStatsSenderNotConfigured", err)
	}
}
