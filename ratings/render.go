package ratings

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

var groupLabels = map[GroupBy]string{
	ByUnit:      "đơn vị / unit (MaDonVi)",
	ByOfficer:   "cán bộ / officer (MaCanBo)",
	ByProcedure: "thủ tục / procedure (MaTTHC)",
}

// reasonLabels explain why inputs were not used.
var reasonLabels = map[Reason]string{
	ReasonDuplicate:        "trùng MaPhieu và MaTieuChi (giữ lần sớm nhất) / duplicate MaPhieu and MaTieuChi (earliest kept)",
	ReasonNoTime:           "không có ThoiDiemDanhGia / no ThoiDiemDanhGia",
	ReasonNoAnswer:         "không có MucDoHaiLong lẫn Diem / neither MucDoHaiLong nor Diem",
	ReasonTwoAnswers:       "có cả MucDoHaiLong và Diem / both MucDoHaiLong and Diem",
	ReasonBadLevel:         "MucDoHaiLong không phải 1–5 / MucDoHaiLong not 1–5",
	ReasonBadScore:         "Diem không phải 0–2 / Diem not 0–2",
	ReasonOtherQuestion:    "mức độ cho câu hỏi khác câu hỏi chung / level for a question other than the overall one",
	ReasonUnknownCriterion: "điểm cho tiêu chí chưa gắn chỉ số (ratings.criteria) / points for a criterion tied to no indicator",
	ReasonScoreAnswer:      "điểm chỉ số, không phải mức độ hài lòng / indicator points, not a level",
	ReasonOtherUnit:        "thuộc đơn vị khác / another unit's answer",
	ReasonDuplicateDossier: "trùng MaHoSo (tính lần đầu) / duplicate MaHoSo (first one counted)",
	ReasonNotResolved:      "chưa giải quyết xong / not resolved",
	ReasonNoEndDate:        "đã giải quyết nhưng không có ngày kết thúc / resolved without NgayKetThucXuLy or NgayTra",
	ReasonNoOfficer:        "hồ sơ không gắn với một cán bộ / a dossier has no single officer",
}

func reasonLabel(r Reason) string {
	if l, ok := reasonLabels[r]; ok {
		return l
	}
	return string(r)
}

func keyLabel(k string) string {
	if k == "" {
		return "-"
	}
	return k
}

func indicatorList(list []Indicator) string {
	if len(list) == 0 {
		return "-"
	}
	s := make([]string, len(list))
	for i, ind := range list {
		s[i] = ind.String()
	}
	return strings.Join(s, ", ")
}

// WriteTable prints the report for people: the period and grouping, one
// aligned line per row (levels with their shares, the nine means, total,
// rank), what was not used and why, and the indicators' names.
func WriteTable(w io.Writer, rep Report) error {
	const layout = "2006-01-02 15:04"
	b := &errWriter{w: w}
	b.printf("Đánh giá giải quyết TTHC / Satisfaction and evaluation, kỳ / period %s, theo / by %s\n", rep.Period, groupLabels[rep.By])
	b.printf("Từ / From %s đến trước / to before %s\n", rep.Period.Start.Format(layout), rep.Period.End.Format(layout))
	b.printf("Chỉ số lấy từ phiếu / indicators from the answers: %s; còn lại tính từ hồ sơ / the rest from the records\n\n", indicatorList(rep.Survey))

	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"Mã / Key", "Phiếu", "Hồ sơ"}
	for _, l := range Levels() {
		head = append(head, "MĐ"+l.String())
	}
	for _, i := range Indicators() {
		head = append(head, i.String())
	}
	// The rank is the text after the last tab: left as it is, not
	// right-aligned like the numbers.
	head = append(head, "Tổng", "  Xếp loại / Rank")
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, row := range rep.Rows {
		cells := []string{keyLabel(row.Key), strconv.Itoa(row.Forms), strconv.Itoa(row.Dossiers)}
		for _, l := range Levels() {
			cells = append(cells, fmt.Sprintf("%d (%s%%)", row.Levels[l-1], row.LevelPercent(l)))
		}
		for _, a := range row.Indicators {
			cells = append(cells, meanCell(a))
		}
		rank := row.Band
		if !row.Complete {
			rank = "chưa đủ / missing " + indicatorList(row.Missing())
		}
		cells = append(cells, row.Total.String(), "  "+rank)
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rep.Rows) == 0 {
		b.printf("(không có dữ liệu / no data)\n")
	}

	b.printf("\nMĐ1 … MĐ5: %s\n", levelLegend())
	tally := func(what string, t Tally) {
		b.printf("%s: đã đọc / read %d; dùng / used %d; ngoài kỳ / outside the period %d; không dùng / not used %d\n",
			what, t.Read, t.Used, t.Outside, t.NotUsedTotal())
		for _, r := range t.Reasons() {
			b.printf("  %6d  %s\n", t.NotUsed[r], reasonLabel(r))
		}
	}
	tally("Phiếu / Answers", rep.Answers)
	tally("Hồ sơ / Dossiers", rep.Dossiers)
	b.printf("\n")
	for _, i := range Indicators() {
		b.printf("%s  %s / %s\n", i, i.Name(), i.English())
	}
	return b.err
}

func levelLegend() string {
	parts := make([]string, 0, 5)
	for _, l := range Levels() {
		parts = append(parts, l.String()+" "+l.Name())
	}
	return strings.Join(parts, ", ")
}

func meanCell(a Average) string {
	if a.N == 0 {
		return "-"
	}
	return a.Mean.String()
}

// CSVHeader is the first line WriteCSV writes.
func CSVHeader() []string {
	h := []string{"group_by", "period", "key", "answers", "forms", "dossiers"}
	for _, l := range Levels() {
		h = append(h, "level_"+l.String())
	}
	for _, l := range Levels() {
		h = append(h, "level_"+l.String()+"_percent")
	}
	for _, i := range Indicators() {
		h = append(h, fmt.Sprintf("indicator_%d", i))
	}
	for _, i := range Indicators() {
		h = append(h, fmt.Sprintf("indicator_%d_n", i))
	}
	return append(h, "total", "complete", "band")
}

// WriteCSV writes one line per row under CSVHeader: counts as integers,
// percentages and means with two decimals, an empty cell for an indicator
// without values.
func WriteCSV(w io.Writer, rep Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader()); err != nil {
		return err
	}
	for _, row := range rep.Rows {
		rec := []string{string(rep.By), rep.Period.String(), row.Key,
			strconv.Itoa(row.Answers), strconv.Itoa(row.Forms), strconv.Itoa(row.Dossiers)}
		for _, c := range row.Levels {
			rec = append(rec, strconv.Itoa(c))
		}
		for _, l := range Levels() {
			rec = append(rec, row.LevelPercent(l).String())
		}
		for _, a := range row.Indicators {
			cell := ""
			if a.N > 0 {
				cell = a.Mean.String()
			}
			rec = append(rec, cell)
		}
		for _, a := range row.Indicators {
			rec = append(rec, strconv.Itoa(a.N))
		}
		rec = append(rec, row.Total.String(), strconv.FormatBool(row.Complete), row.Band)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

type jsonIndicator struct {
	Indicator int         `json:"indicator"`
	N         int         `json:"n"`
	Sum       int         `json:"sum"`
	Average   *Hundredths `json:"average"` // null without values
}

type jsonRow struct {
	Key           string          `json:"key"`
	Answers       int             `json:"answers"`
	Forms         int             `json:"forms"`
	Dossiers      int             `json:"dossiers"`
	Levels        [5]int          `json:"levels"`
	LevelPercents [5]Hundredths   `json:"level_percents"`
	Indicators    []jsonIndicator `json:"indicators"`
	Total         Hundredths      `json:"total"`
	Complete      bool            `json:"complete"`
	Band          string          `json:"band"`
}

type jsonTally struct {
	Read    int            `json:"read"`
	Used    int            `json:"used"`
	Outside int            `json:"outside"`
	NotUsed map[Reason]int `json:"not_used"`
}

type jsonReport struct {
	Period           string    `json:"period"`
	From             string    `json:"from"`
	To               string    `json:"to"`
	GroupBy          GroupBy   `json:"group_by"`
	SurveyIndicators []int     `json:"survey_indicators"`
	Rows             []jsonRow `json:"rows"`
	Answers          jsonTally `json:"answers"`
	Dossiers         jsonTally `json:"dossiers"`
}

func tallyJSON(t Tally) jsonTally {
	m := t.NotUsed
	if m == nil {
		m = map[Reason]int{}
	}
	return jsonTally{Read: t.Read, Used: t.Used, Outside: t.Outside, NotUsed: m}
}

// WriteJSON writes the report as one indented JSON object: rows with
// levels, level percentages, indicators (average null without values),
// total, completeness and rank, then the accounting of answers and
// dossiers. Keys are in a fixed order; maps are sorted by encoding/json.
func WriteJSON(w io.Writer, rep Report) error {
	out := jsonReport{
		Period: rep.Period.String(), GroupBy: rep.By,
		From: rep.Period.Start.Format("2006-01-02T15:04:05Z07:00"), To: rep.Period.End.Format("2006-01-02T15:04:05Z07:00"),
		SurveyIndicators: []int{}, Rows: []jsonRow{},
		Answers: tallyJSON(rep.Answers), Dossiers: tallyJSON(rep.Dossiers),
	}
	for _, i := range rep.Survey {
		out.SurveyIndicators = append(out.SurveyIndicators, int(i))
	}
	for _, row := range rep.Rows {
		jr := jsonRow{Key: row.Key, Answers: row.Answers, Forms: row.Forms, Dossiers: row.Dossiers,
			Levels: row.Levels, Total: row.Total, Complete: row.Complete, Band: row.Band}
		for _, l := range Levels() {
			jr.LevelPercents[l-1] = row.LevelPercent(l)
		}
		for k, a := range row.Indicators {
			ji := jsonIndicator{Indicator: k + 1, N: a.N, Sum: a.Sum}
			if a.N > 0 {
				m := a.Mean
				ji.Average = &m
			}
			jr.Indicators = append(jr.Indicators, ji)
		}
		out.Rows = append(out.Rows, jr)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// errWriter keeps the first write error so the printing code stays flat.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }
