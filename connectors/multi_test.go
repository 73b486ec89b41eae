package connectors_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	"github.com/hcmc-lgsp/lgsp-connector/connectors/connectortest"
)

// memRows is the "database" of a memSource, shared by every source built
// over it (so a restarted source reads the same rows).
type memRows struct {
	mu   sync.Mutex
	rows map[string][]connectortest.Row // stream → rows
}

func (s *memRows) insert(stream string, rows ...connectortest.Row) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rows == nil {
		s.rows = map[string][]connectortest.Row{}
	}
	s.rows[stream] = append(s.rows[stream], rows...)
}

// memSource is a small correct source over memRows: text keys, no lag.
// It counts its lifecycle calls and can be told to fail them.
type memSource struct {
	streams []string
	rows    *memRows

	startErr, shutdownErr error

	mu                sync.Mutex
	running, shutDown bool
	starts, shutdowns int
}

func newMem(streams ...string) *memSource { return &memSource{streams: streams, rows: &memRows{}} }

func (m *memSource) Streams() []string { return slices.Clone(m.streams) }

func (m *memSource) Start(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.starts++
	if m.startErr != nil {
		return m.startErr
	}
	m.running = true
	return nil
}

func (m *memSource) Shutdown(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.shutdowns++
	m.running, m.shutDown = false, true
	return m.shutdownErr
}

func (m *memSource) Read(_ context.Context, stream string, after connectors.Cursor, limit int) (connectors.Batch, error) {
	if !slices.Contains(m.streams, stream) {
		return connectors.Batch{}, fmt.Errorf("mem: unknown stream %q", stream)
	}
	m.mu.Lock()
	running := m.running
	m.mu.Unlock()
	if !running {
		return connectors.Batch{}, errors.New("mem: not started")
	}
	m.rows.mu.Lock()
	rows := slices.Clone(m.rows.rows[stream])
	m.rows.mu.Unlock()
	slices.SortFunc(rows, func(a, b connectortest.Row) int {
		if c := a.Updated.Compare(b.Updated); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	b := connectors.Batch{Next: after}
	for _, r := range rows {
		cur := connectors.Cursor{Updated: r.Updated, Key: r.Key}
		if !after.IsZero() && !cur.After(after) {
			continue
		}
		if len(b.Records) == limit {
			b.More = true
			break
		}
		b.Records = append(b.Records, connectors.Record{Stream: stream, Key: r.Key, Cursor: cur, Values: map[string]any{"id": r.Key}})
		b.Next = cur
	}
	return b, nil
}

// capable is a memSource with every optional capability, recording the
// stream each call was for.
type capable struct {
	*memSource
	files  bool
	calls  []string
	checks []connectors.CheckResult
}

func (c *capable) Count(_ context.Context, stream string, _ connectors.Cursor) (int64, error) {
	c.calls = append(c.calls, "Count "+stream)
	return 7, nil
}

func (c *capable) ReadPeriod(_ context.Context, stream string, _, _ time.Time, fn func(connectors.Record) error) error {
	c.calls = append(c.calls, "ReadPeriod "+stream)
	return fn(connectors.Record{Stream: stream, Key: "p1"})
}

func (c *capable) ExplainPeriod(_ context.Context, stream string, _, _ time.Time) (string, []string, error) {
	c.calls = append(c.calls, "ExplainPeriod "+stream)
	return "plan of " + stream, nil, nil
}

func (c *capable) CanLookup(stream string) bool { return stream == c.streams[0] }

func (c *capable) Lookup(_ context.Context, stream, maHoSo string) (connectors.Record, bool, error) {
	c.calls = append(c.calls, "Lookup "+stream+" "+maHoSo)
	if maHoSo == "twice" {
		return connectors.Record{}, false, fmt.Errorf("code %q: %w", maHoSo, connectors.ErrAmbiguous)
	}
	return connectors.Record{Stream: stream, Key: maHoSo}, true, nil
}

func (c *capable) ServesFiles() bool { return c.files }

func (c *capable) OpenFile(_ context.Context, ref string) (io.ReadCloser, connectors.FileInfo, error) {
	c.calls = append(c.calls, "OpenFile "+ref)
	if ref == "missing" {
		return nil, connectors.FileInfo{}, fmt.Errorf("ref %q: %w", ref, connectors.ErrFileNotFound)
	}
	return io.NopCloser(strings.NewReader("content of " + ref)), connectors.FileInfo{Name: ref + ".pdf", Size: -1}, nil
}

func (c *capable) Check(context.Context) []connectors.CheckResult { return slices.Clone(c.checks) }

func named(name string, src connectors.Source) connectors.NamedSource {
	return connectors.NamedSource{Name: name, Source: src}
}

func TestMultiRefuses(t *testing.T) {
	files := func(streams ...string) connectors.Source { return &capable{memSource: newMem(streams...), files: true} }
	tests := []struct {
		name    string
		members []connectors.NamedSource
		want    string
	}{
		{"no member", nil, "at least one source"},
		{"empty name", []connectors.NamedSource{named(" ", newMem("a"))}, "source 1 has no name"},
		{"same name twice", []connectors.NamedSource{named("source", newMem("a")), named("source", newMem("b"))}, `two sources are named "source"`},
		{"nil source", []connectors.NamedSource{named("source", nil)}, `source "source" is nil`},
		{"stream listed twice by one member", []connectors.NamedSource{named("source", newMem("a", "a"))}, `source "source" lists stream "a" twice`},
		{
			"stream served by two members",
			[]connectors.NamedSource{named("source", newMem("ho_so", "danh_gia")), named("sources.khao_sat", newMem("danh_gia"))},
			`stream "danh_gia" is served by both source and sources.khao_sat`,
		},
		{
			"two members serving files",
			[]connectors.NamedSource{named("source", files("ho_so")), named("sources.kiosk", newMem("x")), named("sources.khao_sat", files("danh_gia"))},
			"both source and sources.khao_sat serve attachment files",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := connectors.Multi(tt.members...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Multi = %v, %v; want an error containing %q", src, err, tt.want)
			}
		})
	}
}

func TestMultiStreamsAndRead(t *testing.T) {
	ctx := context.Background()
	base := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	one, two := newMem("ho_so", "qua_trinh_xu_ly"), newMem("danh_gia")
	one.rows.insert("ho_so", connectortest.Row{Updated: base, Key: "h1"})
	two.rows.insert("danh_gia", connectortest.Row{Updated: base, Key: "d1"}, connectortest.Row{Updated: base.Add(time.Second), Key: "d2"})
	src, err := connectors.Multi(named("source", one), named("sources.khao_sat", two))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := src.Streams(), []string{"ho_so", "qua_trinh_xu_ly", "danh_gia"}; !slices.Equal(got, want) {
		t.Errorf("Streams = %q, want %q (member order, each member's own order)", got, want)
	}
	if err := src.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer src.Shutdown(ctx)

	tests := []struct {
		stream string
		limit  int
		keys   []string
		more   bool
	}{
		{"ho_so", 10, []string{"h1"}, false},
		{"qua_trinh_xu_ly", 10, nil, false},
		{"danh_gia", 1, []string{"d1"}, true},
		{"danh_gia", 10, []string{"d1", "d2"}, false},
	}
	for _, tt := range tests {
		b, err := src.Read(ctx, tt.stream, connectors.Cursor{}, tt.limit)
		if err != nil {
			t.Errorf("Read(%s): %v", tt.stream, err)
			continue
		}
		var keys []string
		for _, r := range b.Records {
			keys = append(keys, r.Key)
		}
		if !slices.Equal(keys, tt.keys) || b.More != tt.more {
			t.Errorf("Read(%s, limit %d) = %q more=%v, want %q more=%v", tt.stream, tt.limit, keys, b.More, tt.keys, tt.more)
		}
	}

	_, err = src.Read(ctx, "danh_gia_cu", connectors.Cursor{}, 10)
	if err == nil || !strings.Contains(err.Error(), `no source serves stream "danh_gia_cu" (streams: danh_gia, ho_so, qua_trinh_xu_ly)`) {
		t.Errorf("Read of an unknown stream = %v", err)
	}

	// A member's error names the member.
	one.mu.Lock()
	one.running = false
	one.mu.Unlock()
	if _, err := src.Read(ctx, "ho_so", connectors.Cursor{}, 10); err == nil || err.Error() != "source: mem: not started" {
		t.Errorf("member's Read error = %v, want it prefixed with the member's name", err)
	}
}

func TestMultiRecordErrorPassesThrough(t *testing.T) {
	ctx := context.Background()
	rerr := &connectors.RecordError{Field: "thoi_diem", Value: "", Reason: "NULL update time"}
	odd := &recordErrorSource{memSource: newMem("danh_gia"), rerr: rerr}
	src, err := connectors.Multi(named("source", newMem("ho_so")), named("sources.khao_sat", odd))
	if err != nil {
		t.Fatal(err)
	}
	b, err := src.Read(ctx, "danh_gia", connectors.Cursor{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Records) != 1 || connectors.RecordErrorOf(b.Records[0]) != rerr {
		t.Errorf("records = %+v, want the member's record with its *RecordError", b.Records)
	}
}

type recordErrorSource struct {
	*memSource
	rerr *connectors.RecordError
}

func (s *recordErrorSource) Read(_ context.Context, stream string, _ connectors.Cursor, _ int) (connectors.Batch, error) {
	c := connectors.Cursor{Updated: time.Unix(1, 0), Key: "9"}
	return connectors.Batch{Records: []connectors.Record{{Stream: stream, Key: "9", Cursor: c,
		Values: map[string]any{connectors.RecordErrorKey: s.rerr}}}, Next: c}, nil
}

func TestMultiLifecycle(t *testing.T) {
	ctx := context.Background()
	errA, errB := errors.New("cannot reach kiosk"), errors.New("pool already closed")

	t.Run("a failed start stops the members that started", func(t *testing.T) {
		a, b, c := newMem("a"), newMem("b"), newMem("c")
		b.startErr = errA
		src, err := connectors.Multi(named("source", a), named("sources.kiosk", b), named("sources.web", c))
		if err != nil {
			t.Fatal(err)
		}
		err = src.Start(ctx)
		if !errors.Is(err, errA) || !strings.Contains(err.Error(), "sources.kiosk: cannot reach kiosk") {
			t.Fatalf("Start = %v, want the kiosk's error with its name", err)
		}
		for name, m := range map[string]*memSource{"source": a, "sources.kiosk": b, "sources.web": c} {
			if m.starts != 1 {
				t.Errorf("%s started %d times, want 1 (every member is tried)", name, m.starts)
			}
		}
		if a.shutdowns != 1 || c.shutdowns != 1 || b.shutdowns != 0 {
			t.Errorf("shutdowns after a failed start: source %d, kiosk %d, web %d; want 1, 0, 1", a.shutdowns, b.shutdowns, c.shutdowns)
		}
	})

	t.Run("shutdown reaches every member and joins errors", func(t *testing.T) {
		a, b, c := newMem("a"), newMem("b"), newMem("c")
		a.shutdownErr, c.shutdownErr = errA, errB
		src, err := connectors.Multi(named("source", a), named("sources.kiosk", b), named("sources.web", c))
		if err != nil {
			t.Fatal(err)
		}
		if err := src.Start(ctx); err != nil {
			t.Fatal(err)
		}
		err = src.Shutdown(ctx)
		if !errors.Is(err, errA) || !errors.Is(err, errB) {
			t.Fatalf("Shutdown = %v, want both members' errors", err)
		}
		if !strings.Contains(err.Error(), "source: cannot reach kiosk") || !strings.Contains(err.Error(), "sources.web: pool already closed") {
			t.Errorf("Shutdown error does not name the members: %v", err)
		}
		if a.shutdowns != 1 || b.shutdowns != 1 || c.shutdowns != 1 {
			t.Errorf("shutdowns %d, %d, %d; want every member shut down once", a.shutdowns, b.shutdowns, c.shutdowns)
		}
	})

	t.Run("shutdown without start", func(t *testing.T) {
		src, err := connectors.Multi(named("source", newMem("a")), named("sources.kiosk", newMem("b")))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			if err := src.Shutdown(ctx); err != nil {
				t.Errorf("Shutdown %d: %v", i+1, err)
			}
		}
	})
}

func TestMultiCapabilities(t *testing.T) {
	ctx := context.Background()
	from, to := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	full := &capable{memSource: newMem("ho_so", "qua_trinh_xu_ly"), files: true, checks: []connectors.CheckResult{
		{Name: "kết nối / connection", Status: connectors.CheckOK, Detail: "MariaDB 11"},
		{Name: "chỉ mục / index ho_so", Status: connectors.CheckFail, Detail: "no index", Hint: "CREATE INDEX"},
	}}
	bare := newMem("danh_gia")
	src, err := connectors.Multi(named("source", full), named("sources.khao_sat", bare))
	if err != nil {
		t.Fatal(err)
	}

	// Counter, PeriodReader, ExplainPeriod, Lookuper: the stream's member,
	// or ErrUnsupported naming the member and the stream.
	unsupported := func(t *testing.T, what string, err error) {
		t.Helper()
		if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), `sources.khao_sat: `) || !strings.Contains(err.Error(), `(stream "danh_gia")`) {
			t.Errorf("%s on a member without it = %v; want ErrUnsupported naming sources.khao_sat and danh_gia", what, err)
		}
	}
	counter := src.(connectors.Counter)
	if n, err := counter.Count(ctx, "qua_trinh_xu_ly", connectors.Cursor{}); n != 7 || err != nil {
		t.Errorf("Count(qua_trinh_xu_ly) = %d, %v; want the member's 7", n, err)
	}
	_, err = counter.Count(ctx, "danh_gia", connectors.Cursor{})
	unsupported(t, "Count", err)

	reader := src.(connectors.PeriodReader)
	var got []string
	if err := reader.ReadPeriod(ctx, "ho_so", from, to, func(r connectors.Record) error { got = append(got, r.Stream+"/"+r.Key); return nil }); err != nil {
		t.Errorf("ReadPeriod(ho_so): %v", err)
	}
	if !slices.Equal(got, []string{"ho_so/p1"}) {
		t.Errorf("ReadPeriod handed %q, want the member's record", got)
	}
	stop := errors.New("stop here")
	if err := reader.ReadPeriod(ctx, "ho_so", from, to, func(connectors.Record) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("ReadPeriod lost fn's error: %v", err)
	}
	unsupported(t, "ReadPeriod", reader.ReadPeriod(ctx, "danh_gia", from, to, func(connectors.Record) error { return nil }))

	explainer := src.(interface {
		ExplainPeriod(context.Context, string, time.Time, time.Time) (string, []string, error)
	})
	if plan, _, err := explainer.ExplainPeriod(ctx, "ho_so", from, to); plan != "plan of ho_so" || err != nil {
		t.Errorf("ExplainPeriod(ho_so) = %q, %v", plan, err)
	}
	_, _, err = explainer.ExplainPeriod(ctx, "danh_gia", from, to)
	unsupported(t, "ExplainPeriod", err)

	for _, tc := range []struct {
		stream string
		can    bool
	}{{"ho_so", true}, {"qua_trinh_xu_ly", false}, {"danh_gia", false}, {"nope", false}} {
		if got := connectors.LookuperOf(src, tc.stream) != nil; got != tc.can {
			t.Errorf("LookuperOf(multi, %s) != nil is %v, want %v", tc.stream, got, tc.can)
		}
	}
	look := src.(connectors.Lookuper)
	if rec, found, err := look.Lookup(ctx, "ho_so", "G22.99-260301-0001"); !found || err != nil || rec.Key != "G22.99-260301-0001" {
		t.Errorf("Lookup(ho_so) = %+v, %v, %v", rec, found, err)
	}
	if _, _, err := look.Lookup(ctx, "ho_so", "twice"); !errors.Is(err, connectors.ErrAmbiguous) {
		t.Errorf("Lookup lost ErrAmbiguous: %v", err)
	}
	_, _, err = look.Lookup(ctx, "danh_gia", "x")
	unsupported(t, "Lookup", err)

	// FileSource: the one member that serves files.
	fs := connectors.FileSourceOf(src)
	if fs == nil {
		t.Fatal("FileSourceOf(multi) = nil although source serves files")
	}
	rc, info, err := fs.OpenFile(ctx, "17")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(rc)
	_ = rc.Close()
	if string(body) != "content of 17" || info.Name != "17.pdf" {
		t.Errorf("OpenFile(17) = %q, %+v", body, info)
	}
	if _, _, err := fs.OpenFile(ctx, "missing"); !errors.Is(err, connectors.ErrFileNotFound) {
		t.Errorf("OpenFile lost ErrFileNotFound: %v", err)
	}
	wantCalls := []string{"Count qua_trinh_xu_ly", "ReadPeriod ho_so", "ReadPeriod ho_so", "ExplainPeriod ho_so",
		"Lookup ho_so G22.99-260301-0001", "Lookup ho_so twice", "OpenFile 17", "OpenFile missing"}
	if !slices.Equal(full.calls, wantCalls) {
		t.Errorf("calls reaching the member:\n got  %q\n want %q", full.calls, wantCalls)
	}

	// Checker: every member's checks, named.
	want := []connectors.CheckResult{
		{Name: "source: kết nối / connection", Status: connectors.CheckOK, Detail: "MariaDB 11"},
		{Name: "source: chỉ mục / index ho_so", Status: connectors.CheckFail, Detail: "no index", Hint: "CREATE INDEX"},
		{Name: "sources.khao_sat", Status: connectors.CheckWarn,
			Detail: "nguồn này không có bước tự kiểm tra / this source has no installation checks",
			Hint:   "kiểm tra nguồn này bằng cách chạy thử / check this source with a trial run"},
	}
	if got := src.(connectors.Checker).Check(ctx); !slices.Equal(got, want) {
		t.Errorf("Check =\n %+v\nwant\n %+v", got, want)
	}
}

func TestMultiWithoutFiles(t *testing.T) {
	src, err := connectors.Multi(named("source", &capable{memSource: newMem("ho_so")}), named("sources.khao_sat", newMem("danh_gia")))
	if err != nil {
		t.Fatal(err)
	}
	if connectors.FileSourceOf(src) != nil {
		t.Error("FileSourceOf(multi) != nil although no member serves files: links would be published that cannot be served")
	}
	if _, _, err := src.(connectors.FileSource).OpenFile(context.Background(), "1"); !errors.Is(err, connectors.ErrFileNotFound) {
		t.Errorf("OpenFile without a file-serving member = %v, want ErrFileNotFound", err)
	}
}

// TestMultiConformance runs the conformance kit on a Multi of two memory
// sources, once with the fixture's stream on the first member and once on
// the second, so that dispatch to either is held to the whole contract.
func TestMultiConformance(t *testing.T) {
	for _, second := range []bool{false, true} {
		t.Run(fmt.Sprintf("stream on member %d", map[bool]int{false: 1, true: 2}[second]), func(t *testing.T) {
			connectortest.RunSourceTests(t, connectortest.Harness{
				Setup: func(t *testing.T) connectortest.Fixture {
					one, two := &memRows{}, &memRows{}
					stream, rows := "ho_so", one
					if second {
						stream, rows = "danh_gia", two
					}
					// Rows in the other member's streams must not leak in.
					one.insert("qua_trinh_xu_ly", connectortest.Row{Updated: connectortest.DefaultBase, Key: "k000001"})
					two.insert("danh_gia_cu", connectortest.Row{Updated: connectortest.DefaultBase, Key: "k000002"})
					if second {
						one.insert("ho_so", connectortest.Row{Updated: connectortest.DefaultBase, Key: "k000003"})
					} else {
						two.insert("danh_gia", connectortest.Row{Updated: connectortest.DefaultBase, Key: "k000004"})
					}
					return connectortest.Fixture{
						Stream: stream,
						NewSource: func(t *testing.T) connectors.Source {
							a := &memSource{streams: []string{"ho_so", "qua_trinh_xu_ly"}, rows: one}
							b := &memSource{streams: []string{"danh_gia", "danh_gia_cu"}, rows: two}
							src, err := connectors.Multi(named("source", a), named("sources.khao_sat", b))
							if err != nil {
								t.Fatal(err)
							}
							return src
						},
						Insert: func(t *testing.T, r ...connectortest.Row) { rows.insert(stream, r...) },
					}
				},
			})
		})
	}
}
