package ratings

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hcmc-lgsp/lgsp-connector/stats"
)

func fixtureReport(t *testing.T) Report {
	t.Helper()
	r := rules(t, stats.Options{}, withCriteria)
	answers, dossiers := reportFixture()
	rep, err := r.Report(q4of2026, ByUnit, answers, dossiers)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTable(&b, fixtureReport(t)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"kỳ / period 2026-Q4, theo / by đơn vị / unit (MaDonVi)\n",
		"Từ / From 2026-10-01 00:00 đến trước / to before 2027-01-01 00:00\n",
		"indicators from the answers: CS6, CS7, CS8;",
		// Unit A: forms 3, dossiers 3, levels, nine means, total, rank.
		"000.00.12.H29      3      3  1 (33.33%)  1 (33.33%)    0 (0.00%)  1 (33.33%)    0 (0.00%)  1.00  1.50  1.67  1.67  2.00  1.67  1.67  1.67  1.33  14.18  Tốt\n",
		"12.00  chưa đủ / missing CS7, CS8\n",
		"Phiếu / Answers: đã đọc / read 24; dùng / used 15; ngoài kỳ / outside the period 2; không dùng / not used 7\n",
		"       1  trùng MaPhieu và MaTieuChi (giữ lần sớm nhất) / duplicate MaPhieu and MaTieuChi (earliest kept)\n",
		"Hồ sơ / Dossiers: đã đọc / read 8; dùng / used 4; ngoài kỳ / outside the period 1; không dùng / not used 3\n",
		"CS9  Tiến độ, chất lượng dịch vụ công trực tuyến / progress and quality of the online public service\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	if err := WriteTable(&b, Report{Period: october2026, By: ByOfficer}); err != nil || !strings.Contains(b.String(), "(không có dữ liệu / no data)") {
		t.Errorf("empty report: %v\n%s", err, b.String())
	}
}

func TestWriteCSV(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCSV(&b, fixtureReport(t)); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || strings.Join(recs[0], ",") != strings.Join(CSVHeader(), ",") {
		t.Fatalf("%d lines, header %v", len(recs), recs[0])
	}
	want := "unit,2026-Q4,000.00.13.H29,2,1,1,0,0,0,0,1,0.00,0.00,0.00,0.00,100.00," +
		"2.00,2.00,2.00,2.00,2.00,0.00,,,2.00,1,1,1,1,1,1,0,0,1,12.00,false,"
	if got := strings.Join(recs[3], ","); got != want {
		t.Errorf("unit B\n got %s\nwant %s", got, want)
	}
	if got := recs[2][len(recs[2])-3:]; strings.Join(got, ",") != "14.18,true,Tốt" {
		t.Errorf("unit A ends %v", got)
	}
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, fixtureReport(t)); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Period           string `json:"period"`
		GroupBy          string `json:"group_by"`
		SurveyIndicators []int  `json:"survey_indicators"`
		Rows             []struct {
			Key           string     `json:"key"`
			Levels        [5]int     `json:"levels"`
			LevelPercents [5]float64 `json:"level_percents"`
			Indicators    []struct {
				Indicator int      `json:"indicator"`
				N         int      `json:"n"`
				Average   *float64 `json:"average"`
			} `json:"indicators"`
			Total    float64 `json:"total"`
			Complete bool    `json:"complete"`
			Band     string  `json:"band"`
		} `json:"rows"`
		Answers struct {
			Read    int            `json:"read"`
			NotUsed map[string]int `json:"not_used"`
		} `json:"answers"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if got.Period != "2026-Q4" || got.GroupBy != "unit" || len(got.SurveyIndicators) != 3 || len(got.Rows) != 3 || got.Answers.Read != 24 ||
		got.Answers.NotUsed["duplicate"] != 1 {
		t.Fatalf("report %+v", got)
	}
	a := got.Rows[1]
	if a.Key != "000.00.12.H29" || a.Total != 14.18 || a.Band != "Tốt" || !a.Complete || a.LevelPercents[0] != 33.33 ||
		a.Indicators[2].Indicator != 3 || a.Indicators[2].Average == nil || *a.Indicators[2].Average != 1.67 {
		t.Errorf("unit A %+v", a)
	}
	if bRow := got.Rows[2]; bRow.Indicators[6].Average != nil || bRow.Indicators[6].N != 0 {
		t.Errorf("unit B CS7 should be null: %+v", bRow.Indicators[6])
	}
	if !strings.Contains(b.String(), `"total": 14.18,`) || !strings.Contains(b.String(), `"average": 2.00`) {
		t.Errorf("numbers are not written with two decimals:\n%s", b.String())
	}
}

func TestHundredths(t *testing.T) {
	for _, tc := range []struct {
		sum, n int
		want   string
	}{
		{5, 3, "1.67"}, // 1.666… rounds up
		{4, 3, "1.33"}, // 1.333… rounds down
		{1, 8, "0.13"}, // exactly 0.125: half up
		{3, 2, "1.50"},
		{6, 3, "2.00"},
		{0, 5, "0.00"},
		{1, 0, "0.00"}, // no values: 0, never NaN
	} {
		if got := mean(tc.sum, tc.n).String(); got != tc.want {
			t.Errorf("mean(%d, %d) = %s, want %s", tc.sum, tc.n, got, tc.want)
		}
	}
	if Hundredths(-5).String() != "-0.05" {
		t.Errorf("Hundredths(-5) = %s", Hundredths(-5))
	}
}
