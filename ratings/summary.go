package ratings

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
	"github.com/hcmc-lgsp/lgsp-connector/stats"
)

// SummaryService is the national portal's service for the monthly
// satisfaction summary (SPEC-dvcqg.md §9.2).
const SummaryService = "DongBoDanhGia"

// SummaryItem is one DongBoDanhGia item: one question of one unit for
// one month, under the wire names and in the wire order.
type SummaryItem struct {
	// NgayTongHop is the month, "M-yyyy" ("10-2026", "3-2026").
	NgayTongHop string `json:"NgayTongHop"`
	// TongSoNguoiDanhGia is the number of answers to the question; the
	// only number sent as a JSON number.
	TongSoNguoiDanhGia int `json:"TongSoNguoiDanhGia"`
	// The three shares, whole percents summing to 100 (0 each without
	// answers): level 1; level 2; levels 3, 4 and 5.
	PhanTramDanhGiaRatHaiLong  string `json:"PhanTramDanhGiaRatHaiLong"`
	PhanTramDanhGiaHaiLong     string `json:"PhanTramDanhGiaHaiLong"`
	PhanTramDanhGiaChuaHaiLong string `json:"PhanTramDanhGiaChuaHaiLong"`
	// The same three shares again, "for the service": the survey has one
	// set of answers, so both sets are equal.
	PhanTramDanhGiaDichVuRatHaiLong  string `json:"PhanTramDanhGiaDichVuRatHaiLong"`
	PhanTramDanhGiaDichVuHaiLong     string `json:"PhanTramDanhGiaDichVuHaiLong"`
	PhanTramDanhGiaDichVuChuaHaiLong string `json:"PhanTramDanhGiaDichVuChuaHaiLong"`
	// DanhSachNoiDungYKien is always "": the citizens' reasons are free
	// text, personal data that does not leave the unit.
	DanhSachNoiDungYKien string `json:"DanhSachNoiDungYKien"`
	// MaThuTuc is always "": the summary is per question, not per procedure.
	MaThuTuc string `json:"MaThuTuc"`
	// NoiDung is the question's text.
	NoiDung  string `json:"NoiDung"`
	Madonvi  string `json:"Madonvi"`
	TenDonVi string `json:"TenDonVi"`
}

// SummaryResult is the month's items and what was read but not counted.
type SummaryResult struct {
	Period stats.Period
	// Items has one item per question, sorted by question code.
	Items []SummaryItem
	// Questions holds the code of each item, in the same order.
	Questions []string
	// Answers accounts for every answer read.
	Answers Tally
}

// Data is the items as the service's data array.
func (s SummaryResult) Data() ([]byte, error) {
	if s.Items == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(s.Items)
}

// Shares splits n = very + satisfied + notYet answers into three whole
// percents summing to 100: the first two rounded half up, the third what
// is left. Rounding both halves up can reach 101 only when nobody is in
// the third group and both shares end in exactly .5 (1 and 7 of 8: 12.5
// and 87.5); the second is then rounded down instead (13, 87, 0). No
// answers give 0, 0, 0.
func Shares(very, satisfied, notYet int) (int, int, int) {
	n := very + satisfied + notYet
	if n <= 0 || very < 0 || satisfied < 0 || notYet < 0 {
		return 0, 0, 0
	}
	half := func(k int) int { return (200*k + n) / (2 * n) } // round(100·k/n), half up
	a, b := half(very), half(satisfied)
	if a+b > 100 {
		b--
	}
	return a, b, 100 - a - b
}

// Summary builds the month's DongBoDanhGia items for one unit: one per
// question of questions (MaTieuChi → text; "" is the overall question),
// counting the levels of the answers dated in the month. Answers naming
// another unit (a non-empty MaDonVi other than unitCode), answers with
// points instead of a level, and faulty answers are not counted and are
// reported. A level given to a question missing from questions is an
// error: the list (the rating-criteria catalog) is out of date, and the
// portal must not receive a summary that silently drops answers.
func (r *Rules) Summary(p stats.Period, unitCode, unitName string, questions map[string]string, answers []packets.Rating) (SummaryResult, error) {
	var errs []error
	if p.Kind != stats.Monthly {
		errs = append(errs, fmt.Errorf("period %s is not a month; the summary is monthly", p))
	}
	if strings.TrimSpace(unitCode) == "" {
		errs = append(errs, errors.New("Madonvi is empty: set the unit code (unit.code)"))
	}
	texts := map[string]string{}
	for code, text := range questions {
		texts[strings.TrimSpace(code)] = text
	}
	if len(texts) == 0 {
		errs = append(errs, errors.New("no questions: give the text of each question (MaTieuChi) to report"))
	}
	if len(errs) > 0 {
		return SummaryResult{}, fmt.Errorf("%s %s: %w", SummaryService, p, errors.Join(errs...))
	}

	res := SummaryResult{Period: p}
	t := &res.Answers
	counts := map[string]*[3]int{}
	unknownQ := map[string]int{}
	keep := firstCopies(answers)
	for i := range answers {
		a := &answers[i]
		t.Read++
		if !keep[i] {
			t.skip(ReasonDuplicate)
			continue
		}
		if a.ThoiDiemDanhGia.IsZero() {
			t.skip(ReasonNoTime)
			continue
		}
		if !p.Contains(a.ThoiDiemDanhGia.Time) {
			t.Outside++
			continue
		}
		if u := strings.TrimSpace(a.MaDonVi); u != "" && u != unitCode {
			t.skip(ReasonOtherUnit)
			continue
		}
		ans, why := readAnswer(a)
		if why == "" && !ans.isLevel {
			why = ReasonScoreAnswer
		}
		if why != "" {
			t.skip(why)
			continue
		}
		if _, ok := texts[ans.question]; !ok {
			unknownQ[ans.question]++
			continue
		}
		c := counts[ans.question]
		if c == nil {
			c = &[3]int{}
			counts[ans.question] = c
		}
		switch ans.level {
		case VerySatisfied:
			c[0]++
		case Satisfied:
			c[1]++
		default: // bình thường, không hài lòng, rất không hài lòng
			c[2]++
		}
		t.Used++
	}
	if len(unknownQ) > 0 {
		codes := make([]string, 0, len(unknownQ))
		for q := range unknownQ {
			codes = append(codes, q)
		}
		slices.Sort(codes)
		list := make([]string, len(codes))
		for i, q := range codes {
			list[i] = fmt.Sprintf("%q (%d)", q, unknownQ[q])
		}
		return SummaryResult{}, fmt.Errorf("%s %s: answers to questions without a text: %s; add them to the questions (the rating-criteria catalog)",
			SummaryService, p, strings.Join(list, ", "))
	}

	codes := make([]string, 0, len(texts))
	for q := range texts {
		codes = append(codes, q)
	}
	slices.Sort(codes)
	month := fmt.Sprintf("%d-%04d", p.Index, p.Year)
	for _, q := range codes {
		var c [3]int
		if counts[q] != nil {
			c = *counts[q]
		}
		a, b, d := Shares(c[0], c[1], c[2])
		pa, pb, pd := r.percent(a), r.percent(b), r.percent(d)
		res.Items = append(res.Items, SummaryItem{
			NgayTongHop: month, TongSoNguoiDanhGia: c[0] + c[1] + c[2],
			PhanTramDanhGiaRatHaiLong: pa, PhanTramDanhGiaHaiLong: pb, PhanTramDanhGiaChuaHaiLong: pd,
			PhanTramDanhGiaDichVuRatHaiLong: pa, PhanTramDanhGiaDichVuHaiLong: pb, PhanTramDanhGiaDichVuChuaHaiLong: pd,
			NoiDung: texts[q], Madonvi: unitCode, TenDonVi: unitName,
		})
		res.Questions = append(res.Questions, q)
	}
	return res, nil
}

// percent writes a whole percent, with "%" when summary.percent_sign.
func (r *Rules) percent(v int) string {
	s := strconv.Itoa(v)
	if r.percentSign {
		s += "%"
	}
	return s
}
