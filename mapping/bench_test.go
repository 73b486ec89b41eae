package mapping

import (
	"testing"
	"time"
)

// benchConfig maps a dossier row of ~25 fields the way a typical legacy
// schema needs: text, code tables, dates as text and as driver times,
// a const and defaults.
func benchConfig() Config {
	ymd := []string{"2006-01-02 15:04:05"}
	return Config{
		CodeTables: map[string]map[string]string{
			"trang_thai": {"DA_TIEP_NHAN": "2", "DANG_XU_LY": "4", "DA_XU_LY": "9", "DA_TRA_KQ": "10"},
			"kenh":       {"TRUC_TIEP": "1", "TRUC_TUYEN": "2", "BUU_CHINH": "3"},
			"doi_tuong":  {"CONG_DAN": "1", "DOANH_NGHIEP": "2", "CO_QUAN": "3", "KHAC": "4"},
			"co_khong":   {"0": "0", "1": "1"},
		},
		Streams: map[string]StreamMapping{"ho_so": {Packet: "HoSo", Fields: map[string]FieldMapping{
			"MaHoSo":                      {Column: "so_ho_so", Required: true},
			"MaTTHC":                      {Column: "ma_thu_tuc"},
			"TenTTHC":                     {Column: "ten_thu_tuc", MaxLen: 1000},
			"MaLinhVuc":                   {Column: "ma_linh_vuc"},
			"TenLinhVuc":                  {Column: "ten_linh_vuc"},
			"KenhThucHien":                {Column: "kenh_nop", CodeTable: "kenh", Default: "1"},
			"SoBienNhan":                  {Column: "so_bien_nhan"},
			"ChuHoSo":                     {Column: "ho_ten", Required: true},
			"SoGiayToChuHoSo":             {Column: "so_giay_to"},
			"LoaiDoiTuong":                {Column: "loai_doi_tuong", CodeTable: "doi_tuong", Default: "1"},
			"Email":                       {Column: "email"},
			"SoDienThoai":                 {Column: "dien_thoai"},
			"TrichYeuHoSo":                {Column: "trich_yeu", MaxLen: 1000, Truncate: true},
			"NgayTiepNhan":                {Column: "ngay_nhan", Format: ymd, Required: true},
			"NgayHenTra":                  {Column: "ngay_hen_tra", Format: ymd},
			"TrangThaiHoSo":               {Column: "trang_thai", CodeTable: "trang_thai", Required: true},
			"NgayTra":                     {Column: "ngay_tra", Format: ymd},
			"HinhThuc":                    {Column: "tra_qua_buu_dien", CodeTable: "co_khong", Default: "0"},
			"NgayKetThucXuLy":             {Column: "ngay_ket_thuc"},
			"DonViXuLy":                   {Column: "don_vi_xu_ly"},
			"GhiChu":                      {Column: "ghi_chu"},
			"NoiNopHoSo":                  {Const: "2"},
			"HoSoCoThanhPhanSoHoa":        {Const: "0"},
			"TaiKhoanDuocXacThucVoiVNeID": {Column: "vneid", CodeTable: "co_khong", Default: "0"},
			"NgayNopHoSo":                 {Column: "ngay_nop"},
		}}},
	}
}

// benchRecord is one row as the MySQL driver returns it: text columns as
// []byte, numbers as int64, DATETIME as time.Time.
func benchRecord() map[string]any {
	return map[string]any{
		"id":               int64(1042),
		"so_ho_so":         []byte("000.00.12.H29-260903-0007"),
		"ma_thu_tuc":       []byte("1.001193"),
		"ten_thu_tuc":      []byte("Đăng ký khai sinh"),
		"ma_linh_vuc":      []byte("H29-HT"),
		"ten_linh_vuc":     []byte("Hộ tịch"),
		"kenh_nop":         []byte("TRUC_TUYEN"),
		"so_bien_nhan":     int64(260903007),
		"ho_ten":           []byte("Nguyễn Thị Mai"),
		"so_giay_to":       []byte("079212345678"),
		"loai_doi_tuong":   []byte("CONG_DAN"),
		"email":            []byte("cong.dan1042@example.vn"),
		"dien_thoai":       []byte("0912345678"),
		"trich_yeu":        []byte("Đăng ký khai sinh cho cháu Nguyễn Minh An"),
		"ngay_nhan":        []byte("2026-09-03 08:15:00"),
		"ngay_hen_tra":     []byte("2026-09-08 17:00:00"),
		"trang_thai":       []byte("DA_TRA_KQ"),
		"ngay_tra":         []byte("2026-09-07 15:30:00"),
		"tra_qua_buu_dien": int64(0),
		"ngay_ket_thuc":    time.Date(2026, 9, 7, 14, 30, 0, 0, time.UTC),
		"don_vi_xu_ly":     []byte("UBND phường Sài Gòn"),
		"ghi_chu":          nil,
		"vneid":            int64(1),
		"ngay_nop":         time.Date(2026, 9, 2, 8, 10, 0, 0, time.UTC),
		"ngay_cap_nhat":    time.Date(2026, 9, 7, 15, 30, 0, 0, time.UTC),
	}
}

func BenchmarkMapDossier(b *testing.B) {
	m, err := New(benchConfig(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	rec := benchRecord()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := m.Map("ho_so", "1042", rec); err != nil {
			b.Fatal(err)
		}
	}
}
