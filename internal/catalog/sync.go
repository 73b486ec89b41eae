package catalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"
)

// Fetcher pulls the current content of a catalog from wherever it lives.
type Fetcher interface {
	Fetch(ctx context.Context, name string) ([]Entry, error)
}

// FetcherFunc adapts a function to Fetcher.
type FetcherFunc func(ctx context.Context, name string) ([]Entry, error)

// Fetch implements Fetcher.
func (f FetcherFunc) Fetch(ctx context.Context, name string) ([]Entry, error) { return f(ctx, name) }

// Describer is implemented by fetchers that can say where a catalog comes
// from (an LGSP path, a portal service); Info.Source records it.
type Describer interface {
	Source(name string) string
}

// Result is the outcome of refreshing one catalog.
type Result struct {
	Name string
	// Info is the catalog as stored after the refresh; on failure, as it
	// was before (Rows are the entries kept).
	Info Info
	Err  error
	Took time.Duration
}

// Syncer refreshes catalogs from their fetchers into a Store.
type Syncer struct {
	store    *Store
	fetchers map[string]Fetcher
	order    []string
	log      *slog.Logger
}

// NewSyncer refreshes the catalogs in fetchers (by catalog name). order
// lists the names in the order a full Sync refreshes them (a catalog
// whose fetcher reads another cached catalog, such as LayThuTuc reading
// the procedure list, comes after it); names missing from order follow,
// sorted.
func NewSyncer(store *Store, fetchers map[string]Fetcher, order []string, logger *slog.Logger) (*Syncer, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Syncer{store: store, fetchers: map[string]Fetcher{}, log: logger}
	var errs []error
	seen := map[string]bool{}
	for _, name := range order {
		if _, ok := fetchers[name]; !ok {
			errs = append(errs, fmt.Errorf("catalog order names %q, which has no fetcher", name))
			continue
		}
		if !seen[name] {
			s.order = append(s.order, name)
			seen[name] = true
		}
	}
	var rest []string
	for name, f := range fetchers {
		if !ValidName(name) {
			errs = append(errs, fmt.Errorf("catalog name %q: use letters, digits and _", name))
			continue
		}
		if f == nil {
			errs = append(errs, fmt.Errorf("catalog %s has a nil fetcher", name))
			continue
		}
		s.fetchers[name] = f
		if !seen[name] {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	s.order = append(s.order, rest...)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// Names lists the catalogs this Syncer can refresh, in refresh order.
func (s *Syncer) Names() []string { return append([]string(nil), s.order...) }

// Store is the cache the Syncer writes to.
func (s *Syncer) Store() *Store { return s.store }

// Sync refreshes the named catalogs (all of them when none are named),
// one after another; a failure does not stop the others. The error joins
// every failure; each Result says what happened to its catalog. A
// failed catalog keeps its cached entries.
func (s *Syncer) Sync(ctx context.Context, names ...string) ([]Result, error) {
	if len(names) == 0 {
		names = s.order
	}
	for _, name := range names {
		if _, ok := s.fetchers[name]; !ok {
			known := strings.Join(s.order, ", ")
			if known == "" {
				known = "none configured"
			}
			return nil, fmt.Errorf("catalog %q is not configured for refresh (configured: %s); add it to catalogs.refresh", name, known)
		}
	}
	var results []Result
	var errs []error
	for _, name := range names {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		r := s.syncOne(ctx, name)
		results = append(results, r)
		if r.Err != nil {
			errs = append(errs, r.Err)
		}
	}
	return results, errors.Join(errs...)
}

func (s *Syncer) syncOne(ctx context.Context, name string) Result {
	start := time.Now()
	f := s.fetchers[name]
	source := name
	if d, ok := f.(Describer); ok {
		source = d.Source(name)
	}
	before := s.cached(ctx, name)
	r := Result{Name: name, Info: before}
	fail := func(err error) Result {
		r.Err, r.Took = err, time.Since(start)
		if rerr := s.store.RecordFailure(context.WithoutCancel(ctx), name, source, err); rerr != nil {
			r.Err = errors.Join(err, rerr)
		}
		s.log.Warn("catalog refresh failed; the cached entries stay in use", "catalog", name, "source", source,
			"cached_rows", before.Rows, "err", err)
		return r
	}
	entries, err := f.Fetch(ctx, name)
	if err != nil {
		return fail(fmt.Errorf("catalog %s: fetch from %s: %w", name, source, err))
	}
	// An empty answer where there were entries is far more often an
	// upstream glitch than a catalog that was emptied; replacing would
	// make every code "unknown".
	if len(entries) == 0 && before.Rows > 0 {
		return fail(fmt.Errorf("catalog %s: %s answered with no entries; keeping the %d cached ones (delete the cache file to accept an empty catalog)", name, source, before.Rows))
	}
	info, err := s.store.Replace(ctx, name, source, entries)
	if err != nil {
		return fail(err)
	}
	r.Info, r.Took = info, time.Since(start)
	s.log.Info("catalog refreshed", "catalog", name, "source", source, "rows", info.Rows, "took", r.Took.Round(time.Millisecond))
	return r
}

// cached returns what the cache holds about name now; zero when nothing.
func (s *Syncer) cached(ctx context.Context, name string) Info {
	list, err := s.store.List(ctx)
	if err != nil {
		return Info{Name: name}
	}
	for _, i := range list {
		if i.Name == name {
			return i
		}
	}
	return Info{Name: name}
}

// SyncMissing refreshes the catalogs among names that have never been
// fetched, so a fresh installation can map from its first poll; the
// error joins every failure.
func (s *Syncer) SyncMissing(ctx context.Context, names ...string) error {
	var missing []string
	for _, n := range names {
		if !s.store.Loaded(n) {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err := s.Sync(ctx, missing...)
	return err
}
