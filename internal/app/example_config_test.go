package app_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/internal/demo"
	"github.com/hcmc-lgsp/lgsp-connector/mapping"
)

// checkBuilds builds what the configuration describes without touching
// a database or the network: the source (its settings and streams) and
// the mapping, and checks every mapped stream is one the source reads.
func checkBuilds(t *testing.T, cfg *config.Config) {
	t.Helper()
	f, ok := connectors.Lookup(cfg.Source.Type)
	if !ok {
		t.Fatalf("source.type %q is not a registered connector (%v)", cfg.Source.Type, connectors.Types())
	}
	src, err := f.CreateSource(connectors.Settings{}, cfg.Source.Settings)
	if err != nil {
		t.Fatalf("source: %v", err)
	}
	streams := src.Streams()
	if len(streams) == 0 {
		t.Fatal("the source has no streams")
	}
	if _, err := mapping.New(cfg.Mapping, mapping.Options{}); err != nil {
		t.Fatalf("mapping: %v", err)
	}
	if len(cfg.Mapping.Streams) == 0 {
		t.Fatal("mapping.streams is empty")
	}
	for name := range cfg.Mapping.Streams {
		if !slices.Contains(streams, name) {
			t.Errorf("mapping.streams.%s: the source has no such stream (its streams: %v)", name, streams)
		}
	}
}

// TestExampleConfig: config.example.yaml, which installers copy and edit,
// loads, and its mapping and source build. Its only missing piece is the
// client secret, which it tells the user to set in the environment.
func TestExampleConfig(t *testing.T) {
	root := filepath.Join("..", "..")
	data, err := os.ReadFile(filepath.Join(root, "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	opts := config.LoadOptions{SkipFileChecks: true}

	_, err = config.LoadBytes(data, root, config.LoadOptions{SkipFileChecks: true, IgnoreEnv: true})
	var invalid *config.ValidationErrors
	if !errors.As(err, &invalid) || len(invalid.Problems) != 1 || invalid.Problems[0].Path != "lgsp.client_secret" ||
		!strings.Contains(invalid.Problems[0].Message, "LGSP_LGSP_CLIENT_SECRET") {
		t.Fatalf("without the environment, want exactly one problem, lgsp.client_secret pointing to LGSP_LGSP_CLIENT_SECRET; got %v", err)
	}

	t.Setenv("LGSP_LGSP_CLIENT_SECRET", "from-the-environment")
	cfg, err := config.LoadBytes(data, root, opts)
	if err != nil {
		t.Fatalf("config.example.yaml with LGSP_LGSP_CLIENT_SECRET set: %v", err)
	}
	if cfg.LGSP.ClientSecret.Reveal() != "from-the-environment" {
		t.Errorf("client secret from the environment was not applied")
	}
	checkBuilds(t, cfg)
}

// TestDemoConfig: the configuration the demo and the end-to-end tests
// run with loads and builds, for both drivers they use.
func TestDemoConfig(t *testing.T) {
	for _, tc := range []struct{ driver, dsn string }{
		{"sqlite", "file:/tmp/legacy.db?mode=ro"},
		{"mysql", "root@tcp(127.0.0.1:3306)/legacy"},
	} {
		t.Run(tc.driver, func(t *testing.T) {
			yaml, err := demo.RenderConfig(demo.ConfigParams{
				Driver: tc.driver, LegacyDSN: tc.dsn, LGSPURL: "http://127.0.0.1:8089", ClientSecret: "s",
				CertFile: "cert.pem", KeyFile: "key.pem", StorePath: "outbox.db",
			})
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := config.LoadBytes(yaml, t.TempDir(), config.LoadOptions{SkipFileChecks: true, IgnoreEnv: true})
			if err != nil {
				t.Fatalf("demo configuration: %v\n%s", err, yaml)
			}
			if cfg.LGSP.Profile != "hcm-lgsp" || cfg.Delivery.Workers != 8 {
				t.Errorf("profile %q, workers %d: want the template's hcm-lgsp and default 8", cfg.LGSP.Profile, cfg.Delivery.Workers)
			}
			checkBuilds(t, cfg)
		})
	}
}
