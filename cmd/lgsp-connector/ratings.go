package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hcmc-lgsp/lgsp-connector/internal/app"
	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/internal/scheduler"
	"github.com/hcmc-lgsp/lgsp-connector/mapping"
	"github.com/hcmc-lgsp/lgsp-connector/ratings"
	"github.com/hcmc-lgsp/lgsp-connector/stats"
)

func newRatingsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ratings",
		Short: "Báo cáo đánh giá hài lòng, tổng hợp tháng DongBoDanhGia / Satisfaction reports and the monthly DongBoDanhGia summary",
		Long: `ratings đọc phiếu đánh giá, hồ sơ và bước xử lý từ CSDL, tính chín chỉ số của Thông tư
01/2018/TT-VPCP và mức độ hài lòng theo docs/ratings.md.

ratings reads the survey answers, dossiers and progress steps from the legacy
databases and computes the nine indicators of Circular 01/2018/TT-VPCP and the
satisfaction levels, as docs/ratings.md defines them.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newRatingsReportCmd(), newRatingsSummaryCmd())
	return cmd
}

// ratingsPeriod reads --month or --quarter; neither means the previous
// month, as the monthly job does.
func ratingsPeriod(month, quarter string, now time.Time) (stats.Period, error) {
	zone, err := time.LoadLocation(stats.DefaultZone)
	if err != nil {
		return stats.Period{}, err
	}
	switch {
	case month != "" && quarter != "":
		return stats.Period{}, errors.New("--month và --quarter: chọn một / choose one of --month and --quarter")
	case month != "":
		p, err := stats.ParsePeriod(month, zone)
		if err != nil {
			return p, fmt.Errorf("--month: %w", err)
		}
		if p.Kind != stats.Monthly {
			return p, fmt.Errorf("--month %q: cần một tháng YYYY-MM / want a month written YYYY-MM", month)
		}
		return p, nil
	case quarter != "":
		p, err := stats.ParsePeriod(quarter, zone)
		if err != nil {
			return p, fmt.Errorf("--quarter: %w", err)
		}
		if p.Kind != stats.Quarterly {
			return p, fmt.Errorf("--quarter %q: cần một quý YYYY-Qn / want a quarter written YYYY-Qn, e.g. 2026-Q4", quarter)
		}
		return p, nil
	}
	return stats.PreviousMonth(now, zone), nil
}

// ratingsMapping opens the catalog cache, when the configuration has one,
// for the mapping's catalog options (an officer code checked against the
// officials catalog). Nothing is fetched: the cache is read as it is.
func ratingsMapping(ctx context.Context, cfg *config.Config, log *slog.Logger) (mapping.Options, func(), error) {
	cats, err := app.OpenCatalogs(ctx, cfg, app.CatalogOptions{Logger: log})
	if err != nil {
		return mapping.Options{}, nil, err
	}
	return cats.MappingOptions(mapping.Options{}), func() { _ = cats.Close() }, nil
}

type ratingsReportFlags struct {
	cfgPath, month, quarter, by, format string
}

func newRatingsReportCmd() *cobra.Command {
	var f ratingsReportFlags
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Báo cáo đánh giá theo đơn vị, cán bộ hoặc thủ tục / Report by unit, officer or procedure",
		Long: `report tính báo cáo đánh giá của một tháng hoặc một quý: mức độ hài lòng, chín chỉ số (0–2
điểm), tổng điểm và xếp loại, theo đơn vị, cán bộ hoặc thủ tục. Không có --month/--quarter:
tháng trước.

report computes the satisfaction report of a month or a quarter: the levels,
the nine indicators (0–2 points), total and rank, by unit, officer or
procedure. Without --month or --quarter: the previous month.`,
		Example: `  lgsp-connector ratings report --config lgsp.yaml --month 2026-10
  lgsp-connector ratings report --config lgsp.yaml --quarter 2026-Q4 --by procedure --format csv > q4.csv
  lgsp-connector ratings report --config lgsp.yaml --month 2026-10 --by officer --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runRatingsReport(cmd, f, time.Now()) },
	}
	addConfigFlag(cmd, &f.cfgPath)
	fl := cmd.Flags()
	fl.StringVar(&f.month, "month", "", "tháng YYYY-MM / month YYYY-MM")
	fl.StringVar(&f.quarter, "quarter", "", "quý YYYY-Qn / quarter YYYY-Qn, e.g. 2026-Q4")
	fl.StringVar(&f.by, "by", string(ratings.ByUnit), "theo / by: unit | officer | procedure")
	fl.StringVar(&f.format, "format", "table", "table | csv | json")
	return cmd
}

func runRatingsReport(cmd *cobra.Command, f ratingsReportFlags, now time.Time) error {
	if f.format != "table" && f.format != "csv" && f.format != "json" {
		return fmt.Errorf("--format %q: dùng table, csv hoặc json / use table, csv or json", f.format)
	}
	by, err := ratings.ParseGroupBy(f.by)
	if err != nil {
		return fmt.Errorf("--by: %w", err)
	}
	period, err := ratingsPeriod(f.month, f.quarter, now)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(cmd, f.cfgPath)
	if err != nil {
		return err
	}
	log := newLogger(cmd.ErrOrStderr(), cfg)
	mo, closeCats, err := ratingsMapping(cmd.Context(), cfg, log)
	if err != nil {
		return err
	}
	defer closeCats()
	rep, err := app.ComputeRatings(cmd.Context(), cfg, period, by, app.RatingsOptions{
		Ratings: app.RatingsConfig(cfg), Statistics: app.StatisticsConfig(cfg), Mapping: mo, Logger: log,
	})
	if err != nil {
		return err
	}
	provisional := now.Before(period.End)
	out := cmd.OutOrStdout()
	switch f.format {
	case "csv":
		if err := ratings.WriteCSV(out, rep.Report); err != nil {
			return err
		}
		// The accounting goes beside the CSV, not into it.
		return writeRatingsNotes(cmd.ErrOrStderr(), rep, provisional)
	case "json":
		return writeRatingsJSON(out, rep, provisional)
	}
	if err := ratings.WriteTable(out, rep.Report); err != nil {
		return err
	}
	fmt.Fprintln(out)
	return writeRatingsNotes(out, rep, provisional)
}

// readLabel says in words the connector's reasons for leaving a record out
// before the ratings package saw it.
func readLabel(reason string) string {
	switch {
	case reason == app.ReasonDuplicateIdentity:
		return "bản gửi lại, trùng định danh / re-sent copy (same identity)"
	case reason == app.ReasonStepNotNeeded:
		return "bước của hồ sơ không được chấm trong kỳ / step of a dossier not scored in the period"
	case strings.HasPrefix(reason, "mapping: "):
		f := strings.TrimPrefix(reason, "mapping: ")
		return "ánh xạ từ chối trường " + f + " (sẽ bị cách ly) / the mapping refuses field " + f + " (quarantined when sent)"
	case strings.HasPrefix(reason, "source: "):
		f := strings.TrimPrefix(reason, "source: ")
		return "nguồn không đọc được " + f + " / the source cannot read " + f
	}
	return reason
}

func writeStreamRead(w io.Writer, what string, s app.StreamRead) {
	fmt.Fprintf(w, "Luồng / stream %s (%s): đọc / read %d; dùng / used %d; không dùng / not used %d\n", s.Stream, what, s.Read, s.Used, s.NotUsedTotal())
	for _, r := range s.Reasons() {
		fmt.Fprintf(w, "  %6d  %s\n", s.NotUsed[r], readLabel(r))
	}
}

// writeRatingsNotes prints what each stream handed over, why steps are
// missing, and whether the figures are final.
func writeRatingsNotes(w io.Writer, rep app.RatingsReport, provisional bool) error {
	writeStreamRead(w, "phiếu / answers", rep.Answers)
	writeStreamRead(w, "hồ sơ / dossiers", rep.Dossiers)
	if rep.StepsNote != "" {
		fmt.Fprintf(w, "CẢNH BÁO / WARNING: không có bước xử lý, chỉ số CS2, CS3, CS4 không tính được / no progress steps, indicators CS2, CS3, CS4 are not known: %s\n", rep.StepsNote)
	} else if rep.Steps.Stream != "" {
		writeStreamRead(w, "bước xử lý / steps", rep.Steps)
	}
	if provisional {
		fmt.Fprintln(w, "Kỳ chưa kết thúc: số liệu tạm tính / the period has not ended: figures are provisional")
	}
	_, err := fmt.Fprintf(w, "Thời gian tính / computed in %s\n", rep.Elapsed.Round(time.Millisecond))
	return err
}

// ratingsReportJSON is the report's --format json: the ratings package's
// report, and what the streams handed over.
type ratingsReportJSON struct {
	Report      json.RawMessage `json:"report"`
	Answers     app.StreamRead  `json:"answers"`
	Dossiers    app.StreamRead  `json:"dossiers"`
	Steps       app.StreamRead  `json:"steps"`
	StepsNote   string          `json:"steps_note,omitempty"`
	Provisional bool            `json:"provisional"`
	Seconds     float64         `json:"seconds"`
}

func writeRatingsJSON(w io.Writer, rep app.RatingsReport, provisional bool) error {
	var b bytes.Buffer
	if err := ratings.WriteJSON(&b, rep.Report); err != nil {
		return err
	}
	out := ratingsReportJSON{Report: b.Bytes(), Answers: rep.Answers, Dossiers: rep.Dossiers, Steps: rep.Steps,
		StepsNote: rep.StepsNote, Provisional: provisional, Seconds: rep.Elapsed.Seconds()}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

type ratingsSummaryFlags struct {
	cfgPath, month, format string
	send                   bool
}

func newRatingsSummaryCmd() *cobra.Command {
	var f ratingsSummaryFlags
	cmd := &cobra.Command{
		Use:   "summary",
		Short: "Tổng hợp tháng DongBoDanhGia (và gửi) / The monthly DongBoDanhGia summary (and send it)",
		Long: `summary tính bản tổng hợp đánh giá hài lòng của một tháng gửi Cổng DVCQG: mỗi câu hỏi một
mục, tỉ lệ rất hài lòng / hài lòng / chưa hài lòng. Với --send, gửi lên Cổng sau khi in.

summary computes a month's satisfaction summary for the national portal, one
item per question with the shares very satisfied / satisfied / not yet
satisfied, and prints it. With --send it then sends it (DongBoDanhGia).
Without --month: the previous month, as the monthly job does.`,
		Example: `  lgsp-connector ratings summary --config lgsp.yaml --month 2026-10
  lgsp-connector ratings summary --config lgsp.yaml --month 2026-10 --format json
  lgsp-connector ratings summary --config lgsp.yaml --month 2026-10 --send`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runRatingsSummary(cmd, f, time.Now()) },
	}
	addConfigFlag(cmd, &f.cfgPath)
	fl := cmd.Flags()
	fl.StringVar(&f.month, "month", "", "tháng YYYY-MM (mặc định: tháng trước) / month YYYY-MM (default: the previous month)")
	fl.StringVar(&f.format, "format", "table", "table | json")
	fl.BoolVar(&f.send, "send", false, "gửi lên Cổng DVCQG sau khi in / send to the national portal after printing")
	return cmd
}

func runRatingsSummary(cmd *cobra.Command, f ratingsSummaryFlags, now time.Time) error {
	if f.format != "table" && f.format != "json" {
		return fmt.Errorf("--format %q: dùng table hoặc json / use table or json", f.format)
	}
	period, err := ratingsPeriod(f.month, "", now)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(cmd, f.cfgPath)
	if err != nil {
		return err
	}
	log := newLogger(cmd.ErrOrStderr(), cfg)
	mo, closeCats, err := ratingsMapping(cmd.Context(), cfg, log)
	if err != nil {
		return err
	}
	defer closeCats()
	sum, err := app.ComputeRatingsSummary(cmd.Context(), cfg, period, app.RatingsOptions{
		Ratings: app.RatingsConfig(cfg), Statistics: app.StatisticsConfig(cfg), Mapping: mo, Logger: log,
	})
	if err != nil {
		return err
	}
	provisional := now.Before(period.End)
	out := cmd.OutOrStdout()
	if f.format == "json" {
		err = writeSummaryJSON(out, sum, provisional)
	} else {
		err = writeSummaryTable(out, cfg, sum, provisional)
	}
	if err != nil || !f.send {
		return err
	}

	if provisional {
		return fmt.Errorf("không gửi: kỳ %s chưa kết thúc / not sent: period %s has not ended, its summary is provisional", period, period)
	}
	sender, err := app.NewRatingsSender(cmd.Context(), cfg, log)
	if err != nil {
		return fmt.Errorf("không gửi / not sent: %w", err)
	}
	if err := sender.SendRatings(cmd.Context(), sum.Result); err != nil {
		return fmt.Errorf("gửi tổng hợp đánh giá / sending the ratings summary %s: %w", period, err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "đã gửi / sent %s %s: %d mục / items\n", ratings.SummaryService, period, len(sum.Result.Items))
	return nil
}

// summaryReasons say in words why an answer is not in the summary.
var summaryReasons = map[ratings.Reason]string{
	ratings.ReasonDuplicate:     "trùng MaPhieu và MaTieuChi (giữ lần sớm nhất) / duplicate MaPhieu and MaTieuChi (earliest kept)",
	ratings.ReasonNoTime:        "không có ThoiDiemDanhGia / no ThoiDiemDanhGia",
	ratings.ReasonNoAnswer:      "không có MucDoHaiLong lẫn Diem / neither MucDoHaiLong nor Diem",
	ratings.ReasonTwoAnswers:    "có cả MucDoHaiLong và Diem / both MucDoHaiLong and Diem",
	ratings.ReasonBadLevel:      "MucDoHaiLong không phải 1–5 / MucDoHaiLong not 1–5",
	ratings.ReasonBadScore:      "Diem không phải 0–2 / Diem not 0–2",
	ratings.ReasonScoreAnswer:   "điểm chỉ số, không phải mức độ hài lòng / indicator points, not a level",
	ratings.ReasonOtherUnit:     "thuộc đơn vị khác / another unit's answer",
	ratings.ReasonOtherQuestion: "mức độ cho câu hỏi khác / level for another question",
}

func summaryReason(r ratings.Reason) string {
	if l, ok := summaryReasons[r]; ok {
		return l
	}
	return string(r)
}

func writeSummaryTable(w io.Writer, cfg *config.Config, sum app.RatingsSummary, provisional bool) error {
	res := sum.Result
	fmt.Fprintf(w, "Tổng hợp đánh giá / Satisfaction summary %s, kỳ / period %s — %s %s\n\n", ratings.SummaryService, res.Period, cfg.Unit.Code, cfg.Unit.Name)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Mã / Code\tSố người / Respondents\tRất hài lòng\tHài lòng\tChưa hài lòng\tNội dung / Question")
	for i, item := range res.Items {
		code := res.Questions[i]
		if code == "" {
			code = "-"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", code, item.TongSoNguoiDanhGia,
			item.PhanTramDanhGiaRatHaiLong, item.PhanTramDanhGiaHaiLong, item.PhanTramDanhGiaChuaHaiLong, item.NoiDung)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	t := res.Answers
	fmt.Fprintf(w, "\nPhiếu / Answers: đã đọc / read %d; dùng / used %d; ngoài kỳ / outside the period %d; không dùng / not used %d\n",
		t.Read, t.Used, t.Outside, t.NotUsedTotal())
	for _, r := range t.Reasons() {
		fmt.Fprintf(w, "  %6d  %s\n", t.NotUsed[r], summaryReason(r))
	}
	writeStreamRead(w, "phiếu / answers", sum.Answers)
	items, err := app.SummaryItems(res)
	if err != nil {
		return err
	}
	var data bytes.Buffer
	data.WriteString("[\n")
	for i, item := range items {
		data.WriteString("  ")
		data.Write(item)
		if i < len(items)-1 {
			data.WriteByte(',')
		}
		data.WriteByte('\n')
	}
	data.WriteString("]")
	fmt.Fprintf(w, "\nDữ liệu gửi Cổng / data for the portal (%s):\n%s\n", ratings.SummaryService, data.String())
	if provisional {
		fmt.Fprintln(w, "Kỳ chưa kết thúc: số liệu tạm tính / the period has not ended: figures are provisional")
	}
	_, err = fmt.Fprintf(w, "Thời gian tính / computed in %s\n", sum.Elapsed.Round(time.Millisecond))
	return err
}

// summaryJSON is the summary's --format json: the items as sent, and how
// they were counted.
type summaryJSON struct {
	Period      string            `json:"period"`
	From        time.Time         `json:"from"`
	To          time.Time         `json:"to"`
	Items       []json.RawMessage `json:"items"`
	Questions   []string          `json:"questions"`
	Read        int               `json:"read"`
	Used        int               `json:"used"`
	Outside     int               `json:"outside"`
	NotUsed     map[string]int    `json:"not_used"`
	Stream      app.StreamRead    `json:"stream"`
	Provisional bool              `json:"provisional"`
	Seconds     float64           `json:"seconds"`
}

func writeSummaryJSON(w io.Writer, sum app.RatingsSummary, provisional bool) error {
	res := sum.Result
	items, err := app.SummaryItems(res)
	if err != nil {
		return err
	}
	out := summaryJSON{
		Period: res.Period.String(), From: res.Period.Start, To: res.Period.End, Questions: res.Questions,
		Read: res.Answers.Read, Used: res.Answers.Used, Outside: res.Answers.Outside, NotUsed: map[string]int{},
		Stream: sum.Answers, Provisional: provisional, Seconds: sum.Elapsed.Seconds(),
	}
	for _, item := range items {
		out.Items = append(out.Items, json.RawMessage(item))
	}
	for r, n := range res.Answers.NotUsed {
		out.NotUsed[string(r)] = n
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// addRatingsJob schedules the monthly DongBoDanhGia when ratings.enabled
// (which the configuration allows only with dvcqg enabled): on
// ratings.schedule the summary of the month before now() is computed from
// the rating stream and sent, as the statistics job does for its figures.
// Catalogs may be nil.
func addRatingsJob(ctx context.Context, sch *scheduler.Scheduler, cfg *config.Config, cats *app.Catalogs, log *slog.Logger, now func() time.Time) error {
	if !cfg.Ratings.Enabled {
		return nil
	}
	sender, err := app.NewRatingsSender(ctx, cfg, log)
	if err != nil {
		return err
	}
	return sch.Add("ratings", cfg.Ratings.Schedule, func(ctx context.Context) error {
		p := stats.PreviousMonth(now(), sch.Location())
		sum, err := app.ComputeRatingsSummary(ctx, cfg, p, app.RatingsOptions{
			Ratings: cfg.Ratings, Statistics: cfg.Statistics, Mapping: cats.MappingOptions(mapping.Options{}), Logger: log,
		})
		if err != nil {
			return fmt.Errorf("ratings %s: %w", p, err)
		}
		if err := sender.SendRatings(ctx, sum.Result); err != nil {
			return fmt.Errorf("ratings %s: send: %w", p, err)
		}
		log.Info("monthly ratings summary sent", "period", p.String(), "questions", len(sum.Result.Items),
			"answers", sum.Result.Answers.Used, "elapsed", sum.Elapsed)
		return nil
	})
}

// sourcesList names every configured source with its connector, for the
// start-up log: "source (iso_dientu), sources.khao_sat (rest_json)".
func sourcesList(cfg *config.Config) string {
	var parts []string
	for _, ns := range cfg.AllSources() {
		parts = append(parts, ns.Path+" ("+ns.Type+")")
	}
	return strings.Join(parts, ", ")
}
