package isodientu

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	"github.com/jmoiron/sqlx"
)

// Check runs the doctor's checks on the legacy database: connection,
// SELECT permission and cursor columns of every stream and child query,
// the poll query's plan (index or full scan), rows invisible to the
// cursor (NULL update time) and clock skew. It runs them all even after
// failures and needs no Start (it opens its own connection if needed).
func (s *Source) Check(ctx context.Context) []connectors.CheckResult {
	db, err := s.handle()
	if err != nil {
		db, err = s.connect(ctx)
		if err != nil {
			return []connectors.CheckResult{{
				Name: "CSDL nghiệp vụ / legacy database", Status: connectors.CheckFail, Detail: err.Error(),
				Hint: "kiểm tra source.dsn, mạng và quyền của tài khoản / check source.dsn, the network and the account",
			}}
		}
		defer db.Close()
	}

	results := []connectors.CheckResult{s.checkConnection(ctx, db)}
	results = append(results, s.checkClock(ctx, db)...)
	for _, name := range s.order {
		sp := s.streams[name]
		ok := s.checkSelect(ctx, db, sp, &results)
		for _, c := range sp.children {
			s.checkChild(ctx, db, sp, c, &results)
		}
		if !ok {
			continue // the later checks would fail for the same reason
		}
		results = append(results, s.checkIndex(ctx, db, sp), s.checkNullUpdated(ctx, db, sp))
	}
	return results
}

func (s *Source) checkConnection(ctx context.Context, db *sqlx.DB) connectors.CheckResult {
	name := "CSDL nghiệp vụ / legacy database"
	var q string
	switch s.cfg.Driver {
	case DriverMySQL:
		q = "SELECT VERSION()"
	case DriverPostgres:
		q = "SHOW server_version"
	default:
		q = "SELECT sqlite_version()"
	}
	var version string
	cctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	s.hook(q)
	if err := db.QueryRowContext(cctx, q).Scan(&version); err != nil {
		return connectors.CheckResult{Name: name, Status: connectors.CheckFail, Detail: s.scrub(err).Error(),
			Hint: "kiểm tra source.dsn / check source.dsn"}
	}
	return connectors.CheckResult{Name: name, Status: connectors.CheckOK,
		Detail: fmt.Sprintf("%s %s (%s), múi giờ / zone %s", s.cfg.Driver, version, describeTarget(s.cfg.Driver, string(s.cfg.DSN)), s.cfg.Timezone)}
}

// checkClock compares the database clock with ours. A database clock
// behind ours by more than a stream's lag can make the cursor pass rows
// stamped by the database before they are committed.
func (s *Source) checkClock(ctx context.Context, db *sqlx.DB) []connectors.CheckResult {
	var q string
	switch s.cfg.Driver {
	case DriverMySQL:
		q = "SELECT UNIX_TIMESTAMP(NOW(6))"
	case DriverPostgres:
		q = "SELECT EXTRACT(EPOCH FROM clock_timestamp())::text"
	default:
		return nil // a file on this machine: same clock
	}
	name := "đồng hồ CSDL / database clock"
	cctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	var raw string
	s.hook(q)
	if err := db.QueryRowContext(cctx, q).Scan(&raw); err != nil {
		return []connectors.CheckResult{{Name: name, Status: connectors.CheckWarn, Detail: s.scrub(err).Error()}}
	}
	secs, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return []connectors.CheckResult{{Name: name, Status: connectors.CheckWarn, Detail: fmt.Sprintf("unreadable database time %q", raw)}}
	}
	whole, frac := math.Modf(secs)
	dbNow := time.Unix(int64(whole), int64(frac*1e9))
	skew := dbNow.Sub(s.now()) // negative: database behind us
	minLag := time.Duration(math.MaxInt64)
	for _, sp := range s.streams {
		minLag = min(minLag, sp.lag)
	}
	r := connectors.CheckResult{Name: name, Status: connectors.CheckOK,
		Detail: fmt.Sprintf("lệch so với máy này / skew vs this machine %s", skew.Round(time.Millisecond))}
	switch {
	case skew < 0 && -skew > minLag:
		r.Status = connectors.CheckFail
		r.Hint = fmt.Sprintf("đồng hồ CSDL chậm hơn lag (%s): có thể bỏ sót bản ghi; đồng bộ NTP hoặc tăng lag / the database clock is behind by more than the lag (%s): rows may be missed; fix NTP or raise lag", minLag, minLag)
	case skew > 2*time.Second || skew < -2*time.Second:
		r.Status = connectors.CheckWarn
		r.Hint = "đồng bộ giờ (NTP) cho máy chủ CSDL và máy này / synchronise both clocks (NTP)"
	}
	return []connectors.CheckResult{r}
}

// checkSelect runs the stream query with LIMIT 0: it proves the account
// may read it and that the cursor columns exist, without reading rows.
func (s *Source) checkSelect(ctx context.Context, db *sqlx.DB, sp *streamPlan, results *[]connectors.CheckResult) bool {
	name := fmt.Sprintf("luồng / stream %s: truy vấn / query", sp.name)
	q := "SELECT * FROM (\n" + sp.query + "\n) src LIMIT 0"
	cols, err := s.probeColumns(ctx, db, q, nil)
	if err != nil {
		*results = append(*results, connectors.CheckResult{Name: name, Status: connectors.CheckFail, Detail: err.Error(),
			Hint: "sửa source.streams." + sp.name + ".query hoặc cấp quyền SELECT / fix the query or GRANT SELECT to the connector's account"})
		return false
	}
	cs := &columnSet{names: cols}
	var missing []string
	if _, err := cs.find(sp.updated, "cursor.updated", sp.name); err != nil {
		missing = append(missing, err.Error())
	}
	if _, err := cs.find(sp.key, "cursor.key", sp.name); err != nil {
		missing = append(missing, err.Error())
	}
	if len(missing) > 0 {
		*results = append(*results, connectors.CheckResult{Name: name, Status: connectors.CheckFail, Detail: strings.Join(missing, "; "),
			Hint: "cursor.updated và cursor.key phải là cột của truy vấn / cursor columns must be columns of the query"})
		return false
	}
	*results = append(*results, connectors.CheckResult{Name: name, Status: connectors.CheckOK,
		Detail: fmt.Sprintf("đọc được / readable, %d cột / columns", len(cols))})
	return true
}

func (s *Source) checkChild(ctx context.Context, db *sqlx.DB, sp *streamPlan, c childPlan, results *[]connectors.CheckResult) {
	name := fmt.Sprintf("luồng / stream %s: danh sách con / child %s", sp.name, c.name)
	probe, _ := bindKey("", sp.keyType)
	q, args, err := sqlx.In(c.query, []any{probe})
	var cols []string
	if err == nil {
		cols, err = s.probeColumns(ctx, db, db.Rebind("SELECT * FROM (\n"+q+"\n) c LIMIT 0"), args)
	}
	if err != nil {
		*results = append(*results, connectors.CheckResult{Name: name, Status: connectors.CheckFail, Detail: err.Error(),
			Hint: "sửa source.streams." + sp.name + ".children." + c.name + ".query / fix the child query"})
		return
	}
	cs := &columnSet{names: cols}
	if _, err := cs.find(c.parent, "children."+c.name+".parent", sp.name); err != nil {
		*results = append(*results, connectors.CheckResult{Name: name, Status: connectors.CheckFail, Detail: err.Error()})
		return
	}
	*results = append(*results, connectors.CheckResult{Name: name, Status: connectors.CheckOK, Detail: "đọc được / readable"})
}

func (s *Source) probeColumns(ctx context.Context, db *sqlx.DB, q string, args []any) ([]string, error) {
	cctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	s.hook(q)
	rows, err := db.QueryContext(cctx, q, args...)
	if err != nil {
		return nil, s.scrub(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	return cols, rows.Err()
}

func (s *Source) checkIndex(ctx context.Context, db *sqlx.DB, sp *streamPlan) connectors.CheckResult {
	name := fmt.Sprintf("luồng / stream %s: chỉ mục con trỏ / cursor index", sp.name)
	plan, err := s.explain(ctx, db, sp)
	if err != nil {
		return connectors.CheckResult{Name: name, Status: connectors.CheckWarn, Detail: err.Error()}
	}
	if plan.fullScan {
		return connectors.CheckResult{Name: name, Status: connectors.CheckWarn,
			Detail: fmt.Sprintf("mỗi lần quét đọc toàn bảng / every poll reads all of %s:\n%s", strings.Join(plan.scanned, ", "), plan.text),
			Hint: fmt.Sprintf("tạo chỉ mục / create an index on (%s, %s) of the table holding them, e.g. CREATE INDEX idx_lgsp_%s ON <table> (%s, %s)",
				sp.updated, sp.key, sp.name, sp.updated, sp.key)}
	}
	return connectors.CheckResult{Name: name, Status: connectors.CheckOK, Detail: "dùng chỉ mục / uses an index:\n" + plan.text}
}

// checkNullUpdated counts rows the cursor can never see: a NULL update
// time fails every range predicate. The count uses the cursor index.
func (s *Source) checkNullUpdated(ctx context.Context, db *sqlx.DB, sp *streamPlan) connectors.CheckResult {
	name := fmt.Sprintf("luồng / stream %s: cột cập nhật NULL / NULL update times", sp.name)
	q := "SELECT COUNT(*) FROM (\n" + sp.query + "\n) src WHERE src." + s.dialect.quote(sp.updated) + " IS NULL"
	cctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	var n int64
	s.hook(q)
	if err := db.QueryRowContext(cctx, q).Scan(&n); err != nil {
		return connectors.CheckResult{Name: name, Status: connectors.CheckWarn, Detail: s.scrub(err).Error()}
	}
	if n > 0 {
		return connectors.CheckResult{Name: name, Status: connectors.CheckWarn,
			Detail: fmt.Sprintf("%d dòng có %s NULL sẽ không bao giờ được đọc / %d rows with NULL %s will never be read", n, sp.updated, n, sp.updated),
			Hint:   fmt.Sprintf("điền %s trong CSDL (ví dụ bằng ngày tạo) / fill %s in the legacy database (e.g. from the creation date)", sp.updated, sp.updated)}
	}
	return connectors.CheckResult{Name: name, Status: connectors.CheckOK, Detail: "không có / none"}
}

// ExplainPoll returns the database's plan for the stream's idle poll (the
// cursor at now − lag, so the window is empty), as text, so the doctor can
// show whether the query uses an index on (updated, key).
func (s *Source) ExplainPoll(ctx context.Context, stream string) (string, error) {
	sp, err := s.plan(stream)
	if err != nil {
		return "", err
	}
	db, err := s.handle()
	if err != nil {
		return "", err
	}
	plan, err := s.explain(ctx, db, sp)
	if err != nil {
		return "", err
	}
	return plan.text, nil
}

type queryPlan struct {
	text     string
	fullScan bool
	scanned  []string // tables read in full
}

func (s *Source) explain(ctx context.Context, db *sqlx.DB, sp *streamPlan) (queryPlan, error) {
	upper := s.now().In(s.loc).Add(-sp.lag)
	query, args, err := sp.pollQuery(connectors.Cursor{Updated: upper}, upper, sp.batchSize, s.loc)
	if err != nil {
		return queryPlan{}, err
	}
	cctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	conn, err := db.Connx(cctx)
	if err != nil {
		return queryPlan{}, s.queryError(sp.name, "EXPLAIN of the poll", sp.query, err)
	}
	defer conn.Close()

	prefix := "EXPLAIN "
	switch s.cfg.Driver {
	case DriverSQLite:
		prefix = "EXPLAIN QUERY PLAN "
	case DriverPostgres:
		// PostgreSQL rightly prefers a sequential scan on a small table;
		// what the doctor must know is whether an index could serve the
		// poll once the table is large, so sequential scans are priced out.
		if _, err := conn.ExecContext(cctx, "SET enable_seqscan = off"); err != nil {
			return queryPlan{}, s.queryError(sp.name, "EXPLAIN of the poll", sp.query, err)
		}
		defer func() { _, _ = conn.ExecContext(context.Background(), "RESET enable_seqscan") }()
	}
	s.hook(prefix + query)
	rows, err := conn.QueryxContext(cctx, prefix+query, args...)
	if err != nil {
		return queryPlan{}, s.queryError(sp.name, "EXPLAIN of the poll", sp.query, err)
	}
	defer rows.Close()
	var table [][]string
	cols, err := rows.Columns()
	if err != nil {
		return queryPlan{}, err
	}
	for rows.Next() {
		vals, err := rows.SliceScan()
		if err != nil {
			return queryPlan{}, err
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
				row[i] = ""
			case []byte:
				row[i] = string(x)
			default:
				row[i] = fmt.Sprint(x)
			}
		}
		table = append(table, row)
	}
	if err := rows.Err(); err != nil {
		return queryPlan{}, err
	}
	return analysePlan(s.cfg.Driver, cols, table), nil
}

// smallTable is the estimated size below which MySQL's choice of a table
// scan, although an index was possible, is not worth a warning.
const smallTable = 1000

// analysePlan renders an EXPLAIN result and finds full scans: MySQL access
// type ALL (table scan) or index (whole index) when no index was possible
// or the table is not small, PostgreSQL "Seq Scan" (with sequential scans
// priced out, so only when no index can serve), SQLite "SCAN" (as opposed
// to SEARCH).
func analysePlan(driver string, cols []string, rows [][]string) queryPlan {
	var p queryPlan
	var b strings.Builder
	col := func(row []string, name string) string {
		for i, c := range cols {
			if strings.EqualFold(c, name) && i < len(row) {
				return row[i]
			}
		}
		return ""
	}
	for _, row := range rows {
		switch driver {
		case DriverMySQL:
			fmt.Fprintf(&b, "table=%s type=%s possible_keys=%s key=%s rows=%s extra=%s\n",
				col(row, "table"), col(row, "type"), col(row, "possible_keys"), col(row, "key"), col(row, "rows"), col(row, "Extra"))
			rows, _ := strconv.ParseInt(col(row, "rows"), 10, 64)
			scan := col(row, "type") == "ALL" || col(row, "type") == "index"
			if scan && (col(row, "possible_keys") == "" || rows >= smallTable) {
				p.fullScan = true
				p.scanned = append(p.scanned, col(row, "table"))
			}
		case DriverPostgres:
			line := strings.Join(row, " ")
			b.WriteString(line + "\n")
			if i := strings.Index(line, "Seq Scan on "); i >= 0 {
				p.fullScan = true
				p.scanned = append(p.scanned, strings.Fields(line[i+len("Seq Scan on "):])[0])
			}
		default:
			detail := col(row, "detail")
			b.WriteString(detail + "\n")
			if f := strings.Fields(detail); len(f) >= 2 && f[0] == "SCAN" && f[1] != "CONSTANT" {
				p.fullScan = true
				p.scanned = append(p.scanned, f[1])
			}
		}
	}
	p.text = strings.TrimRight(b.String(), "\n")
	return p
}
