package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
)

// applicationID marks the file as an lgsp-connector outbox ("LGSP"), so Open
// refuses to add tables to some other SQLite file it was pointed at by mistake.
const applicationID = 0x4C475350

// migrations[i] takes the schema from version i to i+1. Append only: a
// released migration is never edited, because files in the field ran it.
var migrations = []string{
	// 1: packets, attempts, quarantine, cursors, audit, meta.
	`
CREATE TABLE packets (
	seq             INTEGER PRIMARY KEY AUTOINCREMENT, -- creation order
	id              TEXT    NOT NULL UNIQUE,           -- message ID (MaGoiTin)
	stream          TEXT    NOT NULL,
	record_key      TEXT    NOT NULL,
	kind            TEXT    NOT NULL,
	profile         TEXT    NOT NULL,
	endpoint        TEXT    NOT NULL,
	ma_ho_so        TEXT    NOT NULL,
	body            BLOB    NOT NULL,                  -- signed bytes, sent verbatim
	sha256          TEXT    NOT NULL,                  -- hex SHA-256 of body
	warnings        TEXT    NOT NULL,                  -- JSON array, '' when none
	state           TEXT    NOT NULL CHECK (state IN ('pending', 'in_flight', 'delivered', 'dead')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	created_at      INTEGER NOT NULL,                  -- Unix ms, like every instant here
	next_attempt_at INTEGER NOT NULL,                  -- for in_flight: the lease expiry
	lease_owner     TEXT    NOT NULL DEFAULT '',
	delivered_at    INTEGER,
	last_error      TEXT    NOT NULL DEFAULT '',
	last_status     INTEGER NOT NULL DEFAULT 0,
	updated_at      INTEGER NOT NULL
);
CREATE INDEX packets_due      ON packets (state, next_attempt_at);
CREATE INDEX packets_state    ON packets (state, created_at);
CREATE INDEX packets_ma_ho_so ON packets (ma_ho_so, created_at);
CREATE INDEX packets_stream   ON packets (stream, created_at);
CREATE INDEX packets_created  ON packets (created_at);

CREATE TABLE attempts (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	packet_id   TEXT    NOT NULL REFERENCES packets (id) ON DELETE CASCADE,
	at          INTEGER NOT NULL,
	endpoint    TEXT    NOT NULL,
	http_status INTEGER NOT NULL,
	latency_ms  INTEGER NOT NULL,
	excerpt     TEXT    NOT NULL,
	error       TEXT    NOT NULL,
	outcome     TEXT    NOT NULL CHECK (outcome IN ('delivered', 'retry', 'throttled', 'dead')),
	owner       TEXT    NOT NULL,
	superseded  INTEGER NOT NULL -- 1: the lease was already lost, the outcome changed nothing
);
CREATE INDEX attempts_packet ON attempts (packet_id);

CREATE TABLE quarantine (
	id         TEXT    PRIMARY KEY,
	stream     TEXT    NOT NULL,
	record_key TEXT    NOT NULL,
	field      TEXT    NOT NULL,
	value      TEXT    NOT NULL,
	reason     TEXT    NOT NULL,
	record     BLOB    NOT NULL,
	at         INTEGER NOT NULL
);
CREATE INDEX quarantine_at     ON quarantine (at);
CREATE INDEX quarantine_stream ON quarantine (stream, at);

CREATE TABLE cursors (
	stream     TEXT    PRIMARY KEY,
	cursor     BLOB    NOT NULL,
	updated_at INTEGER NOT NULL
);

CREATE TABLE audit (
	seq       INTEGER PRIMARY KEY AUTOINCREMENT,
	at        INTEGER NOT NULL,
	action    TEXT    NOT NULL,
	actor     TEXT    NOT NULL,
	packet_id TEXT    NOT NULL,
	detail    TEXT    NOT NULL
);
CREATE INDEX audit_at ON audit (at);

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
`,
	// 2: inbound_calls, the log of calls the national portal made to the
	// connector's inbound API (inbound.go).
	`
CREATE TABLE inbound_calls (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	at         INTEGER NOT NULL,           -- Unix ms, when the call arrived
	method     TEXT    NOT NULL,
	path       TEXT    NOT NULL,           -- route pattern for file links: the token is a credential
	caller     TEXT    NOT NULL,           -- bearer:N, cert:CN, link, or '' when unauthenticated
	remote_ip  TEXT    NOT NULL,
	ma_ho_so   TEXT    NOT NULL,
	file_ref   TEXT    NOT NULL,
	status     INTEGER NOT NULL,           -- HTTP status sent
	latency_ms INTEGER NOT NULL,
	bytes_out  INTEGER NOT NULL,
	error      TEXT    NOT NULL            -- why the call failed, without personal data
);
CREATE INDEX inbound_calls_at       ON inbound_calls (at);
CREATE INDEX inbound_calls_ma_ho_so ON inbound_calls (ma_ho_so, at);
`,
	// 3: packet bodies in a table of their own. A lease or an outcome
	// changes a packet's row; with the signed bytes (several KiB, on
	// overflow pages) in that row SQLite rewrote them on every change —
	// three copies of each body through the WAL. Now a body is written once.
	`
CREATE TABLE packet_bodies (
	seq  INTEGER PRIMARY KEY REFERENCES packets (seq) ON DELETE CASCADE,
	body BLOB    NOT NULL -- signed bytes, sent verbatim
);
INSERT INTO packet_bodies (seq, body) SELECT seq, body FROM packets;
ALTER TABLE packets DROP COLUMN body;
`,
}

// schemaVersion is the schema version this code writes (PRAGMA user_version).
var schemaVersion = len(migrations)

// migrate checks the file is ours and applies the missing migrations in one
// transaction. Two processes opening a fresh file at once are serialised by
// BEGIN IMMEDIATE; the second finds the work done.
func (s *Store) migrate(ctx context.Context) error {
	appID, version, err := s.identity(ctx, s.write)
	if err != nil {
		return err
	}
	if err := s.checkIdentity(ctx, appID, version, s.write); err != nil {
		return err
	}
	if version == schemaVersion {
		return nil
	}
	var from int
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		appID, version, err := s.identity(ctx, tx)
		if err != nil {
			return err
		}
		if err := s.checkIdentity(ctx, appID, version, tx); err != nil {
			return err
		}
		from = version
		for v := version; v < schemaVersion; v++ {
			if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
				return fmt.Errorf("outbox: migrate %q to schema version %d: %w", s.path, v+1, err)
			}
		}
		// PRAGMAs take no parameters; both values are our own integers.
		if _, err := tx.ExecContext(ctx, "PRAGMA application_id = "+strconv.Itoa(applicationID)); err != nil {
			return fmt.Errorf("outbox: migrate %q: %w", s.path, err)
		}
		if _, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(schemaVersion)); err != nil {
			return fmt.Errorf("outbox: migrate %q: %w", s.path, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("outbox: prepare %q: %w", s.path, err)
	}
	if from < schemaVersion {
		s.log.Info("outbox schema migrated", "path", s.path, "from", from, "to", schemaVersion)
	}
	return nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) identity(ctx context.Context, q queryer) (appID, version int, err error) {
	if err := q.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		if err := classify(err); errors.Is(err, ErrStoreFull) {
			return 0, 0, fmt.Errorf("outbox: open %q: %w", s.path, err)
		}
		return 0, 0, fmt.Errorf("outbox: read %q: %w; is it an SQLite file?", s.path, err)
	}
	if err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return 0, 0, fmt.Errorf("outbox: read %q: %w", s.path, err)
	}
	return appID, version, nil
}

func (s *Store) checkIdentity(ctx context.Context, appID, version int, q queryer) error {
	switch {
	case appID == applicationID && version > schemaVersion:
		return fmt.Errorf("outbox: %q has schema version %d, newer than this lgsp-connector understands (%d); upgrade lgsp-connector", s.path, version, schemaVersion)
	case appID == applicationID:
		return nil
	case appID != 0:
		return fmt.Errorf("outbox: %q is not an lgsp-connector outbox (application_id %#x); point the outbox path at another file", s.path, appID)
	}
	var tables int
	if err := q.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&tables); err != nil {
		return fmt.Errorf("outbox: read %q: %w", s.path, err)
	}
	if tables > 0 || version != 0 {
		return errors.New("outbox: " + strconv.Quote(s.path) + " is an SQLite file of some other program, not an lgsp-connector outbox; point the outbox path at another file")
	}
	return nil
}
