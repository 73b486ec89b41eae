package isodientu

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
)

// StatisticsConfig is source.streams.<name>.statistics: the columns of the
// stream query the monthly statistics read a period by (ReadPeriod).
// Without it the stream cannot be read by period. Index both columns in
// the legacy table: the period is read as index ranges, not a scan of
// all history.
type StatisticsConfig struct {
	// Received is the column holding the receipt time (NgayTiepNhan), e.g.
	// ngay_nhan.
	Received string `mapstructure:"received"`
	// Finished is the column holding the end of processing
	// (NgayKetThucXuLy), NULL while the dossier is open, e.g. ngay_ket_thuc.
	// For a stream of events that happen once (survey answers, processing
	// steps) it is the same column as Received: the period then holds the
	// rows dated in it, read as one index range.
	Finished string `mapstructure:"finished"`
	// Format is the Go layout of the two columns when they hold text. The
	// period's bounds are then compared as text, so the layout must sort
	// like time (year first), e.g. 2006-01-02 15:04:05. Default: empty (real
	// date types) for mysql and postgres, 2006-01-02 15:04:05 for sqlite.
	Format string `mapstructure:"format"`
}

func (c StatisticsConfig) enabled() bool { return c != StatisticsConfig{} }

func (c StatisticsConfig) validate(path string) []error {
	if !c.enabled() {
		return nil // no statistics from this stream
	}
	var errs []error
	add := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", path, key, fmt.Sprintf(format, args...)))
	}
	if msg := checkColumnName(c.Received, "the column holding the receipt time (NgayTiepNhan), e.g. ngay_nhan"); msg != "" {
		add("received", "%s", msg)
	}
	if msg := checkColumnName(c.Finished, "the column holding the end of processing (NgayKetThucXuLy), e.g. ngay_ket_thuc"); msg != "" {
		add("finished", "%s", msg)
	}
	if f := c.Format; f != "" && !sortsLikeTime(f) {
		add("format", "%q is not a Go time layout down to the second whose text sorts like time (year first), e.g. 2006-01-02 15:04:05", f)
	}
	return errs
}

// sortsLikeTime reports whether layout keeps every instant to the second
// and orders instants as text compares them, which the period's text
// bounds rely on.
func sortsLikeTime(layout string) bool {
	probes := []time.Time{
		time.Date(2024, 12, 31, 23, 59, 58, 0, time.UTC),
		time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 1, 9, 9, 9, 9, 0, time.UTC),
		time.Date(2025, 1, 10, 10, 0, 0, 0, time.UTC),
		time.Date(2025, 10, 2, 13, 0, 0, 0, time.UTC),
		time.Date(2025, 11, 1, 0, 0, 1, 0, time.UTC),
	}
	prev := ""
	for i, t := range probes {
		s := t.Format(layout)
		if back, err := time.Parse(layout, s); err != nil || !back.Equal(t) {
			return false
		}
		if i > 0 && s <= prev {
			return false
		}
		prev = s
	}
	return true
}

// format is the layout period bounds are bound in; "" binds a time.
func (c StatisticsConfig) format(driver string) string {
	if c.Format == "" && driver == DriverSQLite {
		return DefaultSQLiteLayout
	}
	return c.Format
}

// periodSQL selects the rows a period's statistics depend on as three
// disjoint parts, each an index range on one column, so a month costs the
// rows it concerns, not a scan of all history:
//
//	received in [from, to)                        — range on received
//	received before from, finished on/after from  — range on finished
//	received before from, not finished (NULL)     — NULL lookup on finished
//
// Rows received on/after to, or finished before from, are in no part. The
// query sits on its own lines so a trailing "-- comment" in it cannot
// swallow what follows.
func periodSQL(d dialect, query, received, finished string) string {
	r, f := "src."+d.quote(received), "src."+d.quote(finished)
	n := 0
	p := func() string { n++; return d.placeholder(n) }
	part := func(where string) string { return "SELECT * FROM (\n" + query + "\n) src WHERE " + where }
	return part(fmt.Sprintf("%s >= %s AND %s < %s", r, p(), r, p())) +
		"\nUNION ALL\n" + part(fmt.Sprintf("%s < %s AND %s >= %s", r, p(), f, p())) +
		"\nUNION ALL\n" + part(fmt.Sprintf("%s < %s AND %s IS NULL", r, p(), f))
}

// events reports whether the stream's rows are events dated by one column
// (received and finished name the same column).
func (c StatisticsConfig) events() bool { return strings.EqualFold(c.Received, c.Finished) }

// eventsSQL selects the rows dated in [from, to): one range on the column.
func eventsSQL(d dialect, query, column string) string {
	c := "src." + d.quote(column)
	return "SELECT * FROM (\n" + query + "\n) src WHERE " + c + " >= " + d.placeholder(1) + " AND " + c + " < " + d.placeholder(2)
}

// periodQuery is the statement and arguments of ReadPeriod.
func (s *Source) periodQuery(stream string, from, to time.Time) (*streamPlan, StatisticsConfig, string, []any, error) {
	sp, err := s.plan(stream)
	if err != nil {
		return nil, StatisticsConfig{}, "", nil, err
	}
	sc := s.cfg.Streams[sp.name].Statistics
	if !sc.enabled() {
		return nil, sc, "", nil, fmt.Errorf("iso_dientu: stream %q cannot be read by period: set %s.streams.%s.statistics.received and .finished to its receipt and end columns (e.g. received: ngay_nhan, finished: ngay_ket_thuc): %w",
			stream, keyPrefix, stream, errors.ErrUnsupported)
	}
	if !from.Before(to) {
		return nil, sc, "", nil, fmt.Errorf("iso_dientu: stream %q: period from %s to %s is empty; from must be before to", stream, from, to)
	}
	layout := sc.format(s.cfg.Driver)
	f, t := bindTime(from, s.loc, layout), bindTime(to, s.loc, layout)
	if sc.events() {
		return sp, sc, eventsSQL(s.dialect, sp.query, sc.Received), []any{f, t}, nil
	}
	return sp, sc, periodSQL(s.dialect, sp.query, sc.Received, sc.Finished), []any{f, t, f, f, f}, nil
}

// ReadPeriod hands fn every row of stream that the statistics of the
// period [from, to) depend on (see connectors.PeriodReader), streaming
// them in one query bounded by the query timeout. Child lists are not read;
// each is present as nil, which the mapping takes as "no rows".
func (s *Source) ReadPeriod(ctx context.Context, stream string, from, to time.Time, fn func(connectors.Record) error) error {
	sp, sc, query, args, err := s.periodQuery(stream, from, to)
	if err != nil {
		return err
	}
	db, err := s.handle()
	if err != nil {
		return err
	}
	qctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	s.hook(query)
	rows, err := db.QueryxContext(qctx, query, args...)
	if err != nil {
		return s.queryError(sp.name, "period", sp.query, err)
	}
	defer rows.Close()
	cols, err := readColumns(rows.Rows, "stream "+quoteName(sp.name), s.cfg.Driver)
	if err != nil {
		return err
	}
	for _, c := range []struct{ name, key string }{{sc.Received, "statistics.received"}, {sc.Finished, "statistics.finished"}, {sp.key, "cursor.key"}} {
		resolved, err := cols.find(c.name, c.key, sp.name)
		if err != nil {
			return err
		}
		if c.key == "cursor.key" {
			cols.key = resolved
		}
	}
	for rows.Next() {
		values, err := cols.scan(rows.Rows, s.loc)
		if err != nil {
			return s.queryError(sp.name, "period", sp.query, err)
		}
		for _, child := range sp.children {
			values[child.name] = nil
		}
		key, kerr := parseKey(values[cols.key], sp.keyType)
		if kerr != nil {
			key = keyOrRaw("", values[cols.key])
		}
		if err := fn(connectors.Record{Stream: sp.name, Key: key, Values: values}); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return s.queryError(sp.name, "period", sp.query, err)
	}
	return nil
}

// ExplainPeriod returns the database's plan for ReadPeriod of [from, to)
// as text, and the tables it would read in full (none when the received
// and finished columns are indexed and the period is selective).
func (s *Source) ExplainPeriod(ctx context.Context, stream string, from, to time.Time) (plan string, fullScans []string, err error) {
	sp, _, query, args, err := s.periodQuery(stream, from, to)
	if err != nil {
		return "", nil, err
	}
	db, err := s.handle()
	if err != nil {
		return "", nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	conn, err := db.Connx(cctx)
	if err != nil {
		return "", nil, s.queryError(sp.name, "EXPLAIN of the period", sp.query, err)
	}
	defer conn.Close()
	prefix := "EXPLAIN "
	switch s.cfg.Driver {
	case DriverSQLite:
		prefix = "EXPLAIN QUERY PLAN "
	case DriverPostgres:
		// As for the poll: ask whether an index can serve, not whether a
		// small test table is cheaper to scan.
		if _, err := conn.ExecContext(cctx, "SET enable_seqscan = off"); err != nil {
			return "", nil, s.queryError(sp.name, "EXPLAIN of the period", sp.query, err)
		}
		defer func() { _, _ = conn.ExecContext(context.Background(), "RESET enable_seqscan") }()
	}
	s.hook(prefix + query)
	rows, err := conn.QueryxContext(cctx, prefix+query, args...)
	if err != nil {
		return "", nil, s.queryError(sp.name, "EXPLAIN of the period", sp.query, err)
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return "", nil, err
	}
	var table [][]string
	for rows.Next() {
		vals, err := rows.SliceScan()
		if err != nil {
			return "", nil, err
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
			case []byte:
				row[i] = string(x)
			default:
				row[i] = fmt.Sprint(x)
			}
		}
		table = append(table, row)
	}
	if err := rows.Err(); err != nil {
		return "", nil, err
	}
	qp := analysePlan(s.cfg.Driver, names, table)
	for _, t := range qp.scanned {
		// MySQL names a union's temporary result <union1,2,3>: not a table.
		if !strings.HasPrefix(t, "<") {
			fullScans = append(fullScans, t)
		}
	}
	return qp.text, fullScans, nil
}

var _ connectors.PeriodReader = (*Source)(nil)
