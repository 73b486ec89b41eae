package main

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// explainPolls re-runs each poll statement the proxy saw, bound the way an
// idle poll binds it (cursor at the newest row, upper = now − lag), on a
// connection set up like the connector's (parseTime, loc, time_zone):
// EXPLAIN, then the query itself between FLUSH STATUS and SHOW SESSION
// STATUS, which counts the index entries and rows one poll touches. It
// does so twice: with the upper bound as the driver sends a time.Time
// (nanoseconds) and truncated to microseconds.
func explainPolls(ctx context.Context, dsn string, lag time.Duration, statements map[string]string) ([]string, error) {
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		return nil, err
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	cfg.ParseTime, cfg.Loc = true, loc
	cfg.Params = map[string]string{"time_zone": "'+07:00'"}
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // FLUSH STATUS and SHOW SESSION STATUS on the same session
	// The poll in its idle shape: strictly after a cursor, below now − lag
	// (six placeholders; the first poll's shapes have fewer).
	var texts []string
	for full, short := range statements {
		if strings.HasPrefix(short, "SELECT * FROM ( SELECT") && strings.HasSuffix(short, "]") && strings.Count(full, "?") == 6 {
			texts = append(texts, full)
		}
	}
	sort.Strings(texts)
	var out []string
	for _, q := range texts {
		short := statements[q]
		table := short[strings.LastIndexByte(short, '[')+1 : len(short)-1]
		var cur time.Time
		var key int64
		if err := db.QueryRowContext(ctx, "SELECT ngay_cap_nhat, id FROM "+table+" ORDER BY ngay_cap_nhat DESC, id DESC LIMIT 1").Scan(&cur, &key); err != nil {
			return out, fmt.Errorf("newest row of %s: %w", table, err)
		}
		out = append(out, fmt.Sprintf("%s (cursor %s / %d):", table, cur.Format("2006-01-02 15:04:05"), key))
		upper := time.Now().In(loc).Add(-lag)
		if upper.Nanosecond()%1000 == 0 {
			upper = upper.Add(123 * time.Nanosecond) // show the nanosecond case even on a lucky clock
		}
		for _, v := range []struct {
			name  string
			upper time.Time
		}{{"upper bound as sent (ns)", upper}, {"upper bound truncated to µs", upper.Truncate(time.Microsecond)}} {
			args := []any{cur, v.upper, cur, cur, key, 500}
			plan, err := explainRow(ctx, db, q, args)
			if err != nil {
				return out, err
			}
			touched, err := handlerReads(ctx, db, q, args)
			if err != nil {
				return out, err
			}
			out = append(out, fmt.Sprintf("  %-28s %s; one poll touches: %s", v.name+":", plan, touched))
		}
	}
	return out, nil
}

func explainRow(ctx context.Context, db *sql.DB, q string, args []any) (string, error) {
	rows, err := db.QueryContext(ctx, "EXPLAIN "+q, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	var parts []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		for i, c := range cols {
			switch c {
			case "table", "type", "key", "rows", "Extra":
				parts = append(parts, c+"="+vals[i].String)
			}
		}
	}
	return strings.Join(parts, " "), rows.Err()
}

func handlerReads(ctx context.Context, db *sql.DB, q string, args []any) (string, error) {
	if _, err := db.ExecContext(ctx, "FLUSH STATUS"); err != nil {
		return "", err
	}
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return "", err
	}
	for rows.Next() {
	}
	rows.Close()
	st, err := db.QueryContext(ctx, "SHOW SESSION STATUS WHERE Variable_name IN ('Handler_read_key','Handler_read_next','Handler_read_rnd_next')")
	if err != nil {
		return "", err
	}
	defer st.Close()
	var parts []string
	for st.Next() {
		var k, v string
		if err := st.Scan(&k, &v); err != nil {
			return "", err
		}
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, " "), st.Err()
}
