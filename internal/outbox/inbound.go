package outbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// InboundCall is one call the national portal (through LGSP) made to the
// connector's inbound API: the other direction of the delivery log. It
// holds no personal data: the dossier code and file reference identify
// what was asked for, never what was answered.
type InboundCall struct {
	At       time.Time
	Method   string
	Path     string // for file links the route pattern: the token is a credential
	Caller   string // bearer:N, cert:<subject CN>, link, or "" when not authenticated
	RemoteIP string
	MaHoSo   string
	FileRef  string
	Status   int // HTTP status sent
	Latency  time.Duration
	BytesOut int64
	Error    string // why the call failed, "" when it did not
}

// Limits on what one inbound row keeps.
const (
	maxInboundShort = 64
	maxInboundText  = 512
)

// RecordInbound appends c to the inbound log; a zero c.At means now.
func (s *Store) RecordInbound(ctx context.Context, c InboundCall) error {
	at := c.At
	if at.IsZero() {
		at = s.now()
	}
	_, err := s.write.ExecContext(ctx, `INSERT INTO inbound_calls
		(at, method, path, caller, remote_ip, ma_ho_so, file_ref, status, latency_ms, bytes_out, error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ms(at), truncateUTF8(c.Method, maxInboundShort), truncateUTF8(c.Path, maxInboundText),
		truncateUTF8(c.Caller, maxInboundText), truncateUTF8(c.RemoteIP, maxInboundShort),
		truncateUTF8(c.MaHoSo, maxInboundText), truncateUTF8(c.FileRef, maxInboundText),
		c.Status, c.Latency.Milliseconds(), c.BytesOut, truncateUTF8(c.Error, maxErrorBytes))
	if err != nil {
		return fmt.Errorf("outbox: record inbound call %s %s: %w", c.Method, c.Path, classify(err))
	}
	return nil
}

// Inbound lists inbound calls, newest first. Only f.MaHoSo, f.Since and
// f.Limit apply.
func (s *Store) Inbound(ctx context.Context, f Filter) ([]InboundCall, error) {
	limit, err := f.limit()
	if err != nil {
		return nil, err
	}
	var (
		where = []string{"at >= ?"}
		args  = []any{int64(0)}
	)
	if !f.Since.IsZero() {
		args[0] = ms(f.Since)
	}
	if f.MaHoSo != "" {
		where, args = append(where, "ma_ho_so = ?"), append(args, f.MaHoSo)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT at, method, path, caller, remote_ip, ma_ho_so, file_ref, status, latency_ms, bytes_out, error
		FROM inbound_calls WHERE `+strings.Join(where, " AND ")+` ORDER BY at DESC, seq DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("outbox: query inbound calls: %w", err)
	}
	defer rows.Close()
	var out []InboundCall
	for rows.Next() {
		var (
			c         InboundCall
			at, latMS int64
		)
		if err := rows.Scan(&at, &c.Method, &c.Path, &c.Caller, &c.RemoteIP, &c.MaHoSo, &c.FileRef, &c.Status, &latMS, &c.BytesOut, &c.Error); err != nil {
			return nil, fmt.Errorf("outbox: query inbound calls: %w", err)
		}
		c.At, c.Latency = fromMS(at), time.Duration(latMS)*time.Millisecond
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("outbox: query inbound calls: %w", err)
	}
	return out, nil
}

// PurgeInbound removes inbound calls recorded before olderThan, in chunks
// like Purge, and returns how many it removed. Run it with Purge, by the
// same retention.
func (s *Store) PurgeInbound(ctx context.Context, olderThan time.Time) (int, error) {
	if olderThan.IsZero() {
		return 0, errors.New("outbox: purge inbound calls: no cut-off time given")
	}
	n, err := s.deleteInChunks(ctx, `DELETE FROM inbound_calls WHERE seq IN (
		SELECT seq FROM inbound_calls WHERE at < ? LIMIT ?)`, ms(olderThan))
	if err != nil {
		return n, fmt.Errorf("outbox: purge inbound calls before %s (%d removed so far): %w", olderThan.Format(time.RFC3339), n, classify(err))
	}
	return n, nil
}
