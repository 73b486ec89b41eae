package outbox

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// t0 is the fixed start of every test clock.
var t0 = time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func dbPath(t testing.TB) string { return filepath.Join(t.TempDir(), "outbox.db") }

func openStore(t testing.TB, path string, c *clock) *Store {
	t.Helper()
	o := Options{Path: path}
	if c != nil {
		o.Now = c.Now
	}
	s, err := Open(context.Background(), o)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// packetID makes a deterministic UUID-shaped message ID.
func packetID(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", i) }

// newPacket is packet i of stream "hoso", with a body that names it.
func newPacket(i int) NewPacket {
	id := packetID(i)
	return NewPacket{
		ID:        id,
		RecordKey: fmt.Sprintf("row-%d", i),
		Kind:      "HoSo",
		Profile:   "hcm-lgsp",
		Endpoint:  "/kho-du-lieu/hoso",
		MaHoSo:    fmt.Sprintf("000.00.06.H29-250701-%04d", i),
		Body:      []byte("<GoiTin><MaGoiTin>" + id + "</MaGoiTin></GoiTin>"),
	}
}

func packets(from, to int) []NewPacket {
	var out []NewPacket
	for i := from; i < to; i++ {
		out = append(out, newPacket(i))
	}
	return out
}

func mustCommit(t testing.TB, s *Store, cursor string, pkts []NewPacket, rej []Rejected) CommitResult {
	t.Helper()
	var c []byte
	if cursor != "" {
		c = []byte(cursor)
	}
	res, err := s.Commit(context.Background(), "hoso", c, pkts, rej)
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return res
}

func mustLease(t testing.TB, s *Store, owner string, max int, leaseFor time.Duration) []Packet {
	t.Helper()
	got, err := s.Lease(context.Background(), owner, max, leaseFor)
	if err != nil {
		t.Fatalf("Lease(%q): %v", owner, err)
	}
	return got
}

func ids(pkts []Packet) []string {
	var out []string
	for _, p := range pkts {
		out = append(out, p.ID)
	}
	return out
}

func mustGet(t testing.TB, s *Store, id string) Packet {
	t.Helper()
	p, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get(%q): %v", id, err)
	}
	return p
}

// rawDB opens the file directly, bypassing the Store, to inspect or sabotage it.
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func count(t testing.TB, db *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
