package mapping

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// dossierField maps one Dossier field from column "c" and returns the
// mapped value of that field, the warnings and the error text.
func dossierField(t *testing.T, field string, fm FieldMapping, values map[string]any, tables map[string]map[string]string) (any, []packets.Issue, string) {
	t.Helper()
	cfg := Config{
		Streams:    map[string]StreamMapping{"ho_so": {Packet: "HoSo", Fields: map[string]FieldMapping{field: fm}}},
		CodeTables: tables,
	}
	m := mustMapper(t, cfg, Options{Zone: hcm(t)})
	p, warnings, err := m.Map("ho_so", "1", values)
	if err != nil {
		var me *Error
		if !errors.As(err, &me) {
			t.Fatalf("error %T is not *mapping.Error: %v", err, err)
		}
		return nil, nil, err.Error()
	}
	if p.Header.LoaiGoiTin != packets.KindDossier || p.Dossier == nil || p.Progress != nil {
		t.Fatalf("packet kind %q, dossier %v, progress %v", p.Header.LoaiGoiTin, p.Dossier != nil, p.Progress != nil)
	}
	v := reflect.ValueOf(p.Dossier).Elem().FieldByName(field).Interface()
	if pt, ok := v.(packets.Time); ok {
		return pt.Time, warnings, ""
	}
	return v, warnings, ""
}

func TestMapTextField(t *testing.T) {
	tests := []struct {
		name    string
		fm      FieldMapping
		value   any
		want    string
		wantErr string
	}{
		{"string", FieldMapping{Column: "c"}, "Hộ tịch", "Hộ tịch", ""},
		{"bytes", FieldMapping{Column: "c"}, []byte("Hộ tịch"), "Hộ tịch", ""},
		{"int64 without exponent", FieldMapping{Column: "c"}, int64(79212345678901), "79212345678901", ""},
		{"int32", FieldMapping{Column: "c"}, int32(-5), "-5", ""},
		{"uint8", FieldMapping{Column: "c"}, uint8(7), "7", ""},
		{"uint64 in range", FieldMapping{Column: "c"}, uint64(1 << 40), "1099511627776", ""},
		{"float64 integral", FieldMapping{Column: "c"}, float64(1234567), "1234567", ""},
		{"float64 large integral, no exponent", FieldMapping{Column: "c"}, 1e21, "1000000000000000000000", ""},
		{"float64 fraction", FieldMapping{Column: "c"}, 12.5, "12.5", ""},
		{"float32", FieldMapping{Column: "c"}, float32(2.5), "2.5", ""},
		{"bool", FieldMapping{Column: "c"}, true, "true", ""},
		{"json.Number", FieldMapping{Column: "c"}, json.Number("12345678901234567890"), "12345678901234567890", ""},
		{"trimmed", FieldMapping{Column: "c"}, "  Sài Gòn  ", "Sài Gòn", ""},
		{"NFD to NFC", FieldMapping{Column: "c"}, "Sa\u0300i Go\u0300n", "Sài Gòn", ""},
		{"windows-1258", FieldMapping{Column: "c", Encoding: "windows-1258"}, []byte("Vi\xea\xf2t"), "Việt", ""},
		{"tcvn3 in a string", FieldMapping{Column: "c", Encoding: "tcvn3"}, "Vi\xd6t", "Việt", ""},
		{"tcvn3 number is not decoded", FieldMapping{Column: "c", Encoding: "tcvn3"}, int64(12), "12", ""},
		{"NULL not required", FieldMapping{Column: "c"}, nil, "", ""},
		{"NULL takes default", FieldMapping{Column: "c", Default: "Chưa rõ"}, nil, "Chưa rõ", ""},
		{"empty takes default", FieldMapping{Column: "c", Default: "x"}, "", "x", ""},
		{"blank takes default", FieldMapping{Column: "c", Default: "x"}, []byte(" \t "), "x", ""},
		{"null marker takes default", FieldMapping{Column: "c", Default: "x", Nulls: []string{"N/A"}}, " N/A ", "x", ""},
		{"null marker without default is empty", FieldMapping{Column: "c", Nulls: []string{"N/A"}}, "N/A", "", ""},
		{"default is NFC", FieldMapping{Column: "c", Default: "Ho\u0302\u0300"}, nil, "Hồ", ""},
		{"const ignores the record", FieldMapping{Const: "2"}, "anything", "2", ""},
		{"required present", FieldMapping{Column: "c", Required: true}, "x", "x", ""},
		{"max_len fits in characters", FieldMapping{Column: "c", MaxLen: 4}, "Việt", "Việt", ""},
		{"required NULL", FieldMapping{Column: "c", Required: true}, nil, "",
			"ho_so 1: field ChuHoSo (column c): required, but the value is NULL; fix the source or set a default"},
		{"required empty", FieldMapping{Column: "c", Required: true}, "  ", "",
			`ho_so 1: field ChuHoSo (column c) value "  ": required, but the value is empty; fix the source or set a default`},
		{"too long", FieldMapping{Column: "c", MaxLen: 3}, "Việt", "",
			`ho_so 1: field ChuHoSo (column c) value "Việt": too long: 4 characters, max_len is 3; shorten it in the source or set truncate: true`},
		{"invalid UTF-8", FieldMapping{Column: "c"}, []byte("Nguy\xeabn"), "",
			`ho_so 1: field ChuHoSo (column c) value "Nguy\xeabn": not valid UTF-8 (byte 0xEA at offset 4); if the column holds legacy Vietnamese text, set encoding: windows-1258 or tcvn3`},
		{"control character", FieldMapping{Column: "c"}, "Lan\x1b", "",
			`ho_so 1: field ChuHoSo (column c) value "Lan\x1b": control character U+001B at offset 3 (only tab, CR and LF are allowed in text)`},
		{"undefined windows-1258 byte", FieldMapping{Column: "c", Encoding: "windows-1258"}, []byte{'a', 0x8d}, "",
			`ho_so 1: field ChuHoSo (column c) value "a\x8d": byte 0x8D at offset 1 is not defined in windows-1258`},
		{"NaN", FieldMapping{Column: "c"}, math.NaN(), "",
			`ho_so 1: field ChuHoSo (column c) value "NaN": not a finite number`},
		{"uint64 out of range", FieldMapping{Column: "c"}, uint64(math.MaxUint64), "",
			`ho_so 1: field ChuHoSo (column c) value "18446744073709551615": number out of range`},
		{"time into text", FieldMapping{Column: "c"}, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "",
			`ho_so 1: field ChuHoSo (column c) value "2026-01-02T03:04:05Z": a date/time value cannot fill a text field; map the column to a date field or convert it to text in the source query`},
		{"unsupported type", FieldMapping{Column: "c"}, []string{"a"}, "",
			`ho_so 1: field ChuHoSo (column c) value "[a]": unsupported value type []string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, errText := dossierField(t, "ChuHoSo", tt.fm, map[string]any{"c": tt.value}, nil)
			if errText != tt.wantErr {
				t.Fatalf("error = %q\nwant    %q", errText, tt.wantErr)
			}
			if tt.wantErr == "" && got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMapMissingColumn(t *testing.T) {
	_, _, errText := dossierField(t, "ChuHoSo", FieldMapping{Column: "ho_ten"}, map[string]any{"hoten": "x"}, nil)
	want := `ho_so 1: field ChuHoSo (column ho_ten): the record has no column "ho_ten"; check the column name in the mapping and the source query`
	if errText != want {
		t.Errorf("error = %q\nwant    %q", errText, want)
	}
}

func TestMapTruncate(t *testing.T) {
	tests := []struct {
		name, field, in, want, warnValue, warnReason string
		max                                          int
	}{
		{"cut on a character boundary", "TenTTHC", "Đăng ký khai sinh", "Đăng ký", "Đăng ký", "truncated from 17 to 7 characters (max_len 8)", 8},
		{"trailing space dropped after the cut", "TenTTHC", "ab cd", "ab", "ab", "truncated from 5 to 2 characters (max_len 3)", 3},
		{"personal field value hidden in the warning", "ChuHoSo", "Nguyễn Văn An", "Nguyễn", "[hidden, 6 characters]", "truncated from 13 to 6 characters (max_len 6)", 6},
		// Accented letters NFC composes count as one character.
		{"composed letters", "TenTTHC", "xa\u0323\u0302y", "xậ", "xậ", "truncated from 3 to 2 characters (max_len 2)", 2},
		// q has no precomposed accented form: the cut must not separate it
		// from its marks, so it goes with them.
		{"letter with marks kept whole", "TenTTHC", "ab q\u0323\u0301", "ab", "ab", "truncated from 6 to 2 characters (max_len 5)", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warnings, errText := dossierField(t, tt.field, FieldMapping{Column: "c", MaxLen: tt.max, Truncate: true}, map[string]any{"c": tt.in}, nil)
			if errText != "" {
				t.Fatal(errText)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			want := []packets.Issue{{Field: tt.field, Value: tt.warnValue, Reason: tt.warnReason, Warning: true}}
			if !reflect.DeepEqual(warnings, want) {
				t.Errorf("warnings = %+v, want %+v", warnings, want)
			}
		})
	}
	// Within the limit: no warning.
	_, warnings, _ := dossierField(t, "TenTTHC", FieldMapping{Column: "c", MaxLen: 4, Truncate: true}, map[string]any{"c": "Việt"}, nil)
	if len(warnings) != 0 {
		t.Errorf("warnings for a value within max_len: %+v", warnings)
	}
}

func TestMapDateField(t *testing.T) {
	zone := hcm(t)
	ymd := []string{"2006-01-02 15:04:05", "02/01/2006"}
	tests := []struct {
		name    string
		fm      FieldMapping
		value   any
		want    time.Time
		wantErr string
	}{
		{"text with layout", FieldMapping{Column: "c", Format: ymd}, []byte("2026-09-03 08:15:00"), time.Date(2026, 9, 3, 8, 15, 0, 0, zone), ""},
		{"second layout", FieldMapping{Column: "c", Format: ymd}, "03/09/2026", time.Date(2026, 9, 3, 0, 0, 0, 0, zone), ""},
		{"driver time in UTC is wall clock", FieldMapping{Column: "c"}, time.Date(2026, 9, 3, 8, 15, 0, 0, time.UTC), time.Date(2026, 9, 3, 8, 15, 0, 0, zone), ""},
		{"driver time with a zone is an instant", FieldMapping{Column: "c"}, time.Date(2026, 9, 3, 1, 15, 0, 0, time.FixedZone("X", 0)), time.Date(2026, 9, 3, 8, 15, 0, 0, zone), ""},
		{"zero time is NULL", FieldMapping{Column: "c"}, time.Time{}, time.Time{}, ""},
		{"unix int64", FieldMapping{Column: "c", Format: []string{"unix"}}, int64(1788311400), time.Date(2026, 9, 2, 8, 10, 0, 0, zone), ""},
		{"unix_ms float64", FieldMapping{Column: "c", Format: []string{"unix_ms"}}, float64(1788311400000), time.Date(2026, 9, 2, 8, 10, 0, 0, zone), ""},
		{"number with date layout", FieldMapping{Column: "c", Format: []string{"20060102"}}, int64(20260902), time.Date(2026, 9, 2, 0, 0, 0, 0, zone), ""},
		{"null marker", FieldMapping{Column: "c", Format: ymd, Nulls: []string{"0000-00-00 00:00:00"}}, "0000-00-00 00:00:00", time.Time{}, ""},
		{"default date", FieldMapping{Column: "c", Format: ymd, Default: "01/01/2026"}, nil, time.Date(2026, 1, 1, 0, 0, 0, 0, zone), ""},
		{"const date", FieldMapping{Const: "2026-01-01 07:00:00", Format: ymd}, nil, time.Date(2026, 1, 1, 7, 0, 0, 0, zone), ""},
		{"bad date", FieldMapping{Column: "c", Format: []string{"02/01/2006"}}, "31/02/2025", time.Time{},
			`ho_so 1: field NgayTiepNhan (column c) value "31/02/2025": not a valid date for layout "02/01/2006" (day out of range)`},
		{"text without format", FieldMapping{Column: "c"}, "2026-09-03", time.Time{},
			`ho_so 1: field NgayTiepNhan (column c) value "2026-09-03": the field has no format to read this value with; add format: with the layout the column uses (e.g. "2006-01-02 15:04:05", or unix)`},
		{"bool", FieldMapping{Column: "c", Format: ymd}, true, time.Time{},
			`ho_so 1: field NgayTiepNhan (column c) value "true": not a valid date for any of the layouts "2006-01-02 15:04:05", "02/01/2006"`},
		{"required zero time", FieldMapping{Column: "c", Required: true}, time.Time{}, time.Time{},
			`ho_so 1: field NgayTiepNhan (column c) value "0001-01-01T00:00:00Z": required, but the value is empty; fix the source or set a default`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, errText := dossierField(t, "NgayTiepNhan", tt.fm, map[string]any{"c": tt.value}, nil)
			if errText != tt.wantErr {
				t.Fatalf("error = %q\nwant    %q", errText, tt.wantErr)
			}
			if tt.wantErr != "" {
				return
			}
			gt := got.(time.Time)
			if !gt.Equal(tt.want) || gt.IsZero() != tt.want.IsZero() {
				t.Errorf("got %v, want %v", gt, tt.want)
			}
		})
	}
}

func TestMapCodeTable(t *testing.T) {
	tables := map[string]map[string]string{
		"trang_thai": {"DANG_XU_LY": "4", "Đang xử lý": "4", "DA_TRA_KQ": "10", "5": "5"},
		"lower":      {"đã trả kết quả": "10"},
	}
	tests := []struct {
		name    string
		fm      FieldMapping
		value   any
		want    string
		wantErr string
	}{
		{"exact", FieldMapping{Column: "c", CodeTable: "trang_thai"}, "DANG_XU_LY", "4", ""},
		{"trimmed", FieldMapping{Column: "c", CodeTable: "trang_thai"}, []byte(" DA_TRA_KQ "), "10", ""},
		{"NFD source matches NFC key", FieldMapping{Column: "c", CodeTable: "trang_thai"}, "\u0110ang xu\u031b\u0309 ly\u0301", "4", ""},
		{"number looked up as text", FieldMapping{Column: "c", CodeTable: "trang_thai"}, int64(5), "5", ""},
		{"table name in any case", FieldMapping{Column: "c", CodeTable: "Trang_Thai"}, "DANG_XU_LY", "4", ""},
		{"case-insensitive", FieldMapping{Column: "c", CodeTable: "lower", CaseInsensitive: true}, "ĐÃ TRẢ KẾT QUẢ", "10", ""},
		{"NULL takes default, not looked up", FieldMapping{Column: "c", CodeTable: "trang_thai", Default: "1"}, nil, "1", ""},
		{"unmapped", FieldMapping{Column: "c", CodeTable: "trang_thai"}, "CHO_PHE_DUYET", "",
			`ho_so 1: field TrangThaiHoSo (column c) value "CHO_PHE_DUYET": not in code table "trang_thai"; add the value to mapping.code_tables.trang_thai (unmapped values are never guessed)`},
		{"case differs, case-sensitive", FieldMapping{Column: "c", CodeTable: "lower"}, "Đã trả kết quả", "",
			`ho_so 1: field TrangThaiHoSo (column c) value "Đã trả kết quả": not in code table "lower"; add the value to mapping.code_tables.lower (unmapped values are never guessed); a key differs only in letter case: set case_insensitive: true if case does not matter`},
		{"case-insensitive still exact on letters", FieldMapping{Column: "c", CodeTable: "lower", CaseInsensitive: true}, "da tra ket qua", "",
			`ho_so 1: field TrangThaiHoSo (column c) value "da tra ket qua": not in code table "lower"; add the value to mapping.code_tables.lower (unmapped values are never guessed)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, errText := dossierField(t, "TrangThaiHoSo", tt.fm, map[string]any{"c": tt.value}, tables)
			if errText != tt.wantErr {
				t.Fatalf("error = %q\nwant    %q", errText, tt.wantErr)
			}
			if tt.wantErr == "" && got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// otherPaper maps DanhSachTepDinhKemKhac[0].SoLuong, the model's whole-number
// field, from column "c" of one child row.
func otherPaper(t *testing.T, fm FieldMapping, value any, tables map[string]map[string]string) (int, string) {
	t.Helper()
	cfg := Config{
		CodeTables: tables,
		Streams: map[string]StreamMapping{"ho_so": {Packet: "HoSo",
			Fields: map[string]FieldMapping{"MaHoSo": {Const: "X"}},
			Lists: map[string]ListMapping{"DanhSachTepDinhKemKhac": {From: "giay_to",
				Fields: map[string]FieldMapping{"SoLuong": fm}}},
		}},
	}
	m := mustMapper(t, cfg, Options{Zone: time.UTC})
	p, _, err := m.Map("ho_so", "1", map[string]any{"giay_to": []map[string]any{{"c": value}}})
	if err != nil {
		return 0, err.Error()
	}
	return p.Dossier.DanhSachTepDinhKemKhac[0].SoLuong, ""
}

func TestMapIntField(t *testing.T) {
	const prefix = "ho_so 1: field DanhSachTepDinhKemKhac[0].SoLuong (column giay_to[0].c) "
	tests := []struct {
		name    string
		fm      FieldMapping
		value   any
		want    int
		wantErr string
	}{
		{"int64", FieldMapping{Column: "c"}, int64(3), 3, ""},
		{"int", FieldMapping{Column: "c"}, 4, 4, ""},
		{"string", FieldMapping{Column: "c"}, " 12 ", 12, ""},
		{"bytes", FieldMapping{Column: "c"}, []byte("7"), 7, ""},
		{"negative", FieldMapping{Column: "c"}, "-2", -2, ""},
		{"decimal with zero fraction", FieldMapping{Column: "c"}, []byte("5.00"), 5, ""},
		{"float64 integral", FieldMapping{Column: "c"}, 6.0, 6, ""},
		{"NULL", FieldMapping{Column: "c"}, nil, 0, ""},
		{"default", FieldMapping{Column: "c", Default: "1"}, nil, 1, ""},
		{"const", FieldMapping{Const: "9"}, nil, 9, ""},
		{"null marker on a number", FieldMapping{Column: "c", Default: "1", Nulls: []string{"0"}}, int64(0), 1, ""},
		{"through a code table", FieldMapping{Column: "c", CodeTable: "so"}, "hai", 2, ""},
		{"fraction", FieldMapping{Column: "c"}, "2.5", 0, prefix + `value "2.5": not a whole number`},
		{"float64 fraction", FieldMapping{Column: "c"}, 2.5, 0, prefix + `value "2.5": not a whole number`},
		{"text", FieldMapping{Column: "c"}, "hai", 0, prefix + `value "hai": not a whole number`},
		{"leading dot", FieldMapping{Column: "c"}, ".0", 0, prefix + `value ".0": not a whole number`},
		{"overflow", FieldMapping{Column: "c"}, "99999999999999999999", 0, prefix + `value "99999999999999999999": number out of range`},
		{"time", FieldMapping{Column: "c"}, time.Unix(0, 0).UTC(), 0, prefix + `value "1970-01-01T00:00:00Z": a date/time value cannot fill a whole number field; map the column to a date field or convert it to text in the source query`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errText := otherPaper(t, tt.fm, tt.value, map[string]map[string]string{"so": {"hai": "2"}})
			if errText != tt.wantErr {
				t.Fatalf("error = %q\nwant    %q", errText, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestMapLists(t *testing.T) {
	cfg := Config{Streams: map[string]StreamMapping{"ho_so": {Packet: "HoSo",
		Fields: map[string]FieldMapping{"MaHoSo": {Column: "ma"}},
		Lists: map[string]ListMapping{
			"TaiLieuNop": {From: "tai_lieu", Fields: map[string]FieldMapping{
				"TenTepDinhKem": {Column: "ten", Required: true},
				"IsDeleted":     {Const: "False"},
			}},
			"DanhSachHoSoBoSung": {From: "bo_sung", Fields: map[string]FieldMapping{
				"HoSoBoSungId": {Column: "id"},
			}, Lists: map[string]ListMapping{
				"DanhSachGiayToBoSung": {From: "giay_to", Fields: map[string]FieldMapping{"TenTepDinhKem": {Column: "ten", Required: true}}},
			}},
		},
	}}}
	m := mustMapper(t, cfg, Options{Zone: time.UTC})
	tests := []struct {
		name    string
		values  map[string]any
		check   func(t *testing.T, d *packets.Dossier)
		wantErr string
	}{
		{"rows as []map", map[string]any{"ma": "A", "tai_lieu": []map[string]any{{"ten": "a.pdf"}, {"ten": "b.pdf"}}, "bo_sung": nil},
			func(t *testing.T, d *packets.Dossier) {
				want := []packets.SubmittedDocument{{TenTepDinhKem: "a.pdf", IsDeleted: "False"}, {TenTepDinhKem: "b.pdf", IsDeleted: "False"}}
				if !reflect.DeepEqual(d.TaiLieuNop, want) {
					t.Errorf("TaiLieuNop = %+v", d.TaiLieuNop)
				}
				if d.DanhSachHoSoBoSung != nil {
					t.Errorf("NULL child list gave %+v", d.DanhSachHoSoBoSung)
				}
			}, ""},
		{"rows as []any from JSON", map[string]any{"ma": "A", "tai_lieu": []any{map[string]any{"ten": "c.pdf"}}, "bo_sung": []any{}},
			func(t *testing.T, d *packets.Dossier) {
				if len(d.TaiLieuNop) != 1 || d.TaiLieuNop[0].TenTepDinhKem != "c.pdf" {
					t.Errorf("TaiLieuNop = %+v", d.TaiLieuNop)
				}
			}, ""},
		{"nested list", map[string]any{"ma": "A", "tai_lieu": nil, "bo_sung": []map[string]any{
			{"id": int64(7), "giay_to": []map[string]any{{"ten": "x.pdf"}}},
			{"id": int64(8), "giay_to": nil},
		}},
			func(t *testing.T, d *packets.Dossier) {
				b := d.DanhSachHoSoBoSung
				if len(b) != 2 || b[0].HoSoBoSungId != 7 || b[1].HoSoBoSungId != 8 ||
					len(b[0].DanhSachGiayToBoSung) != 1 || b[0].DanhSachGiayToBoSung[0].TenTepDinhKem != "x.pdf" || b[1].DanhSachGiayToBoSung != nil {
					t.Errorf("DanhSachHoSoBoSung = %+v", b)
				}
			}, ""},
		{"bad child names its position", map[string]any{"ma": "A", "tai_lieu": []map[string]any{{"ten": "a"}, {"ten": nil}}, "bo_sung": nil}, nil,
			"ho_so 1: field TaiLieuNop[1].TenTepDinhKem (column tai_lieu[1].ten): required, but the value is NULL; fix the source or set a default"},
		{"bad nested child", map[string]any{"ma": "A", "tai_lieu": nil, "bo_sung": []map[string]any{{"id": int64(1), "giay_to": []map[string]any{{"ten": "a"}, {"ten": "b"}, {"ten": "\x00"}}}}}, nil,
			`ho_so 1: field DanhSachHoSoBoSung[0].DanhSachGiayToBoSung[2].TenTepDinhKem (column bo_sung[0].giay_to[2].ten) value "\x00": control character U+0000 at offset 0 (only tab, CR and LF are allowed in text)`},
		{"child list missing", map[string]any{"ma": "A", "bo_sung": nil}, nil,
			`ho_so 1: field TaiLieuNop (column tai_lieu): the record has no child list "tai_lieu"; check lists.TaiLieuNop.from or the source`},
		{"child list of the wrong type", map[string]any{"ma": "A", "tai_lieu": "a.pdf", "bo_sung": nil}, nil,
			"ho_so 1: field TaiLieuNop (column tai_lieu): child rows are string, not a list of rows"},
		{"child row of the wrong type", map[string]any{"ma": "A", "tai_lieu": []any{"a.pdf"}, "bo_sung": nil}, nil,
			"ho_so 1: field TaiLieuNop (column tai_lieu): child row 0 is string, not a row of columns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, err := m.Map("ho_so", "1", tt.values)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v\nwant    %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, p.Dossier)
		})
	}
}

func TestMapProgressStep(t *testing.T) {
	cfg := Config{Streams: map[string]StreamMapping{"qua_trinh": {Packet: "TienDoXuLy", Fields: map[string]FieldMapping{
		"MaHoSo": {Column: "ma"}, "TrangThai": {Const: "4"}, "ThoiDiemXuLy": {Column: "luc"},
	}}}}
	zone := hcm(t)
	m := mustMapper(t, cfg, Options{Zone: zone})
	p, warnings, err := m.Map("qua_trinh", "5", map[string]any{"ma": "A-1", "luc": time.Date(2026, 9, 4, 10, 5, 0, 0, time.UTC)})
	if err != nil || len(warnings) != 0 {
		t.Fatalf("Map: %v, warnings %v", err, warnings)
	}
	want := &packets.ProgressStep{MaHoSo: "A-1", TrangThai: "4", ThoiDiemXuLy: packets.At(time.Date(2026, 9, 4, 10, 5, 0, 0, zone))}
	if p.Header.LoaiGoiTin != packets.KindProgress || p.Dossier != nil || !reflect.DeepEqual(p.Progress, want) {
		t.Errorf("got %+v / %+v, want %+v", p.Header, p.Progress, want)
	}
}

func TestMapStreamLookup(t *testing.T) {
	// The config loader lower-cases stream names; connectors may not.
	cfg := Config{Streams: map[string]StreamMapping{"ho_so": {Packet: "HoSo", Fields: map[string]FieldMapping{"MaHoSo": {Column: "ma"}}}}}
	m := mustMapper(t, cfg, Options{})
	if _, _, err := m.Map("HO_SO", "1", map[string]any{"ma": "x"}); err != nil {
		t.Errorf("stream name in another case: %v", err)
	}
	_, _, err := m.Map("ho_so_cu", "1", map[string]any{"ma": "x"})
	want := `ho_so_cu 1: no mapping for stream "ho_so_cu" (mapped streams: ho_so)`
	var me *Error
	if !errors.As(err, &me) || err.Error() != want {
		t.Errorf("unknown stream: %v, want %q", err, want)
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{Stream: "ho_so", Key: "1234", Field: "NgayTiepNhan", Column: "ngay_nhan", Value: `"31/02/2025"`, Reason: `not a valid date for layout "02/01/2006"`},
			`ho_so 1234: field NgayTiepNhan (column ngay_nhan) value "31/02/2025": not a valid date for layout "02/01/2006"`},
		{Error{Stream: "ho_so", Key: "1", Field: "MaHoSo", Column: "ma", Reason: "required"}, "ho_so 1: field MaHoSo (column ma): required"},
		{Error{Stream: "ho_so", Key: "1", Field: "NoiNopHoSo", Reason: "r"}, "ho_so 1: field NoiNopHoSo: r"},
		{Error{Stream: "x", Reason: "no mapping"}, "x: no mapping"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("got  %q\nwant %q", got, tt.want)
		}
	}
}

func TestQuoteValueShortens(t *testing.T) {
	long := strings.Repeat("Đề nghị ", 20) // 160 characters
	got := quoteValue([]byte(long))
	want := `"` + string([]rune(long)[:64]) + `"… (160 characters)`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := quoteValue(int64(42)); got != `"42"` {
		t.Errorf("int: %s", got)
	}
}

func TestErrorMasked(t *testing.T) {
	cfg := Config{Streams: map[string]StreamMapping{"ho_so": {Packet: "HoSo", Fields: map[string]FieldMapping{
		"ChuHoSo": {Column: "ten", MaxLen: 3}, "TrangThaiHoSo": {Column: "tt", MaxLen: 1},
	}}}}
	m := mustMapper(t, cfg, Options{})
	_, _, err := m.Map("ho_so", "1", map[string]any{"ten": "Nguyễn Văn An", "tt": "4"})
	var me *Error
	if !errors.As(err, &me) {
		t.Fatalf("want *Error, got %v", err)
	}
	masked := me.Masked()
	if masked.Value != "[hidden, 13 characters]" || strings.Contains(masked.Error(), "Nguyễn") {
		t.Errorf("masked: %s", masked.Error())
	}
	if me.Value != `"Nguyễn Văn An"` {
		t.Errorf("Masked changed the original: %q", me.Value)
	}
	_, _, err = m.Map("ho_so", "1", map[string]any{"ten": "An", "tt": "10"})
	if !errors.As(err, &me) || me.Masked().Value != `"10"` {
		t.Errorf("a status code must stay visible: %v", err)
	}
	for field, personal := range map[string]bool{
		"ChuHoSo": true, "DinhDanhCHS[0].SoDinhDanh": true, "SoDienThoai": true, "Unknown": true,
		"TrangThaiHoSo": false, "NgayTiepNhan": false, "DanhSachTepDinhKemKhac[1].SoLuong": false, "MaHoSo": false,
	} {
		if PersonalField(field) != personal {
			t.Errorf("PersonalField(%q) = %v, want %v", field, !personal, personal)
		}
	}
}

// TestMapConcurrent maps from many goroutines at once: a Mapper is
// immutable after New (run with -race to check).
func TestMapConcurrent(t *testing.T) {
	m := mustMapper(t, benchConfig(), Options{Zone: hcm(t)})
	rec := benchRecord()
	want, _, err := m.Map("ho_so", "1", rec)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 8 {
		wg.Go(func() {
			for range 50 {
				got, _, err := m.Map("ho_so", "1", rec)
				if err != nil || !reflect.DeepEqual(got, want) {
					errs <- "concurrent Map differs"
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
