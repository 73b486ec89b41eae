package isodientu

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	"github.com/hcmc-lgsp/lgsp-connector/connectors/connectortest"
	"github.com/hcmc-lgsp/lgsp-connector/internal/testdb"
)

// vn is the legacy zone of every test database.
var vn = mustZone("Asia/Ho_Chi_Minh")

// farFuture is a clock far after every row the tests store, so the lag
// window never hides them unless a test wants it to.
var farFuture = time.Date(2030, 1, 1, 0, 0, 0, 0, vn)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func durationPtr(d time.Duration) *time.Duration { return &d }

// wall renders an instant as the legacy zone's wall clock, the way legacy
// software writes DATETIME values.
func wall(t time.Time) string { return t.In(vn).Format("2006-01-02 15:04:05") }

// testConfig is a one-stream config on the given database.
func testConfig(driver, dsn string, stream StreamConfig) *Config {
	cfg := NewDefaultConfig()
	cfg.Driver = driver
	cfg.DSN = DSN(dsn)
	cfg.Streams = map[string]StreamConfig{"ho_so": stream}
	return cfg
}

// startSource builds and starts a source, shut down after the test.
func startSource(t testing.TB, cfg *Config, now func() time.Time) *Source {
	t.Helper()
	src := newSource(t, cfg, now)
	if err := src.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return src
}

func newSource(t testing.TB, cfg *Config, now func() time.Time) *Source {
	t.Helper()
	src, err := NewSource(cfg, connectors.Settings{Now: now})
	if err != nil {
		t.Fatalf("NewSource: %v", err)
	}
	t.Cleanup(func() { _ = src.Shutdown(context.Background()) })
	return src
}

func read(t testing.TB, src *Source, stream string, after connectors.Cursor, limit int) connectors.Batch {
	t.Helper()
	b, err := src.Read(context.Background(), stream, after, limit)
	if err != nil {
		t.Fatalf("Read(%s, %s, %d): %v", stream, describeCursor(after), limit, err)
	}
	return b
}

func keysOf(recs []connectors.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Key
	}
	return out
}

func mustExec(t testing.TB, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// countQueries records the statements a source sends.
func countQueries(src *Source) *[]string {
	var mu sync.Mutex
	var qs []string
	src.queryHook = func(q string) {
		mu.Lock()
		defer mu.Unlock()
		qs = append(qs, q)
	}
	return &qs
}

// sqliteDB creates an empty SQLite database file and a writable handle on
// it (the source itself opens it read-only).
func sqliteDB(t testing.TB) (path string, db *sql.DB) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "legacy.db")
	db, err := sql.Open("sqlite", path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return path, db
}

// kitTables numbers the tables the kit harnesses create.
var kitTables atomic.Int64

// kitHarness runs the conformance kit on a real database: every case gets
// its own table in db; rows are stored with their update time as the
// legacy zone's wall clock, as legacy software does.
func kitHarness(driver, dsn string, db *sql.DB, numeric bool, updatedType string) connectortest.Harness {
	keyType, keySQL := KeyInt, "BIGINT"
	if !numeric {
		keyType, keySQL = KeyString, "VARCHAR(20)"
	}
	placeholders := "?, ?, ?"
	if driver == DriverPostgres {
		placeholders = "$1, $2, $3"
	}
	return connectortest.Harness{
		NumericKeys: numeric,
		Setup: func(t *testing.T) connectortest.Fixture {
			table := fmt.Sprintf("kit_%d", kitTables.Add(1))
			mustExec(t, db, fmt.Sprintf("CREATE TABLE %s (id %s NOT NULL PRIMARY KEY, ngay_cap_nhat %s NOT NULL, ten VARCHAR(50))", table, keySQL, updatedType))
			mustExec(t, db, fmt.Sprintf("CREATE INDEX %s_cursor ON %s (ngay_cap_nhat, id)", table, table))
			return connectortest.Fixture{
				Stream: "ho_so",
				NewSource: func(t *testing.T) connectors.Source {
					cfg := testConfig(driver, dsn, StreamConfig{
						Query:     "SELECT id, ngay_cap_nhat, ten FROM " + table,
						Cursor:    CursorConfig{Updated: "ngay_cap_nhat", Key: "id", KeyType: keyType},
						BatchSize: 100,
					})
					return newSource(t, cfg, func() time.Time { return farFuture })
				},
				Insert: func(t *testing.T, rows ...connectortest.Row) {
					tx, err := db.Begin()
					if err != nil {
						t.Fatal(err)
					}
					for _, r := range rows {
						var key any = r.Key
						if _, err := tx.Exec(fmt.Sprintf("INSERT INTO %s (id, ngay_cap_nhat, ten) VALUES (%s)", table, placeholders),
							key, wall(r.Updated), "hồ sơ "+r.Key); err != nil {
							_ = tx.Rollback()
							t.Fatalf("insert %v: %v", r, err)
						}
					}
					if err := tx.Commit(); err != nil {
						t.Fatal(err)
					}
				},
			}
		},
	}
}

// mariaDB returns a fresh MariaDB database (see internal/testdb).
func mariaDB(t testing.TB) (string, *sql.DB) { return testdb.MariaDB(t) }

// postgresDB returns a fresh PostgreSQL database.
func postgresDB(t testing.TB) (string, *sql.DB) { return testdb.Postgres(t) }
