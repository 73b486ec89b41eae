package stats

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestRatioRoundsHalfUp(t *testing.T) {
	tests := []struct {
		part, whole int
		want        string
	}{
		{0, 0, "0"},           // no denominator: "0", never NaN
		{5, 0, "0"},           // ditto, even with a numerator
		{0, 7, "0"},           // none of seven
		{7, 7, "100"},         // all: no decimals written
		{1, 3, "33.33"},       // 33.333… rounds down
		{2, 3, "66.67"},       // 66.666… rounds up
		{1, 8, "12.5"},        // exact 12.50: trailing zero dropped
		{1, 32, "3.13"},       // exactly 3.125: half rounds up
		{31, 32, "96.88"},     // exactly 96.875: half rounds up (3.13 + 96.88 = 100.01)
		{1, 20000, "0.01"},    // exactly 0.005: half rounds up
		{1, 20001, "0"},       // 0.00499…: rounds to zero
		{1, 6, "16.67"},       // 16.666…
		{999, 1000, "99.9"},   // 99.90
		{1999, 2000, "99.95"}, // exact
		{19999, 20000, "100"}, // 99.995 rounds up to 100
	}
	for _, tc := range tests {
		if got := Ratio(tc.part, tc.whole).String(); got != tc.want {
			t.Errorf("Ratio(%d, %d) = %s, want %s", tc.part, tc.whole, got, tc.want)
		}
	}
}

// Complementary percentages sum to 100.00, or to 100.01 when both exact
// values end in 5 at the third decimal (both round up); never below 100.
func TestComplementaryPercentagesSum(t *testing.T) {
	for whole := 1; whole <= 400; whole++ {
		for part := 0; part <= whole; part++ {
			sum := Ratio(part, whole) + Ratio(whole-part, whole)
			exactHalf := (10000*part*2)%whole == 0 && (10000*part*2/whole)%2 == 1
			want := Percent(10000)
			if exactHalf {
				want = 10001
			}
			if sum != want {
				t.Fatalf("Ratio(%d,%d) + Ratio(%d,%d) = %s, want %s", part, whole, whole-part, whole, sum, want)
			}
		}
	}
}

func sampleFigures() Figures {
	return Figures{
		Thang: 10, Nam: 2026, LoaiThongKe: "1", Madonvi: "000.00.12.H29", TenDonVi: "UBND phường Sài Gòn", GhiChu: "",
		SoNhanTrongKy: 15, SoTonKyTruoc: 5, TongSoXuLy: 20, TongDaXuLy: 13, TongXuLyDungHan: 10, PhanTramXuLyDungHan: Ratio(10, 13),
		TongXuLyTreHan: 3, PhanTramXuLyTreHan: Ratio(3, 13), TongChuaXuLy: 7, TongChuaXuLyTrongHan: 3, PhanTramChuaXuLyTrongHan: Ratio(3, 7),
		TongChuaXuLyTreHan: 4, PhanTramChuaXuLyTreHan: Ratio(4, 7),
	}
}

func TestDVCQGItem(t *testing.T) {
	got, err := sampleFigures().DVCQGItem()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Thang":"10","Nam":"2026","SoNhanTrongKy":"15","SoTonKyTruoc":"5","TongSoXuLy":"20","TongDaXuLy":"13",` +
		`"TongXuLyDungHan":"10","PhanTramXuLyDungHan":"76.92","TongXuLyTreHan":"3","PhanTramXuLyTreHan":"23.08",` +
		`"TongChuaXuLy":"7","TongChuaXuLyTrongHan":"3","PhanTramChuaXuLyTrongHan":"42.86","TongChuaXuLyTreHan":"4",` +
		`"PhanTramChuaXuLyTreHan":"57.14","GhiChu":"","Madonvi":"000.00.12.H29","TenDonVi":"UBND phường Sài Gòn","LoaiThongKe":"1"}`
	if string(got) != want {
		t.Errorf("DVCQGItem:\n got %s\nwant %s", got, want)
	}
	var m map[string]any
	if err := json.Unmarshal(got, &m); err != nil {
		t.Fatal(err)
	}
	if len(m) != 19 {
		t.Errorf("%d keys, want 13 figures + Thang Nam LoaiThongKe Madonvi TenDonVi GhiChu = 19", len(m))
	}
	for k, v := range m {
		if _, ok := v.(string); !ok {
			t.Errorf("%s is %T; every value must be a string", k, v)
		}
	}
}

func TestDVCQGItemRefusesWhatCannotBeSent(t *testing.T) {
	tests := []struct {
		name, want string
		edit       func(*Figures)
	}{
		{"quarter", "only monthly statistics", func(f *Figures) { f.LoaiThongKe, f.Thang = "", 0 }},
		{"no unit", "unit.code", func(f *Figures) { f.Madonvi = "" }},
		{"sums", "TongSoXuLy = SoNhanTrongKy + SoTonKyTruoc", func(f *Figures) { f.SoTonKyTruoc++ }},
		{"split", "TongDaXuLy = TongXuLyDungHan + TongXuLyTreHan", func(f *Figures) { f.TongXuLyTreHan++ }},
		{"percent", "PhanTramChuaXuLyTreHan", func(f *Figures) { f.PhanTramChuaXuLyTreHan = 5714 + 1 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := sampleFigures()
			tc.edit(&f)
			_, err := f.DVCQGItem()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("DVCQGItem error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestWriteTable(t *testing.T) {
	r := Result{
		Period: october2026, Figures: sampleFigures(), Zone: "Asia/Ho_Chi_Minh", Compare: CompareDay, Basis: BasisWorkingDays,
		Read: 29, Outside: 3, Excluded: map[Reason]int{ReasonNotReceived: 2, MappingRejected("NgayTiepNhan"): 4, "source: id": 1},
		NoDueDate: 2, DeadlineMoved: 1,
	}
	var b bytes.Buffer
	if err := WriteTable(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"kỳ / period 2026-10", "000.00.12.H29 UBND phường Sài Gòn", "2026-10-01 00:00", "2026-11-01 00:00",
		"so theo ngày / by calendar day", "next working day",
		"Đã đọc / read: 29; ngoài kỳ / outside the period: 3; không tính / not counted: 7",
		"the mapping rejected NgayTiepNhan", "source: id", "never received (status 1, 3)", "no NgayHenTra, never late: 2",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// Every figure is on its own line with its wire name and wire value.
	values := sampleFigures().values()
	for i, l := range figureLabels {
		line := lineWith(out, l.field+" ")
		if line == "" || !strings.HasSuffix(strings.TrimSpace(line), " "+values[i]) {
			t.Errorf("figure %s: line %q, want it to end with %s", l.field, line, values[i])
		}
	}
}

func lineWith(text, prefix string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

func TestPeriods(t *testing.T) {
	tests := []struct {
		in         string
		kind       PeriodKind
		start, end string
	}{
		{"2026-10", Monthly, "2026-10-01", "2026-11-01"},
		{" 2026-12 ", Monthly, "2026-12-01", "2027-01-01"},
		{"2026-Q4", Quarterly, "2026-10-01", "2027-01-01"},
		{"2026-q1", Quarterly, "2026-01-01", "2026-04-01"},
		{"2026", Yearly, "2026-01-01", "2027-01-01"},
	}
	for _, tc := range tests {
		p, err := ParsePeriod(tc.in, hcm)
		if err != nil {
			t.Errorf("ParsePeriod(%q): %v", tc.in, err)
			continue
		}
		if p.Kind != tc.kind || p.Start.Format("2006-01-02") != tc.start || p.End.Format("2006-01-02") != tc.end || p.Start.Location() != hcm {
			t.Errorf("ParsePeriod(%q) = %s %s…%s in %s, want %s %s…%s", tc.in, p.Kind, p.Start, p.End, p.Start.Location(), tc.kind, tc.start, tc.end)
		}
	}
	for _, bad := range []string{"", "26-10", "2026-13", "2026-00", "2026-1", "2026-Q5", "2026-Q0", "1999-10", "2026/10", "2026-10-01", "２０２６-10"} {
		if p, err := ParsePeriod(bad, hcm); err == nil {
			t.Errorf("ParsePeriod(%q) = %s, want an error", bad, p)
		} else if !strings.Contains(err.Error(), "2026-10") {
			t.Errorf("ParsePeriod(%q) error %q does not show the expected form", bad, err)
		}
	}
}

// The job on 1 November reports October in Ho Chi Minh City even while it
// is still 31 October in UTC; on 1 January it reports December of the
// year before.
func TestPreviousMonth(t *testing.T) {
	tests := []struct {
		now  time.Time
		want string
	}{
		{time.Date(2026, 10, 31, 19, 0, 0, 0, time.UTC), "2026-10"},  // 2026-11-01 02:00 in HCM
		{time.Date(2026, 10, 31, 16, 59, 0, 0, time.UTC), "2026-09"}, // 2026-10-31 23:59 in HCM
		{time.Date(2027, 1, 1, 2, 0, 0, 0, hcm), "2026-12"},
	}
	for _, tc := range tests {
		if got := PreviousMonth(tc.now, hcm).String(); got != tc.want {
			t.Errorf("PreviousMonth(%s) = %s, want %s", tc.now, got, tc.want)
		}
	}
}
