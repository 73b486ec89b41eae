package isodientu

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
)

// `timestamp without time zone` holds the legacy zone's wall clock;
// timestamptz and date come back as the right instants too.
func TestPostgresTimestampsInLegacyZone(t *testing.T) {
	dsn, db := postgresDB(t)
	mustExec(t, db, "CREATE TABLE z (id BIGINT PRIMARY KEY, ts TIMESTAMP NOT NULL, tstz TIMESTAMPTZ, d DATE)")
	mustExec(t, db, "INSERT INTO z VALUES (1, '2024-03-01 08:00:00.25', '2024-03-01 08:00:00+07', '2024-03-01')")
	src := startSource(t, testConfig(DriverPostgres, dsn, StreamConfig{
		Query:  "SELECT id, ts, tstz, d FROM z",
		Cursor: CursorConfig{Updated: "ts", Key: "id"},
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
		{"cursor", r.Cursor.Updated, eight.Add(250 * time.Millisecond)},
		{"timestamp", r.Values["ts"], eight.Add(250 * time.Millisecond)},
		{"timestamptz", r.Values["tstz"], eight},
		{"date", r.Values["d"], time.Date(2024, 3, 1, 0, 0, 0, 0, vn)},
	}
	for _, tc := range tests {
		got, ok := tc.got.(time.Time)
		if !ok || !got.Equal(tc.want) {
			t.Errorf("%s = %v (%T), want the instant %s", tc.name, tc.got, tc.got, tc.want.UTC())
		}
	}
	// Re-reading from that cursor finds nothing: the bound cursor time
	// compares equal to the stored wall clock.
	if again := read(t, src, "ho_so", b.Next, 10); len(again.Records) != 0 {
		t.Errorf("read after the cursor returned %v", keysOf(again.Records))
	}
}

// Children are read with $n placeholders (rebinding of the IN list) and
// grouped under their parents; the connector's session is read-only.
func TestPostgresChildrenAndReadOnly(t *testing.T) {
	dsn, db := postgresDB(t)
	mustExec(t, db, "CREATE TABLE hs_hoso (id BIGINT PRIMARY KEY, ngay_cap_nhat TIMESTAMP NOT NULL)")
	mustExec(t, db, "CREATE TABLE hs_tai_lieu (id BIGINT PRIMARY KEY, hoso_id BIGINT NOT NULL, ten TEXT)")
	when := wall(time.Date(2024, 3, 1, 8, 0, 0, 0, vn))
	for id := 1; id <= 4; id++ {
		mustExec(t, db, "INSERT INTO hs_hoso VALUES ($1, $2)", id, when)
		for j := 0; j < attachmentsOf(id); j++ {
			mustExec(t, db, "INSERT INTO hs_tai_lieu VALUES ($1, $2, $3)", id*10+j, id, fmt.Sprintf("Tờ khai %d.%d", id, j))
		}
	}
	src := startSource(t, testConfig(DriverPostgres, dsn, StreamConfig{
		Query:  "SELECT id, ngay_cap_nhat FROM hs_hoso",
		Cursor: CursorConfig{Updated: "ngay_cap_nhat", Key: "id"},
		Children: map[string]ChildConfig{
			"tai_lieu": {Query: "SELECT hoso_id, id, ten FROM hs_tai_lieu WHERE hoso_id IN (?) ORDER BY id", Parent: "hoso_id"},
		},
	}), func() time.Time { return farFuture })
	b := read(t, src, "ho_so", connectors.Cursor{}, 10)
	if got := keysOf(b.Records); !slices.Equal(got, []string{"1", "2", "3", "4"}) {
		t.Fatalf("keys %v", got)
	}
	for i, r := range b.Records {
		docs := r.Values["tai_lieu"].([]map[string]any)
		if len(docs) != attachmentsOf(i+1) {
			t.Errorf("record %s: %d attachments, want %d", r.Key, len(docs), attachmentsOf(i+1))
		}
		for _, d := range docs {
			if d["hoso_id"] != int64(i+1) {
				t.Errorf("record %s got attachment of %v", r.Key, d["hoso_id"])
			}
		}
	}

	conn, err := src.db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "CREATE TABLE written_by_connector (a INT)"); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("a write on the connector's session gave %v, want a read-only transaction error", err)
	}
}

// With the (updated, key) index the poll can be served by it on 10,000
// rows, NULLS FIRST ordering included; without it the check warns.
func TestPostgresExplainPoll(t *testing.T) {
	tests := []struct {
		name   string
		index  string
		status connectors.CheckStatus
	}{
		{"index (updated, key)", "CREATE INDEX idx_lgsp_cursor ON hs_hoso (ngay_cap_nhat, id)", connectors.CheckOK},
		{"no index", "", connectors.CheckWarn},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dsn, db := postgresDB(t)
			mustExec(t, db, "CREATE TABLE hs_hoso (id BIGINT PRIMARY KEY, so_ho_so TEXT, ngay_cap_nhat TIMESTAMP NOT NULL)")
			if tc.index != "" {
				mustExec(t, db, tc.index)
			}
			mustExec(t, db, `INSERT INTO hs_hoso SELECT g, 'HS-' || g, TIMESTAMP '2024-01-01 07:00' + (g / 3) * INTERVAL '1 minute'
				FROM generate_series(1, 10000) g`)
			mustExec(t, db, "ANALYZE hs_hoso")
			src := startSource(t, testConfig(DriverPostgres, dsn, StreamConfig{
				Query:  "SELECT id, so_ho_so, ngay_cap_nhat FROM hs_hoso",
				Cursor: CursorConfig{Updated: "ngay_cap_nhat", Key: "id"},
			}), func() time.Time { return time.Date(2024, 1, 5, 12, 0, 0, 0, vn) })
			plan, err := src.ExplainPoll(context.Background(), "ho_so")
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("plan:\n%s", plan)
			if hasIndex := tc.index != ""; hasIndex == strings.Contains(plan, "Seq Scan") {
				t.Errorf("index present = %v but plan:\n%s", hasIndex, plan)
			}
			results := src.Check(context.Background())
			for _, r := range results {
				t.Logf("[%s] %s: %s", r.Status, r.Name, strings.ReplaceAll(r.Detail, "\n", " | "))
			}
			if c := findCheck(t, results, "cursor index"); c.Status != tc.status {
				t.Errorf("cursor index check = %s (%s), want %s", c.Status, c.Detail, tc.status)
			}
		})
	}
}
