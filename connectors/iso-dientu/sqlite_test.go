package isodientu

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
)

type readRow struct {
	key      string
	errField string
}

func readRows(b connectors.Batch) []readRow {
	var out []readRow
	for _, r := range b.Records {
		rr := readRow{key: r.Key}
		if e := connectors.RecordErrorOf(r); e != nil {
			rr.errField = e.Field
		}
		out = append(out, rr)
	}
	return out
}

// Text timestamps in the configured layout are read in the legacy zone; a
// value that is not a time is returned with a record error, and the next
// readable row moves the cursor past it.
func TestSQLiteTextTimestamps(t *testing.T) {
	path, db := sqliteDB(t)
	mustExec(t, db, "CREATE TABLE hs (id INTEGER PRIMARY KEY, cap_nhat TEXT NOT NULL)")
	mustExec(t, db, "CREATE INDEX hs_cursor ON hs (cap_nhat, id)")
	mustExec(t, db, `INSERT INTO hs VALUES (1, '2024-03-01 08:00:00'), (2, '2024-03-01 08:00:00'),
		(3, '01/03/2024 08:00'), (4, '2024-03-01 09:30:00')`)
	src := startSource(t, testConfig(DriverSQLite, path, StreamConfig{
		Query:  "SELECT id, cap_nhat FROM hs",
		Cursor: CursorConfig{Updated: "cap_nhat", Key: "id"},
	}), func() time.Time { return farFuture })

	b := read(t, src, "ho_so", connectors.Cursor{}, 10)
	// '01/03/2024 08:00' sorts first as text.
	want := []readRow{{"3", "cap_nhat"}, {"1", ""}, {"2", ""}, {"4", ""}}
	if got := readRows(b); !slices.Equal(got, want) {
		t.Fatalf("read %+v, want %+v", got, want)
	}
	if first := b.Records[1].Cursor.Updated; !first.Equal(time.Date(2024, 3, 1, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("'2024-03-01 08:00:00' read as %s, want 01:00 UTC", first.UTC())
	}
	if !b.Records[0].Cursor.IsZero() {
		t.Errorf("the unreadable row moved the cursor to %s", describeCursor(b.Records[0].Cursor))
	}
	if again := read(t, src, "ho_so", b.Next, 10); len(again.Records) != 0 {
		t.Errorf("after the last row, read %+v", readRows(again))
	}
}

// A full batch of rows the cursor cannot pass is returned, but without
// More, so the pipeline does not re-read at once in a loop.
func TestSQLiteStuckBatchHasNoMore(t *testing.T) {
	path, db := sqliteDB(t)
	mustExec(t, db, "CREATE TABLE hs (id INTEGER PRIMARY KEY, cap_nhat TEXT NOT NULL)")
	mustExec(t, db, "INSERT INTO hs VALUES (1, '01/03/2024 08:00'), (2, '02/03/2024 09:00')")
	src := startSource(t, testConfig(DriverSQLite, path, StreamConfig{
		Query:  "SELECT id, cap_nhat FROM hs",
		Cursor: CursorConfig{Updated: "cap_nhat", Key: "id"},
	}), func() time.Time { return farFuture })
	for i := 0; i < 2; i++ {
		b := read(t, src, "ho_so", connectors.Cursor{}, 2)
		if len(b.Records) != 2 || b.More || !b.Next.IsZero() {
			t.Fatalf("read %d: %d records, More=%v, Next=%s; want 2 quarantined records, no More, cursor unmoved",
				i+1, len(b.Records), b.More, describeCursor(b.Next))
		}
	}
}

// A NULL key sorts first in its timestamp group; it is quarantined once
// and the rows after it at the same time are not skipped, even one per
// batch.
func TestSQLiteNullKey(t *testing.T) {
	path, db := sqliteDB(t)
	mustExec(t, db, "CREATE TABLE hs (ma INTEGER, cap_nhat DATETIME NOT NULL)")
	mustExec(t, db, `INSERT INTO hs VALUES (2, '2024-03-01 08:00:00'), (NULL, '2024-03-01 08:00:00'),
		(1, '2024-03-01 08:00:00'), (3, '2024-03-01 08:00:01')`)
	src := startSource(t, testConfig(DriverSQLite, path, StreamConfig{
		Query:  "SELECT ma, cap_nhat FROM hs",
		Cursor: CursorConfig{Updated: "cap_nhat", Key: "ma"},
	}), func() time.Time { return farFuture })
	var got []readRow
	after := connectors.Cursor{}
	for i := 0; i < 10; i++ {
		b := read(t, src, "ho_so", after, 1)
		got = append(got, readRows(b)...)
		after = b.Next
		if !b.More {
			break
		}
	}
	want := []readRow{{"", "ma"}, {"1", ""}, {"2", ""}, {"3", ""}}
	if !slices.Equal(got, want) {
		t.Fatalf("read %+v, want %+v", got, want)
	}
}

// The connector's own connection cannot write to the legacy database.
func TestSQLiteReadOnly(t *testing.T) {
	path, db := sqliteDB(t)
	mustExec(t, db, "CREATE TABLE hs (id INTEGER PRIMARY KEY, cap_nhat TEXT NOT NULL)")
	src := startSource(t, testConfig(DriverSQLite, path, StreamConfig{
		Query:  "SELECT id, cap_nhat FROM hs",
		Cursor: CursorConfig{Updated: "cap_nhat", Key: "id"},
	}), func() time.Time { return farFuture })
	if _, err := src.db.ExecContext(context.Background(), "INSERT INTO hs VALUES (1, '2024-03-01 08:00:00')"); err == nil {
		t.Fatal("the connector's connection wrote to the legacy database")
	}
}

func TestSQLiteExplainPoll(t *testing.T) {
	tests := []struct {
		name     string
		index    bool
		wantPlan string
		status   connectors.CheckStatus
	}{
		{"with index", true, "SEARCH", connectors.CheckOK},
		{"without index", false, "SCAN", connectors.CheckWarn},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path, db := sqliteDB(t)
			mustExec(t, db, "CREATE TABLE hs (id INTEGER PRIMARY KEY, cap_nhat TEXT NOT NULL)")
			if tc.index {
				mustExec(t, db, "CREATE INDEX hs_cursor ON hs (cap_nhat, id)")
			}
			src := startSource(t, testConfig(DriverSQLite, path, StreamConfig{
				Query:  "SELECT id, cap_nhat FROM hs",
				Cursor: CursorConfig{Updated: "cap_nhat", Key: "id"},
			}), func() time.Time { return farFuture })
			plan, err := src.ExplainPoll(context.Background(), "ho_so")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(plan, tc.wantPlan) {
				t.Errorf("plan %q, want it to start with %s", plan, tc.wantPlan)
			}
			if c := findCheck(t, src.Check(context.Background()), "cursor index"); c.Status != tc.status {
				t.Errorf("cursor index check = %s (%s), want %s", c.Status, c.Detail, tc.status)
			}
		})
	}
}
