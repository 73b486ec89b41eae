// Package demo runs the whole connector on embedded defaults: it creates
// a sample legacy one-stop database (SQLite) with a small file store, a
// signing certificate and an in-process LGSP sandbox, then drives the real
// pipeline — the same code `run` uses — until everything is delivered or
// quarantined. Two connectors share the database and the sandbox: one for
// the city platform (profile hcm-lgsp, signed XML), which also reads a
// satisfaction survey's database (a second source, SQLite too) and sends
// its answers as DanhGia ratings, then one for the national portal
// (profile dvcqg) with its catalogs, the month's statistics
// (DongBoThongKeHoSo) and the inbound API the portal calls back, which
// the demo calls once as the portal would.
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
	"strconv"
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

	// Ratings are the good answers of the sample satisfaction survey
	// (default DefaultRatings). With bad rows the survey also holds answers
	// the mapping cannot map and kiosk re-sends (see surveyOptions).
	Ratings int
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
	// Sandbox is what the sandbox saw of the city connector (taken before
	// the portal connector starts).
	Sandbox  sandbox.Stats `json:"sandbox"`
	Dir      string        `json:"work_dir"`
	Exported int           `json:"exported,omitempty"`

	// Ratings is the city connector's part of the totals that came from
	// the satisfaction survey's database (sources.khao_sat).
	Ratings RatingsSummary `json:"ratings"`

	// The national portal connector (profile dvcqg) over the same sample.
	Portal PortalSummary `json:"portal"`
	// DVCQG counts the portal calls per service (login included) that
	// reached the emulated portal, from every client of the demo.
	DVCQG      map[string]int    `json:"dvcqg"`
	Statistics StatisticsSummary `json:"statistics"`
	// MonthlyRatings is the same month's satisfaction summary
	// (DongBoDanhGia) the portal connector computed from the survey's
	// answers and sent.
	MonthlyRatings MonthlyRatingsSummary `json:"monthly_ratings"`
	// Catalogs are the cached catalogs and their rows.
	Catalogs map[string]int `json:"catalogs"`
	Inbound  InboundSummary `json:"inbound"`
	// SampleFiles are the files of the sample file store.
	SampleFiles  int     `json:"sample_files"`
	TotalSeconds float64 `json:"total_seconds"`
}

// Run executes the demo.
func Run(ctx context.Context, o Options) (sum Summary, err error) {
	began := time.Now()
	if o.Dossiers <= 0 {
		o.Dossiers = 2000
	}
	// 0 bad rows is a valid request (a clean run); the CLI's flag carries
	// the default of 60.
	o.BadRows = max(o.BadRows, 0)
	if o.Seed == 0 {
		o.Seed = 20251103
	}
	if o.Ratings <= 0 {
		o.Ratings = DefaultRatings
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
	surveyPath := filepath.Join(o.Dir, "khao-sat.db")
	storePath := filepath.Join(o.Dir, "outbox.db")
	portalStorePath := filepath.Join(o.Dir, "portal-outbox.db")
	catalogPath := filepath.Join(o.Dir, "catalogs.db")
	filesRoot := filepath.Join(o.Dir, "motcua-files")
	for _, p := range []string{legacyPath, legacyPath + "-wal", legacyPath + "-shm", surveyPath, surveyPath + "-wal", surveyPath + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return sum, err
		}
	}
	for _, p := range []string{storePath, portalStorePath, catalogPath} {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(p + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return sum, err
			}
		}
	}
	if err := os.RemoveAll(filesRoot); err != nil {
		return sum, err
	}

	// 1. The sample legacy database, with a few files in a file store.
	gen, files, month, err := buildLegacy(ctx, legacyPath, filesRoot, o)
	if err != nil {
		return sum, err
	}
	sum.Dossiers, sum.Steps, sum.BadRows, sum.SampleFiles = gen.Dossiers, gen.Steps, gen.BadDossiers, len(files)
	// The satisfaction survey's own database, rating those dossiers.
	survey, err := buildSurvey(ctx, surveyPath, o)
	if err != nil {
		return sum, err
	}

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
		Portal:    sandbox.PortalOptions{Username: sandbox.DefaultPortalUsername, Password: sandbox.DefaultPortalPassword},
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
		SurveyDriver: "sqlite", SurveyDSN: "file:" + filepath.ToSlash(surveyPath) + "?mode=ro",
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
	if sum.Ratings, err = ratingCounts(ctx, a, sb, survey); err != nil {
		return sum, err
	}

	if o.ExportDir != "" {
		if sum.Exported, err = export(ctx, a.Store, o.ExportDir, certFile); err != nil {
			return sum, err
		}
	}

	// 5. The national portal connector over the same database and sandbox.
	listen, err := freeLoopbackAddr()
	if err != nil {
		return sum, err
	}
	token, err := randomText(24)
	if err != nil {
		return sum, err
	}
	linkSecret, err := randomText(32)
	if err != nil {
		return sum, err
	}
	pr, err := buildPortal(ctx, ConfigParams{
		Driver: "sqlite", LegacyDSN: "file:" + filepath.ToSlash(legacyPath) + "?mode=ro", LGSPURL: "http://" + ln.Addr().String(),
		ClientSecret: clientSecret, StorePath: portalStorePath,
		SurveyDriver: "sqlite", SurveyDSN: "file:" + filepath.ToSlash(surveyPath) + "?mode=ro",
		Portal: &PortalParams{
			Username: sandbox.DefaultPortalUsername, Password: sandbox.DefaultPortalPassword,
			CityCatalogs: sandbox.CatalogPaths(), Listen: listen, PublicBaseURL: "http://" + listen,
			BearerToken: token, LinkSecret: linkSecret, FilesRoot: filesRoot,
		},
	}, sb, o)
	if err != nil {
		return sum, err
	}
	defer pr.app.Close(context.Background())
	pr.files, pr.good = files, gen.Dossiers
	if len(files) > 0 {
		pr.firstGood = files[0].MaHoSo // AddFileStore starts with the first good dossier
	}
	if sum.Portal, err = pr.deliver(ctx); err != nil {
		return sum, err
	}
	if sum.Catalogs, err = catalogRows(ctx, pr.app.Catalogs.Store); err != nil {
		return sum, err
	}
	if sum.Statistics, err = pr.statistics(ctx, month.year, month.month); err != nil {
		return sum, err
	}
	if sum.MonthlyRatings, err = pr.monthlyRatings(ctx, month.year, month.month); err != nil {
		return sum, err
	}
	if sum.Inbound, err = pr.inbound(ctx); err != nil {
		return sum, err
	}
	sum.DVCQG = calls(sb)
	sum.TotalSeconds = time.Since(began).Seconds()

	if o.Live {
		if o.OnDrained != nil {
			o.OnDrained(sum)
		}
		if err := live(ctx, []*app.App{a, pr.app}, legacyPath, gen, o); err != nil {
			return sum, err
		}
		sum.Totals = a.Pipeline.Totals()
		sum.Sandbox = sb.Stats()
		pr.fill(&sum.Portal)
		sum.DVCQG = calls(sb)
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
	// Portal, when set, renders the national portal connector (profile
	// dvcqg, no signing) instead of the city one.
	Portal *PortalParams
	// SurveyDriver and SurveyDSN, when SurveyDSN is set, add the
	// satisfaction survey's database (sampledata.SurveySchema) as
	// sources.khao_sat, with its DanhGia mapping: the city connector sends
	// the answers; the portal connector, which takes no single ratings,
	// reads them by month for the DongBoDanhGia summary (ratings:).
	SurveyDriver string // sqlite | mysql | postgres
	SurveyDSN    string
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
	if p.Portal != nil && p.Portal.ProgressWait == "" {
		pp := *p.Portal
		pp.ProgressWait = "1s"
		p.Portal = &pp
	}
	var buf bytes.Buffer
	// quote writes a YAML double-quoted scalar: Windows paths keep their
	// backslashes.
	funcs := template.FuncMap{"quote": strconv.Quote}
	tpl, err := template.New("demo").Funcs(funcs).Parse(configTemplate)
	if err != nil {
		return nil, err
	}
	if err := tpl.Execute(&buf, p); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// live changes one good dossier every two seconds and lets the pipelines
// carry the change to the sandbox, until ctx ends. Progress reports the
// first pipeline's totals.
func live(ctx context.Context, apps []*app.App, legacyPath string, gen sampledata.Stats, o Options) error {
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
		for _, a := range apps {
			if _, err := a.Pipeline.Poll(ctx); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			if _, err := a.Pipeline.DeliverDue(ctx); err != nil && ctx.Err() == nil {
				return err
			}
		}
		if o.Progress != nil {
			o.Progress(target, apps[0].Pipeline.Totals())
		}
	}
}

var vietnam = time.FixedZone("ICT", 7*3600)

// yearMonth is a calendar month.
type yearMonth struct {
	year  int
	month time.Month
}

// buildLegacy writes the sample database and its file store, and finds
// the month with the most dossiers (the statistics' month).
func buildLegacy(ctx context.Context, path, filesRoot string, o Options) (gen sampledata.Stats, files []SampleFile, m yearMonth, err error) {
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?_pragma=journal_mode(WAL)")
	if err != nil {
		return gen, nil, m, err
	}
	defer db.Close()
	if err := sampledata.CreateSchema(ctx, db, sampledata.SQLite); err != nil {
		return gen, nil, m, err
	}
	if gen, err = sampledata.Generate(ctx, db, sampledata.SQLite, sampledata.Options{Seed: o.Seed, Dossiers: o.Dossiers, BadRows: o.BadRows}); err != nil {
		return gen, nil, m, err
	}
	if files, err = AddFileStore(ctx, db, filesRoot, gen, portalFilesDossiers); err != nil {
		return gen, nil, m, err
	}
	m.year, m.month, err = BusiestMonth(ctx, db)
	return gen, files, m, err
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
