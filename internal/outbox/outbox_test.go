package outbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestOpenConfiguresFile(t *testing.T) {
	path := dbPath(t)
	s := openStore(t, path, nil)
	ctx := context.Background()

	var journal string
	if err := s.write.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&journal); err != nil {
		t.Fatal(err)
	}
	if journal != "wal" {
		t.Errorf("journal_mode = %q, want wal", journal)
	}
	for _, db := range []struct {
		name string
		q    queryer
	}{{"write", s.write}, {"read", s.read}} {
		var fk, busy int
		if err := db.q.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
			t.Fatal(err)
		}
		if err := db.q.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil {
			t.Fatal(err)
		}
		if fk != 1 || busy != int(DefaultBusyTimeout.Milliseconds()) {
			t.Errorf("%s connection: foreign_keys=%d busy_timeout=%d, want 1 and %d", db.name, fk, busy, DefaultBusyTimeout.Milliseconds())
		}
	}
	appID, version, err := s.identity(ctx, s.write)
	if err != nil {
		t.Fatal(err)
	}
	if appID != applicationID || version != schemaVersion {
		t.Errorf("application_id=%#x user_version=%d, want %#x and %d", appID, version, applicationID, schemaVersion)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("file mode = %v, want 0600 (packets hold personal data)", perm)
		}
	}

	// Reopening a current file changes nothing and keeps the data.
	mustCommit(t, s, "c1", packets(0, 1), nil)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	s2 := openStore(t, path, nil)
	if got, _ := s2.Cursor(ctx, "hoso"); string(got) != "c1" {
		t.Errorf("cursor after reopen = %q, want c1", got)
	}
}

func TestOpenCreatesDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "sub", "outbox.db")
	openStore(t, path, nil)
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRejects(t *testing.T) {
	foreign := filepath.Join(t.TempDir(), "legacy.db")
	db := rawDB(t, foreign)
	if _, err := db.Exec("CREATE TABLE hoso (id INTEGER)"); err != nil {
		t.Fatal(err)
	}
	otherApp := filepath.Join(t.TempDir(), "other.db")
	if _, err := rawDB(t, otherApp).Exec("PRAGMA application_id = 42"); err != nil {
		t.Fatal(err)
	}
	newer := dbPath(t)
	openStore(t, newer, nil).Close()
	if _, err := rawDB(t, newer).Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, path, want string
	}{
		{"empty path", "", "no file path"},
		{"uri", "file:x.db", "not a plain file path"},
		{"query", "x.db?mode=ro", "not a plain file path"},
		{"memory", ":memory:", "not a plain file path"},
		{"some program's database", foreign, "not an lgsp-connector outbox"},
		{"other application id", otherApp, "not an lgsp-connector outbox"},
		{"newer schema", newer, "upgrade lgsp-connector"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(context.Background(), Options{Path: tc.path})
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded, want error containing %q", tc.path, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open(%q) error = %q, want it to contain %q", tc.path, err, tc.want)
			}
		})
	}
	// The foreign file was not touched.
	if n := count(t, db, "SELECT count(*) FROM sqlite_schema"); n != 1 {
		t.Errorf("foreign file has %d schema objects after Open, want 1", n)
	}
}

func TestCommitStoresPacketsAndCursor(t *testing.T) {
	c := newClock()
	s := openStore(t, dbPath(t), c)
	ctx := context.Background()

	if got, err := s.Cursor(ctx, "hoso"); err != nil || got != nil {
		t.Fatalf("Cursor before any commit = %q, %v; want nil, nil", got, err)
	}
	p := newPacket(1)
	p.Warnings = []string{"MaHoSo: không đúng mẫu", "second"}
	// Bytes a re-encoder would change: BOM-less CRLF, trailing spaces, non-ASCII.
	p.Body = []byte("<GoiTin>\r\n  <Ten>Nguyễn Văn A </Ten>\r\n</GoiTin>")
	res := mustCommit(t, s, "cur-1", []NewPacket{p, newPacket(2)}, []Rejected{{
		ID: "rej-1", RecordKey: "row-9", Field: "MaHoSo", Value: "xx", Reason: "bad code", Record: []byte(`{"id":9}`),
	}})
	if want := (CommitResult{Inserted: 2, Quarantined: 1}); res != want {
		t.Errorf("Commit = %+v, want %+v", res, want)
	}
	got := mustGet(t, s, p.ID)
	sum := sha256.Sum256(p.Body)
	want := Packet{
		ID: p.ID, Stream: "hoso", RecordKey: p.RecordKey, Kind: p.Kind, Profile: p.Profile,
		Endpoint: p.Endpoint, MaHoSo: p.MaHoSo, Body: p.Body, SHA256: hex.EncodeToString(sum[:]),
		Warnings: p.Warnings, State: StatePending, CreatedAt: t0, NextAttemptAt: t0,
	}
	if !packetEqual(got, want) {
		t.Errorf("Get = %+v\nwant %+v", got, want)
	}
	if cur, _ := s.Cursor(ctx, "hoso"); string(cur) != "cur-1" {
		t.Errorf("cursor = %q, want cur-1", cur)
	}
	q, err := s.Quarantine(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 1 || q[0].ID != "rej-1" || q[0].Stream != "hoso" || q[0].Field != "MaHoSo" ||
		string(q[0].Record) != `{"id":9}` || !q[0].At.Equal(t0) {
		t.Errorf("Quarantine = %+v", q)
	}

	// Again, with one known ID, one repeated inside the batch, one new, and the
	// same rejected record: duplicates are counted and the stored bytes kept.
	c.Advance(time.Second)
	changed := newPacket(2)
	changed.Body = []byte("<other/>")
	res = mustCommit(t, s, "cur-2", []NewPacket{changed, newPacket(3), newPacket(3)}, []Rejected{{ID: "rej-1", Reason: "again"}})
	if want := (CommitResult{Inserted: 1, Duplicates: 2}); res != want {
		t.Errorf("second Commit = %+v, want %+v", res, want)
	}
	if b := mustGet(t, s, packetID(2)).Body; !bytes.Equal(b, newPacket(2).Body) {
		t.Errorf("duplicate overwrote the stored body: %q", b)
	}
	if cur, _ := s.Cursor(ctx, "hoso"); string(cur) != "cur-2" {
		t.Errorf("cursor = %q, want cur-2", cur)
	}
	// A nil cursor leaves the cursor alone.
	mustCommit(t, s, "", packets(10, 11), nil)
	if cur, _ := s.Cursor(ctx, "hoso"); string(cur) != "cur-2" {
		t.Errorf("cursor after nil-cursor commit = %q, want cur-2", cur)
	}
	cs, err := s.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Counts{Pending: 4, Quarantined: 1, OldestPending: t0}); cs != want {
		t.Errorf("Counts = %+v, want %+v", cs, want)
	}
}

// packetEqual compares packets field by field, times with Equal.
func packetEqual(a, b Packet) bool {
	return a.ID == b.ID && a.Stream == b.Stream && a.RecordKey == b.RecordKey && a.Kind == b.Kind &&
		a.Profile == b.Profile && a.Endpoint == b.Endpoint && a.MaHoSo == b.MaHoSo &&
		bytes.Equal(a.Body, b.Body) && a.SHA256 == b.SHA256 && slices.Equal(a.Warnings, b.Warnings) &&
		a.State == b.State && a.Attempts == b.Attempts && a.CreatedAt.Equal(b.CreatedAt) &&
		a.NextAttemptAt.Equal(b.NextAttemptAt) && a.DeliveredAt.Equal(b.DeliveredAt) &&
		a.LastError == b.LastError && a.LastStatus == b.LastStatus && a.LeaseOwner == b.LeaseOwner
}

func TestCommitIsAtomic(t *testing.T) {
	path := dbPath(t)
	s := openStore(t, path, newClock())
	mustCommit(t, s, "before", packets(0, 2), nil)
	ctx := context.Background()

	// A constraint failure in the middle of the batch, after rows were
	// already inserted in the same transaction.
	raw := rawDB(t, path)
	if _, err := raw.Exec(`CREATE TRIGGER boom BEFORE INSERT ON packets WHEN NEW.record_key = 'row-7'
		BEGIN SELECT RAISE(ABORT, 'forced failure'); END`); err != nil {
		t.Fatal(err)
	}
	_, err := s.Commit(ctx, "hoso", []byte("after"), packets(5, 10), []Rejected{{ID: "r", Reason: "x"}})
	if err == nil || !strings.Contains(err.Error(), "forced failure") || !strings.Contains(err.Error(), packetID(7)) {
		t.Fatalf("Commit with failing insert: err = %v, want the forced failure naming packet %s", err, packetID(7))
	}

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Commit(canceled, "hoso", []byte("after"), packets(20, 22), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Commit with canceled context: err = %v, want context.Canceled", err)
	}

	if cur, _ := s.Cursor(ctx, "hoso"); string(cur) != "before" {
		t.Errorf("cursor = %q after failed commits, want it unchanged (before)", cur)
	}
	if n := count(t, raw, "SELECT count(*) FROM packets"); n != 2 {
		t.Errorf("%d packets stored, want the 2 from before", n)
	}
	if n := count(t, raw, "SELECT count(*) FROM quarantine"); n != 0 {
		t.Errorf("%d quarantine rows stored, want 0", n)
	}
}

func TestCommitValidates(t *testing.T) {
	s := openStore(t, dbPath(t), newClock())
	with := func(f func(*NewPacket)) []NewPacket {
		p := newPacket(1)
		f(&p)
		return []NewPacket{p}
	}
	tests := []struct {
		name   string
		stream string
		pkts   []NewPacket
		rej    []Rejected
		want   string
	}{
		{"no stream", "", packets(0, 1), nil, "stream name is empty"},
		{"no id", "hoso", with(func(p *NewPacket) { p.ID = "" }), nil, `packet 0 (record "row-1") has no ID`},
		{"no kind", "hoso", with(func(p *NewPacket) { p.Kind = "" }), nil, "has no kind"},
		{"empty body", "hoso", with(func(p *NewPacket) { p.Body = nil }), nil, "has an empty body"},
		{"other stream", "hoso", with(func(p *NewPacket) { p.Stream = "danhgia" }), nil, `belongs to stream "danhgia"`},
		{"rejected without id", "hoso", nil, []Rejected{{RecordKey: "k"}}, `rejected record 0 (key "k") has no ID`},
		{"rejected of other stream", "hoso", nil, []Rejected{{ID: "r", Stream: "x"}}, `belongs to stream "x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Commit(context.Background(), tc.stream, []byte("c"), tc.pkts, tc.rej)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	if cur, _ := s.Cursor(context.Background(), "hoso"); cur != nil {
		t.Errorf("cursor = %q after invalid commits, want none", cur)
	}
}

func TestTruncateUTF8(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"abc", 5, "abc"},
		{"abcdef", 3, "abc"},
		{"ạb", 2, ""},   // ạ is 3 bytes: not cut in half
		{"aạb", 3, "a"}, // ditto
		{"aạb", 4, "aạ"},
		{"a\xffb", 10, "a\uFFFDb"},
	}
	for _, tc := range tests {
		if got := truncateUTF8(tc.in, tc.max); got != tc.want {
			t.Errorf("truncateUTF8(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

func FuzzTruncateUTF8(f *testing.F) {
	for _, s := range []string{"", "abc", "Nguyễn Văn A", "\xff\xfe", strings.Repeat("ệ", 400)} {
		f.Add(s, 7)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 0 || max > 1<<16 {
			return
		}
		got := truncateUTF8(s, max)
		if len(got) > max || !utf8.ValidString(got) {
			t.Fatalf("truncateUTF8(%q, %d) = %q: too long or invalid UTF-8", s, max, got)
		}
		if valid := strings.ToValidUTF8(s, "\uFFFD"); !strings.HasPrefix(valid, got) || max-len(got) > 3 && len(got) < len(valid) {
			t.Fatalf("truncateUTF8(%q, %d) = %q: not the longest rune-aligned prefix", s, max, got)
		}
	})
}

// TestDuplicateWithOtherBytesWarnsOnlyOnContentChange: a duplicate whose
// bytes differ is a content change only if SamePayload says so.
func TestDuplicateWithOtherBytesWarnsOnlyOnContentChange(t *testing.T) {
	var logs bytes.Buffer
	// Bodies "<p t=…>content</p>": same content whatever the t attribute.
	content := func(b []byte) string {
		s := string(b)
		if i := strings.Index(s, ">"); i >= 0 {
			return s[i:]
		}
		return s
	}
	s, err := Open(context.Background(), Options{
		Path: dbPath(t), Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		SamePayload: func(stored, queued []byte) bool { return content(stored) == content(queued) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	first := newPacket(1)
	first.Body = []byte(`<p t="1">answer 1</p>`)
	mustCommit(t, s, "", []NewPacket{first}, nil)

	resent := first
	resent.Body = []byte(`<p t="2">answer 1</p>`)
	if res := mustCommit(t, s, "", []NewPacket{resent}, nil); res.Duplicates != 1 {
		t.Fatalf("resent copy: %+v, want one duplicate", res)
	}
	if strings.Contains(logs.String(), "different payload") {
		t.Errorf("a copy differing only in its creation time was reported as changed:\n%s", logs.String())
	}

	changed := first
	changed.Body = []byte(`<p t="3">answer 2</p>`)
	mustCommit(t, s, "", []NewPacket{changed}, nil)
	if !strings.Contains(logs.String(), "different payload") || !strings.Contains(logs.String(), first.ID) {
		t.Errorf("a changed answer under the same ID was not reported:\n%s", logs.String())
	}
	if b := mustGet(t, s, first.ID).Body; string(b) != `<p t="1">answer 1</p>` {
		t.Errorf("stored body = %q, want the first one kept", b)
	}
}

// TestDurabilityPerTransaction: intake is committed with synchronous=FULL,
// delivery bookkeeping with NORMAL (see bookkeepingTx).
func TestDurabilityPerTransaction(t *testing.T) {
	s := openStore(t, dbPath(t), nil)
	ctx := context.Background()
	sync := func() int {
		t.Helper()
		var v int
		if err := s.write.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	const normal, full = 1, 2
	mustCommit(t, s, "c1", packets(1, 3), nil)
	if got := sync(); got != full {
		t.Errorf("after Commit: synchronous = %d, want FULL (%d)", got, full)
	}
	ps := mustLease(t, s, "w", 1, time.Minute)
	if got := sync(); got != normal {
		t.Errorf("after Lease: synchronous = %d, want NORMAL (%d)", got, normal)
	}
	if err := s.MarkDelivered(ctx, ps[0].ID, Attempt{HTTPStatus: 200}); err != nil {
		t.Fatal(err)
	}
	if got := sync(); got != normal {
		t.Errorf("after MarkDelivered: synchronous = %d, want NORMAL (%d)", got, normal)
	}
	mustCommit(t, s, "c2", packets(3, 4), nil)
	if got := sync(); got != full {
		t.Errorf("Commit after bookkeeping: synchronous = %d, want FULL (%d)", got, full)
	}
	if _, err := s.Requeue(ctx, []string{ps[0].ID}, "test"); err != nil {
		t.Fatal(err)
	}
	if got := sync(); got != full {
		t.Errorf("after Requeue (an operator's action, audited): synchronous = %d, want FULL", got)
	}
}
