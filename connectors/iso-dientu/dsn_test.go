package isodientu

import (
	"strings"
	"testing"
	"time"
)

func TestRedactDSN(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"root:secret@tcp(127.0.0.1:3306)/motcua?charset=utf8mb4", "root:xxxxx@tcp(127.0.0.1:3306)/motcua?charset=utf8mb4"},
		{"root@tcp(127.0.0.1:3306)/motcua", "root@tcp(127.0.0.1:3306)/motcua"},
		{"u:p@ss:w@rd@tcp(db:3306)/x", "u:xxxxx@tcp(db:3306)/x"},
		{"postgres://u:secret@db:5432/x?sslmode=disable", "postgres://u:xxxxx@db:5432/x?sslmode=disable"},
		{"postgres://u@db/x?password=secret&sslmode=disable", "postgres://u@db/x?password=xxxxx&sslmode=disable"},
		{"host=db user=u password=secret dbname=x", "host=db user=u password=xxxxx dbname=x"},
		{"host=db password='se cret' dbname=x", "host=db password=xxxxx dbname=x"},
		{"/var/lib/motcua/legacy.db", "/var/lib/motcua/legacy.db"},
		{"file:legacy.db?_busy_timeout=100", "file:legacy.db?_busy_timeout=100"},
		{"weird:secret@somewhere", "weird:xxxxx@somewhere"},
		{"postgres://us#er:secret@db/x", "postgres://us#er:xxxxx@db/x"},
	}
	for _, tc := range tests {
		if got := RedactDSN(tc.in); got != tc.want {
			t.Errorf("RedactDSN(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if pw := passwordOf(tc.in); pw != "" && strings.Contains(RedactDSN(tc.in), pw) {
			t.Errorf("RedactDSN(%q) keeps the password %q", tc.in, pw)
		}
	}
}

func TestMySQLConfig(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	mc, err := mysqlConfig("u:p@tcp(db:3306)/motcua?multiStatements=true&charset=utf8mb4", vn, now)
	if err != nil {
		t.Fatal(err)
	}
	if !mc.ParseTime || mc.Loc != vn || mc.MultiStatements || mc.Timeout != dialTimeout {
		t.Errorf("parseTime %v, loc %v, multiStatements %v, timeout %s", mc.ParseTime, mc.Loc, mc.MultiStatements, mc.Timeout)
	}
	if got := mc.Params["time_zone"]; got != "'+07:00'" {
		t.Errorf("session time_zone = %q, want '+07:00'", got)
	}
	if got := mc.Params["charset"]; got != "" && got != "utf8mb4" {
		t.Errorf("charset lost: %q", got)
	}
	// A time_zone the user chose is kept.
	mc, err = mysqlConfig("u:p@tcp(db:3306)/motcua?time_zone=%27Asia%2FHo_Chi_Minh%27", vn, now)
	if err != nil {
		t.Fatal(err)
	}
	if got := mc.Params["time_zone"]; got != "'Asia/Ho_Chi_Minh'" {
		t.Errorf("user's time_zone replaced by %q", got)
	}
	// A zone with daylight saving gets no fixed session offset.
	ny := mustZone("America/New_York")
	if mc, _ := mysqlConfig("u:p@tcp(db:3306)/x", ny, now); mc.Params["time_zone"] != "" {
		t.Errorf("DST zone got fixed time_zone %q", mc.Params["time_zone"])
	}
	if _, err := mysqlConfig("u:Pa55word@tcp(db:3306", vn, now); err == nil || strings.Contains(err.Error(), "Pa55word") {
		t.Errorf("bad DSN error %v (must exist and hide the password)", err)
	}
}

func TestFixedOffset(t *testing.T) {
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		zone  string
		want  string
		fixed bool
	}{
		{"Asia/Ho_Chi_Minh", "+07:00", true},
		{"UTC", "+00:00", true},
		{"Asia/Kolkata", "+05:30", true},
		{"America/Bogota", "-05:00", true},
		{"Europe/Paris", "", false},
	}
	for _, tc := range tests {
		got, fixed := fixedOffset(mustZone(tc.zone), now)
		if got != tc.want || fixed != tc.fixed {
			t.Errorf("fixedOffset(%s) = %q, %v; want %q, %v", tc.zone, got, fixed, tc.want, tc.fixed)
		}
	}
}

func TestPostgresConfig(t *testing.T) {
	pc, err := postgresConfig("postgres://u:p@db:5432/x?sslmode=disable", vn)
	if err != nil {
		t.Fatal(err)
	}
	if pc.RuntimeParams["default_transaction_read_only"] != "on" || pc.RuntimeParams["timezone"] != "Asia/Ho_Chi_Minh" {
		t.Errorf("runtime params %v", pc.RuntimeParams)
	}
	pc, err = postgresConfig("postgres://u:p@db:5432/x?sslmode=disable&TimeZone=UTC", vn)
	if err != nil {
		t.Fatal(err)
	}
	if pc.RuntimeParams["TimeZone"] != "UTC" || pc.RuntimeParams["timezone"] != "" {
		t.Errorf("user's TimeZone not kept: %v", pc.RuntimeParams)
	}
}

func TestSQLiteDSN(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/srv/legacy.db", "/srv/legacy.db?_query_only=1&_timezone=Asia%2FHo_Chi_Minh&_busy_timeout=5000"},
		{"file:legacy.db?_busy_timeout=100", "file:legacy.db?_busy_timeout=100&_query_only=1&_timezone=Asia%2FHo_Chi_Minh"},
		{"x.db?_query_only=1&_timezone=UTC&_timeout=1", "x.db?_query_only=1&_timezone=UTC&_timeout=1"},
	}
	for _, tc := range tests {
		if got := sqliteDSN(tc.in, vn); got != tc.want {
			t.Errorf("sqliteDSN(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDescribeTargetHasNoPassword(t *testing.T) {
	tests := []struct{ driver, dsn, want string }{
		{DriverMySQL, "u:Pa55word@tcp(db:3306)/motcua", "db:3306/motcua"},
		{DriverPostgres, "postgres://u:Pa55word@db:5432/motcua", "db:5432/motcua"},
		{DriverSQLite, "file:/srv/legacy.db?_timeout=5", "/srv/legacy.db"},
	}
	for _, tc := range tests {
		if got := describeTarget(tc.driver, tc.dsn); got != tc.want {
			t.Errorf("describeTarget(%s) = %q, want %q", tc.driver, got, tc.want)
		}
	}
}
