package outbox

import (
	"context"
	"testing"
	"time"
)

// Expedite makes the day's pending steps due now and touches nothing else.
func TestExpedite(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := openStore(t, dbPath(t), c)
	dossier, step1, step2 := newPacket(1), newPacket(2), newPacket(3)
	dossier.Kind, step1.Kind, step2.Kind = "HoSo", "TienDoXuLy", "TienDoXuLy"
	mustCommit(t, s, "c1", []NewPacket{dossier, step1, step2}, nil)
	// Everything fails once and waits an hour; step2 is then delivered.
	for _, p := range mustLease(t, s, "w", 10, time.Minute) {
		if err := s.MarkRetry(ctx, p.ID, c.Now().Add(time.Hour), Attempt{At: c.Now(), Outcome: OutcomeRetry, HTTPStatus: 502}); err != nil {
			t.Fatal(err)
		}
	}
	if got := mustLease(t, s, "w", 10, time.Minute); len(got) != 0 {
		t.Fatalf("leased %d packets before their retry time", len(got))
	}
	n, err := s.Expedite(ctx, "TienDoXuLy", c.Now().Add(-time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("Expedite = %d, %v; want the 2 pending steps", n, err)
	}
	got := mustLease(t, s, "w", 10, time.Minute)
	if len(got) != 2 || got[0].Kind != "TienDoXuLy" || got[1].Kind != "TienDoXuLy" {
		t.Fatalf("leased %+v, want exactly the two steps", got)
	}
	if n, err := s.Expedite(ctx, "TienDoXuLy", c.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("Expedite of in-flight steps = %d, %v; want 0", n, err)
	}
	if n, err := s.Expedite(ctx, "HoSo", c.Now().Add(time.Minute)); err != nil || n != 0 {
		t.Fatalf("Expedite of packets created before since = %d, %v; want 0", n, err)
	}
}
