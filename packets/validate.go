package packets

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Issue is one problem Validate found. Field is the wire name, with list
// paths counted from 0, e.g. "TaiLieuNop[2].TenTepDinhKem". Value is the
// offending value, shortened, and hidden for fields that may hold personal
// data (names, ID numbers, phones, free text), so issues can be logged.
type Issue struct {
	Field   string
	Value   string
	Reason  string
	Warning bool // true: the packet may still be sent
}

// String formats the issue as `field "value": reason`.
func (i Issue) String() string { return fmt.Sprintf("%s %q: %s", i.Field, i.Value, i.Reason) }

// ValidationError lists every error-level Issue of a packet.
type ValidationError struct {
	Issues []Issue
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	if len(e.Issues) == 1 {
		b.WriteString("invalid packet: ")
	} else {
		fmt.Fprintf(&b, "invalid packet (%d problems): ", len(e.Issues))
	}
	for i, is := range e.Issues {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(is.String())
	}
	return b.String()
}

// ValidateOptions tune Validate. The zero value is the default: warn on
// non-conforming dossier codes, catalog names optional.
type ValidateOptions struct {
	MaHoSoPolicy MaHoSoPolicy // "" means PolicyWarn
	// RequireCatalogFields makes TenTTHC, MaLinhVuc and TenLinhVuc required
	// (the national portal wants them; mapping fills them from the catalog).
	RequireCatalogFields bool
}

// Text limits in characters (runes), by wire field name. The first group is
// what one-stop software applies when talking to the national portal
// (SPEC-dvcqg.md §15); the second is our choice for free text and links
// that are legitimately long. Every other text field gets defaultTextLimit,
// generous for codes, names and numbers.
var textLimits = map[string]int{
	"TrichYeuHoSo":  1000,
	"GhiChu":        2000,
	"TenTepDinhKem": 4000,
	"TenGiayTo":     2000,
	"NguoiXuLy":     50,

	"TenTTHC":              1000,
	"ThongTinKhac":         2000,
	"ThongTinTra":          2000,
	"NoiDungXuLy":          2000,
	"NoiDungBoSung":        2000,
	"ThongTinTiepNhan":     2000,
	"DuongDanTaiTepTin":    2000,
	"DuongDanTepTinKetQua": 2000,
	"LyDo":                 2000,
}

const defaultTextLimit = 500

// shownFields are the text fields whose values Issues show: codes, dates,
// identifiers of agencies and documents. Any other field may carry personal
// data and its value is hidden.
var shownFields = map[string]bool{
	"MaGoiTin": true, "LoaiGoiTin": true, "PhienBan": true, "MaDonViGui": true, "MaDonViNhan": true,
	"MaHoSo": true, "MaTTHC": true, "TenTTHC": true, "MaLinhVuc": true, "TenLinhVuc": true,
	"KenhThucHien": true, "SoBienNhan": true, "LoaiDoiTuong": true, "TrangThaiHoSo": true,
	"HinhThuc": true, "DonViXuLy": true, "NoiNopHoSo": true, "HoSoCoThanhPhanSoHoa": true,
	"TaiKhoanDuocXacThucVoiVNeID": true, "DuocThanhToanTrucTuyen": true,
	"TepDinhKemId": true, "IsDeleted": true, "MaThanhPhanHoSo": true, "DuocSoHoa": true,
	"DuocTaiSuDung": true, "DuocLayTuKhoDMQG": true, "MaKetQuaThayThe": true,
	"TenPhiLePhi": true, "MaPhiLePhi": true, "HinhThucThu": true, "Gia": true, "LoaiPhiLePhi": true,
	"TrangThaiBoSung": true, "GiayToId": true, "MaGiayToKetQua": true,
	"LoaiDinhDanh": true, "MaCSDL": true,
	"ChucDanh": true, "PhongBanXuLy": true, "TrangThai": true,
	// A rating's codes. MaCanBo is an official's code in the city's
	// catalog, which the operator must see to fix a catalog problem; the
	// citizen's reason LyDo is free text and stays hidden.
	"MaPhieu": true, "MaDonVi": true, "MaCanBo": true, "BuocXuLy": true, "MaTieuChi": true,
	"MucDoHaiLong": true, "Diem": true, "KenhDanhGia": true,
}

func init() {
	// Dates and counts never identify a person: show them all.
	for _, d := range []*structDesc{headerDesc, dossierDesc, progressDesc, ratingDesc} {
		markShown(d)
	}
}

func markShown(d *structDesc) {
	for _, f := range d.fields {
		switch f.kind {
		case timeField, instantField, intField:
			shownFields[f.name] = true
		case listField:
			markShown(f.item)
		}
	}
}

// PersonalField reports whether a field (a wire name, optionally with a
// list path such as DinhDanhCHS[0].SoDinhDanh) may hold personal data.
// Unknown fields count as personal.
func PersonalField(path string) bool {
	return !shownFields[path[strings.LastIndexByte(path, '.')+1:]]
}

// Flags whose only values are "0" and "1", and the True/False flag.
var zeroOneFields = []string{"HoSoCoThanhPhanSoHoa", "TaiKhoanDuocXacThucVoiVNeID", "DuocSoHoa", "DuocLayTuKhoDMQG"}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Validate checks p against the rules of the model (SPEC.md "Codes and
// rules"): header identity and routing, exactly one body matching
// LoaiGoiTin, required fields, code lists, text lengths and characters, and
// dates. It reports every problem, not just the first: warnings are
// returned, errors come as a *ValidationError.
//
// With PolicySubstitute, Validate rewrites p.Dossier.MaHoSo to the
// substitute code, and only when it returns a nil error; the warning names
// the original and the substitute. No other option modifies p.
func Validate(p *Packet, opts ValidateOptions) (warnings []Issue, err error) {
	if p == nil {
		return nil, &ValidationError{Issues: []Issue{{Field: "GoiTin", Reason: "packet is nil"}}}
	}
	policy, perr := ParseMaHoSoPolicy(string(opts.MaHoSoPolicy))
	if perr != nil {
		return nil, fmt.Errorf("validate options: %w", perr)
	}
	v := &validator{policy: policy}
	v.header(p)
	if p.Dossier != nil {
		v.texts(reflect.ValueOf(p.Dossier).Elem(), dossierDesc)
		v.dossier(p, opts.RequireCatalogFields)
	}
	if p.Progress != nil {
		v.texts(reflect.ValueOf(p.Progress).Elem(), progressDesc)
		v.progress(p.Progress)
	}
	if p.Rating != nil {
		v.texts(reflect.ValueOf(p.Rating).Elem(), ratingDesc)
		v.rating(p.Rating)
	}

	var errs []Issue
	for _, is := range v.issues {
		if is.Warning {
			warnings = append(warnings, is)
		} else {
			errs = append(errs, is)
		}
	}
	if len(errs) > 0 {
		return warnings, &ValidationError{Issues: errs}
	}
	if v.substitute != "" {
		p.Dossier.MaHoSo = v.substitute
	}
	return warnings, nil
}

type validator struct {
	policy     MaHoSoPolicy
	issues     []Issue
	substitute string // MaHoSo to apply if the packet turns out valid
}

func (v *validator) add(warning bool, path, value, reason string) {
	v.issues = append(v.issues, Issue{Field: path, Value: shownValue(path, value), Reason: reason, Warning: warning})
}

func (v *validator) fail(path, value, reason string) { v.add(false, path, value, reason) }
func (v *validator) warn(path, value, reason string) { v.add(true, path, value, reason) }

// shownValue shortens value and hides it when its field may hold personal
// data, so an Issue is safe to log.
func shownValue(path, value string) string {
	if value == "" {
		return ""
	}
	if PersonalField(path) {
		return fmt.Sprintf("[hidden, %d characters]", utf8.RuneCountInString(value))
	}
	const max = 80
	if utf8.RuneCountInString(value) > max {
		return string([]rune(value)[:max]) + "…"
	}
	return value
}

func (v *validator) required(path, value string) bool {
	if value == "" {
		v.fail(path, "", "required")
		return false
	}
	return true
}

func (v *validator) code(path, value string, list CodeList, required bool) {
	if value == "" {
		if required {
			v.fail(path, "", "required; one of "+list.values())
		}
		return
	}
	if !list.Valid(value) {
		v.fail(path, value, fmt.Sprintf("not a %s code; use one of %s", list.Field(), list.values()))
	}
}

func (v *validator) header(p *Packet) {
	h := p.Header
	if h.MaGoiTin == "" {
		v.fail("MaGoiTin", "", "required: a UUID, the same on every retry of this packet")
	} else if !uuidPattern.MatchString(h.MaGoiTin) {
		v.fail("MaGoiTin", h.MaGoiTin, "not a UUID (want xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")
	}
	if h.PhienBan == "" {
		v.fail("PhienBan", "", "required; this connector writes "+SchemaVersion)
	} else if h.PhienBan != SchemaVersion {
		v.warn("PhienBan", h.PhienBan, "differs from the schema version this connector implements, "+SchemaVersion)
	}
	for _, f := range []struct{ path, value string }{{"MaDonViGui", h.MaDonViGui}, {"MaDonViNhan", h.MaDonViNhan}} {
		if v.required(f.path, f.value) && CheckAgencyID(f.value) != nil {
			v.fail(f.path, f.value, "not an agency identifier of the QCVN 102:2016 shape ddd.dd.dd.Xdd (e.g. 000.00.12.H29)")
		}
	}
	if h.ThoiGianTao.IsZero() {
		v.fail("ThoiGianTao", "", "required: the time the packet was created")
	} else if err := checkWireTime(h.ThoiGianTao); err != nil {
		v.fail("ThoiGianTao", h.ThoiGianTao.String(), err.Error())
	}
	v.texts(reflect.ValueOf(h), headerDesc)

	kinds := bodyKinds(p)
	switch len(kinds) {
	case 0:
		v.fail("NoiDung", "", "no body; a packet carries exactly one ("+bodyNames+")")
		return
	case 1:
	default:
		v.fail("NoiDung", "", tooManyBodies(kinds)+"; a packet carries exactly one")
		return
	}
	if body := kinds[0]; h.LoaiGoiTin != body {
		v.fail("LoaiGoiTin", string(h.LoaiGoiTin), fmt.Sprintf("does not match the body, which is %s", body))
	}
}

// texts checks every text field of a struct (and its lists) for characters
// the wire cannot carry and for length.
func (v *validator) texts(val reflect.Value, d *structDesc) {
	walkText(val, d, "", func(path, name, value string) {
		if r, at, bad := xmlIllegal(value); bad {
			v.fail(path, value, describeIllegal(r, at))
			return
		}
		limit, ok := textLimits[name]
		if !ok {
			limit = defaultTextLimit
		}
		if n := utf8.RuneCountInString(value); n > limit {
			v.fail(path, value, fmt.Sprintf("too long: %d characters, at most %d", n, limit))
		}
	})
	walkTimes(val, d, "", func(path string, t time.Time) {
		if err := checkWireTime(t); err != nil {
			v.fail(path, t.String(), err.Error())
		}
	})
}

func walkTimes(val reflect.Value, d *structDesc, prefix string, fn func(path string, t time.Time)) {
	for _, f := range d.fields {
		fv := val.Field(f.index)
		switch f.kind {
		case timeField:
			fn(prefix+f.name, fv.Interface().(Time).Time)
		case listField:
			for i := range fv.Len() {
				walkTimes(fv.Index(i), f.item, fmt.Sprintf("%s%s[%d].", prefix, f.name, i), fn)
			}
		}
	}
}

func (v *validator) dossier(p *Packet, requireCatalog bool) {
	d := p.Dossier
	v.maHoSo(d.MaHoSo, "a dossier", func() (string, error) {
		return SubstituteMaHoSo(d.MaHoSo, p.Header.MaDonViGui, d.NgayTiepNhan.Time)
	})
	v.required("MaTTHC", d.MaTTHC)
	if requireCatalog {
		v.required("TenTTHC", d.TenTTHC)
		v.required("MaLinhVuc", d.MaLinhVuc)
		v.required("TenLinhVuc", d.TenLinhVuc)
	}
	v.required("DonViXuLy", d.DonViXuLy)
	if d.NgayTiepNhan.IsZero() {
		v.fail("NgayTiepNhan", "", "required: the date the dossier was received")
	}
	v.code("TrangThaiHoSo", d.TrangThaiHoSo, statusCodes, true)
	v.code("KenhThucHien", d.KenhThucHien, channelCodes, false)
	v.code("LoaiDoiTuong", d.LoaiDoiTuong, applicantTypeCodes, true)
	v.code("HinhThuc", d.HinhThuc, deliveryCodes, true)
	if !d.NgayHenTra.IsZero() && !d.NgayTiepNhan.IsZero() && d.NgayHenTra.Before(d.NgayTiepNhan.Time) {
		v.warn("NgayHenTra", FormatTime(d.NgayHenTra), "is before NgayTiepNhan "+FormatTime(d.NgayTiepNhan))
	}

	v.flags(reflect.ValueOf(d).Elem(), dossierDesc, "")
	for i, s := range d.DanhSachTepDinhKemKhac {
		v.notNegative(fmt.Sprintf("DanhSachTepDinhKemKhac[%d].SoLuong", i), s.SoLuong)
		v.notNegative(fmt.Sprintf("DanhSachTepDinhKemKhac[%d].LoaiGiayTo", i), s.LoaiGiayTo)
	}
	for i, s := range d.DanhSachHoSoBoSung {
		v.notNegative(fmt.Sprintf("DanhSachHoSoBoSung[%d].HoSoBoSungId", i), s.HoSoBoSungId)
	}
}

// flags checks the True/False and 0/1 flags wherever they occur.
func (v *validator) flags(val reflect.Value, d *structDesc, prefix string) {
	walkText(val, d, prefix, func(path, name, value string) {
		if value == "" {
			return
		}
		if name == "IsDeleted" && value != "True" && value != "False" {
			v.fail(path, value, `use "True" or "False"`)
		}
		for _, f := range zeroOneFields {
			if name == f && value != "0" && value != "1" {
				v.fail(path, value, `use "0" or "1"`)
			}
		}
	})
}

func (v *validator) notNegative(path string, n int) {
	if n < 0 {
		v.fail(path, fmt.Sprint(n), "must not be negative")
	}
}

// maHoSo applies the MaHoSo policy to a required code; see checkMaHoSo.
func (v *validator) maHoSo(code, body string, substitute func() (string, error)) {
	if !v.required("MaHoSo", code) {
		return
	}
	v.checkMaHoSo(code, body, substitute)
}

// checkMaHoSo applies the MaHoSo policy. substitute computes the
// replacement code; nil means the body (named for the message, e.g. "a
// progress step") cannot derive one: it has no NgayTiepNhan.
func (v *validator) checkMaHoSo(code, body string, substitute func() (string, error)) {
	problem := maHoSoProblem(code)
	if problem == "" {
		return
	}
	switch v.policy {
	case PolicyReject:
		v.fail("MaHoSo", code, problem+" (MaHoSo policy reject)")
	case PolicySubstitute:
		if substitute == nil {
			v.fail("MaHoSo", code, problem+"; MaHoSo policy substitute cannot derive a code for "+body+": "+
				"set it to the dossier's substitute (SubstituteMaHoSo with the dossier's NgayTiepNhan)")
			return
		}
		sub, err := substitute()
		if err != nil {
			v.fail("MaHoSo", code, problem+"; "+err.Error())
			return
		}
		v.substitute = sub
		v.warn("MaHoSo", code, fmt.Sprintf("%s; substituted %q → %q (MaHoSo policy substitute)", problem, code, sub))
	default:
		v.warn("MaHoSo", code, problem+"; sent unchanged (MaHoSo policy warn)")
	}
}

func (v *validator) progress(s *ProgressStep) {
	v.maHoSo(s.MaHoSo, "a progress step", nil)
	v.required("NguoiXuLy", s.NguoiXuLy)
	if s.ThoiDiemXuLy.IsZero() {
		v.fail("ThoiDiemXuLy", "", "required: the time of the processing step")
	}
	v.code("TrangThai", s.TrangThai, statusCodes, true)
}

// rating checks a DanhGia body: its identity, the unit rated, exactly one
// answer (a satisfaction level or an indicator score), the reason a
// dissatisfied citizen must give, and the time of the answer.
func (v *validator) rating(r *Rating) {
	v.required("MaPhieu", r.MaPhieu)
	if r.MaHoSo != "" { // a general question is about no dossier
		v.checkMaHoSo(r.MaHoSo, "a rating", nil)
	}
	if v.required("MaDonVi", r.MaDonVi) && CheckAgencyID(r.MaDonVi) != nil {
		v.fail("MaDonVi", r.MaDonVi, "not an agency identifier of the QCVN 102:2016 shape ddd.dd.dd.Xdd (e.g. 000.00.12.H29)")
	}
	switch {
	case r.MucDoHaiLong == "" && r.Diem == "":
		v.fail("MucDoHaiLong", "", "required: a rating carries exactly one of MucDoHaiLong (satisfaction "+
			satisfactionCodes.values()+") and Diem (indicator score "+scoreCodes.values()+")")
	case r.MucDoHaiLong != "" && r.Diem != "":
		v.fail("Diem", r.Diem, "a rating carries exactly one of MucDoHaiLong and Diem; this one has MucDoHaiLong "+
			r.MucDoHaiLong+" too: send the answers as two ratings")
	}
	v.code("MucDoHaiLong", r.MucDoHaiLong, satisfactionCodes, false)
	v.code("Diem", r.Diem, scoreCodes, false)
	if r.Diem != "" && r.MaTieuChi == "" {
		v.fail("MaTieuChi", "", "required with Diem: the evaluation indicator the score is for (\"\" is the overall satisfaction question, which takes MucDoHaiLong)")
	}
	if NeedsReason(r.MucDoHaiLong) && strings.TrimSpace(r.LyDo) == "" {
		name, _ := satisfactionCodes.Name(r.MucDoHaiLong)
		v.fail("LyDo", r.LyDo, "required when MucDoHaiLong is "+r.MucDoHaiLong+" ("+name+"): the citizen's reason")
	}
	v.code("KenhDanhGia", r.KenhDanhGia, ratingChannelCodes, false)
	if r.ThoiDiemDanhGia.IsZero() {
		v.fail("ThoiDiemDanhGia", "", "required: the time the citizen answered")
	}
}
