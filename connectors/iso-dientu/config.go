package isodientu

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode"

	// Windows servers have no zoneinfo database; without the embedded copy
	// the default zone Asia/Ho_Chi_Minh would not load there.
	_ "time/tzdata"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
)

// TypeName is the connector's name in YAML (source.type).
const TypeName = "iso_dientu"

// keyPrefix is where this config lives in the connector's YAML; error
// messages name full key paths so the user finds the line.
const keyPrefix = "source"

// Supported drivers, as written in source.driver.
const (
	DriverMySQL    = "mysql" // MySQL and MariaDB
	DriverPostgres = "postgres"
	DriverSQLite   = "sqlite"
)

// Key types, as written in cursor.key_type.
const (
	KeyInt    = "int"
	KeyString = "string"
)

// Defaults. The pool is small on purpose: the connector sits beside
// production software and must never compete with it for connections.
const (
	DefaultDriver        = DriverMySQL
	DefaultTimezone      = "Asia/Ho_Chi_Minh"
	DefaultQueryTimeout  = 30 * time.Second
	DefaultMaxOpenConns  = 2
	DefaultLag           = 30 * time.Second
	DefaultBatchSize     = 500
	MaxBatchSize         = 10000
	DefaultSQLiteLayout  = "2006-01-02 15:04:05"
	startDateLayout      = "2006-01-02"
	minDurationWithUnits = time.Millisecond
)

// Config is the `source:` section for type iso_dientu: a generic SQL
// source over a legacy one-stop database.
type Config struct {
	// Driver is mysql (MySQL/MariaDB), postgres or sqlite.
	Driver string `mapstructure:"driver"`
	// DSN is the driver's connection string. It holds a password: it
	// prints redacted and is never logged.
	DSN DSN `mapstructure:"dsn"`
	// Timezone is the zone of the legacy DATETIME (zone-less) columns.
	Timezone string `mapstructure:"timezone"`
	// QueryTimeout bounds every query the connector runs.
	QueryTimeout time.Duration `mapstructure:"query_timeout"`
	// MaxOpenConns caps the connection pool.
	MaxOpenConns int `mapstructure:"max_open_conns"`
	// Streams maps a stream name (ho_so, qua_trinh_xu_ly …) to its query.
	Streams map[string]StreamConfig `mapstructure:"streams"`
	// StreamOrder is the polling order; streams not listed follow in name
	// order. Default: ho_so first, then the others by name, so a dossier
	// is sent before its processing steps.
	StreamOrder []string `mapstructure:"stream_order"`
	// Files, when set, serves the files behind published attachment
	// links (see files.go); nil means no file downloads.
	Files *FilesConfig `mapstructure:"files"`
}

// StreamConfig declares one stream: a SELECT and its incremental cursor.
type StreamConfig struct {
	// Query is a single SELECT (or WITH … SELECT). The connector wraps it:
	//   SELECT * FROM (<query>) src WHERE <cursor window> ORDER BY updated, key LIMIT n
	Query string `mapstructure:"query"`
	// Cursor names the columns of the composite cursor.
	Cursor CursorConfig `mapstructure:"cursor"`
	// Lag holds back rows updated less than Lag ago, so that a transaction
	// that commits late with an older timestamp is not passed by the
	// cursor. nil means DefaultLag; 0 disables the window (not advised).
	Lag *time.Duration `mapstructure:"lag"`
	// BatchSize caps the rows one Read returns; 0 means DefaultBatchSize.
	BatchSize int `mapstructure:"batch_size"`
	// StartDate (YYYY-MM-DD, in Timezone) ignores rows updated before it.
	StartDate string `mapstructure:"start_date"`
	// Children are lists attached to each row (e.g. submitted documents),
	// read with one query per batch.
	Children map[string]ChildConfig `mapstructure:"children"`
	// Lookup lets the inbound API fetch one row by MaHoSo (lookup.go).
	Lookup LookupConfig `mapstructure:"lookup"`
	// Statistics names the receipt and end columns that let the monthly
	// statistics read one period through indexes (period.go).
	Statistics StatisticsConfig `mapstructure:"statistics"`
}

// CursorConfig names the cursor columns as the query returns them.
type CursorConfig struct {
	// Updated is the last-update time column (DATETIME, TIMESTAMP, or text
	// in UpdatedFormat).
	Updated string `mapstructure:"updated"`
	// Key is a column unique per row of the query, normally the primary key.
	Key string `mapstructure:"key"`
	// KeyType is int (default) or string: how keys compare in the database.
	KeyType string `mapstructure:"key_type"`
	// UpdatedFormat is the Go layout of a text Updated column. When set,
	// cursor positions are sent to the database as text in this layout, so
	// it must match the stored text exactly. Default: empty (a real date
	// type) for mysql and postgres, "2006-01-02 15:04:05" for sqlite.
	UpdatedFormat string `mapstructure:"updated_format"`
}

// ChildConfig declares a child list: a SELECT with exactly one `?`, the
// IN list that receives the batch's keys, e.g.
//
//	SELECT hoso_id, ten_tai_lieu FROM hs_tai_lieu WHERE hoso_id IN (?) ORDER BY id
type ChildConfig struct {
	Query string `mapstructure:"query"`
	// Parent is the child column holding the parent row's key.
	Parent string `mapstructure:"parent"`
}

// DSN is a connection string. It holds a password, so it prints redacted
// (fmt, %v, %+v, slog); use string(dsn) only to connect.
type DSN string

// String returns the DSN with its password hidden.
func (d DSN) String() string { return RedactDSN(string(d)) }

// GoString keeps %#v from printing the password.
func (d DSN) GoString() string { return fmt.Sprintf("%q", RedactDSN(string(d))) }

// MarshalText, and so JSON and YAML, carry the redacted form too.
func (d DSN) MarshalText() ([]byte, error) { return []byte(RedactDSN(string(d))), nil }

// LogValue keeps the password out of structured logs.
func (d DSN) LogValue() slog.Value { return slog.StringValue(RedactDSN(string(d))) }

// NewDefaultConfig returns a config filled with every default, before the
// user's values are decoded into it.
func NewDefaultConfig() *Config {
	return &Config{
		Driver:       DefaultDriver,
		Timezone:     DefaultTimezone,
		QueryTimeout: DefaultQueryTimeout,
		MaxOpenConns: DefaultMaxOpenConns,
	}
}

// Validate reports every problem at once, each naming its key path (e.g.
// source.streams.ho_so.cursor.updated) and what to write instead.
func (c *Config) Validate() []error {
	var errs []error
	add := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", keyPrefix, key, fmt.Sprintf(format, args...)))
	}

	switch c.Driver {
	case DriverMySQL, DriverPostgres, DriverSQLite:
	default:
		add("driver", "%q is not supported; use mysql (also for MariaDB), postgres or sqlite", c.Driver)
	}
	if strings.TrimSpace(string(c.DSN)) == "" {
		add("dsn", "is required (the legacy database's connection string; prefer setting it through LGSP_SOURCE_DSN)")
	} else if msg := checkDSN(c.Driver, string(c.DSN), c.Timezone); msg != "" {
		add("dsn", "%s", msg)
	}
	loc, err := time.LoadLocation(c.Timezone)
	if c.Timezone == "" || err != nil {
		add("timezone", "%q is not a known time zone; use an IANA name such as Asia/Ho_Chi_Minh", c.Timezone)
		loc = nil
	}
	if c.QueryTimeout < time.Second {
		add("query_timeout", "%s is too short; use a duration with a unit of at least 1s, e.g. 30s", c.QueryTimeout)
	}
	if c.MaxOpenConns < 1 {
		add("max_open_conns", "%d must be at least 1 (default %d)", c.MaxOpenConns, DefaultMaxOpenConns)
	}

	if len(c.Streams) == 0 {
		add("streams", "at least one stream is required, e.g. ho_so")
	}
	for _, name := range sortedKeys(c.Streams) {
		errs = append(errs, c.Streams[name].validate(keyPrefix+".streams."+name, name, loc)...)
	}

	seen := map[string]bool{}
	for i, name := range c.StreamOrder {
		key := fmt.Sprintf("stream_order[%d]", i)
		switch _, ok := c.Streams[name]; {
		case !ok:
			add(key, "%q is not a stream under source.streams (known: %s)", name, strings.Join(sortedKeys(c.Streams), ", "))
		case seen[name]:
			add(key, "%q is listed twice", name)
		}
		seen[name] = true
	}
	if c.Files != nil {
		errs = append(errs, c.Files.validate(keyPrefix+".files")...)
	}
	return errs
}

func (s StreamConfig) validate(path, name string, loc *time.Location) []error {
	var errs []error
	add := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", path, key, fmt.Sprintf(format, args...)))
	}
	if !isSimpleName(name) {
		errs = append(errs, fmt.Errorf("%s: stream name %q must be lower-case letters, digits and _", path, name))
	}
	if msg := checkSelect(s.Query); msg != "" {
		add("query", "%s", msg)
	}
	if msg := checkColumnName(s.Cursor.Updated, "the column holding the row's last-update time"); msg != "" {
		add("cursor.updated", "%s", msg)
	}
	if msg := checkColumnName(s.Cursor.Key, "a column unique per row, normally the primary key"); msg != "" {
		add("cursor.key", "%s", msg)
	}
	if s.Cursor.Updated != "" && strings.EqualFold(s.Cursor.Updated, s.Cursor.Key) {
		add("cursor.key", "must differ from cursor.updated %q", s.Cursor.Updated)
	}
	switch s.Cursor.KeyType {
	case "", KeyInt, KeyString:
	default:
		add("cursor.key_type", "%q is not int or string", s.Cursor.KeyType)
	}
	if f := s.Cursor.UpdatedFormat; f != "" {
		probe := time.Date(2024, 12, 31, 23, 59, 58, 0, time.UTC)
		if back, err := time.Parse(f, probe.Format(f)); err != nil || !back.Equal(probe) {
			add("cursor.updated_format", "%q is not a Go time layout down to the second, e.g. 2006-01-02 15:04:05", f)
		}
	}
	if s.Lag != nil {
		switch lag := *s.Lag; {
		case lag < 0:
			add("lag", "%s must not be negative", lag)
		case lag > 0 && lag < minDurationWithUnits:
			add("lag", "%s is suspiciously short; write the unit, e.g. 30s", lag)
		}
	}
	if s.BatchSize < 0 || s.BatchSize > MaxBatchSize {
		add("batch_size", "%d must be between 1 and %d (0 means %d)", s.BatchSize, MaxBatchSize, DefaultBatchSize)
	}
	if s.StartDate != "" && loc != nil {
		if _, err := time.ParseInLocation(startDateLayout, s.StartDate, loc); err != nil {
			add("start_date", "%q is not a date written YYYY-MM-DD", s.StartDate)
		}
	}
	for _, child := range sortedKeys(s.Children) {
		c := s.Children[child]
		cpath := "children." + child
		if !isIdentifier(child) {
			add(cpath, "child name %q must be letters, digits and _", child)
		}
		if child == s.Cursor.Updated || child == s.Cursor.Key {
			add(cpath, "child name %q is also a cursor column; rename the child", child)
		}
		if msg := checkSelect(c.Query); msg != "" {
			add(cpath+".query", "%s", msg)
		} else if n := strings.Count(c.Query, "?"); n != 1 {
			add(cpath+".query", "must contain exactly one ?, the IN list of parent keys (e.g. WHERE hoso_id IN (?)); found %d", n)
		}
		if msg := checkColumnName(c.Parent, "the child column holding the parent's key"); msg != "" {
			add(cpath+".parent", "%s", msg)
		}
	}
	errs = append(errs, s.Lookup.validate(path+".lookup")...)
	errs = append(errs, s.Statistics.validate(path+".statistics")...)
	return errs
}

// checkSelect enforces "one read-only statement": the connector only ever
// sends SELECTs, and the wrapping in a derived table needs a single one.
func checkSelect(q string) string {
	q = trimStatement(q)
	if q == "" {
		return "is required: a SELECT statement"
	}
	word := strings.ToUpper(firstWord(q))
	if word != "SELECT" && word != "WITH" {
		return fmt.Sprintf("must be a SELECT (or WITH … SELECT), not %q", firstWord(q))
	}
	if strings.Contains(q, ";") {
		return "must be a single statement without ';'"
	}
	return ""
}

// trimStatement removes surrounding space and trailing semicolons, which
// users often copy from their SQL tool.
func trimStatement(q string) string {
	return strings.TrimSpace(strings.TrimRight(strings.TrimSpace(q), "; \t\r\n"))
}

// firstWord returns the leading letters of the statement, for checking
// and for quoting back in a message.
func firstWord(s string) string {
	fields := strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '(' })
	if len(fields) == 0 {
		return ""
	}
	w := fields[0]
	if end := strings.IndexFunc(w, func(r rune) bool { return !unicode.IsLetter(r) }); end > 0 {
		return w[:end]
	}
	if r := []rune(w); len(r) > 20 {
		return string(r[:20])
	}
	return w
}

// checkColumnName accepts the names legacy schemas use (letters of any
// script, digits, _, $) and rejects what would need escaping; the
// connector quotes the name itself. what describes the column.
func checkColumnName(name, what string) string {
	if name == "" {
		return "is required: " + what
	}
	if !isIdentifier(name) {
		return fmt.Sprintf("%q is not a plain column name (letters, digits, _ or $)", name)
	}
	return ""
}

func isIdentifier(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || r == '$':
		case r >= '0' && r <= '9':
			if i == 0 {
				return false
			}
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r > 127 && unicode.IsLetter(r):
		default:
			return false
		}
	}
	return true
}

func isSimpleName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// checkDSN parses the DSN the way the driver will, without connecting. Its
// messages never contain the DSN (it holds a password).
func checkDSN(driver, dsn, timezone string) string {
	switch driver {
	case DriverMySQL:
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			return "is not a MySQL DSN of the form user:password@tcp(host:3306)/database?charset=utf8mb4: " + redactedError(err, dsn)
		}
		if cfg.DBName == "" {
			return "names no database; add /<database> after the address"
		}
		if loc := dsnParam(dsn, "loc"); loc != "" && loc != timezone {
			return fmt.Sprintf("sets loc=%s but source.timezone is %q; remove loc from the DSN, the connector sets it from source.timezone", loc, timezone)
		}
	case DriverPostgres:
		if _, err := pgx.ParseConfig(dsn); err != nil {
			return "is not a PostgreSQL DSN (postgres://user:password@host:5432/database?sslmode=disable): " + redactedError(err, dsn)
		}
	}
	return ""
}

// redactedError returns err's text with anything that could be the DSN's
// password removed.
func redactedError(err error, dsn string) string {
	msg := err.Error()
	if pw := passwordOf(dsn); pw != "" {
		msg = strings.ReplaceAll(msg, pw, redacted)
	}
	return msg
}

// dsnParam returns the (unescaped) value of a query parameter of a MySQL
// DSN.
func dsnParam(dsn, key string) string {
	i := strings.LastIndex(dsn, "?")
	if i < 0 {
		return ""
	}
	for _, kv := range strings.Split(dsn[i+1:], "&") {
		k, v, _ := strings.Cut(kv, "=")
		if k == key {
			if u, err := url.QueryUnescape(v); err == nil {
				return u
			}
			return v
		}
	}
	return ""
}

// validationError joins Validate's errors, or returns nil.
func (c *Config) validationError() error {
	errs := c.Validate()
	if len(errs) == 0 {
		return nil
	}
	return errors.Join(errs...)
}

// lag returns the stream's lag window.
func (s StreamConfig) lag() time.Duration {
	if s.Lag == nil {
		return DefaultLag
	}
	return *s.Lag
}

func (s StreamConfig) batchSize() int {
	if s.BatchSize == 0 {
		return DefaultBatchSize
	}
	return s.BatchSize
}

func (s StreamConfig) keyType() string {
	if s.Cursor.KeyType == "" {
		return KeyInt
	}
	return s.Cursor.KeyType
}

func (c *Config) updatedFormat(s StreamConfig) string {
	if s.Cursor.UpdatedFormat != "" {
		return s.Cursor.UpdatedFormat
	}
	if c.Driver == DriverSQLite {
		return DefaultSQLiteLayout
	}
	return ""
}

// streamOrder is the polling order: the configured one, then the rest of
// the streams with ho_so first and the others by name.
func (c *Config) streamOrder() []string {
	return connectors.OrderStreams(c.StreamOrder, sortedKeys(c.Streams))
}

// StreamNames lists the configured streams in polling order, so that the
// configuration can check the streams other sections name (mapping,
// inbound, several sources) against them.
func (c *Config) StreamNames() []string { return c.streamOrder() }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
