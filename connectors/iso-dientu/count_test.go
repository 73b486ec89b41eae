package isodientu

import (
	"context"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
)

// Count reports exactly what the following reads deliver, from the start
// and from any cursor, and respects the lag window.
func TestCountMatchesReads(t *testing.T) {
	path, db := sqliteDB(t)
	mustExec(t, db, "CREATE TABLE hs (id INTEGER PRIMARY KEY, cap_nhat TEXT NOT NULL)")
	mustExec(t, db, "CREATE INDEX hs_cursor ON hs (cap_nhat, id)")
	mustExec(t, db, `INSERT INTO hs VALUES (1, '2024-03-01 08:00:00'), (2, '2024-03-01 08:00:00'),
		(3, '2024-03-01 08:00:00'), (4, '2024-03-01 09:30:00'), (5, '2024-03-02 10:00:00')`)
	now := time.Date(2024, 3, 2, 10, 0, 5, 0, vn) // row 5 is inside a 30 s lag
	lag := 30 * time.Second
	src := startSource(t, testConfig(DriverSQLite, path, StreamConfig{
		Query:  "SELECT id, cap_nhat FROM hs",
		Cursor: CursorConfig{Updated: "cap_nhat", Key: "id"},
		Lag:    &lag,
	}), func() time.Time { return now })
	ctx := context.Background()
	cur := connectors.Cursor{}
	for step := 0; ; step++ {
		n, err := src.Count(ctx, "ho_so", cur)
		if err != nil {
			t.Fatal(err)
		}
		b := read(t, src, "ho_so", cur, 2)
		rest := len(b.Records)
		for c := b.Next; rest < int(n); {
			more := read(t, src, "ho_so", c, 100)
			if len(more.Records) == 0 {
				break
			}
			rest += len(more.Records)
			c = more.Next
		}
		if int64(rest) != n {
			t.Fatalf("step %d from %s: Count says %d, reads deliver %d", step, describeCursor(cur), n, rest)
		}
		if step == 0 && n != 4 {
			t.Fatalf("Count from the start = %d, want 4 (row 5 is within the lag window)", n)
		}
		if len(b.Records) == 0 {
			break
		}
		cur = b.Next
	}
	if _, err := src.Count(ctx, "nope", connectors.Cursor{}); err == nil {
		t.Error("Count of an unknown stream succeeded")
	}
}
