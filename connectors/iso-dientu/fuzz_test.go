package isodientu

import (
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Any text either parses to a time in range or is rejected; a time
// written in the default layout always reads back as the same instant.
func FuzzParseTimeText(f *testing.F) {
	for _, s := range []string{"2024-03-01 08:00:00", "2024-03-01T08:00:00.5+07:00", "2024-03-01", "01/03/2024", "", "9999-12-31 23:59:59Z"} {
		f.Add(s, int64(1709254800))
	}
	f.Fuzz(func(t *testing.T, s string, unix int64) {
		if got, err := parseTimeText(s, vn, ""); err == nil && (got.Year() < 0 || got.Year() > 9999) {
			t.Errorf("parseTimeText(%q) = %v: year out of range", s, got)
		}
		if unix < -62135596800 || unix > 253402300799-86400 {
			return // outside years 1..9999
		}
		want := time.Unix(unix, 0)
		got, err := parseTimeText(want.In(vn).Format(DefaultSQLiteLayout), vn, DefaultSQLiteLayout)
		if err != nil || !got.Equal(want) {
			t.Errorf("round trip of %v: %v, %v", want, got, err)
		}
	})
}

// A MySQL DSN's password never survives redaction.
func FuzzRedactDSN(f *testing.F) {
	f.Add("lgsp_reader", "S3cret!", "motcua")
	f.Add("u", "p@ss:w@rd", "x")
	f.Add("root", "", "db")
	f.Fuzz(func(t *testing.T, user, pass, db string) {
		_ = RedactDSN(user + pass + db) // arbitrary text must not panic
		if strings.ContainsAny(user, ":@/()?") || strings.ContainsAny(db, "/?@()") || len(pass) < 4 || strings.Contains(pass, "x") {
			return
		}
		dsn := user + ":" + pass + "@tcp(127.0.0.1:3306)/" + db
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil || cfg.Passwd != pass {
			return // not the DSN we meant to build
		}
		rest := user + "@tcp(127.0.0.1:3306)/" + db
		if out := RedactDSN(dsn); strings.Contains(out, pass) && !strings.Contains(rest, pass) {
			t.Errorf("RedactDSN(%q) = %q keeps the password", dsn, out)
		}
		for _, u := range []string{"postgres://" + user + ":" + pass + "@h/" + db, "host=h password=" + pass + " dbname=" + db} {
			if strings.ContainsAny(pass, " '\\%#/?") {
				continue
			}
			if out := RedactDSN(u); strings.Contains(out, pass) && !strings.Contains(strings.Replace(u, pass, "", 1), pass) {
				t.Errorf("RedactDSN(%q) = %q keeps the password", u, out)
			}
		}
	})
}

// Keys parse to canonical text or are rejected; int keys bind back to the
// same number.
func FuzzParseKey(f *testing.F) {
	for _, s := range []string{"42", "0042", "-7", " 9 ", "HS-1", "", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, err := parseKey([]byte(s), KeyInt)
		if err != nil {
			return
		}
		bound, err := bindKey(key, KeyInt)
		if err != nil {
			t.Fatalf("parsed int key %q does not bind: %v", key, err)
		}
		again, err := parseKey(bound, KeyInt)
		if err != nil || again != key {
			t.Errorf("key %q → %v → %q, %v", key, bound, again, err)
		}
	})
}

// Whatever checkSelect accepts is one statement starting with SELECT/WITH.
func FuzzCheckSelect(f *testing.F) {
	for _, s := range []string{"SELECT 1", "select * from t;", "WITH a AS (SELECT 1) SELECT * FROM a", "DELETE FROM t", "(SELECT 1)", "SELECT 1; DROP TABLE t", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if checkSelect(s) != "" {
			return
		}
		q := trimStatement(s)
		w := strings.ToUpper(firstWord(q))
		if (w != "SELECT" && w != "WITH") || strings.Contains(q, ";") {
			t.Errorf("checkSelect accepted %q", s)
		}
	})
}
