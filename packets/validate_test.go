package packets

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// issueKey is what the tests compare: field path, error or warning, and a
// fragment of the reason.
type issueKey struct {
	field   string
	warning bool
}

func validateIssues(t *testing.T, p *Packet, opts ValidateOptions) (warnings, errs []Issue) {
	t.Helper()
	warnings, err := Validate(p, opts)
	if err != nil {
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("Validate error is %T, want *ValidationError: %v", err, err)
		}
		errs = ve.Issues
		for _, is := range errs {
			if is.Warning {
				t.Errorf("error list holds a warning: %v", is)
			}
		}
	}
	for _, w := range warnings {
		if !w.Warning {
			t.Errorf("warning list holds an error: %v", w)
		}
	}
	return warnings, errs
}

func TestValidateExamplesAreValid(t *testing.T) {
	for name, p := range map[string]*Packet{
		"HoSo": everyFieldDossierPacket(), "TienDoXuLy": exampleProgressPacket(),
		"DanhGia": exampleRatingPacket(), "DanhGia/Diem": exampleScorePacket(),
	} {
		warnings, errs := validateIssues(t, p, ValidateOptions{RequireCatalogFields: true})
		if len(warnings)+len(errs) != 0 {
			t.Errorf("%s: warnings %v, errors %v; want none", name, warnings, errs)
		}
	}
}

// TestValidateIssues: each case breaks one rule; every issue must be on the
// broken field and one must carry the expected reason.
func TestValidateIssues(t *testing.T) {
	long := func(n int) string { return strings.Repeat("ạ", n) } // one character, three bytes
	cases := []struct {
		name     string
		progress bool // mutate the progress example instead of the dossier
		opts     ValidateOptions
		change   func(p *Packet)
		want     issueKey
		reason   string // fragment
	}{
		{"MaGoiTin missing", false, ValidateOptions{}, func(p *Packet) { p.Header.MaGoiTin = "" }, issueKey{"MaGoiTin", false}, "required"},
		{"MaGoiTin not UUID", false, ValidateOptions{}, func(p *Packet) { p.Header.MaGoiTin = "42" }, issueKey{"MaGoiTin", false}, "not a UUID"},
		{"LoaiGoiTin mismatch", false, ValidateOptions{}, func(p *Packet) { p.Header.LoaiGoiTin = KindProgress }, issueKey{"LoaiGoiTin", false}, "which is HoSo"},
		{"LoaiGoiTin unknown", true, ValidateOptions{}, func(p *Packet) { p.Header.LoaiGoiTin = "X" }, issueKey{"LoaiGoiTin", false}, "which is TienDoXuLy"},
		{"PhienBan missing", false, ValidateOptions{}, func(p *Packet) { p.Header.PhienBan = "" }, issueKey{"PhienBan", false}, "required"},
		{"PhienBan other", false, ValidateOptions{}, func(p *Packet) { p.Header.PhienBan = "2.0" }, issueKey{"PhienBan", true}, "differs"},
		{"MaDonViGui short form", false, ValidateOptions{}, func(p *Packet) { p.Header.MaDonViGui = "H29.12" }, issueKey{"MaDonViGui", false}, "QCVN 102"},
		{"MaDonViNhan missing", false, ValidateOptions{}, func(p *Packet) { p.Header.MaDonViNhan = "" }, issueKey{"MaDonViNhan", false}, "required"},
		{"ThoiGianTao missing", false, ValidateOptions{}, func(p *Packet) { p.Header.ThoiGianTao = vn(1, 1, 1, 7, 0, 0) }, issueKey{"ThoiGianTao", false}, "required"},
		{"no body", false, ValidateOptions{}, func(p *Packet) { p.Dossier = nil }, issueKey{"NoiDung", false}, "no body"},
		{"two bodies", false, ValidateOptions{}, func(p *Packet) { p.Progress = exampleProgressPacket().Progress }, issueKey{"NoiDung", false}, "two bodies"},

		{"MaHoSo missing", false, ValidateOptions{}, func(p *Packet) { p.Dossier.MaHoSo = "" }, issueKey{"MaHoSo", false}, "required"},
		{"MaTTHC missing", false, ValidateOptions{}, func(p *Packet) { p.Dossier.MaTTHC = "" }, issueKey{"MaTTHC", false}, "required"},
		{"NgayTiepNhan missing", false, ValidateOptions{}, func(p *Packet) { p.Dossier.NgayTiepNhan = Time{} }, issueKey{"NgayTiepNhan", false}, "required"},
		{"TrangThaiHoSo missing", false, ValidateOptions{}, func(p *Packet) { p.Dossier.TrangThaiHoSo = "" }, issueKey{"TrangThaiHoSo", false}, "required; one of 1, 2, 3, 4, 5, 6, 7, 8, 9, 10"},
		{"TrangThaiHoSo unknown", false, ValidateOptions{}, func(p *Packet) { p.Dossier.TrangThaiHoSo = "11" }, issueKey{"TrangThaiHoSo", false}, "not a TrangThaiHoSo code"},
		{"LoaiDoiTuong missing", false, ValidateOptions{}, func(p *Packet) { p.Dossier.LoaiDoiTuong = "" }, issueKey{"LoaiDoiTuong", false}, "required"},
		{"LoaiDoiTuong unknown", false, ValidateOptions{}, func(p *Packet) { p.Dossier.LoaiDoiTuong = "citizen" }, issueKey{"LoaiDoiTuong", false}, "use one of 1, 2, 3, 4"},
		{"HinhThuc missing", false, ValidateOptions{}, func(p *Packet) { p.Dossier.HinhThuc = "" }, issueKey{"HinhThuc", false}, "required"},
		{"HinhThuc unknown", false, ValidateOptions{}, func(p *Packet) { p.Dossier.HinhThuc = "2" }, issueKey{"HinhThuc", false}, "one of 0, 1"},
		{"KenhThucHien unknown", false, ValidateOptions{}, func(p *Packet) { p.Dossier.KenhThucHien = "4" }, issueKey{"KenhThucHien", false}, "not a KenhThucHien code"},
		{"DonViXuLy missing", false, ValidateOptions{}, func(p *Packet) { p.Dossier.DonViXuLy = "" }, issueKey{"DonViXuLy", false}, "required"},
		{"TenTTHC when required", false, ValidateOptions{RequireCatalogFields: true}, func(p *Packet) { p.Dossier.TenTTHC = "" }, issueKey{"TenTTHC", false}, "required"},
		{"MaLinhVuc when required", false, ValidateOptions{RequireCatalogFields: true}, func(p *Packet) { p.Dossier.MaLinhVuc = "" }, issueKey{"MaLinhVuc", false}, "required"},
		{"TenLinhVuc when required", false, ValidateOptions{RequireCatalogFields: true}, func(p *Packet) { p.Dossier.TenLinhVuc = "" }, issueKey{"TenLinhVuc", false}, "required"},
		{"NgayHenTra before NgayTiepNhan", false, ValidateOptions{}, func(p *Packet) { p.Dossier.NgayHenTra = At(vn(2025, 11, 2, 0, 0, 0)) }, issueKey{"NgayHenTra", true}, "before NgayTiepNhan 20251103081527"},

		{"TrichYeuHoSo too long", false, ValidateOptions{}, func(p *Packet) { p.Dossier.TrichYeuHoSo = long(1001) }, issueKey{"TrichYeuHoSo", false}, "1001 characters, at most 1000"},
		{"GhiChu too long", false, ValidateOptions{}, func(p *Packet) { p.Dossier.GhiChu = long(2001) }, issueKey{"GhiChu", false}, "at most 2000"},
		{"TenTepDinhKem too long", false, ValidateOptions{}, func(p *Packet) { p.Dossier.TaiLieuNop[1].TenTepDinhKem = long(4001) }, issueKey{"TaiLieuNop[1].TenTepDinhKem", false}, "at most 4000"},
		{"TenGiayTo too long", false, ValidateOptions{}, func(p *Packet) { p.Dossier.DanhSachGiayToKetQua[0].TenGiayTo = long(2001) }, issueKey{"DanhSachGiayToKetQua[0].TenGiayTo", false}, "at most 2000"},
		{"default limit", false, ValidateOptions{}, func(p *Packet) { p.Dossier.ChuHoSo = long(501) }, issueKey{"ChuHoSo", false}, "at most 500"},
		{"nested list path", false, ValidateOptions{}, func(p *Packet) { p.Dossier.DanhSachHoSoBoSung[0].DanhSachGiayToBoSung[0].TenTepDinhKem = "a\x00" }, issueKey{"DanhSachHoSoBoSung[0].DanhSachGiayToBoSung[0].TenTepDinhKem", false}, "control character U+0000 at byte 1"},
		{"invalid UTF-8", false, ValidateOptions{}, func(p *Packet) { p.Dossier.DinhDanhCHS[0].SoDinhDanh = "07\xff" }, issueKey{"DinhDanhCHS[0].SoDinhDanh", false}, "invalid UTF-8 at byte 2"},
		{"control char in header", false, ValidateOptions{}, func(p *Packet) { p.Header.MaGoiTin += "\x7f\x1f" }, issueKey{"MaGoiTin", false}, "U+001F"},
		{"IsDeleted", false, ValidateOptions{}, func(p *Packet) { p.Dossier.TaiLieuNop[0].IsDeleted = "0" }, issueKey{"TaiLieuNop[0].IsDeleted", false}, `"True" or "False"`},
		{"0/1 flag", false, ValidateOptions{}, func(p *Packet) { p.Dossier.HoSoCoThanhPhanSoHoa = "True" }, issueKey{"HoSoCoThanhPhanSoHoa", false}, `"0" or "1"`},
		{"negative count", false, ValidateOptions{}, func(p *Packet) { p.Dossier.DanhSachTepDinhKemKhac[0].SoLuong = -1 }, issueKey{"DanhSachTepDinhKemKhac[0].SoLuong", false}, "negative"},
		{"time out of range", false, ValidateOptions{}, func(p *Packet) { p.Dossier.DanhSachHoSoBoSung[0].NgayHenTraMoi = At(vn(12025, 1, 1, 0, 0, 0)) }, issueKey{"DanhSachHoSoBoSung[0].NgayHenTraMoi", false}, "year 12025"},

		{"step MaHoSo missing", true, ValidateOptions{}, func(p *Packet) { p.Progress.MaHoSo = "" }, issueKey{"MaHoSo", false}, "required"},
		{"step NguoiXuLy missing", true, ValidateOptions{}, func(p *Packet) { p.Progress.NguoiXuLy = "" }, issueKey{"NguoiXuLy", false}, "required"},
		{"step NguoiXuLy too long", true, ValidateOptions{}, func(p *Packet) { p.Progress.NguoiXuLy = long(51) }, issueKey{"NguoiXuLy", false}, "at most 50"},
		{"step ThoiDiemXuLy missing", true, ValidateOptions{}, func(p *Packet) { p.Progress.ThoiDiemXuLy = Time{} }, issueKey{"ThoiDiemXuLy", false}, "required"},
		{"step TrangThai missing", true, ValidateOptions{}, func(p *Packet) { p.Progress.TrangThai = "" }, issueKey{"TrangThai", false}, "required"},
		{"step TrangThai unknown", true, ValidateOptions{}, func(p *Packet) { p.Progress.TrangThai = "0" }, issueKey{"TrangThai", false}, "not a TrangThaiHoSo code"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := everyFieldDossierPacket()
			if c.progress {
				p = exampleProgressPacket()
			}
			c.change(p)
			warnings, errs := validateIssues(t, p, c.opts)
			all := append(append([]Issue(nil), warnings...), errs...)
			found := false
			for _, got := range all {
				if got.Field != c.want.field {
					t.Errorf("unexpected issue %+v; want issues on %s only", got, c.want.field)
				}
				if (issueKey{got.Field, got.Warning}) == c.want && strings.Contains(got.Reason, c.reason) {
					found = true
				}
			}
			if !found {
				t.Errorf("issues = %+v, want field %q warning=%v reason containing %q", all, c.want.field, c.want.warning, c.reason)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	p := exampleProgressPacket()
	p.Header.MaGoiTin = ""
	p.Progress.NguoiXuLy = ""
	p.Progress.TrangThai = "99"
	_, err := Validate(p, ValidateOptions{})
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Issues) != 3 {
		t.Fatalf("Validate = %v, want three issues", err)
	}
	want := `invalid packet (3 problems): MaGoiTin "": required: a UUID, the same on every retry of this packet; ` +
		`NguoiXuLy "": required; TrangThai "99": not a TrangThaiHoSo code; use one of 1, 2, 3, 4, 5, 6, 7, 8, 9, 10`
	if err.Error() != want {
		t.Errorf("Error() =\n%s\nwant\n%s", err, want)
	}
}

// Issues end up in logs: values of fields that may identify a person are
// hidden, long values are cut.
func TestValidateHidesPersonalData(t *testing.T) {
	p := everyFieldDossierPacket()
	p.Dossier.ChuHoSo = "Nguyễn Thị Minh Thư\x01"
	p.Dossier.SoDienThoai = strings.Repeat("9", 501)
	p.Dossier.DinhDanhCHS[0].SoDinhDanh = "079190012345\x02"
	p.Dossier.TenTTHC = strings.Repeat("Đăng ký ", 130)
	_, err := Validate(p, ValidateOptions{})
	if err == nil {
		t.Fatal("Validate accepted control characters")
	}
	msg := err.Error()
	for _, secret := range []string{"Nguyễn", "079190012345", "99999"} {
		if strings.Contains(msg, secret) {
			t.Errorf("error message reveals %q: %s", secret, msg)
		}
	}
	for _, want := range []string{`ChuHoSo "[hidden, 20 characters]"`, `DinhDanhCHS[0].SoDinhDanh "[hidden, 13 characters]"`, `TenTTHC "Đăng ký Đăng ký`, `…": too long: 1040 characters`} {
		if !strings.Contains(msg, want) {
			t.Errorf("error message lacks %s: %s", want, msg)
		}
	}
}

func TestValidateMaHoSoPolicies(t *testing.T) {
	const good = "000.00.12.H29-251103-0042"
	substituteOf := func(code string) string {
		s, err := SubstituteMaHoSo(code, "000.00.12.H29", vn(2025, 11, 3, 8, 15, 27))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	type outcome int
	const (
		ok outcome = iota
		warned
		rejected
		substituted
	)
	cases := []struct {
		code   string
		policy MaHoSoPolicy
		want   outcome
		reason string
	}{
		{good, PolicyWarn, ok, ""},
		{good, PolicyReject, ok, ""},
		{good, PolicySubstitute, ok, ""},
		{good, "", ok, ""},
		{"000.00.12.H29-250230-0042", PolicyWarn, warned, `date part "250230"`},
		{"000.00.12.H29-250230-0042", "", warned, "sent unchanged (MaHoSo policy warn)"},
		{"000.00.12.H29-250230-0042", PolicyReject, rejected, "(MaHoSo policy reject)"},
		{"000.00.12.H29-250230-0042", PolicySubstitute, substituted, `date part "250230"`},
		{"H56.14-250225-0001", PolicyWarn, warned, "shape"},
		{"H56.14-250225-0001", PolicyReject, rejected, "shape"},
		{"H56.14-250225-0001", PolicySubstitute, substituted, "shape"},
		{"000.00.12.H29-251103-00042", PolicyWarn, warned, "shape"},
		{"000.00.12.H29-251103-00042", PolicyReject, rejected, "shape"},
		{"000.00.12.H29-251103-00042", PolicySubstitute, substituted, "shape"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%s", c.code, c.policy), func(t *testing.T) {
			p := everyFieldDossierPacket()
			p.Dossier.MaHoSo = c.code
			warnings, errs := validateIssues(t, p, ValidateOptions{MaHoSoPolicy: c.policy})
			var issues []Issue
			switch c.want {
			case ok:
				if len(warnings)+len(errs) != 0 {
					t.Fatalf("issues %v %v, want none", warnings, errs)
				}
			case warned, substituted:
				if len(errs) != 0 || len(warnings) != 1 {
					t.Fatalf("warnings %v errors %v, want one warning", warnings, errs)
				}
				issues = warnings
			case rejected:
				if len(warnings) != 0 || len(errs) != 1 {
					t.Fatalf("warnings %v errors %v, want one error", warnings, errs)
				}
				issues = errs
			}
			wantCode := c.code
			if c.want == substituted {
				wantCode = substituteOf(c.code)
				arrow := fmt.Sprintf("substituted %q → %q", c.code, wantCode)
				if !strings.Contains(issues[0].Reason, arrow) {
					t.Errorf("warning %q does not say %s", issues[0].Reason, arrow)
				}
			}
			if p.Dossier.MaHoSo != wantCode {
				t.Errorf("MaHoSo after Validate = %q, want %q", p.Dossier.MaHoSo, wantCode)
			}
			if len(issues) == 1 {
				if issues[0].Field != "MaHoSo" || issues[0].Value != c.code || !strings.Contains(issues[0].Reason, c.reason) {
					t.Errorf("issue = %+v, want MaHoSo %q with reason containing %q", issues[0], c.code, c.reason)
				}
			}
		})
	}
}

func TestValidateSubstituteOnlyWhenValid(t *testing.T) {
	p := everyFieldDossierPacket()
	p.Dossier.MaHoSo = "H56.14-250225-0001"
	p.Dossier.MaTTHC = "" // another error
	warnings, err := Validate(p, ValidateOptions{MaHoSoPolicy: PolicySubstitute})
	if err == nil || len(warnings) != 1 {
		t.Fatalf("Validate = %v, %v; want the MaTTHC error and the substitution warning", warnings, err)
	}
	if p.Dossier.MaHoSo != "H56.14-250225-0001" {
		t.Errorf("invalid packet's MaHoSo was rewritten to %q", p.Dossier.MaHoSo)
	}

	// Without NgayTiepNhan no substitute can be derived: an error, not a guess.
	p = everyFieldDossierPacket()
	p.Dossier.MaHoSo = "H56.14-250225-0001"
	p.Dossier.NgayTiepNhan = Time{}
	_, errs := validateIssues(t, p, ValidateOptions{MaHoSoPolicy: PolicySubstitute})
	if len(errs) != 2 || errs[0].Field != "MaHoSo" || !strings.Contains(errs[0].Reason, "NgayTiepNhan is not set") {
		t.Errorf("errors = %v, want MaHoSo (cannot substitute) and NgayTiepNhan", errs)
	}

	// A progress step cannot derive the substitute itself.
	s := exampleProgressPacket()
	s.Progress.MaHoSo = "H56.14-250225-0001"
	_, errs = validateIssues(t, s, ValidateOptions{MaHoSoPolicy: PolicySubstitute})
	if len(errs) != 1 || !strings.Contains(errs[0].Reason, "SubstituteMaHoSo") || s.Progress.MaHoSo != "H56.14-250225-0001" {
		t.Errorf("progress errors = %v, MaHoSo %q; want one pointing at SubstituteMaHoSo", errs, s.Progress.MaHoSo)
	}
}

func TestValidateBadInput(t *testing.T) {
	if _, err := Validate(nil, ValidateOptions{}); err == nil {
		t.Error("Validate(nil) accepted")
	}
	_, err := Validate(exampleProgressPacket(), ValidateOptions{MaHoSoPolicy: "lenient"})
	var ve *ValidationError
	if err == nil || errors.As(err, &ve) || !strings.Contains(err.Error(), `unknown MaHoSo policy "lenient"`) {
		t.Errorf("Validate with a bad policy = %v, want an options error", err)
	}
}

// TestValidateRating: each case breaks one rule of the DanhGia body (or
// shows one that holds); every issue must be on the expected field.
func TestValidateRating(t *testing.T) {
	long := func(n int) string { return strings.Repeat("ạ", n) }
	cases := []struct {
		name   string
		score  bool // start from the indicator-score example
		opts   ValidateOptions
		change func(r *Rating)
		want   *issueKey // nil: valid, no issues
		reason string
	}{
		{"MaPhieu missing", false, ValidateOptions{}, func(r *Rating) { r.MaPhieu = "" }, &issueKey{"MaPhieu", false}, "required"},
		{"MaPhieu too long", false, ValidateOptions{}, func(r *Rating) { r.MaPhieu = long(501) }, &issueKey{"MaPhieu", false}, "at most 500"},
		{"general question without dossier", false, ValidateOptions{MaHoSoPolicy: PolicyReject}, func(r *Rating) { r.MaHoSo = "" }, nil, ""},
		{"MaHoSo non-conforming, warn", false, ValidateOptions{}, func(r *Rating) { r.MaHoSo = "H56.14-250225-0001" }, &issueKey{"MaHoSo", true}, "sent unchanged"},
		{"MaHoSo non-conforming, reject", false, ValidateOptions{MaHoSoPolicy: PolicyReject}, func(r *Rating) { r.MaHoSo = "H56.14-250225-0001" }, &issueKey{"MaHoSo", false}, "policy reject"},
		{"MaHoSo non-conforming, substitute", false, ValidateOptions{MaHoSoPolicy: PolicySubstitute}, func(r *Rating) { r.MaHoSo = "H56.14-250225-0001" }, &issueKey{"MaHoSo", false}, "cannot derive a code for a rating"},
		{"MaDonVi missing", false, ValidateOptions{}, func(r *Rating) { r.MaDonVi = "" }, &issueKey{"MaDonVi", false}, "required"},
		{"MaDonVi not an agency identifier", false, ValidateOptions{}, func(r *Rating) { r.MaDonVi = "UBND-P-SAIGON" }, &issueKey{"MaDonVi", false}, "QCVN 102"},
		{"no answer", false, ValidateOptions{}, func(r *Rating) { r.MucDoHaiLong, r.LyDo = "", "" }, &issueKey{"MucDoHaiLong", false}, "exactly one of MucDoHaiLong (satisfaction 1, 2, 3, 4, 5) and Diem (indicator score 0, 1, 2)"},
		{"two answers", false, ValidateOptions{}, func(r *Rating) { r.Diem = "2" }, &issueKey{"Diem", false}, "send the answers as two ratings"},
		{"level unknown", false, ValidateOptions{}, func(r *Rating) { r.MucDoHaiLong = "6" }, &issueKey{"MucDoHaiLong", false}, "not a MucDoHaiLong code; use one of 1, 2, 3, 4, 5"},
		{"level as a word", false, ValidateOptions{}, func(r *Rating) { r.MucDoHaiLong = "Hài lòng" }, &issueKey{"MucDoHaiLong", false}, "not a MucDoHaiLong code"},
		{"score unknown", true, ValidateOptions{}, func(r *Rating) { r.Diem = "3" }, &issueKey{"Diem", false}, "not a Diem code; use one of 0, 1, 2"},
		{"score zero is an answer", true, ValidateOptions{}, func(r *Rating) { r.Diem = "0" }, nil, ""},
		{"score without indicator", true, ValidateOptions{}, func(r *Rating) { r.MaTieuChi = "" }, &issueKey{"MaTieuChi", false}, "required with Diem"},
		{"overall question", false, ValidateOptions{}, func(r *Rating) { r.MaTieuChi = "" }, nil, ""},
		{"level 5 without reason", false, ValidateOptions{}, func(r *Rating) { r.MucDoHaiLong, r.LyDo = "5", "" }, &issueKey{"LyDo", false}, "required when MucDoHaiLong is 5 (Rất không hài lòng)"},
		{"level 4 with blank reason", false, ValidateOptions{}, func(r *Rating) { r.LyDo = " \t" }, &issueKey{"LyDo", false}, "required when MucDoHaiLong is 4 (Không hài lòng)"},
		{"level 3 without reason", false, ValidateOptions{}, func(r *Rating) { r.MucDoHaiLong, r.LyDo = "3", "" }, nil, ""},
		{"level 1 with a remark", false, ValidateOptions{}, func(r *Rating) { r.MucDoHaiLong = "1" }, nil, ""},
		{"reason too long", false, ValidateOptions{}, func(r *Rating) { r.LyDo = long(2001) }, &issueKey{"LyDo", false}, "2001 characters, at most 2000"},
		{"reason at the limit", false, ValidateOptions{}, func(r *Rating) { r.LyDo = long(2000) }, nil, ""},
		{"reason with control character", false, ValidateOptions{}, func(r *Rating) { r.LyDo = "chờ\x00lâu" }, &issueKey{"LyDo", false}, "control character U+0000"},
		{"channel unknown", false, ValidateOptions{}, func(r *Rating) { r.KenhDanhGia = "5" }, &issueKey{"KenhDanhGia", false}, "not a KenhDanhGia code; use one of 1, 2, 3, 4"},
		{"channel absent", false, ValidateOptions{}, func(r *Rating) { r.KenhDanhGia = "" }, nil, ""},
		{"time missing", false, ValidateOptions{}, func(r *Rating) { r.ThoiDiemDanhGia = Time{} }, &issueKey{"ThoiDiemDanhGia", false}, "required"},
		{"time out of range", false, ValidateOptions{}, func(r *Rating) { r.ThoiDiemDanhGia = At(vn(10000, 1, 1, 0, 0, 0)) }, &issueKey{"ThoiDiemDanhGia", false}, "year 10000"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := exampleRatingPacket()
			if c.score {
				p = exampleScorePacket()
			}
			c.change(p.Rating)
			warnings, errs := validateIssues(t, p, c.opts)
			all := append(append([]Issue(nil), warnings...), errs...)
			if c.want == nil {
				if len(all) != 0 {
					t.Fatalf("issues %+v, want none", all)
				}
				return
			}
			found := false
			for _, got := range all {
				if got.Field != c.want.field {
					t.Errorf("unexpected issue %+v; want issues on %s only", got, c.want.field)
				}
				if (issueKey{got.Field, got.Warning}) == *c.want && strings.Contains(got.Reason, c.reason) {
					found = true
				}
			}
			if !found {
				t.Errorf("issues = %+v, want field %q warning=%v reason containing %q", all, c.want.field, c.want.warning, c.reason)
			}
		})
	}
}

func TestValidateRatingBodyMismatch(t *testing.T) {
	p := exampleRatingPacket()
	p.Header.LoaiGoiTin = KindDossier
	_, errs := validateIssues(t, p, ValidateOptions{})
	if len(errs) != 1 || errs[0].Field != "LoaiGoiTin" || !strings.Contains(errs[0].Reason, "which is DanhGia") {
		t.Errorf("errors = %v, want one on LoaiGoiTin naming the DanhGia body", errs)
	}
	p = exampleRatingPacket()
	p.Progress = exampleProgressPacket().Progress
	_, errs = validateIssues(t, p, ValidateOptions{})
	if len(errs) == 0 || errs[0].Field != "NoiDung" || !strings.Contains(errs[0].Reason, "two bodies (TienDoXuLy and DanhGia)") {
		t.Errorf("errors = %v, want NoiDung: two bodies", errs)
	}
}

// The citizen's reason is free text: an issue about it never shows it;
// the rating's codes stay readable.
func TestValidateHidesRatingReason(t *testing.T) {
	p := exampleRatingPacket()
	p.Rating.LyDo = "Cán bộ Nguyễn Văn A đòi thêm tiền\x01"
	p.Rating.MaCanBo = "CB.H29.12.0157\x02"
	_, err := Validate(p, ValidateOptions{})
	if err == nil {
		t.Fatal("Validate accepted control characters")
	}
	msg := err.Error()
	if strings.Contains(msg, "Nguyễn") || strings.Contains(msg, "tiền") {
		t.Errorf("error message reveals the reason: %s", msg)
	}
	for _, want := range []string{`LyDo "[hidden, 34 characters]"`, `MaCanBo "CB.H29.12.0157\x02"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("error message lacks %s: %s", want, msg)
		}
	}
	for field, personal := range map[string]bool{
		"LyDo": true, "MaPhieu": false, "MaHoSo": false, "MaDonVi": false, "MaCanBo": false, "MaTTHC": false,
		"BuocXuLy": false, "MaTieuChi": false, "MucDoHaiLong": false, "Diem": false, "KenhDanhGia": false, "ThoiDiemDanhGia": false,
	} {
		if got := PersonalField(field); got != personal {
			t.Errorf("PersonalField(%s) = %v, want %v", field, got, personal)
		}
	}
}
