package chaos_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/app"
	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/internal/demo"
	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"

	_ "github.com/hcmc-lgsp/lgsp-connector/connectors/iso-dientu" // the iso_dientu source
)

// refusal is the text the sandbox answers for a refused packet; it must
// come back in the delivery log.
const refusal = "chaos: this dossier is refused for good"

// refuser is the sandbox's signature check with a twist: every packet of
// the chosen dossiers is refused (HTTP 400, a permanent rejection), and
// only after holding the request for a while, like a slow backend. While a
// refused packet is held, the other workers must keep delivering.
type refuser struct {
	verify func([]byte) error
	codes  map[string]bool // MaHoSo to refuse
	hold   time.Duration

	mu    sync.Mutex
	holds []sandbox.Window
}

func (r *refuser) Verify(doc []byte) error {
	if err := r.verify(doc); err != nil {
		return err
	}
	code := packetMaHoSo(doc)
	if !r.codes[code] {
		return nil
	}
	// Not synchronisation: this is the fault being injected, a backend
	// that takes its time to say no.
	start := time.Now()
	time.Sleep(r.hold)
	r.mu.Lock()
	r.holds = append(r.holds, sandbox.Window{Start: start, End: time.Now()})
	r.mu.Unlock()
	return fmt.Errorf("%s (MaHoSo %s)", refusal, code)
}

func (r *refuser) heldWindows() []sandbox.Window {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sandbox.Window(nil), r.holds...)
}

// TestFaults delivers through a sandbox answering 30 % 5xx and 10 % 429
// with Retry-After, with jittered latency, a latency spike beyond the
// client's timeout, lost acknowledgements and an outage that starts mid-run,
// while refusing every packet of a few dossiers for good. After recovery
// every good packet must be delivered exactly once; the refused ones must
// be dead letters with the sandbox's answer kept, rejected on their first
// answered attempt, without holding up the others.
func TestFaults(t *testing.T) {
	t.Parallel()
	dossiers, refusedDossiers, outageFor, deadline := 400, 8, 10*time.Second, 4*time.Minute
	if longRun() {
		dossiers, refusedDossiers, outageFor, deadline = 10000, 40, 10*time.Minute, time.Hour
	}
	dossiers = envInt(t, dossiersEnv, dossiers)
	outageFor = envDuration(t, outageEnv, outageFor)
	seed := uint64(envInt(t, seedEnv, 20251103))
	const (
		spikeFor      = 4 * time.Second
		clientTimeout = 3 * time.Second
		retryAfter    = time.Second
		backoffMax    = 2 * time.Second // the demo template's delivery.backoff_max
	)
	t.Logf("faults: %d dossiers, %d refused, outage %s, seed %d", dossiers, refusedDossiers, outageFor, seed)

	dir := t.TempDir()
	l := newLegacy(t, dossiers, seed)
	key := newSigningKey(t, dir)

	// Refuse dossiers from the first tenth of the register: their packets
	// come up early, before the spike and the outage, while plenty of
	// good packets are due, so that a refusal holding them up would show.
	rng := rand.New(rand.NewPCG(seed, seed^0x2545f4914f6cdd1d))
	refused := map[string]bool{}
	for len(refused) < min(refusedDossiers, dossiers/20) {
		id := int64(rng.IntN(dossiers/10) + 1)
		refused[l.dossierCode(t, id)] = true
	}
	steps := l.stepsByDossier(t)
	wantDead := 0
	for code := range refused {
		wantDead += 1 + steps[code]
	}
	total := l.packets()
	wantGood := total - wantDead

	rf := &refuser{verify: key.verify, codes: refused, hold: time.Second}
	base := sandbox.Faults{
		ErrorRate: 0.3, ThrottleRate: 0.1, RetryAfter: retryAfter,
		Latency: 40 * time.Millisecond, LatencyJitter: 35 * time.Millisecond,
		DropAckRate: 0.03,
	}
	sb, url := startSandbox(t, sandbox.Options{
		Verify: rf.Verify, Seed: int64(seed),
		ErrorRate: base.ErrorRate, ThrottleRate: base.ThrottleRate, RetryAfter: base.RetryAfter,
		Latency: base.Latency, LatencyJitter: base.LatencyJitter, DropAckRate: base.DropAckRate,
	})
	yaml := connectorConfig(t, demo.ConfigParams{
		Driver: "mysql", LegacyDSN: l.dsn, LGSPURL: url, ClientSecret: clientSecret,
		CertFile: key.certFile, KeyFile: key.keyFile, StorePath: filepath.Join(dir, "outbox.db"),
		Workers: 16, Lease: "10s",
	}, map[string]string{"timeout: 10s": "timeout: " + clientTimeout.String()})
	cfg, err := config.LoadBytes(yaml, dir, config.LoadOptions{IgnoreEnv: true})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Delivery.BackoffMax != backoffMax {
		t.Fatalf("demo template's delivery.backoff_max is %s; the test's fault windows assume %s", cfg.Delivery.BackoffMax, backoffMax)
	}
	a, err := app.Build(context.Background(), cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())

	ctx, cancel := context.WithCancel(context.Background())
	polled, stopped := make(chan error, 1), make(chan error, 1)
	pollDone := false
	started := time.Now()
	go func() {
		_, err := a.Pipeline.Poll(ctx)
		polled <- err
	}()
	go func() { stopped <- a.Pipeline.RunDelivery(ctx, 50*time.Millisecond) }()
	// Stop reading and delivery before the store closes, however the test ends.
	stop := sync.OnceValue(func() error {
		cancel()
		if !pollDone {
			<-polled
		}
		return <-stopped
	})
	defer stop()

	// Drive the fault phases from the sandbox's progress: jittered faults
	// throughout; a latency spike beyond the client timeout at 40 %; back
	// to normal; an outage at 60 %; then wait for everything to settle.
	var spike, outage sandbox.Window
	setFaults := func(f sandbox.Faults) {
		if err := sb.SetFaults(f); err != nil {
			t.Fatal(err)
		}
	}
	var last outbox.Counts
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	end := time.After(deadline)
	for phase := 0; phase < 4; {
		select {
		case err := <-polled:
			if err != nil {
				t.Fatalf("poll: %v", err)
			}
			pollDone = true
		case <-end:
			t.Fatalf("not settled after %s (phase %d): outbox %+v, sandbox %+v", deadline, phase, last, sb.Stats())
		case <-tick.C:
		}
		now, accepted := time.Now(), sb.Stats().Unique
		switch {
		case phase == 0 && accepted >= wantGood*40/100:
			spike = sandbox.Window{Start: now, End: now.Add(spikeFor)}
			f := base
			f.Latency, f.LatencyJitter = clientTimeout+time.Second, 500*time.Millisecond
			setFaults(f)
			t.Logf("%6s: latency spike for %s (%d accepted)", since(started), spikeFor, accepted)
			phase++
		case phase == 1 && !now.Before(spike.End):
			setFaults(base)
			t.Logf("%6s: spike over (%d accepted)", since(started), accepted)
			phase++
		case phase == 2 && accepted >= wantGood*60/100:
			outage = sandbox.Window{Start: now, End: now.Add(outageFor)}
			f := base
			f.Outages = []sandbox.Window{outage}
			setFaults(f)
			t.Logf("%6s: outage for %s (%d accepted)", since(started), outageFor, accepted)
			phase++
		case phase == 3 && pollDone && now.After(outage.End):
			c, err := a.Store.Counts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			last = c
			if settled(c) && c.Delivered+c.Dead == total {
				phase++
			}
		}
	}
	elapsed := time.Since(started)
	if err := stop(); err != nil {
		t.Errorf("delivery: %v", err)
	}

	// The outbox: every good packet delivered, every refused one dead.
	bg := context.Background()
	c, err := a.Store.Counts(bg)
	if err != nil {
		t.Fatal(err)
	}
	if c.Pending != 0 || c.InFlight != 0 || c.Delivered != wantGood || c.Dead != wantDead || c.Quarantined != 0 {
		t.Errorf("outbox: pending %d, in flight %d, delivered %d, dead %d, quarantined %d; want 0, 0, %d, %d, 0",
			c.Pending, c.InFlight, c.Delivered, c.Dead, c.Quarantined, wantGood, wantDead)
	}
	checkDead(t, a.Store, refused)
	throttled, mostAttempts := checkThrottleHonoured(t, a.Store, retryAfter)

	// The sandbox: every good packet exactly once, nothing of the refused.
	stats := sb.Stats()
	if stats.Unique != wantGood {
		t.Errorf("sandbox holds %d unique packets, want %d of %d (%d refused)", stats.Unique, wantGood, total, wantDead)
	}
	if stats.Injected5xx == 0 || stats.Injected429 == 0 || stats.Outage == 0 || stats.InjectedDrop == 0 {
		t.Errorf("a fault was never injected: %+v", stats)
	}
	if stats.InvalidSignature < wantDead {
		t.Errorf("sandbox refused %d requests, want at least one per refused packet (%d)", stats.InvalidSignature, wantDead)
	}
	acc := sb.Accepted()
	checkAccepted(t, acc, l, refused)
	checkSameIDs(t, a.Store.Path(), acc)

	// Recovery after the outage.
	var afterOutage int
	var firstAfter time.Time
	for _, p := range acc {
		if !p.At.Before(outage.End) {
			afterOutage++
			if firstAfter.IsZero() || p.At.Before(firstAfter) {
				firstAfter = p.At
			}
		}
	}
	if afterOutage == 0 {
		t.Errorf("no packet was delivered after the outage ended: the outage did not start mid-run")
	}

	// Refusals did not hold up the others: while a refused packet was held
	// by the sandbox, good packets kept arriving. Holds that overlap the
	// spike or the outage (stretched by the client timeout and the longest
	// backoff) cannot show it and are left out.
	disturbed := []sandbox.Window{
		{Start: spike.Start, End: spike.End.Add(clientTimeout + backoffMax)},
		{Start: outage.Start, End: outage.End.Add(backoffMax + time.Second)},
	}
	var judged, idle int
	var during int
	for _, h := range rf.heldWindows() {
		if overlaps(h, disturbed) {
			continue
		}
		judged++
		n := 0
		for _, p := range acc {
			if h.Contains(p.At) {
				n++
			}
		}
		during += n
		if n == 0 {
			idle++
			t.Logf("refusal held %s..%s after the start saw no delivery (spike %s..%s, outage %s..%s)",
				h.Start.Sub(started), h.End.Sub(started), spike.Start.Sub(started), spike.End.Sub(started),
				outage.Start.Sub(started), outage.End.Sub(started))
		}
	}
	if judged == 0 {
		t.Errorf("every refusal overlapped the spike or the outage: cannot tell whether refusals hold up the others")
	}
	if idle > 0 {
		t.Errorf("%d of %d refusals held by the sandbox saw no good packet delivered meanwhile: a refused packet holds up the others", idle, judged)
	}

	t.Logf("faults result: %d good packets delivered exactly once and %d refused packets dead in %s; outage %s, first delivery %s after it ended, %d after it; %d refusals held %s each with %d good packets delivered meanwhile; %d throttled retries waited at least Retry-After; at most %d attempts for one packet; sandbox %+v",
		wantGood, wantDead, elapsed.Round(time.Millisecond), outageFor, firstAfter.Sub(outage.End).Round(time.Millisecond), afterOutage,
		judged, rf.hold, during, throttled, mostAttempts, stats)
}

func since(t time.Time) time.Duration { return time.Since(t).Round(100 * time.Millisecond) }

func overlaps(w sandbox.Window, others []sandbox.Window) bool {
	for _, o := range others {
		if w.Start.Before(o.End) && o.Start.Before(w.End) {
			return true
		}
	}
	return false
}

// checkDead checks every dead letter: a packet of a refused dossier, dead
// because the sandbox said 400, with the sandbox's answer kept in the
// delivery log, after exactly one refusal (a permanent rejection is never
// retried).
func checkDead(t *testing.T, st *outbox.Store, refused map[string]bool) {
	t.Helper()
	ctx := context.Background()
	dead, err := st.Query(ctx, outbox.Filter{State: outbox.StateDead, Limit: outbox.MaxQueryLimit})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range dead {
		if !refused[e.MaHoSo] {
			t.Errorf("good packet %s (%s %s) is dead: %s", e.ID, e.Kind, e.MaHoSo, e.LastError)
			continue
		}
		if e.LastStatus != http.StatusBadRequest || !strings.Contains(e.LastError, refusal) {
			t.Errorf("dead packet %s: last status %d, reason %q; want 400 and the sandbox's answer", e.ID, e.LastStatus, e.LastError)
		}
		attempts, err := st.Attempts(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		refusals := 0
		for _, a := range attempts {
			if a.HTTPStatus >= 400 && a.HTTPStatus < 500 && a.HTTPStatus != http.StatusTooManyRequests {
				refusals++
			}
		}
		if len(attempts) == 0 {
			t.Errorf("dead packet %s has no attempt in the delivery log", e.ID)
			continue
		}
		lastAttempt := attempts[len(attempts)-1]
		if refusals != 1 || lastAttempt.Outcome != outbox.OutcomeDead || lastAttempt.HTTPStatus != http.StatusBadRequest ||
			!strings.Contains(lastAttempt.Excerpt, refusal) {
			t.Errorf("dead packet %s: %d refusals in %d attempts, last %s (HTTP %d, excerpt %q); want one refusal, last, with the sandbox's answer",
				e.ID, refusals, len(attempts), lastAttempt.Outcome, lastAttempt.HTTPStatus, lastAttempt.Excerpt)
		}
	}
}

// checkThrottleHonoured checks that after every 429 the packet's next
// attempt came no sooner than Retry-After. It returns how many such
// retries it saw and the most attempts any packet needed.
func checkThrottleHonoured(t *testing.T, st *outbox.Store, retryAfter time.Duration) (throttled, mostAttempts int) {
	t.Helper()
	ctx := context.Background()
	n, reported := 0, 0
	err := st.Each(ctx, "", func(p outbox.Packet) error {
		attempts, err := st.Attempts(ctx, p.ID)
		if err != nil {
			return err
		}
		mostAttempts = max(mostAttempts, len(attempts))
		for i := 1; i < len(attempts); i++ {
			prev := attempts[i-1]
			if prev.HTTPStatus != http.StatusTooManyRequests || prev.Superseded {
				continue
			}
			n++
			// Attempt times are the starts of the requests, in milliseconds.
			if gap := attempts[i].At.Sub(prev.At); gap < retryAfter && reported < 10 {
				reported++
				t.Errorf("packet %s was retried %s after a 429 asking for %s", p.ID, gap, retryAfter)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Errorf("no packet was retried after a 429")
	}
	return n, mostAttempts
}
