package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hcmc-lgsp/lgsp-connector/internal/app"
	"github.com/hcmc-lgsp/lgsp-connector/stats"
)

// statsFlags are the options of the stats command. The rule flags, when
// given, override the configuration's statistics section.
type statsFlags struct {
	cfgPath, month, format  string
	send, explain           bool
	stream, compare, basis  string
	weekend, holidays       []string
	weekendSet, holidaysSet bool
}

func newStatsCmd() *cobra.Command {
	var f statsFlags
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Tính (và gửi) thống kê hồ sơ tháng / Compute (and send) the monthly dossier statistics (DongBoThongKeHoSo)",
		Long: `stats tính 13 chỉ tiêu thống kê hồ sơ của một tháng từ CSDL một cửa, theo định nghĩa
trong docs/statistics.md, và in bảng. Với --send, gửi lên Cổng DVCQG sau khi in.

stats computes the 13 dossier figures of one month from the legacy database, as
docs/statistics.md defines them, and prints them. With --send it then sends them
to the national portal (DongBoThongKeHoSo). Without --month: the previous month,
as the monthly job does.`,
		Example: `  lgsp-connector stats --config lgsp.yaml --month 2026-10
  lgsp-connector stats --config lgsp.yaml --month 2026-10 --format json
  lgsp-connector stats --config lgsp.yaml --month 2026-10 --deadline-basis working_days --holiday 2026-09-01,2026-09-02
  lgsp-connector stats --config lgsp.yaml --month 2026-10 --send`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.weekendSet = cmd.Flags().Changed("weekend")
			f.holidaysSet = cmd.Flags().Changed("holiday")
			return runStats(cmd, f, time.Now())
		},
	}
	addConfigFlag(cmd, &f.cfgPath)
	fl := cmd.Flags()
	fl.StringVar(&f.month, "month", "", "tháng YYYY-MM (mặc định: tháng trước) / month YYYY-MM (default: the previous month)")
	fl.StringVar(&f.format, "format", "table", "table | json")
	fl.BoolVar(&f.send, "send", false, "gửi lên Cổng DVCQG sau khi in / send to the national portal after printing")
	fl.BoolVar(&f.explain, "explain", false, "in kế hoạch truy vấn của CSDL / print the database's query plan")
	fl.StringVar(&f.stream, "stream", "", "luồng hồ sơ / dossier stream (default "+stats.DefaultStream+")")
	fl.StringVar(&f.compare, "compare", "", "so hạn: day | instant / deadline test: day (default) | instant")
	fl.StringVar(&f.basis, "deadline-basis", "", "calendar | working_days")
	fl.StringSliceVar(&f.weekend, "weekend", nil, "ngày nghỉ trong tuần / weekend days (default saturday,sunday)")
	fl.StringSliceVar(&f.holidays, "holiday", nil, "ngày lễ YYYY-MM-DD (lặp lại hoặc cách bằng dấu phẩy) / holidays YYYY-MM-DD")
	return cmd
}

// apply lays the flags over the configuration's section.
func (f statsFlags) apply(c stats.Config) stats.Config {
	if f.stream != "" {
		c.Stream = f.stream
	}
	if f.compare != "" {
		c.Compare = f.compare
	}
	if f.basis != "" {
		c.DeadlineBasis = f.basis
	}
	if f.weekendSet {
		c.Weekend = f.weekend
	}
	if f.holidaysSet {
		c.Holidays = f.holidays
	}
	return c
}

func runStats(cmd *cobra.Command, f statsFlags, now time.Time) error {
	if f.format != "table" && f.format != "json" {
		return fmt.Errorf("--format %q: dùng table hoặc json / use table or json", f.format)
	}
	zone, err := time.LoadLocation(stats.DefaultZone)
	if err != nil {
		return err
	}
	period := stats.PreviousMonth(now, zone)
	if f.month != "" {
		if period, err = stats.ParsePeriod(f.month, zone); err != nil {
			return fmt.Errorf("--month: %w", err)
		}
		if period.Kind != stats.Monthly {
			return fmt.Errorf("--month %q: cần một tháng YYYY-MM / want a month written YYYY-MM", f.month)
		}
	}
	cfg, err := loadConfig(cmd, f.cfgPath)
	if err != nil {
		return err
	}
	sc := f.apply(app.StatisticsConfig(cfg))
	if errs := sc.Validate("statistics"); len(errs) > 0 {
		return fmt.Errorf("tùy chọn thống kê không hợp lệ / invalid statistics options:\n%w", errors.Join(errs...))
	}
	rep, err := app.ComputeStats(cmd.Context(), cfg, period, app.StatsOptions{
		Statistics: sc, Explain: f.explain, Logger: newLogger(cmd.ErrOrStderr(), cfg),
	})
	if err != nil {
		return err
	}
	provisional := now.Before(period.End)
	out := cmd.OutOrStdout()
	if f.format == "json" {
		err = writeStatsJSON(out, rep, provisional)
	} else {
		err = writeStatsTable(out, rep, provisional)
	}
	if err != nil || !f.send {
		return err
	}

	if provisional {
		return fmt.Errorf("không gửi: kỳ %s chưa kết thúc / not sent: period %s has not ended, its figures are provisional", period, period)
	}
	item, err := rep.Result.Figures.DVCQGItem()
	if err != nil {
		return fmt.Errorf("không gửi / not sent: %w", err)
	}
	sender, err := app.NewStatsSender(cmd.Context(), cfg, newLogger(cmd.ErrOrStderr(), cfg))
	if err != nil {
		return fmt.Errorf("không gửi / not sent: %w", err)
	}
	if err := sender.SendStats(cmd.Context(), rep.Result.Figures); err != nil {
		return fmt.Errorf("gửi thống kê / sending statistics %s: %w", period, err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "đã gửi / sent %s %s: %s\n", stats.ServiceName, period, item)
	return nil
}

func writeStatsTable(w io.Writer, rep app.StatsReport, provisional bool) error {
	if err := stats.WriteTable(w, rep.Result); err != nil {
		return err
	}
	if provisional {
		fmt.Fprintln(w, "Kỳ chưa kết thúc: số liệu tạm tính / the period has not ended: figures are provisional")
	}
	if rep.Plan != "" {
		fmt.Fprintf(w, "\nKế hoạch truy vấn / query plan (luồng / stream %s):\n%s\n", rep.Stream, rep.Plan)
		if len(rep.FullScans) > 0 {
			fmt.Fprintf(w, "CẢNH BÁO / WARNING: đọc toàn bảng / full scan of %s — tạo chỉ mục trên cột ngày tiếp nhận và ngày kết thúc / index the receipt and end columns\n", strings.Join(rep.FullScans, ", "))
		}
	}
	_, err := fmt.Fprintf(w, "Thời gian tính / computed in %s\n", rep.Elapsed.Round(time.Millisecond))
	return err
}

// statsJSON is the --format json output: the wire item (when it can be
// sent) and how it was computed.
type statsJSON struct {
	Period      string          `json:"period"`
	From        time.Time       `json:"from"`
	To          time.Time       `json:"to"`
	Item        json.RawMessage `json:"item"`
	ItemError   string          `json:"item_error,omitempty"`
	Provisional bool            `json:"provisional"`
	Read        int             `json:"read"`
	Outside     int             `json:"outside"`
	NotCounted  map[string]int  `json:"not_counted"`
	NoDueDate   int             `json:"no_due_date"`
	Moved       int             `json:"deadline_moved"`
	Compare     string          `json:"compare"`
	Basis       string          `json:"deadline_basis"`
	Seconds     float64         `json:"seconds"`
	Plan        string          `json:"plan,omitempty"`
	FullScans   []string        `json:"full_scans,omitempty"`
}

func writeStatsJSON(w io.Writer, rep app.StatsReport, provisional bool) error {
	r := rep.Result
	out := statsJSON{
		Period: r.Period.String(), From: r.Period.Start, To: r.Period.End, Item: json.RawMessage("null"), Provisional: provisional,
		Read: r.Read, Outside: r.Outside, NotCounted: map[string]int{}, NoDueDate: r.NoDueDate, Moved: r.DeadlineMoved,
		Compare: string(r.Compare), Basis: string(r.Basis), Seconds: rep.Elapsed.Seconds(), Plan: rep.Plan, FullScans: rep.FullScans,
	}
	if item, err := r.Figures.DVCQGItem(); err != nil {
		out.ItemError = err.Error()
	} else {
		out.Item = item
	}
	for k, v := range r.Excluded {
		out.NotCounted[string(k)] = v
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
