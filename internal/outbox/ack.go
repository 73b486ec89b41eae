package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// DossierAcknowledged reports whether a dossier packet (kind HoSo) for
// maHoSo has been delivered: the portal then knows the dossier, so a
// resend is an update and its progress steps may follow.
func (s *Store) DossierAcknowledged(ctx context.Context, maHoSo string) (bool, error) {
	var one int
	err := s.read.QueryRowContext(ctx,
		`SELECT 1 FROM packets WHERE ma_ho_so = ? AND kind = 'HoSo' AND state = ? LIMIT 1`,
		maHoSo, string(StateDelivered)).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("outbox: dossier %q acknowledged: %w", maHoSo, err)
	}
	return true, nil
}
