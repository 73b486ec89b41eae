package isodientu

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sampledata"
)

// October 2026 in the legacy zone: the period of the fixtures.
var (
	octFrom = time.Date(2026, 10, 1, 0, 0, 0, 0, vn)
	octTo   = time.Date(2026, 11, 1, 0, 0, 0, 0, vn)
)

// periodRow is one dossier of the period fixture; "" is NULL.
type periodRow struct {
	id                 int
	received, finished string
	in                 bool // read for October, and why (comment)
}

var periodRows = []periodRow{
	{1, "2026-10-05 09:00:00", "", true},                      // received in October, open
	{2, "2026-10-10 09:00:00", "2026-10-12 10:00:00", true},   // received and finished in October
	{3, "2026-09-20 09:00:00", "", true},                      // received before, still open: carried over
	{4, "2026-09-20 09:00:00", "2026-10-01 00:00:00", true},   // finished exactly when October begins
	{5, "2026-09-20 09:00:00", "2026-09-30 23:59:59", false},  // finished one second before October
	{6, "2026-11-01 00:00:00", "", false},                     // received when October has ended
	{7, "2026-10-31 23:59:59", "", true},                      // received in October's last second
	{8, "2026-10-01 00:00:00", "2026-10-02 08:00:00", true},   // received in October's first second
	{9, "", "", false},                                        // no receipt time: cannot be placed
	{10, "2026-08-01 09:00:00", "2026-11-15 09:00:00", true},  // received before, finished after: open all October
	{11, "2026-10-02 09:00:00", "2026-09-01 09:00:00", true},  // end before receipt (bad data): received in October
	{12, "2025-01-05 09:00:00", "2025-01-20 09:00:00", false}, // long finished
}

func wantPeriodKeys() []string {
	var out []string
	for _, r := range periodRows {
		if r.in {
			out = append(out, strconv.Itoa(r.id))
		}
	}
	return out
}

func insertPeriodRows(t *testing.T, db *sql.DB, placeholders string) {
	t.Helper()
	for _, r := range periodRows {
		var received, finished any
		if r.received != "" {
			received = r.received
		}
		if r.finished != "" {
			finished = r.finished
		}
		mustExec(t, db, "INSERT INTO hs_period (id, ngay_nhan, ngay_ket_thuc, ngay_cap_nhat) VALUES ("+placeholders+")",
			r.id, received, finished, "2026-11-20 08:00:00")
	}
}

func periodStream(format string) StreamConfig {
	return StreamConfig{
		Query:      "SELECT id, ngay_nhan, ngay_ket_thuc, ngay_cap_nhat FROM hs_period",
		Cursor:     CursorConfig{Updated: "ngay_cap_nhat", Key: "id"},
		Statistics: StatisticsConfig{Received: "ngay_nhan", Finished: "ngay_ket_thuc", Format: format},
		Children: map[string]ChildConfig{
			"tai_lieu": {Query: "SELECT hoso_id, id FROM hs_tai_lieu WHERE hoso_id IN (?)", Parent: "hoso_id"},
		},
	}
}

// readPeriodKeys reads October and returns the keys, sorted numerically,
// checking that every record carries its child list as nil (not read).
func readPeriodKeys(t *testing.T, src *Source) []string {
	t.Helper()
	var keys []string
	err := src.ReadPeriod(context.Background(), "ho_so", octFrom, octTo, func(r connectors.Record) error {
		if v, ok := r.Values["tai_lieu"]; !ok || v != nil {
			t.Errorf("record %s: child list tai_lieu = %v (present %v), want present and nil", r.Key, v, ok)
		}
		if r.Stream != "ho_so" {
			t.Errorf("record %s: stream %q", r.Key, r.Stream)
		}
		keys = append(keys, r.Key)
		return nil
	})
	if err != nil {
		t.Fatalf("ReadPeriod: %v", err)
	}
	slices.SortFunc(keys, func(a, b string) int { x, _ := strconv.Atoi(a); y, _ := strconv.Atoi(b); return x - y })
	return keys
}

func TestSQLiteReadPeriod(t *testing.T) {
	path, db := sqliteDB(t)
	mustExec(t, db, "CREATE TABLE hs_period (id INTEGER PRIMARY KEY, ngay_nhan TEXT, ngay_ket_thuc TEXT, ngay_cap_nhat TEXT NOT NULL)")
	insertPeriodRows(t, db, "?, ?, ?, ?")
	src := startSource(t, testConfig(DriverSQLite, path, periodStream("")), func() time.Time { return farFuture })
	if got, want := readPeriodKeys(t, src), wantPeriodKeys(); !slices.Equal(got, want) {
		t.Errorf("ReadPeriod(October) read %v, want %v", got, want)
	}
}

// DATETIME columns: the bounds are bound as times in the legacy zone.
func TestMariaDBReadPeriod(t *testing.T) {
	dsn, db := mariaDB(t)
	mustExec(t, db, "CREATE TABLE hs_period (id INT PRIMARY KEY, ngay_nhan DATETIME NULL, ngay_ket_thuc DATETIME NULL, ngay_cap_nhat DATETIME NOT NULL, KEY (ngay_nhan), KEY (ngay_ket_thuc, ngay_nhan))")
	insertPeriodRows(t, db, "?, ?, ?, ?")
	src := startSource(t, testConfig(DriverMySQL, dsn, periodStream("")), func() time.Time { return farFuture })
	if got, want := readPeriodKeys(t, src), wantPeriodKeys(); !slices.Equal(got, want) {
		t.Errorf("ReadPeriod(October) read %v, want %v", got, want)
	}
}

// PostgreSQL numbers its placeholders: the three parts share $1…$5.
func TestPostgresReadPeriod(t *testing.T) {
	dsn, db := postgresDB(t)
	mustExec(t, db, "CREATE TABLE hs_period (id BIGINT PRIMARY KEY, ngay_nhan TIMESTAMP NULL, ngay_ket_thuc TIMESTAMP NULL, ngay_cap_nhat TIMESTAMP NOT NULL)")
	insertPeriodRows(t, db, "$1, $2, $3, $4")
	src := startSource(t, testConfig(DriverPostgres, dsn, periodStream("")), func() time.Time { return farFuture })
	if got, want := readPeriodKeys(t, src), wantPeriodKeys(); !slices.Equal(got, want) {
		t.Errorf("ReadPeriod(October) read %v, want %v", got, want)
	}
}

// A stream of events (received and finished the same column) reads the
// rows dated in the period, by the received column alone.
func TestEventsReadPeriod(t *testing.T) {
	run := func(t *testing.T, src *Source) {
		t.Helper()
		// By ngay_nhan: rows 1, 2, 7, 8, 11 are dated in October.
		if got, want := readPeriodKeys(t, src), []string{"1", "2", "7", "8", "11"}; !slices.Equal(got, want) {
			t.Errorf("ReadPeriod(October) of events read %v, want %v", got, want)
		}
	}
	events := func(format string) StreamConfig {
		sc := periodStream(format)
		sc.Statistics.Finished = sc.Statistics.Received
		return sc
	}
	t.Run("sqlite", func(t *testing.T) {
		path, db := sqliteDB(t)
		mustExec(t, db, "CREATE TABLE hs_period (id INTEGER PRIMARY KEY, ngay_nhan TEXT, ngay_ket_thuc TEXT, ngay_cap_nhat TEXT NOT NULL)")
		insertPeriodRows(t, db, "?, ?, ?, ?")
		run(t, startSource(t, testConfig(DriverSQLite, path, events("")), func() time.Time { return farFuture }))
	})
	t.Run("mariadb", func(t *testing.T) {
		dsn, db := mariaDB(t)
		mustExec(t, db, "CREATE TABLE hs_period (id INT PRIMARY KEY, ngay_nhan DATETIME NULL, ngay_ket_thuc DATETIME NULL, ngay_cap_nhat DATETIME NOT NULL, KEY (ngay_nhan))")
		insertPeriodRows(t, db, "?, ?, ?, ?")
		run(t, startSource(t, testConfig(DriverMySQL, dsn, events("")), func() time.Time { return farFuture }))
	})
	t.Run("postgres", func(t *testing.T) {
		dsn, db := postgresDB(t)
		mustExec(t, db, "CREATE TABLE hs_period (id BIGINT PRIMARY KEY, ngay_nhan TIMESTAMP NULL, ngay_ket_thuc TIMESTAMP NULL, ngay_cap_nhat TIMESTAMP NOT NULL)")
		insertPeriodRows(t, db, "$1, $2, $3, $4")
		run(t, startSource(t, testConfig(DriverPostgres, dsn, events("")), func() time.Time { return farFuture }))
	})
}

func TestReadPeriodErrors(t *testing.T) {
	path, db := sqliteDB(t)
	mustExec(t, db, "CREATE TABLE hs_period (id INTEGER PRIMARY KEY, ngay_nhan TEXT, ngay_ket_thuc TEXT, ngay_cap_nhat TEXT NOT NULL)")
	insertPeriodRows(t, db, "?, ?, ?, ?")
	ctx := context.Background()
	none := func(connectors.Record) error { return nil }

	plain := periodStream("")
	plain.Statistics = StatisticsConfig{}
	src := startSource(t, testConfig(DriverSQLite, path, plain), func() time.Time { return farFuture })
	if err := src.ReadPeriod(ctx, "ho_so", octFrom, octTo, none); err == nil || !strings.Contains(err.Error(), "source.streams.ho_so.statistics.received") {
		t.Errorf("stream without statistics columns: %v, want the key to set", err)
	}

	misnamed := periodStream("")
	misnamed.Statistics.Finished = "ngay_xong"
	src = startSource(t, testConfig(DriverSQLite, path, misnamed), func() time.Time { return farFuture })
	if err := src.ReadPeriod(ctx, "ho_so", octFrom, octTo, none); err == nil || !strings.Contains(err.Error(), "ngay_xong") {
		t.Errorf("unknown finished column: %v, want it named", err)
	}

	src = startSource(t, testConfig(DriverSQLite, path, periodStream("")), func() time.Time { return farFuture })
	if err := src.ReadPeriod(ctx, "ho_so", octTo, octFrom, none); err == nil || !strings.Contains(err.Error(), "from must be before to") {
		t.Errorf("reversed period: %v", err)
	}
	if err := src.ReadPeriod(ctx, "khong_co", octFrom, octTo, none); err == nil || !strings.Contains(err.Error(), `unknown stream "khong_co"`) {
		t.Errorf("unknown stream: %v", err)
	}
	stop := errors.New("enough")
	calls := 0
	err := src.ReadPeriod(ctx, "ho_so", octFrom, octTo, func(connectors.Record) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("fn error: ReadPeriod returned %v after %d calls, want the error after 1", err, calls)
	}
}

func TestStatisticsConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		cfg  StatisticsConfig
		want []string
	}{
		{"off", StatisticsConfig{}, nil},
		{"ok", StatisticsConfig{Received: "ngay_nhan", Finished: "ngay_ket_thuc", Format: "2006-01-02 15:04:05"}, nil},
		{"ok ISO", StatisticsConfig{Received: "ngay_nhan", Finished: "ngay_ket_thuc", Format: "2006-01-02T15:04:05"}, nil},
		{"finished missing", StatisticsConfig{Received: "ngay_nhan"}, []string{"x.statistics.finished: is required"}},
		{"same column: a stream of events", StatisticsConfig{Received: "ngay", Finished: "NGAY"}, nil},
		{"not a column", StatisticsConfig{Received: "ngay nhan", Finished: "ngay_ket_thuc"}, []string{`x.statistics.received: "ngay nhan" is not a plain column name`}},
		{"day first", StatisticsConfig{Received: "a", Finished: "b", Format: "02/01/2006 15:04:05"}, []string{"x.statistics.format", "sorts like time"}},
		{"no seconds", StatisticsConfig{Received: "a", Finished: "b", Format: "2006-01-02 15:04"}, []string{"x.statistics.format"}},
		{"only a format", StatisticsConfig{Format: "2006-01-02 15:04:05"}, []string{"x.statistics.received: is required", "x.statistics.finished: is required"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := tc.cfg.validate("x.statistics")
			text := errors.Join(errs...)
			if len(tc.want) == 0 {
				if len(errs) > 0 {
					t.Errorf("validate: %v, want no error", text)
				}
				return
			}
			for _, w := range tc.want {
				if text == nil || !strings.Contains(text.Error(), w) {
					t.Errorf("validate: %v, want %q", text, w)
				}
			}
		})
	}
}

func TestPeriodSQL(t *testing.T) {
	got := periodSQL(dialect{driver: DriverPostgres}, "SELECT * FROM hs -- all", "nhan", "xong")
	want := `SELECT * FROM (
SELECT * FROM hs -- all
) src WHERE src."nhan" >= $1 AND src."nhan" < $2
UNION ALL
SELECT * FROM (
SELECT * FROM hs -- all
) src WHERE src."nhan" < $3 AND src."xong" >= $4
UNION ALL
SELECT * FROM (
SELECT * FROM hs -- all
) src WHERE src."nhan" < $5 AND src."xong" IS NULL`
	if got != want {
		t.Errorf("periodSQL:\n%s\nwant:\n%s", got, want)
	}
	if my := periodSQL(dialect{driver: DriverMySQL}, "SELECT 1", "nhan", "xong"); strings.Count(my, "?") != 5 || !strings.Contains(my, "src.`xong` IS NULL") {
		t.Errorf("MySQL periodSQL: %s", my)
	}
}

// The sample legacy schema with its statistics indexes, 12,000 dossiers
// received from September 2025 to April 2026, more than half of them never
// finished (the generator picks final statuses regardless of age). March
// 2026, the month the job on 1 April reports, is read as three index
// ranges, no part scans hs_hoso, and what is read is exactly the period's
// predicate. (For a month deep in the past, the middle part reads every
// dossier finished since that month; once that is a large share of the
// table the database rightly prefers a scan — see docs/statistics.md.)
func TestMariaDBPeriodPlanUsesIndexes(t *testing.T) {
	dsn, db := mariaDB(t)
	ctx := context.Background()
	if err := sampledata.CreateSchema(ctx, db, sampledata.MySQL); err != nil {
		t.Fatal(err)
	}
	st, err := sampledata.Generate(ctx, db, sampledata.MySQL, sampledata.Options{
		Seed: 3, Dossiers: 12000, Start: time.Date(2025, 9, 1, 7, 30, 0, 0, vn), Days: 240, MaxStepsPerDossier: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, "ANALYZE TABLE hs_hoso")
	src := startSource(t, testConfig(DriverMySQL, dsn, StreamConfig{
		Query: `SELECT id, so_ho_so, ngay_nhan, ngay_hen_tra, ngay_ket_thuc, ngay_tra_kq, trang_thai, ngay_cap_nhat
		FROM hs_hoso`,
		Cursor:     CursorConfig{Updated: "ngay_cap_nhat", Key: "id"},
		Statistics: StatisticsConfig{Received: "ngay_nhan", Finished: "ngay_ket_thuc", Format: "2006-01-02 15:04:05"},
	}), func() time.Time { return farFuture })

	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, vn), time.Date(2026, 4, 1, 0, 0, 0, 0, vn)
	plan, scans, err := src.ExplainPeriod(ctx, "ho_so", from, to)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("EXPLAIN of March 2026 over %d dossiers:\n%s", st.Dossiers, plan)
	if len(scans) > 0 || strings.Contains(plan, "type=ALL") {
		t.Errorf("the period read scans %v:\n%s", scans, plan)
	}
	var parts int
	for _, line := range strings.Split(plan, "\n") {
		if strings.HasPrefix(line, "table=hs_hoso ") {
			parts++
			if !strings.Contains(line, "key=ix_hs_hoso_ngay_nhan") && !strings.Contains(line, "key=ix_hs_hoso_ngay_ket_thuc") {
				t.Errorf("part without a statistics index: %s", line)
			}
		}
	}
	if parts != 3 {
		t.Errorf("%d parts read hs_hoso, want 3:\n%s", parts, plan)
	}

	var want, total int
	const layout = "2006-01-02 15:04:05"
	f, u := from.Format(layout), to.Format(layout)
	if err := db.QueryRow(`SELECT COUNT(*) FROM hs_hoso WHERE (ngay_nhan >= ? AND ngay_nhan < ?)
		OR (ngay_nhan < ? AND (ngay_ket_thuc >= ? OR ngay_ket_thuc IS NULL))`, f, u, f, f).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM hs_hoso`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	err = src.ReadPeriod(ctx, "ho_so", from, to, func(r connectors.Record) error {
		if seen[r.Key] {
			t.Errorf("dossier %s read twice", r.Key)
		}
		seen[r.Key] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != want || want == 0 || want >= total {
		t.Errorf("read %d dossiers; the period's predicate selects %d of %d", len(seen), want, total)
	}

	// Without the two indexes the same read is a scan, and ExplainPeriod
	// says so.
	mustExec(t, db, "DROP INDEX ix_hs_hoso_ngay_nhan ON hs_hoso")
	mustExec(t, db, "DROP INDEX ix_hs_hoso_ngay_ket_thuc ON hs_hoso")
	plan, scans, err = src.ExplainPeriod(ctx, "ho_so", from, to)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(scans, []string{"hs_hoso", "hs_hoso", "hs_hoso"}) {
		t.Errorf("without indexes ExplainPeriod reports scans %v:\n%s", scans, plan)
	}
}
