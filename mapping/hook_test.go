package mapping

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeHookForms(t *testing.T) {
	doc := `
mapping:
  timezone: Asia/Ho_Chi_Minh
  code_tables:
    trang_thai:
      - {legacy: Đang xử lý, code: 4}
      - {legacy: DA_TRA_KQ, code: "10"}
    kenh:
      TRUC_TIEP: 1
      TRUC_TUYEN: "2"
  streams:
    ho_so:
      packet: HoSo
      fields:
        MaHoSo: so_ho_so
        NgayTiepNhan: {column: ngay_nhan, format: "Jan 2, 2006"}
        NgayHenTra:
          column: ngay_hen_tra
          format: ["2006-01-02 15:04:05", "02/01/2006"]
          nulls: "0000-00-00 00:00:00"
        TrangThaiHoSo: {column: trang_thai, code_table: trang_thai, required: true}
        KenhThucHien: {column: kenh, code_table: kenh, case_insensitive: true, default: 1}
      lists:
        TaiLieuNop:
          from: tai_lieu
          fields:
            TenTepDinhKem: ten
`
	cfg, err := loadConfigYAML([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Timezone: "Asia/Ho_Chi_Minh",
		CodeTables: map[string]map[string]string{
			"trang_thai": {"Đang xử lý": "4", "DA_TRA_KQ": "10"},
			"kenh":       {"TRUC_TIEP": "1", "TRUC_TUYEN": "2"},
		},
		Streams: map[string]StreamMapping{"ho_so": {
			Packet: "HoSo",
			Fields: map[string]FieldMapping{
				"MaHoSo":        {Column: "so_ho_so"},
				"NgayTiepNhan":  {Column: "ngay_nhan", Format: []string{"Jan 2, 2006"}},
				"NgayHenTra":    {Column: "ngay_hen_tra", Format: []string{"2006-01-02 15:04:05", "02/01/2006"}, Nulls: []string{"0000-00-00 00:00:00"}},
				"TrangThaiHoSo": {Column: "trang_thai", CodeTable: "trang_thai", Required: true},
				"KenhThucHien":  {Column: "kenh", CodeTable: "kenh", CaseInsensitive: true, Default: "1"},
			},
			Lists: map[string]ListMapping{"TaiLieuNop": {From: "tai_lieu", Fields: map[string]FieldMapping{"TenTepDinhKem": {Column: "ten"}}}},
		}},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("decoded:\n%#v\nwant:\n%#v", cfg, want)
	}
	m := mustMapper(t, cfg, Options{})
	p, _, err := m.Map("ho_so", "1", map[string]any{
		"so_ho_so": "A", "ngay_nhan": "Sep 3, 2026", "ngay_hen_tra": "0000-00-00 00:00:00",
		"trang_thai": "Đang xử lý", "kenh": "TRUC_TUYEN", "tai_lieu": []map[string]any{{"ten": "a.pdf"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := p.Dossier
	if d.MaHoSo != "A" || d.TrangThaiHoSo != "4" || d.KenhThucHien != "2" || d.NgayTiepNhan.Day() != 3 || !d.NgayHenTra.IsZero() || len(d.TaiLieuNop) != 1 {
		t.Errorf("mapped %+v", d)
	}
}

func TestDecodeHookErrors(t *testing.T) {
	tests := []struct {
		name, yaml, wantErr string
	}{
		{"entry not a map", "code_tables: {t: [DA_XU_LY]}", "code table entry 0: want {legacy: …, code: …}, got string"},
		{"unknown entry key", "code_tables: {t: [{legacy: A, ma: 1}]}", `code table entry 0: unknown key "ma" (want legacy and code)`},
		{"missing code", "code_tables: {t: [{legacy: A}]}", "code table entry 0: legacy and code must both be set to text or numbers"},
		{"duplicate legacy", "code_tables: {t: [{legacy: A, code: 1}, {legacy: A, code: 2}]}", `code table entry 1: legacy value "A" appears twice`},
		{"map code not scalar", "code_tables: {t: {A: [1]}}", `code table entry "A": the code must be text or a number, got []interface {}`},
		{"unknown field key", "streams: {ho_so: {packet: HoSo, fields: {MaHoSo: {colum: a}}}}", "colum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfigYAML([]byte("mapping:\n  " + tt.yaml + "\n"))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// TestViperLowerCasedKeys decodes as viper would, every key lower-cased:
// packet field, list and stream names still resolve, list-form code tables
// keep their case, and a map-form table's lower-cased key is named in the
// error instead of silently failing to match.
func TestViperLowerCasedKeys(t *testing.T) {
	doc := `
mapping:
  code_tables:
    trang_thai:
      - {legacy: DANG_XU_LY, code: 4}
    kenh:
      TRUC_TUYEN: 2
  streams:
    HO_SO:
      packet: HoSo
      fields:
        MaHoSo: so_ho_so
        TrangThaiHoSo: {column: trang_thai, code_table: trang_thai}
        KenhThucHien: {column: kenh, code_table: kenh}
      lists:
        TaiLieuNop: {from: tai_lieu, fields: {TenTepDinhKem: ten}}
`
	cfg, err := loadConfigYAMLLikeViper([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg.Streams["ho_so"].Fields["mahoso"]; !ok {
		t.Fatalf("keys were not lower-cased: %+v", cfg.Streams)
	}
	m := mustMapper(t, cfg, Options{})
	values := map[string]any{"so_ho_so": "A", "trang_thai": "DANG_XU_LY", "kenh": "truc_tuyen", "tai_lieu": []map[string]any{{"ten": "a.pdf"}}}
	p, _, err := m.Map("HO_SO", "1", values)
	if err != nil {
		t.Fatal(err)
	}
	if d := p.Dossier; d.MaHoSo != "A" || d.TrangThaiHoSo != "4" || d.KenhThucHien != "2" || len(d.TaiLieuNop) != 1 {
		t.Errorf("mapped %+v", d)
	}
	values["kenh"] = "TRUC_TUYEN"
	_, _, err = m.Map("ho_so", "1", values)
	if err == nil || !strings.Contains(err.Error(), "a key differs only in letter case") {
		t.Errorf("want the letter-case hint, got %v", err)
	}
}

func TestDecodeHookLeavesOtherValues(t *testing.T) {
	for _, tc := range []struct {
		to   reflect.Type
		data any
	}{
		{fieldMappingType, map[string]any{"column": "a"}},
		{stringSliceType, []any{"a", "b"}},
		{reflect.TypeFor[string](), "x"},
		{reflect.TypeFor[int](), 5},
	} {
		got, err := decodeHook(reflect.TypeOf(tc.data), tc.to, tc.data)
		if err != nil || !reflect.DeepEqual(got, tc.data) {
			t.Errorf("decodeHook(%v, %v) = %v, %v; want it unchanged", tc.to, tc.data, got, err)
		}
	}
}

// TestReadmeExamples loads every YAML block of README.md that is a whole
// mapping section, so the documented example keeps working.
func TestReadmeExamples(t *testing.T) {
	doc, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := 0
	for _, part := range strings.Split(string(doc), "```yaml\n")[1:] {
		block, _, _ := strings.Cut(part, "```")
		if !strings.HasPrefix(block, "mapping:") {
			continue
		}
		blocks++
		cfg, err := loadConfigYAML([]byte(block))
		if err != nil {
			t.Fatalf("README block %d: %v", blocks, err)
		}
		if _, err := New(cfg, Options{}); err != nil {
			t.Errorf("README block %d: %v", blocks, err)
		}
	}
	if blocks == 0 {
		t.Error("README.md has no complete mapping example")
	}
}
