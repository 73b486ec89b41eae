package pipeline_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/pipeline"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
)

// Stopping the connector while sends are under way leaves nothing in
// flight: interrupted packets are pending and due at once, the next round
// delivers them, and LGSP holds every packet once (a packet it stored
// while our side gave up is recognised as a duplicate, nothing more).
func TestShutdownMidDeliveryReleasesPackets(t *testing.T) {
	arrived := make(chan string, 256)
	observe := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if strings.HasPrefix(req.URL.Path, "/kho-du-lieu/") {
				select {
				case arrived <- req.Header.Get("Idempotency-Key"):
				default:
				}
			}
			h.ServeHTTP(w, req)
		})
	}
	// The latency only has to outlast the cancel below, which follows the
	// requests' arrival at once.
	r := newRig(t, rigOptions{dossiers: 10, maxSteps: 1, wrap: observe, faults: sandbox.Options{Latency: 1500 * time.Millisecond}})
	const workers = 4
	p, st := r.pipeline(t, build{opts: func(o *pipeline.Options) { o.Workers = workers }})
	n := pollAll(t, p)
	if n <= 2*workers {
		t.Fatalf("%d packets: too few to have some never leased", n)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := p.DeliverDue(ctx)
		done <- err
	}()
	for range workers {
		<-arrived
	}
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("DeliverDue after cancel: %v", err)
	}

	c := counts(t, st)
	if c.InFlight != 0 || c.Pending+c.Delivered != n || c.Pending == 0 {
		t.Fatalf("after shutdown: %+v; want nothing in flight and the unsent packets pending", c)
	}
	now := r.clock.Now()
	interrupted := map[string]bool{}
	for _, e := range allPackets(t, st) {
		if e.State != outbox.StatePending {
			continue
		}
		if e.NextAttemptAt.After(now) || e.LeaseOwner != "" {
			t.Errorf("packet %s: due %s (now %s), lease %q; want released and due at once", e.ID, e.NextAttemptAt, now, e.LeaseOwner)
		}
		if a := e.LastAttempt; a != nil {
			interrupted[e.ID] = true
			if a.Outcome != outbox.OutcomeRetry || !strings.Contains(a.Error, "interrupted") {
				t.Errorf("packet %s last attempt: %s %q; want a retry saying it was interrupted", e.ID, a.Outcome, a.Error)
			}
		}
	}
	if len(interrupted) < workers {
		t.Fatalf("%d attempts recorded as interrupted, want at least %d (one per worker)", len(interrupted), workers)
	}

	// The next run: the sandbox is fast again; no clock advance needed.
	if err := r.sb.SetFaults(sandbox.Faults{}); err != nil {
		t.Fatal(err)
	}
	ds := deliverDue(t, p)
	if ds.Delivered != c.Pending {
		t.Errorf("second round %+v, want the %d pending delivered", ds, c.Pending)
	}
	if c := counts(t, st); c.Delivered != n {
		t.Errorf("outbox %+v, want all %d delivered", c, n)
	}

	// Wait for the first round's handlers (still sleeping out their
	// latency) before reading what the sandbox stored.
	r.srv.Close()
	if s := r.sb.Stats(); s.Unique != n {
		t.Errorf("sandbox stored %d unique packets, want %d", s.Unique, n)
	}
	t.Logf("%d packets, %d attempts interrupted, sandbox %+v", n, len(interrupted), r.sb.Stats())
	for _, a := range r.sb.Accepted() {
		if a.Count > 1 && !interrupted[a.MessageID] {
			t.Errorf("packet %s received %d times though no attempt of it was interrupted", a.MessageID, a.Count)
		}
	}
}
