package mapping

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// memCatalogs is a small in-memory Catalogs with validity dates, the
// same contract as the connector's SQLite cache (internal/catalog, which
// tests itself against this package).
type memCatalogs map[string][]memEntry

type memEntry struct {
	Code      string            `json:"code"`
	Name      string            `json:"name"`
	Extra     map[string]string `json:"extra"`
	ValidFrom string            `json:"valid_from"` // YYYY-MM-DD inclusive, "" unbounded
	ValidTo   string            `json:"valid_to"`
}

func (m memCatalogs) Lookup(catalog, code string, at time.Time) (string, map[string]string, bool) {
	day := at.In(packets.VietnamZone).Format(time.DateOnly)
	for _, e := range m[catalog] {
		if e.Code == code && (e.ValidFrom == "" || e.ValidFrom <= day) && (e.ValidTo == "" || day <= e.ValidTo) {
			return e.Name, e.Extra, true
		}
	}
	return "", nil, false
}

func (m memCatalogs) Loaded(catalog string) bool {
	_, ok := m[catalog]
	return ok
}

// goldenCatalogs is a golden case's optional catalogs.json.
type goldenCatalogs struct {
	Catalogs    memCatalogs `json:"catalogs"`
	UnitRenames []struct {
		Old  string `json:"old"`
		New  string `json:"new"`
		From string `json:"from"` // YYYY-MM-DD, from 00:00 in Viet Nam
	} `json:"unit_renames"`
}

// goldenOptions gives a golden case the catalogs and unit renames of its
// catalogs.json; cases without one map with no catalog cache at all.
func goldenOptions(t *testing.T, dir string) Options {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "catalogs.json"))
	if errors.Is(err, os.ErrNotExist) {
		return Options{}
	}
	if err != nil {
		t.Fatal(err)
	}
	var g goldenCatalogs
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatalf("catalogs.json: %v", err)
	}
	o := Options{Catalogs: g.Catalogs}
	for _, r := range g.UnitRenames {
		from, err := time.ParseInLocation(time.DateOnly, r.From, packets.VietnamZone)
		if err != nil {
			t.Fatalf("catalogs.json: unit rename from %q: %v", r.From, err)
		}
		o.UnitRenames = append(o.UnitRenames, UnitRename{Old: r.Old, New: r.New, From: from})
	}
	return o
}

// testCatalogs: two procedures, two sectors, two units of which one was
// dissolved on 2025-06-30, and the ward that succeeded it.
var testCatalogs = memCatalogs{
	"LayThuTuc": {
		{Code: "1.001193", Name: "Đăng ký khai sinh", Extra: map[string]string{"TENTTHC": "Đăng ký khai sinh", "MALINHVUC": "H29-HT", "TENLINHVUC": "Hộ tịch"}},
		{Code: "2.000908", Name: "Chứng thực bản sao từ bản chính", Extra: map[string]string{"TENTTHC": "Chứng thực bản sao từ bản chính", "MALINHVUC": "H29-CT"}},
		{Code: "1.000894", Name: "Đăng ký kết hôn (thủ tục cũ)", ValidTo: "2024-12-31"},
	},
	"LayDanhMucLinhVuc": {
		{Code: "H29-HT", Name: "Hộ tịch"},
		{Code: "H29-CT", Name: "Chứng thực"},
	},
	"units": {
		{Code: "000.00.01.H29", Name: "Ủy ban nhân dân Quận 1", ValidFrom: "2008-01-01", ValidTo: "2025-06-30"},
		{Code: "000.00.12.H29", Name: "Phường Sài Gòn", ValidFrom: "2025-07-01"},
		{Code: "000.00.13.H29", Name: "Phường Tân Định", ValidFrom: "2025-07-01"},
		{Code: "000.00.99.H29", Name: "Phường Thử Nghiệm", ValidFrom: "2026-01-01"},
	},
}

var takeover = time.Date(2025, 7, 1, 0, 0, 0, 0, packets.VietnamZone)

// dossierConfig is a dossier stream with extra fields merged in.
func dossierConfig(fields map[string]FieldMapping, tables map[string]map[string]string) Config {
	all := map[string]FieldMapping{
		"MaHoSo":       {Column: "so_ho_so", Required: true},
		"NgayTiepNhan": {Column: "ngay_nhan", Format: []string{"2006-01-02"}},
	}
	for k, v := range fields {
		all[k] = v
	}
	return Config{CodeTables: tables, Streams: map[string]StreamMapping{"ho_so": {Packet: "HoSo", Fields: all}}}
}

func record(received string, extra map[string]any) map[string]any {
	r := map[string]any{"so_ho_so": "000.00.12.H29-250815-0001", "ngay_nhan": received}
	for k, v := range extra {
		r[k] = v
	}
	return r
}

func TestCatalogOptions(t *testing.T) {
	tables := map[string]map[string]string{"thu_tuc_qg": {"HT-KS": "1.001193", "HT-CU": "9.999999"}}
	renames := []UnitRename{{Old: "000.00.01.H29", New: "000.00.12.H29", From: takeover}}
	tests := []struct {
		name    string
		fields  map[string]FieldMapping
		values  map[string]any
		date    string
		want    map[string]string // packet field → value
		wantErr string            // substring of the *Error text
	}{
		{
			name:   "known code passes unchanged",
			fields: map[string]FieldMapping{"MaTTHC": {Column: "ma", Catalog: "LayThuTuc"}},
			values: map[string]any{"ma": "1.001193"}, date: "2025-08-15",
			want: map[string]string{"MaTTHC": "1.001193"},
		},
		{
			name:   "unknown code is an error naming the catalog and the day",
			fields: map[string]FieldMapping{"MaTTHC": {Column: "ma", Catalog: "LayThuTuc"}},
			values: map[string]any{"ma": "9.123456"}, date: "2025-08-15",
			wantErr: `field MaTTHC (column ma) value "9.123456": not in catalog "LayThuTuc" on 2025-08-15 (NgayTiepNhan)`,
		},
		{
			name:   "a code is known only while valid",
			fields: map[string]FieldMapping{"MaTTHC": {Column: "ma", Catalog: "LayThuTuc"}},
			values: map[string]any{"ma": "1.000894"}, date: "2025-01-01",
			wantErr: `not in catalog "LayThuTuc" on 2025-01-01`,
		},
		{
			name:   "the same code passes on a day it was valid",
			fields: map[string]FieldMapping{"MaTTHC": {Column: "ma", Catalog: "LayThuTuc"}},
			values: map[string]any{"ma": "1.000894"}, date: "2024-12-31",
			want: map[string]string{"MaTTHC": "1.000894"},
		},
		{
			name:   "catalog_map: a local code becomes the national one",
			fields: map[string]FieldMapping{"MaTTHC": {Column: "ma", Catalog: "LayThuTuc", CatalogMap: "thu_tuc_qg"}},
			values: map[string]any{"ma": "HT-KS"}, date: "2025-08-15",
			want: map[string]string{"MaTTHC": "1.001193"},
		},
		{
			name:   "catalog_map: a code missing from the table passes as itself when the catalog knows it",
			fields: map[string]FieldMapping{"MaTTHC": {Column: "ma", Catalog: "LayThuTuc", CatalogMap: "thu_tuc_qg"}},
			values: map[string]any{"ma": "2.000908"}, date: "2025-08-15",
			want: map[string]string{"MaTTHC": "2.000908"},
		},
		{
			name:   "catalog_map: missing from both",
			fields: map[string]FieldMapping{"MaTTHC": {Column: "ma", Catalog: "LayThuTuc", CatalogMap: "thu_tuc_qg"}},
			values: map[string]any{"ma": "HT-XX"}, date: "2025-08-15",
			wantErr: `value "HT-XX": not in code table "thu_tuc_qg" and not itself a code of catalog "LayThuTuc" on 2025-08-15 (NgayTiepNhan); add it to mapping.code_tables.thu_tuc_qg`,
		},
		{
			name:   "catalog_map: the table maps to a code the catalog lacks",
			fields: map[string]FieldMapping{"MaTTHC": {Column: "ma", Catalog: "LayThuTuc", CatalogMap: "thu_tuc_qg"}},
			values: map[string]any{"ma": "HT-CU"}, date: "2025-08-15",
			wantErr: `code "9.999999" (from code table "thu_tuc_qg") is not in catalog "LayThuTuc"`,
		},
		{
			name: "from_catalog fills name, sector code and sector name",
			fields: map[string]FieldMapping{
				"MaTTHC":     {Column: "ma", Catalog: "LayThuTuc", CatalogMap: "thu_tuc_qg"},
				"TenTTHC":    {FromCatalog: &CatalogRef{Catalog: "LayThuTuc", Key: "MaTTHC", Value: "TENTTHC"}},
				"MaLinhVuc":  {FromCatalog: &CatalogRef{Catalog: "LayThuTuc", Key: "MaTTHC", Value: "MALINHVUC"}},
				"TenLinhVuc": {FromCatalog: &CatalogRef{Catalog: "LayDanhMucLinhVuc", Key: "MaLinhVuc", Value: "name"}},
			},
			values: map[string]any{"ma": "HT-KS"}, date: "2025-08-15",
			want: map[string]string{"MaTTHC": "1.001193", "TenTTHC": "Đăng ký khai sinh", "MaLinhVuc": "H29-HT", "TenLinhVuc": "Hộ tịch"},
		},
		{
			name: "from_catalog: an attribute the entry lacks takes the default",
			fields: map[string]FieldMapping{
				"MaTTHC":     {Column: "ma"},
				"TenLinhVuc": {FromCatalog: &CatalogRef{Catalog: "LayThuTuc", Key: "MaTTHC", Value: "TENLINHVUC"}, Default: "Chứng thực"},
			},
			values: map[string]any{"ma": "2.000908"}, date: "2025-08-15",
			want: map[string]string{"TenLinhVuc": "Chứng thực"},
		},
		{
			name: "from_catalog: required and the entry lacks it",
			fields: map[string]FieldMapping{
				"MaTTHC":     {Column: "ma"},
				"TenLinhVuc": {FromCatalog: &CatalogRef{Catalog: "LayThuTuc", Key: "MaTTHC", Value: "TENLINHVUC"}, Required: true},
			},
			values: map[string]any{"ma": "2.000908"}, date: "2025-08-15",
			wantErr: `field TenLinhVuc value "2.000908": required, but the entry "2.000908" of catalog "LayThuTuc" has no TENLINHVUC on 2025-08-15`,
		},
		{
			name: "from_catalog: an unknown key is an error naming the catalog",
			fields: map[string]FieldMapping{
				"MaTTHC":  {Column: "ma"},
				"TenTTHC": {FromCatalog: &CatalogRef{Catalog: "LayThuTuc", Key: "MaTTHC", Value: "TENTTHC"}},
			},
			values: map[string]any{"ma": "7.777777"}, date: "2025-08-15",
			wantErr: `field TenTTHC value "7.777777": cannot fill it: MaTTHC "7.777777" is not in catalog "LayThuTuc" on 2025-08-15`,
		},
		{
			name: "from_catalog: an empty key leaves the field empty",
			fields: map[string]FieldMapping{
				"MaTTHC":  {Column: "ma"},
				"TenTTHC": {FromCatalog: &CatalogRef{Catalog: "LayThuTuc", Key: "MaTTHC", Value: "TENTTHC"}},
			},
			values: map[string]any{"ma": nil}, date: "2025-08-15",
			want: map[string]string{"MaTTHC": "", "TenTTHC": ""},
		},
		{
			name:   "rename_units: a dissolved district's code becomes its successor's after the takeover",
			fields: map[string]FieldMapping{"ThongTinKhac": {Column: "don_vi", RenameUnits: true, Catalog: "units"}},
			values: map[string]any{"don_vi": "000.00.01.H29"}, date: "2025-07-01",
			want: map[string]string{"ThongTinKhac": "000.00.12.H29"},
		},
		{
			name:   "rename_units: before the takeover the old code stays (it was valid)",
			fields: map[string]FieldMapping{"ThongTinKhac": {Column: "don_vi", RenameUnits: true, Catalog: "units"}},
			values: map[string]any{"don_vi": "000.00.01.H29"}, date: "2025-06-30",
			want: map[string]string{"ThongTinKhac": "000.00.01.H29"},
		},
		{
			name:   "catalog_value: the unit's name, the successor's after the takeover",
			fields: map[string]FieldMapping{"DonViXuLy": {Column: "don_vi", RenameUnits: true, Catalog: "units", CatalogValue: "name"}},
			values: map[string]any{"don_vi": "000.00.01.H29"}, date: "2025-09-02",
			want: map[string]string{"DonViXuLy": "Phường Sài Gòn"},
		},
		{
			name:   "without rename_units a dissolved unit is unknown after its end, with a hint",
			fields: map[string]FieldMapping{"ThongTinKhac": {Column: "don_vi", Catalog: "units"}},
			values: map[string]any{"don_vi": "000.00.01.H29"}, date: "2025-07-01",
			wantErr: `not in catalog "units" on 2025-07-01 (NgayTiepNhan); check the code`,
		},
		{
			name:   "rename_units without a rename: the hint points to unit_renames",
			fields: map[string]FieldMapping{"ThongTinKhac": {Column: "don_vi", RenameUnits: true, Catalog: "units"}},
			values: map[string]any{"don_vi": "000.00.03.H29"}, date: "2025-07-01",
			wantErr: `add it to catalogs.unit_renames with its successor`,
		},
		{
			name:   "a unit not yet created is unknown",
			fields: map[string]FieldMapping{"ThongTinKhac": {Column: "don_vi", Catalog: "units"}},
			values: map[string]any{"don_vi": "000.00.99.H29"}, date: "2025-12-31",
			wantErr: `not in catalog "units" on 2025-12-31`,
		},
		{
			name:   "NULL takes the default without a catalog check",
			fields: map[string]FieldMapping{"MaTTHC": {Column: "ma", Catalog: "LayThuTuc", Default: "0.000000"}},
			values: map[string]any{"ma": nil}, date: "2025-08-15",
			want: map[string]string{"MaTTHC": "0.000000"},
		},
		{
			name:   "the record's date is needed",
			fields: map[string]FieldMapping{"MaTTHC": {Column: "ma", Catalog: "LayThuTuc"}},
			values: map[string]any{"ma": "1.001193"}, date: "",
			wantErr: `field NgayTiepNhan: empty, but catalog lookups need the record's date (NgayTiepNhan)`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mustMapper(t, dossierConfig(tc.fields, tables), Options{Catalogs: testCatalogs, UnitRenames: renames})
			var date any = tc.date
			if tc.date == "" {
				date = nil
			}
			p, _, err := m.Map("ho_so", "42", record("", mergeValues(tc.values, map[string]any{"ngay_nhan": date})))
			if tc.wantErr != "" {
				var me *Error
				if !errors.As(err, &me) {
					t.Fatalf("want *Error containing %q, got %v (packet %+v)", tc.wantErr, err, p)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %q\ndoes not contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			body := reflect.ValueOf(p.Dossier).Elem()
			for field, want := range tc.want {
				if got := body.FieldByName(field).String(); got != want {
					t.Errorf("%s = %q, want %q", field, got, want)
				}
			}
		})
	}
}

func mergeValues(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// TestCatalogInListItem: catalog options work in child rows, and the
// error names the item; the record's date still comes from the body.
func TestCatalogInListItem(t *testing.T) {
	cfg := dossierConfig(nil, nil)
	sm := cfg.Streams["ho_so"]
	sm.Lists = map[string]ListMapping{"DanhSachGiayToKetQua": {From: "ket_qua", Fields: map[string]FieldMapping{
		"TenGiayTo":       {Column: "ten"},
		"MaThanhPhanHoSo": {Column: "don_vi", Catalog: "units", RenameUnits: true},
		"GiayToId":        {FromCatalog: &CatalogRef{Catalog: "units", Key: "MaThanhPhanHoSo"}},
	}}}
	cfg.Streams["ho_so"] = sm
	m := mustMapper(t, cfg, Options{Catalogs: testCatalogs, UnitRenames: []UnitRename{{Old: "000.00.01.H29", New: "000.00.12.H29", From: takeover}}})

	rows := []map[string]any{{"ten": "Giấy khai sinh", "don_vi": "000.00.01.H29"}, {"ten": "Bản sao", "don_vi": "000.00.13.H29"}}
	p, _, err := m.Map("ho_so", "7", record("2025-08-01", map[string]any{"ket_qua": rows}))
	if err != nil {
		t.Fatal(err)
	}
	got := p.Dossier.DanhSachGiayToKetQua
	if len(got) != 2 || got[0].MaThanhPhanHoSo != "000.00.12.H29" || got[0].GiayToId != "Phường Sài Gòn" ||
		got[1].MaThanhPhanHoSo != "000.00.13.H29" || got[1].GiayToId != "Phường Tân Định" {
		t.Errorf("items = %+v", got)
	}

	rows[1]["don_vi"] = "000.00.77.H29"
	_, _, err = m.Map("ho_so", "7", record("2025-08-01", map[string]any{"ket_qua": rows}))
	want := `ho_so 7: field DanhSachGiayToKetQua[1].MaThanhPhanHoSo (column ket_qua[1].don_vi) value "000.00.77.H29": not in catalog "units" on 2025-08-01`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %v\nwant prefix %s", err, want)
	}
}

func TestCatalogDateField(t *testing.T) {
	cfg := Config{Streams: map[string]StreamMapping{"qua_trinh": {
		Packet: "TienDoXuLy", CatalogDate: "NgayBatDau",
		Fields: map[string]FieldMapping{
			"MaHoSo":       {Column: "so_ho_so"},
			"ThoiDiemXuLy": {Column: "luc", Format: []string{"2006-01-02"}},
			"NgayBatDau":   {Column: "bat_dau", Format: []string{"2006-01-02"}},
			"PhongBanXuLy": {Column: "don_vi", Catalog: "units", RenameUnits: true, CatalogValue: "name"},
		},
	}}}
	m := mustMapper(t, cfg, Options{Catalogs: testCatalogs, UnitRenames: []UnitRename{{Old: "000.00.01.H29", New: "000.00.12.H29", From: takeover}}})
	// Dated by NgayBatDau (2025-06-20: Quận 1 still existed), not by
	// ThoiDiemXuLy (after the takeover).
	p, _, err := m.Map("qua_trinh", "1", map[string]any{"so_ho_so": "X", "luc": "2025-07-02", "bat_dau": "2025-06-20", "don_vi": "000.00.01.H29"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Progress.PhongBanXuLy != "Ủy ban nhân dân Quận 1" {
		t.Errorf("PhongBanXuLy = %q, want the district's name on 2025-06-20", p.Progress.PhongBanXuLy)
	}
}

// TestNoCatalogsBehavesAsBefore: a mapping without catalog options maps
// the same with or without a catalog cache, and needs none.
func TestNoCatalogsBehavesAsBefore(t *testing.T) {
	cfg := dossierConfig(map[string]FieldMapping{"MaTTHC": {Column: "ma"}}, nil)
	values := record("2025-08-15", map[string]any{"ma": "not-a-catalog-code"})
	without := mustMapper(t, cfg, Options{})
	with := mustMapper(t, cfg, Options{Catalogs: testCatalogs, UnitRenames: []UnitRename{{Old: "not-a-catalog-code", New: "x", From: takeover}}})
	a, _, errA := without.Map("ho_so", "1", values)
	b, _, errB := with.Map("ho_so", "1", values)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if !reflect.DeepEqual(a, b) || a.Dossier.MaTTHC != "not-a-catalog-code" {
		t.Errorf("with catalogs %+v\nwithout %+v", b.Dossier, a.Dossier)
	}
}

func TestCatalogConfigErrors(t *testing.T) {
	tables := map[string]map[string]string{"t": {"a": "b"}}
	tests := []struct {
		name   string
		fields map[string]FieldMapping
		opts   Options
		want   string
	}{
		{"no catalog cache", map[string]FieldMapping{"MaTTHC": {Column: "ma", Catalog: "LayThuTuc"}}, Options{},
			`mapping.streams.ho_so.fields.MaTTHC.catalog: uses catalog "LayThuTuc", but no catalog cache is configured`},
		{"never fetched", map[string]FieldMapping{"MaTTHC": {Column: "ma", Catalog: "LayDanhSachTTHC"}}, Options{Catalogs: testCatalogs},
			`mapping.streams.ho_so.fields.MaTTHC.catalog: catalog "LayDanhSachTTHC" has never been fetched; add it to catalogs.refresh and run: lgsp-connector catalogs sync LayDanhSachTTHC`},
		{"catalog_map needs catalog", map[string]FieldMapping{"MaTTHC": {Column: "ma", CatalogMap: "t"}}, Options{Catalogs: testCatalogs},
			`mapping.streams.ho_so.fields.MaTTHC.catalog_map: needs catalog:`},
		{"catalog_map unknown table", map[string]FieldMapping{"MaTTHC": {Column: "ma", Catalog: "LayThuTuc", CatalogMap: "nope"}}, Options{Catalogs: testCatalogs},
			`mapping.streams.ho_so.fields.MaTTHC.catalog_map: unknown code table "nope" (known: t)`},
		{"catalog_map with code_table", map[string]FieldMapping{"MaTTHC": {Column: "ma", Catalog: "LayThuTuc", CatalogMap: "t", CodeTable: "t"}}, Options{Catalogs: testCatalogs},
			`code_table and catalog_map are exclusive`},
		{"catalog on a date field", map[string]FieldMapping{"NgayHenTra": {Column: "hen", Format: []string{"2006-01-02"}, Catalog: "units"}}, Options{Catalogs: testCatalogs},
			`mapping.streams.ho_so.fields.NgayHenTra: catalog options apply to text fields; NgayHenTra is a date field`},
		{"catalog with const", map[string]FieldMapping{"MaTTHC": {Const: "1.001193", Catalog: "LayThuTuc"}}, Options{Catalogs: testCatalogs},
			`catalog options and const are exclusive`},
		{"bad catalog name", map[string]FieldMapping{"MaTTHC": {Column: "ma", Catalog: "Lay Thu Tuc"}}, Options{Catalogs: testCatalogs},
			`catalog name "Lay Thu Tuc": use letters, digits and _`},
		{"catalog_value needs catalog", map[string]FieldMapping{"DonViXuLy": {Column: "dv", CatalogValue: "name"}}, Options{Catalogs: testCatalogs},
			`catalog_value: needs catalog:`},
		{"from_catalog with column", map[string]FieldMapping{"MaTTHC": {Column: "ma"}, "TenTTHC": {Column: "ten", FromCatalog: &CatalogRef{Catalog: "LayThuTuc", Key: "MaTTHC"}}}, Options{Catalogs: testCatalogs},
			`mapping.streams.ho_so.fields.TenTTHC.from_catalog: from_catalog and column are exclusive`},
		{"from_catalog unknown key", map[string]FieldMapping{"TenTTHC": {FromCatalog: &CatalogRef{Catalog: "LayThuTuc", Key: "MaTHC"}}}, Options{Catalogs: testCatalogs},
			`mapping.streams.ho_so.fields.TenTTHC.from_catalog.key: HoSo has no field "MaTHC" (did you mean MaTTHC?)`},
		{"from_catalog key not mapped", map[string]FieldMapping{"TenTTHC": {FromCatalog: &CatalogRef{Catalog: "LayThuTuc", Key: "MaTTHC"}}}, Options{Catalogs: testCatalogs},
			`the key field MaTTHC is not mapped`},
		{"from_catalog needs catalog and key", map[string]FieldMapping{"TenTTHC": {FromCatalog: &CatalogRef{}}}, Options{Catalogs: testCatalogs},
			`from_catalog.catalog: required`},
		{"from_catalog keyed by a name", map[string]FieldMapping{
			"DonViXuLy":    {Column: "dv", Catalog: "units", CatalogValue: "name"},
			"ThongTinKhac": {FromCatalog: &CatalogRef{Catalog: "units", Key: "DonViXuLy"}},
		}, Options{Catalogs: testCatalogs}, `the key field DonViXuLy puts a catalog attribute (catalog_value) on the wire`},
		{"from_catalog cycle", map[string]FieldMapping{
			"MaLinhVuc":  {FromCatalog: &CatalogRef{Catalog: "LayDanhMucLinhVuc", Key: "TenLinhVuc"}},
			"TenLinhVuc": {FromCatalog: &CatalogRef{Catalog: "LayDanhMucLinhVuc", Key: "MaLinhVuc"}},
		}, Options{Catalogs: testCatalogs}, `from_catalog keys form a cycle (MaLinhVuc, TenLinhVuc)`},
		{"unit rename without date", map[string]FieldMapping{"DonViXuLy": {Column: "dv", RenameUnits: true}},
			Options{Catalogs: testCatalogs, UnitRenames: []UnitRename{{Old: "a", New: "b"}}},
			`catalogs.unit_renames[0]: from (the date the successor took over, e.g. 2025-07-01) is required`},
		{"unit rename to itself", map[string]FieldMapping{"DonViXuLy": {Column: "dv", RenameUnits: true}},
			Options{UnitRenames: []UnitRename{{Old: "a", New: "a", From: takeover}}},
			`catalogs.unit_renames[0]: old and new unit codes are the same ("a")`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(dossierConfig(tc.fields, tables), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New error = %v\nwant it to contain %q", err, tc.want)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Errorf("error is not a *ConfigError: %T", err)
			}
		})
	}
}

func TestCatalogDateMustBeMapped(t *testing.T) {
	cfg := Config{Streams: map[string]StreamMapping{"ho_so": {Packet: "HoSo", Fields: map[string]FieldMapping{
		"MaHoSo": {Column: "so"}, "MaTTHC": {Column: "ma", Catalog: "LayThuTuc"},
	}}}}
	errs := cfg.Validate()
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "mapping.streams.ho_so.catalog_date: NgayTiepNhan dates the record for catalog lookups but is not mapped") {
		t.Errorf("Validate = %v", errs)
	}
	// Validate alone (the config loader) does not need the catalogs.
	cfg.Streams["ho_so"].Fields["NgayTiepNhan"] = FieldMapping{Column: "ngay", Format: []string{"2006-01-02"}}
	if errs := cfg.Validate(); len(errs) != 0 {
		t.Errorf("Validate = %v", errs)
	}
	sm := cfg.Streams["ho_so"]
	sm.CatalogDate = "MaTTHC"
	cfg.Streams["ho_so"] = sm
	if errs := cfg.Validate(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "MaTTHC is a text field; catalog lookups need a date field") {
		t.Errorf("Validate = %v", errs)
	}
}

func TestCatalogsUsed(t *testing.T) {
	cfg := dossierConfig(map[string]FieldMapping{
		"MaTTHC":  {Column: "ma", Catalog: "LayThuTuc"},
		"TenTTHC": {FromCatalog: &CatalogRef{Catalog: "LayThuTuc", Key: "MaTTHC"}},
	}, nil)
	sm := cfg.Streams["ho_so"]
	sm.Lists = map[string]ListMapping{"TaiLieuNop": {Fields: map[string]FieldMapping{"MaThanhPhanHoSo": {Column: "x", Catalog: "units"}}}}
	cfg.Streams["ho_so"] = sm
	if got := strings.Join(cfg.CatalogsUsed(), ","); got != "LayThuTuc,units" {
		t.Errorf("CatalogsUsed = %s", got)
	}
}

// TestCatalogOptionsDecode: the YAML keys decode, also through a loader
// that lower-cases keys (catalog names and field names are values).
func TestCatalogOptionsDecode(t *testing.T) {
	doc := []byte(`
mapping:
  code_tables:
    thu_tuc_qg: [{legacy: HT-KS, code: "1.001193"}]   # list form: keeps case under viper
  streams:
    ho_so:
      packet: HoSo
      catalog_date: NgayTiepNhan
      fields:
        MaHoSo: so_ho_so
        NgayTiepNhan: {column: ngay_nhan, format: "2006-01-02"}
        MaTTHC: {column: ma, catalog: LayThuTuc, catalog_map: thu_tuc_qg}
        TenTTHC: {from_catalog: {catalog: LayThuTuc, key: MaTTHC, value: TENTTHC}}
        DonViXuLy: {column: don_vi, rename_units: true, catalog: units, catalog_value: name}
`)
	for name, load := range map[string]func([]byte) (Config, error){"loader": loadConfigYAML, "viper": loadConfigYAMLLikeViper} {
		t.Run(name, func(t *testing.T) {
			cfg, err := load(doc)
			if err != nil {
				t.Fatal(err)
			}
			m := mustMapper(t, cfg, Options{Catalogs: testCatalogs, UnitRenames: []UnitRename{{Old: "000.00.01.H29", New: "000.00.12.H29", From: takeover}}})
			p, _, err := m.Map("ho_so", "1", map[string]any{"so_ho_so": "X", "ngay_nhan": "2025-08-15", "ma": "HT-KS", "don_vi": "000.00.01.H29"})
			if err != nil {
				t.Fatal(err)
			}
			d := p.Dossier
			if d.MaTTHC != "1.001193" || d.TenTTHC != "Đăng ký khai sinh" || d.DonViXuLy != "Phường Sài Gòn" {
				t.Errorf("dossier = %+v", d)
			}
		})
	}
}
