package stats

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// LoaiThongKeMonthly is LoaiThongKe of monthly statistics, the only value
// seen on the wire (SPEC-dvcqg §9.1); what quarters or years would carry is
// not known (§16, question 7).
const LoaiThongKeMonthly = "1"

// ServiceName is the national portal's service for these figures.
const ServiceName = "DongBoThongKeHoSo"

// Figures is one DongBoThongKeHoSo item: the 13 figures of a unit for a
// period, under their wire names (SPEC-dvcqg §9.1).
type Figures struct {
	Thang       int    // month 1–12; 0 for a quarter or year
	Nam         int    // year
	LoaiThongKe string // "1" for monthly; "" when not known (quarter, year)
	Madonvi     string
	TenDonVi    string
	GhiChu      string

	SoNhanTrongKy            int     // received in the period
	SoTonKyTruoc             int     // carried over from before it
	TongSoXuLy               int     // SoNhanTrongKy + SoTonKyTruoc
	TongDaXuLy               int     // finished in the period
	TongXuLyDungHan          int     // finished on time, early included
	PhanTramXuLyDungHan      Percent // TongXuLyDungHan / TongDaXuLy
	TongXuLyTreHan           int     // finished late
	PhanTramXuLyTreHan       Percent // TongXuLyTreHan / TongDaXuLy
	TongChuaXuLy             int     // pending at the period's end
	TongChuaXuLyTrongHan     int     // pending, not yet overdue
	PhanTramChuaXuLyTrongHan Percent // TongChuaXuLyTrongHan / TongChuaXuLy
	TongChuaXuLyTreHan       int     // pending, overdue
	PhanTramChuaXuLyTreHan   Percent // TongChuaXuLyTreHan / TongChuaXuLy
}

// Percent is a percentage in hundredths (6667 is 66.67 %), rounded half up.
type Percent int64

// Ratio is part/whole as a percentage rounded half up to 2 decimals, in
// exact integer arithmetic; 0 when whole is 0.
func Ratio(part, whole int) Percent {
	if whole <= 0 || part < 0 {
		return 0
	}
	p, w := int64(part), int64(whole)
	// round(10000·p/w) = floor((20000·p + w) / (2·w))
	return Percent((20000*p + w) / (2 * w))
}

// String writes the percentage as the portal expects it, a plain number:
// at most 2 decimals, no trailing zeros, no "%" — 66.67, 12.5, 100, 0.
func (p Percent) String() string {
	whole, frac := int64(p)/100, int64(p)%100
	switch {
	case frac == 0:
		return strconv.FormatInt(whole, 10)
	case frac%10 == 0:
		return fmt.Sprintf("%d.%d", whole, frac/10)
	}
	return fmt.Sprintf("%d.%02d", whole, frac)
}

// Check verifies the identities every correct set of figures satisfies:
// received + carried over = total = finished + pending; finished = on time
// + late; pending = within deadline + overdue; each percentage matches its
// counts.
func (f Figures) Check() error {
	var errs []error
	eq := func(what string, got, want int) {
		if got != want {
			errs = append(errs, fmt.Errorf("%s: %d, want %d", what, got, want))
		}
	}
	eq("TongSoXuLy = SoNhanTrongKy + SoTonKyTruoc", f.TongSoXuLy, f.SoNhanTrongKy+f.SoTonKyTruoc)
	eq("TongSoXuLy = TongDaXuLy + TongChuaXuLy", f.TongSoXuLy, f.TongDaXuLy+f.TongChuaXuLy)
	eq("TongDaXuLy = TongXuLyDungHan + TongXuLyTreHan", f.TongDaXuLy, f.TongXuLyDungHan+f.TongXuLyTreHan)
	eq("TongChuaXuLy = TongChuaXuLyTrongHan + TongChuaXuLyTreHan", f.TongChuaXuLy, f.TongChuaXuLyTrongHan+f.TongChuaXuLyTreHan)
	pct := func(what string, got, want Percent) {
		if got != want {
			errs = append(errs, fmt.Errorf("%s: %s, want %s", what, got, want))
		}
	}
	pct("PhanTramXuLyDungHan", f.PhanTramXuLyDungHan, Ratio(f.TongXuLyDungHan, f.TongDaXuLy))
	pct("PhanTramXuLyTreHan", f.PhanTramXuLyTreHan, Ratio(f.TongXuLyTreHan, f.TongDaXuLy))
	pct("PhanTramChuaXuLyTrongHan", f.PhanTramChuaXuLyTrongHan, Ratio(f.TongChuaXuLyTrongHan, f.TongChuaXuLy))
	pct("PhanTramChuaXuLyTreHan", f.PhanTramChuaXuLyTreHan, Ratio(f.TongChuaXuLyTreHan, f.TongChuaXuLy))
	return errors.Join(errs...)
}

// dvcqgItem is the wire object, every value a string, in the order of
// SPEC-dvcqg §9.1.
type dvcqgItem struct {
	Thang                    string `json:"Thang"`
	Nam                      string `json:"Nam"`
	SoNhanTrongKy            string `json:"SoNhanTrongKy"`
	SoTonKyTruoc             string `json:"SoTonKyTruoc"`
	TongSoXuLy               string `json:"TongSoXuLy"`
	TongDaXuLy               string `json:"TongDaXuLy"`
	TongXuLyDungHan          string `json:"TongXuLyDungHan"`
	PhanTramXuLyDungHan      string `json:"PhanTramXuLyDungHan"`
	TongXuLyTreHan           string `json:"TongXuLyTreHan"`
	PhanTramXuLyTreHan       string `json:"PhanTramXuLyTreHan"`
	TongChuaXuLy             string `json:"TongChuaXuLy"`
	TongChuaXuLyTrongHan     string `json:"TongChuaXuLyTrongHan"`
	PhanTramChuaXuLyTrongHan string `json:"PhanTramChuaXuLyTrongHan"`
	TongChuaXuLyTreHan       string `json:"TongChuaXuLyTreHan"`
	PhanTramChuaXuLyTreHan   string `json:"PhanTramChuaXuLyTreHan"`
	GhiChu                   string `json:"GhiChu"`
	Madonvi                  string `json:"Madonvi"`
	TenDonVi                 string `json:"TenDonVi"`
	LoaiThongKe              string `json:"LoaiThongKe"`
}

// DVCQGItem encodes the figures as one item of DongBoThongKeHoSo's data
// array: a JSON object whose values are all strings. It refuses figures
// that cannot be sent: no LoaiThongKe (a quarter or a year), no unit code,
// or counts that contradict each other.
func (f Figures) DVCQGItem() ([]byte, error) {
	var errs []error
	if f.LoaiThongKe == "" {
		errs = append(errs, errors.New("LoaiThongKe is empty: only monthly statistics (LoaiThongKe \"1\") can be sent; the code for quarters and years is not known"))
	}
	if f.Thang < 1 || f.Thang > 12 {
		errs = append(errs, fmt.Errorf("Thang %d is not a month 1–12", f.Thang))
	}
	if f.Madonvi == "" {
		errs = append(errs, errors.New("Madonvi is empty: set the unit code (unit.code)"))
	}
	if err := f.Check(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s %d/%d: %w", ServiceName, f.Thang, f.Nam, errors.Join(errs...))
	}
	n := strconv.Itoa
	return json.Marshal(dvcqgItem{
		Thang: n(f.Thang), Nam: n(f.Nam),
		SoNhanTrongKy: n(f.SoNhanTrongKy), SoTonKyTruoc: n(f.SoTonKyTruoc), TongSoXuLy: n(f.TongSoXuLy),
		TongDaXuLy: n(f.TongDaXuLy), TongXuLyDungHan: n(f.TongXuLyDungHan), PhanTramXuLyDungHan: f.PhanTramXuLyDungHan.String(),
		TongXuLyTreHan: n(f.TongXuLyTreHan), PhanTramXuLyTreHan: f.PhanTramXuLyTreHan.String(),
		TongChuaXuLy: n(f.TongChuaXuLy), TongChuaXuLyTrongHan: n(f.TongChuaXuLyTrongHan), PhanTramChuaXuLyTrongHan: f.PhanTramChuaXuLyTrongHan.String(),
		TongChuaXuLyTreHan: n(f.TongChuaXuLyTreHan), PhanTramChuaXuLyTreHan: f.PhanTramChuaXuLyTreHan.String(),
		GhiChu: f.GhiChu, Madonvi: f.Madonvi, TenDonVi: f.TenDonVi, LoaiThongKe: f.LoaiThongKe,
	})
}
