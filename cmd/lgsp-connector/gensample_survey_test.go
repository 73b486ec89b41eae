package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/sampledata"
	"github.com/hcmc-lgsp/lgsp-connector/internal/testdb"
)

// surveyDirect fills a SQLite survey database with sampledata directly,
// for the dossiers gen-sample writes with its automatic --days and default
// start.
func surveyDirect(t *testing.T, path string, seed uint64, dossiers, bad int, so sampledata.SurveyOptions) sampledata.SurveyStats {
	t.Helper()
	ctx := context.Background()
	db := openSQLite(t, path)
	if err := sampledata.CreateSurveySchema(ctx, db, sampledata.SQLite); err != nil {
		t.Fatal(err)
	}
	opts := sampledata.Options{Seed: seed, Dossiers: dossiers, BadRows: bad, Days: 60, UnitCode: "000.00.12.H29",
		Start: time.Date(2026, 9, 1, 7, 30, 0, 0, vietnamZone)}
	so.Seed, so.Dossiers, so.Start, so.Days = seed, sampledata.DossierRefs(opts), opts.Start, opts.Days
	st, err := sampledata.GenerateSurvey(ctx, db, sampledata.SQLite, so)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestGenSampleSurvey: --ratings writes the survey database exactly as
// sampledata.GenerateSurvey does for the dossiers of the same run (the
// commit grouping leaves the rows alone), every rated dossier exists in
// the one-stop database, and the summary gives the counts the connector
// must produce.
func TestGenSampleSurvey(t *testing.T) {
	dir := t.TempDir()
	want := filepath.Join(dir, "direct.db")
	stats := surveyDirect(t, want, 5, 293, 7, sampledata.SurveyOptions{Ratings: 400, Resends: 20, UnmappedOfficers: 6, UnmappedCriteria: 4})
	legacy, survey := filepath.Join(dir, "legacy.db"), filepath.Join(dir, "khao-sat.db")
	r := mustExecute(t, "gen-sample", "--driver", "sqlite", "--dsn", "file:"+legacy, "--dossiers", "293", "--bad-rows", "7", "--seed", "5",
		"--survey-dsn", "file:"+survey, "--ratings", "400", "--resends", "20", "--unmapped-officers", "6", "--unmapped-criteria", "4",
		"--create-schema", "--commit-every", "3")
	wn, wd := tableDigest(t, openSQLite(t, want), sampledata.SurveyTable)
	gn, gd := tableDigest(t, openSQLite(t, survey), sampledata.SurveyTable)
	if wn != 430 || gn != wn || gd != wd {
		t.Errorf("gen-sample wrote %d survey rows (digest %.12s), sampledata %d (digest %.12s); want 430 identical", gn, gd, wn, wd)
	}
	for _, s := range []string{
		"phiếu / rows:            430, ids 1–430",
		"good ratings: 400",
		"kiosk re-sends: " + strconv.Itoa(stats.Resent) + " of good ratings (dropped as duplicates), " + strconv.Itoa(stats.ResentUnmapped) + " of unmappable ones",
		strconv.Itoa(stats.UnmappedOfficer) + " with an unknown officer (MaCanBo), " + strconv.Itoa(stats.UnmappedCriterion) + " with an unknown question (MaTieuChi)",
		"NV001→CB.000.00.12.H29.0002",
		"CH00→(tổng thể / overall)",
	} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("summary lacks %q:\n%s", s, r.stdout)
		}
	}
	// Every rated dossier is a good dossier of the one-stop database.
	codes := map[string]bool{}
	rows, err := openSQLite(t, legacy).Query(`SELECT so_ho_so FROM hs_hoso WHERE so_ho_so IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		codes[c] = true
	}
	rows.Close()
	rated, err := openSQLite(t, survey).Query(`SELECT DISTINCT so_ho_so FROM dg_phieu WHERE so_ho_so IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rated.Close()
	n := 0
	for rated.Next() {
		var c string
		if err := rated.Scan(&c); err != nil {
			t.Fatal(err)
		}
		if !codes[c] {
			t.Errorf("a rating is about %s, which the one-stop database does not hold", c)
		}
		n++
	}
	if n == 0 {
		t.Error("no rating is about a dossier")
	}
}

// TestGenSampleSurveyRefusals: the survey flags are checked together, and
// a survey table that holds rows is refused before anything is written
// to either database; --reset empties it and writes the same rows again.
func TestGenSampleSurveyRefusals(t *testing.T) {
	dir := t.TempDir()
	legacy, survey := "file:"+filepath.Join(dir, "legacy.db"), "file:"+filepath.Join(dir, "khao-sat.db")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"ratings without survey", []string{"--ratings", "10"}, "give it with --survey-dsn"},
		{"resends without survey", []string{"--resends", "1"}, "give it with --survey-dsn"},
		{"survey without ratings", []string{"--survey-dsn", survey}, "add --ratings N"},
		{"resends of nothing", []string{"--survey-dsn", survey, "--resends", "2"}, "none is written"},
		{"negative", []string{"--survey-dsn", survey, "--ratings", "5", "--unmapped-criteria", "-1"}, "no count may be negative"},
		{"unknown driver", []string{"--survey-dsn", survey, "--ratings", "5", "--survey-driver", "oracle"}, `--survey-driver "oracle"`},
		{"postgres dsn", []string{"--survey-dsn", "host=/ port=x", "--ratings", "5", "--survey-driver", "postgres"}, "not a PostgreSQL DSN"},
		{"no survey table", []string{"--survey-dsn", survey, "--ratings", "5"}, "has no table dg_phieu: add --create-schema"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"gen-sample", "--driver", "sqlite", "--dsn", legacy, "--dossiers", "10", "--create-schema"}, tc.args...)
			if tc.name == "no survey table" {
				args = append([]string{"gen-sample", "--driver", "sqlite", "--dsn", legacy, "--dossiers", "10"}, tc.args...)
			}
			r := execute(context.Background(), args...)
			if r.err == nil || !strings.Contains(r.err.Error(), tc.want) {
				t.Fatalf("gen-sample %s: error %v, want one containing %q", strings.Join(tc.args, " "), r.err, tc.want)
			}
		})
	}

	base := []string{"gen-sample", "--driver", "sqlite", "--dsn", legacy, "--dossiers", "30", "--seed", "2", "--survey-dsn", survey, "--ratings", "50", "--resends", "3"}
	mustExecute(t, append(base, "--create-schema")...)
	db := openSQLite(t, strings.TrimPrefix(survey, "file:"))
	n, before := tableDigest(t, db, sampledata.SurveyTable)
	if n != 53 {
		t.Fatalf("%d survey rows, want 53", n)
	}
	// A second run into a fresh one-stop database but the filled survey
	// database: refused before the dossiers are written.
	fresh := "file:" + filepath.Join(dir, "fresh.db")
	r := execute(context.Background(), "gen-sample", "--driver", "sqlite", "--dsn", fresh, "--dossiers", "30", "--create-schema", "--survey-dsn", survey, "--ratings", "50")
	if r.err == nil || !strings.Contains(r.err.Error(), "dg_phieu has 53 rows; add --reset") {
		t.Fatalf("gen-sample into a filled survey table: %v; want a refusal naming --reset", r.err)
	}
	var tables int
	if err := openSQLite(t, strings.TrimPrefix(fresh, "file:")).QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'hs_hoso'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Error("the refused run created the one-stop tables")
	}
	if _, after := tableDigest(t, db, sampledata.SurveyTable); after != before {
		t.Error("the refused run changed dg_phieu")
	}
	mustExecute(t, append(base, "--reset")...)
	if n, after := tableDigest(t, db, sampledata.SurveyTable); n != 53 || after != before {
		t.Errorf("after --reset: %d survey rows, digest changed=%v; want the same 53 rows", n, after != before)
	}
}

// TestGenSampleSurveyServers: the survey database on MariaDB (the one-stop
// one too) and on PostgreSQL, the table created by --create-schema; the
// rows on MariaDB are those SQLite gets, and on both the counts are the
// summary's.
func TestGenSampleSurveyServers(t *testing.T) {
	ctx := context.Background()
	directPath := filepath.Join(t.TempDir(), "direct.db")
	surveyDirect(t, directPath, 3, 80, 0, sampledata.SurveyOptions{Ratings: 120, Resends: 5, UnmappedOfficers: 2, UnmappedCriteria: 2})
	wn, wd := tableDigest(t, openSQLite(t, directPath), sampledata.SurveyTable)

	legacyDSN, _ := testdb.MariaDB(t)
	mariaDSN, maria := testdb.MariaDB(t)
	pgDSN, pg := testdb.Postgres(t)
	for _, tc := range []struct {
		name, driver, dsn string
		db                *sql.DB
	}{{"mariadb", "mysql", mariaDSN, maria}, {"postgres", "postgres", pgDSN, pg}} {
		t.Run(tc.name, func(t *testing.T) {
			mustExecute(t, "gen-sample", "--driver", "mysql", "--dsn", legacyDSN, "--dossiers", "80", "--seed", "3", "--create-schema", "--reset",
				"--survey-driver", tc.driver, "--survey-dsn", tc.dsn, "--ratings", "120", "--resends", "5", "--unmapped-officers", "2", "--unmapped-criteria", "2")
			var n int
			if err := tc.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM dg_phieu`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 129 {
				t.Errorf("%d rows in dg_phieu, want 129", n)
			}
			if tc.driver == "mysql" {
				if gn, gd := tableDigest(t, tc.db, sampledata.SurveyTable); gn != wn || gd != wd {
					t.Errorf("MariaDB survey: %d rows (digest %.12s), SQLite %d (digest %.12s); want the same rows", gn, gd, wn, wd)
				}
			}
		})
	}
}
