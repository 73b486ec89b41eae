package testdb

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
)

func TestMariaDBCreatesUsableDatabaseAndDropsIt(t *testing.T) {
	var name string
	t.Run("inner", func(t *testing.T) {
		dsn, db := MariaDB(t)
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Fatalf("returned DSN %q does not parse: %v", dsn, err)
		}
		name = cfg.DBName
		if cfg.ParseTime {
			t.Errorf("DSN has parseTime set; the helper must leave it to the code under test")
		}
		mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))")
		mustExec(t, db, "INSERT INTO t VALUES (1, 'một')")
		var got string
		if err := db.QueryRow("SELECT v FROM t WHERE id = 1").Scan(&got); err != nil || got != "một" {
			t.Fatalf("read back = %q, %v; want %q", got, err, "một")
		}
		if !databaseExists(t, "mysql", serverMariaDB(), "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?", name) {
			t.Fatalf("database %s not visible from the server", name)
		}
	})
	if name == "" {
		t.Fatal("inner test did not get a database")
	}
	if databaseExists(t, "mysql", serverMariaDB(), "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?", name) {
		t.Errorf("database %s still exists after the test ended", name)
	}
}

func TestPostgresCreatesUsableDatabaseAndDropsIt(t *testing.T) {
	var name string
	t.Run("inner", func(t *testing.T) {
		dsn, db := Postgres(t)
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			t.Fatalf("returned DSN %q does not parse: %v", dsn, err)
		}
		name = cfg.Database
		mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)")
		mustExec(t, db, "INSERT INTO t VALUES (1, 'một')")
		var got string
		if err := db.QueryRow("SELECT v FROM t WHERE id = 1").Scan(&got); err != nil || got != "một" {
			t.Fatalf("read back = %q, %v; want %q", got, err, "một")
		}
		// A session left open by the test must not block the drop.
		conn, err := db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		_ = conn // deliberately not closed before cleanup
	})
	if name == "" {
		t.Fatal("inner test did not get a database")
	}
	if databaseExists(t, "pgx", envOr(PostgresEnv, DefaultPostgres), "SELECT COUNT(*) FROM pg_database WHERE datname = $1", name) {
		t.Errorf("database %s still exists after the test ended", name)
	}
}

func TestUnreachableServerFailsWithHint(t *testing.T) {
	tests := []struct {
		name  string
		env   string
		dsn   string
		open  func(testing.TB) (string, *sql.DB)
		wants []string
	}{
		{"mariadb", MariaDBEnv, "root@tcp(127.0.0.1:1)/", MariaDB, []string{"MariaDB", "127.0.0.1:1", "./scripts/services.sh", MariaDBEnv}},
		{"postgres", PostgresEnv, "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2", Postgres, []string{"PostgreSQL", "127.0.0.1:1", "./scripts/services.sh", PostgresEnv}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(tc.env, tc.dsn)
			rec := runRecording(t, func(tb testing.TB) { tc.open(tb) })
			if rec.skipped {
				t.Fatalf("helper skipped; it must fail")
			}
			if !rec.failed {
				t.Fatalf("helper did not fail on an unreachable server")
			}
			for _, w := range tc.wants {
				if !strings.Contains(rec.msg, w) {
					t.Errorf("failure message %q lacks %q", rec.msg, w)
				}
			}
		})
	}
}

func TestUniqueNameIsSafeAndUnique(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z0-9_]{1,63}$`)
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		n := uniqueName(t)
		if !valid.MatchString(n) {
			t.Fatalf("name %q is not a plain identifier of at most 63 characters", n)
		}
		if seen[n] {
			t.Fatalf("name %q repeated", n)
		}
		seen[n] = true
	}
	long := &recordingTB{TB: t, name: strings.Repeat("Very/Long Test Name-", 10)}
	if n := uniqueName(long); !valid.MatchString(n) {
		t.Fatalf("name %q from a long test name is invalid", n)
	}
}

func TestWithPostgresDatabase(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "postgres://postgres@127.0.0.1:5432/lgsp_x?sslmode=disable"},
		{"postgresql://u:p@db/", "postgresql://u:p@db/lgsp_x"},
		{"host=127.0.0.1 user=postgres dbname=postgres", "host=127.0.0.1 user=postgres dbname=postgres dbname=lgsp_x"},
	}
	for _, tc := range tests {
		got, err := withPostgresDatabase(tc.in, "lgsp_x")
		if err != nil || got != tc.want {
			t.Errorf("withPostgresDatabase(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		cfg, err := pgx.ParseConfig(got)
		if err != nil || cfg.Database != "lgsp_x" {
			t.Errorf("pgx reads %q as database %q (%v); want lgsp_x", got, cfg.Database, err)
		}
	}
}

// serverMariaDB is the server DSN the helper itself uses.
func serverMariaDB() string { return envOr(MariaDBEnv, DefaultMariaDB) }

func mustExec(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func databaseExists(t *testing.T, driver, dsn, query, name string) bool {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(query, name).Scan(&n); err != nil {
		t.Fatalf("look for database %s: %v", name, err)
	}
	return n > 0
}

// recordingTB stands in for a test so that the helper's Fatalf can be
// observed instead of failing the real test.
type recordingTB struct {
	testing.TB
	name     string
	mu       sync.Mutex
	failed   bool
	skipped  bool
	msg      string
	cleanups []func()
}

func (r *recordingTB) Name() string { return r.name }
func (r *recordingTB) Helper()      {}
func (r *recordingTB) Cleanup(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, f)
}
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}
func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
}
func (r *recordingTB) Skip(args ...any) { r.skipped = true; runtime.Goexit() }
func (r *recordingTB) Skipf(format string, args ...any) {
	r.skipped = true
	runtime.Goexit()
}
func (r *recordingTB) SkipNow() { r.skipped = true; runtime.Goexit() }

func runRecording(t *testing.T, f func(testing.TB)) *recordingTB {
	rec := &recordingTB{TB: t, name: t.Name()}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(rec)
	}()
	<-done
	for i := len(rec.cleanups) - 1; i >= 0; i-- {
		rec.cleanups[i]()
	}
	return rec
}
