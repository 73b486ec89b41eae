// Package demo runs the whole connector on embedded defaults: it creates
// a sample legacy one-stop database (SQLite), a signing certificate and an
// in-process LGSP sandbox, then drives the real pipeline — the same code
// `run` uses — until everything is delivered or quarantined.
package demo

import (
	"bytes"
	"context"
	"crypto/x509"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"text/template"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/app"
	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/pipeline"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sampledata"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
	"github.com/hcmc-lgsp/lgsp-connector/signing"

	_ "modernc.org/sqlite" // the sample legacy database
)

//go:embed demo.yaml
var configTemplate string

// Options control the demo.
type Options struct {
	Dir          string // working directory; a fresh temporary one if empty
	ExportDir    string // write every delivered signed packet and the certificate here
	Dossiers     int    // good sample dossiers (default 2000)
	BadRows      int    // bad sample dossiers; 0 for none
	Seed         uint64
	ErrorRate    float64 // sandbox 5xx rate
	ThrottleRate float64 // sandbox 429 rate
	Logger       *slog.Logger
	// Live keeps the demo running after the first drain: every few
	// seconds a dossier changes in the sample database (as if an officer
	// acted on it) and the connector picks it up, until ctx ends.
	Live bool
	// OnDrained, if set, is called with the summary of the first pass
	// (before live mode starts).
	OnDrained func(Summary)
	// Progress, if set, is called after each live round with the dossier
	// that changed and the totals so far.
	Progress func(dossierID int64, t pipeline.Totals)
}

// Summary is what the demo reports.
type Summary struct {
	pipeline.Totals
	Duration      time.Duration `json:"-"`
	Seconds       float64       `json:"seconds"`
	PacketsPerSec float64       `json:"packets_per_second"`
	Dossiers      int           `json:"sample_dossiers"`
	Steps         int           `json:"sample_steps"`
	BadRows       int           `json:"sample_bad_rows"`
	Sandbox       sandbox.Stats `json:"sandbox"`
	Dir           string        `json:"work_dir"`
	Exported      int           `json:"exported,omitempty"`
}

// Run executes the demo.
func Run(ctx context.Context, o Options) (sum Summary, err error) {
	if o.Dossiers <= 0 {
		o.Dossiers = 2000
	}
	// 0 bad rows is a valid request (a clean run); the CLI's flag carries
	// the default of 60.
	o.BadRows = max(o.BadRows, 0)
	if o.Seed == 0 {
		o.Seed = 20251103
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.Dir == "" {
		if o.Dir, err = os.MkdirTemp("", "lgsp-connector-demo-"); err != nil {
			return sum, err
		}
	} else if err := os.MkdirAll(o.Dir, 0o750); err != nil {
		return sum, err
	}
	sum.Dir = o.Dir
	legacyPath := filepath.Join(o.Dir, "legacy-motcua.db")
	storePath := filepath.Join(o.Dir, "outbox.db")
	for _, p := range []string{legacyPath, storePath, storePath + "-wal", storePath + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return sum, err
		}
	}

	// 1. The sample legacy database.
	gen, err := buildLegacy(ctx, legacyPath, o)
	if err != nil {
		return sum, err
	}
	sum.Dossiers, sum.Steps, sum.BadRows = gen.Dossiers, gen.Steps, gen.BadDossiers

	// 2. A signing certificate for this unit.
	now := time.Now()
	key, cert, err := signing.GenerateSelfSigned("lgsp-connector demo - UBND phuong Sai Gon", 365*24*time.Hour, now)
	if err != nil {
		return sum, err
	}
	certFile, keyFile := filepath.Join(o.Dir, "signing-cert.pem"), filepath.Join(o.Dir, "signing-key.pem")
	if err := os.WriteFile(certFile, signing.EncodeCertPEM(cert), 0o644); err != nil {
		return sum, err
	}
	keyPEM, err := signing.EncodeKeyPEM(key)
	if err != nil {
		return sum, err
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		return sum, err
	}

	// 3. The LGSP sandbox, trusting that certificate.
	verifier, err := signing.NewVerifier([]*x509.Certificate{cert})
	if err != nil {
		return sum, err
	}
	const clientSecret = "demo-secret-not-for-production"
	sb, err := sandbox.New(sandbox.Options{
		ClientID: "lgsp-connector-demo", ClientSecret: clientSecret,
		Verify:    verifier.VerifyBytes,
		ErrorRate: o.ErrorRate, ThrottleRate: o.ThrottleRate, RetryAfter: time.Second,
		Seed: int64(o.Seed), Logger: log.With("component", "sandbox"),
	})
	if err != nil {
		return sum, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return sum, err
	}
	srv := &http.Server{Handler: sb.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() { _ = srv.Close() }()

	// 4. The connector, configured like any installation.
	yaml, err := RenderConfig(ConfigParams{
		Driver: "sqlite", LegacyDSN: "file:" + filepath.ToSlash(legacyPath) + "?mode=ro", LGSPURL: "http://" + ln.Addr().String(),
		ClientSecret: clientSecret, CertFile: certFile, KeyFile: keyFile, StorePath: storePath,
	})
	if err != nil {
		return sum, err
	}
	cfg, err := config.LoadBytes(yaml, o.Dir, config.LoadOptions{})
	if err != nil {
		return sum, fmt.Errorf("demo configuration: %w", err)
	}
	a, err := app.Build(ctx, cfg, app.Options{Logger: log})
	if err != nil {
		return sum, err
	}
	defer a.Close(context.Background())

	start := time.Now()
	if err := a.Pipeline.Drain(ctx, 50*time.Millisecond); err != nil {
		return sum, err
	}
	sum.Duration = time.Since(start)
	sum.Seconds = sum.Duration.Seconds()
	sum.Totals = a.Pipeline.Totals()
	if sum.Seconds > 0 {
		sum.PacketsPerSec = float64(sum.Delivered) / sum.Seconds
	}
	sum.Sandbox = sb.Stats()

	if o.ExportDir != "" {
		if sum.Exported, err = export(ctx, a.Store, o.ExportDir, certFile); err != nil {
			return sum, err
		}
	}
	if o.Live {
		if o.OnDrained != nil {
			o.OnDrained(sum)
		}
		if err := live(ctx, a, legacyPath, gen, o); err != nil {
			return sum, err
		}
		sum.Totals = a.Pipeline.Totals()
		sum.Sandbox = sb.Stats()
	}
	return sum, nil
}

// ConfigParams fill the demo configuration template.
type ConfigParams struct {
	Driver       string // sqlite | mysql
	LegacyDSN    string
	LGSPURL      string
	ClientSecret string
	CertFile     string
	KeyFile      string
	StorePath    string
	Lag          string // cursor lag window, default 0s (the sample database has no writers)
	Workers      int    // delivery workers, default 8
	Lease        string // delivery lease, default 1m
}

// RenderConfig returns the demo configuration for the given database and
// sandbox; the end-to-end tests use it with MariaDB.
func RenderConfig(p ConfigParams) ([]byte, error) {
	if p.Lag == "" {
		p.Lag = "0s"
	}
	if p.Workers == 0 {
		p.Workers = 8
	}
	if p.Lease == "" {
		p.Lease = "1m"
	}
	var buf bytes.Buffer
	tpl, err := template.New("demo").Parse(configTemplate)
	if err != nil {
		return nil, err
	}
	if err := tpl.Execute(&buf, p); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// live changes one good dossier every two seconds and lets the pipeline
// carry the change to the sandbox, until ctx ends.
func live(ctx context.Context, a *app.App, legacyPath string, gen sampledata.Stats, o Options) error {
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(legacyPath)+"?_pragma=busy_timeout(5000)")
	if err != nil {
		return err
	}
	defer db.Close()
	total := int64(gen.Dossiers + gen.BadDossiers)
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for id := int64(1); ; id = id%total + 1 {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		target := id*7%total + 1 // wander through the register, not in order
		if _, bad := gen.BadReasons[target]; bad {
			continue
		}
		if err := sampledata.Advance(ctx, db, target, time.Now().In(vietnam)); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if _, err := a.Pipeline.Poll(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if _, err := a.Pipeline.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			return err
		}
		if o.Progress != nil {
			o.Progress(target, a.Pipeline.Totals())
		}
	}
}

var vietnam = time.FixedZone("ICT", 7*3600)

func buildLegacy(ctx context.Context, path string, o Options) (sampledata.Stats, error) {
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?_pragma=journal_mode(WAL)")
	if err != nil {
		return sampledata.Stats{}, err
	}
	defer db.Close()
	if err := sampledata.CreateSchema(ctx, db, sampledata.SQLite); err != nil {
		return sampledata.Stats{}, err
	}
	return sampledata.Generate(ctx, db, sampledata.SQLite, sampledata.Options{Seed: o.Seed, Dossiers: o.Dossiers, BadRows: o.BadRows})
}

// export writes every delivered packet's signed bytes, exactly as sent.
func export(ctx context.Context, st *outbox.Store, dir, certFile string) (int, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return 0, err
	}
	cert, err := os.ReadFile(certFile)
	if err != nil {
		return 0, err
	}
	if err := os.WriteFile(filepath.Join(dir, "signing-cert.pem"), cert, 0o644); err != nil {
		return 0, err
	}
	n := 0
	err = st.Each(ctx, outbox.StateDelivered, func(p outbox.Packet) error {
		n++
		return os.WriteFile(filepath.Join(dir, p.ID+".xml"), p.Body, 0o644)
	})
	return n, err
}
