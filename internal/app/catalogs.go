package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors/dvcqg"
	"github.com/hcmc-lgsp/lgsp-connector/internal/catalog"
	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/internal/lgsp"
	"github.com/hcmc-lgsp/lgsp-connector/internal/scheduler"
	"github.com/hcmc-lgsp/lgsp-connector/mapping"
)

// Catalogs is the catalog cache of an installation and what refreshes it,
// built from the catalogs: section.
type Catalogs struct {
	Store  *catalog.Store
	Syncer *catalog.Syncer
	cfg    *config.Catalogs
	log    *slog.Logger
}

// CatalogOptions adjust OpenCatalogs.
type CatalogOptions struct {
	Logger *slog.Logger
	Now    func() time.Time
	// Client is the LGSP transport the city catalogs are read with; one is
	// built from lgsp: when nil.
	Client *lgsp.Client
	// Portal is the national portal client the Lay… catalogues are read
	// with (share its session with the dossier sync); one is built from
	// dvcqg: when nil and refresh lists a portal catalogue.
	Portal *dvcqg.Client
}

// OpenCatalogs opens the catalog cache and prepares its refresh. It
// returns nil, nil when the configuration has no catalogs: section. It
// fetches nothing; see SyncMissing and Schedule.
func OpenCatalogs(ctx context.Context, cfg *config.Config, o CatalogOptions) (_ *Catalogs, err error) {
	cs := cfg.Catalogs
	if cs == nil {
		return nil, nil
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	store, err := catalog.Open(ctx, catalog.Options{Path: cs.Path, Now: o.Now, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("mở bộ đệm danh mục / open catalog cache %s: %w", cs.Path, err)
	}
	defer func() {
		if err != nil {
			store.Close()
		}
	}()

	fetchers := map[string]catalog.Fetcher{}
	var city, portal []string
	for _, name := range cs.Refresh {
		if strings.HasPrefix(name, "Lay") {
			portal = append(portal, name)
		} else {
			city = append(city, name)
		}
	}
	client := o.Client
	if client == nil && (len(city) > 0 || (len(portal) > 0 && o.Portal == nil)) {
		if client, err = catalogLGSPClient(cfg, log.With("component", "lgsp")); err != nil {
			return nil, err
		}
	}
	if len(city) > 0 {
		endpoints := map[string]string{}
		for _, name := range city {
			endpoints[name] = cs.City[name]
		}
		f := cs.CityFields
		fetcher, err := catalog.NewCityFetcher(catalog.LGSPGetter{Client: client}, endpoints,
			catalog.CityFields{Code: f.Code, Name: f.Name, Parent: f.Parent, ValidFrom: f.ValidFrom, ValidTo: f.ValidTo})
		if err != nil {
			return nil, err
		}
		for _, name := range city {
			fetchers[name] = fetcher
		}
	}
	if len(portal) > 0 {
		pc := o.Portal
		if pc == nil {
			if pc, err = catalogPortalClient(cfg, client, log.With("component", "dvcqg")); err != nil {
				return nil, err
			}
		}
		fetcher, err := catalog.NewDVCQGFetcher(pc.Catalogue, catalog.DVCQGOptions{
			Shapes: catalogPortalShapes(cs.DVCQGFields),
			ProcedureCodes: func(ctx context.Context) ([]string, error) {
				codes := append([]string(nil), cs.ThuTuc.Codes...)
				if cs.ThuTuc.From != "" {
					more, err := store.Codes(ctx, cs.ThuTuc.From)
					if err != nil {
						return nil, err
					}
					codes = append(codes, more...)
				}
				return codes, nil
			},
			Procedure: func(ctx context.Context, code string) (map[string]any, bool, error) {
				p, found, err := pc.LayThuTuc(ctx, code)
				return p.Raw, found, err
			},
		})
		if err != nil {
			return nil, err
		}
		for _, name := range portal {
			fetchers[name] = fetcher
		}
	}
	syncer, err := catalog.NewSyncer(store, fetchers, cs.RefreshOrder(), log)
	if err != nil {
		return nil, err
	}
	return &Catalogs{Store: store, Syncer: syncer, cfg: cs, log: log}, nil
}

// catalogLGSPClient builds the LGSP transport as Build does.
func catalogLGSPClient(cfg *config.Config, log *slog.Logger) (*lgsp.Client, error) {
	c, err := lgsp.New(lgsp.Options{
		BaseURL: cfg.LGSP.BaseURL, TokenURL: cfg.LGSP.TokenURL,
		ClientID: cfg.LGSP.ClientID, ClientSecret: cfg.LGSP.ClientSecret.Reveal(), TokenAuth: cfg.LGSP.TokenAuth,
		CAFile: cfg.LGSP.CAFile, ClientCertFile: cfg.LGSP.ClientCert, ClientKeyFile: cfg.LGSP.ClientKey,
		InsecureSkipVerify: cfg.LGSP.InsecureSkipVerify, Timeout: cfg.LGSP.Timeout, QuickRetries: quickRetries(cfg.LGSP.QuickRetries),
		Headers: cfg.LGSP.Headers, UserAgent: "lgsp-connector", Logger: log,
	})
	if err != nil {
		return nil, fmt.Errorf("lgsp: %w", err)
	}
	return c, nil
}

// catalogPortalClient builds a national portal client from dvcqg:.
func catalogPortalClient(cfg *config.Config, t *lgsp.Client, log *slog.Logger) (*dvcqg.Client, error) {
	d := cfg.DVCQG
	if !d.Enabled {
		return nil, errors.New("catalogs.refresh lists national portal catalogues, but dvcqg: is not enabled")
	}
	madonvi := d.MaDonVi
	if madonvi == "" {
		madonvi = cfg.Unit.Code
	}
	c, err := dvcqg.New(t, dvcqg.Config{
		AuthEndpoint: d.AuthEndpoint, IntegrationEndpoint: d.IntegrationEndpoint, ShareEndpoint: d.ShareEndpoint,
		Username: d.Username, Password: d.Password.Reveal(), MaDonVi: madonvi, DSTCode: d.DSTCode,
		SessionErrorCodes: d.SessionErrorCodes, SessionErrorMessages: d.SessionErrorMessages,
	}, dvcqg.Options{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("dvcqg: %w", err)
	}
	return c, nil
}

func catalogPortalShapes(fields map[string]config.CatalogFields) map[string]catalog.RowShape {
	out := make(map[string]catalog.RowShape, len(fields))
	for name, f := range fields {
		out[name] = catalog.RowShape{Code: f.Code, Name: f.Name, Parent: f.Parent, ValidFrom: f.ValidFrom, ValidTo: f.ValidTo}
	}
	return out
}

// Close closes the cache; safe on nil.
func (c *Catalogs) Close() error {
	if c == nil {
		return nil
	}
	return c.Store.Close()
}

// MappingOptions are the options mapping.New needs for the catalog
// options of the mapping: the cache and the unit renames. On nil (no
// catalogs: section) they are empty, and a mapping that uses catalogs is
// refused.
func (c *Catalogs) MappingOptions(o mapping.Options) mapping.Options {
	if c == nil {
		return o
	}
	o.Catalogs = c.Store
	o.UnitRenames = c.cfg.MappingRenames()
	return o
}

// SyncMissing fetches the named catalogs (with any catalog their refresh
// reads, such as LayThuTuc's procedure list) that have never been
// fetched, so a fresh installation can map from its first poll. Safe on
// nil.
func (c *Catalogs) SyncMissing(ctx context.Context, names ...string) error {
	if c == nil || len(names) == 0 {
		return nil
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
		if n == catalog.ServiceLayThuTuc && c.cfg.ThuTuc.From != "" {
			want[c.cfg.ThuTuc.From] = true
		}
	}
	var ordered []string
	for _, n := range c.Syncer.Names() {
		if want[n] && !c.Store.Loaded(n) {
			ordered = append(ordered, n)
		}
	}
	for n := range want {
		if !slices.Contains(c.Syncer.Names(), n) {
			return fmt.Errorf("catalog %q is used but not refreshed; add it to catalogs.refresh", n)
		}
	}
	if len(ordered) == 0 {
		return nil
	}
	_, err := c.Syncer.Sync(ctx, ordered...)
	return err
}

// Schedule adds the catalog jobs to sch: "catalogs" refreshes every
// catalog on catalogs.schedule; "catalogs-reload" picks up, every
// minute, a refresh another process (`lgsp-connector catalogs sync`)
// wrote to the cache. Safe on nil (adds nothing).
func (c *Catalogs) Schedule(sch *scheduler.Scheduler) error {
	if c == nil {
		return nil
	}
	if err := sch.Add("catalogs", c.cfg.Schedule, func(ctx context.Context) error {
		_, err := c.Syncer.Sync(ctx)
		return err
	}); err != nil {
		return err
	}
	return sch.Add("catalogs-reload", "@every 1m", func(ctx context.Context) error {
		changed, err := c.Store.ReloadIfChanged(ctx)
		if changed {
			c.log.Info("catalog cache reloaded: refreshed by another process", "path", c.Store.Path())
		}
		return err
	})
}
