package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fixedClock returns t and advances by step on every call.
type fixedClock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.t
	c.t = c.t.Add(c.step)
	return t
}

var t0 = time.Date(2026, 3, 2, 3, 0, 0, 0, Zone)

func openStore(t *testing.T, path string) *Store {
	t.Helper()
	clock := &fixedClock{t: t0, step: time.Minute}
	s, err := Open(context.Background(), Options{Path: path, Now: clock.Now})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func vn(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, Zone)
}

var unitEntries = []Entry{
	{Code: "000.00.01.H29", Name: "Ủy ban nhân dân Quận 1", ValidFrom: "2008-01-01", ValidTo: "2025-06-30", Extra: map[string]string{"MaDonViKeNhiem": "000.00.12.H29"}},
	{Code: "000.00.12.H29", Name: "Ủy ban nhân dân phường Sài Gòn", ValidFrom: "2025-07-01", Parent: "000.00.00.H29"},
	// A code reused: the same identifier named differently before and after.
	{Code: "000.00.20.H29", Name: "Phường cũ", ValidTo: "2025-06-30"},
	{Code: "000.00.20.H29", Name: "Phường mới", ValidFrom: "2025-07-01"},
}

func TestGetHonoursValidity(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "catalogs.db"))
	if _, err := s.Replace(context.Background(), "units", "lgsp /danh-muc/1.0/don-vi", unitEntries); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		code     string
		at       time.Time
		wantName string // "" = not found
	}{
		{"000.00.01.H29", vn(2025, 6, 30, 23, 59), "Ủy ban nhân dân Quận 1"},
		{"000.00.01.H29", vn(2025, 7, 1, 0, 0), ""},
		{"000.00.01.H29", vn(2007, 12, 31, 12, 0), ""},
		{"000.00.12.H29", vn(2025, 6, 30, 23, 59), ""},
		{"000.00.12.H29", vn(2025, 7, 1, 0, 0), "Ủy ban nhân dân phường Sài Gòn"},
		{"000.00.12.H29", vn(2040, 1, 1, 0, 0), "Ủy ban nhân dân phường Sài Gòn"},
		// The day is Viet Nam's: 17:30 UTC on 30 June is already 1 July.
		{"000.00.01.H29", time.Date(2025, 6, 30, 17, 30, 0, 0, time.UTC), ""},
		{"000.00.01.H29", time.Date(2025, 6, 30, 16, 59, 0, 0, time.UTC), "Ủy ban nhân dân Quận 1"},
		{"000.00.20.H29", vn(2025, 6, 1, 0, 0), "Phường cũ"},
		{"000.00.20.H29", vn(2025, 8, 1, 0, 0), "Phường mới"},
		{"000.00.99.H29", vn(2025, 8, 1, 0, 0), ""},
	}
	for _, tc := range tests {
		e, ok := s.Get("units", tc.code, tc.at)
		name, _, lok := s.Lookup("units", tc.code, tc.at)
		if ok != lok || e.Name != name {
			t.Errorf("Get and Lookup disagree for %s at %s", tc.code, tc.at)
		}
		if got := map[bool]string{true: e.Name, false: ""}[ok]; got != tc.wantName {
			t.Errorf("Get(units, %s, %s) = %q, want %q", tc.code, tc.at.Format(time.RFC3339), got, tc.wantName)
		}
	}
	if e, _ := s.Get("units", "000.00.01.H29", vn(2025, 1, 1, 0, 0)); e.Extra["MaDonViKeNhiem"] != "000.00.12.H29" {
		t.Errorf("extra attributes lost: %+v", e)
	}
	if _, ok := s.Get("officials", "x", t0); ok {
		t.Error("a catalog never fetched answers")
	}
	if !s.Loaded("units") || s.Loaded("officials") {
		t.Error("Loaded is wrong")
	}
	if got := len(s.Periods("units", "000.00.20.H29")); got != 2 {
		t.Errorf("Periods = %d, want 2", got)
	}
}

func TestReplaceIsAtomicAndRecordsTheFetch(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "catalogs.db"))
	first := []Entry{{Code: "TC01", Name: "Tổng thời gian giải quyết"}, {Code: "TC02", Name: "Thời gian của từng cơ quan"}}
	info, err := s.Replace(ctx, "rating_criteria", "lgsp /danh-muc/1.0/tieu-chi-danh-gia", first)
	if err != nil {
		t.Fatal(err)
	}
	if info.Rows != 2 || !info.FetchedAt.Equal(t0) || info.Source != "lgsp /danh-muc/1.0/tieu-chi-danh-gia" {
		t.Errorf("info = %+v", info)
	}

	// A bad fetch (overlapping periods of one code) changes nothing.
	bad := []Entry{{Code: "TC01", Name: "a", ValidFrom: "2020-01-01"}, {Code: "TC01", Name: "b", ValidFrom: "2021-01-01"}, {Code: "TC03", Name: "c"}}
	if _, err := s.Replace(ctx, "rating_criteria", "x", bad); err == nil || !strings.Contains(err.Error(), "overlapping validity") {
		t.Fatalf("Replace with overlapping periods = %v", err)
	}
	got, err := s.Entries(ctx, "rating_criteria")
	if err != nil || len(got) != 2 || got[0].Code != "TC01" || got[1].Name != "Thời gian của từng cơ quan" {
		t.Fatalf("after a refused fetch, entries = %+v, %v", got, err)
	}

	// A good one replaces everything: TC02 is gone.
	second := []Entry{{Code: "TC01", Name: "  Tổng thời gian giải quyết  "}, {Code: "TC09", Name: "Tiến độ dịch vụ công trực tuyến"}}
	if _, err := s.Replace(ctx, "rating_criteria", "lgsp /v2", second); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Entries(ctx, "rating_criteria")
	if len(got) != 2 || got[1].Code != "TC09" || got[0].Name != "Tổng thời gian giải quyết" {
		t.Errorf("entries = %+v", got)
	}
	if _, ok := s.Get("rating_criteria", "TC02", t0); ok {
		t.Error("TC02 is still answered after the replacement")
	}

	if err := s.RecordFailure(ctx, "rating_criteria", "lgsp /v2", errors.New("HTTP 503")); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFailure(ctx, "officials", "lgsp /can-bo", errors.New("HTTP 404")); err != nil {
		t.Fatal(err)
	}
	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("List = %+v", list)
	}
	off, rc := list[0], list[1]
	if off.Name != "officials" || !off.FetchedAt.IsZero() || off.LastError != "HTTP 404" || s.Loaded("officials") {
		t.Errorf("officials = %+v", off)
	}
	if rc.Rows != 2 || rc.LastError != "HTTP 503" || rc.LastAttempt.IsZero() || !rc.FetchedAt.Before(rc.LastAttempt) {
		t.Errorf("rating_criteria = %+v", rc)
	}
	// Still answered from the cache.
	if _, ok := s.Get("rating_criteria", "TC09", t0); !ok {
		t.Error("a failed refresh dropped the cached entries")
	}
}

func TestNormalizeRejects(t *testing.T) {
	tests := []struct {
		name    string
		entries []Entry
		want    string
	}{
		{"empty code", []Entry{{Code: "  ", Name: "x"}}, "empty code"},
		{"control character", []Entry{{Code: "A\x01B"}}, "control characters"},
		{"bad date", []Entry{{Code: "A", ValidFrom: "30-06-2025"}}, `valid_from: date "30-06-2025" is not YYYY-MM-DD`},
		{"reversed period", []Entry{{Code: "A", ValidFrom: "2025-07-01", ValidTo: "2025-06-30"}}, "valid_to 2025-06-30 is before valid_from 2025-07-01"},
		{"same code twice, unbounded", []Entry{{Code: "A"}, {Code: "A"}}, "overlapping validity"},
		{"touching periods", []Entry{{Code: "A", ValidTo: "2025-06-30"}, {Code: "A", ValidFrom: "2025-06-30"}}, "overlapping validity"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := normalize("units", tc.entries)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("normalize = %v, want %q", err, tc.want)
			}
		})
	}
	// Dates in the other accepted forms, NFC and trimming.
	out, err := normalize("units", []Entry{
		{Code: " B ", Name: "Phu\u031bo\u031b\u0300ng", ValidFrom: "01/07/2025", ValidTo: "20301231"},
		{Code: "A", ValidFrom: "20250701000000", ValidTo: "2026-01-01T00:00:00+07:00"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Code: "A", ValidFrom: "2025-07-01", ValidTo: "2026-01-01"},
		{Code: "B", Name: "Phường", ValidFrom: "2025-07-01", ValidTo: "2030-12-31"},
	}
	if fmt.Sprint(out) != fmt.Sprint(want) {
		t.Errorf("normalize = %+v\nwant %+v", out, want)
	}
}

// TestAnotherProcess: `catalogs sync` in one process, `run` in another.
// The running one keeps answering from memory and picks the new catalog
// up with ReloadIfChanged; a reader of the file never sees half a
// replacement.
func TestAnotherProcess(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalogs.db")
	run := openStore(t, path)
	syncer := openStore(t, path)

	if changed, err := run.ReloadIfChanged(ctx); err != nil || changed {
		t.Fatalf("ReloadIfChanged on an unchanged file = %v, %v", changed, err)
	}
	if _, err := syncer.Replace(ctx, "units", "s", unitEntries); err != nil {
		t.Fatal(err)
	}
	if run.Loaded("units") {
		t.Fatal("the other process saw the change without reloading")
	}
	if changed, err := run.ReloadIfChanged(ctx); err != nil || !changed {
		t.Fatalf("ReloadIfChanged after a replacement = %v, %v", changed, err)
	}
	if _, ok := run.Get("units", "000.00.12.H29", vn(2025, 9, 1, 0, 0)); !ok {
		t.Fatal("reloaded cache lacks the new unit")
	}
	// The running process replaces too: its index stays whole.
	if _, err := run.Replace(ctx, "procedures", "r", []Entry{{Code: "1.001193", Name: "Đăng ký khai sinh"}}); err != nil {
		t.Fatal(err)
	}
	if !run.Loaded("units") || !run.Loaded("procedures") {
		t.Fatal("a replacement after a reload lost a catalog")
	}

	// Versions of 50 and 80 entries, replaced back and forth while the
	// other store reads: every read sees one whole version.
	version := func(v, n int) []Entry {
		out := make([]Entry, n)
		for i := range out {
			out[i] = Entry{Code: fmt.Sprintf("C%03d", i), Name: fmt.Sprintf("v%d", v)}
		}
		return out
	}
	var wg sync.WaitGroup
	wg.Add(1)
	errs := make(chan error, 1)
	go func() {
		defer wg.Done()
		for v := range 20 {
			if _, err := syncer.Replace(ctx, "officials", "s", version(v, 50+30*(v%2))); err != nil {
				errs <- err
				return
			}
		}
	}()
	for range 60 {
		got, err := run.Entries(ctx, "officials")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			continue // not created yet
		}
		for _, e := range got[1:] {
			if e.Name != got[0].Name {
				t.Fatalf("read a mix of versions %s and %s", got[0].Name, e.Name)
			}
		}
		var v int
		fmt.Sscanf(got[0].Name, "v%d", &v)
		if want := 50 + 30*(v%2); len(got) != want {
			t.Fatalf("version %d has %d entries, want %d", v, len(got), want)
		}
	}
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
}

func TestOpenRefusesForeignFiles(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "outbox.db")
	db, err := sql.Open("sqlite", other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA application_id = 1279742800; CREATE TABLE packets (id TEXT)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(context.Background(), Options{Path: other}); err == nil || !strings.Contains(err.Error(), "give the catalog cache a file of its own") {
		t.Errorf("Open on another program's file = %v", err)
	}
	for _, p := range []string{"", ":memory:", "file:x.db", "x.db?mode=ro"} {
		if _, err := Open(context.Background(), Options{Path: p}); err == nil {
			t.Errorf("Open(%q) accepted", p)
		}
	}

	s := openStore(t, filepath.Join(dir, "sub", "catalogs.db"))
	var mode string
	if err := s.read.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal so readers never block the refresh", mode, err)
	}
	s.Close()
	// Reopening finds the schema in place.
	s = openStore(t, filepath.Join(dir, "sub", "catalogs.db"))
	if _, err := s.Replace(context.Background(), "units", "s", unitEntries[:1]); err != nil {
		t.Fatal(err)
	}
}

func FuzzParseDay(f *testing.F) {
	for _, s := range []string{"2025-06-30", "30/06/2025", "20250630", "20250630235959", "2025-06-30T23:59:59+07:00", "2025-06-30 10:00:00", "", "0000-01-01", "31/02/2025"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		day, err := parseDay(s)
		if err != nil {
			return
		}
		if day == "" {
			if strings.TrimSpace(s) != "" {
				t.Fatalf("parseDay(%q) = empty without an error", s)
			}
			return
		}
		// A parsed day is a real YYYY-MM-DD that reads back to itself.
		if again, err := parseDay(day); err != nil || again != day {
			t.Fatalf("parseDay(%q) = %q, which reads back as %q, %v", s, day, again, err)
		}
	})
}
