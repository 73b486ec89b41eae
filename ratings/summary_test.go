package ratings

import (
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
	"github.com/hcmc-lgsp/lgsp-connector/stats"
)

func TestShares(t *testing.T) {
	for _, tc := range []struct {
		very, sat, notYet int
		want              [3]int
	}{
		// 7 answers 3/2/2: 42.86 → 43, 28.57 → 29, 100 − 72 = 28.
		{3, 2, 2, [3]int{43, 29, 28}},
		// 3 answers 1/1/1: 33.33 → 33 twice, the rest 34.
		{1, 1, 1, [3]int{33, 33, 34}},
		// 3 answers 2/1/0: 66.67 → 67, 33.33 → 33, 0.
		{2, 1, 0, [3]int{67, 33, 0}},
		// 8 answers 1/7/0: 12.5 → 13 and 87.5 → 88 would make 101; the second goes down: 13, 87, 0.
		{1, 7, 0, [3]int{13, 87, 0}},
		// 2 answers 1/1/0: exactly 50 and 50.
		{1, 1, 0, [3]int{50, 50, 0}},
		// 8 answers 1/1/6: 12.5 → 13 twice, the rest 74.
		{1, 1, 6, [3]int{13, 13, 74}},
		{0, 0, 5, [3]int{0, 0, 100}},
		{4, 0, 0, [3]int{100, 0, 0}},
		// Nobody answered: all 0, not 0/0/100.
		{0, 0, 0, [3]int{0, 0, 0}},
	} {
		a, b, c := Shares(tc.very, tc.sat, tc.notYet)
		if [3]int{a, b, c} != tc.want {
			t.Errorf("Shares(%d, %d, %d) = %d, %d, %d; want %v", tc.very, tc.sat, tc.notYet, a, b, c, tc.want)
		}
	}
}

// For every split of up to 120 answers the shares sum to 100, the first
// two are within half a point of their exact values and the third within
// one point (1/1/6 of 8: 12.5 and 12.5 round up to 13, leaving 74 for an
// exact 75).
func TestSharesAlwaysSumTo100(t *testing.T) {
	for n := 1; n <= 120; n++ {
		for v := 0; v <= n; v++ {
			for s := 0; v+s <= n; s++ {
				checkShares(t, v, s, n-v-s)
			}
		}
	}
}

func checkShares(t *testing.T, v, s, c int) {
	t.Helper()
	n := v + s + c
	got := [3]int{}
	got[0], got[1], got[2] = Shares(v, s, c)
	if got[0]+got[1]+got[2] != 100 {
		t.Fatalf("Shares(%d, %d, %d) = %v: sum %d", v, s, c, got, got[0]+got[1]+got[2])
	}
	for k, part := range [3]int{v, s, c} {
		// The first two are rounded: |got − 100·part/n| ≤ ½, i.e.
		// |2·(got·n − 100·part)| ≤ n. The third takes both roundings:
		// |got·n − 100·part| ≤ n.
		d, limit := got[k]*n-100*part, n
		if k < 2 {
			d *= 2
		}
		if d < -limit || d > limit || got[k] < 0 {
			t.Fatalf("Shares(%d, %d, %d) = %v: share %d is too far from exact", v, s, c, got, k)
		}
	}
}

var questions = map[string]string{
	"":     "Mức độ hài lòng chung",
	"TC02": "Cán bộ hướng dẫn đầy đủ, dễ hiểu",
}

// October 2026, unit A: seven overall answers 1, 1, 1, 2, 2, 3, 5 →
// 3 very satisfied, 2 satisfied, 2 not yet (3 and 5) → 43 %, 29 %, 28 %.
// Nobody answered TC02 → 0 answers, all "0%".
func summaryFixture() []packets.Rating {
	return []packets.Rating{
		rating("K1", unitA, "", "1", "", "2026-10-01 00:00"),
		rating("K2", unitA, "", "1", "", "2026-10-03 09:00"),
		rating("K3", "", "", "1", "", "2026-10-04 09:00"), // no unit: the unit's kiosk
		rating("K4", unitA, "", "2", "", "2026-10-05 09:00"),
		rating("K5", unitA, "", "2", "", "2026-10-06 09:00"),
		rating("K6", unitA, "", "3", "", "2026-10-07 09:00"),
		rating("K7", unitA, "", "5", "", "2026-10-31 23:59"),
		rating("K7", unitA, "", "1", "", "2026-11-01 08:00"),      // re-sent in November: duplicate
		rating("K8", unitA, "", "1", "", "2026-11-01 00:00"),      // November
		rating("K9", unitB, "", "1", "", "2026-10-08 09:00"),      // another unit
		rating("K10", unitA, "TC06", "", "2", "2026-10-08 09:00"), // points, not a level
		rating("K11", unitA, "", "9", "", "2026-10-08 09:00"),     // bad level
	}
}

func TestSummaryOctober(t *testing.T) {
	r := rules(t, stats.Options{}, nil)
	res, err := r.Summary(october2026, unitA, "UBND phường Sài Gòn", questions, summaryFixture())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 2 || res.Questions[0] != "" || res.Questions[1] != "TC02" {
		t.Fatalf("items for %q", res.Questions)
	}
	overall := res.Items[0]
	want := SummaryItem{
		NgayTongHop: "10-2026", TongSoNguoiDanhGia: 7,
		PhanTramDanhGiaRatHaiLong: "43%", PhanTramDanhGiaHaiLong: "29%", PhanTramDanhGiaChuaHaiLong: "28%",
		PhanTramDanhGiaDichVuRatHaiLong: "43%", PhanTramDanhGiaDichVuHaiLong: "29%", PhanTramDanhGiaDichVuChuaHaiLong: "28%",
		NoiDung: "Mức độ hài lòng chung", Madonvi: unitA, TenDonVi: "UBND phường Sài Gòn",
	}
	if overall != want {
		t.Errorf("overall item\n got %+v\nwant %+v", overall, want)
	}
	if q := res.Items[1]; q.TongSoNguoiDanhGia != 0 || q.PhanTramDanhGiaRatHaiLong != "0%" || q.PhanTramDanhGiaHaiLong != "0%" ||
		q.PhanTramDanhGiaChuaHaiLong != "0%" || q.PhanTramDanhGiaDichVuChuaHaiLong != "0%" || q.NoiDung != questions["TC02"] {
		t.Errorf("unanswered question: %+v", q)
	}
	checkTally(t, "summary answers", res.Answers, Tally{Read: 12, Used: 7, Outside: 1, NotUsed: map[Reason]int{
		ReasonDuplicate: 1, ReasonOtherUnit: 1, ReasonScoreAnswer: 1, ReasonBadLevel: 1,
	}})

	data, err := res.Data()
	if err != nil {
		t.Fatal(err)
	}
	wantJSON := `[{"NgayTongHop":"10-2026","TongSoNguoiDanhGia":7,` +
		`"PhanTramDanhGiaRatHaiLong":"43%","PhanTramDanhGiaHaiLong":"29%","PhanTramDanhGiaChuaHaiLong":"28%",` +
		`"PhanTramDanhGiaDichVuRatHaiLong":"43%","PhanTramDanhGiaDichVuHaiLong":"29%","PhanTramDanhGiaDichVuChuaHaiLong":"28%",` +
		`"DanhSachNoiDungYKien":"","MaThuTuc":"","NoiDung":"Mức độ hài lòng chung","Madonvi":"000.00.12.H29","TenDonVi":"UBND phường Sài Gòn"},` +
		`{"NgayTongHop":"10-2026","TongSoNguoiDanhGia":0,` +
		`"PhanTramDanhGiaRatHaiLong":"0%","PhanTramDanhGiaHaiLong":"0%","PhanTramDanhGiaChuaHaiLong":"0%",` +
		`"PhanTramDanhGiaDichVuRatHaiLong":"0%","PhanTramDanhGiaDichVuHaiLong":"0%","PhanTramDanhGiaDichVuChuaHaiLong":"0%",` +
		`"DanhSachNoiDungYKien":"","MaThuTuc":"","NoiDung":"Cán bộ hướng dẫn đầy đủ, dễ hiểu","Madonvi":"000.00.12.H29","TenDonVi":"UBND phường Sài Gòn"}]`
	if string(data) != wantJSON {
		t.Errorf("data\n got %s\nwant %s", data, wantJSON)
	}
}

func TestSummaryWithoutPercentSign(t *testing.T) {
	r := rules(t, stats.Options{}, func(c *Config) { c.Summary.PercentSign = false })
	// March: single-digit month, no leading zero.
	march := stats.MonthPeriod(2027, time.March, hcm)
	answers := []packets.Rating{
		rating("M1", unitA, "", "1", "", "2027-03-02 09:00"),
		rating("M2", unitA, "", "2", "", "2027-03-03 09:00"),
		rating("M3", unitA, "", "4", "", "2027-03-04 09:00"),
	}
	res, err := r.Summary(march, unitA, "", map[string]string{"": "Chung"}, answers)
	if err != nil {
		t.Fatal(err)
	}
	// 1/1/1 of 3 → 33, 33, 34.
	it := res.Items[0]
	if it.NgayTongHop != "3-2027" || it.PhanTramDanhGiaRatHaiLong != "33" || it.PhanTramDanhGiaHaiLong != "33" || it.PhanTramDanhGiaChuaHaiLong != "34" {
		t.Errorf("item %+v", it)
	}
}

func TestSummaryRefuses(t *testing.T) {
	r := rules(t, stats.Options{}, nil)
	_, err := r.Summary(october2026, unitA, "", map[string]string{"": "Chung"}, []packets.Rating{
		rating("X1", unitA, "TC05", "1", "", "2026-10-02 09:00"),
		rating("X2", unitA, "TC05", "2", "", "2026-10-02 09:00"),
		rating("X3", unitA, "TC03", "2", "", "2026-10-02 09:00"),
	})
	if err == nil || !strings.Contains(err.Error(), `answers to questions without a text: "TC03" (1), "TC05" (2)`) {
		t.Errorf("unknown questions: %v", err)
	}
	_, err = r.Summary(q4of2026, " ", "", nil, nil)
	for _, want := range []string{"2026-Q4 is not a month", "Madonvi is empty", "no questions"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("quarter, no unit, no questions: %v lacks %q", err, want)
		}
	}
}
