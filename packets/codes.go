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
