package ratings

import (
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
	"github.com/hcmc-lgsp/lgsp-connector/stats"
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

// rules builds Rules from a config edited by edit (nil: defaults) and
// deadline options (zero: calendar basis, by calendar day, Ho Chi Minh City).
func rules(t *testing.T, o stats.Options, edit func(*Config)) *Rules {
	t.Helper()
	c := DefaultConfig()
	if edit != nil {
		edit(&c)
	}
	if o.Location == nil {
		o.Location = hcm
	}
	r, err := New(c, o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// step is one progress step: department, done at, step deadline, status.
func step(dept, done, due, status string) packets.ProgressStep {
	return packets.ProgressStep{PhongBanXuLy: dept, ThoiDiemXuLy: at(done), NgayKetThucTheoQuyDinh: at(due), TrangThai: status}
}

// rating is one answer; level and score are the wire strings.
func rating(form, unit, question, level, score, when string) packets.Rating {
	return packets.Rating{MaPhieu: form, MaDonVi: unit, MaTieuChi: question, MucDoHaiLong: level, Diem: score, ThoiDiemDanhGia: at(when)}
}

var (
	october2026 = stats.MonthPeriod(2026, time.October, hcm)
	q4of2026    = stats.QuarterPeriod(2026, 4, hcm)
)
