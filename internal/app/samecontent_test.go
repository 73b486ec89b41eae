package app

import (
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

func TestSameContentIgnoresCreationTimeOnly(t *testing.T) {
	zone := time.FixedZone("ICT", 7*3600)
	rating := func(created time.Time, level string) *packets.Packet {
		return &packets.Packet{
			Header: packets.Header{MaGoiTin: "6b1f0d7e-0000-5000-8000-000000000001", LoaiGoiTin: packets.KindRating,
				PhienBan: packets.SchemaVersion, MaDonViGui: "000.00.12.H29", MaDonViNhan: "000.00.00.H29", ThoiGianTao: created},
			Rating: &packets.Rating{MaPhieu: "PDG-1", MaDonVi: "000.00.12.H29", MucDoHaiLong: level,
				KenhDanhGia: "1", ThoiDiemDanhGia: packets.At(time.Date(2026, 10, 5, 9, 30, 0, 0, zone))},
		}
	}
	prof, err := packets.ProfileByName(packets.ProfileHCMLGSP)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(p *packets.Packet) []byte {
		b, err := prof.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	first := enc(rating(time.Date(2026, 10, 5, 10, 0, 0, 0, zone), "1"))
	again := enc(rating(time.Date(2026, 10, 6, 8, 0, 0, 0, zone), "1"))
	changed := enc(rating(time.Date(2026, 10, 6, 8, 0, 0, 0, zone), "2"))
	if string(first) == string(again) {
		t.Fatal("fixture: the two encodings should differ in their creation time")
	}
	if !SameContent(prof, first, again) {
		t.Error("a copy differing only in ThoiGianTao is reported as different")
	}
	if SameContent(prof, first, changed) {
		t.Error("a changed answer is reported as the same content")
	}
	if SameContent(prof, first, []byte("<not a packet")) {
		t.Error("an undecodable body is reported as the same content")
	}
}
