// Package packets holds the canonical model of the packets the connector
// sends (dossier, progress step, …), their code lists, validation and the
// wire profiles that turn them into bytes. It knows nothing of SQL, HTTP or
// configuration files.
package packets

import "time"

// Kind is the packet type carried in the header (LoaiGoiTin).
type Kind string

// Packet kinds of the hcm-lgsp profile.
const (
	KindDossier   Kind = "HoSo"
	KindProgress  Kind = "TienDoXuLy"
	KindRating    Kind = "DanhGia"
	KindStats     Kind = "ThongKe"
	KindHeartbeat Kind = "TinHieuHoatDong"
)

// SchemaVersion is the PhienBan written in every header.
const SchemaVersion = "1.0"

// Header is ThongTinGoiTin: the packet's identity and routing.
type Header struct {
	MaGoiTin    string    // UUID; idempotency key, identical on every retry
	LoaiGoiTin  Kind      // packet kind
	PhienBan    string    // schema version
	MaDonViGui  string    // sender agency identifier
	MaDonViNhan string    // receiver agency identifier
	ThoiGianTao time.Time // creation time; written as yyyyMMddHHmmss +07:00
}

// Packet is one unit of delivery: a header and exactly one body.
type Packet struct {
	Header   Header
	Dossier  *Dossier      // set when Header.LoaiGoiTin == KindDossier
	Progress *ProgressStep // set when Header.LoaiGoiTin == KindProgress
	Rating   *Rating       // set when Header.LoaiGoiTin == KindRating
}

// MaHoSo is the dossier code the packet is about, whatever its kind.
func (p *Packet) MaHoSo() string {
	switch {
	case p.Dossier != nil:
		return p.Dossier.MaHoSo
	case p.Progress != nil:
		return p.Progress.MaHoSo
	case p.Rating != nil:
		return p.Rating.MaHoSo // "" for a rating not about a dossier
	}
	return ""
}

// Time is an instant that may be absent. The zero value encodes as "".
type Time struct{ time.Time }

// At wraps t.
func At(t time.Time) Time { return Time{t} }

// Dossier is the DongBoHoSoMC object (SPEC-dvcqg.md §3). Codes are kept as
// the strings that travel on the wire.
type Dossier struct {
	MaHoSo                      string
	MaTTHC                      string
	TenTTHC                     string
	MaLinhVuc                   string
	TenLinhVuc                  string
	KenhThucHien                string
	SoBienNhan                  string
	ChuHoSo                     string
	SoGiayToChuHoSo             string
	LoaiDoiTuong                string
	MaDoiTuong                  string
	ThongTinKhac                string
	Email                       string
	Fax                         string
	SoDienThoai                 string
	TrichYeuHoSo                string
	NgayTiepNhan                Time
	NgayHenTra                  Time
	TrangThaiHoSo               string
	NgayTra                     Time
	ThongTinTra                 string
	HinhThuc                    string
	NgayKetThucXuLy             Time
	DonViXuLy                   string
	GhiChu                      string
	TaiLieuNop                  []SubmittedDocument
	DanhSachLePhi               []Fee
	DanhSachTepDinhKemKhac      []OtherPaper
	DanhSachHoSoBoSung          []Supplement
	DanhSachGiayToKetQua        []ResultDocument
	NoiNopHoSo                  string
	HoSoCoThanhPhanSoHoa        string
	TaiKhoanDuocXacThucVoiVNeID string
	DuocThanhToanTrucTuyen      string
	NgayTuChoi                  Time
	DinhDanhCHS                 []OwnerIdentifier
	NgayNopHoSo                 Time
	DSKetNoiCSDL                []DatabaseLink
}

// SubmittedDocument is one TaiLieuNop item.
type SubmittedDocument struct {
	TepDinhKemId      string
	TenTepDinhKem     string
	IsDeleted         string // "True" / "False"
	MaThanhPhanHoSo   string
	DuongDanTaiTepTin string
	DuocSoHoa         string
	DuocTaiSuDung     string
	DuocLayTuKhoDMQG  string
	MaKetQuaThayThe   string
}

// Fee is one DanhSachLePhi item.
type Fee struct {
	TenPhiLePhi  string
	MaPhiLePhi   string
	HinhThucThu  string
	Gia          string
	LoaiPhiLePhi string
}

// OtherPaper is one DanhSachTepDinhKemKhac item.
type OtherPaper struct {
	TenGiayTo  string
	SoLuong    int
	LoaiGiayTo int
}

// Supplement is one DanhSachHoSoBoSung item (a supplement request).
type Supplement struct {
	HoSoBoSungId         int
	NguoiYeuCauBoSung    string
	NoiDungBoSung        string
	NgayBoSung           Time
	NguoiTiepNhanBoSung  string
	ThongTinTiepNhan     string
	NgayTiepNhanBoSung   Time
	TrangThaiBoSung      string
	DanhSachGiayToBoSung []SubmittedDocument
	DanhSachLePhiBoSung  []Fee
	NgayHenTraTruoc      Time
	NgayHenTraMoi        Time
}

// ResultDocument is one DanhSachGiayToKetQua item.
type ResultDocument struct {
	TenGiayTo            string
	MaThanhPhanHoSo      string
	GiayToId             string
	DuongDanTepTinKetQua string
	MaGiayToKetQua       string
}

// OwnerIdentifier is one DinhDanhCHS item.
type OwnerIdentifier struct {
	LoaiDinhDanh string
	SoDinhDanh   string
}

// DatabaseLink is one DSKetNoiCSDL item.
type DatabaseLink struct {
	MaCSDL string
}

// ProgressStep is one CapNhatTienDoHoSoMC item (SPEC-dvcqg.md §4).
type ProgressStep struct {
	MaHoSo                 string
	NguoiXuLy              string
	ChucDanh               string
	ThoiDiemXuLy           Time
	PhongBanXuLy           string
	NoiDungXuLy            string
	TrangThai              string
	NgayBatDau             Time
	NgayKetThucTheoQuyDinh Time
}

// Rating is one answer of a citizen-satisfaction survey (DanhGia): a form
// filled at a kiosk, in the mobile app, on the portal, or on paper and
// typed in later. One packet carries one answer to one question
// (MaTieuChi), either a five-level satisfaction (MucDoHaiLong) or an
// indicator score (Diem), never both.
//
// A rating carries no identity of the citizen beyond MaHoSo and no names:
// the officer is the catalog code MaCanBo. LyDo is free text the citizen
// typed and counts as personal data (never logged). The national portal
// takes only a monthly summary of ratings (DongBoDanhGia), so single
// ratings travel in the hcm-lgsp profile only.
type Rating struct {
	// MaPhieu is the survey system's own id of the form or answer: the
	// rating's identity, the same when a kiosk re-sends it.
	MaPhieu string
	// MaHoSo is the dossier rated; "" for a question not about a dossier
	// (a general kiosk question).
	MaHoSo  string
	MaDonVi string // agency identifier of the unit rated
	MaCanBo string // officer code of the city's officials catalog
	MaTTHC  string // national procedure code
	// BuocXuLy is the processing step or department rated (code or name).
	BuocXuLy string
	// MaTieuChi is the question's code in the city's rating-criteria
	// catalog; "" is the overall satisfaction question.
	MaTieuChi string
	// MucDoHaiLong is the five-level satisfaction, "1" rất hài lòng … "5"
	// rất không hài lòng (Ratings()).
	MucDoHaiLong string
	// Diem is an evaluation-indicator score, "0", "1" or "2" (Scores()).
	Diem string
	// LyDo is the citizen's reason; required when MucDoHaiLong is 4 or 5.
	LyDo string
	// KenhDanhGia is where the rating was given (RatingChannels()).
	KenhDanhGia     string
	ThoiDiemDanhGia Time // when the citizen answered
}
