package mapping

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	hoSo := func(fields map[string]FieldMapping) Config {
		return Config{Streams: map[string]StreamMapping{"ho_so": {Packet: "HoSo", Fields: fields}}}
	}
	withTables := func(c Config, tables map[string]map[string]string) Config {
		c.CodeTables = tables
		return c
	}
	const f = "mapping.streams.ho_so.fields."
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"valid, field names in any case", hoSo(map[string]FieldMapping{"mahoso": {Column: "ma"}, "NGAYTIEPNHAN": {Column: "ngay"}}), nil},
		{"no streams", Config{}, []string{"mapping.streams: no streams are mapped; map at least the dossier stream"}},
		{"bad timezone", Config{Timezone: "Asia/Sai_Gon", Streams: hoSo(map[string]FieldMapping{"MaHoSo": {Column: "a"}}).Streams},
			[]string{`mapping.timezone: unknown time zone "Asia/Sai_Gon"; use an IANA name such as Asia/Ho_Chi_Minh`}},
		{"Local timezone", Config{Timezone: "Local", Streams: hoSo(map[string]FieldMapping{"MaHoSo": {Column: "a"}}).Streams},
			[]string{`mapping.timezone: "Local" depends on the machine's settings; name the legacy database's zone, e.g. Asia/Ho_Chi_Minh`}},
		{"packet kind missing", Config{Streams: map[string]StreamMapping{"ho_so": {Fields: map[string]FieldMapping{"MaHoSo": {Column: "a"}}}}},
			[]string{"mapping.streams.ho_so.packet: missing: say which packet the rows become (DanhGia, HoSo, TienDoXuLy)"}},
		{"packet kind unknown", Config{Streams: map[string]StreamMapping{"x": {Packet: "ThongKe", Fields: map[string]FieldMapping{"MaHoSo": {Column: "a"}}}}},
			[]string{`mapping.streams.x.packet: unknown packet kind "ThongKe" (known: DanhGia, HoSo, TienDoXuLy)`}},
		{"stream names differ in case", Config{Streams: map[string]StreamMapping{
			"HO_SO": {Packet: "HoSo", Fields: map[string]FieldMapping{"MaHoSo": {Column: "a"}}},
			"ho_so": {Packet: "HoSo", Fields: map[string]FieldMapping{"MaHoSo": {Column: "a"}}},
		}}, []string{`mapping.streams.ho_so: stream names differ only in letter case from "HO_SO"; the config loader would merge them`}},
		{"no fields", hoSo(nil), []string{f[:len(f)-1] + ": no fields are mapped"}},
		{"unknown field with suggestion", hoSo(map[string]FieldMapping{"MaHoSoo": {Column: "a"}, "Zzz": {Column: "b"}}), []string{
			f + `MaHoSoo: HoSo has no field "MaHoSoo" (did you mean MaHoSo?)`,
			f + `Zzz: HoSo has no field "Zzz"`,
		}},
		{"progress field in a dossier", hoSo(map[string]FieldMapping{"TrangThai": {Column: "a"}}), []string{
			f + `TrangThai: HoSo has no field "TrangThai" (did you mean TrangThaiHoSo?)`,
		}},
		{"mapped twice", hoSo(map[string]FieldMapping{"MaHoSo": {Column: "a"}, "mahoso": {Column: "b"}}), []string{
			f + `MaHoSo: mapped twice (as "MaHoSo" and "mahoso")`,
		}},
		{"list under fields", hoSo(map[string]FieldMapping{"TaiLieuNop": {Column: "a"}}), []string{
			f + "TaiLieuNop: TaiLieuNop is a list: declare it under lists: with from: and fields:",
		}},
		{"column or const", hoSo(map[string]FieldMapping{"MaHoSo": {}, "ChuHoSo": {Column: "a", Const: "b"}}), []string{
			f + "ChuHoSo: column and const are exclusive: a field comes from one place",
			f + "MaHoSo: set column (where the value comes from) or const (a fixed value)",
		}},
		{"field options", hoSo(map[string]FieldMapping{
			"ChuHoSo":      {Column: "a", Encoding: "vni", Format: []string{"2006"}, CaseInsensitive: true, MaxLen: -1, Nulls: []string{""}},
			"NgayTiepNhan": {Column: "b", Format: []string{"2006-01-02", "dd/MM/yyyy"}, MaxLen: 10, Truncate: true},
			"GhiChu":       {Column: "c", Truncate: true},
		}), []string{
			f + `ChuHoSo.encoding: unknown encoding "vni" (known: cp1258, tcvn3, utf-8, utf8, windows-1258)`,
			f + "ChuHoSo.format: format applies to date fields; ChuHoSo is a text field",
			f + "ChuHoSo.case_insensitive: applies only together with code_table",
			f + "ChuHoSo.max_len: must not be negative",
			f + "ChuHoSo.nulls[0]: empty values already count as NULL",
			f + "GhiChu.truncate: needs max_len (the length to cut at)",
			f + `NgayTiepNhan.format[1]: layout "dd/MM/yyyy" does not describe a date with year, month and day; Go layouts are written with the reference time 2006-01-02 15:04:05 (for dd/MM/yyyy write "02/01/2006")`,
			f + "NgayTiepNhan.max_len: applies to text fields; NgayTiepNhan is a date field",
		}},
		{"code tables on fields", withTables(hoSo(map[string]FieldMapping{
			"NgayTiepNhan":  {Column: "a", CodeTable: "t"},
			"KenhThucHien":  {Column: "b", CodeTable: "kenh_cu"},
			"TrangThaiHoSo": {Column: "c", CodeTable: "t"},
			"LoaiDoiTuong":  {Column: "d", CodeTable: "clash", CaseInsensitive: true},
		}), map[string]map[string]string{
			"t":     {"DANG_XU_LY": "4", "CU": "11"},
			"clash": {"cd": "1", "CD": "2"},
		}), []string{
			f + `KenhThucHien.code_table: unknown code table "kenh_cu" (known: clash, t)`,
			f + `LoaiDoiTuong.case_insensitive: code table "clash" cannot be used case-insensitively: "cd" and another spelling of it map to "2" and "1"`,
			f + "NgayTiepNhan.code_table: a code table cannot fill the date field NgayTiepNhan",
			f + `TrangThaiHoSo.code_table: code table "t" maps "CU" to "11", which is not a TrangThaiHoSo code (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)`,
		}},
		{"const and default", hoSo(map[string]FieldMapping{
			"NoiNopHoSo":    {Const: "2", Default: "1", CodeTable: "t", Encoding: "tcvn3", Nulls: []string{"x"}},
			"HinhThuc":      {Const: "5"},
			"KenhThucHien":  {Column: "k", Default: "0"},
			"NgayHenTra":    {Column: "n", Default: "2026-01-01"},
			"NgayTra":       {Column: "n", Format: []string{"2006-01-02"}, Default: "01/01/2026"},
			"TenTTHC":       {Const: "Đăng ký khai sinh", MaxLen: 5},
			"ChuHoSo":       {Const: "  "},
			"TrangThaiHoSo": {Column: "t", Default: "\x01"},
		}), []string{
			f + "ChuHoSo.const: blank",
			f + `HinhThuc.const: "5" is not a HinhThuc code (0, 1)`,
			f + `KenhThucHien.default: "0" is not a KenhThucHien code (1, 2, 3)`,
			f + "NgayHenTra.default: a date needs format: with the layout it is written in",
			f + `NgayTra.default: "01/01/2026": not a valid date for layout "2006-01-02"`,
			f + `NoiNopHoSo.code_table: unknown code table "t" (known: none defined under mapping.code_tables)`,
			f + "NoiNopHoSo.default: has no effect with const (const is the value on the wire)",
			f + "NoiNopHoSo.code_table: has no effect with const (const is the value on the wire)",
			f + "NoiNopHoSo.encoding: has no effect with const (const is the value on the wire)",
			f + "NoiNopHoSo.nulls: has no effect with const (const is the value on the wire)",
			f + "TenTTHC.const: 17 characters, longer than max_len 5",
			f + "TrangThaiHoSo.default: control character U+0001 at offset 0 (only tab, CR and LF are allowed in text)",
		}},
		{"lists", Config{Streams: map[string]StreamMapping{"ho_so": {Packet: "HoSo",
			Fields: map[string]FieldMapping{"MaHoSo": {Column: "a"}},
			Lists: map[string]ListMapping{
				"TaiLieuNopp":        {Fields: map[string]FieldMapping{"TenTepDinhKem": {Column: "b"}}},
				"ChuHoSo":            {Fields: map[string]FieldMapping{"X": {Column: "b"}}},
				"DanhSachLePhi":      {},
				"DanhSachHoSoBoSung": {Fields: map[string]FieldMapping{"HoSoBoSungId": {Column: "id", MaxLen: 3}}, Lists: map[string]ListMapping{"DanhSachGiayToBoSung": {Fields: map[string]FieldMapping{"Ten": {Column: "t"}}}}},
			}}}}, []string{
			"mapping.streams.ho_so.lists.ChuHoSo: ChuHoSo is not a list: map it under fields:",
			"mapping.streams.ho_so.lists.DanhSachHoSoBoSung.fields.HoSoBoSungId.max_len: applies to text fields; HoSoBoSungId is a whole number field",
			`mapping.streams.ho_so.lists.DanhSachHoSoBoSung.lists.DanhSachGiayToBoSung.fields.Ten: SubmittedDocument has no field "Ten"`,
			"mapping.streams.ho_so.lists.DanhSachLePhi.fields: no fields are mapped",
			`mapping.streams.ho_so.lists.TaiLieuNopp: HoSo has no list "TaiLieuNopp" (did you mean TaiLieuNop?)`,
		}},
		{"code table names", Config{Streams: hoSo(map[string]FieldMapping{"MaHoSo": {Column: "a"}}).Streams, CodeTables: map[string]map[string]string{
			"empty": {}, "Kenh": {"a": "1"}, "kenh": {"b": "2"},
		}}, []string{
			"mapping.code_tables.empty: empty code table: every value would be rejected",
			`mapping.code_tables.kenh: code table names differ only in letter case from "Kenh"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := tt.cfg.Validate()
			var got []string
			for _, err := range errs {
				var ce *ConfigError
				if !errors.As(err, &ce) {
					t.Errorf("%T is not *ConfigError: %v", err, err)
				}
				got = append(got, err.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			_, err := New(tt.cfg, Options{})
			if (err == nil) != (len(tt.want) == 0) {
				t.Errorf("New error %v, want errors %v", err, tt.want)
			}
		})
	}
}

// TestValidateCodeTableEntries checks the entries of one table, whose
// problems are reported per key.
func TestValidateCodeTableEntries(t *testing.T) {
	cfg := Config{
		Streams: map[string]StreamMapping{"ho_so": {Packet: "HoSo", Fields: map[string]FieldMapping{"MaHoSo": {Column: "a"}}}},
		CodeTables: map[string]map[string]string{"t": {
			" DANG_XU_LY": "4", "": "1", "X": "", "Y": " 2",
			"Đang xử lý": "4", "\u0110ang xu\u031b\u0309 ly\u0301": "4",
			"bad\xff": "1",
		}},
	}
	var got []string
	for _, err := range cfg.Validate() {
		got = append(got, err.Error())
	}
	want := []string{
		"mapping.code_tables.t.: an empty legacy value never reaches a code table: NULL and empty values take the field's default",
		`mapping.code_tables.t. DANG_XU_LY: legacy value " DANG_XU_LY" has leading or trailing spaces; source values are trimmed before lookup, so remove them`,
		"mapping.code_tables.t.X: empty code",
		`mapping.code_tables.t.Y: code " 2" has leading or trailing spaces; source values are trimmed before lookup, so remove them`,
		"mapping.code_tables.t.bad\xff: legacy value: not valid UTF-8 (byte 0xFF at offset 3); if the column holds legacy Vietnamese text, set encoding: windows-1258 or tcvn3",
		`mapping.code_tables.t.Đang xử lý: legacy value "Đang xử lý" appears twice (after Unicode NFC normalisation)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestNewJoinsErrorsAndZoneOverride(t *testing.T) {
	cfg := Config{Timezone: "Nowhere/City", Streams: map[string]StreamMapping{"ho_so": {Packet: "HoSo", Fields: map[string]FieldMapping{"MaHoSo": {Column: "a"}, "X": {Column: "b"}}}}}
	_, err := New(cfg, Options{})
	if err == nil || strings.Count(err.Error(), "\n") != 1 {
		t.Fatalf("want two errors on two lines, got %v", err)
	}
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Path != "mapping.timezone" {
		t.Errorf("errors.As *ConfigError: %v", ce)
	}
	// Options.Zone replaces the configured zone entirely.
	delete(cfg.Streams["ho_so"].Fields, "X")
	m, err := New(cfg, Options{Zone: time.UTC})
	if err != nil || m.zone != time.UTC {
		t.Errorf("New with Zone: %v", err)
	}
}
