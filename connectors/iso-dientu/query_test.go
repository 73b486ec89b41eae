package isodientu

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
)

func TestPollSQL(t *testing.T) {
	q := "SELECT id, ngay_cap_nhat FROM hs_hoso -- comment"
	tests := []struct {
		driver string
		w      window
		want   string
	}{
		{DriverMySQL, windowAll, "SELECT * FROM (\n" + q + "\n) src WHERE src.`ngay_cap_nhat` <= ? ORDER BY src.`ngay_cap_nhat`, src.`id` LIMIT ?"},
		{DriverMySQL, windowFrom, "SELECT * FROM (\n" + q + "\n) src WHERE src.`ngay_cap_nhat` >= ? AND src.`ngay_cap_nhat` <= ? ORDER BY src.`ngay_cap_nhat`, src.`id` LIMIT ?"},
		{DriverMySQL, windowAfter, "SELECT * FROM (\n" + q + "\n) src WHERE src.`ngay_cap_nhat` >= ? AND src.`ngay_cap_nhat` <= ? AND (src.`ngay_cap_nhat` > ? OR (src.`ngay_cap_nhat` = ? AND src.`id` > ?)) ORDER BY src.`ngay_cap_nhat`, src.`id` LIMIT ?"},
		{DriverPostgres, windowAfter, "SELECT * FROM (\n" + q + "\n) src WHERE src.\"ngay_cap_nhat\" >= $1 AND src.\"ngay_cap_nhat\" <= $2 AND (src.\"ngay_cap_nhat\" > $3 OR (src.\"ngay_cap_nhat\" = $4 AND src.\"id\" > $5)) ORDER BY src.\"ngay_cap_nhat\", src.\"id\" NULLS FIRST LIMIT $6"},
		{DriverSQLite, windowFrom, "SELECT * FROM (\n" + q + "\n) src WHERE src.\"ngay_cap_nhat\" >= ? AND src.\"ngay_cap_nhat\" <= ? ORDER BY src.\"ngay_cap_nhat\", src.\"id\" LIMIT ?"},
	}
	for _, tc := range tests {
		if got := pollSQL(dialect{tc.driver}, q, "ngay_cap_nhat", "id", tc.w); got != tc.want {
			t.Errorf("%s window %d:\n got  %s\n want %s", tc.driver, tc.w, got, tc.want)
		}
	}
}

func TestPollQueryWindowAndArgs(t *testing.T) {
	upper := time.Date(2025, 1, 1, 12, 0, 0, 0, vn)
	at := time.Date(2024, 3, 1, 8, 0, 0, 0, vn)
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, vn)
	plan := func(driver, keyType string, start time.Time) *streamPlan {
		cfg := &Config{Driver: driver, Streams: map[string]StreamConfig{"ho_so": {
			Query: "SELECT 1", Cursor: CursorConfig{Updated: "u", Key: "k", KeyType: keyType},
		}}}
		sp := compileStream(dialect{driver}, cfg, "ho_so", vn)
		sp.start = start
		return sp
	}
	tests := []struct {
		name   string
		sp     *streamPlan
		after  connectors.Cursor
		window window
		args   []any
	}{
		{"zero cursor, no start date", plan(DriverMySQL, KeyInt, time.Time{}), connectors.Cursor{}, windowAll, []any{upper, 50}},
		{"zero cursor, start date", plan(DriverMySQL, KeyInt, start), connectors.Cursor{}, windowFrom, []any{start, upper, 50}},
		{"cursor before start date", plan(DriverMySQL, KeyInt, start), connectors.Cursor{Updated: start.Add(-time.Hour), Key: "9"}, windowFrom, []any{start, upper, 50}},
		{"int cursor", plan(DriverMySQL, KeyInt, start), connectors.Cursor{Updated: at, Key: "10"}, windowAfter, []any{at, upper, at, at, int64(10), 50}},
		{"empty int key", plan(DriverMySQL, KeyInt, time.Time{}), connectors.Cursor{Updated: at}, windowAfter, []any{at, upper, at, at, int64(math.MinInt64), 50}},
		{"string key", plan(DriverPostgres, KeyString, time.Time{}), connectors.Cursor{Updated: at, Key: "HS-10"}, windowAfter, []any{at, upper, at, at, "HS-10", 50}},
		{"sqlite binds text", plan(DriverSQLite, KeyInt, time.Time{}), connectors.Cursor{Updated: at.UTC(), Key: "3"},
			windowAfter, []any{"2024-03-01 08:00:00", "2025-01-01 12:00:00", "2024-03-01 08:00:00", "2024-03-01 08:00:00", int64(3), 50}},
	}
	for _, tc := range tests {
		query, args, err := tc.sp.pollQuery(tc.after, upper, 50, vn)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if query != tc.sp.sql[tc.window] {
			t.Errorf("%s: used window %q, want window %d", tc.name, query, tc.window)
		}
		if !sameArgs(args, tc.args) {
			t.Errorf("%s: args %v, want %v", tc.name, args, tc.args)
		}
	}
	_, _, err := plan(DriverMySQL, KeyInt, time.Time{}).pollQuery(connectors.Cursor{Updated: at, Key: "HS-1"}, upper, 50, vn)
	if err == nil || !strings.Contains(err.Error(), "key_type") {
		t.Errorf("non-integer cursor key with key_type int: %v", err)
	}
}

// sameArgs compares bound arguments, times by instant and zone.
func sameArgs(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		ta, oka := a[i].(time.Time)
		tb, okb := b[i].(time.Time)
		if oka && okb {
			if !ta.Equal(tb) || ta.Location() != vn {
				return false
			}
			continue
		}
		if !reflect.DeepEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestAnalysePlan(t *testing.T) {
	mysqlCols := []string{"id", "select_type", "table", "type", "possible_keys", "key", "key_len", "ref", "rows", "Extra"}
	tests := []struct {
		name    string
		driver  string
		cols    []string
		rows    [][]string
		full    bool
		scanned []string
	}{
		{"mysql range", DriverMySQL, mysqlCols, [][]string{{"1", "SIMPLE", "hs_hoso", "range", "idx", "idx", "13", "", "1", "Using index condition"}}, false, nil},
		{"mysql no index", DriverMySQL, mysqlCols, [][]string{{"1", "SIMPLE", "hs_hoso", "ALL", "", "", "", "", "12", "Using where; Using filesort"}}, true, []string{"hs_hoso"}},
		{"mysql small table", DriverMySQL, mysqlCols, [][]string{{"1", "SIMPLE", "hs_hoso", "ALL", "idx", "", "", "", "12", "Using where"}}, false, nil},
		{"mysql large table scan", DriverMySQL, mysqlCols, [][]string{{"1", "SIMPLE", "hs_hoso", "ALL", "PRIMARY", "", "", "", "10266", "Using where"}}, true, []string{"hs_hoso"}},
		{"mysql full index scan", DriverMySQL, mysqlCols, [][]string{{"1", "SIMPLE", "hs_hoso", "index", "", "PRIMARY", "4", "", "5000", ""}}, true, []string{"hs_hoso"}},
		{"mysql materialised", DriverMySQL, mysqlCols, [][]string{
			{"1", "PRIMARY", "<derived2>", "ALL", "", "", "", "", "3", "Using filesort"},
			{"2", "DERIVED", "hs_hoso", "range", "idx", "idx", "5", "", "3", ""}}, true, []string{"<derived2>"}},
		{"postgres index", DriverPostgres, []string{"QUERY PLAN"}, [][]string{{"Limit"}, {"  ->  Index Scan using idx on hs_hoso"}}, false, nil},
		{"postgres seq", DriverPostgres, []string{"QUERY PLAN"}, [][]string{{"Limit"}, {"  ->  Seq Scan on hs_hoso  (cost=0.00..1.00)"}}, true, []string{"hs_hoso"}},
		{"sqlite search", DriverSQLite, []string{"id", "parent", "notused", "detail"}, [][]string{{"3", "0", "0", "SEARCH hs USING INDEX hs_cursor (cap_nhat>? AND cap_nhat<?)"}}, false, nil},
		{"sqlite scan", DriverSQLite, []string{"id", "parent", "notused", "detail"}, [][]string{{"3", "0", "0", "SCAN hs"}, {"9", "0", "0", "USE TEMP B-TREE FOR ORDER BY"}}, true, []string{"hs"}},
		{"sqlite constant", DriverSQLite, []string{"id", "parent", "notused", "detail"}, [][]string{{"1", "0", "0", "SCAN CONSTANT ROW"}}, false, nil},
	}
	for _, tc := range tests {
		p := analysePlan(tc.driver, tc.cols, tc.rows)
		if p.fullScan != tc.full || !reflect.DeepEqual(p.scanned, tc.scanned) {
			t.Errorf("%s: full scan %v of %v, want %v of %v\n%s", tc.name, p.fullScan, p.scanned, tc.full, tc.scanned, p.text)
		}
		if p.text == "" {
			t.Errorf("%s: empty plan text", tc.name)
		}
	}
}

func TestOneLine(t *testing.T) {
	if got := oneLine("SELECT a,\n\t b\n  FROM t"); got != "SELECT a, b FROM t" {
		t.Errorf("oneLine = %q", got)
	}
	long := oneLine(strings.Repeat("ă ", 400))
	if r := []rune(long); len(r) != 301 || !strings.HasSuffix(long, "…") {
		t.Errorf("long query shortened to %d runes", len(r))
	}
}
