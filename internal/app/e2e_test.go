package app_test

import (
	"context"
	"crypto/x509"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	_ "github.com/hcmc-lgsp/lgsp-connector/connectors/iso-dientu"
	"github.com/hcmc-lgsp/lgsp-connector/internal/app"
	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/internal/demo"
	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sampledata"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/testdb"
	"github.com/hcmc-lgsp/lgsp-connector/signing"
)

// rig is a legacy MariaDB database, a signing key and a sandbox.
type rig struct {
	dir     string
	cfgYAML []byte
	sb      *sandbox.Server
	gen     sampledata.Stats
}

func newRig(t *testing.T, dossiers, bad, maxSteps int, faults sandbox.Options) *rig {
	t.Helper()
	ctx := context.Background()
	dsn, db := testdb.MariaDB(t)
	if err := sampledata.CreateSchema(ctx, db, sampledata.MySQL); err != nil {
		t.Fatal(err)
	}
	gen, err := sampledata.Generate(ctx, db, sampledata.MySQL, sampledata.Options{Seed: 7, Dossiers: dossiers, BadRows: bad, MaxStepsPerDossier: maxSteps})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	key, cert, err := signing.GenerateSelfSigned("e2e unit", 24*time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	keyPEM, err := signing.EncodeKeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, signing.EncodeCertPEM(cert), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := signing.NewVerifier([]*x509.Certificate{cert})
	if err != nil {
		t.Fatal(err)
	}
	faults.ClientID, faults.ClientSecret, faults.Verify, faults.Seed = "lgsp-connector-demo", "e2e-secret", v.VerifyBytes, 42
	sb, err := sandbox.New(faults)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: sb.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	yaml, err := demo.RenderConfig(demo.ConfigParams{
		Driver: "mysql", LegacyDSN: dsn, LGSPURL: "http://" + ln.Addr().String(), ClientSecret: "e2e-secret",
		CertFile: certFile, KeyFile: keyFile, StorePath: filepath.Join(dir, "outbox.db"), Workers: 16, Lease: "10s",
	})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{dir: dir, cfgYAML: yaml, sb: sb, gen: gen}
}

func (r *rig) build(t *testing.T) *app.App {
	t.Helper()
	cfg, err := config.LoadBytes(r.cfgYAML, r.dir, config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Build(context.Background(), cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestEndToEndMariaDB is the spine's acceptance test: 10,000 dossiers with
// their steps and 100 bad rows in a real MariaDB, a sandbox answering 20 %
// 5xx and 10 % 429, and the connector stopped mid-run and restarted.
// Every good record must arrive exactly once, every bad row must be
// quarantined with its reason, nothing may be lost.
func TestEndToEndMariaDB(t *testing.T) {
	dossiers, bad := 10000, 100
	if testing.Short() {
		dossiers, bad = 1000, 20
	}
	r := newRig(t, dossiers, bad, 3, sandbox.Options{ErrorRate: 0.2, ThrottleRate: 0.1, RetryAfter: time.Second})
	started := time.Now()

	// First run: stop it once a third of the packets have been accepted.
	a := r.build(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := a.Pipeline.Poll(ctx)
		if err == nil {
			err = a.Pipeline.RunDelivery(ctx, 50*time.Millisecond)
		}
		done <- err
	}()
	want := dossiers + r.gen.Steps
	deadline := time.Now().Add(5 * time.Minute)
	for r.sb.Stats().Unique < want/3 {
		if time.Now().After(deadline) {
			t.Fatalf("first run stalled: %+v", r.sb.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil && ctx.Err() == nil {
		t.Fatal(err)
	}
	firstRun := a.Pipeline.Totals()
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Logf("first run stopped after %d delivered; sandbox %+v", firstRun.Delivered, r.sb.Stats())
	if firstRun.Delivered >= int64(want) {
		t.Fatalf("the first run finished before it was stopped; the restart is not exercised")
	}

	// Second run: pick up where the first stopped.
	a = r.build(t)
	defer a.Close(context.Background())
	dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer dcancel()
	if err := a.Pipeline.Drain(dctx, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(started)

	st := r.sb.Stats()
	t.Logf("e2e: %d dossiers + %d steps (+%d bad) in %s (%.0f packets/s); sandbox %+v", dossiers, r.gen.Steps, bad, elapsed.Round(time.Millisecond), float64(want)/elapsed.Seconds(), st)
	if st.Unique != want {
		t.Errorf("sandbox accepted %d unique packets, want %d (dossiers %d + steps %d)", st.Unique, want, dossiers, r.gen.Steps)
	}
	if got := st.ByKind["HoSo"]; got != dossiers {
		t.Errorf("sandbox has %d unique dossiers, want %d", got, dossiers)
	}
	if st.Injected5xx == 0 || st.Injected429 == 0 {
		t.Errorf("fault injection did not happen: %+v", st)
	}
	// Every accepted dossier is a distinct MaHoSo: none was sent twice
	// under different message IDs.
	seen := map[string]bool{}
	for _, p := range r.sb.Accepted() {
		if p.Kind != "HoSo" {
			continue
		}
		if seen[p.MaHoSo] {
			t.Errorf("dossier %s accepted under two message IDs", p.MaHoSo)
		}
		seen[p.MaHoSo] = true
	}

	ctx2 := context.Background()
	c, err := a.Store.Counts(ctx2)
	if err != nil {
		t.Fatal(err)
	}
	if c.Pending != 0 || c.InFlight != 0 || c.Dead != 0 {
		t.Errorf("outbox not settled: %+v", c)
	}
	if c.Delivered != want {
		t.Errorf("outbox delivered %d, want %d", c.Delivered, want)
	}
	q, err := a.Store.Quarantine(ctx2, outbox.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != bad {
		t.Errorf("quarantined %d rows, want %d", len(q), bad)
	}
	for _, e := range q {
		id, _ := strconv.ParseInt(e.RecordKey, 10, 64)
		wantField, ok := r.gen.BadReasons[id]
		if !ok {
			t.Errorf("good row %s quarantined: %s %q: %s", e.RecordKey, e.Field, e.Value, e.Reason)
			continue
		}
		if e.Field != wantField || e.Reason == "" {
			t.Errorf("row %s quarantined for %s (%s), want field %s", e.RecordKey, e.Field, e.Reason, wantField)
		}
	}
}
