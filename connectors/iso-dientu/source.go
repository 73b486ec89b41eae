// Package isodientu is the generic SQL source for legacy one-stop ("ISO
// điện tử", "một cửa điện tử") databases on MySQL/MariaDB, PostgreSQL and
// SQLite. Each stream is a user-written SELECT read incrementally with a
// composite cursor (updated, key) and a lag window; see README.md.
package isodientu

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jmoiron/sqlx"
)

// Source reads the configured streams from a legacy database. Build it
// with NewSource (or the registered factory); it issues only SELECTs.
type Source struct {
	cfg     *Config
	loc     *time.Location
	now     func() time.Time
	log     *slog.Logger
	dialect dialect
	order   []string
	streams map[string]*streamPlan

	// queryHook, when set (by tests), sees every statement sent.
	queryHook func(query string)

	mu     sync.Mutex
	db     *sqlx.DB
	closed bool
}

// NewSource validates cfg and builds a source. It does not connect; Start
// does. settings.Now (nil: time.Now) is the clock of the lag window.
func NewSource(cfg *Config, settings connectors.Settings) (*Source, error) {
	if cfg == nil {
		return nil, errors.New("iso_dientu: nil config")
	}
	if err := cfg.validationError(); err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil { // validated already; kept for safety
		return nil, fmt.Errorf("%s.timezone: %w", keyPrefix, err)
	}
	s := &Source{
		cfg:     cfg,
		loc:     loc,
		now:     settings.Now,
		log:     settings.Logger,
		dialect: dialect{driver: cfg.Driver},
		order:   cfg.streamOrder(),
		streams: map[string]*streamPlan{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for _, name := range s.order {
		s.streams[name] = compileStream(s.dialect, cfg, name, loc)
	}
	return s, nil
}

// Streams lists the stream names in polling order.
func (s *Source) Streams() []string { return append([]string(nil), s.order...) }

// Start opens the connection pool and checks the database answers.
func (s *Source) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("iso_dientu: Start after Shutdown; build a new source")
	}
	if s.db != nil {
		return nil
	}
	db, err := s.connect(ctx)
	if err != nil {
		return err
	}
	s.db = db
	s.log.Info("legacy database connected", "driver", s.cfg.Driver,
		"database", describeTarget(s.cfg.Driver, string(s.cfg.DSN)), "timezone", s.cfg.Timezone, "streams", s.order)
	return nil
}

// connect opens a pool and pings it within the query timeout.
func (s *Source) connect(ctx context.Context) (*sqlx.DB, error) {
	db, err := openDB(s.cfg, s.loc, s.now())
	if err != nil {
		return nil, fmt.Errorf("iso_dientu: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("iso_dientu: connect to %s database %s: %w; check source.dsn (address, user, password) and that the server is running",
			s.cfg.Driver, describeTarget(s.cfg.Driver, string(s.cfg.DSN)), s.scrub(err))
	}
	return db, nil
}

// Shutdown closes the pool. It is idempotent and safe without Start.
func (s *Source) Shutdown(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.db == nil {
		return nil
	}
	err := s.db.Close()
	s.db = nil
	if err != nil {
		return fmt.Errorf("iso_dientu: close database: %w", err)
	}
	s.log.Info("legacy database closed")
	return nil
}

func (s *Source) handle() (*sqlx.DB, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return nil, errors.New("iso_dientu: source is shut down")
	case s.db == nil:
		return nil, errors.New("iso_dientu: Read before Start")
	}
	return s.db, nil
}

func (s *Source) plan(stream string) (*streamPlan, error) {
	sp, ok := s.streams[stream]
	if !ok {
		return nil, fmt.Errorf("iso_dientu: unknown stream %q (configured: %s)", stream, strings.Join(s.order, ", "))
	}
	return sp, nil
}

// Read returns up to limit rows (at most the stream's batch size) whose
// (updated, key) is strictly after the cursor and whose updated time is at
// least the lag window old, oldest first, with their child lists. An idle
// poll is one query.
//
// A row whose cursor columns cannot be read (NULL key, unparseable text
// time, zero date) is returned with a *connectors.RecordError under
// connectors.RecordErrorKey so the pipeline quarantines it; the cursor
// still moves past it wherever the database order allows (see README).
func (s *Source) Read(ctx context.Context, stream string, after connectors.Cursor, limit int) (connectors.Batch, error) {
	sp, err := s.plan(stream)
	if err != nil {
		return connectors.Batch{}, err
	}
	db, err := s.handle()
	if err != nil {
		return connectors.Batch{}, err
	}
	if limit <= 0 || limit > sp.batchSize {
		limit = sp.batchSize
	}
	upper := s.now().In(s.loc).Add(-sp.lag)
	qctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	var records []connectors.Record
	for scan := limit; ; scan *= 4 {
		query, args, err := sp.pollQuery(after, upper, scan, s.loc)
		if err != nil {
			return connectors.Batch{}, fmt.Errorf("iso_dientu: %w", err)
		}
		if records, err = s.readRecords(qctx, db, sp, query, args, after); err != nil {
			return connectors.Batch{}, err
		}
		// A full batch of rows whose cursor columns cannot be read does
		// not move the cursor; read further (up to maxUnreadableScan
		// rows) until a readable row lets the cursor pass them, so the
		// stream never stalls behind them. Re-read rows keep their IDs.
		if len(records) < scan || records[len(records)-1].Cursor != after || scan >= maxUnreadableScan {
			limit = scan
			break
		}
	}
	if err := s.attachChildren(ctx, db, sp, records); err != nil {
		return connectors.Batch{}, err
	}

	batch := connectors.Batch{Records: records, Next: after}
	if len(records) > 0 {
		batch.Next = records[len(records)-1].Cursor
	}
	moved := batch.Next != after
	// A full batch that did not move the cursor (only rows it cannot pass)
	// must not invite an immediate re-read: that would spin.
	batch.More = len(records) == limit && moved
	if len(records) > 0 && !moved {
		s.log.Warn("stream cursor cannot move past rows with unreadable cursor columns; they are quarantined on every poll until a later row arrives or the data is fixed",
			"stream", sp.name, "cursor", describeCursor(after), "rows", len(records))
	}
	return batch, nil
}

// Count returns how many rows of stream lie after the cursor within the
// current window: the backlog a backfill's progress bar counts down. It is
// one COUNT over the same indexed range as a poll.
func (s *Source) Count(ctx context.Context, stream string, after connectors.Cursor) (int64, error) {
	sp, err := s.plan(stream)
	if err != nil {
		return 0, err
	}
	db, err := s.handle()
	if err != nil {
		return 0, err
	}
	upper := s.now().In(s.loc).Add(-sp.lag)
	query, args, err := sp.countQuery(after, upper, s.loc)
	if err != nil {
		return 0, fmt.Errorf("iso_dientu: %w", err)
	}
	qctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	var n int64
	if err := db.QueryRowContext(qctx, query, args...).Scan(&n); err != nil {
		return 0, s.queryError(stream, "count", query, err)
	}
	return n, nil
}

// maxUnreadableScan bounds how far one Read looks past rows whose cursor
// columns cannot be read.
const maxUnreadableScan = 100000

// readRecords runs the poll query and turns rows into records, streaming.
func (s *Source) readRecords(ctx context.Context, db *sqlx.DB, sp *streamPlan, query string, args []any, after connectors.Cursor) ([]connectors.Record, error) {
	s.hook(query)
	rows, err := db.QueryxContext(ctx, query, args...)
	if err != nil {
		return nil, s.queryError(sp.name, "poll", sp.query, err)
	}
	defer rows.Close()
	cols, err := newColumnSet(rows.Rows, sp, s.cfg.Driver)
	if err != nil {
		return nil, err
	}

	var records []connectors.Record
	pos := after
	for rows.Next() {
		values, err := cols.scan(rows.Rows, s.loc)
		if err != nil {
			return nil, s.queryError(sp.name, "poll", sp.query, err)
		}
		rec := s.record(sp, values, cols, pos)
		pos = rec.Cursor
		records = append(records, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, s.queryError(sp.name, "poll", sp.query, err)
	}
	return records, nil
}

// record builds the record of one row at cursor position pos (the position
// after the previous row).
func (s *Source) record(sp *streamPlan, values map[string]any, cols *columnSet, pos connectors.Cursor) connectors.Record {
	rec := connectors.Record{Stream: sp.name, Values: values}
	rawUpdated, rawKey := values[cols.updated], values[cols.key]
	updated, uerr := parseUpdated(rawUpdated, s.loc, sp.updatedFormat)
	key, kerr := parseKey(rawKey, sp.keyType)
	switch {
	case uerr != nil:
		// We cannot name this row's position, so the cursor stays where it
		// was; the next readable row moves it past this one.
		rec.Key = keyOrRaw(key, rawKey)
		rec.Cursor = pos
		values[connectors.RecordErrorKey] = &connectors.RecordError{
			Field: cols.updated, Value: rawText(rawUpdated),
			Reason: "cursor.updated " + uerr.Error() + "; the row cannot be placed in time — fix the value in the legacy database (or cursor.updated_format)",
		}
	case kerr != nil:
		// The row sorts before every valid key of its timestamp; the empty
		// key stands for that position.
		rec.Key = keyOrRaw("", rawKey)
		rec.Cursor = pos
		if updated.After(pos.Updated) {
			rec.Cursor = connectors.Cursor{Updated: updated}
		}
		values[connectors.RecordErrorKey] = &connectors.RecordError{
			Field: cols.key, Value: rawText(rawKey),
			Reason: "cursor.key " + kerr.Error() + "; the row cannot be identified — the key must be a unique, non-NULL column",
		}
	default:
		rec.Key = key
		rec.Cursor = connectors.Cursor{Updated: updated, Key: key}
	}
	return rec
}

func keyOrRaw(key string, raw any) string {
	if key != "" || raw == nil {
		return key
	}
	return rawText(raw)
}

// attachChildren runs one query per child list with the batch's keys and
// attaches the rows, in the child query's order, to their parents. Every
// readable record gets every list, empty when it has no child rows.
func (s *Source) attachChildren(ctx context.Context, db *sqlx.DB, sp *streamPlan, records []connectors.Record) error {
	if len(sp.children) == 0 {
		return nil
	}
	var keys []any
	seen := map[string]bool{}
	for _, r := range records {
		if connectors.RecordErrorOf(r) != nil || seen[r.Key] {
			continue
		}
		seen[r.Key] = true
		k, err := bindKey(r.Key, sp.keyType)
		if err != nil {
			return fmt.Errorf("iso_dientu: stream %q: %w", sp.name, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil
	}
	for _, child := range sp.children {
		groups, err := s.readChild(ctx, db, sp, child, keys)
		if err != nil {
			return err
		}
		for i := range records {
			if !seen[records[i].Key] || connectors.RecordErrorOf(records[i]) != nil {
				continue
			}
			list := groups[records[i].Key]
			if list == nil {
				list = []map[string]any{}
			}
			records[i].Values[child.name] = list
		}
	}
	return nil
}

func (s *Source) readChild(ctx context.Context, db *sqlx.DB, sp *streamPlan, child childPlan, keys []any) (map[string][]map[string]any, error) {
	what := "child " + child.name
	query, args, err := sqlx.In(child.query, keys)
	if err != nil {
		return nil, s.queryError(sp.name, what, child.query, err)
	}
	query = db.Rebind(query)
	cctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	s.hook(query)
	rows, err := db.QueryxContext(cctx, query, args...)
	if err != nil {
		return nil, s.queryError(sp.name, what, child.query, err)
	}
	defer rows.Close()
	cols, err := newChildColumnSet(rows.Rows, sp.name, child, s.cfg.Driver)
	if err != nil {
		return nil, err
	}
	groups := map[string][]map[string]any{}
	for rows.Next() {
		values, err := cols.scan(rows.Rows, s.loc)
		if err != nil {
			return nil, s.queryError(sp.name, what, child.query, err)
		}
		parent, err := parseKey(values[cols.key], sp.keyType)
		if err != nil {
			continue // not one of the keys asked for
		}
		groups[parent] = append(groups[parent], values)
	}
	if err := rows.Err(); err != nil {
		return nil, s.queryError(sp.name, what, child.query, err)
	}
	return groups, nil
}

// queryError names the stream, the query and the database's error, and
// what to do when the error is a common one.
func (s *Source) queryError(stream, what, query string, err error) error {
	hint := ""
	if h := hintFor(err); h != "" {
		hint = "; " + h
	}
	return fmt.Errorf("iso_dientu: stream %q: %s query failed: %w%s (query: %s)", stream, what, s.scrub(err), hint, oneLine(query))
}

// hintFor suggests a fix for the database errors users meet while writing
// stream queries.
func hintFor(err error) string {
	const (
		alias  = "give every selected column its own alias (… AS name)"
		table  = "the table does not exist: check the query and the database named in source.dsn"
		grant  = "the account may not read this: GRANT SELECT on the legacy tables to the connector's account"
		column = "unknown column: check the query and the cursor and parent columns"
	)
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1060:
			return alias
		case 1146:
			return table
		case 1142, 1143, 1044:
			return grant
		case 1054:
			return column
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "42701":
			return alias
		case "42P01":
			return table
		case "42501":
			return grant
		case "42703":
			return column
		}
	}
	return ""
}

func (s *Source) hook(query string) {
	if s.queryHook != nil {
		s.queryHook(query)
	}
}

// scrub keeps the DSN's password out of a driver error's text.
func (s *Source) scrub(err error) error {
	pw := passwordOf(string(s.cfg.DSN))
	if pw == "" || !strings.Contains(err.Error(), pw) {
		return err
	}
	return &scrubbedError{msg: strings.ReplaceAll(err.Error(), pw, redacted), err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// columnSet is the result columns of a query, resolved once per query.
type columnSet struct {
	names   []string
	dbTypes []string
	updated string // resolved names of the cursor (or parent) columns
	key     string
}

func newColumnSet(rows *sql.Rows, sp *streamPlan, driver string) (*columnSet, error) {
	cs, err := readColumns(rows, "stream "+quoteName(sp.name), driver)
	if err != nil {
		return nil, err
	}
	if cs.updated, err = cs.find(sp.updated, "cursor.updated", sp.name); err != nil {
		return nil, err
	}
	if cs.key, err = cs.find(sp.key, "cursor.key", sp.name); err != nil {
		return nil, err
	}
	for _, c := range sp.children {
		for _, n := range cs.names {
			if n == c.name {
				return nil, fmt.Errorf("iso_dientu: stream %q: child list %q has the name of a column of the stream query; rename the child under source.streams.%s.children", sp.name, c.name, sp.name)
			}
		}
	}
	return cs, nil
}

func newChildColumnSet(rows *sql.Rows, stream string, child childPlan, driver string) (*columnSet, error) {
	cs, err := readColumns(rows, fmt.Sprintf("stream %q child %q", stream, child.name), driver)
	if err != nil {
		return nil, err
	}
	if cs.key, err = cs.find(child.parent, "children."+child.name+".parent", stream); err != nil {
		return nil, err
	}
	return cs, nil
}

func quoteName(s string) string { return fmt.Sprintf("%q", s) }

func readColumns(rows *sql.Rows, what, driver string) (*columnSet, error) {
	names, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("iso_dientu: %s: read result columns: %w", what, err)
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			return nil, fmt.Errorf("iso_dientu: %s: the query returns column %q twice; give every selected column its own alias (AS …)", what, n)
		}
		seen[n] = true
	}
	cs := &columnSet{names: names, dbTypes: make([]string, len(names))}
	if driver == DriverPostgres {
		types, err := rows.ColumnTypes()
		if err != nil {
			return nil, fmt.Errorf("iso_dientu: %s: read column types: %w", what, err)
		}
		for i, t := range types {
			cs.dbTypes[i] = t.DatabaseTypeName()
		}
	}
	return cs, nil
}

// find resolves a configured column name against the result's names:
// exactly, else the one name equal ignoring case (MySQL compares column
// names that way).
func (cs *columnSet) find(name, key, stream string) (string, error) {
	var fold []string
	for _, n := range cs.names {
		if n == name {
			return n, nil
		}
		if strings.EqualFold(n, name) {
			fold = append(fold, n)
		}
	}
	if len(fold) == 1 {
		return fold[0], nil
	}
	return "", fmt.Errorf("iso_dientu: source.streams.%s.%s: the query returns no column %q (it returns %s)", stream, key, name, strings.Join(cs.names, ", "))
}

// scan reads one row into a map keyed by column name. []byte values are
// copies (database/sql copies into *any). Zone-less PostgreSQL times are
// placed in the legacy zone; the MySQL and SQLite drivers do it themselves
// from the DSN settings.
func (cs *columnSet) scan(rows *sql.Rows, loc *time.Location) (map[string]any, error) {
	vals := make([]any, len(cs.names))
	ptrs := make([]any, len(cs.names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	m := make(map[string]any, len(cs.names)+1)
	for i, n := range cs.names {
		v := vals[i]
		if t, ok := v.(time.Time); ok {
			switch cs.dbTypes[i] {
			case "TIMESTAMP", "DATE":
				v = wallClockIn(t, loc)
			case "TIMESTAMPTZ":
				v = t.In(loc)
			}
		}
		m[n] = v
	}
	return m, nil
}

var (
	_ connectors.Source  = (*Source)(nil)
	_ connectors.Checker = (*Source)(nil)
)
