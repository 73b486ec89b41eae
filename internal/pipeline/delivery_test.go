package pipeline_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/pipeline"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
	"github.com/hcmc-lgsp/lgsp-connector/signing"
)

// pollAll polls and returns how many packets were queued; it fails unless
// every record became a packet.
func pollAll(t *testing.T, p *pipeline.Pipeline) int {
	t.Helper()
	st, err := p.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Queued == 0 || st.Queued != st.Read {
		t.Fatalf("poll %+v: want every record queued", st)
	}
	return st.Queued
}

func deliverDue(t *testing.T, p *pipeline.Pipeline) pipeline.DeliverStats {
	t.Helper()
	ds, err := p.DeliverDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// A packet LGSP rejects (here: signed with a key it does not trust) is
// dead after one attempt, with the response kept; it is first in the
// queue and one worker delivers, yet every other packet gets through in
// the same round.
func TestPermanentRejectionIsDeadAtOnceAndBlocksNothing(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, rigOptions{dossiers: 8, maxSteps: 2})
	var first string
	if err := r.legacy.QueryRow(`SELECT so_ho_so FROM hs_hoso ORDER BY ngay_cap_nhat, id LIMIT 1`).Scan(&first); err != nil {
		t.Fatal(err)
	}
	key, cert, err := signing.GenerateSelfSigned("impostor", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	untrusted, err := signing.NewSigner(key, cert, signing.Algorithm(0))
	if err != nil {
		t.Fatal(err)
	}
	p, st := r.pipeline(t, build{
		signer: dossierSigner{trusted: r.signer, untrusted: untrusted, maHoSo: first},
		opts:   func(o *pipeline.Options) { o.Workers = 1 },
	})
	n := pollAll(t, p)
	queue := allPackets(t, st)
	if queue[0].MaHoSo != first {
		t.Fatalf("the rejected dossier %s is not first in the queue", first)
	}
	bad, err := st.Query(ctx, outbox.Filter{MaHoSo: first})
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) < 2 {
		t.Fatalf("dossier %s has %d packets; want the dossier and at least one step", first, len(bad))
	}

	ds := deliverDue(t, p)
	if ds.Dead != len(bad) || ds.Delivered != n-len(bad) || ds.Retried != 0 {
		t.Errorf("delivery %+v, want %d dead and %d delivered in one round", ds, len(bad), n-len(bad))
	}
	if c := counts(t, st); c.Dead != len(bad) || c.Delivered != n-len(bad) || c.Pending+c.InFlight != 0 {
		t.Errorf("outbox %+v", c)
	}
	for _, e := range bad {
		p, err := st.Get(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		as := attempts(t, st, e.ID)
		if p.State != outbox.StateDead || len(as) != 1 {
			t.Errorf("packet %s: %s after %d attempts, want dead after 1", e.ID, p.State, len(as))
			continue
		}
		a := as[0]
		if a.Outcome != outbox.OutcomeDead || a.HTTPStatus != http.StatusBadRequest || !strings.Contains(a.Excerpt, "invalid signature") {
			t.Errorf("packet %s attempt: outcome %s, HTTP %d, excerpt %q; want dead, 400 and the sandbox's reason", e.ID, a.Outcome, a.HTTPStatus, a.Excerpt)
		}
		if !strings.Contains(p.LastError, "HTTP 400") || !strings.Contains(p.LastError, "invalid signature") {
			t.Errorf("packet %s: dead-letter reason %q does not quote the response", e.ID, p.LastError)
		}
		if _, stored := r.sb.Packet(e.ID); stored {
			t.Errorf("packet %s: the sandbox stored a packet it rejected", e.ID)
		}
	}
	sst := r.sb.Stats()
	if sst.InvalidSignature != len(bad) || sst.Unique != n-len(bad) || sst.Received != n {
		t.Errorf("sandbox %+v: want %d invalid signatures and %d stored of %d sent once each", sst, len(bad), n-len(bad), n)
	}
	if tot := p.Totals(); tot.Failed != int64(len(bad)) || tot.Delivered != int64(n-len(bad)) || tot.Attempts != int64(n) {
		t.Errorf("totals %+v", tot)
	}
}

// Server errors are retried with exponential backoff on the injected
// clock; a packet is not sent again before its time, and is delivered
// once the server recovers.
func TestServerErrorsRetryWithBackoff(t *testing.T) {
	r := newRig(t, rigOptions{dossiers: 3, maxSteps: 1, faults: sandbox.Options{ErrorRate: 1}})
	base := 10 * time.Second
	p, st := r.pipeline(t, build{opts: func(o *pipeline.Options) { o.BackoffBase, o.BackoffMax = base, time.Hour }})
	n := pollAll(t, p)

	for round := 1; round <= 3; round++ {
		now := r.clock.Now()
		step := base << (round - 1) // backoff lies in [step/2, step]
		ds := deliverDue(t, p)
		if ds.Retried != n || ds.Delivered+ds.Dead != 0 {
			t.Fatalf("round %d: %+v, want all %d retried", round, ds, n)
		}
		for _, e := range allPackets(t, st) {
			wait := e.NextAttemptAt.Sub(now)
			if e.State != outbox.StatePending || e.Attempts != round {
				t.Errorf("round %d: packet %s is %s after %d attempts", round, e.ID, e.State, e.Attempts)
			}
			if wait < step/2-time.Millisecond || wait > step {
				t.Errorf("round %d: packet %s next attempt in %s, want between %s and %s", round, e.ID, wait, step/2, step)
			}
			if a := e.LastAttempt; a == nil || a.Outcome != outbox.OutcomeRetry || a.HTTPStatus < 500 {
				t.Errorf("round %d: packet %s last attempt %+v, want a retry after a 5xx", round, e.ID, a)
			}
		}
		// Nothing is due before the backoff has passed.
		received := r.sb.Stats().Received
		if ds := deliverDue(t, p); ds != (pipeline.DeliverStats{}) || r.sb.Stats().Received != received {
			t.Fatalf("round %d: packets sent again before their retry time: %+v", round, ds)
		}
		r.clock.Advance(step)
	}
	if err := r.sb.SetFaults(sandbox.Faults{}); err != nil {
		t.Fatal(err)
	}
	if ds := deliverDue(t, p); ds.Delivered != n {
		t.Errorf("after recovery: %+v, want %d delivered", ds, n)
	}
	if s := r.sb.Stats(); s.Unique != n || s.Injected5xx != 3*n {
		t.Errorf("sandbox %+v", s)
	}
}

// 429 answers are retried no sooner than Retry-After, or the backoff when
// that is longer.
func TestThrottlingHonoursRetryAfter(t *testing.T) {
	tests := []struct {
		name              string
		retryAfter, base  time.Duration
		minWait, maxWait  time.Duration
		firstEarlyAdvance time.Duration
	}{
		{"retry-after longer than backoff", 90 * time.Second, time.Second, 90 * time.Second, 90 * time.Second, 89 * time.Second},
		{"backoff longer than retry-after", time.Second, 40 * time.Second, 20 * time.Second, 40 * time.Second, 19 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, rigOptions{dossiers: 2, maxSteps: 1, faults: sandbox.Options{ThrottleRate: 1, RetryAfter: tc.retryAfter}})
			p, st := r.pipeline(t, build{opts: func(o *pipeline.Options) { o.BackoffBase, o.BackoffMax = tc.base, time.Hour }})
			n := pollAll(t, p)
			now := r.clock.Now()
			if ds := deliverDue(t, p); ds.Retried != n {
				t.Fatalf("%+v, want all %d retried", ds, n)
			}
			for _, e := range allPackets(t, st) {
				a := e.LastAttempt
				if a == nil || a.Outcome != outbox.OutcomeThrottled || a.HTTPStatus != http.StatusTooManyRequests {
					t.Errorf("packet %s last attempt %+v, want throttled 429", e.ID, a)
				}
				if wait := e.NextAttemptAt.Sub(now); wait < tc.minWait-time.Millisecond || wait > tc.maxWait {
					t.Errorf("packet %s next attempt in %s, want between %s and %s", e.ID, wait, tc.minWait, tc.maxWait)
				}
			}
			if tot := p.Totals(); tot.Throttled != int64(n) {
				t.Errorf("totals %+v, want %d throttled", tot, n)
			}
			if err := r.sb.SetFaults(sandbox.Faults{}); err != nil {
				t.Fatal(err)
			}
			r.clock.Advance(tc.firstEarlyAdvance)
			if ds := deliverDue(t, p); ds != (pipeline.DeliverStats{}) {
				t.Fatalf("sent before Retry-After: %+v", ds)
			}
			r.clock.Advance(tc.maxWait - tc.firstEarlyAdvance)
			if ds := deliverDue(t, p); ds.Delivered != n {
				t.Errorf("after the wait: %+v, want %d delivered", ds, n)
			}
		})
	}
}

// After MaxAttempts transient failures a packet goes to the dead letters
// with the reason; every attempt is in the log.
func TestMaxAttemptsThenDead(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, rigOptions{dossiers: 2, maxSteps: 1, faults: sandbox.Options{ErrorRate: 1}})
	p, st := r.pipeline(t, build{opts: func(o *pipeline.Options) {
		o.MaxAttempts, o.BackoffBase, o.BackoffMax = 3, time.Second, time.Minute
	}})
	n := pollAll(t, p)
	for round, want := range []pipeline.DeliverStats{{Retried: n}, {Retried: n}, {Dead: n}} {
		if ds := deliverDue(t, p); ds != want {
			t.Fatalf("round %d: %+v, want %+v", round+1, ds, want)
		}
		r.clock.Advance(time.Minute)
	}
	if c := counts(t, st); c.Dead != n || c.Pending+c.InFlight+c.Delivered != 0 {
		t.Errorf("outbox %+v, want all %d dead", c, n)
	}
	for _, e := range allPackets(t, st) {
		pk, err := st.Get(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(pk.LastError, "gave up after 3 failed attempts") {
			t.Errorf("packet %s dead-letter reason %q", e.ID, pk.LastError)
		}
		var outcomes []string
		for _, a := range attempts(t, st, e.ID) {
			outcomes = append(outcomes, a.Outcome)
		}
		if strings.Join(outcomes, ",") != "retry,retry,dead" {
			t.Errorf("packet %s attempts %v, want retry,retry,dead", e.ID, outcomes)
		}
	}
	if tot := p.Totals(); tot.Failed != int64(n) || tot.Retries != int64(2*n) {
		t.Errorf("totals %+v", tot)
	}
	// Dead letters are not sent again.
	if ds := deliverDue(t, p); ds != (pipeline.DeliverStats{}) {
		t.Errorf("dead packets sent again: %+v", ds)
	}
}

// A client secret LGSP refuses is the connector's problem, not the
// packets': they stay pending (paused until BackoffMax), none is dead,
// and once the secret is fixed they are delivered.
func TestRefusedCredentialsPauseInsteadOfDeadLettering(t *testing.T) {
	r := newRig(t, rigOptions{dossiers: 20, maxSteps: 2})
	pause := 10 * time.Minute
	workers := 4
	opts := func(o *pipeline.Options) { o.BackoffMax, o.Workers = pause, workers }
	p, st := r.pipeline(t, build{secret: "wrong-secret", opts: opts})
	n := pollAll(t, p)
	now := r.clock.Now()
	// The round ends at the first refusal: each worker settles at most the
	// few packets leased for it (the shared queue holds 3 per worker),
	// instead of asking for a token once per packet.
	const leasedPerWorker = 3
	ds := deliverDue(t, p)
	if ds.Dead != 0 || ds.Retried == 0 || ds.Retried > leasedPerWorker*workers {
		t.Fatalf("%+v, want between 1 and %d paused and none dead (of %d)", ds, leasedPerWorker*workers, n)
	}
	if s := r.sb.Stats(); s.Unique != 0 || s.TokenFailures == 0 || s.TokenFailures > leasedPerWorker*workers {
		t.Errorf("sandbox %+v, want 1..%d token refusals and nothing stored", s, leasedPerWorker*workers)
	}
	attempted := 0
	for _, e := range allPackets(t, st) {
		if e.State != outbox.StatePending {
			t.Errorf("packet %s: %s, want pending", e.ID, e.State)
		}
		if a := e.LastAttempt; a != nil {
			attempted++
			if !strings.Contains(a.Error, "misconfigured") || !e.NextAttemptAt.Equal(now.Add(pause)) {
				t.Errorf("packet %s: attempt %+v, next %s; want the configuration error and a pause until %s", e.ID, a, e.NextAttemptAt, now.Add(pause))
			}
		}
	}
	if attempted != ds.Retried {
		t.Errorf("%d packets carry an attempt, the round reported %d", attempted, ds.Retried)
	}
	if tot := p.Totals(); tot.Failed != 0 {
		t.Errorf("totals %+v, want nothing failed", tot)
	}

	// The operator fixes the secret and restarts: same outbox.
	fixed, _ := r.pipeline(t, build{opts: opts})
	if ds := deliverDue(t, fixed); ds.Delivered != n-attempted {
		t.Fatalf("after the fix: %+v, want the %d packets never tried delivered, the paused ones waiting", ds, n-attempted)
	}
	r.clock.Advance(pause)
	if ds := deliverDue(t, fixed); ds.Delivered != attempted {
		t.Errorf("after the pause: %+v, want the %d paused packets delivered", ds, attempted)
	}
	if s := r.sb.Stats(); s.Unique != n {
		t.Errorf("sandbox stored %d, want %d", s.Unique, n)
	}
}

// Throttling answers do not count toward MaxAttempts: a packet that was
// throttled twice and then fails once is retried, not dead.
func TestMaxAttemptsIgnoresThrottling(t *testing.T) {
	r := newRig(t, rigOptions{dossiers: 1, maxSteps: 1, faults: sandbox.Options{ThrottleRate: 1, RetryAfter: time.Second}})
	p, st := r.pipeline(t, build{opts: func(o *pipeline.Options) {
		o.MaxAttempts, o.BackoffBase, o.BackoffMax = 3, time.Second, time.Minute
	}})
	n := pollAll(t, p)
	for range 2 {
		if ds := deliverDue(t, p); ds.Retried != n {
			t.Fatalf("throttled round: %+v, want %d retried", ds, n)
		}
		r.clock.Advance(time.Minute)
	}
	if err := r.sb.SetFaults(sandbox.Faults{ErrorRate: 1}); err != nil {
		t.Fatal(err)
	}
	if ds := deliverDue(t, p); ds.Dead != 0 || ds.Retried != n {
		t.Fatalf("after 2 throttles and 1 failure: %+v, want %d retried and none dead", ds, n)
	}
	r.clock.Advance(time.Minute)
	if err := r.sb.SetFaults(sandbox.Faults{}); err != nil {
		t.Fatal(err)
	}
	if ds := deliverDue(t, p); ds.Delivered != n {
		t.Fatalf("after recovery: %+v, want %d delivered", ds, n)
	}
	if c := counts(t, st); c.Dead != 0 || c.Pending != 0 {
		t.Fatalf("outbox %+v, want everything delivered", c)
	}
}
