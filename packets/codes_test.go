package packets

import (
	"strconv"
	"testing"
)

func TestCodeLookups(t *testing.T) {
	cases := []struct {
		code     string
		lookup   func(string) bool
		list     string
		valid    bool
		wantName string // via the list's Name
		names    CodeList
	}{
		{"1", ValidStatus, "TrangThaiHoSo", true, "Mới đăng ký", Statuses()},
		{"4", ValidStatus, "TrangThaiHoSo", true, "Đang xử lý", Statuses()},
		{"10", ValidStatus, "TrangThaiHoSo", true, "Đã trả kết quả", Statuses()},
		{"0", ValidStatus, "TrangThaiHoSo", false, "", Statuses()},
		{"11", ValidStatus, "TrangThaiHoSo", false, "", Statuses()},
		{"04", ValidStatus, "TrangThaiHoSo", false, "", Statuses()},
		{" 4", ValidStatus, "TrangThaiHoSo", false, "", Statuses()},
		{"", ValidStatus, "TrangThaiHoSo", false, "", Statuses()},
		{"1", ValidChannel, "KenhThucHien", true, "Trực tiếp", Channels()},
		{"3", ValidChannel, "KenhThucHien", true, "Qua bưu chính công ích", Channels()},
		{"4", ValidChannel, "KenhThucHien", false, "", Channels()},
		{"0", ValidChannel, "KenhThucHien", false, "", Channels()},
		{"2", ValidApplicantType, "LoaiDoiTuong", true, "Doanh nghiệp", ApplicantTypes()},
		{"4", ValidApplicantType, "LoaiDoiTuong", true, "Tổ chức khác", ApplicantTypes()},
		{"5", ValidApplicantType, "LoaiDoiTuong", false, "", ApplicantTypes()},
		{"0", ValidDelivery, "HinhThuc", true, "Trả trực tiếp", DeliveryMethods()},
		{"1", ValidDelivery, "HinhThuc", true, "Trả qua bưu chính", DeliveryMethods()},
		{"2", ValidDelivery, "HinhThuc", false, "", DeliveryMethods()},
		{"1", ValidSatisfaction, "MucDoHaiLong", true, "Rất hài lòng", SatisfactionLevels()},
		{"5", ValidSatisfaction, "MucDoHaiLong", true, "Rất không hài lòng", SatisfactionLevels()},
		{"0", ValidSatisfaction, "MucDoHaiLong", false, "", SatisfactionLevels()},
		{"6", ValidSatisfaction, "MucDoHaiLong", false, "", SatisfactionLevels()},
		{"0", ValidScore, "Diem", true, "0 điểm", Scores()},
		{"2", ValidScore, "Diem", true, "2 điểm", Scores()},
		{"3", ValidScore, "Diem", false, "", Scores()},
		{"1.5", ValidScore, "Diem", false, "", Scores()},
		{"1", ValidRatingChannel, "KenhDanhGia", true, "Ki-ốt tại bộ phận một cửa", RatingChannels()},
		{"4", ValidRatingChannel, "KenhDanhGia", true, "Phiếu giấy, nhập lại sau", RatingChannels()},
		{"5", ValidRatingChannel, "KenhDanhGia", false, "", RatingChannels()},
	}
	for _, c := range cases {
		if got := c.lookup(c.code); got != c.valid {
			t.Errorf("%s %q valid = %v, want %v", c.list, c.code, got, c.valid)
		}
		if c.names.Field() != c.list {
			t.Errorf("list for %s has Field() %q", c.list, c.names.Field())
		}
		name, ok := c.names.Name(c.code)
		if ok != c.valid || name != c.wantName {
			t.Errorf("%s.Name(%q) = %q, %v; want %q, %v", c.list, c.code, name, ok, c.wantName, c.valid)
		}
	}
	if name, ok := StatusName("9"); !ok || name != "Đã xử lý xong" {
		t.Errorf("StatusName(9) = %q, %v", name, ok)
	}
}

func TestCodeListsAreContiguous(t *testing.T) {
	for _, c := range []struct {
		list     CodeList
		from, to int
	}{
		{Statuses(), 1, 10}, {Channels(), 1, 3}, {ApplicantTypes(), 1, 4}, {DeliveryMethods(), 0, 1},
		{SatisfactionLevels(), 1, 5}, {Scores(), 0, 2}, {RatingChannels(), 1, 4},
	} {
		codes := c.list.Codes()
		if len(codes) != c.to-c.from+1 {
			t.Errorf("%s has %d codes, want %d–%d", c.list.Field(), len(codes), c.from, c.to)
			continue
		}
		for i, code := range codes {
			if code.Value != strconv.Itoa(c.from+i) || code.Name == "" || code.English == "" {
				t.Errorf("%s[%d] = %+v", c.list.Field(), i, code)
			}
		}
		codes[0].Value = "changed"
		if c.list.Codes()[0].Value == "changed" {
			t.Errorf("%s.Codes() exposes the list itself", c.list.Field())
		}
	}
}

// A reason is owed exactly when the citizen was dissatisfied.
func TestNeedsReason(t *testing.T) {
	for _, c := range SatisfactionLevels().Codes() {
		want := c.Value == "4" || c.Value == "5"
		if got := NeedsReason(c.Value); got != want {
			t.Errorf("NeedsReason(%q) = %v, want %v", c.Value, got, want)
		}
	}
	for _, v := range []string{"", "0", "6", " 4", "04"} {
		if NeedsReason(v) {
			t.Errorf("NeedsReason(%q) = true for a value that is not a level", v)
		}
	}
}
