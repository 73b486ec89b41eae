package demo_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/hcmc-lgsp/lgsp-connector/connectors/iso-dientu" // the demo's source
	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/internal/demo"
)

// TestRunExportsEveryDeliveredPacket: a clean demo run (no bad rows, no
// injected faults) delivers one packet per dossier and step and exports
// every one of them — more than a delivery-log page of 100 — under its
// message ID, with the certificate.
func TestRunExportsEveryDeliveredPacket(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	export := t.TempDir()
	sum, err := demo.Run(ctx, demo.Options{Dir: t.TempDir(), ExportDir: export, Dossiers: 60, BadRows: 0})
	if err != nil {
		t.Fatal(err)
	}
	want := int64(sum.Dossiers + sum.Steps)
	if sum.Dossiers != 60 || sum.BadRows != 0 || sum.Quarantined != 0 {
		t.Errorf("sample %d dossiers, %d bad, %d quarantined: want 60, 0, 0", sum.Dossiers, sum.BadRows, sum.Quarantined)
	}
	if want <= 100 {
		t.Fatalf("only %d packets: the test must export more than one page of 100", want)
	}
	if sum.Read != want || sum.Queued != want || sum.Delivered != want || sum.Failed != 0 {
		t.Errorf("totals %+v: want %d read, queued and delivered", sum.Totals, want)
	}
	if sum.Sandbox.Unique != int(want) || sum.Sandbox.Injected5xx != 0 {
		t.Errorf("sandbox %+v: want %d unique packets and no injected faults", sum.Sandbox, want)
	}
	if int64(sum.Exported) != want {
		t.Errorf("exported %d, want %d", sum.Exported, want)
	}
	files, err := filepath.Glob(filepath.Join(export, "*.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(files)) != want {
		t.Fatalf("%d packet files, want %d", len(files), want)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		id := strings.TrimSuffix(filepath.Base(f), ".xml")
		if !bytes.Contains(b, []byte("<MaGoiTin>"+id+"</MaGoiTin>")) || !bytes.Contains(b, []byte("<SignatureValue>")) {
			t.Errorf("%s is not the signed packet %s", filepath.Base(f), id)
		}
	}
	cert, err := os.ReadFile(filepath.Join(export, "signing-cert.pem"))
	if err != nil || !bytes.HasPrefix(cert, []byte("-----BEGIN CERTIFICATE-----")) {
		t.Errorf("certificate not exported: %v", err)
	}
}

// TestRunTwiceInOneDir: running the demo again in the same working
// directory starts from a fresh database and outbox, so the figures are
// those of one run, not an accumulation.
func TestRunTwiceInOneDir(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	for i, bad := range []int{2, 5} {
		sum, err := demo.Run(ctx, demo.Options{Dir: dir, Dossiers: 20, BadRows: bad, ErrorRate: 0.1, ThrottleRate: 0.05})
		if err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		good := int64(20 + sum.Steps)
		if sum.Read != good+int64(bad) || sum.Delivered != good || sum.Quarantined != int64(bad) || sum.DuplicatesDropped != 0 {
			t.Errorf("run %d: %+v, want %d delivered and %d quarantined of %d read", i+1, sum.Totals, good, bad, good+int64(bad))
		}
		if sum.Dir != dir {
			t.Errorf("run %d worked in %s, want %s", i+1, sum.Dir, dir)
		}
	}
}

// TestRenderConfigDefaults: unset tuning parameters get the demo's
// defaults, set ones are used, and the result is a valid configuration.
func TestRenderConfigDefaults(t *testing.T) {
	base := demo.ConfigParams{Driver: "sqlite", LegacyDSN: "file:legacy.db?mode=ro", LGSPURL: "http://127.0.0.1:1",
		ClientSecret: "s", CertFile: "c.pem", KeyFile: "k.pem", StorePath: "o.db"}
	tests := []struct {
		name    string
		lag     string
		workers int
		lease   string
		wantLag string
		wantW   int
		wantL   time.Duration
	}{
		{"defaults", "", 0, "", "lag: 0s", 8, time.Minute},
		{"set", "30s", 16, "10s", "lag: 30s", 16, 10 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := base
			p.Lag, p.Workers, p.Lease = tc.lag, tc.workers, tc.lease
			yaml, err := demo.RenderConfig(p)
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(string(yaml), tc.wantLag+"\n"); n != 2 {
				t.Errorf("%q appears %d times, want once per stream", tc.wantLag, n)
			}
			cfg, err := config.LoadBytes(yaml, t.TempDir(), config.LoadOptions{SkipFileChecks: true, IgnoreEnv: true})
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Delivery.Workers != tc.wantW || cfg.Delivery.Lease != tc.wantL {
				t.Errorf("workers %d, lease %s: want %d, %s", cfg.Delivery.Workers, cfg.Delivery.Lease, tc.wantW, tc.wantL)
			}
			if cfg.LGSP.BaseURL != base.LGSPURL || cfg.LGSP.ClientSecret.Reveal() != base.ClientSecret || cfg.Store.Path == "" {
				t.Errorf("template fields not filled in: base_url %q, store %q", cfg.LGSP.BaseURL, cfg.Store.Path)
			}
		})
	}
}
