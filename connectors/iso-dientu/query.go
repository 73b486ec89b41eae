package isodientu

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
)

// dialect holds what differs in the SQL we generate per driver.
type dialect struct{ driver string }

// quote quotes a column name validated by checkColumnName (which admits no
// quote characters), so quoting cannot be escaped.
func (d dialect) quote(ident string) string {
	if d.driver == DriverMySQL {
		return "`" + ident + "`"
	}
	return `"` + ident + `"`
}

// placeholder returns the n-th (1-based) bind parameter.
func (d dialect) placeholder(n int) string {
	if d.driver == DriverPostgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// nullsFirst makes PostgreSQL sort NULL keys where MySQL and SQLite do, at
// the start of their timestamp group, so a row with a NULL key is read
// (and quarantined) before the cursor passes its timestamp.
func (d dialect) nullsFirst() string {
	if d.driver == DriverPostgres {
		return " NULLS FIRST"
	}
	return ""
}

// window is the shape of the cursor predicate of one poll.
type window int

const (
	// windowAll: no cursor and no start date: everything up to now − lag.
	windowAll window = iota
	// windowFrom: no cursor yet (or one before the start date): from the
	// start date up to now − lag.
	windowFrom
	// windowAfter: strictly after the cursor (updated, key), up to now − lag.
	windowAfter
)

// streamPlan is a stream's configuration compiled into SQL.
type streamPlan struct {
	name          string
	query         string // the user's SELECT, trimmed
	updated, key  string // cursor columns
	keyType       string
	updatedFormat string // layout for text timestamps; "" = bind a time
	lag           time.Duration
	batchSize     int
	start         time.Time // zero: no start date
	children      []childPlan
	sql           [3]string // per window
	count         [3]string // per window
}

type childPlan struct {
	name   string
	query  string
	parent string
}

func compileStream(d dialect, cfg *Config, name string, loc *time.Location) *streamPlan {
	sc := cfg.Streams[name]
	sp := &streamPlan{
		name:          name,
		query:         trimStatement(sc.Query),
		updated:       sc.Cursor.Updated,
		key:           sc.Cursor.Key,
		keyType:       sc.keyType(),
		updatedFormat: cfg.updatedFormat(sc),
		lag:           sc.lag(),
		batchSize:     sc.batchSize(),
	}
	if sc.StartDate != "" {
		// Validated already.
		sp.start, _ = time.ParseInLocation(startDateLayout, sc.StartDate, loc)
	}
	for _, child := range sortedKeys(sc.Children) {
		c := sc.Children[child]
		sp.children = append(sp.children, childPlan{name: child, query: trimStatement(c.Query), parent: c.Parent})
	}
	for w := windowAll; w <= windowAfter; w++ {
		sp.sql[w] = pollSQL(d, sp.query, sp.updated, sp.key, w)
		sp.count[w] = countSQL(d, sp.query, sp.updated, sp.key, w)
	}
	return sp
}

// pollSQL wraps the user's query in the cursor window. The redundant lower
// bound in windowAfter (u >= cursor) is what lets every database use a
// range scan on an index over (updated, key): the OR alone would not.
// The query sits on its own lines so a trailing "-- comment" in it cannot
// swallow the closing parenthesis.
func pollSQL(d dialect, query, updated, key string, w window) string {
	where, n := windowSQL(d, updated, key, w)
	return "SELECT * FROM (\n" + query + "\n) src WHERE " + where +
		fmt.Sprintf(" ORDER BY src.%s, src.%s%s LIMIT %s", d.quote(updated), d.quote(key), d.nullsFirst(), d.placeholder(n+1))
}

// countSQL counts what the same window would read, for backfill progress.
func countSQL(d dialect, query, updated, key string, w window) string {
	where, _ := windowSQL(d, updated, key, w)
	return "SELECT COUNT(*) FROM (\n" + query + "\n) src WHERE " + where
}

// windowSQL is the cursor predicate of a window and its placeholder count.
func windowSQL(d dialect, updated, key string, w window) (string, int) {
	u := "src." + d.quote(updated)
	k := "src." + d.quote(key)
	n := 0
	p := func() string { n++; return d.placeholder(n) }
	switch w {
	case windowAll:
		return fmt.Sprintf("%s <= %s", u, p()), n
	case windowFrom:
		return fmt.Sprintf("%s >= %s AND %s <= %s", u, p(), u, p()), n
	default:
		return fmt.Sprintf("%s >= %s AND %s <= %s AND (%s > %s OR (%s = %s AND %s > %s))",
			u, p(), u, p(), u, p(), u, p(), k, p()), n
	}
}

// pollQuery picks the window for the cursor and binds its arguments.
func (sp *streamPlan) pollQuery(after connectors.Cursor, upper time.Time, limit int, loc *time.Location) (string, []any, error) {
	w, args, err := sp.window(after, upper, loc)
	if err != nil {
		return "", nil, err
	}
	return sp.sql[w], append(args, limit), nil
}

// countQuery is pollQuery's COUNT over the same window.
func (sp *streamPlan) countQuery(after connectors.Cursor, upper time.Time, loc *time.Location) (string, []any, error) {
	w, args, err := sp.window(after, upper, loc)
	if err != nil {
		return "", nil, err
	}
	return sp.count[w], args, nil
}

// window chooses the predicate for the cursor and binds its arguments
// (without the LIMIT).
func (sp *streamPlan) window(after connectors.Cursor, upper time.Time, loc *time.Location) (window, []any, error) {
	bt := func(t time.Time) any { return bindTime(t, loc, sp.updatedFormat) }
	switch {
	case !sp.start.IsZero() && (after.IsZero() || after.Updated.Before(sp.start)):
		return windowFrom, []any{bt(sp.start), bt(upper)}, nil
	case after.IsZero():
		return windowAll, []any{bt(upper)}, nil
	}
	key, err := bindKey(after.Key, sp.keyType)
	if err != nil {
		return 0, nil, fmt.Errorf("stream %q: cursor %s: %w", sp.name, describeCursor(after), err)
	}
	u := bt(after.Updated)
	return windowAfter, []any{u, bt(upper), u, u, key}, nil
}

// bindTime renders a cursor time for the database: as text in the stored
// layout for text columns, else as a time whose wall clock is in the
// legacy zone (what the MySQL and pgx drivers send for zone-less columns).
func bindTime(t time.Time, loc *time.Location, layout string) any {
	if layout != "" {
		return t.In(loc).Format(layout)
	}
	// Microseconds are the finest any supported database stores; a
	// nanosecond literal makes MariaDB compare as a different type and
	// give up the index range.
	return t.In(loc).Truncate(time.Microsecond)
}

// bindKey renders a cursor key for the database. The empty key means
// "before every key of this timestamp": a cursor stops there after a row
// whose key is NULL or empty. For int keys it is the smallest integer.
func bindKey(key, keyType string) (any, error) {
	if keyType == KeyString {
		return key, nil
	}
	if key == "" {
		return int64(math.MinInt64), nil
	}
	n, err := strconv.ParseInt(key, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("key %q is not an integer but cursor.key_type is int; was key_type changed? reset the stream's cursor", key)
	}
	return n, nil
}

func describeCursor(c connectors.Cursor) string {
	if c.IsZero() {
		return "(start)"
	}
	return fmt.Sprintf("(%s, %q)", c.Updated.Format(time.RFC3339Nano), c.Key)
}

// oneLine shortens a query for an error message.
func oneLine(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	const max = 300
	if r := []rune(q); len(r) > max {
		return string(r[:max]) + "…"
	}
	return q
}
