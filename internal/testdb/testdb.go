// Package testdb gives tests a fresh, uniquely named database on the real
// MariaDB or PostgreSQL server of the development machine, and drops it
// when the test ends.
//
// The server is found through an environment variable (LGSP_TEST_MARIADB_DSN,
// LGSP_TEST_POSTGRES_DSN) or the local default. An unreachable server fails
// the test with a hint; it never skips, because a skipped database test
// looks like a passing one.
//
// The returned DSN names the new database and otherwise carries the server
// DSN's parameters unchanged. In particular the MariaDB DSN gets no
// parseTime or loc: code under test that needs them (the iso_dientu
// connector sets both itself) must not be helped by the harness, or a
// missing setting would go unnoticed. The returned *sql.DB is opened on that
// same DSN, for creating tables and inserting rows; scan DATETIME columns
// through it as text.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Environment variables naming the test servers, and their defaults.
const (
	MariaDBEnv      = "LGSP_TEST_MARIADB_DSN"
	PostgresEnv     = "LGSP_TEST_POSTGRES_DSN"
	DefaultMariaDB  = "root@tcp(127.0.0.1:3306)/"
	DefaultPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
)

// How long to wait for the server before failing the test, and for the
// drop at the end (a test that leaked an open transaction must not hang
// the whole run).
const (
	connectTimeout = 5 * time.Second
	dropTimeout    = 15 * time.Second
)

const startHint = "hint: run ./scripts/services.sh to start %s, or point %s at a reachable server"

// MariaDB creates a database on the MariaDB (or MySQL) server named by
// LGSP_TEST_MARIADB_DSN and returns a DSN for it and an open handle. Both
// the handle and the database are gone after the test.
func MariaDB(t testing.TB) (dsn string, db *sql.DB) {
	t.Helper()
	serverDSN := envOr(MariaDBEnv, DefaultMariaDB)
	cfg, err := mysql.ParseDSN(serverDSN)
	if err != nil {
		t.Fatalf("testdb: %s is not a valid MySQL DSN: %v", MariaDBEnv, err)
	}
	admin, err := sql.Open("mysql", serverDSN)
	if err != nil {
		t.Fatalf("testdb: open MariaDB: %v", err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	admin.SetMaxOpenConns(1)
	ping(t, admin, "MariaDB", MariaDBEnv, cfg.Addr)

	name := uniqueName(t)
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("testdb: create MariaDB database %s: %v", name, err)
	}

	cfg.DBName = name
	dsn = cfg.FormatDSN()
	db, err = sql.Open("mysql", dsn)
	if err != nil {
		t.Fatalf("testdb: open MariaDB database %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), dropTimeout)
		defer cancel()
		// Give up waiting for a metadata lock instead of the default year, so a
		// leaked transaction shows up as an error rather than a hang.
		conn, err := admin.Conn(ctx)
		if err != nil {
			t.Errorf("testdb: drop MariaDB database %s: %v", name, err)
			return
		}
		defer conn.Close()
		_, _ = conn.ExecContext(ctx, "SET SESSION lock_wait_timeout = 10")
		if _, err := conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
			t.Errorf("testdb: drop MariaDB database %s (drop it by hand): %v", name, err)
		}
	})
	return dsn, db
}

// Postgres creates a database on the PostgreSQL server named by
// LGSP_TEST_POSTGRES_DSN and returns a DSN for it (same form as the
// server DSN: URL or keyword/value) and an open handle (driver "pgx").
func Postgres(t testing.TB) (dsn string, db *sql.DB) {
	t.Helper()
	serverDSN := envOr(PostgresEnv, DefaultPostgres)
	cfg, err := pgx.ParseConfig(serverDSN)
	if err != nil {
		t.Fatalf("testdb: %s is not a valid PostgreSQL DSN: %v", PostgresEnv, err)
	}
	admin := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { _ = admin.Close() })
	admin.SetMaxOpenConns(1)
	ping(t, admin, "PostgreSQL", PostgresEnv, fmt.Sprintf("%s:%d", cfg.Host, cfg.Port))

	name := uniqueName(t)
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" ENCODING 'UTF8' TEMPLATE template0"); err != nil {
		t.Fatalf("testdb: create PostgreSQL database %s: %v", name, err)
	}

	dsn, err = withPostgresDatabase(serverDSN, name)
	if err != nil {
		t.Fatalf("testdb: %s: %v", PostgresEnv, err)
	}
	db, err = sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("testdb: open PostgreSQL database %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), dropTimeout)
		defer cancel()
		// FORCE ends sessions the test left open (PostgreSQL 13+).
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("testdb: drop PostgreSQL database %s (drop it by hand): %v", name, err)
		}
	})
	return dsn, db
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func ping(t testing.TB, db *sql.DB, server, env, addr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("testdb: %s at %s is unreachable: %v\n"+startHint, server, addr, err, server, env)
	}
}

// uniqueName builds a database name that says which test made it (handy
// when one is left behind) and cannot collide with a parallel run. It only
// contains [a-z0-9_], so it needs no quoting, and stays within the 63
// characters both servers allow.
func uniqueName(t testing.TB) string {
	var b strings.Builder
	b.WriteString("lgsp_")
	for _, r := range strings.ToLower(t.Name()) {
		if b.Len() >= 40 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			if !strings.HasSuffix(b.String(), "_") {
				b.WriteByte('_')
			}
		}
	}
	var random [6]byte
	if _, err := rand.Read(random[:]); err != nil {
		t.Fatalf("testdb: random name: %v", err)
	}
	b.WriteByte('_')
	b.WriteString(hex.EncodeToString(random[:]))
	return b.String()
}

// withPostgresDatabase returns serverDSN pointing at database name. It
// accepts both DSN forms pgx does: a postgres:// URL and keyword/value.
func withPostgresDatabase(serverDSN, name string) (string, error) {
	if strings.HasPrefix(serverDSN, "postgres://") || strings.HasPrefix(serverDSN, "postgresql://") {
		u, err := url.Parse(serverDSN)
		if err != nil {
			return "", fmt.Errorf("parse URL: %w", err)
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	// In keyword/value form a later keyword overrides an earlier one.
	return strings.TrimSpace(serverDSN) + " dbname=" + name, nil
}
