package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver (pure Go, no cgo)

	"github.com/hcmc-lgsp/lgsp-connector/mapping"
)

// applicationID marks the file as an lgsp-connector catalog cache
// ("LGCT"), so Open refuses to add tables to another SQLite file (the
// outbox, say) it was pointed at by mistake.
const applicationID = 0x4C474354

// DefaultBusyTimeout is how long a statement waits for another process's
// lock (a `catalogs sync` beside `run`) before failing.
const DefaultBusyTimeout = 10 * time.Second

// migrations[i] takes the schema from version i to i+1. Append only.
var migrations = []string{
	`
CREATE TABLE catalogs (
	name         TEXT    PRIMARY KEY,
	source       TEXT    NOT NULL,
	rows         INTEGER NOT NULL,
	fetched_at   INTEGER NOT NULL,          -- Unix ms of the last successful refresh; 0 = never
	last_attempt INTEGER NOT NULL DEFAULT 0, -- Unix ms of a failed refresh after fetched_at; 0 = none
	last_error   TEXT    NOT NULL DEFAULT ''
);
CREATE TABLE entries (
	catalog    TEXT NOT NULL,
	code       TEXT NOT NULL,
	valid_from TEXT NOT NULL,              -- YYYY-MM-DD, '' = unbounded
	valid_to   TEXT NOT NULL,              -- YYYY-MM-DD, '' = unbounded
	name       TEXT NOT NULL,
	parent     TEXT NOT NULL,
	extra      TEXT NOT NULL,              -- JSON object of strings, '' when none
	PRIMARY KEY (catalog, code, valid_from)
) WITHOUT ROWID;
-- generation counts committed replacements, so a process can tell
-- cheaply whether another one refreshed a catalog.
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);
INSERT INTO meta (key, value) VALUES ('generation', 0);
`,
}

var schemaVersion = len(migrations)

// Options configure Open.
type Options struct {
	// Path of the SQLite file; created (with its directory) when missing.
	Path string
	// Now is the clock for fetched_at; time.Now when nil.
	Now func() time.Time
	// Logger receives lifecycle messages; discarded when nil.
	Logger *slog.Logger
	// BusyTimeout overrides DefaultBusyTimeout.
	BusyTimeout time.Duration
}

// Store is an open catalog cache. Lookups (Get, Lookup, Loaded) are
// answered from memory, so mapping a record never waits for the disk;
// List and Entries read the file. Safe for concurrent use.
type Store struct {
	path  string
	now   func() time.Time
	log   *slog.Logger
	write *sql.DB // one connection, BEGIN IMMEDIATE
	read  *sql.DB // query-only connections; WAL readers never block the writer

	mu    sync.Mutex // serialises index rebuilds
	index atomic.Pointer[memIndex]

	closeOnce sync.Once
	closeErr  error
}

// memIndex is the in-memory copy of every catalog at one generation.
type memIndex struct {
	generation int64
	catalogs   map[string]*memCatalog
}

type memCatalog struct {
	rows   int
	byCode map[string][]Entry // periods of one code, by ValidFrom
}

// Open opens (creating if needed) the catalog cache at o.Path and loads
// it into memory.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Path == "" {
		return nil, errors.New("catalog cache: no file path given; set catalogs.path or store.path in the configuration")
	}
	if strings.ContainsRune(o.Path, '?') || strings.HasPrefix(o.Path, "file:") || o.Path == ":memory:" {
		return nil, fmt.Errorf("catalog cache: path %q is not a plain file path; use a file name without '?' or 'file:'", o.Path)
	}
	s := &Store{path: o.Path, now: o.Now, log: o.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	busy := o.BusyTimeout
	if busy <= 0 {
		busy = DefaultBusyTimeout
	}
	if err := os.MkdirAll(filepath.Dir(o.Path), 0o750); err != nil {
		return nil, fmt.Errorf("catalog cache: create directory of %q: %w", o.Path, err)
	}
	base := o.Path + "?_busy_timeout=" + strconv.FormatInt(busy.Milliseconds(), 10)
	var err error
	// synchronous=NORMAL: a lost last refresh after a power cut is
	// fetched again; WAL keeps the file consistent either way.
	if s.write, err = sql.Open("sqlite", base+"&_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate"); err != nil {
		return nil, fmt.Errorf("catalog cache: open %q: %w", o.Path, err)
	}
	s.write.SetMaxOpenConns(1)
	s.write.SetMaxIdleConns(1)
	s.write.SetConnMaxLifetime(0)
	s.write.SetConnMaxIdleTime(0)
	if err := s.migrate(ctx); err != nil {
		s.write.Close()
		return nil, err
	}
	if s.read, err = sql.Open("sqlite", base+"&_query_only=1"); err != nil {
		s.write.Close()
		return nil, fmt.Errorf("catalog cache: open %q for reading: %w", o.Path, err)
	}
	s.read.SetMaxOpenConns(4)
	s.read.SetMaxIdleConns(2)
	if err := s.reload(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Path is the cache file.
func (s *Store) Path() string { return s.path }

// Close closes the file; safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.read != nil {
			errs = append(errs, s.read.Close())
		}
		if s.write != nil {
			errs = append(errs, s.write.Close())
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("catalog cache: open %q: %w", s.path, err)
	}
	defer tx.Rollback()
	var appID, version int
	if err := tx.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		return fmt.Errorf("catalog cache: read %q: %w; is it an SQLite file?", s.path, err)
	}
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("catalog cache: read %q: %w", s.path, err)
	}
	switch {
	case appID != 0 && appID != applicationID:
		return fmt.Errorf("catalog cache: %q belongs to another program or is the outbox (application_id %#x); give the catalog cache a file of its own", s.path, appID)
	case appID == 0 && version != 0:
		return fmt.Errorf("catalog cache: %q is an SQLite file of another program (user_version %d); give the catalog cache a file of its own", s.path, version)
	case version > schemaVersion:
		return fmt.Errorf("catalog cache: %q has schema version %d, newer than this program's %d; use the newer lgsp-connector or another file", s.path, version, schemaVersion)
	case version == schemaVersion:
		return nil
	}
	for v := version; v < schemaVersion; v++ {
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			return fmt.Errorf("catalog cache: migrate %q to schema version %d: %w", s.path, v+1, err)
		}
	}
	// PRAGMAs take no parameters; both values are our own integers.
	if _, err := tx.ExecContext(ctx, "PRAGMA application_id = "+strconv.Itoa(applicationID)); err != nil {
		return fmt.Errorf("catalog cache: migrate %q: %w", s.path, err)
	}
	if _, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(schemaVersion)); err != nil {
		return fmt.Errorf("catalog cache: migrate %q: %w", s.path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("catalog cache: migrate %q: %w", s.path, err)
	}
	s.log.Debug("catalog cache created", "path", s.path, "schema_version", schemaVersion)
	return nil
}

// Replace makes entries the whole content of catalog name, in one
// transaction, and records when and from where they came. The entries
// are checked first (codes present, dates readable, no overlapping
// periods of one code); on any problem nothing changes.
func (s *Store) Replace(ctx context.Context, name, source string, entries []Entry) (Info, error) {
	if !ValidName(name) {
		return Info{}, fmt.Errorf("catalog name %q: use letters, digits and _ (e.g. LayThuTuc, units)", name)
	}
	clean, err := normalize(name, entries)
	if err != nil {
		return Info{}, err
	}
	info := Info{Name: name, Rows: len(clean), FetchedAt: s.now().Truncate(time.Millisecond), Source: source}

	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return Info{}, fmt.Errorf("catalog %s: begin: %w", name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM entries WHERE catalog = ?`, name); err != nil {
		return Info{}, fmt.Errorf("catalog %s: clear: %w", name, err)
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO entries (catalog, code, valid_from, valid_to, name, parent, extra) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return Info{}, fmt.Errorf("catalog %s: %w", name, err)
	}
	defer ins.Close()
	for _, e := range clean {
		extra := ""
		if len(e.Extra) > 0 {
			b, err := json.Marshal(e.Extra)
			if err != nil {
				return Info{}, fmt.Errorf("catalog %s code %q: extra: %w", name, e.Code, err)
			}
			extra = string(b)
		}
		if _, err := ins.ExecContext(ctx, name, e.Code, e.ValidFrom, e.ValidTo, e.Name, e.Parent, extra); err != nil {
			return Info{}, fmt.Errorf("catalog %s code %q: store: %w", name, e.Code, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `
INSERT INTO catalogs (name, source, rows, fetched_at, last_attempt, last_error) VALUES (?, ?, ?, ?, 0, '')
ON CONFLICT (name) DO UPDATE SET source = excluded.source, rows = excluded.rows,
	fetched_at = excluded.fetched_at, last_attempt = 0, last_error = ''`,
		name, source, len(clean), info.FetchedAt.UnixMilli()); err != nil {
		return Info{}, fmt.Errorf("catalog %s: record fetch: %w", name, err)
	}
	var generation int64
	if err := tx.QueryRowContext(ctx, `UPDATE meta SET value = value + 1 WHERE key = 'generation' RETURNING value`).Scan(&generation); err != nil {
		return Info{}, fmt.Errorf("catalog %s: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return Info{}, fmt.Errorf("catalog %s: commit: %w", name, err)
	}

	old := s.index.Load()
	if old.generation != generation-1 {
		// Another process refreshed something meanwhile: read it all.
		if err := s.reloadLocked(ctx); err != nil {
			return info, fmt.Errorf("catalog %s was stored, but reloading the cache failed: %w", name, err)
		}
		return info, nil
	}
	next := &memIndex{generation: generation, catalogs: make(map[string]*memCatalog, len(old.catalogs)+1)}
	for k, v := range old.catalogs {
		next.catalogs[k] = v
	}
	next.catalogs[name] = buildMem(clean)
	s.index.Store(next)
	return info, nil
}

// RecordFailure notes a failed refresh of name; the cached entries stay.
func (s *Store) RecordFailure(ctx context.Context, name, source string, cause error) error {
	msg := cause.Error()
	if len(msg) > 2000 {
		msg = shortText(msg[:2000])
	}
	_, err := s.write.ExecContext(ctx, `
INSERT INTO catalogs (name, source, rows, fetched_at, last_attempt, last_error) VALUES (?, ?, 0, 0, ?, ?)
ON CONFLICT (name) DO UPDATE SET last_attempt = excluded.last_attempt, last_error = excluded.last_error`,
		name, source, s.now().UnixMilli(), msg)
	if err != nil {
		return fmt.Errorf("catalog %s: record failed refresh: %w", name, err)
	}
	return nil
}

// ReloadIfChanged re-reads the file when another process (a `catalogs
// sync` run by hand beside `run`) has replaced a catalog since this Store
// last looked. It costs one small query when nothing changed.
func (s *Store) ReloadIfChanged(ctx context.Context) (bool, error) {
	var generation int64
	if err := s.read.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'generation'`).Scan(&generation); err != nil {
		return false, fmt.Errorf("catalog cache %s: %w", s.path, err)
	}
	if generation == s.index.Load().generation {
		return false, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if generation == s.index.Load().generation {
		return false, nil
	}
	return true, s.reloadLocked(ctx)
}

func (s *Store) reload(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reloadLocked(ctx)
}

// reloadLocked reads every catalog in one read transaction, so the
// generation and the rows belong together.
func (s *Store) reloadLocked(ctx context.Context) error {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("catalog cache %s: %w", s.path, err)
	}
	defer tx.Rollback()
	next := &memIndex{catalogs: map[string]*memCatalog{}}
	if err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'generation'`).Scan(&next.generation); err != nil {
		return fmt.Errorf("catalog cache %s: %w", s.path, err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT catalog, code, valid_from, valid_to, name, parent, extra FROM entries ORDER BY catalog, code, valid_from`)
	if err != nil {
		return fmt.Errorf("catalog cache %s: %w", s.path, err)
	}
	defer rows.Close()
	byCatalog := map[string][]Entry{}
	for rows.Next() {
		var cat, extra string
		var e Entry
		if err := rows.Scan(&cat, &e.Code, &e.ValidFrom, &e.ValidTo, &e.Name, &e.Parent, &extra); err != nil {
			return fmt.Errorf("catalog cache %s: %w", s.path, err)
		}
		if err := decodeExtra(extra, &e); err != nil {
			return fmt.Errorf("catalog cache %s: catalog %s code %q: %w", s.path, cat, e.Code, err)
		}
		byCatalog[cat] = append(byCatalog[cat], e)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("catalog cache %s: %w", s.path, err)
	}
	// A catalog fetched with zero rows is loaded (and empty).
	names, err := tx.QueryContext(ctx, `SELECT name FROM catalogs WHERE fetched_at > 0`)
	if err != nil {
		return fmt.Errorf("catalog cache %s: %w", s.path, err)
	}
	defer names.Close()
	for names.Next() {
		var name string
		if err := names.Scan(&name); err != nil {
			return fmt.Errorf("catalog cache %s: %w", s.path, err)
		}
		next.catalogs[name] = buildMem(byCatalog[name])
	}
	if err := names.Err(); err != nil {
		return fmt.Errorf("catalog cache %s: %w", s.path, err)
	}
	s.index.Store(next)
	return nil
}

func decodeExtra(raw string, e *Entry) error {
	if raw == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(raw), &e.Extra); err != nil {
		return fmt.Errorf("extra attributes are not a JSON object of strings: %w", err)
	}
	return nil
}

// buildMem indexes entries sorted by code and ValidFrom.
func buildMem(entries []Entry) *memCatalog {
	m := &memCatalog{rows: len(entries), byCode: make(map[string][]Entry, len(entries))}
	for _, e := range entries {
		m.byCode[e.Code] = append(m.byCode[e.Code], e)
	}
	return m
}

// Get returns the entry of code in catalog name that is valid on the day
// of at (in Viet Nam). The Extra map is shared: do not modify it.
func (s *Store) Get(name, code string, at time.Time) (Entry, bool) {
	c := s.index.Load().catalogs[name]
	if c == nil {
		return Entry{}, false
	}
	day := Day(at)
	for _, e := range c.byCode[code] {
		if e.ValidOn(day) {
			return e, true
		}
	}
	return Entry{}, false
}

// Periods returns every period of code in catalog name, oldest first,
// for messages such as "valid only until 2025-06-30".
func (s *Store) Periods(name, code string) []Entry {
	c := s.index.Load().catalogs[name]
	if c == nil {
		return nil
	}
	return append([]Entry(nil), c.byCode[code]...)
}

// Lookup implements mapping.Catalogs: the name and extra attributes of
// code in catalog on the day of at. extra is shared: do not modify it.
func (s *Store) Lookup(catalog, code string, at time.Time) (name string, extra map[string]string, ok bool) {
	e, ok := s.Get(catalog, code, at)
	if !ok {
		return "", nil, false
	}
	return e.Name, e.Extra, true
}

// Loaded reports whether catalog has been fetched at least once (it may
// be empty). Mapping refuses to start on a catalog that never was, rather
// than quarantine every record as "unknown code".
func (s *Store) Loaded(catalog string) bool {
	_, ok := s.index.Load().catalogs[catalog]
	return ok
}

// List describes every catalog the cache knows, fetched or attempted,
// by name.
func (s *Store) List(ctx context.Context) ([]Info, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT name, source, rows, fetched_at, last_attempt, last_error FROM catalogs ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("catalog cache %s: list: %w", s.path, err)
	}
	defer rows.Close()
	var out []Info
	for rows.Next() {
		var i Info
		var fetched, attempt int64
		if err := rows.Scan(&i.Name, &i.Source, &i.Rows, &fetched, &attempt, &i.LastError); err != nil {
			return nil, fmt.Errorf("catalog cache %s: list: %w", s.path, err)
		}
		if fetched > 0 {
			i.FetchedAt = time.UnixMilli(fetched)
		}
		if attempt > 0 {
			i.LastAttempt = time.UnixMilli(attempt)
		}
		out = append(out, i)
	}
	return out, rows.Err()
}

// Entries returns every entry of catalog name as stored (all periods),
// by code and ValidFrom. An unknown catalog gives no entries and no error.
func (s *Store) Entries(ctx context.Context, name string) ([]Entry, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT code, valid_from, valid_to, name, parent, extra FROM entries WHERE catalog = ? ORDER BY code, valid_from`, name)
	if err != nil {
		return nil, fmt.Errorf("catalog %s: %w", name, err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var extra string
		if err := rows.Scan(&e.Code, &e.ValidFrom, &e.ValidTo, &e.Name, &e.Parent, &extra); err != nil {
			return nil, fmt.Errorf("catalog %s: %w", name, err)
		}
		if err := decodeExtra(extra, &e); err != nil {
			return nil, fmt.Errorf("catalog %s code %q: %w", name, e.Code, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Codes returns the distinct codes of catalog name as stored, sorted
// (the procedure list LayThuTuc is fetched for, say).
func (s *Store) Codes(ctx context.Context, name string) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT DISTINCT code FROM entries WHERE catalog = ? ORDER BY code`, name)
	if err != nil {
		return nil, fmt.Errorf("catalog %s: %w", name, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("catalog %s: %w", name, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Interface guards: the mapping looks codes up in the cache.
var (
	_ mapping.Catalogs      = (*Store)(nil)
	_ mapping.CatalogStatus = (*Store)(nil)
)
