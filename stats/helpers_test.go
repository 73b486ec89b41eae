package stats

import (
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

var hcm = mustZone("Asia/Ho_Chi_Minh")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at reads "2006-01-02 15:04[:05]" as Ho Chi Minh City wall clock; "" is
// the absent time.
func at(s string) packets.Time {
	if s == "" {
		return packets.Time{}
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, hcm); err == nil {
			return packets.At(t)
		}
	}
	panic("bad test time " + s)
}

// dossier builds the fields the statistics read.
func dossier(code, status, received, due, ended, returned string) *packets.Dossier {
	return &packets.Dossier{
		MaHoSo: code, TrangThaiHoSo: status,
		NgayTiepNhan: at(received), NgayHenTra: at(due), NgayKetThucXuLy: at(ended), NgayTra: at(returned),
	}
}

// october2026 is the period of most fixtures: Thursday 1 to Saturday 31
// October 2026, Ho Chi Minh City time.
var october2026 = MonthPeriod(2026, time.October, hcm)

// fixture is one dossier and where the test expects it to count.
type fixture struct {
	d    *packets.Dossier
	want string // Placement.String()
}

// run feeds the fixtures in order, checks every placement, and returns
// the result.
func run(t *testing.T, p Period, o Options, fixtures []fixture) Result {
	t.Helper()
	acc, err := NewAccumulator(p, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fixtures {
		if got := acc.Add(f.d).String(); got != f.want {
			t.Errorf("dossier %s (status %q): counted as %q, want %q", f.d.MaHoSo, f.d.TrangThaiHoSo, got, f.want)
		}
	}
	r := acc.Result()
	if err := r.Figures.Check(); err != nil {
		t.Errorf("figures contradict each other: %v", err)
	}
	return r
}

// counts is the integer part of Figures, for compact expectations.
type counts struct {
	received, carried, total, finished, onTime, late, pending, within, overdue int
}

func countsOf(f Figures) counts {
	return counts{f.SoNhanTrongKy, f.SoTonKyTruoc, f.TongSoXuLy, f.TongDaXuLy, f.TongXuLyDungHan, f.TongXuLyTreHan,
		f.TongChuaXuLy, f.TongChuaXuLyTrongHan, f.TongChuaXuLyTreHan}
}

// percents is the four percentages as the wire writes them.
func percentsOf(f Figures) [4]string {
	return [4]string{f.PhanTramXuLyDungHan.String(), f.PhanTramXuLyTreHan.String(), f.PhanTramChuaXuLyTrongHan.String(), f.PhanTramChuaXuLyTreHan.String()}
}
