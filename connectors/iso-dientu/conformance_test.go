package isodientu

import (
	"testing"

	"github.com/hcmc-lgsp/lgsp-connector/connectors/connectortest"
)

// The conformance kit on each supported database, with the column types
// legacy schemas use for the cursor.
func TestConformanceMariaDB(t *testing.T) {
	dsn, db := mariaDB(t)
	t.Run("int keys, DATETIME", func(t *testing.T) {
		connectortest.RunSourceTests(t, kitHarness(DriverMySQL, dsn, db, true, "DATETIME"))
	})
	t.Run("string keys, DATETIME(6)", func(t *testing.T) {
		connectortest.RunSourceTests(t, kitHarness(DriverMySQL, dsn, db, false, "DATETIME(6)"))
	})
}

func TestConformancePostgres(t *testing.T) {
	dsn, db := postgresDB(t)
	t.Run("int keys, timestamp", func(t *testing.T) {
		connectortest.RunSourceTests(t, kitHarness(DriverPostgres, dsn, db, true, "TIMESTAMP"))
	})
	t.Run("string keys, timestamp", func(t *testing.T) {
		connectortest.RunSourceTests(t, kitHarness(DriverPostgres, dsn, db, false, "TIMESTAMP"))
	})
}

func TestConformanceSQLite(t *testing.T) {
	path, db := sqliteDB(t)
	t.Run("int keys, DATETIME text", func(t *testing.T) {
		connectortest.RunSourceTests(t, kitHarness(DriverSQLite, path, db, true, "DATETIME"))
	})
	t.Run("string keys, TEXT", func(t *testing.T) {
		connectortest.RunSourceTests(t, kitHarness(DriverSQLite, path, db, false, "TEXT"))
	})
}
