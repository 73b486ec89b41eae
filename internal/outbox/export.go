package outbox

import (
	"context"
	"fmt"
)

// exportPage bounds memory while walking the whole store.
const exportPage = 500

// Each calls fn for every packet in state (all states when empty), oldest
// first, with its body, in pages so memory stays bounded however large
// the store. It is how packets are exported as evidence.
func (s *Store) Each(ctx context.Context, state State, fn func(Packet) error) error {
	if state != "" && !state.Valid() {
		return fmt.Errorf("outbox: export: unknown state %q", state)
	}
	var after int64
	for {
		q := `SELECT ` + packetCols + `, b.body FROM packets p JOIN packet_bodies b ON b.seq = p.seq WHERE p.seq > ?`
		args := []any{after}
		if state != "" {
			q += ` AND p.state = ?`
			args = append(args, string(state))
		}
		q += ` ORDER BY p.seq LIMIT ?`
		rows, err := s.read.QueryContext(ctx, q, append(args, exportPage)...)
		if err != nil {
			return fmt.Errorf("outbox: export: %w", err)
		}
		var page []Packet
		for rows.Next() {
			p, seq, err := scanPacket(rows, true)
			if err != nil {
				rows.Close()
				return fmt.Errorf("outbox: export: %w", err)
			}
			page = append(page, p)
			after = seq
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("outbox: export: %w", err)
		}
		for _, p := range page {
			if err := fn(p); err != nil {
				return err
			}
		}
		if len(page) < exportPage {
			return nil
		}
	}
}
