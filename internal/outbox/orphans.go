package outbox

import (
	"context"
	"fmt"
)

// Orphans are packets waiting for a parent packet that will not be sent:
// progress steps whose dossier has no packet that is pending, in flight or
// delivered (it was quarantined, went dead, or was never read). The
// receiver takes a step only after its dossier, so these wait until
// someone fixes the dossier; the connector reports them instead of
// letting them wait unseen.
type Orphans struct {
	Packets int      // waiting packets of the child kind
	MaHoSo  []string // their dossier codes, oldest first, at most the limit asked for
	More    bool     // more dossiers than MaHoSo lists
}

// orphansSQL: ?1 child kind, ?2 parent kind. Pending and in-flight
// children come from the state index, each parent check is one lookup in
// the dossier-code index.
const orphansSQL = `
	SELECT c.ma_ho_so, COUNT(*), MIN(c.created_at) FROM packets c
	WHERE c.state IN ('pending', 'in_flight') AND c.kind = ?1 AND c.ma_ho_so <> ''
	  AND NOT EXISTS (SELECT 1 FROM packets d INDEXED BY packets_ma_ho_so
	                  WHERE d.ma_ho_so = c.ma_ho_so AND d.kind = ?2
	                    AND d.state IN ('pending', 'in_flight', 'delivered'))
	GROUP BY c.ma_ho_so
	ORDER BY MIN(c.created_at), c.ma_ho_so`

// Orphans lists the waiting packets of kind child whose dossier has no
// live packet of kind parent, naming at most limit dossiers.
func (s *Store) Orphans(ctx context.Context, child, parent string, limit int) (Orphans, error) {
	var o Orphans
	rows, err := s.read.QueryContext(ctx, orphansSQL, child, parent)
	if err != nil {
		return o, fmt.Errorf("outbox: orphaned %s packets: %w", child, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			code    string
			n       int
			created int64
		)
		if err := rows.Scan(&code, &n, &created); err != nil {
			return o, fmt.Errorf("outbox: orphaned %s packets: %w", child, err)
		}
		o.Packets += n
		if len(o.MaHoSo) < limit {
			o.MaHoSo = append(o.MaHoSo, code)
		} else {
			o.More = true
		}
	}
	if err := rows.Err(); err != nil {
		return o, fmt.Errorf("outbox: orphaned %s packets: %w", child, err)
	}
	return o, nil
}
