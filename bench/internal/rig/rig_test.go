package rig

import (
	"path/filepath"
	"testing"
	"time"

	_ "github.com/hcmc-lgsp/lgsp-connector/connectors/iso-dientu" // the demo configuration's source type
	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/signing"
)

func TestPercentileNearestRank(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 99, 0},
		{"one value", ms(7), 50, 7 * time.Millisecond},
		{"p50 of 1..100", ms(hundred...), 50, 50 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), 99, 99 * time.Millisecond},
		{"p100 is the maximum", ms(hundred...), 100, 100 * time.Millisecond},
		{"p99 of four values is the largest", ms(1, 2, 3, 4), 99, 4 * time.Millisecond},
		{"p0 is the minimum", ms(3, 9), 0, 3 * time.Millisecond},
	}
	for _, tc := range tests {
		if got := Percentile(tc.in, tc.p); got != tc.want {
			t.Errorf("%s: Percentile(p%v) = %s, want %s", tc.name, tc.p, got, tc.want)
		}
	}
}

func TestStatusDeltaSkipsMissingCounters(t *testing.T) {
	before := map[string]int64{"Questions": 10, "Rows_read": 5}
	after := map[string]int64{"Questions": 30, "Rows_read": 5, "Innodb_rows_read": 99}
	lines := StatusDelta(before, after, 2)
	if len(lines) != 2 {
		t.Fatalf("lines %q: want Questions and Rows_read only (Innodb_rows_read has no before value)", lines)
	}
	if want := "Questions                            20  (      10.0/s)"; lines[0] != want {
		t.Errorf("line %q, want %q", lines[0], want)
	}
}

// TestWriteConfigAlgorithm: the --algorithm of a benchmark reaches
// signing.algorithm of the connector's configuration, and without it the
// default stays; the key written for it fits (the signer loads).
func TestWriteConfigAlgorithm(t *testing.T) {
	dir := t.TempDir()
	for _, alg := range []signing.Algorithm{signing.RSASHA256, signing.ECDSASHA256} {
		t.Run(alg.String(), func(t *testing.T) {
			certFile, keyFile, err := KeyPairFor(dir, alg)
			if err != nil {
				t.Fatal(err)
			}
			p := ConfigParams{LegacyDSN: "root@tcp(127.0.0.1:3306)/lgsp_bench", LGSPURL: "http://127.0.0.1:1",
				CertFile: certFile, KeyFile: keyFile, StorePath: filepath.Join(dir, "outbox.db"), Lag: "0s", Workers: 2}
			if alg != signing.RSASHA256 {
				p.Algorithm = alg.String()
			}
			path := filepath.Join(dir, "connector.yaml")
			if err := WriteConfig(path, p); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(path, config.LoadOptions{IgnoreEnv: true})
			if err != nil {
				t.Fatalf("config.Load: %v", err)
			}
			if cfg.Signing.Algorithm != alg.String() {
				t.Fatalf("signing.algorithm = %q, want %q", cfg.Signing.Algorithm, alg)
			}
			if _, err := signing.LoadSigner(signing.LoadOptions{CertFile: cfg.Signing.CertFile, KeyFile: cfg.Signing.KeyFile, Algorithm: alg}); err != nil {
				t.Fatalf("LoadSigner: %v", err)
			}
		})
	}
}

func TestSampleSpanEndsBeforeNow(t *testing.T) {
	now := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ n, days int }{{2000, 60}, {240000, 60}, {240001, 61}, {1000000, 250}} {
		days, start := SampleSpan(tc.n, now)
		if days != tc.days {
			t.Errorf("SampleSpan(%d): %d days, want %d", tc.n, days, tc.days)
		}
		// The last receipt plus the time a dossier may still change must
		// lie before now.
		if end := start.AddDate(0, 0, days).Add(sampleSettle); end.After(now) {
			t.Errorf("SampleSpan(%d) = %d days from %s: rows until %s, after now %s", tc.n, days, start, end, now)
		}
	}
}
