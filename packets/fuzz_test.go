package packets

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// fuzzDecode checks the decoder contract on arbitrary input: no panic, and
// whatever decodes re-encodes to bytes that decode to the same packet.
func fuzzDecode(t *testing.T, prof Profile, b []byte) {
	p, err := prof.Decode(b)
	if err != nil {
		return
	}
	again, err := prof.Encode(p)
	if err != nil {
		t.Fatalf("Encode of a decoded packet failed: %v\ninput: %q", err, b)
	}
	q, err := prof.Decode(again)
	if err != nil {
		t.Fatalf("Decode(Encode(Decode(b))) failed: %v\nre-encoded: %q", err, again)
	}
	if !reflect.DeepEqual(p, q) {
		t.Fatalf("round trip changed the packet:\n first %+v\nsecond %+v\nre-encoded: %q", p, q, again)
	}
}

func seedFromTestdata(f *testing.F, pattern string) {
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed files %s: %v", pattern, err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzDecodeXML(f *testing.F) {
	seedFromTestdata(f, "*.hcm-lgsp.xml")
	f.Add([]byte(`<GoiTin><ThongTinGoiTin></ThongTinGoiTin><NoiDung><TienDoXuLy><NguoiXuLy>a&#xD;b</NguoiXuLy></TienDoXuLy></NoiDung></GoiTin>`))
	f.Add([]byte(`<GoiTin><ThongTinGoiTin/><NoiDung><HoSo><TaiLieuNop><TaiLieu/></TaiLieuNop></HoSo></NoiDung><ds:Signature xmlns:ds="x"/></GoiTin>`))
	f.Add([]byte(`<GoiTin><ThongTinGoiTin><ThoiGianTao>00010101070000</ThoiGianTao></ThongTinGoiTin><NoiDung><HoSo/></NoiDung></GoiTin>`))
	f.Add([]byte(`<!DOCTYPE GoiTin [<!ENTITY a "b">]><GoiTin/>`))
	f.Add([]byte(`<GoiTin><ThongTinGoiTin><LoaiGoiTin>DanhGia</LoaiGoiTin></ThongTinGoiTin><NoiDung><DanhGia><LyDo>&#xD;&lt;</LyDo><Diem>0</Diem></DanhGia></NoiDung></GoiTin>`))
	f.Add([]byte(`<GoiTin><ThongTinGoiTin/><NoiDung><DanhGia><ThoiDiemDanhGia>20250229000000</ThoiDiemDanhGia></DanhGia><HoSo/></NoiDung></GoiTin>`))
	prof, err := ProfileByName(ProfileHCMLGSP)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) { fuzzDecode(t, prof, b) })
}

func FuzzDecodeJSON(f *testing.F) {
	seedFromTestdata(f, "*.dvcqg.json")
	f.Add([]byte(`{"service":"CapNhatTienDoHoSoMC","data":[{"NguoiXuLy":"a\u0001\ud800"}]}`))
	f.Add([]byte(`{"service":"DongBoHoSoMC","data":[{"DanhSachTepDinhKemKhac":[{"SoLuong":-0,"LoaiGiayTo":1e0}]}]}`))
	f.Add([]byte(`{"session":"s","madonvi":"","service":"DongBoHoSoMC","isUpdating":"True","data":[{"DinhDanhCHS":null}]}`))
	prof, err := ProfileByName(ProfileDVCQG)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) { fuzzDecode(t, prof, b) })
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"", "20251103081527", "20250230081527", "00000101000000", "00010101070000", "99991231235959", "2025110308152٣", "+0251103081527"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := ParseTime(s)
		if err != nil {
			return
		}
		if got := FormatTime(tm); got != s {
			t.Fatalf("FormatTime(ParseTime(%q)) = %q", s, got)
		}
		if !tm.IsZero() && tm.Location() != VietnamZone {
			t.Fatalf("ParseTime(%q) is in %v", s, tm.Location())
		}
	})
}
