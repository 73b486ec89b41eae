package outbox

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// NewPacket is a signed packet ready to be queued. Body holds the exact bytes
// to send; they are stored once and returned verbatim.
type NewPacket struct {
	ID        string // message ID (MaGoiTin); the same on every attempt
	Stream    string // source stream; empty means the stream given to Commit
	RecordKey string // the source record's key, for tracing back
	Kind      string // packet kind (LoaiGoiTin)
	Profile   string // wire profile, e.g. "hcm-lgsp"
	Endpoint  string // where it goes
	MaHoSo    string // dossier code, when the packet concerns one
	Body      []byte
	Warnings  []string // mapping warnings kept with the packet
}

// Rejected is a source record that could not become a packet. It is kept in
// quarantine so the cursor can move on without losing sight of it.
type Rejected struct {
	ID, Stream, RecordKey, Field, Value, Reason string
	Record                                      []byte // JSON of the raw record, already masked by the caller
}

// CommitResult counts what one Commit did.
type CommitResult struct {
	Inserted    int // new packets queued
	Duplicates  int // packets whose ID was already in the outbox
	Quarantined int // new quarantine rows
}

// Commit queues packets (pending, due now), stores rejected records in
// quarantine and advances the stream's cursor, all in one transaction: either
// everything is durable or nothing changed. A packet or rejected record whose
// ID already exists is left as it is (a packet counts as a duplicate). A nil
// cursor leaves the stream's cursor unchanged.
func (s *Store) Commit(ctx context.Context, stream string, cursor []byte, pkts []NewPacket, rejected []Rejected) (CommitResult, error) {
	var res CommitResult
	if stream == "" {
		return res, errors.New("outbox: commit: stream name is empty")
	}
	rows, err := prepareRows(stream, pkts)
	if err != nil {
		return res, err
	}
	for i := range rejected {
		r := &rejected[i]
		switch {
		case r.ID == "":
			return res, fmt.Errorf("outbox: commit stream %q: rejected record %d (key %q) has no ID", stream, i, r.RecordKey)
		case r.Stream != "" && r.Stream != stream:
			return res, fmt.Errorf("outbox: commit stream %q: rejected record %q belongs to stream %q", stream, r.ID, r.Stream)
		}
	}

	now := ms(s.now())
	var changed []string // duplicates whose stored payload differs
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		ins := s.stmt(ctx, tx, insertPacketSQL)
		bodies := s.stmt(ctx, tx, insertBodySQL)
		for _, r := range rows {
			p := r.pkt
			out, err := ins.ExecContext(ctx, p.ID, r.stream, p.RecordKey, p.Kind, p.Profile, p.Endpoint,
				p.MaHoSo, r.sha, r.warnings, now, now, now)
			if err != nil {
				return fmt.Errorf("insert packet %q (record %q): %w", p.ID, p.RecordKey, err)
			}
			if n, _ := out.RowsAffected(); n == 1 {
				seq, err := out.LastInsertId()
				if err != nil {
					return fmt.Errorf("insert packet %q (record %q): %w", p.ID, p.RecordKey, err)
				}
				if _, err := bodies.ExecContext(ctx, seq, p.Body); err != nil {
					return fmt.Errorf("insert body of packet %q (record %q): %w", p.ID, p.RecordKey, err)
				}
				res.Inserted++
				continue
			}
			res.Duplicates++
			var stored string
			if err := tx.QueryRowContext(ctx, `SELECT sha256 FROM packets WHERE id = ?`, p.ID).Scan(&stored); err != nil {
				return fmt.Errorf("read duplicate packet %q: %w", p.ID, err)
			}
			if stored == r.sha {
				continue
			}
			same := false
			if s.samePayload != nil {
				var body []byte
				if err := tx.QueryRowContext(ctx, `SELECT b.body FROM packets p JOIN packet_bodies b ON b.seq = p.seq WHERE p.id = ?`, p.ID).Scan(&body); err != nil {
					return fmt.Errorf("read duplicate packet %q: %w", p.ID, err)
				}
				same = s.samePayload(body, p.Body)
			}
			if !same {
				changed = append(changed, p.ID)
			}
		}

		if len(rejected) > 0 {
			q, err := tx.PrepareContext(ctx, `INSERT INTO quarantine
				(id, stream, record_key, field, value, reason, record, at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (id) DO NOTHING`)
			if err != nil {
				return err
			}
			defer q.Close()
			for _, r := range rejected {
				record := r.Record
				if record == nil {
					record = []byte{}
				}
				out, err := q.ExecContext(ctx, r.ID, stream, r.RecordKey, r.Field, r.Value, r.Reason, record, now)
				if err != nil {
					return fmt.Errorf("quarantine record %q (key %q): %w", r.ID, r.RecordKey, err)
				}
				if n, _ := out.RowsAffected(); n == 1 {
					res.Quarantined++
				}
			}
		}

		if cursor != nil {
			if _, err := s.stmt(ctx, tx, upsertCursorSQL).ExecContext(ctx, stream, cursor, now); err != nil {
				return fmt.Errorf("advance cursor: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return CommitResult{}, fmt.Errorf("outbox: commit stream %q (%d packets, %d rejected), nothing stored: %w", stream, len(pkts), len(rejected), err)
	}
	for _, id := range changed {
		// The same message ID with other bytes: the receiver will drop the
		// resend as a duplicate, so the new content never arrives.
		s.log.Warn("packet already queued with a different payload; kept the stored one", "stream", stream, "packet", id)
	}
	s.log.Debug("outbox commit", "stream", stream, "inserted", res.Inserted, "duplicates", res.Duplicates, "quarantined", res.Quarantined)
	return res, nil
}

// Statements of Commit, prepared once (see hotWrites).
const (
	insertPacketSQL = `INSERT INTO packets
		(id, stream, record_key, kind, profile, endpoint, ma_ho_so, sha256, warnings,
		 state, created_at, next_attempt_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`
	insertBodySQL   = `INSERT INTO packet_bodies (seq, body) VALUES (?, ?)`
	upsertCursorSQL = `INSERT INTO cursors (stream, cursor, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (stream) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`
)

type packetRow struct {
	pkt      *NewPacket
	stream   string
	sha      string
	warnings string
}

// prepareRows validates the packets and computes what is stored beside them,
// before the write lock is taken.
func prepareRows(stream string, pkts []NewPacket) ([]packetRow, error) {
	rows := make([]packetRow, len(pkts))
	for i := range pkts {
		p := &pkts[i]
		switch {
		case p.ID == "":
			return nil, fmt.Errorf("outbox: commit stream %q: packet %d (record %q) has no ID", stream, i, p.RecordKey)
		case p.Stream != "" && p.Stream != stream:
			return nil, fmt.Errorf("outbox: commit stream %q: packet %q belongs to stream %q", stream, p.ID, p.Stream)
		case p.Kind == "":
			return nil, fmt.Errorf("outbox: commit stream %q: packet %q (record %q) has no kind", stream, p.ID, p.RecordKey)
		case len(p.Body) == 0:
			return nil, fmt.Errorf("outbox: commit stream %q: packet %q (record %q) has an empty body", stream, p.ID, p.RecordKey)
		}
		sum := sha256.Sum256(p.Body)
		var warnings string
		if len(p.Warnings) > 0 {
			b, err := json.Marshal(p.Warnings)
			if err != nil {
				return nil, fmt.Errorf("outbox: commit stream %q: packet %q warnings: %w", stream, p.ID, err)
			}
			warnings = string(b)
		}
		rows[i] = packetRow{pkt: p, stream: stream, sha: hex.EncodeToString(sum[:]), warnings: warnings}
	}
	return rows, nil
}

// Cursor returns the stream's last committed cursor, or nil when there is none.
func (s *Store) Cursor(ctx context.Context, stream string) ([]byte, error) {
	var c []byte
	err := s.read.QueryRowContext(ctx, `SELECT cursor FROM cursors WHERE stream = ?`, stream).Scan(&c)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("outbox: read cursor of stream %q: %w", stream, err)
	}
	if c == nil {
		c = []byte{}
	}
	return c, nil
}
