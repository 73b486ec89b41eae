package packets

import (
	"reflect"
	"sort"
	"testing"
	"time"
)

// The example packets of docs/packets.md and testdata/: a birth
// registration received online by the People's Committee of Sài Gòn ward
// and handed over the next day, and one processing step of it.

func vn(year int, month time.Month, day, hour, min, sec int) time.Time {
	return time.Date(year, month, day, hour, min, sec, 0, VietnamZone)
}

func exampleDossierPacket() *Packet {
	return &Packet{
		Header: Header{
			MaGoiTin:    "3f2b8c1e-6a4d-4f7b-9c2e-1d5a7b9e0c41",
			LoaiGoiTin:  KindDossier,
			PhienBan:    SchemaVersion,
			MaDonViGui:  "000.00.12.H29",
			MaDonViNhan: "000.00.00.H29",
			ThoiGianTao: vn(2025, 11, 4, 10, 5, 12),
		},
		Dossier: &Dossier{
			MaHoSo:          "000.00.12.H29-251103-0042",
			MaTTHC:          "1.001193",
			TenTTHC:         "Thủ tục đăng ký khai sinh",
			MaLinhVuc:       "G15-HT01",
			TenLinhVuc:      "Hộ tịch",
			KenhThucHien:    "2",
			SoBienNhan:      "0042/BN-UBND",
			ChuHoSo:         "Nguyễn Thị Minh Thư",
			SoGiayToChuHoSo: "079190012345",
			LoaiDoiTuong:    "1",
			MaDoiTuong:      "7c91e2d4-0b3a-4e55-9f1d-2a6b8c4d0e13",
			ThongTinKhac:    "Người nộp là mẹ của trẻ",
			Email:           "minhthu.nguyen@example.vn",
			Fax:             "028 3829 1234",
			SoDienThoai:     "0903 123 456",
			TrichYeuHoSo:    "Đăng ký khai sinh cho trẻ Trần Gia Bảo, sinh ngày 28/10/2025 tại Bệnh viện Từ Dũ",
			NgayTiepNhan:    At(vn(2025, 11, 3, 8, 15, 27)),
			NgayHenTra:      At(vn(2025, 11, 4, 16, 30, 0)),
			TrangThaiHoSo:   "10",
			NgayTra:         At(vn(2025, 11, 4, 10, 5, 0)),
			ThongTinTra:     "Trả kết quả tại Bộ phận Một cửa phường Sài Gòn",
			HinhThuc:        "0",
			NgayKetThucXuLy: At(vn(2025, 11, 4, 9, 40, 0)),
			DonViXuLy:       "UBND phường Sài Gòn",
			GhiChu:          "Đã đối chiếu bản chính & trả lại cho người nộp",
			TaiLieuNop: []SubmittedDocument{
				{
					TepDinhKemId:      "TL-2025-118734",
					TenTepDinhKem:     "Giấy chứng sinh.pdf",
					IsDeleted:         "False",
					MaThanhPhanHoSo:   "TP-KS-01",
					DuongDanTaiTepTin: "https://motcua.phuongsaigon.hochiminhcity.gov.vn/tep/TL-2025-118734?download=true",
					DuocSoHoa:         "1",
					DuocTaiSuDung:     "0",
					DuocLayTuKhoDMQG:  "0",
				},
				{
					TepDinhKemId:      "TL-2025-118735",
					TenTepDinhKem:     "Giấy chứng nhận kết hôn của cha mẹ.pdf",
					IsDeleted:         "False",
					MaThanhPhanHoSo:   "TP-KS-02",
					DuongDanTaiTepTin: "https://motcua.phuongsaigon.hochiminhcity.gov.vn/tep/TL-2025-118735?download=true",
					DuocSoHoa:         "1",
					DuocTaiSuDung:     "2",
					DuocLayTuKhoDMQG:  "1",
					MaKetQuaThayThe:   "KQ-KH-000.00.12.H29-190512-0007",
				},
			},
			DanhSachLePhi: []Fee{
				{TenPhiLePhi: "Lệ phí đăng ký khai sinh", MaPhiLePhi: "1", HinhThucThu: "1", Gia: "0", LoaiPhiLePhi: "1"},
			},
			DanhSachTepDinhKemKhac: []OtherPaper{
				{TenGiayTo: "Tờ khai đăng ký khai sinh (bản giấy)", SoLuong: 1, LoaiGiayTo: 1},
			},
			DanhSachHoSoBoSung: []Supplement{
				{
					HoSoBoSungId:        1,
					NguoiYeuCauBoSung:   "Lê Văn Hùng",
					NoiDungBoSung:       "Bổ sung bản sao giấy chứng nhận kết hôn",
					NgayBoSung:          At(vn(2025, 11, 3, 9, 0, 0)),
					NguoiTiepNhanBoSung: "Phạm Thị Lan",
					ThongTinTiepNhan:    "Đã nhận bản sao qua Cổng dịch vụ công",
					NgayTiepNhanBoSung:  At(vn(2025, 11, 3, 13, 45, 10)),
					TrangThaiBoSung:     "1",
					DanhSachGiayToBoSung: []SubmittedDocument{
						{
							TepDinhKemId:      "TL-2025-118790",
							TenTepDinhKem:     "Bản sao giấy chứng nhận kết hôn.pdf",
							IsDeleted:         "False",
							MaThanhPhanHoSo:   "TP-KS-02",
							DuongDanTaiTepTin: "https://motcua.phuongsaigon.hochiminhcity.gov.vn/tep/TL-2025-118790?download=true",
							DuocSoHoa:         "1",
							DuocTaiSuDung:     "2",
							DuocLayTuKhoDMQG:  "1",
							MaKetQuaThayThe:   "KQ-KH-000.00.12.H29-190512-0007",
						},
					},
					DanhSachLePhiBoSung: []Fee{
						{TenPhiLePhi: "Phí cấp bản sao trích lục", MaPhiLePhi: "2", HinhThucThu: "2", Gia: "8000", LoaiPhiLePhi: "1"},
					},
					NgayHenTraTruoc: At(vn(2025, 11, 4, 10, 0, 0)),
					NgayHenTraMoi:   At(vn(2025, 11, 4, 16, 30, 0)),
				},
			},
			DanhSachGiayToKetQua: []ResultDocument{
				{
					TenGiayTo:            "Giấy khai sinh (bản điện tử)",
					MaThanhPhanHoSo:      "KQ-KS-01",
					GiayToId:             "KQ-2025-055120",
					DuongDanTepTinKetQua: "https://motcua.phuongsaigon.hochiminhcity.gov.vn/ketqua/KQ-2025-055120?download=true",
					MaGiayToKetQua:       "KQ.1.001193",
				},
			},
			NoiNopHoSo:                  "2",
			HoSoCoThanhPhanSoHoa:        "1",
			TaiKhoanDuocXacThucVoiVNeID: "1",
			DuocThanhToanTrucTuyen:      "1",
			DinhDanhCHS: []OwnerIdentifier{
				{LoaiDinhDanh: "1", SoDinhDanh: "079190012345"},
			},
			NgayNopHoSo: At(vn(2025, 11, 2, 21, 12, 48)),
			DSKetNoiCSDL: []DatabaseLink{
				{MaCSDL: "7"},
			},
		},
	}
}

func exampleProgressPacket() *Packet {
	return &Packet{
		Header: Header{
			MaGoiTin:    "9d04e6b2-51c7-4a8e-b3f0-6e2c1a7d5b98",
			LoaiGoiTin:  KindProgress,
			PhienBan:    SchemaVersion,
			MaDonViGui:  "000.00.12.H29",
			MaDonViNhan: "000.00.00.H29",
			ThoiGianTao: vn(2025, 11, 3, 14, 20, 31),
		},
		Progress: &ProgressStep{
			MaHoSo:                 "000.00.12.H29-251103-0042",
			NguoiXuLy:              "Lê Văn Hùng",
			ChucDanh:               "Công chức Tư pháp - Hộ tịch",
			ThoiDiemXuLy:           At(vn(2025, 11, 3, 14, 20, 0)),
			PhongBanXuLy:           "Bộ phận Tư pháp - Hộ tịch",
			NoiDungXuLy:            "Thẩm định hồ sơ, trình lãnh đạo ký",
			TrangThai:              "4",
			NgayBatDau:             At(vn(2025, 11, 3, 8, 15, 27)),
			NgayKetThucTheoQuyDinh: At(vn(2025, 11, 4, 16, 30, 0)),
		},
	}
}

// everyFieldDossierPacket is the example with the one field a returned
// dossier leaves empty filled in too, so round trips cover every field.
func everyFieldDossierPacket() *Packet {
	p := exampleDossierPacket()
	p.Dossier.NgayTuChoi = At(vn(2025, 11, 3, 8, 20, 0))
	return p
}

// requireEveryField fails when any field of v (recursively) holds its zero
// value; a field inside a list counts as set when any item sets it. So a
// field added to the model cannot silently escape the round-trip tests.
func requireEveryField(t *testing.T, v reflect.Value) {
	t.Helper()
	for _, path := range unsetFields(v, v.Type().String()) {
		t.Errorf("%s is not set in the fixture", path)
	}
}

func unsetFields(v reflect.Value, path string) []string {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return []string{path}
		}
		return unsetFields(v.Elem(), path)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[Time]() || v.Type() == reflect.TypeFor[time.Time]() {
			if v.IsZero() {
				return []string{path}
			}
			return nil
		}
		var out []string
		for i := range v.NumField() {
			out = append(out, unsetFields(v.Field(i), path+"."+v.Type().Field(i).Name)...)
		}
		return out
	case reflect.Slice:
		if v.Len() == 0 {
			return []string{path}
		}
		// Unset in every item = unset.
		count := map[string]int{}
		for i := range v.Len() {
			for _, p := range unsetFields(v.Index(i), path+"[*]") {
				count[p]++
			}
		}
		var out []string
		for p, n := range count {
			if n == v.Len() {
				out = append(out, p)
			}
		}
		sort.Strings(out)
		return out
	}
	if v.IsZero() {
		return []string{path}
	}
	return nil
}

// exampleRatingPacket is the example rating of docs/packets.md: at the
// ward's kiosk, the applicant of the dossier above was dissatisfied with
// how the reception desk treated them, and said why.
func exampleRatingPacket() *Packet {
	return &Packet{
		Header: Header{
			MaGoiTin:    "b7e3a9d2-4c61-4f0e-8a15-3d9c2e7f6a04",
			LoaiGoiTin:  KindRating,
			PhienBan:    SchemaVersion,
			MaDonViGui:  "000.00.12.H29",
			MaDonViNhan: "000.00.00.H29",
			ThoiGianTao: vn(2025, 11, 4, 10, 15, 3),
		},
		Rating: &Rating{
			MaPhieu:         "PDG-20251104-000731",
			MaHoSo:          "000.00.12.H29-251103-0042",
			MaDonVi:         "000.00.12.H29",
			MaCanBo:         "CB.H29.12.0157",
			MaTTHC:          "1.001193",
			BuocXuLy:        "Tiếp nhận hồ sơ",
			MaTieuChi:       "TC07",
			MucDoHaiLong:    "4",
			LyDo:            "Chờ hơn 40 phút mới được tiếp nhận & không được hướng dẫn rõ",
			KenhDanhGia:     "1",
			ThoiDiemDanhGia: At(vn(2025, 11, 4, 10, 12, 45)),
		},
	}
}

// exampleScorePacket is an answer with an indicator score instead of a
// satisfaction level: two points for indicator TC07.
func exampleScorePacket() *Packet {
	p := exampleRatingPacket()
	p.Header.MaGoiTin = "0c5d1f8e-93a2-4b67-b1d4-7e2a6c9f3b15"
	p.Rating.MaPhieu = "PDG-20251104-000732"
	p.Rating.MucDoHaiLong = ""
	p.Rating.LyDo = ""
	p.Rating.Diem = "2"
	return p
}

// everyFieldRatingPacket sets both answers, which Validate refuses, so
// round trips cover every field of the body.
func everyFieldRatingPacket() *Packet {
	p := exampleRatingPacket()
	p.Rating.Diem = "1"
	return p
}
