package isodientu

import (
	"context"
	"fmt"
	"strings"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
)

// LookupConfig is source.streams.<name>.lookup: how to find one row of
// the stream by its dossier code, for the inbound lookup the national
// portal calls (TraCuuHoSo). Without it the stream cannot be looked up.
type LookupConfig struct {
	// Column is the column of the stream query holding MaHoSo, e.g.
	// so_ho_so. It should be indexed in the legacy table: the lookup
	// answers while the portal waits.
	Column string `mapstructure:"column"`
}

func (l LookupConfig) validate(path string) []error {
	if l.Column == "" {
		return nil // no lookup on this stream
	}
	if msg := checkColumnName(l.Column, "the column holding MaHoSo"); msg != "" {
		return []error{fmt.Errorf("%s.column: %s", path, msg)}
	}
	return nil
}

// lookupSQL wraps the stream's query in an equality on the lookup column.
// LIMIT 2 is enough to tell "one" from "several" without reading a
// thousand rows when the column is not unique.
func lookupSQL(d dialect, query, column string) string {
	return "SELECT * FROM (\n" + query + "\n) src WHERE src." + d.quote(column) + " = " + d.placeholder(1) + " LIMIT 2"
}

// CanLookup reports whether stream has a lookup column (see
// connectors.LookuperOf).
func (s *Source) CanLookup(stream string) bool {
	sc, ok := s.cfg.Streams[stream]
	return ok && sc.Lookup.Column != ""
}

// Lookup returns the stream's row whose lookup column equals maHoSo, with
// its child lists, as Read would give it. The lag window and start date do
// not apply: the portal asks about the dossier as it is now.
//
// A row whose update time cannot be read is still returned (its position
// in the stream does not matter here); a row whose key cannot be read is
// returned with its *connectors.RecordError attached and no child lists,
// because children are found by key.
func (s *Source) Lookup(ctx context.Context, stream, maHoSo string) (connectors.Record, bool, error) {
	sp, err := s.plan(stream)
	if err != nil {
		return connectors.Record{}, false, err
	}
	column := s.cfg.Streams[stream].Lookup.Column
	if column == "" {
		return connectors.Record{}, false, fmt.Errorf("iso_dientu: stream %q cannot be looked up by MaHoSo: set %s.streams.%s.lookup.column to the column holding it (e.g. so_ho_so)",
			stream, keyPrefix, stream)
	}
	db, err := s.handle()
	if err != nil {
		return connectors.Record{}, false, err
	}
	query := lookupSQL(s.dialect, sp.query, column)
	qctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	records, err := s.readRecords(qctx, db, sp, query, []any{maHoSo}, connectors.Cursor{})
	if err != nil {
		return connectors.Record{}, false, err
	}
	switch len(records) {
	case 0:
		return connectors.Record{}, false, nil
	case 1:
	default:
		return connectors.Record{}, false, fmt.Errorf("iso_dientu: stream %q: lookup of MaHoSo %q: %w; make %s unique or narrow the stream query",
			stream, maHoSo, connectors.ErrAmbiguous, column)
	}
	rec := records[0]
	if re := connectors.RecordErrorOf(rec); re != nil && strings.EqualFold(re.Field, sp.updated) && rec.Key != "" {
		if _, err := bindKey(rec.Key, sp.keyType); err == nil {
			delete(rec.Values, connectors.RecordErrorKey)
		}
	}
	if err := s.attachChildren(ctx, db, sp, records); err != nil {
		return connectors.Record{}, false, err
	}
	return records[0], true, nil
}

var _ connectors.Lookuper = (*Source)(nil)
