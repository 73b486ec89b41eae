package logging

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestMaskString(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"mobile", "gọi 0912345678 nhé", "gọi 09******78 nhé"},
		{"mobile with dots", "SĐT: 0912.345.678.", "SĐT: 09**.***.*78."},
		{"mobile with spaces", "tel 0912 345 678", "tel 09** *** *78"},
		{"international", "+84 912 345 678", "+84 *** *** *78"},
		{"international compact", "(+84912345678)", "(+84*******78)"},
		{"0084 prefix", "0084912345678", "00*********78"},
		{"landline 11 digits", "028 3829 1234", "02* **** **34"},
		{"84 without plus", "84912345678", "84*******78"},
		{"cmnd 9 digits", "CMND 123456789 cấp 2010", "CMND 12*****89 cấp 2010"},
		{"cccd 12 digits", "cccd=079123456789;", "cccd=07********89;"},
		{"email", "gửi nguyen.van.a@example.vn xong", "gửi n***@example.vn xong"},
		{"email in angle brackets", "<tran_b+tag@sub.gov.vn>", "<t***@sub.gov.vn>"},
		{"url password", "postgres://app:s3cr3t@db.local:5432/iso", "postgres://app:[REDACTED]@db.local:5432/iso"},
		{"mysql dsn", "root:hunter2@tcp(127.0.0.1:3306)/iso?parseTime=true", "root:[REDACTED]@tcp(127.0.0.1:3306)/iso?parseTime=true"},
		{"key value dsn", "host=db user=app password=hunter2 dbname=iso", "host=db user=app password=[REDACTED] dbname=iso"},
		{"ado dsn", "Server=db;User Id=sa;Password=P@ssw0rd;", "Server=db;User Id=sa;Password=[REDACTED];"},
		{"json secret", `{"client_secret":"abc123","x":1}`, `{"client_secret":[REDACTED],"x":1}`},
		{"bearer", "Authorization: Bearer eyJhbGciOi.J9x-y_z", "Authorization: Bearer [REDACTED]"},
		// What must stay readable.
		{"unit code", "đơn vị 000.00.12.H29", "đơn vị 000.00.12.H29"},
		{"ma ho so", "hồ sơ 000.00.06.H56-231027-0361", "hồ sơ 000.00.06.H56-231027-0361"},
		{"uuid", "gói 123e4567-e89b-12d3-a456-426614174000 gửi lại", "gói 123e4567-e89b-12d3-a456-426614174000 gửi lại"},
		{"all-digit uuid tail", "id 00000000-0000-4000-8000-000000000000", "id 00000000-0000-4000-8000-000000000000"},
		{"timestamp", "ThoiGianTao 20240131235959", "ThoiGianTao 20240131235959"},
		{"hash", "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		{"small numbers", "đọc 500 bản ghi trong 1.5s, 3 lỗi", "đọc 500 bản ghi trong 1.5s, 3 lỗi"},
		{"10 digits not starting with 0", "unix 1706745600", "unix 1706745600"},
		{"digits glued to letters", "ABC123456789", "ABC123456789"},
		{"zero time", "at 0001-01-01 00:00:00 +0000 UTC", "at 0001-01-01 00:00:00 +0000 UTC"},
		{"markdown bullet", "* 079123456789", "* 07********89"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaskString(tt.in); got != tt.want {
				t.Errorf("MaskString(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMaskValueByKey(t *testing.T) {
	tests := []struct {
		key  string
		in   any
		want any
	}{
		{"ChuHoSo", "Nguyễn Văn A", "Ng*** V*** A"},
		{"chu_ho_so", "Trần Thị Bích Ngọc", "Tr*** Th*** B*** Ng***"},
		{"ho_ten_nguoi_nop", "Phạm Quang Huy", "Ph*** Qu*** H***"},
		{"NguoiXuLy", "Lê Gia Khánh", "L*** Gi*** Kh***"},
		{"LyDo", "Chờ lâu", "Ch*** l***"},
		{"name", "Đỗ Minh", "Đ*** M***"},
		{"SoDienThoai", "0987654378", "09******78"},
		{"so_dien_thoai", 987654378, "98*****78"},
		{"SoGiayToChuHoSo", "079123456789", "07********89"},
		{"Email", "nguyen.a@example.vn", "n***@example.vn"},
		{"Fax", "028.3829.1234", "02*.****.**34"},
		{"SoDienThoai", "+84 912 345 678", "+84 *** *** *78"},
		{"MaDoiTuong", "1234", "****"},
		{"SoDinhDanh", "", ""},
		{"dia_chi", "12 Lê Lợi, Q1", "** L*** L***, Q*"},
		{"password", "hunter2", Redacted},
		{"client_secret", "s3cr3t", Redacted},
		{"Authorization", "Bearer abc", Redacted},
		{"access_token", "abc", Redacted},
		{"passphrase", "", ""},
		{"source.dsn", "sa:p@ss@tcp(10.0.0.5:3306)/iso", "sa:[REDACTED]@tcp(10.0.0.5:3306)/iso"},
		{"dsn", "sqlserver://sa:Pa55@legacy:1433?database=iso", "sqlserver://sa:[REDACTED]@legacy:1433?database=iso"},
		// Ordinary keys: free-text rules only, numbers untouched.
		{"token_url", "https://lgsp.example.vn/token", "https://lgsp.example.vn/token"},
		{"stream", "ho_so", "ho_so"},
		{"count", 123456789, 123456789},
		{"note", "liên hệ 0912345678", "liên hệ 09******78"},
		{"raw", []byte("email a.b@c.vn"), "email a***@c.vn"},
		{"err", errors.New("row 7: SoDienThoai 0912345678 invalid"), "row 7: SoDienThoai 09******78 invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := MaskValue(tt.key, tt.in); got != tt.want {
				t.Errorf("MaskValue(%q, %#v) = %#v, want %#v", tt.key, tt.in, got, tt.want)
			}
		})
	}
}

// secretString mimics config.Secret: it prints itself redacted.
type secretString string

func (secretString) String() string { return "[REDACTED]" }

type owner struct {
	HoTen       string
	SoDinhDanh  string
	LoaiGiayTo  int
	NgaySinh    time.Time
	unexported  string
	Credentials secretString
}

func TestMaskValueNested(t *testing.T) {
	record := map[string]any{
		"id":               int64(42),
		"so_ho_so":         "000.00.12.H29-240131-0001",
		"ho_ten_nguoi_nop": []byte("Nguyễn Văn An"),
		"dien_thoai":       "0912345678",
		"ghi_chu":          "gọi lại 0987654321 hoặc email an@example.vn",
		"children": []map[string]any{
			{"ten_tai_lieu": "Đơn", "email": "x@y.vn"},
		},
		"owner": &owner{HoTen: "Trần B", SoDinhDanh: "079123456789", LoaiGiayTo: 1,
			unexported: "0912345678", Credentials: "pw"},
		"updated": time.Date(2024, 1, 31, 8, 0, 0, 0, time.UTC),
	}
	got := MaskValue("", record).(map[string]any)
	want := map[string]any{
		"id":               int64(42),
		"so_ho_so":         "000.00.12.H29-240131-0001",
		"ho_ten_nguoi_nop": "Ng*** V*** A***",
		"dien_thoai":       "09******78",
		"ghi_chu":          "gọi lại 09******21 hoặc email a***@example.vn",
		"updated":          time.Date(2024, 1, 31, 8, 0, 0, 0, time.UTC),
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %#v, want %#v", k, got[k], w)
		}
	}
	child := got["children"].([]any)[0].(map[string]any)
	if child["email"] != "x***@y.vn" || child["ten_tai_lieu"] != "Đơn" {
		t.Errorf("children[0] = %#v", child)
	}
	o := got["owner"].(map[string]any)
	if o["HoTen"] != "Tr*** B" || o["SoDinhDanh"] != "07********89" || o["LoaiGiayTo"] != 1 || o["Credentials"] != "[REDACTED]" {
		t.Errorf("owner = %#v", o)
	}
	if _, leaked := o["unexported"]; leaked {
		t.Errorf("unexported field copied: %#v", o)
	}
}

func TestMaskValueDeepNestingBounded(t *testing.T) {
	v := any("0912345678")
	for i := 0; i < 50; i++ {
		v = []any{v}
	}
	out := MaskValue("x", v)
	if containsString(out, "0912345678") {
		t.Fatalf("deep value leaked: %v", out)
	}
}

func containsString(v any, needle string) bool {
	switch x := v.(type) {
	case string:
		return strings.Contains(x, needle)
	case []any:
		for _, e := range x {
			if containsString(e, needle) {
				return true
			}
		}
	}
	return false
}

func TestExtraPersonalKeys(t *testing.T) {
	m := NewMasker("ten_cong_dan")
	if got := m.Value("TenCongDan", "Võ Thị Sáu"); got != "V*** Th*** S***" {
		t.Errorf("configured key not masked: %q", got)
	}
	if got := MaskValue("ten_cong_dan", "Võ Thị Sáu"); got != "Võ Thị Sáu" {
		t.Errorf("default masker should not know the extra key: %q", got)
	}
}

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"debug", "DEBUG", false},
		{"INFO", "INFO", false},
		{" warn ", "WARN", false},
		{"warning", "WARN", false},
		{"error", "ERROR", false},
		{"info+2", "INFO+2", false},
		{"verbose", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		l, err := ParseLevel(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseLevel(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && l.String() != tt.want {
			t.Errorf("ParseLevel(%q) = %s, want %s", tt.in, l, tt.want)
		}
		if err != nil && !strings.Contains(err.Error(), "unknown level") {
			t.Errorf("ParseLevel(%q) error %q does not explain itself", tt.in, err)
		}
	}
}

func FuzzMaskString(f *testing.F) {
	for _, s := range []string{"", "0912345678", "a@b.vn", "password=x", "+84 912 345 678", "000.00.12.H29", "Bearer x", "00000000-0000-0000-0000-000000000000"} {
		f.Add(s, s, uint64(79123456789))
	}
	f.Fuzz(func(t *testing.T, prefix, suffix string, n uint64) {
		id := digits12(n)
		phone := "09" + id[4:]
		in := prefix + " " + id + " ; " + phone + " " + suffix
		out := MaskString(in)
		if strings.Contains(out, " "+id+" ") || strings.Contains(out, " "+phone+" ") {
			t.Fatalf("MaskString(%q) = %q kept an ID or phone number", in, out)
		}
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Fatalf("MaskString(%q) produced invalid UTF-8 %q", in, out)
		}
		// Masking again may hide a little more (a kept tail can look like
		// the start of a new number) but never reveals anything.
		if again := MaskString(out); countDigitsOf(again) > countDigitsOf(out) {
			t.Fatalf("masking twice revealed digits: %q → %q → %q", in, out, again)
		}
	})
}

func digits12(n uint64) string {
	s := make([]byte, 12)
	for i := 11; i >= 0; i-- {
		s[i] = byte('0' + n%10)
		n /= 10
	}
	return string(s)
}

func countDigitsOf(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

func FuzzParseLevel(f *testing.F) {
	for _, s := range []string{"debug", "INFO", "warning", "error+4", "info-1", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLevel(s)
		if err != nil {
			return
		}
		back, err := ParseLevel(l.String())
		if err != nil || back != l {
			t.Fatalf("ParseLevel(%q) = %v, but %q parses to %v, %v", s, l, l.String(), back, err)
		}
	})
}
