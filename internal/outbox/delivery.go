package outbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Packet is a queued packet and where it stands. Times have millisecond
// precision and are in UTC.
type Packet struct {
	ID, Stream, RecordKey, Kind, Profile, Endpoint, MaHoSo string
	Body                                                   []byte // the stored bytes, verbatim; nil in Query results
	SHA256                                                 string // hex SHA-256 of Body, computed at Commit
	Warnings                                               []string
	State                                                  State
	Attempts                                               int // attempt rows recorded for this packet
	CreatedAt                                              time.Time
	// NextAttemptAt is when the packet is due; for an in_flight packet it is
	// the lease expiry, after which another worker may lease it.
	NextAttemptAt time.Time
	DeliveredAt   time.Time // zero unless delivered
	LastError     string
	LastStatus    int
	LeaseOwner    string // the worker holding the lease, when in_flight
}

// Attempt is one delivery attempt: a row of the delivery log.
type Attempt struct {
	At         time.Time     // when the attempt started; the store's clock when zero
	Endpoint   string        // the packet's endpoint when empty
	HTTPStatus int           // 0 when no response arrived
	Latency    time.Duration // stored in milliseconds
	Excerpt    string        // response excerpt; cut to MaxExcerptBytes
	Error      string
	Outcome    string // delivered|retry|throttled|dead; implied by the Mark method when empty
	// Owner is the worker that made the attempt. When set, the Mark methods
	// also require the packet's lease to be held by this owner, so a worker
	// whose lease expired and was taken over cannot decide for the new holder.
	Owner string
	// Superseded is set on attempts read back from the log when the outcome
	// changed nothing because the lease had already been lost.
	Superseded bool
}

// packetCols are the columns scanPacket reads, body last (and optional).
const packetCols = `p.seq, p.id, p.stream, p.record_key, p.kind, p.profile, p.endpoint, p.ma_ho_so,
	p.sha256, p.warnings, p.state, p.attempts, p.created_at, p.next_attempt_at, p.delivered_at,
	p.last_error, p.last_status, p.lease_owner`

// leaseSQL selects the due packets (?1 now, ?2 batch size) in lease order:
// two ordered index range scans merged, so a long queue is never sorted whole.
const leaseSQL = `
	WITH due AS (
		SELECT seq, next_attempt_at FROM (
			SELECT seq, next_attempt_at FROM packets
			WHERE state = 'pending' AND next_attempt_at <= ?1
			ORDER BY next_attempt_at, seq LIMIT ?2)
		UNION ALL
		SELECT seq, next_attempt_at FROM (
			SELECT seq, next_attempt_at FROM packets
			WHERE state = 'in_flight' AND next_attempt_at <= ?1
			ORDER BY next_attempt_at, seq LIMIT ?2)
		ORDER BY next_attempt_at, seq LIMIT ?2)
	SELECT ` + packetCols + `, b.body FROM due JOIN packets p ON p.seq = due.seq JOIN packet_bodies b ON b.seq = due.seq
	ORDER BY due.next_attempt_at, due.seq`

// anyDueSQL (?1 now) tells whether Lease would find anything.
const anyDueSQL = `SELECT EXISTS (SELECT 1 FROM packets WHERE state = 'pending' AND next_attempt_at <= ?1)
	OR EXISTS (SELECT 1 FROM packets WHERE state = 'in_flight' AND next_attempt_at <= ?1)`

// leaseUpdateSQL takes one packet: owner, lease expiry, now, seq.
const leaseUpdateSQL = `UPDATE packets SET state = 'in_flight', lease_owner = ?, next_attempt_at = ?, updated_at = ? WHERE seq = ?`

type scanner interface{ Scan(dest ...any) error }

// scanPacket reads packetCols (and body when withBody) followed by extra.
func scanPacket(sc scanner, withBody bool, extra ...any) (Packet, int64, error) {
	var (
		p         Packet
		seq       int64
		warnings  string
		state     string
		created   int64
		next      int64
		delivered sql.NullInt64
	)
	dest := []any{&seq, &p.ID, &p.Stream, &p.RecordKey, &p.Kind, &p.Profile, &p.Endpoint, &p.MaHoSo,
		&p.SHA256, &warnings, &state, &p.Attempts, &created, &next, &delivered,
		&p.LastError, &p.LastStatus, &p.LeaseOwner}
	if withBody {
		dest = append(dest, &p.Body)
	}
	dest = append(dest, extra...)
	if err := sc.Scan(dest...); err != nil {
		return Packet{}, 0, err
	}
	p.State = State(state)
	p.CreatedAt = fromMS(created)
	p.NextAttemptAt = fromMS(next)
	p.DeliveredAt = fromNullMS(delivered)
	if warnings != "" {
		if err := json.Unmarshal([]byte(warnings), &p.Warnings); err != nil {
			return Packet{}, 0, fmt.Errorf("packet %q: stored warnings %q are not a JSON list: %w", p.ID, warnings, err)
		}
	}
	return p, seq, nil
}

// Lease atomically claims up to max packets that are due: pending with
// next_attempt_at <= now, or in_flight whose lease has expired. They are
// taken in next_attempt_at order, then creation order, marked in_flight for
// owner until now+leaseFor, and returned with their bodies.
func (s *Store) Lease(ctx context.Context, owner string, max int, leaseFor time.Duration) ([]Packet, error) {
	switch {
	case owner == "":
		return nil, errors.New("outbox: lease: owner is empty; name the worker")
	case max < 1 || max > maxLeaseBatch:
		return nil, fmt.Errorf("outbox: lease: batch size %d is out of range 1..%d", max, maxLeaseBatch)
	case leaseFor <= 0:
		return nil, fmt.Errorf("outbox: lease: lease duration %v must be positive", leaseFor)
	}
	now := s.now()
	nowMS, until := ms(now), ms(now.Add(leaseFor))

	// Idle workers poll; ask a reader first so an empty queue costs no write lock.
	var due int
	err := s.readStmts[anyDueSQL].QueryRowContext(ctx, nowMS).Scan(&due)
	if err != nil {
		return nil, fmt.Errorf("outbox: lease for %q: %w", owner, err)
	}
	if due == 0 {
		return nil, nil
	}

	var (
		out     []Packet
		expired int
		seqs    []int64
	)
	err = s.bookkeepingTx(ctx, func(tx *sql.Tx) error {
		rows, err := s.stmt(ctx, tx, leaseSQL).QueryContext(ctx, nowMS, max)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			p, seq, err := scanPacket(rows, true)
			if err != nil {
				return err
			}
			if p.State == StateInFlight {
				expired++
			}
			out = append(out, p)
			seqs = append(seqs, seq)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		upd := s.stmt(ctx, tx, leaseUpdateSQL)
		for _, seq := range seqs {
			if _, err := upd.ExecContext(ctx, owner, until, nowMS, seq); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: lease for %q: %w", owner, err)
	}
	for i := range out {
		out[i].State = StateInFlight
		out[i].LeaseOwner = owner
		out[i].NextAttemptAt = fromMS(until)
	}
	if expired > 0 {
		s.log.Warn("leased packets again after their lease expired; a worker stopped or was too slow", "owner", owner, "count", expired)
	}
	if len(out) > 0 {
		s.log.Debug("outbox lease", "owner", owner, "count", len(out))
	}
	return out, nil
}

// Statements of the Mark methods, prepared once (see hotWrites).
const (
	markSelectSQL    = `SELECT state, lease_owner, endpoint FROM packets WHERE id = ?`
	insertAttemptSQL = `INSERT INTO attempts
		(packet_id, at, endpoint, http_status, latency_ms, excerpt, error, outcome, owner, superseded)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	markSupersededSQL = `UPDATE packets SET attempts = attempts + 1 WHERE id = ?`
	// The three transitions out of in_flight; their last two parameters are
	// updated_at and id.
	markDeliveredSQL = `UPDATE packets SET state = 'delivered', delivered_at = ?, last_error = ?, last_status = ?,
		attempts = attempts + 1, lease_owner = '', updated_at = ? WHERE id = ?`
	markRetrySQL = `UPDATE packets SET state = 'pending', next_attempt_at = ?, last_error = ?, last_status = ?,
		attempts = attempts + 1, lease_owner = '', updated_at = ? WHERE id = ?`
	markDeadSQL = `UPDATE packets SET state = 'dead', last_error = ?, last_status = ?,
		attempts = attempts + 1, lease_owner = '', updated_at = ? WHERE id = ?`
)

// MarkDelivered records a and, if the packet is still in flight (for a.Owner,
// when set), marks it delivered. Otherwise the attempt is recorded as
// superseded and the error wraps ErrNotInFlight.
func (s *Store) MarkDelivered(ctx context.Context, id string, a Attempt) error {
	return s.mark(ctx, id, a, OutcomeDelivered, markDeliveredSQL, deliveredArgs)
}

// deliveredArgs are markDeliveredSQL's leading arguments.
func deliveredArgs(now time.Time, a Attempt) []any {
	return []any{ms(now), truncateUTF8(a.Error, maxErrorBytes), a.HTTPStatus}
}

// MarkRetry records a and, if the packet is still in flight, puts it back to
// pending, due at next. a.Outcome may be "retry" (the default) or "throttled".
func (s *Store) MarkRetry(ctx context.Context, id string, next time.Time, a Attempt) error {
	if next.IsZero() {
		return fmt.Errorf("outbox: retry packet %q: no next attempt time given", id)
	}
	return s.mark(ctx, id, a, OutcomeRetry, markRetrySQL, func(_ time.Time, a Attempt) []any {
		return []any{ms(next), truncateUTF8(a.Error, maxErrorBytes), a.HTTPStatus}
	})
}

// MarkDead records a and, if the packet is still in flight, moves it to the
// dead letters with reason. Only Requeue brings it back.
func (s *Store) MarkDead(ctx context.Context, id string, reason string, a Attempt) error {
	if reason == "" {
		reason = a.Error
	}
	if a.Error == "" {
		a.Error = reason
	}
	err := s.mark(ctx, id, a, OutcomeDead, markDeadSQL, func(_ time.Time, a Attempt) []any {
		return []any{truncateUTF8(reason, maxErrorBytes), a.HTTPStatus}
	})
	if err == nil {
		// The reason may quote the response, which may quote personal data.
		s.log.Warn("packet moved to dead letters", "packet", id, "http_status", a.HTTPStatus)
	}
	return err
}

// mark is the guarded transition shared by the Mark methods: the attempt row
// is always written; the packet changes only if it is in flight (and leased
// to a.Owner when that is set), by update with the leading arguments args
// returns.
func (s *Store) mark(ctx context.Context, id string, a Attempt, outcome, update string, args func(now time.Time, a Attempt) []any) error {
	m, err := newMarking(id, a, outcome, s.now())
	if err != nil {
		return err
	}
	err = s.bookkeepingTx(ctx, func(tx *sql.Tx) error { return s.markInTx(ctx, tx, m, update, args) })
	return s.markResult(m, err)
}

// marking is one outcome to record, and what recording it found.
type marking struct {
	id         string
	a          Attempt
	now        time.Time
	state      string // the packet's state before the mark
	holder     string // its lease owner before the mark
	superseded bool
}

func newMarking(id string, a Attempt, outcome string, now time.Time) (*marking, error) {
	switch {
	case a.Outcome == "":
		a.Outcome = outcome
	case a.Outcome == outcome, outcome == OutcomeRetry && a.Outcome == OutcomeThrottled:
	default:
		return nil, fmt.Errorf("outbox: packet %q: outcome %q does not fit a %s mark", id, a.Outcome, outcome)
	}
	if a.At.IsZero() {
		a.At = now
	}
	return &marking{id: id, a: a, now: now}, nil
}

// markInTx writes m's attempt row and, when it applies, the transition.
// ErrNotFound is returned for an unknown packet; a superseded outcome is
// not an error here (markResult turns it into one).
func (s *Store) markInTx(ctx context.Context, tx *sql.Tx, m *marking, update string, args func(now time.Time, a Attempt) []any) error {
	var endpoint string
	err := s.stmt(ctx, tx, markSelectSQL).QueryRowContext(ctx, m.id).Scan(&m.state, &m.holder, &endpoint)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	a := &m.a
	if a.Endpoint == "" {
		a.Endpoint = endpoint
	}
	applies := State(m.state) == StateInFlight && (a.Owner == "" || a.Owner == m.holder)
	m.superseded = !applies
	if _, err := s.stmt(ctx, tx, insertAttemptSQL).ExecContext(ctx,
		m.id, ms(a.At), a.Endpoint, a.HTTPStatus, a.Latency.Milliseconds(),
		truncateUTF8(a.Excerpt, MaxExcerptBytes), truncateUTF8(a.Error, maxErrorBytes),
		a.Outcome, a.Owner, !applies); err != nil {
		return fmt.Errorf("record attempt: %w", err)
	}
	if !applies {
		_, err := s.stmt(ctx, tx, markSupersededSQL).ExecContext(ctx, m.id)
		return err
	}
	_, err = s.stmt(ctx, tx, update).ExecContext(ctx, append(args(m.now, *a), ms(m.now), m.id)...)
	return err
}

// markResult is the error a Mark method returns for m after its
// transaction ended with err.
func (s *Store) markResult(m *marking, err error) error {
	a := m.a
	switch {
	case errors.Is(err, ErrNotFound):
		return fmt.Errorf("outbox: mark packet %q %s: %w", m.id, a.Outcome, ErrNotFound)
	case err != nil:
		return fmt.Errorf("outbox: mark packet %q %s: %w", m.id, a.Outcome, err)
	case m.superseded && State(m.state) == StateInFlight:
		s.log.Warn("late attempt outcome ignored: lease taken over by another worker", "packet", m.id, "owner", a.Owner, "holder", m.holder)
		return fmt.Errorf("outbox: packet %q: outcome %q from %q not applied, the packet is leased to %q: %w", m.id, a.Outcome, a.Owner, m.holder, ErrNotInFlight)
	case m.superseded:
		s.log.Warn("late attempt outcome ignored: packet no longer in flight", "packet", m.id, "state", m.state, "owner", a.Owner)
		return fmt.Errorf("outbox: packet %q: outcome %q not applied, the packet is %s, not in_flight: %w", m.id, a.Outcome, m.state, ErrNotInFlight)
	}
	return nil
}

// Delivery is one acknowledged packet for MarkDeliveredAll.
type Delivery struct {
	ID      string
	Attempt Attempt
}

// MarkDeliveredAll is MarkDelivered for many packets in one transaction:
// under load the delivery workers' acknowledgements are written together,
// one WAL commit for the group instead of one per packet. The result has
// one error per delivery, in order, each as MarkDelivered would return it;
// an unknown packet fails alone, a storage error fails them all.
func (s *Store) MarkDeliveredAll(ctx context.Context, ds []Delivery) []error {
	errs := make([]error, len(ds))
	if len(ds) == 0 {
		return errs
	}
	now := s.now()
	marks := make([]*marking, len(ds))
	for i, d := range ds {
		marks[i], errs[i] = newMarking(d.ID, d.Attempt, OutcomeDelivered, now)
	}
	err := s.bookkeepingTx(ctx, func(tx *sql.Tx) error {
		for i, m := range marks {
			if m == nil {
				continue
			}
			if err := s.markInTx(ctx, tx, m, markDeliveredSQL, deliveredArgs); errors.Is(err, ErrNotFound) {
				errs[i] = s.markResult(m, err)
				marks[i] = nil
			} else if err != nil {
				return err
			}
		}
		return nil
	})
	for i, m := range marks {
		if m != nil {
			errs[i] = s.markResult(m, err)
		}
	}
	return errs
}

// Requeue moves the given dead packets back to pending, due now, and writes an
// audit row for each naming by. Packets that are not dead are left alone; the
// count says how many moved.
func (s *Store) Requeue(ctx context.Context, ids []string, by string) (int, error) {
	if by == "" {
		return 0, errors.New("outbox: requeue: say who asks (by is empty); it goes into the audit log")
	}
	now := ms(s.now())
	n := 0
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		upd, err := tx.PrepareContext(ctx, `UPDATE packets SET state = 'pending', next_attempt_at = ?, lease_owner = '', updated_at = ?
			WHERE id = ? AND state = 'dead'`)
		if err != nil {
			return err
		}
		defer upd.Close()
		aud, err := tx.PrepareContext(ctx, `INSERT INTO audit (at, action, actor, packet_id, detail) VALUES (?, 'requeue', ?, ?, 'dead -> pending')`)
		if err != nil {
			return err
		}
		defer aud.Close()
		for _, id := range ids {
			res, err := upd.ExecContext(ctx, now, now, id)
			if err != nil {
				return fmt.Errorf("packet %q: %w", id, err)
			}
			if k, _ := res.RowsAffected(); k == 0 {
				continue
			}
			if _, err := aud.ExecContext(ctx, now, by, id); err != nil {
				return fmt.Errorf("audit packet %q: %w", id, err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("outbox: requeue %d packets for %q, nothing changed: %w", len(ids), by, err)
	}
	s.log.Info("dead packets requeued", "count", n, "asked", len(ids), "by", by)
	return n, nil
}

// RequeueAllDead moves every dead packet back to pending, with an audit row
// for each.
func (s *Store) RequeueAllDead(ctx context.Context, by string) (int, error) {
	if by == "" {
		return 0, errors.New("outbox: requeue: say who asks (by is empty); it goes into the audit log")
	}
	now := ms(s.now())
	var n int64
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit (at, action, actor, packet_id, detail)
			SELECT ?, 'requeue', ?, id, 'dead -> pending' FROM packets WHERE state = 'dead' ORDER BY seq`, now, by); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE packets SET state = 'pending', next_attempt_at = ?, lease_owner = '', updated_at = ?
			WHERE state = 'dead'`, now, now)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("outbox: requeue all dead packets for %q, nothing changed: %w", by, err)
	}
	s.log.Info("all dead packets requeued", "count", n, "by", by)
	return int(n), nil
}
