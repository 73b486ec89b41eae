package outbox

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Inbound calls are appended, listed newest first, filtered by dossier
// code and time, cut to their limits, and purged by age.
func TestInboundCalls(t *testing.T) {
	c := newClock()
	s := openStore(t, dbPath(t), c)
	ctx := context.Background()

	calls := []InboundCall{
		{Method: "POST", Path: "/dvcqg/TraCuuHoSo", Caller: "bearer:1", RemoteIP: "10.1.2.3", MaHoSo: "000.00.12.H29-250701-0001", Status: 200, Latency: 12 * time.Millisecond, BytesOut: 1543},
		{Method: "GET", Path: "/files/{token}", Caller: "link", RemoteIP: "10.1.2.3", FileRef: "42", Status: 200, Latency: 2 * time.Second, BytesOut: 50 << 20},
		{Method: "GET", Path: "/api/v1/ho-so/{MaHoSo}", Caller: "", RemoteIP: "203.0.113.9", MaHoSo: "000.00.12.H29-250701-0001", Status: 403, Error: "address not allowed"},
		{Method: "POST", Path: "/dvcqg/TraCuuHoSo", Caller: "cert:LGSP HCM", RemoteIP: "10.1.2.3", MaHoSo: "X", Status: 200, Error: strings.Repeat("é", 5000)},
	}
	for _, call := range calls {
		if err := s.RecordInbound(ctx, call); err != nil {
			t.Fatal(err)
		}
		c.Advance(time.Minute)
	}

	all, err := s.Inbound(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(calls) {
		t.Fatalf("Inbound returned %d calls, want %d", len(all), len(calls))
	}
	for i, got := range all {
		want := calls[len(calls)-1-i]
		want.At = t0.Add(time.Duration(len(calls)-1-i) * time.Minute)
		want.Error = truncateUTF8(want.Error, maxErrorBytes)
		if got != want {
			t.Errorf("call %d = %+v\nwant %+v", i, got, want)
		}
	}
	if len(all[0].Error) > maxErrorBytes || !strings.HasPrefix(all[0].Error, "éé") {
		t.Errorf("long error kept as %d bytes", len(all[0].Error))
	}

	byCode, err := s.Inbound(ctx, Filter{MaHoSo: "000.00.12.H29-250701-0001"})
	if err != nil || len(byCode) != 2 || byCode[0].Status != 403 || byCode[1].Status != 200 {
		t.Errorf("by MaHoSo: %+v, %v", byCode, err)
	}
	since, err := s.Inbound(ctx, Filter{Since: t0.Add(2 * time.Minute), Limit: 1})
	if err != nil || len(since) != 1 || since[0].Caller != "cert:LGSP HCM" {
		t.Errorf("since +2m, limit 1: %+v, %v", since, err)
	}
	if _, err := s.Inbound(ctx, Filter{Limit: -1}); err == nil {
		t.Error("negative limit accepted")
	}

	n, err := s.PurgeInbound(ctx, t0.Add(2*time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("PurgeInbound = %d, %v; want 2", n, err)
	}
	if left, _ := s.Inbound(ctx, Filter{}); len(left) != 2 || left[1].FileRef != "" || left[1].Status != 403 {
		t.Errorf("after purge: %+v", left)
	}
	if _, err := s.PurgeInbound(ctx, time.Time{}); err == nil {
		t.Error("purge without cut-off accepted")
	}
}

// A zero time means "now" on the store's clock.
func TestRecordInboundDefaultsTime(t *testing.T) {
	c := newClock()
	s := openStore(t, dbPath(t), c)
	if err := s.RecordInbound(context.Background(), InboundCall{Method: "GET", Path: "/x", Status: 404}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Inbound(context.Background(), Filter{})
	if err != nil || len(got) != 1 || !got[0].At.Equal(t0) {
		t.Errorf("got %+v, %v; want one call at %v", got, err, t0)
	}
}

// A file written by the first schema version gains inbound_calls on Open
// and keeps its packets.
func TestMigrateVersion1AddsInboundCalls(t *testing.T) {
	path := dbPath(t)
	raw := rawDB(t, path)
	for _, stmt := range []string{migrations[0], "PRAGMA application_id = " + strconv.Itoa(applicationID), "PRAGMA user_version = 1",
		`INSERT INTO packets (id, stream, record_key, kind, profile, endpoint, ma_ho_so, body, sha256, warnings, state, created_at, next_attempt_at, updated_at)
		 VALUES ('p1', 'ho_so', '1', 'HoSo', 'hcm-lgsp', '/x', 'A', x'00ff78', '', '', 'pending', 0, 0, 0)`} {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	raw.Close()

	s := openStore(t, path, nil)
	if _, version, err := s.identity(context.Background(), s.write); err != nil || version != schemaVersion {
		t.Fatalf("version after Open = %d, %v; want %d", version, err, schemaVersion)
	}
	if err := s.RecordInbound(context.Background(), InboundCall{Method: "GET", Path: "/x", Status: 200}); err != nil {
		t.Errorf("RecordInbound on a migrated file: %v", err)
	}
	if p, err := s.Get(context.Background(), "p1"); err != nil || !bytes.Equal(p.Body, []byte{0, 0xff, 'x'}) {
		t.Errorf("packet of version 1 after migration: body %q, %v; want its stored bytes", p.Body, err)
	}
}
