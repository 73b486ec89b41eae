package outbox

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// outcomeFor decides a packet's fate deterministically: every fifth packet is
// rejected on its first attempt (and requeued by the other party), every
// third needs one retry, the rest go through at once.
func outcomeFor(p Packet) string {
	i, _ := strconv.Atoi(p.ID[len(p.ID)-12:])
	switch {
	case p.Attempts == 0 && i%5 == 0:
		return OutcomeDead
	case p.Attempts == 0 && i%3 == 0:
		return OutcomeRetry
	}
	return OutcomeDelivered
}

func wantAttempts(i int) int {
	if i%5 == 0 || i%3 == 0 {
		return 2
	}
	return 1
}

// leaseTracker fails the test if a packet is leased while another worker
// still holds it: no double delivery under concurrency.
type leaseTracker struct {
	mu   sync.Mutex
	held map[string]string
}

func (l *leaseTracker) take(t *testing.T, owner string, ps []Packet) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range ps {
		if h, ok := l.held[p.ID]; ok {
			t.Errorf("packet %s leased to %s while %s holds it", p.ID, owner, h)
		}
		l.held[p.ID] = owner
	}
}

func (l *leaseTracker) release(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.held, id)
}

// runWorker leases and marks packets until ctx ends; any error fails the test
// and aborts the run, so a broken store fails fast instead of timing out.
func runWorker(ctx context.Context, abort context.CancelFunc, t *testing.T, s *Store, c *clock, owner string, tr *leaseTracker) {
	for ctx.Err() == nil {
		ps, err := s.Lease(ctx, owner, 5, time.Hour)
		if err != nil {
			if ctx.Err() == nil {
				t.Errorf("%s: Lease: %v", owner, err)
				abort()
			}
			return
		}
		if len(ps) == 0 {
			select { // idle poll, as the real worker does
			case <-ctx.Done():
			case <-time.After(time.Millisecond):
			}
			continue
		}
		tr.take(t, owner, ps)
		for _, p := range ps {
			tr.release(p.ID)
			a := Attempt{Owner: owner, Latency: time.Millisecond}
			var err error
			switch outcomeFor(p) {
			case OutcomeDead:
				a.HTTPStatus = 400
				err = s.MarkDead(ctx, p.ID, "HTTP 400", a)
			case OutcomeRetry:
				a.HTTPStatus = 503
				err = s.MarkRetry(ctx, p.ID, c.Now(), a)
			default:
				a.HTTPStatus = 200
				err = s.MarkDelivered(ctx, p.ID, a)
			}
			if err != nil && ctx.Err() == nil {
				t.Errorf("%s: mark %s: %v", owner, p.ID, err)
				abort()
			}
		}
	}
}

// checkDrained verifies every packet 0..n-1 was delivered exactly with the
// attempts its fate implies, and every dead letter was requeued once.
func checkDrained(t *testing.T, s *Store, n int) {
	t.Helper()
	ctx := context.Background()
	cs, err := s.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	total, dead := 0, 0
	for i := 0; i < n; i++ {
		total += wantAttempts(i)
		if i%5 == 0 {
			dead++
		}
		p := mustGet(t, s, packetID(i))
		if p.State != StateDelivered || p.Attempts != wantAttempts(i) {
			t.Errorf("packet %d: %s after %d attempts, want delivered after %d", i, p.State, p.Attempts, wantAttempts(i))
		}
	}
	if want := (Counts{Delivered: n, Attempts: total}); cs != want {
		t.Errorf("Counts = %+v, want %+v", cs, want)
	}
	audit, err := s.Audit(ctx, Filter{Limit: MaxQueryLimit})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != dead {
		t.Errorf("%d audit rows, want one requeue per dead letter (%d)", len(audit), dead)
	}
}

// TestConcurrentWorkersAndSecondStore runs four delivery workers on one
// Store while a second Store on the same file (what `lgsp-connector retry`
// and `log` do from another process) commits, queries and requeues. No call
// may fail with SQLITE_BUSY, no packet may be leased twice, and everything
// ends delivered.
func TestConcurrentWorkersAndSecondStore(t *testing.T) {
	const n = 400
	path := dbPath(t)
	c := newClock()
	a := openStore(t, path, c)
	b := openStore(t, path, c)
	mustCommit(t, a, "a-0", packets(0, n/2), nil)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	work, stop := context.WithCancel(ctx)
	tr := &leaseTracker{held: map[string]string{}}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() { runWorker(work, cancel, t, a, c, fmt.Sprintf("worker-%d", w), tr) })
	}
	defer wg.Wait() // workers report with t.Errorf: they must end before the test does
	defer stop()

	// The other party: commits the second half in batches, and keeps
	// looking at and requeueing dead letters until all is delivered.
	for i := n / 2; i < n; i += 20 {
		if _, err := b.Commit(ctx, "b", []byte(strconv.Itoa(i)), packets(i, i+20), nil); err != nil {
			t.Fatalf("second store: Commit: %v", err)
		}
		if _, err := b.Query(ctx, Filter{State: StatePending, Limit: 50}); err != nil {
			t.Fatalf("second store: Query: %v", err)
		}
	}
	for {
		if _, err := b.RequeueAllDead(ctx, "operator"); err != nil {
			t.Fatalf("second store: RequeueAllDead: %v", err)
		}
		cs, err := b.Counts(ctx)
		if err != nil {
			t.Fatalf("second store: Counts: %v", err)
		}
		if cs.Delivered == n {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("outbox not drained in time: %+v", cs)
		case <-time.After(2 * time.Millisecond):
		}
	}
	stop()
	wg.Wait()
	checkDrained(t, a, n)
	if cur, _ := a.Cursor(context.Background(), "b"); string(cur) != strconv.Itoa(n-20) {
		t.Errorf("cursor of stream b = %q, want %d", cur, n-20)
	}
}

const childEnv = "LGSP_OUTBOX_TEST_CHILD"

// TestTwoProcesses does the same across a real process boundary: the child
// (this test binary re-run as TestChildProcess) commits and requeues while
// this process runs the workers.
func TestTwoProcesses(t *testing.T) {
	const n = 300
	path := dbPath(t)
	c := newClock()
	s := openStore(t, path, c)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestChildProcess$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"="+path+"|"+strconv.Itoa(n))
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	work, stop := context.WithCancel(ctx)
	tr := &leaseTracker{held: map[string]string{}}
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() { runWorker(work, cancel, t, s, c, fmt.Sprintf("worker-%d", w), tr) })
	}
	defer wg.Wait()
	defer stop()
	err := cmd.Wait()
	stop()
	wg.Wait()
	if err != nil {
		t.Fatalf("child process: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "--- PASS: TestChildProcess") {
		t.Fatalf("child process did not run its part:\n%s", out.String())
	}
	checkDrained(t, s, n)
}

// TestChildProcess is the other process of TestTwoProcesses; on its own it
// does nothing.
func TestChildProcess(t *testing.T) {
	arg := os.Getenv(childEnv)
	if arg == "" {
		t.Skip("helper process for TestTwoProcesses")
	}
	path, nStr, _ := strings.Cut(arg, "|")
	n, _ := strconv.Atoi(nStr)
	s := openStore(t, path, newClock())
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	for i := 0; i < n; i += 10 {
		if _, err := s.Commit(ctx, "child", []byte(strconv.Itoa(i)), packets(i, i+10), nil); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		if _, err := s.Query(ctx, Filter{MaHoSo: newPacket(i).MaHoSo}); err != nil {
			t.Fatalf("Query: %v", err)
		}
	}
	for {
		if _, err := s.RequeueAllDead(ctx, "child"); err != nil {
			t.Fatalf("RequeueAllDead: %v", err)
		}
		cs, err := s.Counts(ctx)
		if err != nil {
			t.Fatalf("Counts: %v", err)
		}
		if cs.Delivered == n {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("not drained: %+v (%v)", cs, ctx.Err())
		case <-time.After(2 * time.Millisecond):
		}
	}
}
