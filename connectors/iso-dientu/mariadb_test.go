package isodientu

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
)

// legacySchema is a cut-down one-stop schema as legacy MariaDB systems
// have it: DATETIME in local time, int keys, an attachments table.
var legacySchema = []string{
	`CREATE TABLE hs_hoso (
		id INT AUTO_INCREMENT PRIMARY KEY,
		so_ho_so VARCHAR(50) NOT NULL,
		ho_ten_nguoi_nop VARCHAR(200),
		trang_thai VARCHAR(20),
		ngay_nhan DATETIME,
		ngay_cap_nhat DATETIME NOT NULL,
		KEY idx_hs_hoso_cap_nhat (ngay_cap_nhat, id)
	) CHARACTER SET utf8mb4`,
	`CREATE TABLE hs_tai_lieu (
		id INT AUTO_INCREMENT PRIMARY KEY,
		hoso_id INT NOT NULL,
		ten_tai_lieu VARCHAR(200),
		KEY idx_hs_tai_lieu_hoso (hoso_id)
	) CHARACTER SET utf8mb4`,
}

func hoSoStream() StreamConfig {
	return StreamConfig{
		Query:     "SELECT id, so_ho_so, ho_ten_nguoi_nop, trang_thai, ngay_nhan, ngay_cap_nhat FROM hs_hoso",
		Cursor:    CursorConfig{Updated: "ngay_cap_nhat", Key: "id", KeyType: KeyInt},
		BatchSize: 10,
		Children: map[string]ChildConfig{
			"tai_lieu": {Query: "SELECT hoso_id, id, ten_tai_lieu FROM hs_tai_lieu WHERE hoso_id IN (?) ORDER BY id DESC", Parent: "hoso_id"},
		},
	}
}

// attachmentsOf is how many attachments dossier id has in the fixtures.
func attachmentsOf(id int) int { return id % 3 }

// insertDossiers stores dossiers with the given ids, all updated at
// updated, each with attachmentsOf(id) attachments.
func insertDossiers(t *testing.T, db *sql.DB, updated time.Time, ids ...int) {
	t.Helper()
	for _, id := range ids {
		mustExec(t, db, "INSERT INTO hs_hoso (id, so_ho_so, ho_ten_nguoi_nop, trang_thai, ngay_nhan, ngay_cap_nhat) VALUES (?, ?, ?, ?, ?, ?)",
			id, fmt.Sprintf("000.00.12.H29-240301-%04d", id), "Nguyễn Văn A", "DANG_XU_LY", wall(updated), wall(updated))
		for j := 0; j < attachmentsOf(id); j++ {
			mustExec(t, db, "INSERT INTO hs_tai_lieu (hoso_id, ten_tai_lieu) VALUES (?, ?)", id, fmt.Sprintf("Tờ khai %d.%d", id, j))
		}
	}
}

func legacyMariaDB(t *testing.T) (string, *sql.DB) {
	t.Helper()
	dsn, db := mariaDB(t)
	for _, q := range legacySchema {
		mustExec(t, db, q)
	}
	return dsn, db
}

// 25 dossiers share one update time; batches of 10 and a restart from the
// saved cursor after the first batch still give every dossier exactly
// once, each with its own attachments.
func TestMariaDBEqualTimestampsAcrossBatchAndRestart(t *testing.T) {
	dsn, db := legacyMariaDB(t)
	updated := time.Date(2024, 3, 1, 8, 0, 0, 0, vn)
	ids := make([]int, 25)
	for i := range ids {
		ids[i] = 25 - i // inserted newest id first: order must come from the query
	}
	insertDossiers(t, db, updated, ids...)
	cfg := testConfig(DriverMySQL, dsn, hoSoStream())
	now := func() time.Time { return farFuture }

	first := startSource(t, cfg, now)
	b := read(t, first, "ho_so", connectors.Cursor{}, 10)
	if len(b.Records) != 10 || !b.More {
		t.Fatalf("first batch: %d records, More=%v; want 10 and More", len(b.Records), b.More)
	}
	got := b.Records
	saved := b.Next
	if err := first.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	second := startSource(t, cfg, now)
	for after := saved; ; {
		b := read(t, second, "ho_so", after, 10)
		got = append(got, b.Records...)
		after = b.Next
		if !b.More {
			break
		}
	}

	var want []string
	for id := 1; id <= 25; id++ {
		want = append(want, strconv.Itoa(id))
	}
	if keys := keysOf(got); !slices.Equal(keys, want) {
		t.Fatalf("keys read = %v\nwant each once in order %v", keys, want)
	}
	for _, r := range got {
		if !r.Cursor.Updated.Equal(updated) || r.Cursor.Key != r.Key {
			t.Errorf("record %s: cursor %s, want (%s, %q)", r.Key, describeCursor(r.Cursor), updated, r.Key)
		}
		if _, ok := r.Values["so_ho_so"].([]byte); !ok {
			t.Errorf("record %s: so_ho_so is %T; text must stay as the driver gives it ([]byte) for mapping to decode", r.Key, r.Values["so_ho_so"])
		}
		id, _ := strconv.Atoi(r.Key)
		docs, ok := r.Values["tai_lieu"].([]map[string]any)
		if !ok {
			t.Fatalf("record %s: tai_lieu is %T, want []map[string]any", r.Key, r.Values["tai_lieu"])
		}
		if len(docs) != attachmentsOf(id) {
			t.Errorf("record %s: %d attachments, want %d", r.Key, len(docs), attachmentsOf(id))
		}
		var lastID int64 = 1 << 62
		for _, d := range docs {
			if d["hoso_id"] != int64(id) {
				t.Errorf("record %s: attachment of dossier %v attached", r.Key, d["hoso_id"])
			}
			// The child query orders by id DESC; that order is kept.
			if d["id"].(int64) >= lastID {
				t.Errorf("record %s: attachments not in the child query's order", r.Key)
			}
			lastID = d["id"].(int64)
		}
	}
}

// A transaction that inserts a row stamped T but commits after another
// row stamped T+1s was read: with a lag window the source reads both;
// without one the cursor passes T before the row is visible and the row
// is lost. This is why lag exists.
func TestMariaDBLateCommitInsideLag(t *testing.T) {
	tests := []struct {
		name        string
		lag         time.Duration
		beforeKeys  []string // read at T+2s, while A is still open
		afterKeys   []string // read at T+6s, after A committed
		missesLateA bool
	}{
		{"lag 5s reads both in order", 5 * time.Second, nil, []string{"1", "2"}, false},
		{"lag 0 misses the late row", 0, []string{"2"}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dsn, db := legacyMariaDB(t)
			T := time.Date(2024, 3, 1, 10, 0, 0, 0, vn)
			ctx := context.Background()

			connA, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer connA.Close()
			txA, err := connA.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = txA.Rollback() }()
			if _, err := txA.Exec("INSERT INTO hs_hoso (id, so_ho_so, ngay_cap_nhat) VALUES (1, 'A', ?)", wall(T)); err != nil {
				t.Fatal(err)
			}
			// B commits a newer row while A is still open.
			mustExec(t, db, "INSERT INTO hs_hoso (id, so_ho_so, ngay_cap_nhat) VALUES (2, 'B', ?)", wall(T.Add(time.Second)))

			stream := hoSoStream()
			stream.Lag = durationPtr(tc.lag)
			clk := &clock{t: T.Add(2 * time.Second)}
			src := startSource(t, testConfig(DriverMySQL, dsn, stream), clk.Now)

			b := read(t, src, "ho_so", connectors.Cursor{}, 10)
			if got := keysOf(b.Records); !slices.Equal(got, tc.beforeKeys) {
				t.Fatalf("read at T+2s = %v, want %v", got, tc.beforeKeys)
			}
			seen := keysOf(b.Records)

			if err := txA.Commit(); err != nil {
				t.Fatal(err)
			}
			clk.Set(T.Add(6 * time.Second))
			b = read(t, src, "ho_so", b.Next, 10)
			if got := keysOf(b.Records); !slices.Equal(got, tc.afterKeys) {
				t.Fatalf("read at T+6s = %v, want %v", got, tc.afterKeys)
			}
			seen = append(seen, keysOf(b.Records)...)
			if missed := !slices.Contains(seen, "1"); missed != tc.missesLateA {
				t.Fatalf("late row A missed = %v, want %v (rows seen %v)", missed, tc.missesLateA, seen)
			}
		})
	}
}

// DATETIME, DATETIME(6), TIMESTAMP and DATE columns written in +07:00 on
// a server whose own zone is UTC come back as the right instants.
func TestMariaDBDatetimeInLegacyZone(t *testing.T) {
	dsn, db := mariaDB(t)
	mustExec(t, db, `CREATE TABLE z (
		id INT PRIMARY KEY, dt DATETIME NOT NULL, dt6 DATETIME(6), ts TIMESTAMP NULL, d DATE,
		KEY (dt, id))`)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The legacy application's session runs in local time.
	if _, err := conn.ExecContext(ctx, "SET time_zone = '+07:00'"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "INSERT INTO z VALUES (1, '2024-03-01 08:00:00', '2024-03-01 08:00:00.123456', '2024-03-01 08:00:00', '2024-03-01')"); err != nil {
		t.Fatal(err)
	}
	conn.Close()

	var serverZone string
	if err := db.QueryRow("SELECT @@global.time_zone").Scan(&serverZone); err != nil {
		t.Fatal(err)
	}
	t.Logf("server time_zone = %s", serverZone)

	src := startSource(t, testConfig(DriverMySQL, dsn, StreamConfig{
		Query:  "SELECT id, dt, dt6, ts, d FROM z",
		Cursor: CursorConfig{Updated: "dt", Key: "id"},
	}), func() time.Time { return farFuture })
	b := read(t, src, "ho_so", connectors.Cursor{}, 10)
	if len(b.Records) != 1 {
		t.Fatalf("got %d records, want 1", len(b.Records))
	}
	r := b.Records[0]
	eight := time.Date(2024, 3, 1, 1, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		got  any
		want time.Time
	}{
		{"cursor", r.Cursor.Updated, eight},
		{"DATETIME", r.Values["dt"], eight},
		{"DATETIME(6)", r.Values["dt6"], eight.Add(123456 * time.Microsecond)},
		{"TIMESTAMP", r.Values["ts"], eight},
		{"DATE", r.Values["d"], time.Date(2024, 3, 1, 0, 0, 0, 0, vn)},
	}
	for _, tc := range tests {
		got, ok := tc.got.(time.Time)
		if !ok || !got.Equal(tc.want) {
			t.Errorf("%s = %v (%T), want the instant %s", tc.name, tc.got, tc.got, tc.want.UTC())
		}
	}
}

// seedTenThousand stores 10,000 dossiers spread over about a week, several
// per minute sharing a timestamp.
func seedTenThousand(t *testing.T, db *sql.DB, table string) {
	t.Helper()
	base := time.Date(2024, 1, 1, 7, 0, 0, 0, vn)
	const chunk = 1000
	for start := 1; start <= 10000; start += chunk {
		var b strings.Builder
		var args []any
		b.WriteString("INSERT INTO " + table + " (id, so_ho_so, ngay_cap_nhat) VALUES ")
		for id := start; id < start+chunk; id++ {
			if id > start {
				b.WriteString(",")
			}
			b.WriteString("(?, ?, ?)")
			args = append(args, id, fmt.Sprintf("HS-%05d", id), wall(base.Add(time.Duration(id/3)*time.Minute)))
		}
		mustExec(t, db, b.String(), args...)
	}
}

// The idle poll on 10,000 rows is a range scan on the (updated, key)
// index, and the doctor's check says so; without the index it is a full
// scan and the check warns.
func TestMariaDBExplainPollUsesIndex(t *testing.T) {
	tests := []struct {
		name     string
		index    bool
		wantPlan []string
		status   connectors.CheckStatus
	}{
		{"with index", true, []string{"type=range", "key=idx_lgsp_cursor"}, connectors.CheckOK},
		{"without index", false, []string{"type=ALL"}, connectors.CheckWarn},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dsn, db := mariaDB(t)
			mustExec(t, db, "CREATE TABLE hs_hoso (id INT PRIMARY KEY, so_ho_so VARCHAR(50), ngay_cap_nhat DATETIME NOT NULL)")
			if tc.index {
				mustExec(t, db, "CREATE INDEX idx_lgsp_cursor ON hs_hoso (ngay_cap_nhat, id)")
			}
			seedTenThousand(t, db, "hs_hoso")
			mustExec(t, db, "ANALYZE TABLE hs_hoso")

			src := startSource(t, testConfig(DriverMySQL, dsn, StreamConfig{
				Query:  "SELECT id, so_ho_so, ngay_cap_nhat FROM hs_hoso",
				Cursor: CursorConfig{Updated: "ngay_cap_nhat", Key: "id"},
			}), func() time.Time { return time.Date(2024, 1, 5, 12, 0, 0, 0, vn) })
			plan, err := src.ExplainPoll(context.Background(), "ho_so")
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("plan:\n%s", plan)
			for _, w := range tc.wantPlan {
				if !strings.Contains(plan, w) {
					t.Errorf("plan lacks %q:\n%s", w, plan)
				}
			}
			if tc.index && (strings.Contains(plan, "type=ALL") || strings.Contains(plan, "filesort")) {
				t.Errorf("plan scans or sorts the table instead of reading the index in order:\n%s", plan)
			}
			check := findCheck(t, src.Check(context.Background()), "cursor index")
			if check.Status != tc.status {
				t.Errorf("cursor index check = %s (%s), want %s", check.Status, check.Detail, tc.status)
			}
		})
	}
}

// An idle poll is exactly one query, even with child lists; a batch with
// rows costs one more query per child list.
func TestMariaDBIdlePollIsOneQuery(t *testing.T) {
	dsn, db := legacyMariaDB(t)
	insertDossiers(t, db, time.Date(2024, 3, 1, 8, 0, 0, 0, vn), 1, 2, 3)
	src := startSource(t, testConfig(DriverMySQL, dsn, hoSoStream()), func() time.Time { return farFuture })
	queries := countQueries(src)

	b := read(t, src, "ho_so", connectors.Cursor{}, 10)
	if len(b.Records) != 3 || len(*queries) != 2 {
		t.Fatalf("batch of %d records took %d queries, want 3 records in 2 (poll + tai_lieu): %q", len(b.Records), len(*queries), *queries)
	}
	*queries = nil
	idle := read(t, src, "ho_so", b.Next, 10)
	if len(idle.Records) != 0 {
		t.Fatalf("idle poll returned %d records", len(idle.Records))
	}
	if len(*queries) != 1 || !strings.HasPrefix((*queries)[0], "SELECT * FROM (") {
		t.Fatalf("idle poll sent %d statements, want exactly the poll query: %q", len(*queries), *queries)
	}
}

// Rows whose cursor columns cannot be read are returned with a record
// error, in database order, and the cursor moves past them; rows with a
// NULL update time cannot be read at all and the doctor counts them.
func TestMariaDBRecordErrors(t *testing.T) {
	dsn, db := mariaDB(t)
	mustExec(t, db, "CREATE TABLE loose (ma INT NULL, ngay_cap_nhat DATETIME NULL, KEY (ngay_cap_nhat, ma))")
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "SET SESSION sql_mode = ''"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO loose VALUES
		(4, '0000-00-00 00:00:00'), (NULL, '2024-03-01 08:00:00'), (1, '2024-03-01 08:00:00'),
		(2, '2024-03-01 08:00:00'), (3, '2024-03-01 08:00:01'), (5, NULL)`); err != nil {
		t.Fatal(err)
	}
	conn.Close()

	src := startSource(t, testConfig(DriverMySQL, dsn, StreamConfig{
		Query:  "SELECT ma, ngay_cap_nhat FROM loose",
		Cursor: CursorConfig{Updated: "ngay_cap_nhat", Key: "ma"},
	}), func() time.Time { return farFuture })

	type seen struct{ key, errField, errValue string }
	var got []seen
	after := connectors.Cursor{}
	for i := 0; i < 10; i++ {
		b := read(t, src, "ho_so", after, 2)
		for _, r := range b.Records {
			s := seen{key: r.Key}
			if e := connectors.RecordErrorOf(r); e != nil {
				s.errField, s.errValue = e.Field, e.Value
			}
			got = append(got, s)
		}
		after = b.Next
		if !b.More {
			break
		}
	}
	want := []seen{
		{"4", "ngay_cap_nhat", "0000-00-00 00:00:00"},
		{"", "ma", "NULL"},
		{"1", "", ""}, {"2", "", ""}, {"3", "", ""},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("read %+v\nwant %+v", got, want)
	}
	if idle := read(t, src, "ho_so", after, 2); len(idle.Records) != 0 {
		t.Errorf("rows read again after the end: %v", keysOf(idle.Records))
	}
	check := findCheck(t, src.Check(ctx), "NULL update")
	if check.Status != connectors.CheckWarn || !strings.Contains(check.Detail, "1 ") {
		t.Errorf("NULL update check = %s %q, want a warning counting 1 row", check.Status, check.Detail)
	}
}

// start_date skips rows updated before it (in the legacy zone), also
// when resuming from a cursor older than it.
func TestMariaDBStartDate(t *testing.T) {
	dsn, db := legacyMariaDB(t)
	insertDossiers(t, db, time.Date(2024, 12, 31, 23, 59, 59, 0, vn), 1)
	insertDossiers(t, db, time.Date(2025, 1, 1, 0, 0, 0, 0, vn), 2)
	stream := hoSoStream()
	stream.StartDate = "2025-01-01"
	src := startSource(t, testConfig(DriverMySQL, dsn, stream), func() time.Time { return farFuture })
	for _, after := range []connectors.Cursor{{}, {Updated: time.Date(2020, 1, 1, 0, 0, 0, 0, vn), Key: "99"}} {
		b := read(t, src, "ho_so", after, 10)
		if got := keysOf(b.Records); !slices.Equal(got, []string{"2"}) {
			t.Errorf("from %s: read %v, want only [2]", describeCursor(after), got)
		}
	}
}

func TestMariaDBReadErrors(t *testing.T) {
	dsn, db := legacyMariaDB(t)
	insertDossiers(t, db, time.Date(2024, 3, 1, 8, 0, 0, 0, vn), 1)
	ctx := context.Background()
	far := func() time.Time { return farFuture }

	t.Run("query names a missing table", func(t *testing.T) {
		src := startSource(t, testConfig(DriverMySQL, dsn, StreamConfig{
			Query:  "SELECT id, ngay_cap_nhat FROM hs_khong_co",
			Cursor: CursorConfig{Updated: "ngay_cap_nhat", Key: "id"},
		}), far)
		_, err := src.Read(ctx, "ho_so", connectors.Cursor{}, 10)
		for _, want := range []string{`stream "ho_so"`, "hs_khong_co", "1146"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("error %v lacks %q", err, want)
			}
		}
	})
	t.Run("duplicate column names", func(t *testing.T) {
		src := startSource(t, testConfig(DriverMySQL, dsn, StreamConfig{
			Query:  "SELECT h.id, h.ngay_cap_nhat, t.id FROM hs_hoso h LEFT JOIN hs_tai_lieu t ON t.hoso_id = h.id",
			Cursor: CursorConfig{Updated: "ngay_cap_nhat", Key: "id"},
		}), far)
		_, err := src.Read(ctx, "ho_so", connectors.Cursor{}, 10)
		if err == nil || !strings.Contains(err.Error(), "alias") {
			t.Errorf("error %v should ask for aliases", err)
		}
	})
	t.Run("lifecycle", func(t *testing.T) {
		src := newSource(t, testConfig(DriverMySQL, dsn, hoSoStream()), far)
		if _, err := src.Read(ctx, "ho_so", connectors.Cursor{}, 10); err == nil || !strings.Contains(err.Error(), "before Start") {
			t.Errorf("Read before Start: %v", err)
		}
		if err := src.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := src.Read(ctx, "qua_trinh", connectors.Cursor{}, 10); err == nil || !strings.Contains(err.Error(), `"qua_trinh"`) {
			t.Errorf("Read of unknown stream: %v", err)
		}
		if err := src.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := src.Read(ctx, "ho_so", connectors.Cursor{}, 10); err == nil {
			t.Error("Read after Shutdown succeeded")
		}
		if err := src.Start(ctx); err == nil {
			t.Error("Start after Shutdown succeeded")
		}
	})
	t.Run("wrong password is reported without it", func(t *testing.T) {
		bad := testConfig(DriverMySQL, "lgsp_nobody:S3cretPassw0rd@tcp(127.0.0.1:3306)/x", hoSoStream())
		src := newSource(t, bad, far)
		err := src.Start(ctx)
		if err == nil {
			t.Fatal("Start with a wrong account succeeded")
		}
		if strings.Contains(err.Error(), "S3cretPassw0rd") {
			t.Errorf("error reveals the password: %v", err)
		}
		if !strings.Contains(err.Error(), "source.dsn") {
			t.Errorf("error %v does not point at source.dsn", err)
		}
	})
}

// The doctor's checks on a working configuration, and on broken stream
// and child queries: every check runs, failures name the stream.
func TestMariaDBCheck(t *testing.T) {
	dsn, db := legacyMariaDB(t)
	insertDossiers(t, db, time.Date(2024, 3, 1, 8, 0, 0, 0, vn), 1, 2)
	cfg := testConfig(DriverMySQL, dsn, hoSoStream())
	cfg.Streams["qua_trinh_xu_ly"] = StreamConfig{
		Query:  "SELECT id, ngay_cap_nhat FROM hs_qua_trinh_khong_co",
		Cursor: CursorConfig{Updated: "ngay_cap_nhat", Key: "id"},
	}
	broken := hoSoStream()
	broken.Children = map[string]ChildConfig{"tai_lieu": {Query: "SELECT id FROM hs_tai_lieu WHERE hoso_id IN (?)", Parent: "hoso_id"}}
	cfg.Streams["ho_so_2"] = broken

	// Check works without Start, as the doctor uses it.
	src := newSource(t, cfg, func() time.Time { return time.Now() })
	results := src.Check(context.Background())
	for _, r := range results {
		t.Logf("[%s] %s: %s", r.Status, r.Name, strings.ReplaceAll(r.Detail, "\n", " | "))
	}
	want := map[string]connectors.CheckStatus{
		"legacy database":                 connectors.CheckOK,
		"database clock":                  connectors.CheckOK,
		"stream ho_so: query":             connectors.CheckOK,
		"stream ho_so: child tai_lieu":    connectors.CheckOK,
		"stream ho_so: cursor index":      connectors.CheckOK,
		"stream ho_so: NULL update times": connectors.CheckOK,
		"stream ho_so_2: child tai_lieu":  connectors.CheckFail,
		"stream qua_trinh_xu_ly: query":   connectors.CheckFail,
	}
	for name, status := range want {
		if got := findCheck(t, results, name); got.Status != status {
			t.Errorf("check %q = %s (%s), want %s", name, got.Status, got.Detail, status)
		}
	}
	if c := findCheck(t, results, "stream qua_trinh_xu_ly: query"); !strings.Contains(c.Detail, "hs_qua_trinh_khong_co") || c.Hint == "" {
		t.Errorf("failed query check should name the table and give a hint: %+v", c)
	}

	// Seen from a machine an hour ahead, the database clock is behind by
	// more than the lag: rows could be missed, so the check fails.
	ahead := newSource(t, testConfig(DriverMySQL, dsn, hoSoStream()), func() time.Time { return time.Now().Add(time.Hour) })
	if c := findCheck(t, ahead.Check(context.Background()), "database clock"); c.Status != connectors.CheckFail || c.Hint == "" {
		t.Errorf("clock check with the database an hour behind = %s %q, want FAIL with a hint", c.Status, c.Detail)
	}
}

// findCheck returns the check whose English name contains part.
func findCheck(t *testing.T, results []connectors.CheckResult, part string) connectors.CheckResult {
	t.Helper()
	for _, r := range results {
		if strings.Contains(englishName(r.Name), part) {
			return r
		}
	}
	t.Fatalf("no check named like %q among %d results", part, len(results))
	return connectors.CheckResult{}
}

// englishName turns "luồng / stream ho_so: truy vấn / query" into
// "stream ho_so: query": the English half of each bilingual part.
func englishName(name string) string {
	parts := strings.Split(name, ": ")
	for i, p := range parts {
		if _, en, ok := strings.Cut(p, " / "); ok {
			parts[i] = en
		}
	}
	return strings.Join(parts, ": ")
}
