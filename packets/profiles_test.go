package packets

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func mustProfile(t testing.TB, name string) Profile {
	t.Helper()
	p, err := ProfileByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProfilesRegistered(t *testing.T) {
	if got, want := ProfileNames(), []string{ProfileDVCQG, ProfileHCMLGSP}; !reflect.DeepEqual(got, want) {
		t.Fatalf("ProfileNames() = %v, want %v", got, want)
	}
	for name, ct := range map[string]string{
		ProfileHCMLGSP: "application/xml; charset=utf-8",
		ProfileDVCQG:   "application/json; charset=utf-8",
	} {
		if got := mustProfile(t, name).ContentType(); got != ct {
			t.Errorf("%s ContentType() = %q, want %q", name, got, ct)
		}
	}
	if _, err := ProfileByName("edxml"); err == nil || !strings.Contains(err.Error(), "hcm-lgsp") {
		t.Errorf("ProfileByName(edxml) error = %v, want one listing the known profiles", err)
	}
}

func TestFixturesSetEveryField(t *testing.T) {
	requireEveryField(t, reflect.ValueOf(everyFieldDossierPacket().Header))
	requireEveryField(t, reflect.ValueOf(everyFieldDossierPacket().Dossier))
	requireEveryField(t, reflect.ValueOf(exampleProgressPacket().Header))
	requireEveryField(t, reflect.ValueOf(exampleProgressPacket().Progress))
	requireEveryField(t, reflect.ValueOf(everyFieldRatingPacket().Header))
	requireEveryField(t, reflect.ValueOf(everyFieldRatingPacket().Rating))
}

// jsonTravelling keeps the part of a packet the dvcqg profile carries.
func jsonTravelling(p *Packet) *Packet {
	q := *p
	q.Header = Header{LoaiGoiTin: p.Header.LoaiGoiTin, MaDonViGui: p.Header.MaDonViGui}
	return &q
}

func TestRoundTrip(t *testing.T) {
	packets := map[string]*Packet{
		"HoSo":       everyFieldDossierPacket(),
		"TienDoXuLy": exampleProgressPacket(),
		"DanhGia":    everyFieldRatingPacket(),
	}
	for _, profile := range []string{ProfileHCMLGSP, ProfileDVCQG} {
		for kind, p := range packets {
			if profile == ProfileDVCQG && kind == "DanhGia" {
				continue // the portal takes no single ratings: TestDVCQGRefusesRatings
			}
			t.Run(profile+"/"+kind, func(t *testing.T) {
				prof := mustProfile(t, profile)
				b, err := prof.Encode(p)
				if err != nil {
					t.Fatal(err)
				}
				got, err := prof.Decode(b)
				if err != nil {
					t.Fatalf("Decode(Encode(p)): %v\n%s", err, b)
				}
				want := p
				if profile == ProfileDVCQG {
					want = jsonTravelling(p)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("Decode(Encode(p)) differs:\n got %+v\nwant %+v", got, want)
				}
				again, err := prof.Encode(got)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(again, b) {
					t.Errorf("Encode(Decode(b)) != b:\n%s\n%s", again, b)
				}
			})
		}
	}
}

// Text that needs escaping, edge whitespace and CR must come back unchanged.
func TestRoundTripAwkwardText(t *testing.T) {
	texts := []string{
		`a < b && c > d "quoted" 'single'`,
		"]]> not a CDATA end",
		"line one\r\nline two\rthree\n",
		"  leading and trailing spaces  ",
		"\t",
		"Tiếng Việt tổ hợp: Thu\u0301 (combining) và dựng sẵn: Thú",
		"emoji 🇻🇳 and U+2028\u2028",
		"<!DOCTYPE x>",
	}
	for _, profile := range []string{ProfileHCMLGSP, ProfileDVCQG} {
		prof := mustProfile(t, profile)
		for _, text := range texts {
			p := exampleProgressPacket()
			p.Progress.NoiDungXuLy = text
			p.Progress.ChucDanh = text
			b, err := prof.Encode(p)
			if err != nil {
				t.Fatalf("%s: Encode(%q): %v", profile, text, err)
			}
			got, err := prof.Decode(b)
			if err != nil {
				t.Fatalf("%s: Decode for %q: %v\n%s", profile, text, err, b)
			}
			if got.Progress.NoiDungXuLy != text || got.Progress.ChucDanh != text {
				t.Errorf("%s: %q came back as %q\n%s", profile, text, got.Progress.NoiDungXuLy, b)
			}
		}
	}
}

func TestEncodeDeterministic(t *testing.T) {
	for _, profile := range []string{ProfileHCMLGSP, ProfileDVCQG} {
		prof := mustProfile(t, profile)
		first, err := prof.Encode(exampleDossierPacket())
		if err != nil {
			t.Fatal(err)
		}
		for range 20 { // map iteration order would show within a few runs
			b, err := prof.Encode(exampleDossierPacket())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, first) {
				t.Fatalf("%s: Encode is not deterministic:\n%s\n%s", profile, first, b)
			}
		}
	}
}

func TestGolden(t *testing.T) {
	cases := []struct {
		file    string
		profile string
		packet  *Packet
	}{
		{"hoso.hcm-lgsp.xml", ProfileHCMLGSP, exampleDossierPacket()},
		{"tiendoxuly.hcm-lgsp.xml", ProfileHCMLGSP, exampleProgressPacket()},
		{"danhgia.hcm-lgsp.xml", ProfileHCMLGSP, exampleRatingPacket()},
		{"hoso.dvcqg.json", ProfileDVCQG, exampleDossierPacket()},
		{"tiendoxuly.dvcqg.json", ProfileDVCQG, exampleProgressPacket()},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			got, err := mustProfile(t, c.profile).Encode(c.packet)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", c.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Encode differs from %s (run go test -update if the change is intended):\n got %s\nwant %s", path, got, want)
			}
		})
	}
}

// The wire shape promised in docs/packets.md, checked on the bytes.
func TestXMLShape(t *testing.T) {
	b, err := mustProfile(t, ProfileHCMLGSP).Encode(exampleDossierPacket())
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{
		`<?xml version="1.0" encoding="UTF-8"?><GoiTin><ThongTinGoiTin><MaGoiTin>3f2b8c1e-6a4d-4f7b-9c2e-1d5a7b9e0c41</MaGoiTin><LoaiGoiTin>HoSo</LoaiGoiTin><PhienBan>1.0</PhienBan>`,
		`<ThoiGianTao>20251104100512</ThoiGianTao></ThongTinGoiTin><NoiDung><HoSo><MaHoSo>000.00.12.H29-251103-0042</MaHoSo>`,
		`<TaiLieuNop><TaiLieu><TepDinhKemId>TL-2025-118734</TepDinhKemId>`,
		`<DanhSachLePhi><LePhi>`,
		`<DanhSachTepDinhKemKhac><GiayTo><TenGiayTo>Tờ khai đăng ký khai sinh (bản giấy)</TenGiayTo><SoLuong>1</SoLuong><LoaiGiayTo>1</LoaiGiayTo></GiayTo></DanhSachTepDinhKemKhac>`,
		`<DanhSachHoSoBoSung><HoSoBoSung><HoSoBoSungId>1</HoSoBoSungId>`,
		`<DanhSachGiayToBoSung><TaiLieu>`,
		`<DanhSachLePhiBoSung><LePhi>`,
		`<DanhSachGiayToKetQua><GiayToKetQua>`,
		`<DinhDanhCHS><DinhDanh><LoaiDinhDanh>1</LoaiDinhDanh>`,
		`<DSKetNoiCSDL><KetNoiCSDL><MaCSDL>7</MaCSDL></KetNoiCSDL></DSKetNoiCSDL></HoSo></NoiDung></GoiTin>`,
		`bản chính &amp; trả lại`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("encoded dossier lacks %s", want)
		}
	}
	for _, absent := range []string{"NgayTuChoi", "\n", " xmlns", "=\"", "CDATA", "<!--"} {
		if strings.Count(s, absent) > strings.Count(`<?xml version="1.0" encoding="UTF-8"?>`, absent) {
			t.Errorf("encoded dossier contains %q", absent)
		}
	}
}

func TestXMLOmitsEmpty(t *testing.T) {
	p := exampleProgressPacket()
	p.Progress.ChucDanh = ""
	p.Progress.NgayBatDau = Time{}
	b, err := mustProfile(t, ProfileHCMLGSP).Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"ChucDanh", "NgayBatDau"} {
		if bytes.Contains(b, []byte(absent)) {
			t.Errorf("empty %s was written: %s", absent, b)
		}
	}
	d := exampleDossierPacket()
	d.Dossier.DanhSachLePhi = nil
	d.Dossier.DinhDanhCHS = []OwnerIdentifier{}
	b, err = mustProfile(t, ProfileHCMLGSP).Encode(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"<DanhSachLePhi>", "<DinhDanhCHS>"} {
		if bytes.Contains(b, []byte(absent)) {
			t.Errorf("empty list %s was written", absent)
		}
	}
}

func TestJSONShape(t *testing.T) {
	p := exampleProgressPacket()
	p.Progress.ChucDanh = ""
	p.Progress.NgayBatDau = Time{}
	b, err := mustProfile(t, ProfileDVCQG).Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"madonvi":"000.00.12.H29","service":"CapNhatTienDoHoSoMC","data":[{"MaHoSo":"000.00.12.H29-251103-0042",` +
		`"NguoiXuLy":"Lê Văn Hùng","ChucDanh":"","ThoiDiemXuLy":"20251103142000","PhongBanXuLy":"Bộ phận Tư pháp - Hộ tịch",` +
		`"NoiDungXuLy":"Thẩm định hồ sơ, trình lãnh đạo ký","TrangThai":"4","NgayBatDau":"","NgayKetThucTheoQuyDinh":"20251104163000"}]}`
	if string(b) != want {
		t.Errorf("progress envelope:\n got %s\nwant %s", b, want)
	}

	d := exampleDossierPacket()
	d.Dossier.DanhSachLePhi = nil
	b, err = mustProfile(t, ProfileDVCQG).Encode(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`{"madonvi":"000.00.12.H29","service":"DongBoHoSoMC","isUpdating":"False","data":[{"MaHoSo":`,
		`"DanhSachLePhi":[]`,
		`"NgayTuChoi":""`,
		`{"TenGiayTo":"Tờ khai đăng ký khai sinh (bản giấy)","SoLuong":1,"LoaiGiayTo":1}`,
		`"HoSoBoSungId":1,`,
		`"IsDeleted":"False"`,
		`bản chính & trả lại`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("dossier envelope lacks %s", want)
		}
	}

	item, err := EncodeDVCQGItem(exampleProgressPacket())
	if err != nil {
		t.Fatal(err)
	}
	full, _ := mustProfile(t, ProfileDVCQG).Encode(exampleProgressPacket())
	if !bytes.Contains(full, append(append([]byte(`"data":[`), item...), ']', '}')) {
		t.Errorf("EncodeDVCQGItem %s is not the envelope's item in %s", item, full)
	}
	if s, ok := DVCQGService(KindDossier); !ok || s != "DongBoHoSoMC" {
		t.Errorf("DVCQGService(HoSo) = %q, %v", s, ok)
	}
	if _, ok := DVCQGService(KindRating); ok {
		t.Error("DVCQGService(DanhGia) reports a service this package cannot encode")
	}
}

func TestEncodeRefuses(t *testing.T) {
	cases := []struct {
		name    string
		change  func(p *Packet)
		profile string // "" = both
		wantErr string
	}{
		{"no body", func(p *Packet) { p.Progress = nil }, "", "no body"},
		{"two bodies", func(p *Packet) { p.Dossier = &Dossier{} }, "", "two bodies (HoSo and TienDoXuLy)"},
		{"three bodies", func(p *Packet) { p.Dossier, p.Rating = &Dossier{}, &Rating{} }, "", "three bodies (HoSo and TienDoXuLy and DanhGia)"},
		{"control character", func(p *Packet) { p.Progress.NoiDungXuLy = "a\x01b" }, ProfileHCMLGSP, "TienDoXuLy.NoiDungXuLy: control character U+0001"},
		{"control character in header", func(p *Packet) { p.Header.MaDonViNhan = "\x1b" }, ProfileHCMLGSP, "ThongTinGoiTin.MaDonViNhan"},
		{"invalid UTF-8", func(p *Packet) { p.Progress.NguoiXuLy = "L\xe9" }, "", "UTF-8"},
		{"year 10000", func(p *Packet) { p.Progress.NgayBatDau = At(vn(10000, 1, 1, 0, 0, 0)) }, "", "NgayBatDau: year 10000"},
		{"negative year", func(p *Packet) { p.Header.ThoiGianTao = vn(-1, 1, 1, 0, 0, 0) }, ProfileHCMLGSP, "ThoiGianTao: year -1"},
		{"oversize", func(p *Packet) { p.Progress.NoiDungXuLy = strings.Repeat("x", MaxPacketSize) }, "", "more than the 10485760-byte limit"},
	}
	for _, c := range cases {
		for _, profile := range []string{ProfileHCMLGSP, ProfileDVCQG} {
			if c.profile != "" && c.profile != profile {
				continue
			}
			p := exampleProgressPacket()
			c.change(p)
			_, err := mustProfile(t, profile).Encode(p)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s/%s: Encode error = %v, want one containing %q", profile, c.name, err, c.wantErr)
			}
		}
	}
	// JSON carries control characters fine (escaped), so it must not refuse.
	p := exampleProgressPacket()
	p.Progress.NoiDungXuLy = "a\x01b"
	b, err := mustProfile(t, ProfileDVCQG).Encode(p)
	if err != nil || !bytes.Contains(b, []byte(`a\u0001b`)) {
		t.Errorf("dvcqg Encode with U+0001 = %s, %v; want it escaped", b, err)
	}
}

func TestDecodeXMLRejects(t *testing.T) {
	good, err := mustProfile(t, ProfileHCMLGSP).Encode(exampleProgressPacket())
	if err != nil {
		t.Fatal(err)
	}
	doc := string(good)
	replace := func(old, new string) string {
		if !strings.Contains(doc, old) {
			t.Fatalf("fixture lacks %q", old)
		}
		return strings.Replace(doc, old, new, 1)
	}
	dossier, err := mustProfile(t, ProfileHCMLGSP).Encode(exampleDossierPacket()) // has int fields
	if err != nil {
		t.Fatal(err)
	}
	dossierDoc := string(dossier)
	cases := []struct {
		name, input, wantErr string
	}{
		{"DOCTYPE", replace(`<GoiTin>`, `<!DOCTYPE GoiTin [<!ENTITY x "y">]><GoiTin>`), "DOCTYPE not allowed"},
		{"unknown element", replace(`<ChucDanh>`, `<Luong>1</Luong><ChucDanh>`), "GoiTin/NoiDung/TienDoXuLy: unknown element <Luong>"},
		{"unknown header element", replace(`<PhienBan>`, `<Extra/><PhienBan>`), "GoiTin/ThongTinGoiTin: unknown element <Extra>"},
		{"unknown root child", replace(`<NoiDung>`, `<Phu/><NoiDung>`), "unknown element <Phu>"},
		{"bad date", replace(`<ThoiDiemXuLy>20251103142000`, `<ThoiDiemXuLy>20250230142000`), "GoiTin/NoiDung/TienDoXuLy/ThoiDiemXuLy: time \"20250230142000\": day 30 does not exist"},
		{"short date", replace(`<NgayBatDau>20251103081527`, `<NgayBatDau>2025-11-03`), "want 14 digits"},
		{"attribute", replace(`<MaHoSo>`, `<MaHoSo loai="x">`), `attribute "loai" not allowed`},
		{"namespace", replace(`<GoiTin>`, `<GoiTin xmlns="urn:x">`), `attribute "xmlns" not allowed`},
		{"prefixed element", replace(`<ChucDanh>Công chức Tư pháp - Hộ tịch</ChucDanh>`, `<a:ChucDanh xmlns:a="urn:a">x</a:ChucDanh>`), "<a:ChucDanh> has a namespace prefix"},
		{"comment", replace(`<MaHoSo>`, `<!-- x --><MaHoSo>`), "comments are not allowed"},
		{"duplicate field", replace(`<ChucDanh>`, `<TrangThai>4</TrangThai><ChucDanh>`), "<TrangThai> appears twice"},
		{"element in text", replace(`<ChucDanh>`, `<ChucDanh><b>x</b>`), "element <b> inside a text field"},
		{"text in container", replace(`<NoiDung>`, `<NoiDung>loose`), "text \"loose\" outside any field element"},
		{"wrong root", strings.ReplaceAll(doc, "GoiTin>", "Goi>"), "root element is <Goi>"},
		{"two bodies", replace(`<NoiDung>`, `<NoiDung><HoSo></HoSo>`), "has 2 elements, want exactly one"},
		{"empty NoiDung", strings.Replace(doc, doc[strings.Index(doc, "<NoiDung>"):strings.Index(doc, "</NoiDung>")], "<NoiDung>", 1), "has 0 elements, want exactly one"},
		{"unknown body", strings.ReplaceAll(doc, "TienDoXuLy>", "ThongKe>"), "unknown body <ThongKe>; this version reads HoSo, TienDoXuLy or DanhGia"},
		{"progress field in a rating", strings.ReplaceAll(doc, "TienDoXuLy>", "DanhGia>"), "GoiTin/NoiDung/DanhGia: unknown element <NguoiXuLy>"},
		{"two signatures", replace(`</GoiTin>`, `<Signature></Signature><Signature></Signature></GoiTin>`), "more than one Signature"},
		{"foreign encoding", replace(`encoding="UTF-8"`, `encoding="windows-1258"`), `encoding "windows-1258"`},
		{"BOM", "\xef\xbb\xbf" + doc, "byte-order mark"},
		{"invalid UTF-8", replace(`Lê`, "L\xea"), "not valid UTF-8"},
		{"control character reference", replace(`<ChucDanh>`, `<ChucDanh>&#1;`), "not well-formed"},
		{"oversize", replace(`<ChucDanh>`, `<ChucDanh>`+strings.Repeat("x", MaxPacketSize)), "more than the 10485760-byte limit"},
		{"too deep", replace(`<ChucDanh>`, `<ChucDanh>`+strings.Repeat("<a>", 20)+strings.Repeat("</a>", 20)), "nested deeper than 16 levels"},
		{"not a number", strings.Replace(dossierDoc, "<SoLuong>1<", "<SoLuong>một<", 1), `HoSo/DanhSachTepDinhKemKhac[0]/SoLuong: "một" is not a whole number`},
		{"truncated", doc[:len(doc)-5], "not well-formed"},
		{"second root", doc + "<GoiTin/>", "second root element <GoiTin>"},
		{"processing instruction", replace(`<MaHoSo>`, `<?php x?><MaHoSo>`), "processing instruction"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := mustProfile(t, ProfileHCMLGSP).Decode([]byte(c.input))
			if err == nil {
				t.Fatalf("Decode accepted it: %+v", p)
			}
			if !strings.Contains(err.Error(), c.wantErr) || !strings.HasPrefix(err.Error(), "hcm-lgsp decode: ") {
				t.Errorf("Decode error = %v, want one containing %q", err, c.wantErr)
			}
		})
	}
}

func TestDecodeXMLAccepts(t *testing.T) {
	want := exampleDossierPacket()
	b, err := mustProfile(t, ProfileHCMLGSP).Encode(want)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	signature := `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:Reference URI=""/></ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>`
	cases := map[string]string{
		"prefixed signature":   strings.Replace(doc, "</GoiTin>", signature+"</GoiTin>", 1),
		"unprefixed signature": strings.Replace(doc, "</GoiTin>", `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignatureValue>AAAA</SignatureValue></Signature></GoiTin>`, 1),
		"no XML declaration":   strings.TrimPrefix(doc, `<?xml version="1.0" encoding="UTF-8"?>`),
		"pretty-printed":       strings.ReplaceAll(strings.ReplaceAll(doc, "<TaiLieu>", "\n    <TaiLieu>"), "</HoSo>", "\n  </HoSo>\n"),
		"fields reordered":     moveElement(doc, "<MaTTHC>1.001193</MaTTHC>", "<DonViXuLy>"),
		"lower-case encoding":  strings.Replace(doc, `encoding="UTF-8"`, `encoding="utf-8"`, 1),
	}
	for name, input := range cases {
		got, err := mustProfile(t, ProfileHCMLGSP).Decode([]byte(input))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: decoded packet differs:\n got %+v\nwant %+v", name, got.Dossier, want.Dossier)
		}
	}
}

// moveElement cuts elem out of doc and puts it before the first "before".
func moveElement(doc, elem, before string) string {
	doc = strings.Replace(doc, elem, "", 1)
	return strings.Replace(doc, before, elem+before, 1)
}

func TestDecodeJSONRejects(t *testing.T) {
	good, err := mustProfile(t, ProfileDVCQG).Encode(exampleDossierPacket())
	if err != nil {
		t.Fatal(err)
	}
	doc := string(good)
	replace := func(old, new string) string {
		if !strings.Contains(doc, old) {
			t.Fatalf("fixture lacks %q", old)
		}
		return strings.Replace(doc, old, new, 1)
	}
	cases := []struct{ name, input, wantErr string }{
		{"unknown item key", replace(`"MaTTHC"`, `"Luong":"1","MaTTHC"`), `data[0]: unknown key "Luong"`},
		{"unknown nested key", replace(`"TenPhiLePhi"`, `"X":"1","TenPhiLePhi"`), `data[0].DanhSachLePhi[0]: unknown key "X"`},
		{"unknown envelope key", replace(`"service"`, `"type":"2","service"`), `unknown key "type"`},
		{"bad date", replace(`"NgayTiepNhan":"20251103081527"`, `"NgayTiepNhan":"20250230081527"`), `data[0].NgayTiepNhan: time "20250230081527": day 30`},
		{"number for text", replace(`"TrangThaiHoSo":"10"`, `"TrangThaiHoSo":10`), `data[0].TrangThaiHoSo: found the number 10, want a JSON string`},
		{"string for int", replace(`"SoLuong":1`, `"SoLuong":"1"`), "want a JSON number"},
		{"fraction for int", replace(`"SoLuong":1`, `"SoLuong":1.5`), `"1.5" is not a whole number`},
		{"object for list", replace(`"DSKetNoiCSDL":[{"MaCSDL":"7"}]`, `"DSKetNoiCSDL":{"MaCSDL":"7"}`), `data[0].DSKetNoiCSDL: found "{", want an array`},
		{"duplicate key", replace(`"MaTTHC"`, `"MaHoSo":"x","MaTTHC"`), `key "MaHoSo" appears twice`},
		{"unknown service", replace(`DongBoHoSoMC`, `DongBoDanhGia`), `service "DongBoDanhGia"`},
		{"bad isUpdating", replace(`"isUpdating":"False"`, `"isUpdating":"false"`), `isUpdating: "false"`},
		{"two items", strings.TrimSuffix(doc, "]}") + `,{}]}`, "more than one item"},
		{"no items", doc[:strings.Index(doc, `"data":[`)] + `"data":[]}`, "data is empty"},
		{"no data", `{"madonvi":"000.00.12.H29","service":"DongBoHoSoMC"}`, "no data"},
		{"trailing data", doc + "{}", "data after the envelope"},
		{"invalid UTF-8", replace(`Hộ tịch`, "H\xf4 t\xecch"), "not valid UTF-8"},
		{"oversize", replace(`"GhiChu":"`, `"GhiChu":"`+strings.Repeat("x", MaxPacketSize)), "more than the 10485760-byte limit"},
		{"not JSON", "<GoiTin/>", "invalid character"},
		{"cut short", doc[:40], "unexpected end of input"},
		{"empty", "", "unexpected end of input"},
		{"null item", doc[:strings.Index(doc, `"data":[`)] + `"data":[null]}`, `data[0]: found null`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := mustProfile(t, ProfileDVCQG).Decode([]byte(c.input))
			if err == nil {
				t.Fatalf("Decode accepted it: %+v", p)
			}
			if !strings.Contains(err.Error(), c.wantErr) || !strings.HasPrefix(err.Error(), "dvcqg decode: ") {
				t.Errorf("Decode error = %v, want one containing %q", err, c.wantErr)
			}
		})
	}
}

func TestDecodeJSONAccepts(t *testing.T) {
	p := exampleProgressPacket()
	b, err := mustProfile(t, ProfileDVCQG).Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	want := jsonTravelling(p)
	doc := string(b)
	cases := map[string]string{
		"with session":   strings.Replace(doc, `{"madonvi"`, `{"session":"abc","madonvi"`, 1),
		"keys reordered": `{"data":` + doc[strings.Index(doc, "[{"):len(doc)-1] + `,"service":"CapNhatTienDoHoSoMC","madonvi":"000.00.12.H29"}`,
		"whitespace":     strings.ReplaceAll(strings.ReplaceAll(doc, `","`, "\",\n  \""), `{`, "{ "),
		"missing keys":   strings.Replace(doc, `"ChucDanh":"Công chức Tư pháp - Hộ tịch",`, "", 1),
	}
	for name, input := range cases {
		got, err := mustProfile(t, ProfileDVCQG).Decode([]byte(input))
		if err != nil {
			t.Errorf("%s: %v\n%s", name, err, input)
			continue
		}
		w := *want
		step := *want.Progress
		if name == "missing keys" {
			step.ChucDanh = ""
		}
		w.Progress = &step
		if !reflect.DeepEqual(got, &w) {
			t.Errorf("%s: decoded packet differs:\n got %+v\nwant %+v", name, got.Progress, w.Progress)
		}
	}

	// Lists: null and [] both mean "no items".
	d := exampleDossierPacket()
	d.Dossier.DanhSachLePhi = nil
	b, err = mustProfile(t, ProfileDVCQG).Encode(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, form := range []string{`"DanhSachLePhi":[]`, `"DanhSachLePhi":null`} {
		got, err := mustProfile(t, ProfileDVCQG).Decode(bytes.Replace(b, []byte(`"DanhSachLePhi":[]`), []byte(form), 1))
		if err != nil {
			t.Fatalf("%s: %v", form, err)
		}
		if got.Dossier.DanhSachLePhi != nil {
			t.Errorf("%s decoded as %#v, want nil", form, got.Dossier.DanhSachLePhi)
		}
	}
}

// The rating body travels like the others: compact, in model order, empty
// fields left out, text escaped.
func TestXMLRatingShape(t *testing.T) {
	p := exampleScorePacket()
	p.Rating.MaHoSo = "" // a general question, about no dossier
	b, err := mustProfile(t, ProfileHCMLGSP).Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?><GoiTin><ThongTinGoiTin><MaGoiTin>0c5d1f8e-93a2-4b67-b1d4-7e2a6c9f3b15</MaGoiTin>` +
		`<LoaiGoiTin>DanhGia</LoaiGoiTin><PhienBan>1.0</PhienBan><MaDonViGui>000.00.12.H29</MaDonViGui><MaDonViNhan>000.00.00.H29</MaDonViNhan>` +
		`<ThoiGianTao>20251104101503</ThoiGianTao></ThongTinGoiTin><NoiDung><DanhGia><MaPhieu>PDG-20251104-000732</MaPhieu>` +
		`<MaDonVi>000.00.12.H29</MaDonVi><MaCanBo>CB.H29.12.0157</MaCanBo><MaTTHC>1.001193</MaTTHC><BuocXuLy>Tiếp nhận hồ sơ</BuocXuLy>` +
		`<MaTieuChi>TC07</MaTieuChi><Diem>2</Diem><KenhDanhGia>1</KenhDanhGia><ThoiDiemDanhGia>20251104101245</ThoiDiemDanhGia>` +
		`</DanhGia></NoiDung></GoiTin>`
	if string(b) != want {
		t.Errorf("rating packet:\n got %s\nwant %s", b, want)
	}
	got, err := mustProfile(t, ProfileHCMLGSP).Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Errorf("Decode(Encode(p)) = %+v, want %+v", got.Rating, p.Rating)
	}
	if got.MaHoSo() != "" || exampleRatingPacket().MaHoSo() != "000.00.12.H29-251103-0042" {
		t.Errorf("MaHoSo() of ratings = %q and %q", got.MaHoSo(), exampleRatingPacket().MaHoSo())
	}
}

// The national portal takes only the monthly summary of ratings, so the
// dvcqg profile refuses a single rating and says what to do instead.
func TestDVCQGRefusesRatings(t *testing.T) {
	prof := mustProfile(t, ProfileDVCQG)
	for _, p := range []*Packet{exampleRatingPacket(), exampleScorePacket()} {
		b, err := prof.Encode(p)
		if err == nil {
			t.Fatalf("dvcqg Encode of a rating = %s, want an error", b)
		}
		for _, want := range []string{"dvcqg encode: ", p.Header.MaGoiTin, "single rating (DanhGia)", "DongBoDanhGia", "hcm-lgsp profile"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("dvcqg Encode error %q lacks %q", err, want)
			}
		}
		if item, err := EncodeDVCQGItem(p); err == nil || !strings.Contains(err.Error(), "DongBoDanhGia") {
			t.Errorf("EncodeDVCQGItem of a rating = %s, %v; want the same refusal", item, err)
		}
	}
	// Nor does the portal's reader turn anything into a rating.
	if p, err := prof.Decode([]byte(`{"madonvi":"000.00.12.H29","service":"DanhGia","data":[{"MaPhieu":"1"}]}`)); err == nil {
		t.Errorf("dvcqg Decode made a packet of service DanhGia: %+v", p)
	}
}
