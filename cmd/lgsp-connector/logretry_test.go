package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// logEntry is the part of a `log --json` line the tests look at.
type logEntry struct {
	ID, State, Kind, MaHoSo, LastError string
	LastStatus                         int
}

func logJSON(t *testing.T, args ...string) []logEntry {
	t.Helper()
	r := mustExecute(t, append([]string{"log", "--json"}, args...)...)
	var out []logEntry
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("log --json %v: %v\n%s", args, err, r.stdout)
	}
	return out
}

// TestLogAndRetryWhileRunning: `log` and `retry` are separate processes
// in production, working on the store while `run` writes to it. Here they
// run as separate command trees against a running `run`: the sandbox
// refuses the first packets permanently (as if their signature were bad),
// they go dead, `retry --id` and `retry --all-failed` put them back, and
// `run` delivers them — all without a busy-database error.
func TestLogAndRetryWhileRunning(t *testing.T) {
	const rejectFirst = 5
	var rejected atomic.Int32
	r := newRig(t, rigOptions{
		dossiers: 60, badRows: 4, maxSteps: 3,
		// Latency keeps deliveries going while the commands below run.
		latency: 50 * time.Millisecond,
		verify: func(trusted func([]byte) error) func([]byte) error {
			return func(doc []byte) error {
				if rejected.Add(1) <= rejectFirst {
					return errors.New("test: refused on purpose")
				}
				return trusted(doc)
			}
		},
	})
	cfg := writeConfig(t, r.dir, "lgsp.yaml", r.params(), "log:\n  level: error\n")
	want := r.gen.Dossiers + r.gen.Steps

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runDone := make(chan result, 1)
	go func() { runDone <- execute(ctx, "run", "--config", cfg) }()
	var (
		stopOnce sync.Once
		runRes   result
	)
	stopRun := func() result {
		stopOnce.Do(func() {
			cancel()
			select {
			case runRes = <-runDone:
			case <-time.After(30 * time.Second):
				t.Error("run did not stop within 30s of its context ending")
			}
		})
		return runRes
	}
	defer stopRun()

	// The refused packets end up dead, visible as failed.
	var dead []logEntry
	waitFor(t, 30*time.Second, "the refused packets to be failed in the log", func() bool {
		dead = logJSON(t, "--config", cfg, "--status", "failed")
		return len(dead) == rejectFirst
	})
	for _, e := range dead {
		if e.State != "dead" || e.LastStatus != 400 || !strings.Contains(e.LastError, "refused on purpose") {
			t.Errorf("failed entry %+v: want state dead, HTTP 400 and the sandbox's reason", e)
		}
	}

	// Acknowledgements are recorded in groups, within tens of milliseconds.
	var delivered []logEntry
	waitFor(t, 5*time.Second, "log --status delivered to show packets while run is delivering", func() bool {
		delivered = logJSON(t, "--config", cfg, "--status", "delivered")
		return len(delivered) > 0
	})
	for _, e := range delivered {
		if e.State != "delivered" {
			t.Errorf("log --status delivered listed %+v", e)
		}
	}

	q := mustExecute(t, "log", "--config", cfg, "--status", "quarantined")
	rows := strings.Split(strings.TrimRight(q.stdout, "\n"), "\n")
	if len(rows) != 1+r.gen.BadDossiers || !strings.Contains(rows[0], "LÝ DO/REASON") {
		t.Errorf("log --status quarantined: want a header and %d rows, got:\n%s", r.gen.BadDossiers, q.stdout)
	}

	// retry --id: only that packet is re-queued, and run delivers it.
	// The first deliveries are still going on, so retry writes to the
	// store alongside run's workers.
	if n := r.sb.Stats().Accepted; n >= want-rejectFirst {
		t.Errorf("run had already delivered everything (%d of %d) before retry: the test no longer overlaps them; raise the sandbox latency", n, want)
	}
	first := dead[0]
	if out := mustExecute(t, "retry", "--config", cfg, "--id", first.ID).stdout; !strings.Contains(out, "re-queued 1 packets") {
		t.Errorf("retry --id: %q, want re-queued 1", out)
	}
	waitFor(t, 30*time.Second, "the packet retried by ID to be delivered", func() bool {
		for _, e := range logJSON(t, "--config", cfg, "--ma-ho-so", first.MaHoSo, "--limit", "0") {
			if e.ID == first.ID {
				return e.State == "delivered"
			}
		}
		t.Fatalf("packet %s is missing from log --ma-ho-so %s", first.ID, first.MaHoSo)
		return false
	})

	// retry --all-failed: the rest.
	if out := mustExecute(t, "retry", "--config", cfg, "--all-failed").stdout; !strings.Contains(out, "re-queued 4 packets") {
		t.Errorf("retry --all-failed: %q, want re-queued %d", out, rejectFirst-1)
	}
	// The sandbox stores a packet before the connector records the
	// acknowledgement: wait for the delivery log, not the sandbox.
	var delivered2 []logEntry
	waitFor(t, 30*time.Second, "every packet to be delivered in the log", func() bool {
		delivered2 = logJSON(t, "--config", cfg, "--status", "delivered", "--limit", "0")
		return len(delivered2) == want
	})
	if got := logJSON(t, "--config", cfg, "--status", "failed"); len(got) != 0 {
		t.Errorf("failed packets left after retry: %+v", got)
	}
	if u := r.sb.Stats().Unique; u != want {
		t.Errorf("sandbox holds %d unique packets, want %d", u, want)
	}
	st := r.sb.Stats()
	if st.InvalidSignature != rejectFirst || st.Accepted != want {
		t.Errorf("sandbox stats %+v: want %d refused and %d accepted once each", st, rejectFirst, want)
	}

	if res := stopRun(); res.err != nil {
		t.Errorf("run ended with %v\nstderr:\n%s", res.err, res.stderr)
	}
}
