package outbox

import (
	"context"
	"testing"
	"time"
)

func TestDossierAcknowledged(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, dbPath(t), newClock())
	dossier, step := newPacket(1), newPacket(2)
	dossier.Kind, dossier.MaHoSo = "HoSo", "000.00.12.H29-251103-0042"
	step.Kind, step.MaHoSo = "TienDoXuLy", "000.00.12.H29-251103-0043"
	mustCommit(t, s, "c1", []NewPacket{dossier, step}, nil)
	for _, code := range []string{dossier.MaHoSo, step.MaHoSo, "unknown"} {
		if ok, err := s.DossierAcknowledged(ctx, code); err != nil || ok {
			t.Fatalf("%s before delivery: %v %v", code, ok, err)
		}
	}
	for _, p := range mustLease(t, s, "w", 10, time.Minute) {
		if err := s.MarkDelivered(ctx, p.ID, Attempt{At: time.Now(), Outcome: OutcomeDelivered, HTTPStatus: 200}); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := s.DossierAcknowledged(ctx, dossier.MaHoSo); err != nil || !ok {
		t.Fatalf("delivered dossier not acknowledged: %v %v", ok, err)
	}
	if ok, _ := s.DossierAcknowledged(ctx, step.MaHoSo); ok {
		t.Fatal("a delivered progress step made its dossier count as acknowledged")
	}
}
