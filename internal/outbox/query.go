package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Filter selects packets for Query (all fields optional and combined with
// AND) and quarantine or audit rows (only Stream, Since and Limit apply).
type Filter struct {
	State  State
	MaHoSo string
	Stream string
	Since  time.Time // created at or after
	Limit  int       // DefaultQueryLimit when 0; at most MaxQueryLimit
}

func (f Filter) limit() (int, error) {
	switch {
	case f.Limit == 0:
		return DefaultQueryLimit, nil
	case f.Limit < 0 || f.Limit > MaxQueryLimit:
		return 0, fmt.Errorf("outbox: query limit %d is out of range 1..%d", f.Limit, MaxQueryLimit)
	}
	return f.Limit, nil
}

// Entry is a delivery-log line: a packet without its body, and its latest
// attempt (nil when none was made).
type Entry struct {
	Packet
	LastAttempt *Attempt
}

// attemptCols are the columns nullAttempt scans.
const attemptCols = `a.at, a.endpoint, a.http_status, a.latency_ms, a.excerpt, a.error, a.outcome, a.owner, a.superseded`

// Query lists packets, newest first, with their latest attempt.
func (s *Store) Query(ctx context.Context, f Filter) ([]Entry, error) {
	limit, err := f.limit()
	if err != nil {
		return nil, err
	}
	if f.State != "" && !f.State.Valid() {
		return nil, fmt.Errorf("outbox: query: unknown state %q; use pending, in_flight, delivered or dead", f.State)
	}
	q, args := querySQL(f, limit)
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("outbox: query packets: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var (
			aSeq sql.NullInt64
			na   nullAttempt
		)
		p, _, err := scanPacket(rows, false, append([]any{&aSeq}, na.dest()...)...)
		if err != nil {
			return nil, fmt.Errorf("outbox: query packets: %w", err)
		}
		e := Entry{Packet: p}
		if aSeq.Valid {
			a := na.attempt()
			e.LastAttempt = &a
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("outbox: query packets: %w", err)
	}
	return out, nil
}

// querySQL builds Query's statement for f.
func querySQL(f Filter, limit int) (string, []any) {
	var (
		where []string
		args  []any
	)
	if f.State != "" {
		where, args = append(where, "p.state = ?"), append(args, string(f.State))
	}
	if f.MaHoSo != "" {
		where, args = append(where, "p.ma_ho_so = ?"), append(args, f.MaHoSo)
	}
	if f.Stream != "" {
		where, args = append(where, "p.stream = ?"), append(args, f.Stream)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "p.created_at >= ?"), append(args, ms(f.Since))
	}
	q := `SELECT ` + packetCols + `, a.seq, ` + attemptCols + `
		FROM packets p LEFT JOIN attempts a ON a.seq = (SELECT max(seq) FROM attempts WHERE packet_id = p.id)`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY p.created_at DESC, p.seq DESC LIMIT ?"
	return q, append(args, limit)
}

// nullAttempt scans attemptCols from a LEFT JOIN, where they may be NULL.
type nullAttempt struct {
	at, status, latency, superseded sql.NullInt64
	endpoint, excerpt, err, outcome sql.NullString
	owner                           sql.NullString
}

func (n *nullAttempt) dest() []any {
	return []any{&n.at, &n.endpoint, &n.status, &n.latency, &n.excerpt, &n.err, &n.outcome, &n.owner, &n.superseded}
}

func (n *nullAttempt) attempt() Attempt {
	return Attempt{
		At:         fromMS(n.at.Int64),
		Endpoint:   n.endpoint.String,
		HTTPStatus: int(n.status.Int64),
		Latency:    time.Duration(n.latency.Int64) * time.Millisecond,
		Excerpt:    n.excerpt.String,
		Error:      n.err.String,
		Outcome:    n.outcome.String,
		Owner:      n.owner.String,
		Superseded: n.superseded.Int64 != 0,
	}
}

// Get returns one packet with its body; the error wraps ErrNotFound when
// there is none.
func (s *Store) Get(ctx context.Context, id string) (Packet, error) {
	row := s.read.QueryRowContext(ctx, `SELECT `+packetCols+`, b.body FROM packets p JOIN packet_bodies b ON b.seq = p.seq WHERE p.id = ?`, id)
	p, _, err := scanPacket(row, true)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Packet{}, fmt.Errorf("outbox: get packet %q: %w", id, ErrNotFound)
	case err != nil:
		return Packet{}, fmt.Errorf("outbox: get packet %q: %w", id, err)
	}
	return p, nil
}

// Attempts returns the packet's attempts, oldest first; the error wraps
// ErrNotFound when there is no such packet.
func (s *Store) Attempts(ctx context.Context, id string) ([]Attempt, error) {
	tx, err := s.read.BeginTx(ctx, nil) // one snapshot for both statements
	if err != nil {
		return nil, fmt.Errorf("outbox: attempts of packet %q: %w", id, err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	var one int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM packets WHERE id = ?`, id).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("outbox: attempts of packet %q: %w", id, ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("outbox: attempts of packet %q: %w", id, err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+attemptCols+` FROM attempts a WHERE a.packet_id = ? ORDER BY a.seq`, id)
	if err != nil {
		return nil, fmt.Errorf("outbox: attempts of packet %q: %w", id, err)
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		var n nullAttempt
		if err := rows.Scan(n.dest()...); err != nil {
			return nil, fmt.Errorf("outbox: attempts of packet %q: %w", id, err)
		}
		out = append(out, n.attempt())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("outbox: attempts of packet %q: %w", id, err)
	}
	return out, nil
}

// QuarantineEntry is a source record that could not become a packet.
type QuarantineEntry struct {
	ID, Stream, RecordKey, Field, Value, Reason string
	Record                                      []byte // masked JSON of the raw record
	At                                          time.Time
}

// Quarantine lists quarantined records, newest first. Only f.Stream, f.Since
// and f.Limit apply.
func (s *Store) Quarantine(ctx context.Context, f Filter) ([]QuarantineEntry, error) {
	limit, err := f.limit()
	if err != nil {
		return nil, err
	}
	q := `SELECT id, stream, record_key, field, value, reason, record, at FROM quarantine WHERE at >= ?`
	args := []any{int64(0)}
	if !f.Since.IsZero() {
		args[0] = ms(f.Since)
	}
	if f.Stream != "" {
		q, args = q+" AND stream = ?", append(args, f.Stream)
	}
	q += " ORDER BY at DESC, rowid DESC LIMIT ?"
	args = append(args, limit)
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("outbox: query quarantine: %w", err)
	}
	defer rows.Close()
	var out []QuarantineEntry
	for rows.Next() {
		var (
			e  QuarantineEntry
			at int64
		)
		if err := rows.Scan(&e.ID, &e.Stream, &e.RecordKey, &e.Field, &e.Value, &e.Reason, &e.Record, &at); err != nil {
			return nil, fmt.Errorf("outbox: query quarantine: %w", err)
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("outbox: query quarantine: %w", err)
	}
	return out, nil
}

// AuditEntry is an operator action on the outbox (requeue, purge).
type AuditEntry struct {
	At       time.Time
	Action   string
	Actor    string
	PacketID string // empty for actions on many packets
	Detail   string
}

// Audit lists audit rows, newest first. Only f.Since and f.Limit apply.
func (s *Store) Audit(ctx context.Context, f Filter) ([]AuditEntry, error) {
	limit, err := f.limit()
	if err != nil {
		return nil, err
	}
	var since int64
	if !f.Since.IsZero() {
		since = ms(f.Since)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT at, action, actor, packet_id, detail FROM audit
		WHERE at >= ? ORDER BY at DESC, seq DESC LIMIT ?`, since, limit)
	if err != nil {
		return nil, fmt.Errorf("outbox: query audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var (
			e  AuditEntry
			at int64
		)
		if err := rows.Scan(&at, &e.Action, &e.Actor, &e.PacketID, &e.Detail); err != nil {
			return nil, fmt.Errorf("outbox: query audit log: %w", err)
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("outbox: query audit log: %w", err)
	}
	return out, nil
}

// Counts is a snapshot of the outbox for health checks and the dashboard.
type Counts struct {
	Pending, InFlight, Delivered, Dead, Quarantined int
	OldestPending                                   time.Time // zero when nothing is pending
	Attempts                                        int       // attempt rows in the delivery log
}

// Counts returns the number of packets in each state and related totals, all
// from one snapshot.
func (s *Store) Counts(ctx context.Context) (Counts, error) {
	var c Counts
	tx, err := s.read.BeginTx(ctx, nil)
	if err != nil {
		return c, fmt.Errorf("outbox: counts: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	rows, err := tx.QueryContext(ctx, `SELECT state, count(*) FROM packets GROUP BY state`)
	if err != nil {
		return c, fmt.Errorf("outbox: counts: %w", err)
	}
	for rows.Next() {
		var (
			state string
			n     int
		)
		if err := rows.Scan(&state, &n); err != nil {
			rows.Close()
			return c, fmt.Errorf("outbox: counts: %w", err)
		}
		switch State(state) {
		case StatePending:
			c.Pending = n
		case StateInFlight:
			c.InFlight = n
		case StateDelivered:
			c.Delivered = n
		case StateDead:
			c.Dead = n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("outbox: counts: %w", err)
	}
	var oldest sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT min(created_at) FROM packets WHERE state = 'pending'`).Scan(&oldest); err != nil {
		return c, fmt.Errorf("outbox: counts: %w", err)
	}
	c.OldestPending = fromNullMS(oldest)
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM quarantine), (SELECT count(*) FROM attempts)`).
		Scan(&c.Quarantined, &c.Attempts); err != nil {
		return c, fmt.Errorf("outbox: counts: %w", err)
	}
	return c, nil
}

// purgeChunk bounds how long one Purge transaction holds the write lock, so
// delivery workers are not stalled by a large clean-up.
const purgeChunk = 500

// Purge removes delivered packets (with their attempts) delivered before
// olderThan, and quarantine rows recorded before it. Pending, in-flight and
// dead packets are never removed. It returns the number of packets and
// quarantine rows removed, and writes one audit row when it removed any.
func (s *Store) Purge(ctx context.Context, olderThan time.Time) (int, error) {
	if olderThan.IsZero() {
		return 0, errors.New("outbox: purge: no cut-off time given")
	}
	cut := ms(olderThan)
	packets, err := s.deleteInChunks(ctx, `DELETE FROM packets WHERE seq IN (
		SELECT seq FROM packets WHERE state = 'delivered' AND delivered_at < ? LIMIT ?)`, cut)
	if err != nil {
		return packets, fmt.Errorf("outbox: purge delivered packets before %s (%d removed so far): %w", olderThan.Format(time.RFC3339), packets, err)
	}
	quarantined, err := s.deleteInChunks(ctx, `DELETE FROM quarantine WHERE rowid IN (
		SELECT rowid FROM quarantine WHERE at < ? LIMIT ?)`, cut)
	if err != nil {
		return packets + quarantined, fmt.Errorf("outbox: purge quarantine before %s (%d removed so far): %w", olderThan.Format(time.RFC3339), quarantined, err)
	}
	if packets+quarantined > 0 {
		detail := fmt.Sprintf("removed %d delivered packets and %d quarantine rows older than %s",
			packets, quarantined, olderThan.UTC().Format(time.RFC3339))
		if _, err := s.write.ExecContext(ctx, `INSERT INTO audit (at, action, actor, packet_id, detail) VALUES (?, 'purge', 'outbox', '', ?)`,
			ms(s.now()), detail); err != nil {
			return packets + quarantined, fmt.Errorf("outbox: purge: write audit row: %w", err)
		}
	}
	s.log.Info("outbox purged", "packets", packets, "quarantine", quarantined, "older_than", olderThan)
	return packets + quarantined, nil
}

func (s *Store) deleteInChunks(ctx context.Context, stmt string, cut int64) (int, error) {
	total := 0
	for {
		res, err := s.write.ExecContext(ctx, stmt, cut, purgeChunk)
		if err != nil {
			return total, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, err
		}
		total += int(n)
		if n < purgeChunk {
			return total, nil
		}
	}
}

// CheckWritable proves the file can take a write now: it takes the write
// lock, records the check in the meta table and commits. For `doctor`.
func (s *Store) CheckWritable(ctx context.Context) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var version int
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
			return err
		}
		if version != schemaVersion {
			return fmt.Errorf("schema version is %d, this lgsp-connector expects %d; run the same version everywhere", version, schemaVersion)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('write_check', ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, s.now().UTC().Format(time.RFC3339Nano))
		return err
	})
	if err != nil {
		return fmt.Errorf("outbox: %q is not writable: %w; check disk space, file permissions and that no other program locks it", s.path, err)
	}
	return nil
}
