// Package app assembles a running connector from a loaded configuration:
// source, mapper, signer, outbox, LGSP client and pipeline. The CLI, the
// demo and the end-to-end tests all build the connector through it, so
// what is tested is what runs.
package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	"github.com/hcmc-lgsp/lgsp-connector/connectors/dvcqg"
	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/internal/inbound"
	"github.com/hcmc-lgsp/lgsp-connector/internal/lgsp"
	"github.com/hcmc-lgsp/lgsp-connector/internal/logging"
	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/pipeline"
	"github.com/hcmc-lgsp/lgsp-connector/mapping"
	"github.com/hcmc-lgsp/lgsp-connector/packets"
	"github.com/hcmc-lgsp/lgsp-connector/signing"
)

// App is an assembled connector.
type App struct {
	Config *config.Config
	Source connectors.Source
	Mapper *mapping.Mapper
	Signer *signing.Signer
	Store  *outbox.Store
	Client *lgsp.Client
	// Portal is the national portal (DVCQG) client, when dvcqg.enabled.
	Portal *dvcqg.Client
	// Inbound answers the portal's lookup and file calls, when
	// inbound.enabled; `run` starts and stops it.
	Inbound *inbound.Server
	// Catalogs is the shared-catalog cache, when configured.
	Catalogs *Catalogs
	Pipeline *pipeline.Pipeline
	Logger   *slog.Logger
}

// Options adjust what Build does beyond the configuration.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time
	// Signer overrides the configured signing key (the demo generates one).
	Signer *signing.Signer
	// SourceSettings lets tests inject settings such as a clock.
	SourceSettings *connectors.Settings
}

// OpenStore opens only the outbox, for commands that read or fix the
// delivery log (log, retry) while `run` may be running.
func OpenStore(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*outbox.Store, error) {
	o := outbox.Options{Path: cfg.Store.Path, Logger: logger}
	if profile, err := packets.ProfileByName(cfg.LGSP.Profile); err == nil {
		o.SamePayload = func(stored, queued []byte) bool { return SameContent(profile, stored, queued) }
	}
	st, err := outbox.Open(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("mở kho lưu / open store %s: %w", cfg.Store.Path, err)
	}
	return st, nil
}

// SameContent tells whether two encoded packets of profile say the same
// thing: equal once decoded, apart from the creation time (and the
// signature, which Decode leaves out). A re-read row or a re-sent survey
// answer is queued again with a new time; only a real content change under
// an ID already stored deserves a warning.
func SameContent(profile packets.Profile, a, b []byte) bool {
	pa, err := profile.Decode(a)
	if err != nil {
		return false
	}
	pb, err := profile.Decode(b)
	if err != nil {
		return false
	}
	pa.Header.ThoiGianTao, pb.Header.ThoiGianTao = time.Time{}, time.Time{}
	ea, err := profile.Encode(pa)
	if err != nil {
		return false
	}
	eb, err := profile.Encode(pb)
	return err == nil && bytes.Equal(ea, eb)
}

// Build assembles the connector. On error everything opened is closed.
func Build(ctx context.Context, cfg *config.Config, o Options) (_ *App, err error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &App{Config: cfg, Logger: log}
	defer func() {
		if err != nil {
			a.Close(context.Background())
		}
	}()

	settings := connectors.Settings{Logger: log.With("component", "source")}
	if o.SourceSettings != nil {
		settings = *o.SourceSettings
		if settings.Logger == nil {
			settings.Logger = log.With("component", "source")
		}
	}
	if a.Source, err = newSource(cfg, settings); err != nil {
		return nil, err
	}

	profile, err := packets.ProfileByName(cfg.LGSP.Profile)
	if err != nil {
		return nil, fmt.Errorf("lgsp.profile: %w", err)
	}

	a.Signer = o.Signer
	if a.Signer == nil && profile.Name() == "hcm-lgsp" {
		alg, err := signing.ParseAlgorithm(cfg.Signing.Algorithm)
		if err != nil {
			return nil, fmt.Errorf("signing.algorithm: %w", err)
		}
		a.Signer, err = signing.LoadSigner(signing.LoadOptions{
			CertFile: cfg.Signing.CertFile, KeyFile: cfg.Signing.KeyFile,
			PKCS12File: cfg.Signing.PKCS12File, Passphrase: cfg.Signing.Passphrase.Reveal(),
			Algorithm: alg,
		})
		if err != nil {
			return nil, fmt.Errorf("signing: %w", err)
		}
	}

	if a.Signer != nil {
		now := time.Now()
		if o.Now != nil {
			now = o.Now()
		}
		r := signing.Inspect(a.Signer, now)
		if !r.OK() {
			return nil, fmt.Errorf("chứng thư ký số không dùng được / signing certificate unusable (%s): %s", r.Subject, strings.Join(r.Problems, "; "))
		}
		if r.DaysLeft < 60 {
			log.Warn("signing certificate expires soon: renew it", "subject", r.Subject, "not_after", r.NotAfter, "days_left", r.DaysLeft)
		}
	}

	if a.Store, err = OpenStore(ctx, cfg, log.With("component", "outbox")); err != nil {
		return nil, err
	}

	if a.Client, err = newLGSPClient(cfg, log); err != nil {
		return nil, err
	}

	endpoints := map[packets.Kind]string{}
	for k, v := range cfg.LGSP.Endpoints {
		endpoints[packets.Kind(k)] = v
	}
	policy, err := packets.ParseMaHoSoPolicy(cfg.Validation.MaHoSoPolicy)
	if err != nil {
		return nil, fmt.Errorf("validation.mahoso_policy: %w", err)
	}
	var signer pipeline.Signer
	if a.Signer != nil {
		signer = a.Signer
	}
	if cfg.DVCQG.Enabled {
		if a.Portal, err = newPortal(cfg, a.Client, log); err != nil {
			return nil, err
		}
	}
	// Shared catalogs first: the mapping looks codes up in them.
	if a.Catalogs, err = OpenCatalogs(ctx, cfg, CatalogOptions{Logger: log.With("component", "catalogs"), Now: o.Now, Client: a.Client, Portal: a.Portal}); err != nil {
		return nil, err
	}
	if err := a.Catalogs.SyncMissing(ctx, cfg.Mapping.CatalogsUsed()...); err != nil {
		return nil, fmt.Errorf("danh mục / catalogs: %w", err)
	}
	if a.Mapper, err = mapping.New(cfg.Mapping, a.Catalogs.MappingOptions(mapping.Options{})); err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	if in := cfg.Inbound; in.Enabled {
		look := connectors.LookuperOf(a.Source, in.Stream)
		if look == nil {
			owner, ok := cfg.StreamSource(in.Stream)
			if !ok {
				owner = config.NamedSource{Path: "source", Source: cfg.Source}
			}
			return nil, fmt.Errorf("inbound: nguồn %s không tra cứu được luồng %q; đặt %s.streams.%s.lookup.column / source cannot look up stream %q; set %s.streams.%s.lookup.column",
				owner.Type, in.Stream, owner.Path, in.Stream, in.Stream, owner.Path, in.Stream)
		}
		tokens := make([]string, len(in.BearerTokens))
		for i, t := range in.BearerTokens {
			tokens[i] = t.Reveal()
		}
		a.Inbound, err = inbound.New(inbound.Options{
			Listen: in.Listen, TLSCertFile: in.TLSCert, TLSKeyFile: in.TLSKey, ClientCAFile: in.ClientCA,
			BearerTokens: tokens, AllowIPs: in.AllowIPs, PublicBaseURL: in.PublicBaseURL,
			LinkSecret: []byte(in.LinkSecret.Reveal()), LinkTTL: in.LinkTTL, Stream: in.Stream,
			Lookuper: look, Mapper: a.Mapper, Files: connectors.FileSourceOf(a.Source), Log: a.Store,
			Logger: log.With("component", "inbound"), Now: o.Now,
		})
		if err != nil {
			return nil, fmt.Errorf("inbound: %w", err)
		}
	}

	// The hcm-lgsp profile posts stored bytes as they are; the dvcqg
	// profile goes through the portal session, decides create/update from
	// the delivery log and holds progress back until its dossier is known.
	var sender pipeline.Sender = a.Client
	if profile.Name() == packets.ProfileDVCQG {
		if a.Portal == nil {
			return nil, errors.New("lgsp.profile dvcqg: cần bật mục dvcqg (enabled: true) / needs the dvcqg section enabled")
		}
		sender = dvcqg.NewSender(a.Portal, ackLog{a.Store}, dvcqg.SenderOptions{ProgressWait: cfg.DVCQG.ProgressWait})
	}
	a.Pipeline, err = pipeline.New(pollSource(cfg, a.Source, log), a.Mapper, signer, a.Store, sender, pipeline.Options{
		UnitCode: cfg.Unit.Code, Receiver: cfg.LGSP.Receiver, Profile: profile, Endpoints: endpoints,
		Validate: packets.ValidateOptions{MaHoSoPolicy: policy},
		Workers:  cfg.Delivery.Workers, Lease: cfg.Delivery.Lease, MaxAttempts: cfg.Delivery.MaxAttempts,
		BackoffBase: cfg.Delivery.BackoffBase, BackoffMax: cfg.Delivery.BackoffMax,
		MaskRecord: RecordMasker(cfg), LinkSigner: linkSigner(a.Inbound), Now: o.Now, Logger: log.With("component", "pipeline"),
	})
	if err != nil {
		return nil, err
	}
	if err := a.Source.Start(ctx); err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	return a, nil
}

// newSource builds the configured source, unstarted: the `source:`
// connector itself when it is the only source, so nothing changes for a
// single-database installation; otherwise one connectors.Multi serving the
// streams of `source:` and every `sources:` entry, each member named by
// its key path (sources.khao_sat) in errors and checks. Each member's
// logger carries its path as "source". On error nothing is left open.
func newSource(cfg *config.Config, settings connectors.Settings) (connectors.Source, error) {
	all := cfg.AllSources()
	if len(all) == 0 {
		return nil, errors.New("source.type: chưa khai báo nguồn / no source is configured")
	}
	if len(all) == 1 {
		return newMember(all[0], settings)
	}
	members := make([]connectors.NamedSource, 0, len(all))
	shutdown := func() {
		for _, m := range members {
			_ = m.Source.Shutdown(context.Background())
		}
	}
	for _, ns := range all {
		s := settings
		if s.Logger != nil {
			s.Logger = s.Logger.With("source", ns.Path)
		}
		src, err := newMember(ns, s)
		if err != nil {
			shutdown()
			return nil, err
		}
		members = append(members, connectors.NamedSource{Name: ns.Path, Source: src})
	}
	multi, err := connectors.Multi(members...)
	if err != nil {
		shutdown()
		return nil, err
	}
	return multi, nil
}

// newMember builds one configured source through its connector's factory.
func newMember(ns config.NamedSource, settings connectors.Settings) (connectors.Source, error) {
	factory, ok := connectors.Lookup(ns.Type)
	if !ok {
		return nil, fmt.Errorf("%s.type %q: không có connector / unknown connector (known: %v)", ns.Path, ns.Type, connectors.Types())
	}
	src, err := factory.CreateSource(settings, ns.Settings)
	if err != nil {
		if ns.Path == "source" {
			return nil, fmt.Errorf("source: %w", err)
		}
		err = config.SourceError(ns.Path, err)
		if !strings.HasPrefix(err.Error(), ns.Path) {
			err = fmt.Errorf("%s: %w", ns.Path, err)
		}
		return nil, err
	}
	return src, nil
}

// RecordMasker renders a raw legacy row for the quarantine table with
// personal data masked: columns mapped to personal packet fields (names,
// ID numbers, contacts, free text), the configured log.mask_keys, and
// anything that looks like an ID number, phone or email. Byte columns are
// shown as text when valid UTF-8, else as hex so an encoding problem stays
// visible.
func RecordMasker(cfg *config.Config) func(map[string]any) []byte {
	masker := logging.NewMasker(append(personalColumns(cfg.Mapping), cfg.Log.MaskKeys...)...)
	return func(values map[string]any) []byte {
		out := make(map[string]any, len(values))
		for k, v := range values {
			if k == connectors.RecordErrorKey {
				continue
			}
			switch x := v.(type) {
			case []byte:
				if utf8.Valid(x) {
					v = string(x)
				} else {
					v = fmt.Sprintf("hex:%x", x)
				}
			case []map[string]any:
				v = fmt.Sprintf("%d child rows", len(x))
			}
			out[k] = masker.Value(k, v)
		}
		b, err := json.Marshal(out)
		if err != nil {
			return []byte(`{"error":"record not representable"}`)
		}
		return b
	}
}

// personalColumns lists the legacy columns that feed packet fields which
// may hold personal data.
func personalColumns(m mapping.Config) []string {
	var cols []string
	for _, sm := range m.Streams {
		for field, fm := range sm.Fields {
			if fm.Column != "" && mapping.PersonalField(field) {
				cols = append(cols, fm.Column)
			}
		}
	}
	return cols
}

// Close shuts everything down; safe on a partly built App.
func (a *App) Close(ctx context.Context) error {
	var errs []error
	if a.Inbound != nil {
		errs = append(errs, a.Inbound.Shutdown(ctx))
	}
	if a.Source != nil {
		errs = append(errs, a.Source.Shutdown(ctx))
	}
	if a.Catalogs != nil {
		errs = append(errs, a.Catalogs.Close())
	}
	if a.Store != nil {
		errs = append(errs, a.Store.Close())
	}
	return errors.Join(errs...)
}

// newLGSPClient builds the transport to LGSP from the configuration.
func newLGSPClient(cfg *config.Config, log *slog.Logger) (*lgsp.Client, error) {
	c, err := lgsp.New(lgsp.Options{
		BaseURL: cfg.LGSP.BaseURL, TokenURL: cfg.LGSP.TokenURL,
		ClientID: cfg.LGSP.ClientID, ClientSecret: cfg.LGSP.ClientSecret.Reveal(), TokenAuth: cfg.LGSP.TokenAuth,
		CAFile: cfg.LGSP.CAFile, ClientCertFile: cfg.LGSP.ClientCert, ClientKeyFile: cfg.LGSP.ClientKey,
		InsecureSkipVerify: cfg.LGSP.InsecureSkipVerify, Timeout: cfg.LGSP.Timeout, QuickRetries: quickRetries(cfg.LGSP.QuickRetries),
		Headers: cfg.LGSP.Headers, UserAgent: "lgsp-connector", Logger: log.With("component", "lgsp"),
	})
	if err != nil {
		return nil, fmt.Errorf("lgsp: %w", err)
	}
	return c, nil
}

// newPortal builds the national portal client over the LGSP transport.
func newPortal(cfg *config.Config, c *lgsp.Client, log *slog.Logger) (*dvcqg.Client, error) {
	d := cfg.DVCQG
	p, err := dvcqg.New(c, dvcqg.Config{
		AuthEndpoint: d.AuthEndpoint, IntegrationEndpoint: d.IntegrationEndpoint, ShareEndpoint: d.ShareEndpoint,
		Username: d.Username, Password: d.Password.Reveal(), MaDonVi: d.MaDonVi, DSTCode: d.DSTCode,
		SessionErrorCodes: d.SessionErrorCodes, SessionErrorMessages: d.SessionErrorMessages,
	}, dvcqg.Options{Logger: log.With("component", "dvcqg")})
	if err != nil {
		return nil, fmt.Errorf("dvcqg: %w", err)
	}
	return p, nil
}

// linkSigner is the inbound server as the pipeline's link signer, or nil
// (a nil *inbound.Server must not become a non-nil interface).
func linkSigner(s *inbound.Server) interface {
	SignLinks(*packets.Packet, time.Time) int
} {
	if s == nil {
		return nil
	}
	return s
}

// ackLog answers the portal sender from the delivery log: a dossier is
// known to the portal once one of its HoSo packets was delivered.
type ackLog struct{ st *outbox.Store }

func (l ackLog) Acknowledged(ctx context.Context, maHoSo string) (bool, error) {
	return l.st.DossierAcknowledged(ctx, maHoSo)
}

// quickRetries translates the configuration's 0 ("no quick retries") to
// the transport's -1 (its 0 means "default").
func quickRetries(n int) int {
	if n == 0 {
		return -1
	}
	return n
}
