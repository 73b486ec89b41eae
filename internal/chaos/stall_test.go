package chaos_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/app"
	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/internal/demo"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sampledata"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/testdb"
)

// TestSlowRequestDoesNotStallNewPackets: while LGSP takes its time over
// one packet, a packet queued meanwhile must not wait for it. The
// sandbox holds the first request for dossier 1 for a long time; once
// everything else is delivered a dossier changes in the legacy database
// and is polled; its packets must arrive while the held request is still
// open.
func TestSlowRequestDoesNotStallNewPackets(t *testing.T) {
	t.Parallel()
	const hold = 8 * time.Second
	ctx := context.Background()
	dir := t.TempDir()
	dsn, db := testdb.MariaDB(t)
	if err := sampledata.CreateSchema(ctx, db, sampledata.MySQL); err != nil {
		t.Fatal(err)
	}
	ict := time.FixedZone("ICT", 7*3600)
	gen, err := sampledata.Generate(ctx, db, sampledata.MySQL, sampledata.Options{
		Seed: 1, Dossiers: 3, MaxStepsPerDossier: 2, Start: time.Now().In(ict).Add(-10 * 24 * time.Hour), Days: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	l := legacy{dsn: dsn, db: db, gen: gen}
	slowCode := l.dossierCode(t, 1)
	key := newSigningKey(t, dir)

	var (
		once      sync.Once
		holdStart = make(chan time.Time, 1)
		holdEnd   = make(chan time.Time, 1)
	)
	verify := func(doc []byte) error {
		if err := key.verify(doc); err != nil {
			return err
		}
		if packetMaHoSo(doc) != slowCode {
			return nil
		}
		slow := false
		once.Do(func() { slow = true })
		if slow {
			// The fault under test: LGSP is slow to answer this request.
			holdStart <- time.Now()
			time.Sleep(hold)
			holdEnd <- time.Now()
		}
		return nil
	}
	sb, url := startSandbox(t, sandbox.Options{Verify: verify})
	yaml := connectorConfig(t, demo.ConfigParams{
		Driver: "mysql", LegacyDSN: dsn, LGSPURL: url, ClientSecret: clientSecret,
		CertFile: key.certFile, KeyFile: key.keyFile, StorePath: filepath.Join(dir, "outbox.db"),
		Workers: 4, Lease: "1m",
	}, nil)
	cfg, err := config.LoadBytes(yaml, dir, config.LoadOptions{IgnoreEnv: true})
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Build(ctx, cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(ctx)
	runCtx, cancel := context.WithCancel(ctx)
	stopped := make(chan error, 1)
	go func() { stopped <- a.Pipeline.RunDelivery(runCtx, 50*time.Millisecond) }()
	defer func() {
		cancel()
		<-stopped
	}()
	if _, err := a.Pipeline.Poll(ctx); err != nil {
		t.Fatal(err)
	}

	var heldSince time.Time
	select {
	case heldSince = <-holdStart:
	case <-time.After(30 * time.Second):
		t.Fatal("the sandbox never saw a packet of dossier 1")
	}
	// Everything but the held packet (and at most the one leased with it)
	// gets delivered; then nothing is due.
	total := l.packets()
	deadline := heldSince.Add(hold * 5 / 8)
	for {
		c, err := a.Store.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.Pending == 0 && c.InFlight <= 2 && sb.Stats().Unique >= total-2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the other packets were not delivered within %s of the slow request: outbox %+v, sandbox %+v", hold*5/8, c, sb.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}

	// An officer acts on dossier 3: two new packets (the dossier and its
	// new step).
	if err := sampledata.Advance(ctx, db, 3, time.Now().In(ict)); err != nil {
		t.Fatal(err)
	}
	before := sb.Stats().Unique
	queuedAt := time.Now()
	ps, err := a.Pipeline.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ps.Queued != 2 {
		t.Fatalf("polling the changed dossier queued %d packets, want 2", ps.Queued)
	}
	for sb.Stats().Unique < before+2 {
		if time.Since(queuedAt) > 2*hold {
			t.Fatalf("the new packets were not delivered within %s: sandbox %+v", 2*hold, sb.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	changed := l.dossierCode(t, 3)
	var arrived time.Time // when the later of the two new packets reached the sandbox
	for _, p := range sb.Accepted() {
		if p.MaHoSo == changed && !p.At.Before(queuedAt) && p.At.After(arrived) {
			arrived = p.At
		}
	}
	select {
	case ended := <-holdEnd:
		if !arrived.Before(ended) {
			t.Errorf("new packets queued %s into a %s request for another packet arrived %s after queueing, %s after that request ended: a slow request holds up packets queued after it",
				queuedAt.Sub(heldSince).Round(time.Millisecond), hold, arrived.Sub(queuedAt).Round(time.Millisecond), arrived.Sub(ended).Round(time.Millisecond))
			return
		}
	default: // still held
	}
	t.Logf("new packets arrived %s after queueing, while another request was held", arrived.Sub(queuedAt).Round(time.Millisecond))
}
