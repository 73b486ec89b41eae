// Package mapping turns raw legacy records into canonical packets according
// to a YAML-declared mapping: column → field, code tables, dates in the
// legacy zone, per-column text decoding and Unicode NFC normalisation.
package mapping

// Config is the `mapping:` section of the connector configuration.
type Config struct {
	// Streams maps a source stream name (e.g. ho_so) to how its rows become
	// packets.
	Streams map[string]StreamMapping `mapstructure:"streams"`
	// CodeTables maps a table name to legacy value → code on the wire.
	CodeTables map[string]map[string]string `mapstructure:"code_tables"`
	// Timezone is the IANA zone of legacy date/time values without an
	// offset; empty means DefaultTimezone (Asia/Ho_Chi_Minh).
	Timezone string `mapstructure:"timezone"`
}

// StreamMapping declares how one stream's rows are mapped.
type StreamMapping struct {
	// Packet is the packet kind produced: HoSo, TienDoXuLy or DanhGia.
	Packet string `mapstructure:"packet"`
	// Fields maps a packet field name (e.g. MaHoSo) to its source.
	Fields map[string]FieldMapping `mapstructure:"fields"`
	// Lists maps a nested list of the packet (e.g. TaiLieuNop) to the child
	// rows the source attached and how their columns map.
	Lists map[string]ListMapping `mapstructure:"lists"`
	// CatalogDate is the date field whose value dates the record for
	// catalog lookups (codes are checked against the catalog as it was
	// that day); empty means NgayTiepNhan (HoSo), ThoiDiemXuLy
	// (TienDoXuLy) or ThoiDiemDanhGia (DanhGia).
	CatalogDate string `mapstructure:"catalog_date"`
	// Identity names the packet fields whose mapped values identify the
	// message (e.g. [MaPhieu] for ratings). Empty: a message is its
	// record's version (row key and update time). Set, two rows with the
	// same values are the same message, so a copy a kiosk re-sent as a new
	// row gets the same message ID and is dropped as a duplicate.
	Identity []string `mapstructure:"identity"`
}

// ListMapping declares a nested list built from child rows.
type ListMapping struct {
	// From is the name under which the source attached the child rows;
	// empty means the list's own name.
	From   string                  `mapstructure:"from"`
	Fields map[string]FieldMapping `mapstructure:"fields"`
	// Lists declares lists nested in each item (a supplement request's
	// DanhSachGiayToBoSung, DanhSachLePhiBoSung); their rows are attached
	// to the child row the same way.
	Lists map[string]ListMapping `mapstructure:"lists"`
}

// FieldMapping declares where one packet field comes from.
type FieldMapping struct {
	Column string `mapstructure:"column"` // source column
	// Const is a fixed value on the wire instead of a column.
	Const string `mapstructure:"const"`
	// Default is the value on the wire when the column is NULL, empty or
	// one of Nulls; it does not go through the code table.
	Default   string `mapstructure:"default"`
	CodeTable string `mapstructure:"code_table"` // translate through this code table
	// CaseInsensitive makes the code-table lookup ignore letter case
	// ("Đang xử lý" matches "đang xử lý").
	CaseInsensitive bool `mapstructure:"case_insensitive"`
	// Nulls lists source values that mean "no value" (e.g. the MySQL zero
	// date "0000-00-00 00:00:00", "N/A"); they are treated like NULL.
	Nulls []string `mapstructure:"nulls"`
	// Format lists accepted layouts for date fields (Go layouts, "unix"
	// seconds or "unix_ms" milliseconds); the first that parses wins.
	Format   []string `mapstructure:"format"`
	Encoding string   `mapstructure:"encoding"` // utf8 (default), windows-1258, tcvn3
	Required bool     `mapstructure:"required"`
	MaxLen   int      `mapstructure:"max_len"`  // in characters; 0 = only the packet's own limit (checked by packets validation)
	Truncate bool     `mapstructure:"truncate"` // cut at MaxLen instead of rejecting
	// Catalog names a shared catalog (Options.Catalogs) the value must be
	// a code of on the record's date; an unknown code rejects the record,
	// naming the catalog.
	Catalog string `mapstructure:"catalog"`
	// CatalogMap names a code table of local → national codes (legacy
	// procedure code → MaTTHC); a value the table lacks passes as itself
	// only if it is a code of Catalog.
	CatalogMap string `mapstructure:"catalog_map"`
	// CatalogValue, with Catalog, puts an attribute of the code's entry on
	// the wire instead of the code: "name" for its name (a unit code in
	// the legacy column, the unit's name in DonViXuLy), or an extra
	// attribute.
	CatalogValue string `mapstructure:"catalog_value"`
	// FromCatalog fills the field from the catalog entry of another
	// field's value instead of a column.
	FromCatalog *CatalogRef `mapstructure:"from_catalog"`
	// RenameUnits replaces the code of a unit dissolved in 2025 by its
	// successor's (Options.UnitRenames) for records dated on or after the
	// takeover.
	RenameUnits bool `mapstructure:"rename_units"`
}
