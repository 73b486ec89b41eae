package isodientu

import (
	"database/sql"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite" // registers driver "sqlite"
)

// redacted replaces a password in anything we print.
const redacted = "xxxxx"

// Connection pool tuning. Legacy MySQL servers often close idle
// connections after wait_timeout; recycling ours first avoids a failed
// query on a dead connection.
const (
	dialTimeout     = 10 * time.Second
	connMaxIdleTime = 5 * time.Minute
	connMaxLifetime = time.Hour
	sqliteBusyMS    = "5000"
)

// kvPassword finds password=… in a keyword/value DSN (PostgreSQL style),
// quoted or not.
var kvPassword = regexp.MustCompile(`(?i)(\b(?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'?|\S*)`)

// RedactDSN returns dsn with its password replaced by "xxxxx", so that it
// can be shown in logs, errors and the doctor's report. It understands
// MySQL DSNs (user:pass@tcp(host)/db), URLs (postgres://user:pass@host/db,
// also ?password=), keyword/value strings (password=… ) and leaves SQLite
// paths alone. When in doubt it hides more, not less.
func RedactDSN(dsn string) string {
	if dsn == "" {
		return ""
	}
	if isURL(dsn) {
		u, err := url.Parse(dsn)
		if err != nil || (u.User == nil && strings.Contains(dsn, "@")) {
			// Unparseable, or credentials the parser did not see as such
			// (e.g. a '#' in the user name starts a fragment).
			return hideUserInfo(dsn)
		}
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), redacted)
		}
		if q := u.Query(); len(q) > 0 {
			changed := false
			for k := range q {
				if isPasswordKey(k) {
					q.Set(k, redacted)
					changed = true
				}
			}
			if changed {
				u.RawQuery = q.Encode()
			}
		}
		return u.String()
	}
	if kvPassword.MatchString(dsn) {
		return kvPassword.ReplaceAllString(dsn, "${1}"+redacted)
	}
	if cfg, err := mysql.ParseDSN(dsn); err == nil {
		if cfg.Passwd == "" {
			return dsn
		}
		return strings.Replace(dsn, ":"+cfg.Passwd+"@", ":"+redacted+"@", 1)
	}
	return hideUserInfo(dsn)
}

// passwordOf returns the DSN's password, to scrub it from driver errors.
func passwordOf(dsn string) string {
	if isURL(dsn) {
		u, err := url.Parse(dsn)
		if err != nil || (u.User == nil && strings.Contains(dsn, "@")) {
			start, end, ok := userInfoPassword(dsn)
			if !ok {
				return ""
			}
			return dsn[start:end]
		}
		if pw, has := u.User.Password(); has {
			return pw
		}
		for k, v := range u.Query() {
			if isPasswordKey(k) && len(v) > 0 {
				return v[0]
			}
		}
		return ""
	}
	if m := kvPassword.FindStringSubmatch(dsn); m != nil {
		return strings.Trim(m[2], "'")
	}
	if cfg, err := mysql.ParseDSN(dsn); err == nil {
		return cfg.Passwd
	}
	return ""
}

func isURL(dsn string) bool {
	i := strings.Index(dsn, "://")
	if i <= 0 {
		return false
	}
	for _, r := range dsn[:i] {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

func isPasswordKey(k string) bool {
	k = strings.ToLower(k)
	return k == "password" || k == "pass" || k == "passwd" || k == "pwd" || k == "sslpassword"
}

// hideUserInfo is the fallback for strings no parser understood: if they
// look like they carry credentials (user:…@), everything between the first
// ':' and the last '@' goes.
func hideUserInfo(dsn string) string {
	start, end, ok := userInfoPassword(dsn)
	if !ok {
		return dsn
	}
	return dsn[:start] + redacted + dsn[end:]
}

// userInfoPassword locates what may be a password: between the first ':'
// (after any scheme) and the last '@'.
func userInfoPassword(dsn string) (start, end int, ok bool) {
	at := strings.LastIndex(dsn, "@")
	if at < 0 {
		return 0, 0, false
	}
	from := 0
	if i := strings.Index(dsn, "://"); i >= 0 && i < at {
		from = i + 3
	}
	colon := strings.Index(dsn[from:at], ":")
	if colon < 0 {
		return 0, 0, false
	}
	return from + colon + 1, at, true
}

// openDB opens (without connecting) a pool on the legacy database with the
// settings the connector relies on: times in the legacy zone, read-only
// sessions where the driver allows it, a small pool.
func openDB(cfg *Config, loc *time.Location, now time.Time) (*sqlx.DB, error) {
	var db *sqlx.DB
	switch cfg.Driver {
	case DriverMySQL:
		mc, err := mysqlConfig(string(cfg.DSN), loc, now)
		if err != nil {
			return nil, err
		}
		connector, err := mysql.NewConnector(mc)
		if err != nil {
			return nil, fmt.Errorf("source.dsn: %s", redactedError(err, string(cfg.DSN)))
		}
		db = sqlx.NewDb(sql.OpenDB(connector), "mysql")
	case DriverPostgres:
		pc, err := postgresConfig(string(cfg.DSN), loc)
		if err != nil {
			return nil, err
		}
		db = sqlx.NewDb(stdlib.OpenDB(*pc), "pgx")
	case DriverSQLite:
		var err error
		db, err = sqlx.Open("sqlite", sqliteDSN(string(cfg.DSN), loc))
		if err != nil {
			return nil, fmt.Errorf("source.dsn: open SQLite database: %w", err)
		}
	default:
		return nil, fmt.Errorf("source.driver: %q is not supported", cfg.Driver)
	}
	db.SetMaxOpenConns(cfg.MaxOpenConns)
	db.SetMaxIdleConns(cfg.MaxOpenConns)
	db.SetConnMaxIdleTime(connMaxIdleTime)
	db.SetConnMaxLifetime(connMaxLifetime)
	return db, nil
}

// mysqlConfig makes the driver read DATETIME values as instants in the
// legacy zone (parseTime, loc) and, when the zone has a fixed offset, sets
// the session time_zone to it so TIMESTAMP columns and NOW() agree with
// DATETIME ones. Multi-statements stay off: one SELECT per call.
func mysqlConfig(dsn string, loc *time.Location, now time.Time) (*mysql.Config, error) {
	mc, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("source.dsn: %s", redactedError(err, dsn))
	}
	mc.ParseTime = true
	mc.Loc = loc
	mc.MultiStatements = false
	if mc.Timeout == 0 {
		mc.Timeout = dialTimeout
	}
	if offset, ok := fixedOffset(loc, now); ok {
		if _, set := mc.Params["time_zone"]; !set {
			if mc.Params == nil {
				mc.Params = map[string]string{}
			}
			mc.Params["time_zone"] = "'" + offset + "'"
		}
	}
	return mc, nil
}

// postgresConfig makes every session read-only (a second guard beside the
// SELECT-only queries) and sets its TimeZone to the legacy zone.
func postgresConfig(dsn string, loc *time.Location) (*pgx.ConnConfig, error) {
	pc, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("source.dsn: %s", redactedError(err, dsn))
	}
	if pc.RuntimeParams == nil {
		pc.RuntimeParams = map[string]string{}
	}
	pc.RuntimeParams["default_transaction_read_only"] = "on"
	if !hasKeyFold(pc.RuntimeParams, "timezone") {
		pc.RuntimeParams["timezone"] = loc.String()
	}
	if pc.ConnectTimeout == 0 {
		pc.ConnectTimeout = dialTimeout
	}
	return pc, nil
}

// sqliteDSN adds the driver options the connector needs unless the user
// set them: read-only connections, zone-less text times parsed in the
// legacy zone, and a busy timeout so the legacy application's writes do
// not fail our reads.
func sqliteDSN(dsn string, loc *time.Location) string {
	q := ""
	if i := strings.Index(dsn, "?"); i >= 0 {
		q = dsn[i+1:]
	}
	params, _ := url.ParseQuery(q)
	var add []string
	if params.Get("_query_only") == "" {
		add = append(add, "_query_only=1")
	}
	if params.Get("_timezone") == "" {
		add = append(add, "_timezone="+url.QueryEscape(loc.String()))
	}
	if params.Get("_busy_timeout") == "" && params.Get("_timeout") == "" {
		add = append(add, "_busy_timeout="+sqliteBusyMS)
	}
	if len(add) == 0 {
		return dsn
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + strings.Join(add, "&")
}

// fixedOffset returns the zone's UTC offset as +07:00 when it is the same
// all year (no daylight saving), which is what MySQL needs to convert
// TIMESTAMP columns without its optional time-zone tables.
func fixedOffset(loc *time.Location, now time.Time) (string, bool) {
	y := now.Year()
	_, jan := time.Date(y, time.January, 1, 12, 0, 0, 0, loc).Zone()
	_, jul := time.Date(y, time.July, 1, 12, 0, 0, 0, loc).Zone()
	if jan != jul {
		return "", false
	}
	sign := '+'
	if jan < 0 {
		sign, jan = '-', -jan
	}
	return fmt.Sprintf("%c%02d:%02d", sign, jan/3600, jan%3600/60), true
}

func hasKeyFold(m map[string]string, key string) bool {
	for k := range m {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

// describeTarget names the database for logs without any credentials:
// driver, address and database name.
func describeTarget(driver, dsn string) string {
	switch driver {
	case DriverMySQL:
		if mc, err := mysql.ParseDSN(dsn); err == nil {
			return fmt.Sprintf("%s/%s", mc.Addr, mc.DBName)
		}
	case DriverPostgres:
		if pc, err := pgx.ParseConfig(dsn); err == nil {
			return fmt.Sprintf("%s:%d/%s", pc.Host, pc.Port, pc.Database)
		}
	case DriverSQLite:
		path, _, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
		return path
	}
	return RedactDSN(dsn)
}
