package chaos_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/demo"
	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
)

// killPlan is when each connector process dies: once the sandbox holds
// at least fraction of the expected packets (0 means at once), plus a
// random extra delay, measured from whichever comes later, the process
// start or the fraction being reached. Fractions rise, so kills spread
// over the whole run: during start-up and recovery, while records are
// read, signed and committed, and while packets are delivered.
type killPlan struct {
	fraction float64
	delay    time.Duration
}

func planKills(rng *rand.Rand, kills int) []killPlan {
	fractions := make([]float64, kills)
	for i := range fractions {
		fractions[i] = 0.9 * rng.Float64()
	}
	slices.Sort(fractions)
	plan := make([]killPlan, kills)
	for i, f := range fractions {
		plan[i] = killPlan{fraction: f, delay: 50*time.Millisecond + time.Duration(rng.Int64N(int64(1450*time.Millisecond)))}
	}
	return plan
}

// killRecord is what the outbox and the sandbox held right after a kill.
type killRecord struct {
	child    int
	lived    time.Duration
	accepted int // unique packets in the sandbox
	outbox   outbox.Counts
}

func (k killRecord) String() string {
	queued := k.outbox.Pending + k.outbox.InFlight + k.outbox.Delivered + k.outbox.Dead
	return fmt.Sprintf("kill %2d after %6s: sandbox %6d, outbox queued %6d (pending %d, in flight %d, delivered %d)",
		k.child+1, k.lived.Round(time.Millisecond), k.accepted, queued, k.outbox.Pending, k.outbox.InFlight, k.outbox.Delivered)
}

// TestKill9 runs the connector as a separate process against a MariaDB
// legacy database and the sandbox, kills it with SIGKILL at random moments
// and restarts it each time, then lets it finish. Every dossier and every
// processing step must reach the sandbox exactly once under one message
// ID, and the outbox must settle with nothing pending, in flight or dead.
func TestKill9(t *testing.T) {
	t.Parallel()
	dossiers, kills, deadline := 2000, 10, 4*time.Minute
	if longRun() {
		dossiers, kills, deadline = 100000, 50, 4*time.Hour
	}
	dossiers = envInt(t, dossiersEnv, dossiers)
	kills = envInt(t, killsEnv, kills)
	seed := uint64(envInt(t, seedEnv, 20251103))
	t.Logf("kill -9: %d dossiers, %d kills, seed %d (%s=%d reproduces the kill plan)", dossiers, kills, seed, seedEnv, seed)

	dir := t.TempDir()
	type built struct {
		bin string
		err error
	}
	buildDone := make(chan built, 1)
	go func() {
		bin, err := buildConnector(dir)
		buildDone <- built{bin, err}
	}()

	l := newLegacy(t, dossiers, seed)
	key := newSigningKey(t, dir)
	sb, url := startSandbox(t, sandbox.Options{Verify: key.verify, Seed: int64(seed)})
	storePath := filepath.Join(dir, "outbox.db")
	cfgPath := filepath.Join(dir, "config.yaml")
	cfg := connectorConfig(t, demo.ConfigParams{
		Driver: "mysql", LegacyDSN: l.dsn, LGSPURL: url, ClientSecret: clientSecret,
		CertFile: key.certFile, KeyFile: key.keyFile, StorePath: storePath,
		Workers: 16, Lease: "10s", // the shortest lease the configuration accepts
	}, map[string]string{`poll: "@every 5s"`: `poll: "@every 1s"`})
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	b := <-buildDone
	if b.err != nil {
		t.Fatal(b.err)
	}

	want := l.packets()
	var children []*child
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		// The last few processes say the most about what went wrong.
		for _, c := range children[max(0, len(children)-3):] {
			t.Logf("--- connector %d output (%s), last lines:\n%s", c.n+1, c.logPath, c.tail(30))
		}
	})
	accepted := func() int { return sb.Stats().Unique }
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	started := time.Now()

	var records []killRecord
	for i, k := range planKills(rand.New(rand.NewPCG(seed, seed^0x5deece66d)), kills) {
		c := startChild(t, b.bin, cfgPath, dir, i)
		children = append(children, c)
		threshold := int(k.fraction * float64(want))
		if !waitFor(ctx, c, 20*time.Millisecond, func() bool { return accepted() >= threshold }) {
			if c.exited() {
				t.Fatalf("connector %d exited by itself (%v) before kill %d", i+1, c.err, i+1)
			}
			t.Fatalf("kill %d: the sandbox holds %d packets, the kill waits for %d of %d; delivery stalled (%s)", i+1, accepted(), threshold, want, fmt.Sprintf("%+v", sb.Stats()))
		}
		select {
		case <-c.done:
		case <-time.After(k.delay):
		}
		if !c.kill(t) {
			t.Fatalf("connector %d exited by itself (%v) before kill %d", i+1, c.err, i+1)
		}
		rec := killRecord{child: i, lived: time.Since(c.started), accepted: accepted()}
		rec.outbox = counts(t, storePath)
		// Nothing may be marked delivered that the sandbox did not store.
		if rec.outbox.Delivered > rec.accepted {
			t.Fatalf("%s: the outbox marks more packets delivered than the sandbox ever accepted", rec)
		}
		records = append(records, rec)
	}

	final := startChild(t, b.bin, cfgPath, dir, kills)
	children = append(children, final)
	if !waitFor(ctx, final, 50*time.Millisecond, func() bool { return accepted() >= want }) {
		t.Fatalf("after %d kills the sandbox holds %d of %d packets (%s); connector exited: %v",
			kills, accepted(), want, fmt.Sprintf("%+v", sb.Stats()), final.exited())
	}
	// Packets whose acknowledgement died with a killed process are still in
	// flight until their lease expires and they are resent (the sandbox
	// answers "duplicate"); wait for that too.
	st, err := outbox.Open(ctx, outbox.Options{Path: storePath})
	if err != nil {
		t.Fatal(err)
	}
	var last outbox.Counts
	ok := waitFor(ctx, final, 100*time.Millisecond, func() bool {
		c, err := st.Counts(ctx)
		last = c
		return err == nil && settled(c)
	})
	st.Close()
	elapsed := time.Since(started)
	if !ok {
		t.Fatalf("the outbox did not settle: %+v; connector exited: %v", last, final.exited())
	}
	if err := final.stop(t, 30*time.Second); err != nil {
		t.Errorf("last connector did not stop cleanly on SIGTERM: %v", err)
	}

	// Everything below is read after the last process has exited.
	c := counts(t, storePath)
	stats := sb.Stats()
	if c.Pending != 0 || c.InFlight != 0 || c.Dead != 0 {
		t.Errorf("outbox not settled: pending %d, in flight %d, dead %d", c.Pending, c.InFlight, c.Dead)
	}
	if c.Delivered != want || c.Quarantined != 0 {
		t.Errorf("outbox: %d delivered and %d quarantined, want %d and 0", c.Delivered, c.Quarantined, want)
	}
	if stats.Unique != want {
		t.Errorf("sandbox holds %d unique message IDs, want %d (%d dossiers + %d steps)", stats.Unique, want, l.gen.Dossiers, l.gen.Steps)
	}
	if stats.ByKind["HoSo"] != l.gen.Dossiers || stats.ByKind["TienDoXuLy"] != l.gen.Steps {
		t.Errorf("sandbox by kind %v, want HoSo %d and TienDoXuLy %d", stats.ByKind, l.gen.Dossiers, l.gen.Steps)
	}
	if stats.Rejected != 0 || stats.Conflicts != 0 {
		t.Errorf("sandbox rejected %d packets (%d message IDs reused for other bytes): %+v", stats.Rejected, stats.Conflicts, stats)
	}
	acc := sb.Accepted()
	checkAccepted(t, acc, l, nil)
	checkSameIDs(t, storePath, acc)

	var intake, delivering int
	lines := make([]string, 0, len(records))
	for _, r := range records {
		if r.outbox.Pending+r.outbox.InFlight+r.outbox.Delivered < want {
			intake++
		}
		if r.accepted < want {
			delivering++
		}
		lines = append(lines, r.String())
	}
	t.Logf("kills:\n%s", strings.Join(lines, "\n"))
	t.Logf("kill -9 result: %d dossiers + %d steps = %d packets delivered exactly once in %s; %d kills (%d while records were still being read, %d while packets were still being delivered); sandbox dropped %d duplicates, received %d requests; outbox %d attempts",
		l.gen.Dossiers, l.gen.Steps, want, elapsed.Round(time.Millisecond), len(records), intake, delivering, stats.Duplicates, stats.Received, c.Attempts)
	if len(records) > 0 && delivering == 0 {
		t.Errorf("no kill landed while packets were still being delivered: the run is too small for the kill plan")
	}
}

// counts opens the outbox, reads its counts and closes it again.
func counts(t *testing.T, path string) outbox.Counts {
	t.Helper()
	ctx := context.Background()
	st, err := outbox.Open(ctx, outbox.Options{Path: path})
	if err != nil {
		t.Fatalf("open the outbox after a kill: %v", err)
	}
	defer st.Close()
	c, err := st.Counts(ctx)
	if err != nil {
		t.Fatalf("outbox counts: %v", err)
	}
	return c
}

// checkSameIDs checks that the outbox's delivered packets are exactly the
// packets the sandbox stored: nothing marked delivered without an
// acknowledgement, nothing acknowledged that the outbox does not know.
func checkSameIDs(t *testing.T, storePath string, accepted []sandbox.Accepted) {
	t.Helper()
	ctx := context.Background()
	st, err := outbox.Open(ctx, outbox.Options{Path: storePath})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	inSandbox := make(map[string]bool, len(accepted))
	for _, a := range accepted {
		inSandbox[a.MessageID] = true
	}
	reported := 0
	err = st.Each(ctx, outbox.StateDelivered, func(p outbox.Packet) error {
		if !inSandbox[p.ID] && reported < 10 {
			reported++
			t.Errorf("outbox marks packet %s (%s %s) delivered, the sandbox never stored it", p.ID, p.Kind, p.MaHoSo)
		}
		delete(inSandbox, p.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(inSandbox) > 0 {
		t.Errorf("%d packets stored by the sandbox are not delivered in the outbox", len(inSandbox))
	}
}
