// Package outbox is the durable queue and delivery log of lgsp-connector: the
// source of truth for every packet between "mapped and signed" and
// "acknowledged by LGSP" (or given up on), and the evidence of every attempt.
//
// It is one embedded SQLite file in WAL mode. Several goroutines of the
// running connector and other processes (`lgsp-connector log`, `retry`) may
// use the same file at once: inside one Store all writes go through a single
// connection, and every write transaction starts with BEGIN IMMEDIATE, so
// writers from other processes queue on SQLite's busy timeout instead of
// failing with SQLITE_BUSY halfway through a transaction.
package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

// State is where a packet is in its life.
type State string

// The states of a packet: pending → in_flight → delivered | dead, and back
// from in_flight to pending on a retry or from dead to pending on Requeue.
const (
	StatePending   State = "pending"
	StateInFlight  State = "in_flight"
	StateDelivered State = "delivered"
	StateDead      State = "dead"
)

// Valid reports whether s is one of the four states.
func (s State) Valid() bool {
	switch s {
	case StatePending, StateInFlight, StateDelivered, StateDead:
		return true
	}
	return false
}

// Attempt outcomes recorded in the delivery log.
const (
	OutcomeDelivered = "delivered"
	OutcomeRetry     = "retry"
	OutcomeThrottled = "throttled"
	OutcomeDead      = "dead"
)

// Limits on what one attempt row keeps.
const (
	MaxExcerptBytes = 1024     // response excerpt
	maxErrorBytes   = 4 * 1024 // error text and dead-letter reason
)

// Defaults for Options and Filter.
const (
	DefaultBusyTimeout = 10 * time.Second
	DefaultQueryLimit  = 100
	MaxQueryLimit      = 10000
	maxLeaseBatch      = 1000
)

var (
	// ErrNotInFlight is returned by MarkDelivered, MarkRetry and MarkDead
	// when the packet is no longer in flight (or is leased to another
	// worker): the caller's lease was lost and a newer outcome stands. The
	// attempt has been recorded anyway.
	ErrNotInFlight = errors.New("packet is not in flight for this worker")
	// ErrNotFound is returned when no packet has the given ID.
	ErrNotFound = errors.New("packet not found")
)

// Options configure Open.
type Options struct {
	// Path of the SQLite file; created (with its directory) when missing.
	Path string
	// Now is the clock; time.Now when nil. Tests inject a fixed clock.
	Now func() time.Time
	// Logger receives lifecycle and state-change messages; discarded when nil.
	Logger *slog.Logger
	// BusyTimeout is how long a statement waits for another connection's
	// lock before failing; DefaultBusyTimeout when zero.
	BusyTimeout time.Duration
	// SamePayload tells whether a packet queued again under an ID already
	// stored carries the same content as the stored bytes. A re-read after
	// a crash, or a survey's re-sent copy, differs in the creation time
	// and the signature only; a comparator that ignores those keeps the
	// "different payload" warning for real content changes. nil compares
	// the bytes.
	SamePayload func(stored, queued []byte) bool
}

// Store is an open outbox file. It is safe for concurrent use.
type Store struct {
	path        string
	samePayload func(stored, queued []byte) bool
	// syncFull is the write connection's synchronous setting (FULL when
	// true); only the holder of that connection reads or changes it.
	syncFull bool
	now      func() time.Time
	log      *slog.Logger
	write    *sql.DB // one connection, BEGIN IMMEDIATE: all writes of this Store
	read     *sql.DB // a few query-only connections: WAL readers never block the writer
	closer   sync.Once
	cerr     error

	// Statements every delivery cycle runs, prepared once: parsing them
	// each time cost a third of a Lease+Mark cycle.
	writeStmts map[string]*sql.Stmt
	readStmts  map[string]*sql.Stmt
}

// hotWrites and hotReads are the statements prepared at Open.
var (
	hotWrites = []string{insertPacketSQL, insertBodySQL, upsertCursorSQL, leaseSQL, leaseUpdateSQL,
		markSelectSQL, insertAttemptSQL, markSupersededSQL, markDeliveredSQL, markRetrySQL, markDeadSQL}
	hotReads = []string{anyDueSQL}
)

// Open opens (creating if needed) the outbox file at o.Path, enables WAL,
// foreign keys and the busy timeout, and brings the schema up to date.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Path == "" {
		return nil, errors.New("outbox: no file path given; set the outbox path in the configuration")
	}
	if strings.ContainsRune(o.Path, '?') || strings.HasPrefix(o.Path, "file:") || o.Path == ":memory:" {
		return nil, fmt.Errorf("outbox: path %q is not a plain file path; use a file name without '?' or 'file:'", o.Path)
	}
	busy := o.BusyTimeout
	if busy <= 0 {
		busy = DefaultBusyTimeout
	}
	s := &Store{path: o.Path, now: o.Now, log: o.Logger, samePayload: o.SamePayload, syncFull: true}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if err := createPrivate(o.Path); err != nil {
		return nil, err
	}

	base := o.Path + "?_busy_timeout=" + strconv.FormatInt(busy.Milliseconds(), 10) + "&_foreign_keys=1"
	var err error
	// synchronous=FULL: a Commit that returned must survive power loss, because
	// the source cursor advanced with it and the records will not be read again.
	s.write, err = sql.Open("sqlite", base+"&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("outbox: open %q: %w", o.Path, err)
	}
	s.write.SetMaxOpenConns(1)
	s.write.SetMaxIdleConns(1)
	s.write.SetConnMaxLifetime(0)
	s.write.SetConnMaxIdleTime(0)

	if err := s.migrateWhenFree(ctx, o.BusyTimeout); err != nil {
		s.write.Close()
		return nil, err
	}

	s.read, err = sql.Open("sqlite", base+"&_query_only=1")
	if err != nil {
		s.write.Close()
		return nil, fmt.Errorf("outbox: open %q for reading: %w", o.Path, err)
	}
	s.read.SetMaxOpenConns(4)
	s.read.SetMaxIdleConns(4)
	if err := s.read.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("outbox: open %q for reading: %w", o.Path, err)
	}
	if s.writeStmts, err = prepareAll(ctx, s.write, hotWrites); err == nil {
		s.readStmts, err = prepareAll(ctx, s.read, hotReads)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("outbox: open %q: %w", o.Path, err)
	}
	s.log.Debug("outbox opened", "path", o.Path, "schema_version", schemaVersion)
	return s, nil
}

func prepareAll(ctx context.Context, db *sql.DB, queries []string) (map[string]*sql.Stmt, error) {
	m := make(map[string]*sql.Stmt, len(queries))
	for _, q := range queries {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			return m, fmt.Errorf("prepare %q: %w", q, err)
		}
		m[q] = st
	}
	return m, nil
}

// stmt returns the statement of hotWrites prepared at Open, bound to tx.
func (s *Store) stmt(ctx context.Context, tx *sql.Tx, query string) *sql.Stmt {
	st, ok := s.writeStmts[query]
	if !ok {
		panic("outbox: statement used with stmt is missing from hotWrites: " + query)
	}
	return tx.StmtContext(ctx, st)
}

// createPrivate creates the database file with owner-only permissions when it
// does not exist yet: packets carry personal data. SQLite gives the -wal and
// -shm files the permissions of the database file.
func createPrivate(path string) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("outbox: create directory for %q: %w; check the outbox path and permissions", path, err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case errors.Is(err, os.ErrExist):
		return nil
	case err != nil:
		return fmt.Errorf("outbox: create %q: %w; check the outbox path and permissions", path, err)
	}
	return f.Close()
}

// Close closes the file. It is safe to call more than once. Packets still in
// flight stay in flight and are leased again once their lease expires.
func (s *Store) Close() error {
	s.closer.Do(func() {
		var errs []error
		for _, m := range []map[string]*sql.Stmt{s.writeStmts, s.readStmts} {
			for _, st := range m {
				errs = append(errs, st.Close())
			}
		}
		if s.read != nil {
			errs = append(errs, s.read.Close())
		}
		if s.write != nil {
			// Closing the last connection checkpoints the WAL into the main file.
			errs = append(errs, s.write.Close())
		}
		if err := errors.Join(errs...); err != nil {
			s.cerr = fmt.Errorf("outbox: close %q: %w", s.path, err)
		}
	})
	return s.cerr
}

// Path is the file the store was opened on.
func (s *Store) Path() string { return s.path }

// writeTx runs fn in one BEGIN IMMEDIATE transaction on the write
// connection, durable on return (synchronous=FULL).
func (s *Store) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.writeTxAs(ctx, true, fn)
}

// bookkeepingTx is writeTx for delivery bookkeeping (leases and attempt
// outcomes) with synchronous=NORMAL: the transaction is atomic and the file
// consistent, but a power cut may undo the last few of them. Undoing one is
// harmless — the packet is leased and sent again under its message ID and
// the receiver drops the copy — and skipping the fsync of every lease and
// acknowledgement is most of their cost. Intake (Commit), whose cursor
// decides what is read again, stays durable; its fsync also makes every
// earlier bookkeeping transaction durable.
func (s *Store) bookkeepingTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.writeTxAs(ctx, false, fn)
}

func (s *Store) writeTxAs(ctx context.Context, durable bool, fn func(tx *sql.Tx) error) error {
	conn, err := s.write.Conn(ctx) // the only write connection: held, nobody else writes
	if err != nil {
		return classify(err)
	}
	defer conn.Close()
	// syncFull mirrors the connection's setting. A connection reopened by
	// database/sql starts at FULL from the DSN, so a stale syncFull can only
	// make a transaction more durable than asked, never less.
	if s.syncFull != durable {
		mode := "NORMAL"
		if durable {
			mode = "FULL"
		}
		if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = "+mode); err != nil {
			return classify(err)
		}
		s.syncFull = durable
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return classify(err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback() // the error from fn is the one worth reporting
		return classify(err)
	}
	return classify(tx.Commit())
}

// migrateWhenFree runs migrate, waiting while another process holds the
// file: SQLite answers SQLITE_BUSY without calling the busy handler while
// a new file's journal mode is being set, so `log` started next to a
// starting `run` must retry here rather than fail.
func (s *Store) migrateWhenFree(ctx context.Context, patience time.Duration) error {
	if patience <= 0 {
		patience = DefaultBusyTimeout
	}
	deadline := time.Now().Add(patience)
	for {
		err := s.migrate(ctx)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && (se.Code()&0xff == sqlite3.SQLITE_BUSY || se.Code()&0xff == sqlite3.SQLITE_LOCKED)
}

// ErrStoreFull means the store's disk (or quota) is full: nothing was
// written. Reading from the legacy system must pause until space returns;
// what is already stored is intact.
var ErrStoreFull = errors.New("kho lưu hết dung lượng đĩa / the store's disk is full")

// classify marks SQLite's "disk full" (SQLITE_FULL, 13, and the I/O error
// a full disk causes on write, SQLITE_IOERR_WRITE) so callers can say why
// they stopped.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		// SQLITE_IOERR_SHMSIZE: the shared-memory file of WAL mode could
		// not grow, which on a local disk means it is full.
		if code := se.Code(); code&0xff == sqlite3.SQLITE_FULL || code == sqlite3.SQLITE_IOERR_WRITE || code == sqlite3.SQLITE_IOERR_SHMSIZE {
			return fmt.Errorf("%w: %w", ErrStoreFull, err)
		}
	}
	return err
}

// ms is the stored form of an instant: Unix milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

// fromMS turns a stored instant back into a time, in UTC.
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func fromNullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}

// truncateUTF8 returns s as valid UTF-8 cut to at most max bytes on a rune
// boundary. Response bodies may be in any encoding; the log stays readable.
func truncateUTF8(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
