package packets

// The national code lists a packet carries as strings (SPEC-dvcqg.md §10,
// SPEC.md "Codes and rules"). Legacy values are mapped to these by the
// mapping config; here we only say which values exist and what they mean.

// Code is one value of a code list.
type Code struct {
	Value   string // as it travels on the wire, e.g. "4"
	Name    string // Vietnamese name, e.g. "Đang xử lý"
	English string // English gloss for logs and the dashboard
}

// CodeList is a closed list of codes for one wire field.
type CodeList struct {
	field string
	codes []Code
}

// Field is the wire field the list belongs to, e.g. "TrangThaiHoSo".
func (l CodeList) Field() string { return l.field }

// Codes returns the list in ascending code order. The slice is a copy.
func (l CodeList) Codes() []Code { return append([]Code(nil), l.codes...) }

// Name returns the Vietnamese name of value and whether value is in the list.
// Matching is exact: " 4" and "04" are not "4".
func (l CodeList) Name(value string) (string, bool) {
	for _, c := range l.codes {
		if c.Value == value {
			return c.Name, true
		}
	}
	return "", false
}

// Valid reports whether value is in the list.
func (l CodeList) Valid(value string) bool {
	_, ok := l.Name(value)
	return ok
}

// values lists the codes for error messages, e.g. "1, 2, 3".
func (l CodeList) values() string {
	s := ""
	for i, c := range l.codes {
		if i > 0 {
			s += ", "
		}
		s += c.Value
	}
	return s
}

var (
	statusCodes = CodeList{field: "TrangThaiHoSo", codes: []Code{
		{"1", "Mới đăng ký", "newly submitted, not yet received"},
		{"2", "Được tiếp nhận", "received"},
		{"3", "Không được tiếp nhận", "not received (refused at reception)"},
		{"4", "Đang xử lý", "processing"},
		{"5", "Yêu cầu bổ sung giấy tờ", "supplement requested"},
		{"6", "Yêu cầu thực hiện nghĩa vụ tài chính", "payment of fees or taxes requested"},
		{"7", "Công dân yêu cầu rút hồ sơ", "withdrawn at the applicant's request"},
		{"8", "Dừng xử lý", "processing stopped"},
		{"9", "Đã xử lý xong", "processing finished, result ready"},
		{"10", "Đã trả kết quả", "result handed over"},
	}}
	channelCodes = CodeList{field: "KenhThucHien", codes: []Code{
		{"1", "Trực tiếp", "in person"},
		{"2", "Trực tuyến", "online"},
		{"3", "Qua bưu chính công ích", "through the public postal service"},
	}}
	applicantTypeCodes = CodeList{field: "LoaiDoiTuong", codes: []Code{
		{"1", "Công dân", "citizen"},
		{"2", "Doanh nghiệp", "enterprise"},
		{"3", "Cơ quan nhà nước", "state agency"},
		{"4", "Tổ chức khác", "other organisation"},
	}}
	deliveryCodes = CodeList{field: "HinhThuc", codes: []Code{
		{"0", "Trả trực tiếp", "handed over at the desk"},
		{"1", "Trả qua bưu chính", "sent by post"},
	}}
	satisfactionCodes = CodeList{field: "MucDoHaiLong", codes: []Code{
		{"1", "Rất hài lòng", "very satisfied"},
		{"2", "Hài lòng", "satisfied"},
		{"3", "Bình thường", "neither satisfied nor dissatisfied"},
		{"4", "Không hài lòng", "dissatisfied"},
		{"5", "Rất không hài lòng", "very dissatisfied"},
	}}
	// Each of the nine evaluation indicators of Circular 01/2018 scores 0
	// to 2 points.
	scoreCodes = CodeList{field: "Diem", codes: []Code{
		{"0", "0 điểm", "no points"},
		{"1", "1 điểm", "one point"},
		{"2", "2 điểm", "two points, the indicator's maximum"},
	}}
	ratingChannelCodes = CodeList{field: "KenhDanhGia", codes: []Code{
		{"1", "Ki-ốt tại bộ phận một cửa", "kiosk at the one-stop desk"},
		{"2", "Ứng dụng di động", "mobile app"},
		{"3", "Cổng dịch vụ công, trang web", "public-service portal or website"},
		{"4", "Phiếu giấy, nhập lại sau", "paper form, typed in later"},
	}}
)

// Statuses is TrangThaiHoSo 1–10; progress steps (TrangThai) use the same list.
func Statuses() CodeList { return statusCodes }

// Channels is KenhThucHien 1–3 (how the dossier was submitted).
func Channels() CodeList { return channelCodes }

// ApplicantTypes is LoaiDoiTuong 1–4.
func ApplicantTypes() CodeList { return applicantTypeCodes }

// DeliveryMethods is HinhThuc 0–1 (how the result is handed over).
func DeliveryMethods() CodeList { return deliveryCodes }

// StatusName returns the Vietnamese name of a TrangThaiHoSo code.
func StatusName(code string) (string, bool) { return statusCodes.Name(code) }

// ValidStatus reports whether code is a TrangThaiHoSo (or progress TrangThai).
func ValidStatus(code string) bool { return statusCodes.Valid(code) }

// ValidChannel reports whether code is a KenhThucHien.
func ValidChannel(code string) bool { return channelCodes.Valid(code) }

// ValidApplicantType reports whether code is a LoaiDoiTuong.
func ValidApplicantType(code string) bool { return applicantTypeCodes.Valid(code) }

// ValidDelivery reports whether code is a HinhThuc.
func ValidDelivery(code string) bool { return deliveryCodes.Valid(code) }

// SatisfactionLevels is MucDoHaiLong 1–5, from rất hài lòng to rất không
// hài lòng.
func SatisfactionLevels() CodeList { return satisfactionCodes }

// Scores is Diem 0–2, the points of one evaluation indicator.
func Scores() CodeList { return scoreCodes }

// RatingChannels is KenhDanhGia 1–4 (where a rating was given).
func RatingChannels() CodeList { return ratingChannelCodes }

// ValidSatisfaction reports whether code is a MucDoHaiLong.
func ValidSatisfaction(code string) bool { return satisfactionCodes.Valid(code) }

// ValidScore reports whether code is a Diem.
func ValidScore(code string) bool { return scoreCodes.Valid(code) }

// ValidRatingChannel reports whether code is a KenhDanhGia.
func ValidRatingChannel(code string) bool { return ratingChannelCodes.Valid(code) }

// NeedsReason reports whether a MucDoHaiLong requires a reason (LyDo):
// the citizen was dissatisfied ("4") or very dissatisfied ("5").
func NeedsReason(level string) bool { return level == "4" || level == "5" }
