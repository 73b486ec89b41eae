package mapping

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// ratingCatalogs: one officer, who joined the ward on 2025-07-01, and two
// questions of the city's rating criteria.
var ratingCatalogs = memCatalogs{
	"officials": {
		{Code: "CB.H29.12.0157", Name: "Công chức Bộ phận Một cửa", ValidFrom: "2025-07-01"},
	},
	"rating_criteria": {
		{Code: "TC07", Name: "Thái độ của công chức"},
		{Code: "TC09", Name: "Tiến độ, chất lượng dịch vụ công trực tuyến"},
	},
}

// ratingConfig is a kiosk's answer table: a satisfaction word or a score
// per row, the officer's kiosk number, the question code.
func ratingConfig() Config {
	return Config{
		CodeTables: map[string]map[string]string{
			"muc_do":    {"RAT_HAI_LONG": "1", "HAI_LONG": "2", "BINH_THUONG": "3", "KHONG_HAI_LONG": "4", "RAT_KHONG_HAI_LONG": "5"},
			"nhan_vien": {"NV0157": "CB.H29.12.0157"},
			"kenh":      {"KIOSK": "1", "APP": "2", "WEB": "3", "GIAY": "4"},
		},
		Streams: map[string]StreamMapping{"danh_gia": {
			Packet:   "DanhGia",
			Identity: []string{"MaPhieu"},
			Fields: map[string]FieldMapping{
				"MaPhieu":         {Column: "ma_phieu", Required: true},
				"MaHoSo":          {Column: "so_ho_so"},
				"MaDonVi":         {Const: "000.00.12.H29"},
				"MaCanBo":         {Column: "nhan_vien", Catalog: "officials", CatalogMap: "nhan_vien"},
				"MaTieuChi":       {Column: "cau_hoi", Catalog: "rating_criteria"},
				"MucDoHaiLong":    {Column: "muc_do", CodeTable: "muc_do"},
				"Diem":            {Column: "diem"},
				"LyDo":            {Column: "y_kien", MaxLen: 30},
				"KenhDanhGia":     {Column: "kenh", CodeTable: "kenh", Default: "1"},
				"ThoiDiemDanhGia": {Column: "thoi_gian", Format: []string{"2006-01-02 15:04:05"}, Required: true},
			},
		}},
	}
}

func ratingRow(extra map[string]any) map[string]any {
	r := map[string]any{
		"ma_phieu": []byte("PDG-20251104-000731"), "so_ho_so": nil, "nhan_vien": []byte("NV0157"),
		"cau_hoi": "TC07", "muc_do": "HAI_LONG", "diem": nil, "y_kien": nil, "kenh": nil,
		"thoi_gian": "2025-11-04 10:12:45",
	}
	for k, v := range extra {
		r[k] = v
	}
	return r
}

// TestMapRating maps kiosk rows into DanhGia bodies through the code
// tables and catalogs; an unknown code is a reason naming the catalog and
// the day the citizen answered.
func TestMapRating(t *testing.T) {
	m := mustMapper(t, ratingConfig(), Options{Catalogs: ratingCatalogs})
	answered := packets.At(time.Date(2025, 11, 4, 10, 12, 45, 0, packets.VietnamZone))
	tests := []struct {
		name    string
		extra   map[string]any
		want    *packets.Rating
		wantErr string // the whole Error() text
	}{
		{
			name:  "satisfaction level, overall question is absent",
			extra: map[string]any{"cau_hoi": nil, "so_ho_so": "000.00.12.H29-251103-0042"},
			want: &packets.Rating{MaPhieu: "PDG-20251104-000731", MaHoSo: "000.00.12.H29-251103-0042", MaDonVi: "000.00.12.H29",
				MaCanBo: "CB.H29.12.0157", MucDoHaiLong: "2", KenhDanhGia: "1", ThoiDiemDanhGia: answered},
		},
		{
			name:  "indicator score from an integer column, zero included",
			extra: map[string]any{"muc_do": nil, "diem": int64(0), "cau_hoi": "TC09", "kenh": "APP"},
			want: &packets.Rating{MaPhieu: "PDG-20251104-000731", MaDonVi: "000.00.12.H29", MaCanBo: "CB.H29.12.0157",
				MaTieuChi: "TC09", Diem: "0", KenhDanhGia: "2", ThoiDiemDanhGia: answered},
		},
		{
			name:  "dissatisfied, with a reason",
			extra: map[string]any{"muc_do": "RAT_KHONG_HAI_LONG", "y_kien": " Chờ quá lâu ", "nhan_vien": nil},
			want: &packets.Rating{MaPhieu: "PDG-20251104-000731", MaDonVi: "000.00.12.H29", MaTieuChi: "TC07",
				MucDoHaiLong: "5", LyDo: "Chờ quá lâu", KenhDanhGia: "1", ThoiDiemDanhGia: answered},
		},
		{
			name:    "unknown officer: neither in the table nor in the catalog",
			extra:   map[string]any{"nhan_vien": "NV0999"},
			wantErr: `danh_gia 88213: field MaCanBo (column nhan_vien) value "NV0999": not in code table "nhan_vien" and not itself a code of catalog "officials" on 2025-11-04 (ThoiDiemDanhGia); add it to mapping.code_tables.nhan_vien`,
		},
		{
			name:    "the officer's code is not valid yet on the day of the rating",
			extra:   map[string]any{"thoi_gian": "2025-06-30 17:00:00"},
			wantErr: `danh_gia 88213: field MaCanBo (column nhan_vien) value "NV0157": code "CB.H29.12.0157" (from code table "nhan_vien") is not in catalog "officials" on 2025-06-30 (ThoiDiemDanhGia); fix the table, or refresh the catalog: lgsp-connector catalogs sync officials`,
		},
		{
			name:    "unknown question",
			extra:   map[string]any{"cau_hoi": "TC99"},
			wantErr: `danh_gia 88213: field MaTieuChi (column cau_hoi) value "TC99": not in catalog "rating_criteria" on 2025-11-04 (ThoiDiemDanhGia); check the code, or refresh the catalog: lgsp-connector catalogs sync rating_criteria`,
		},
		{
			name:    "unmapped satisfaction word",
			extra:   map[string]any{"muc_do": "TOT"},
			wantErr: `danh_gia 88213: field MucDoHaiLong (column muc_do) value "TOT": not in code table "muc_do"; add the value to mapping.code_tables.muc_do (unmapped values are never guessed)`,
		},
		{
			name:    "no answer time: catalogs cannot be dated",
			extra:   map[string]any{"thoi_gian": nil},
			wantErr: `danh_gia 88213: field ThoiDiemDanhGia (column thoi_gian): required, but the value is NULL; fix the source or set a default`,
		},
	}
	for _, c := range tests {
		t.Run(c.name, func(t *testing.T) {
			p, _, err := m.Map("danh_gia", "88213", ratingRow(c.extra))
			if c.wantErr != "" {
				if err == nil || err.Error() != c.wantErr {
					t.Fatalf("Map error =\n%v\nwant\n%s", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Header.LoaiGoiTin != packets.KindRating || p.Dossier != nil || p.Progress != nil {
				t.Fatalf("packet %+v, want a DanhGia body only", p)
			}
			// The mapping zone and packets.VietnamZone are the same
			// offset under different names: compare the instant.
			got := *p.Rating
			if !got.ThoiDiemDanhGia.Equal(c.want.ThoiDiemDanhGia.Time) {
				t.Errorf("ThoiDiemDanhGia = %v, want %v", got.ThoiDiemDanhGia, c.want.ThoiDiemDanhGia)
			}
			got.ThoiDiemDanhGia = c.want.ThoiDiemDanhGia
			if !reflect.DeepEqual(&got, c.want) {
				t.Errorf("rating\n got %+v\nwant %+v", p.Rating, c.want)
			}
		})
	}
}

// The citizen's reason is free text: an error about it is logged masked,
// while the codes of a rating stay readable.
func TestRatingErrorsMaskReason(t *testing.T) {
	m := mustMapper(t, ratingConfig(), Options{Catalogs: ratingCatalogs})
	reason := "Cán bộ Trần Văn Bình yêu cầu nộp thêm tiền ngoài quy định"
	_, _, err := m.Map("danh_gia", "88213", ratingRow(map[string]any{"muc_do": "KHONG_HAI_LONG", "y_kien": reason}))
	var me *Error
	if !errors.As(err, &me) {
		t.Fatalf("Map error = %v, want a *mapping.Error (LyDo longer than max_len)", err)
	}
	if me.Field != "LyDo" || !strings.Contains(me.Value, "Trần Văn Bình") {
		t.Fatalf("error %v, want one on LyDo carrying the value", me)
	}
	masked := me.Masked().Error()
	if strings.Contains(masked, "Bình") || strings.Contains(masked, "tiền") {
		t.Errorf("masked error reveals the reason: %s", masked)
	}
	if want := `field LyDo (column y_kien) value [hidden, 57 characters]: too long: 57 characters, max_len is 30`; !strings.Contains(masked, want) {
		t.Errorf("masked error = %s, want it to contain %s", masked, want)
	}
	_, _, err = m.Map("danh_gia", "88213", ratingRow(map[string]any{"cau_hoi": "TC99"}))
	if !errors.As(err, &me) || !strings.Contains(me.Masked().Error(), `value "TC99"`) {
		t.Errorf("masked catalog error %v hides the question code", err)
	}
}

// Codes of the rating lists are checked when the configuration loads.
func TestRatingCodeListsCheckedAtLoad(t *testing.T) {
	cfg := ratingConfig()
	cfg.CodeTables["muc_do"] = map[string]string{"TOT": "1", "TE": "6"}
	sm := cfg.Streams["danh_gia"]
	sm.Fields["KenhDanhGia"] = FieldMapping{Const: "5"}
	sm.Fields["Diem"] = FieldMapping{Column: "diem", Default: "3"}
	cfg.Streams["danh_gia"] = sm
	const f = "mapping.streams.danh_gia.fields."
	want := []string{
		f + `Diem.default: "3" is not a Diem code (0, 1, 2)`,
		f + `KenhDanhGia.const: "5" is not a KenhDanhGia code (1, 2, 3, 4)`,
		f + `MucDoHaiLong.code_table: code table "muc_do" maps "TE" to "6", which is not a MucDoHaiLong code (1, 2, 3, 4, 5)`,
	}
	got := errorStrings(cfg.Validate())
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Validate =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A rating stream dates catalog lookups by ThoiDiemDanhGia unless told
// otherwise, and must map it when it uses catalogs.
func TestRatingCatalogDate(t *testing.T) {
	cfg := ratingConfig()
	sm := cfg.Streams["danh_gia"]
	delete(sm.Fields, "ThoiDiemDanhGia")
	cfg.Streams["danh_gia"] = sm
	want := []string{"mapping.streams.danh_gia.catalog_date: ThoiDiemDanhGia dates the record for catalog lookups but is not mapped; map it or name another date field in catalog_date"}
	if got := errorStrings(cfg.Validate()); !reflect.DeepEqual(got, want) {
		t.Errorf("Validate = %q, want %q", got, want)
	}
}

func errorStrings(errs []error) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}
