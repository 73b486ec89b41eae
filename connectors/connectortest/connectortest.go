// Package connectortest is the conformance kit every source connector
// runs: it stores rows through a harness, reads them back through the
// connector and checks the contract of connectors.Source — order, limits,
// the composite cursor, idle polls, restarts and the lifecycle.
//
// A connector's test provides a Harness and calls RunSourceTests:
//
//	func TestConformance(t *testing.T) {
//		connectortest.RunSourceTests(t, connectortest.Harness{
//			Setup: func(t *testing.T) connectortest.Fixture { … },
//			NumericKeys: true,
//		})
//	}
package connectortest

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
)

// Row is a row the kit asks the harness to store: its last-update instant
// and its key. Keys are unique within a fixture, so they may be a primary
// key. Other columns are the harness's business.
type Row struct {
	Updated time.Time
	Key     string
}

// Fixture is one fresh, empty stream prepared for one test case.
type Fixture struct {
	// Stream is the stream name the source serves the rows under.
	Stream string
	// NewSource builds a new, unstarted source reading Stream. The kit
	// calls it again to simulate a restart; every source it returns must
	// read the same stored rows. The kit starts and shuts the sources down.
	NewSource func(t *testing.T) connectors.Source
	// Insert stores the rows and commits them before it returns.
	Insert func(t *testing.T, rows ...Row)
}

// Harness adapts a connector to the kit.
//
// Requirements on the source the fixture builds: its batch size is at
// least MaxLimit, and every row the kit stores (update times from Base up
// to Base + 24h, whole seconds) is already outside its lag window and
// after its start date.
type Harness struct {
	// Setup prepares a fresh, empty stream; it runs once per test case,
	// with that case's t (register clean-up on it).
	Setup func(t *testing.T) Fixture
	// NumericKeys says the keys compare as integers (e.g. key_type int);
	// the kit then uses decimal keys of different lengths, so ordering
	// them as text would fail. Otherwise keys are text of equal length.
	NumericKeys bool
	// Base is the earliest update time the kit stores. Default DefaultBase.
	Base time.Time
}

// MaxLimit is the largest limit the kit passes to Read.
const MaxLimit = 10

// DefaultBase is the kit's default earliest update time: 1 March 2024,
// 08:00 in Vietnam (UTC+7).
var DefaultBase = time.Date(2024, 3, 1, 8, 0, 0, 0, time.FixedZone("ICT", 7*3600))

// RunSourceTests runs the conformance cases as subtests of t.
func RunSourceTests(t *testing.T, h Harness) {
	t.Helper()
	if h.Setup == nil {
		t.Fatal("connectortest: Harness.Setup is nil")
	}
	if h.Base.IsZero() {
		h.Base = DefaultBase
	}
	k := &kit{h: h}
	cases := []struct {
		name string
		run  func(*testing.T)
	}{
		{"Streams", k.testStreams},
		{"ReadFromZeroReturnsAllInOrder", k.testReadAllInOrder},
		{"LimitRespectedWithMore", k.testLimit},
		{"IdleAfterLastCursor", k.testIdle},
		{"NewRowsAfterIdle", k.testNewRowsAfterIdle},
		{"EqualTimestampsAcrossBatches", k.testEqualTimestamps},
		{"ResumeAfterRestart", k.testResume},
		{"ShutdownIdempotent", k.testShutdown},
		{"UnknownStream", k.testUnknownStream},
	}
	for _, c := range cases {
		t.Run(c.name, c.run)
	}
}

type kit struct{ h Harness }

// key returns the kit's i-th key. Numeric keys vary in length (9 < 10 <
// 100) so a source comparing them as text fails; text keys share a length
// so every collation orders them alike.
func (k *kit) key(i int) string {
	if k.h.NumericKeys {
		return fmt.Sprint(i)
	}
	return fmt.Sprintf("k%06d", i)
}

// keyLess orders keys the way the source must.
func (k *kit) keyLess(a, b string) bool {
	if k.h.NumericKeys {
		x, okx := new(big.Int).SetString(a, 10)
		y, oky := new(big.Int).SetString(b, 10)
		if okx && oky {
			return x.Cmp(y) < 0
		}
	}
	return a < b
}

func (k *kit) at(seconds int) time.Time { return k.h.Base.Add(time.Duration(seconds) * time.Second) }

// rowsAt makes rows with keys from..to (inclusive) at one update time.
func (k *kit) rowsAt(updated time.Time, from, to int) []Row {
	var rows []Row
	for i := from; i <= to; i++ {
		rows = append(rows, Row{Updated: updated, Key: k.key(i)})
	}
	return rows
}

// sorted returns rows in the order the source must return them.
func (k *kit) sorted(rows []Row) []Row {
	out := slices.Clone(rows)
	slices.SortFunc(out, func(a, b Row) int {
		if c := a.Updated.Compare(b.Updated); c != 0 {
			return c
		}
		switch {
		case k.keyLess(a.Key, b.Key):
			return -1
		case k.keyLess(b.Key, a.Key):
			return 1
		}
		return 0
	})
	return out
}

// shuffled returns rows in a fixed pseudo-random order, so a source
// relying on insertion order fails.
func shuffled(rows []Row) []Row {
	out := slices.Clone(rows)
	r := rand.New(rand.NewPCG(1705, 2024))
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func (k *kit) setup(t *testing.T) Fixture {
	t.Helper()
	fx := k.h.Setup(t)
	if fx.NewSource == nil || fx.Insert == nil || fx.Stream == "" {
		t.Fatal("connectortest: Fixture needs Stream, NewSource and Insert")
	}
	return fx
}

// start builds and starts a source and shuts it down after the test.
func start(t *testing.T, fx Fixture) connectors.Source {
	t.Helper()
	src := fx.NewSource(t)
	if src == nil {
		t.Fatal("connectortest: NewSource returned nil")
	}
	t.Cleanup(func() {
		if err := src.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	if err := src.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return src
}

// read calls Read once and checks what every batch must satisfy: at most
// limit records, of the stream, in strictly increasing cursor order after
// the given cursor; Next is the last record's cursor (or after when
// empty); More only on a full batch.
func (k *kit) read(t *testing.T, src connectors.Source, stream string, after connectors.Cursor, limit int) connectors.Batch {
	t.Helper()
	b, err := src.Read(context.Background(), stream, after, limit)
	if err != nil {
		t.Fatalf("Read(%s, after %s, limit %d): %v", stream, showCursor(after), limit, err)
	}
	if len(b.Records) > limit {
		t.Fatalf("Read(limit %d) returned %d records", limit, len(b.Records))
	}
	if b.More && len(b.Records) < limit {
		t.Errorf("Read(limit %d) returned %d records with More set; More means the limit stopped the batch", limit, len(b.Records))
	}
	prev := after
	for i, r := range b.Records {
		if r.Stream != stream {
			t.Errorf("record %d: Stream = %q, want %q", i, r.Stream, stream)
		}
		if rerr := connectors.RecordErrorOf(r); rerr != nil {
			t.Errorf("record %d (key %q): unexpected record error: %v", i, r.Key, rerr)
		}
		if !k.cursorAfter(r.Cursor, prev) {
			t.Errorf("record %d: cursor %s is not after %s", i, showCursor(r.Cursor), showCursor(prev))
		}
		prev = r.Cursor
	}
	if !sameCursor(b.Next, prev) {
		t.Errorf("Batch.Next = %s, want the last record's cursor %s", showCursor(b.Next), showCursor(prev))
	}
	return b
}

// readAll reads until More is false and returns every record and the
// final cursor.
func (k *kit) readAll(t *testing.T, src connectors.Source, stream string, after connectors.Cursor, limit int) ([]connectors.Record, connectors.Cursor) {
	t.Helper()
	var all []connectors.Record
	for i := 0; ; i++ {
		if i > 1000 {
			t.Fatalf("Read keeps reporting More after %d batches", i)
		}
		b := k.read(t, src, stream, after, limit)
		all = append(all, b.Records...)
		after = b.Next
		if !b.More {
			return all, after
		}
	}
}

func (k *kit) cursorAfter(a, b connectors.Cursor) bool {
	if b.IsZero() {
		return true
	}
	if !a.Updated.Equal(b.Updated) {
		return a.Updated.After(b.Updated)
	}
	return k.keyLess(b.Key, a.Key)
}

func sameCursor(a, b connectors.Cursor) bool { return a.Updated.Equal(b.Updated) && a.Key == b.Key }

// expectRows checks records against the rows, in order: key, cursor and
// no duplicates or gaps.
func expectRows(t *testing.T, got []connectors.Record, want []Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d records, want %d:\n got  %s\n want %s", len(got), len(want), showRecords(got), showRows(want))
		return
	}
	for i := range want {
		r := got[i]
		if r.Key != want[i].Key || r.Cursor.Key != want[i].Key || !r.Cursor.Updated.Equal(want[i].Updated) {
			t.Errorf("record %d = key %q cursor %s, want key %q at %s\n got  %s\n want %s", i, r.Key, showCursor(r.Cursor),
				want[i].Key, want[i].Updated.Format(time.RFC3339), showRecords(got), showRows(want))
			return
		}
	}
}

func (k *kit) testStreams(t *testing.T) {
	fx := k.setup(t)
	src := fx.NewSource(t)
	defer func() { _ = src.Shutdown(context.Background()) }()
	streams := src.Streams()
	if len(streams) == 0 {
		t.Fatal("Streams() is empty")
	}
	if !slices.Contains(streams, fx.Stream) {
		t.Errorf("Streams() = %q does not list the fixture's stream %q", streams, fx.Stream)
	}
	seen := map[string]bool{}
	for _, s := range streams {
		if seen[s] {
			t.Errorf("Streams() lists %q twice", s)
		}
		seen[s] = true
	}
}

func (k *kit) testReadAllInOrder(t *testing.T) {
	fx := k.setup(t)
	var rows []Row
	rows = append(rows, k.rowsAt(k.at(0), 1, 3)...)
	rows = append(rows, k.rowsAt(k.at(60), 8, 11)...)   // 9 < 10 < 11: numeric, not text order
	rows = append(rows, k.rowsAt(k.at(60), 99, 101)...) // same time, wider keys
	rows = append(rows, Row{Updated: k.at(30), Key: k.key(500)})
	rows = append(rows, Row{Updated: k.at(3600), Key: k.key(1000)})
	fx.Insert(t, shuffled(rows)...)
	src := start(t, fx)

	got, next := k.readAll(t, src, fx.Stream, connectors.Cursor{}, MaxLimit)
	want := k.sorted(rows)
	expectRows(t, got, want)
	if last := want[len(want)-1]; !next.Updated.Equal(last.Updated) || next.Key != last.Key {
		t.Errorf("final cursor %s, want (%s, %q)", showCursor(next), last.Updated.Format(time.RFC3339), last.Key)
	}
}

func (k *kit) testLimit(t *testing.T) {
	fx := k.setup(t)
	rows := k.rowsAt(k.at(0), 1, 4)
	rows = append(rows, k.rowsAt(k.at(1), 5, 7)...)
	fx.Insert(t, rows...)
	src := start(t, fx)
	want := k.sorted(rows)

	b := k.read(t, src, fx.Stream, connectors.Cursor{}, 3)
	if len(b.Records) != 3 || !b.More {
		t.Fatalf("first Read(limit 3) of 7 rows: %d records, More=%v; want 3 and More", len(b.Records), b.More)
	}
	expectRows(t, b.Records, want[:3])
	b = k.read(t, src, fx.Stream, b.Next, 3)
	if len(b.Records) != 3 || !b.More {
		t.Fatalf("second Read(limit 3): %d records, More=%v; want 3 and More", len(b.Records), b.More)
	}
	expectRows(t, b.Records, want[3:6])
	b = k.read(t, src, fx.Stream, b.Next, 3)
	if len(b.Records) != 1 || b.More {
		t.Fatalf("last Read(limit 3): %d records, More=%v; want 1 and not More", len(b.Records), b.More)
	}
	expectRows(t, b.Records, want[6:])
}

func (k *kit) testIdle(t *testing.T) {
	fx := k.setup(t)
	rows := k.rowsAt(k.at(0), 1, 5)
	fx.Insert(t, rows...)
	src := start(t, fx)
	_, next := k.readAll(t, src, fx.Stream, connectors.Cursor{}, MaxLimit)

	for i := 0; i < 2; i++ {
		b := k.read(t, src, fx.Stream, next, MaxLimit)
		if len(b.Records) != 0 || b.More {
			t.Fatalf("idle Read %d after the last cursor: %d records, More=%v; want none", i+1, len(b.Records), b.More)
		}
		if !sameCursor(b.Next, next) {
			t.Fatalf("idle Read moved the cursor from %s to %s", showCursor(next), showCursor(b.Next))
		}
	}
}

func (k *kit) testNewRowsAfterIdle(t *testing.T) {
	fx := k.setup(t)
	first := k.rowsAt(k.at(0), 1, 3)
	fx.Insert(t, first...)
	src := start(t, fx)
	got, next := k.readAll(t, src, fx.Stream, connectors.Cursor{}, MaxLimit)
	expectRows(t, got, k.sorted(first))

	// Later rows, one of them sharing the cursor's timestamp with a
	// greater key: it is after the cursor and must be read.
	later := []Row{{Updated: k.at(0), Key: k.key(4)}, {Updated: k.at(10), Key: k.key(10)}, {Updated: k.at(20), Key: k.key(7)}}
	fx.Insert(t, later...)
	got, _ = k.readAll(t, src, fx.Stream, next, MaxLimit)
	expectRows(t, got, k.sorted(later))
}

func (k *kit) testEqualTimestamps(t *testing.T) {
	fx := k.setup(t)
	rows := k.rowsAt(k.at(0), 1, 25)
	fx.Insert(t, shuffled(rows)...)
	src := start(t, fx)
	want := k.sorted(rows)

	var got []connectors.Record
	after := connectors.Cursor{}
	for i, size := range []int{10, 10, 5} {
		b := k.read(t, src, fx.Stream, after, 10)
		if len(b.Records) != size {
			t.Fatalf("batch %d: %d records, want %d (25 rows sharing one timestamp, limit 10)", i+1, len(b.Records), size)
		}
		got = append(got, b.Records...)
		after = b.Next
	}
	expectRows(t, got, want)
	if b := k.read(t, src, fx.Stream, after, 10); len(b.Records) != 0 {
		t.Errorf("read after the group returned %d more records: %s", len(b.Records), showRecords(b.Records))
	}
}

func (k *kit) testResume(t *testing.T) {
	fx := k.setup(t)
	rows := k.rowsAt(k.at(0), 1, 25)
	rows = append(rows, k.rowsAt(k.at(5), 26, 30)...)
	fx.Insert(t, shuffled(rows)...)
	want := k.sorted(rows)

	first := fx.NewSource(t)
	if err := first.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	b := k.read(t, first, fx.Stream, connectors.Cursor{}, 10)
	if err := first.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	got := b.Records
	saved := b.Next // what the pipeline would have committed

	second := start(t, fx)
	rest, _ := k.readAll(t, second, fx.Stream, saved, 10)
	got = append(got, rest...)
	expectRows(t, got, want)
}

func (k *kit) testShutdown(t *testing.T) {
	fx := k.setup(t)
	ctx := context.Background()
	idle := fx.NewSource(t)
	for i := 0; i < 2; i++ {
		if err := idle.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown %d without Start: %v", i+1, err)
		}
	}
	started := fx.NewSource(t)
	if err := started.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	for i := 0; i < 2; i++ {
		if err := started.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown %d after Start: %v", i+1, err)
		}
	}
}

func (k *kit) testUnknownStream(t *testing.T) {
	fx := k.setup(t)
	src := start(t, fx)
	const name = "connectortest_no_such_stream"
	if _, err := src.Read(context.Background(), name, connectors.Cursor{}, MaxLimit); err == nil {
		t.Errorf("Read of unknown stream %q returned no error", name)
	}
}

func showCursor(c connectors.Cursor) string {
	if c.IsZero() {
		return "(zero)"
	}
	return fmt.Sprintf("(%s, %q)", c.Updated.UTC().Format(time.RFC3339Nano), c.Key)
}

func showRecords(rs []connectors.Record) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprintf("%s@%s", r.Key, r.Cursor.Updated.UTC().Format("15:04:05"))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func showRows(rs []Row) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprintf("%s@%s", r.Key, r.Updated.UTC().Format("15:04:05"))
	}
	return "[" + strings.Join(parts, " ") + "]"
}
