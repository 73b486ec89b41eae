package isodientu

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
)

// lookupStream is hoSoStream with lookups by so_ho_so.
func lookupStream() StreamConfig {
	sc := hoSoStream()
	sc.Lookup = LookupConfig{Column: "so_ho_so"}
	return sc
}

// childNames lists the ten_tai_lieu of a record's tai_lieu child rows.
func childNames(t *testing.T, rec connectors.Record) []string {
	t.Helper()
	rows, ok := rec.Values["tai_lieu"].([]map[string]any)
	if !ok {
		t.Fatalf("record %s has no tai_lieu list: %#v", rec.Key, rec.Values["tai_lieu"])
	}
	var out []string
	for _, r := range rows {
		out = append(out, rawText(r["ten_tai_lieu"]))
	}
	return out
}

// lookupCases runs the behaviour every driver must show. The dossiers
// are those insertDossiers stores, updated at `updated`; dossier 7 has a
// twin sharing its code (inserted by twin).
func lookupCases(t *testing.T, src *Source, twin func()) {
	ctx := context.Background()
	code := func(id int) string { return fmt.Sprintf("000.00.12.H29-240301-%04d", id) }

	t.Run("found with children", func(t *testing.T) {
		rec, found, err := src.Lookup(ctx, "ho_so", code(5))
		if err != nil || !found {
			t.Fatalf("Lookup(%s) = found %v, %v; want the dossier", code(5), found, err)
		}
		if rec.Key != "5" || rec.Stream != "ho_so" || rawText(rec.Values["so_ho_so"]) != code(5) {
			t.Errorf("got key %q stream %q so_ho_so %q", rec.Key, rec.Stream, rawText(rec.Values["so_ho_so"]))
		}
		// Dossier 5 has 5 %% 3 = 2 attachments, in the child query's order (id DESC).
		if got, want := childNames(t, rec), []string{"Tờ khai 5.1", "Tờ khai 5.0"}; !slices.Equal(got, want) {
			t.Errorf("tai_lieu = %q, want %q", got, want)
		}
		if connectors.RecordErrorOf(rec) != nil {
			t.Errorf("record error %v", connectors.RecordErrorOf(rec))
		}
	})
	t.Run("found without children gets an empty list", func(t *testing.T) {
		rec, found, err := src.Lookup(ctx, "ho_so", code(6))
		if err != nil || !found {
			t.Fatalf("Lookup = %v, %v", found, err)
		}
		if got := childNames(t, rec); len(got) != 0 {
			t.Errorf("tai_lieu = %q, want none", got)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		rec, found, err := src.Lookup(ctx, "ho_so", code(99))
		if err != nil || found || rec.Values != nil {
			t.Errorf("Lookup(unknown) = %+v, %v, %v; want not found, no error", rec, found, err)
		}
	})
	t.Run("injection attempt is only a value", func(t *testing.T) {
		_, found, err := src.Lookup(ctx, "ho_so", "x' OR '1'='1")
		if err != nil || found {
			t.Errorf("Lookup = %v, %v; want not found", found, err)
		}
	})
	t.Run("ambiguous", func(t *testing.T) {
		twin()
		_, found, err := src.Lookup(ctx, "ho_so", code(7))
		if !errors.Is(err, connectors.ErrAmbiguous) || found {
			t.Fatalf("Lookup(shared code) = %v, %v; want ErrAmbiguous", found, err)
		}
		if !strings.Contains(err.Error(), "so_ho_so") {
			t.Errorf("error does not name the lookup column: %v", err)
		}
	})
}

// Lookups on SQLite: found (even inside the lag window, which is for
// polling only), unknown, ambiguous.
func TestSQLiteLookup(t *testing.T) {
	path, db := sqliteDB(t)
	mustExec(t, db, `CREATE TABLE hs_hoso (id INTEGER PRIMARY KEY, so_ho_so TEXT NOT NULL, ho_ten_nguoi_nop TEXT,
		trang_thai TEXT, ngay_nhan TEXT, ngay_cap_nhat TEXT NOT NULL)`)
	mustExec(t, db, `CREATE TABLE hs_tai_lieu (id INTEGER PRIMARY KEY, hoso_id INTEGER NOT NULL, ten_tai_lieu TEXT)`)
	updated := time.Date(2024, 3, 1, 8, 0, 0, 0, vn)
	for _, id := range []int{5, 6, 7} {
		mustExec(t, db, "INSERT INTO hs_hoso VALUES (?, ?, ?, ?, ?, ?)",
			id, fmt.Sprintf("000.00.12.H29-240301-%04d", id), "Nguyễn Văn A", "DANG_XU_LY", wall(updated), wall(updated))
		for j := 0; j < attachmentsOf(id); j++ {
			mustExec(t, db, "INSERT INTO hs_tai_lieu (hoso_id, ten_tai_lieu) VALUES (?, ?)", id, fmt.Sprintf("Tờ khai %d.%d", id, j))
		}
	}
	// The clock is one second after the update: a poll would not see the
	// rows yet (default lag 30s), a lookup must.
	src := startSource(t, testConfig(DriverSQLite, path, lookupStream()), func() time.Time { return updated.Add(time.Second) })
	if b := read(t, src, "ho_so", connectors.Cursor{}, 10); len(b.Records) != 0 {
		t.Fatalf("precondition: the poll inside the lag window returned %v", keysOf(b.Records))
	}
	lookupCases(t, src, func() {
		mustExec(t, db, "INSERT INTO hs_hoso VALUES (8, '000.00.12.H29-240301-0007', NULL, NULL, NULL, ?)", wall(updated))
	})
}

// A stream without lookup.column, an unknown stream and a source not
// started each give an error that says what to do.
func TestLookupMisuse(t *testing.T) {
	path, _ := sqliteDB(t)
	cfg := testConfig(DriverSQLite, path, hoSoStream())
	src := newSource(t, cfg, nil)
	if _, _, err := src.Lookup(context.Background(), "ho_so", "x"); err == nil || !strings.Contains(err.Error(), "lookup.column") {
		t.Errorf("stream without lookup: %v; want a hint to set lookup.column", err)
	}
	if _, _, err := src.Lookup(context.Background(), "nope", "x"); err == nil || !strings.Contains(err.Error(), `unknown stream "nope"`) {
		t.Errorf("unknown stream: %v", err)
	}
	cfg2 := testConfig(DriverSQLite, path, lookupStream())
	if _, _, err := newSource(t, cfg2, nil).Lookup(context.Background(), "ho_so", "x"); err == nil || !strings.Contains(err.Error(), "before Start") {
		t.Errorf("before Start: %v", err)
	}
}

// A row whose update time is unreadable is still found (a lookup does not
// place rows in time); one whose key is NULL comes back with its record
// error, so the caller reports it rather than answering half a dossier.
func TestSQLiteLookupUnreadableCursorColumns(t *testing.T) {
	path, db := sqliteDB(t)
	mustExec(t, db, `CREATE TABLE hs_hoso (id INTEGER, so_ho_so TEXT, ho_ten_nguoi_nop TEXT, trang_thai TEXT, ngay_nhan TEXT, ngay_cap_nhat TEXT)`)
	mustExec(t, db, `CREATE TABLE hs_tai_lieu (id INTEGER PRIMARY KEY, hoso_id INTEGER NOT NULL, ten_tai_lieu TEXT)`)
	mustExec(t, db, `INSERT INTO hs_hoso VALUES (1, 'A-1', NULL, NULL, NULL, 'hôm qua'), (NULL, 'A-2', NULL, NULL, NULL, '2024-03-01 08:00:00')`)
	mustExec(t, db, `INSERT INTO hs_tai_lieu (hoso_id, ten_tai_lieu) VALUES (1, 'Đơn')`)
	src := startSource(t, testConfig(DriverSQLite, path, lookupStream()), func() time.Time { return farFuture })

	rec, found, err := src.Lookup(context.Background(), "ho_so", "A-1")
	if err != nil || !found || connectors.RecordErrorOf(rec) != nil {
		t.Fatalf("A-1: found %v, err %v, record error %v; want found without error", found, err, connectors.RecordErrorOf(rec))
	}
	if got := childNames(t, rec); !slices.Equal(got, []string{"Đơn"}) {
		t.Errorf("A-1 tai_lieu = %q", got)
	}
	rec, found, err = src.Lookup(context.Background(), "ho_so", "A-2")
	if err != nil || !found {
		t.Fatalf("A-2: found %v, err %v", found, err)
	}
	if re := connectors.RecordErrorOf(rec); re == nil || re.Field != "id" {
		t.Errorf("A-2 record error = %v, want one on the key column id", re)
	}
}

// Lookups on the real MariaDB server, and the plan: the derived table is
// merged, so the equality reaches the index on so_ho_so (no full scan
// while the portal waits).
func TestMariaDBLookup(t *testing.T) {
	dsn, db := legacyMariaDB(t)
	mustExec(t, db, "CREATE INDEX idx_hs_hoso_so ON hs_hoso (so_ho_so)")
	updated := time.Date(2024, 3, 1, 8, 0, 0, 0, vn)
	insertDossiers(t, db, updated, 5, 6, 7)
	for i := 100; i < 300; i++ { // enough rows for the optimiser to prefer the index
		mustExec(t, db, "INSERT INTO hs_hoso (id, so_ho_so, ngay_cap_nhat) VALUES (?, ?, ?)", i, fmt.Sprintf("X-%d", i), wall(updated))
	}
	mustExec(t, db, "ANALYZE TABLE hs_hoso")
	src := startSource(t, testConfig(DriverMySQL, dsn, lookupStream()), func() time.Time { return updated })

	var (
		id, selType, table, typ                 sql.NullString
		possible, key, keyLen, ref, rows, extra sql.NullString
	)
	q := strings.Replace(lookupSQL(dialect{driver: DriverMySQL}, lookupStream().Query, "so_ho_so"), "?", "'000.00.12.H29-240301-0005'", 1)
	if err := db.QueryRow("EXPLAIN "+q).Scan(&id, &selType, &table, &typ, &possible, &key, &keyLen, &ref, &rows, &extra); err != nil {
		t.Fatalf("EXPLAIN %s: %v", q, err)
	}
	if key.String != "idx_hs_hoso_so" || typ.String == "ALL" {
		t.Errorf("lookup plan uses key %q (access %q) on %q; want the index idx_hs_hoso_so", key.String, typ.String, table.String)
	}

	lookupCases(t, src, func() {
		mustExec(t, db, "INSERT INTO hs_hoso (id, so_ho_so, ngay_cap_nhat) VALUES (8, '000.00.12.H29-240301-0007', ?)", wall(updated))
	})
}

// PostgreSQL numbers its placeholders; the lookup binds $1.
func TestPostgresLookup(t *testing.T) {
	dsn, db := postgresDB(t)
	mustExec(t, db, `CREATE TABLE hs_hoso (id INT PRIMARY KEY, so_ho_so VARCHAR(50) NOT NULL, ho_ten_nguoi_nop VARCHAR(200),
		trang_thai VARCHAR(20), ngay_nhan TIMESTAMP, ngay_cap_nhat TIMESTAMP NOT NULL)`)
	mustExec(t, db, `CREATE TABLE hs_tai_lieu (id SERIAL PRIMARY KEY, hoso_id INT NOT NULL, ten_tai_lieu VARCHAR(200))`)
	updated := time.Date(2024, 3, 1, 8, 0, 0, 0, vn)
	for _, id := range []int{5, 6, 7} {
		mustExec(t, db, "INSERT INTO hs_hoso VALUES ($1, $2, $3, $4, $5, $6)",
			id, fmt.Sprintf("000.00.12.H29-240301-%04d", id), "Nguyễn Văn A", "DANG_XU_LY", wall(updated), wall(updated))
		for j := 0; j < attachmentsOf(id); j++ {
			mustExec(t, db, "INSERT INTO hs_tai_lieu (hoso_id, ten_tai_lieu) VALUES ($1, $2)", id, fmt.Sprintf("Tờ khai %d.%d", id, j))
		}
	}
	src := startSource(t, testConfig(DriverPostgres, dsn, lookupStream()), func() time.Time { return farFuture })
	lookupCases(t, src, func() {
		mustExec(t, db, "INSERT INTO hs_hoso (id, so_ho_so, ngay_cap_nhat) VALUES (8, '000.00.12.H29-240301-0007', $1)", wall(updated))
	})
}

// The capabilities the inbound API looks for follow the configuration: a
// stream without lookup.column cannot be looked up, a source without
// files serves none (so no link is published that would answer 404).
func TestCapabilitiesFollowConfig(t *testing.T) {
	path, _ := sqliteDB(t)
	plain := newSource(t, testConfig(DriverSQLite, path, hoSoStream()), nil)
	if connectors.LookuperOf(plain, "ho_so") != nil || connectors.FileSourceOf(plain) != nil {
		t.Error("a source without lookup.column and files offers them")
	}
	cfg := testConfig(DriverSQLite, path, lookupStream())
	cfg.Files = &FilesConfig{Query: "SELECT id, b FROM t WHERE id = ?", ContentColumn: "b"}
	full := newSource(t, cfg, nil)
	if connectors.LookuperOf(full, "ho_so") == nil || connectors.FileSourceOf(full) == nil {
		t.Error("a configured source does not offer lookup and files")
	}
	if connectors.LookuperOf(full, "qua_trinh_xu_ly") != nil {
		t.Error("an unknown stream can be looked up")
	}
}
