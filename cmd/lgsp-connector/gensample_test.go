package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hcmc-lgsp/lgsp-connector/internal/sampledata"
	"github.com/hcmc-lgsp/lgsp-connector/internal/testdb"
)

// tableDigest hashes every row of the sample tables in id order, each
// value as text, so two databases can be compared row for row.
func tableDigest(t *testing.T, db *sql.DB, table string) (rows int, digest string) {
	t.Helper()
	rs, err := db.Query("SELECT * FROM " + table + " ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for rs.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if v == nil {
				h.Write([]byte("\x00NULL"))
			} else {
				h.Write(v)
			}
			h.Write([]byte{0xff})
		}
		rows++
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return rows, hex.EncodeToString(h.Sum(nil))
}

func openSQLite(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// TestGenSampleWritesWhatSampledataGenerates proves the transaction
// grouping and counting between the generator and the driver leave the
// rows untouched: gen-sample's database equals one filled by
// sampledata.Generate directly, whatever the commit grouping.
func TestGenSampleWritesWhatSampledataGenerates(t *testing.T) {
	dir := t.TempDir()
	want := filepath.Join(dir, "direct.db")
	direct := openSQLite(t, want)
	ctx := context.Background()
	if err := sampledata.CreateSchema(ctx, direct, sampledata.SQLite); err != nil {
		t.Fatal(err)
	}
	// gen-sample's automatic --days and default start for 300 dossiers.
	if _, err := sampledata.Generate(ctx, direct, sampledata.SQLite, sampledata.Options{Seed: 5, Dossiers: 293, BadRows: 7, MaxStepsPerDossier: 9, Days: 60, UnitCode: "000.00.12.H29"}); err != nil {
		t.Fatal(err)
	}
	for _, commitEvery := range []string{"1", "3", "1000"} {
		t.Run("commit-every="+commitEvery, func(t *testing.T) {
			path := filepath.Join(dir, "gen-"+commitEvery+".db")
			r := mustExecute(t, "gen-sample", "--driver", "sqlite", "--dsn", "file:"+path, "--dossiers", "293", "--bad-rows", "7",
				"--seed", "5", "--max-steps", "9", "--create-schema", "--commit-every", commitEvery)
			for _, s := range []string{"300 (293 good, 7 bad), ids 1–300", "rows/s"} {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("summary lacks %q:\n%s", s, r.stdout)
				}
			}
			got := openSQLite(t, path)
			for _, table := range sampleTables {
				wn, wd := tableDigest(t, direct, table)
				gn, gd := tableDigest(t, got, table)
				if gn != wn || gd != wd {
					t.Errorf("%s: gen-sample wrote %d rows (digest %.12s), sampledata %d rows (digest %.12s)", table, gn, gd, wn, wd)
				}
			}
		})
	}
}

func TestGenSampleRefusesNonEmptyTables(t *testing.T) {
	path := filepath.Join(t.TempDir(), "legacy.db")
	base := []string{"gen-sample", "--driver", "sqlite", "--dsn", "file:" + path, "--dossiers", "40", "--seed", "3"}
	mustExecute(t, append(base, "--create-schema")...)
	db := openSQLite(t, path)
	_, before := tableDigest(t, db, "hs_hoso")

	r := execute(context.Background(), base...)
	if r.err == nil {
		t.Fatal("second gen-sample into a filled database succeeded; want a refusal")
	}
	for _, s := range []string{"not empty", "hs_hoso has 40 rows", "--reset", "--append"} {
		if !strings.Contains(r.err.Error(), s) {
			t.Errorf("refusal %q lacks %q", r.err, s)
		}
	}
	if _, after := tableDigest(t, db, "hs_hoso"); after != before {
		t.Error("the refused run changed hs_hoso")
	}

	// --reset empties first: the same seed gives the same rows again.
	mustExecute(t, append(base, "--reset")...)
	if n, after := tableDigest(t, db, "hs_hoso"); n != 40 || after != before {
		t.Errorf("after --reset: %d rows, digest changed=%v; want 40 identical rows", n, after != before)
	}
}

// TestGenSampleAppend checks that appended dossiers follow the existing
// ones: new ids, children pointing at the new parents, later dates and no
// dossier code used twice.
func TestGenSampleAppend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "legacy.db")
	base := []string{"gen-sample", "--driver", "sqlite", "--dsn", "file:" + path, "--seed", "9"}
	mustExecute(t, append(base, "--dossiers", "60", "--create-schema")...)
	db := openSQLite(t, path)
	var maxUpdated string
	if err := db.QueryRow("SELECT MAX(ngay_cap_nhat) FROM hs_hoso").Scan(&maxUpdated); err != nil {
		t.Fatal(err)
	}
	r := mustExecute(t, append(base, "--dossiers", "25", "--append")...)
	if !strings.Contains(r.stdout, "ids 61–85") {
		t.Errorf("summary does not give the appended ids 61–85:\n%s", r.stdout)
	}
	checks := []struct {
		name, query string
		want        int64
	}{
		{"dossiers", "SELECT COUNT(*) FROM hs_hoso", 85},
		{"first appended id", "SELECT MIN(id) FROM hs_hoso WHERE id > 60", 61},
		{"last appended id", "SELECT MAX(id) FROM hs_hoso", 85},
		{"distinct dossier codes", "SELECT COUNT(DISTINCT so_ho_so) FROM hs_hoso", 85},
		{"distinct step ids", "SELECT COUNT(DISTINCT id) - COUNT(*) FROM hs_qua_trinh", 0},
		{"steps without their dossier", "SELECT COUNT(*) FROM hs_qua_trinh q LEFT JOIN hs_hoso h ON h.id = q.hoso_id WHERE h.id IS NULL", 0},
		{"steps of appended dossiers", "SELECT COUNT(*) FROM hs_qua_trinh WHERE hoso_id > 60", -1},
		{"documents of appended dossiers", "SELECT COUNT(*) FROM hs_tai_lieu WHERE hoso_id > 60", -1},
		{"documents without their dossier", "SELECT COUNT(*) FROM hs_tai_lieu d LEFT JOIN hs_hoso h ON h.id = d.hoso_id WHERE h.id IS NULL", 0},
		{"step codes that differ from their dossier's", "SELECT COUNT(*) FROM hs_qua_trinh q JOIN hs_hoso h ON h.id = q.hoso_id WHERE q.so_ho_so <> h.so_ho_so", 0},
		{"appended dossiers received before the old ones' last update", "SELECT COUNT(*) FROM hs_hoso WHERE id > 60 AND ngay_nhan <= '" + maxUpdated + "'", 0},
	}
	for _, c := range checks {
		var n int64
		if err := db.QueryRow(c.query).Scan(&n); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if (c.want < 0 && n == 0) || (c.want >= 0 && n != c.want) {
			t.Errorf("%s: %d, want %s", c.name, n, map[bool]string{true: "some", false: strconv.FormatInt(c.want, 10)}[c.want < 0])
		}
	}
}

func TestGenSampleFlagErrors(t *testing.T) {
	dsn := "file:" + filepath.Join(t.TempDir(), "x.db")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown driver", []string{"--driver", "oracle", "--dsn", dsn}, `--driver "oracle"`},
		{"no dsn", []string{"--driver", "sqlite"}, "--dsn is required"},
		{"no dossiers", []string{"--dsn", dsn, "--driver", "sqlite", "--dossiers", "0"}, "at least one dossier"},
		{"negative bad rows", []string{"--dsn", dsn, "--driver", "sqlite", "--bad-rows", "-1"}, "no negative count"},
		{"zero steps", []string{"--dsn", dsn, "--driver", "sqlite", "--max-steps", "0"}, "--max-steps 0"},
		{"append and reset", []string{"--dsn", dsn, "--driver", "sqlite", "--append", "--reset"}, "exclude each other"},
		{"bad start", []string{"--dsn", dsn, "--driver", "sqlite", "--start", "01/09/2026"}, `--start "01/09/2026"`},
		{"no schema", []string{"--dsn", dsn, "--driver", "sqlite"}, "--create-schema"},
		{"mysql dsn without database", []string{"--dsn", "root@tcp(127.0.0.1:3306)/"}, "names no database"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := execute(context.Background(), append([]string{"gen-sample"}, tc.args...)...)
			if r.err == nil || !strings.Contains(r.err.Error(), tc.want) {
				t.Fatalf("gen-sample %s: error %v, want one containing %q", strings.Join(tc.args, " "), r.err, tc.want)
			}
		})
	}
}

// TestGenSampleProgressLines checks the progress a script's log gets (no
// terminal): rising counts, ending at the total.
func TestGenSampleProgressLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "legacy.db")
	r := mustExecute(t, "gen-sample", "--driver", "sqlite", "--dsn", "file:"+path, "--dossiers", "3000", "--create-schema")
	var counts []int
	for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		var done, total int
		if _, err := fmt.Sscanf(line, "gen-sample: %d/%d", &done, &total); err != nil || total != 3000 {
			t.Fatalf("unexpected progress line %q", line)
		}
		counts = append(counts, done)
	}
	if len(counts) < 2 || counts[len(counts)-1] != 3000 {
		t.Fatalf("progress counts %v: want several, ending at 3000", counts)
	}
	for i := 1; i < len(counts); i++ {
		if counts[i] <= counts[i-1] {
			t.Fatalf("progress counts %v do not rise", counts)
		}
	}
}

// TestGenSampleMariaDB runs the MySQL path: client-side interpolation,
// transactions grouped on one connection, TRUNCATE for --reset.
func TestGenSampleMariaDB(t *testing.T) {
	dsn, db := testdb.MariaDB(t)
	base := []string{"gen-sample", "--driver", "mysql", "--dsn", dsn, "--dossiers", "150", "--bad-rows", "7", "--seed", "11", "--commit-every", "2"}
	mustExecute(t, append(base, "--create-schema")...)
	counts := map[string]int{}
	digests := map[string]string{}
	for _, table := range sampleTables {
		counts[table], digests[table] = tableDigest(t, db, table)
	}
	if counts["hs_hoso"] != 157 || counts["hs_qua_trinh"] == 0 || counts["hs_tai_lieu"] == 0 {
		t.Fatalf("row counts %v: want 157 dossiers with steps and documents", counts)
	}
	var badName int
	if err := db.QueryRow("SELECT COUNT(*) FROM hs_hoso WHERE ho_ten_nguoi_nop = ?", []byte("Nguy\xeabn V\xe3n A")).Scan(&badName); err != nil {
		t.Fatal(err)
	}
	if badName != 1 {
		t.Errorf("%d rows carry the Windows-1258 applicant name bytes unchanged, want 1", badName)
	}
	mustExecute(t, append(base, "--reset")...)
	for _, table := range sampleTables {
		if n, d := tableDigest(t, db, table); n != counts[table] || d != digests[table] {
			t.Errorf("%s after --reset: %d rows, same digest %v; want the same %d rows", table, n, d == digests[table], counts[table])
		}
	}
}
