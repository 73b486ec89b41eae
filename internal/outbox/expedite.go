package outbox

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Expedite makes every pending packet of kind created since `since` due
// now, whatever its backoff: the daily progress push uses it so the day's
// steps are tried again before the day ends. It returns how many packets
// it moved; delivered, dead and in-flight packets are untouched.
func (s *Store) Expedite(ctx context.Context, kind string, since time.Time) (int, error) {
	now := s.now()
	var n int64
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE packets SET next_attempt_at = ? WHERE state = ? AND kind = ? AND created_at >= ? AND next_attempt_at > ?`,
			ms(now), string(StatePending), kind, ms(since), ms(now))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("outbox: expedite %s: %w", kind, err)
	}
	return int(n), nil
}
