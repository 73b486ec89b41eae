package outbox

import (
	"context"
	"slices"
	"testing"
	"time"
)

func TestOrphansAreStepsWhoseDossierWillNotBeSent(t *testing.T) {
	c := newClock()
	s := openStore(t, dbPath(t), c)
	ctx := context.Background()
	dossier := func(i int, code string) NewPacket {
		p := newPacket(i)
		p.MaHoSo = code
		return p
	}
	step := func(i int, code string) NewPacket {
		p := dossier(i, code)
		p.Kind, p.Endpoint = "TienDoXuLy", "/kho-du-lieu/tiendo"
		return p
	}
	// A: dossier pending → its steps wait rightly. B: dossier delivered.
	// C: dossier dead. D: no dossier packet at all (quarantined). E: step
	// already delivered (not waiting).
	mustCommit(t, s, "", []NewPacket{dossier(1, "A"), dossier(2, "B"), dossier(3, "C")}, nil)
	c.Advance(time.Second)
	mustCommit(t, s, "", []NewPacket{step(10, "A"), step(11, "B"), step(12, "C"), step(13, "C")}, nil)
	c.Advance(time.Second)
	mustCommit(t, s, "", []NewPacket{step(14, "D"), step(15, "E")}, nil)
	for _, l := range mustLease(t, s, "w", 10, time.Minute) {
		var err error
		switch l.ID {
		case packetID(2), packetID(11), packetID(15):
			err = s.MarkDelivered(ctx, l.ID, Attempt{HTTPStatus: 200})
		case packetID(3):
			err = s.MarkDead(ctx, l.ID, "rejected", Attempt{HTTPStatus: 400})
		case packetID(14):
			continue // stays in flight: still waiting
		default:
			err = s.MarkRetry(ctx, l.ID, c.Now().Add(time.Hour), Attempt{HTTPStatus: 503})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	o, err := s.Orphans(ctx, "TienDoXuLy", "HoSo", 10)
	if err != nil {
		t.Fatal(err)
	}
	// C's two steps (dead dossier) and D's one (none): oldest first.
	if o.Packets != 3 || !slices.Equal(o.MaHoSo, []string{"C", "D"}) || o.More {
		t.Errorf("Orphans = %+v, want 3 packets of dossiers [C D]", o)
	}
	o, err = s.Orphans(ctx, "TienDoXuLy", "HoSo", 1)
	if err != nil {
		t.Fatal(err)
	}
	if o.Packets != 3 || !slices.Equal(o.MaHoSo, []string{"C"}) || !o.More {
		t.Errorf("Orphans(limit 1) = %+v, want 3 packets, [C] and more", o)
	}
	// Once the dossier is queued again (fixed at the source), its steps
	// are no longer orphans.
	mustCommit(t, s, "", []NewPacket{dossier(20, "C"), dossier(21, "D")}, nil)
	if o, err := s.Orphans(ctx, "TienDoXuLy", "HoSo", 10); err != nil || o.Packets != 0 || len(o.MaHoSo) != 0 {
		t.Errorf("after the dossiers were queued: %+v, %v; want none", o, err)
	}
}

func TestOrphansQueryUsesIndexes(t *testing.T) {
	s := openStore(t, dbPath(t), nil)
	rows, err := s.read.Query("EXPLAIN QUERY PLAN "+orphansSQL, "TienDoXuLy", "HoSo")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	for _, d := range plan {
		if d == "SCAN c" || d == "SCAN d" {
			t.Errorf("orphan query scans the packets table: %q in %v", d, plan)
		}
	}
	if len(plan) == 0 {
		t.Fatal("no plan")
	}
	t.Logf("plan: %v", plan)
}
