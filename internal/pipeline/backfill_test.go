package pipeline_test

import (
	"context"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	"github.com/hcmc-lgsp/lgsp-connector/internal/pipeline"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// Backlog counts what the source still holds; OnRead reports every
// committed batch, so a progress bar reaches exactly the backlog.
func TestBacklogAndOnRead(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, rigOptions{dossiers: 30, bad: 3, maxSteps: 3})
	p, _ := r.pipeline(t, build{opts: func(o *pipeline.Options) { o.BatchSize = 7 }})
	before, ok, err := p.Backlog(ctx)
	if err != nil || !ok {
		t.Fatalf("Backlog: %d %v %v", before, ok, err)
	}
	var reported int64
	p.OnRead(func(n int) { reported += int64(n) })
	st, err := p.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if int64(st.Read) != before || reported != before {
		t.Errorf("backlog %d, read %d, reported by OnRead %d: all three must agree", before, st.Read, reported)
	}
	if after, _, err := p.Backlog(ctx); err != nil || after != 0 {
		t.Errorf("backlog after a full poll = %d (%v), want 0", after, err)
	}
}

// With LGSP down, reading stops once MaxPending packets wait, and goes on
// after delivery catches up; nothing is skipped.
func TestMaxPendingPausesReading(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, rigOptions{dossiers: 40, maxSteps: 2, faults: sandbox.Options{ErrorRate: 1}})
	p, st := r.pipeline(t, build{opts: func(o *pipeline.Options) { o.BatchSize, o.MaxPending = 5, 12 }})
	total, _, err := p.Backlog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	first, err := p.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Paused || first.Queued < 12 || first.Queued >= int(total) {
		t.Fatalf("first poll %+v of %d records: want a pause after at least 12 queued", first, total)
	}
	if again, err := p.Poll(ctx); err != nil || again.Read != 0 || !again.Paused {
		t.Fatalf("poll while nothing was delivered: %+v %v, want paused without reading", again, err)
	}
	if err := r.sb.SetFaults(sandbox.Faults{}); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(time.Hour) // past every backoff
	if err := p.Drain(ctx, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	c := counts(t, st)
	if int64(c.Delivered) != total || c.Pending != 0 || c.Dead != 0 {
		t.Fatalf("outbox %+v, want all %d delivered", c, total)
	}
}

// countingMem is a memSource that counts the records after a cursor.
type countingMem struct{ *memSource }

func (s countingMem) Count(_ context.Context, stream string, after connectors.Cursor) (int64, error) {
	var n int64
	for _, r := range s.recs {
		if r.Stream == stream && r.Cursor.After(after) {
			n++
		}
	}
	return n, nil
}

// Several sources count only if every one can: a member that cannot
// (errors.ErrUnsupported from the Multi) means no progress bar, not an
// error and not a partial count.
func TestBacklogOfSeveralSources(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, rigOptions{dossiers: 1})
	kiosk := &memSource{stream: "danh_gia"}
	kiosk.add(kioskRow("101", 1, "PDG-1", "1", ""), kioskRow("102", 2, "PDG-2", "2", ""))
	app := &memSource{stream: "phieu_app"}
	app.add(connectors.Record{Stream: "phieu_app", Key: "1", Cursor: connectors.Cursor{Updated: time.Date(2026, 11, 2, 9, 0, 0, 0, packets.VietnamZone), Key: "1"}})

	both, err := connectors.Multi(connectors.NamedSource{Name: "sources.kiosk", Source: countingMem{kiosk}}, connectors.NamedSource{Name: "sources.app", Source: countingMem{app}})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := kioskPipeline(t, r, both, ratingMapping(t))
	if n, ok, err := p.Backlog(ctx); n != 3 || !ok || err != nil {
		t.Errorf("both count: Backlog = %d, %v, %v; want 3, true, nil", n, ok, err)
	}

	partial, err := connectors.Multi(connectors.NamedSource{Name: "sources.kiosk", Source: countingMem{kiosk}}, connectors.NamedSource{Name: "sources.app", Source: app})
	if err != nil {
		t.Fatal(err)
	}
	p, _ = kioskPipeline(t, r, partial, ratingMapping(t))
	if n, ok, err := p.Backlog(ctx); n != 0 || ok || err != nil {
		t.Errorf("one cannot count: Backlog = %d, %v, %v; want 0, false, nil", n, ok, err)
	}
}
