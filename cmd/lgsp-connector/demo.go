package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hcmc-lgsp/lgsp-connector/internal/demo"
	"github.com/hcmc-lgsp/lgsp-connector/internal/logging"
	"github.com/hcmc-lgsp/lgsp-connector/internal/pipeline"
	"github.com/hcmc-lgsp/lgsp-connector/stats"
)

func newDemoCmd() *cobra.Command {
	var (
		o       demo.Options
		once    bool
		asJSON  bool
		verbose bool
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Chạy thử trên dữ liệu mẫu và LGSP sandbox / Run on a sample legacy database and the LGSP sandbox",
		Long: `demo tạo một cơ sở dữ liệu một cửa mẫu (SQLite, hồ sơ tiếng Việt, kèm một số dòng lỗi và
vài tệp đính kèm), một CSDL khảo sát hài lòng mẫu (nguồn thứ hai: phiếu đánh giá, có phiếu ki-ốt
gửi lại và mã cán bộ/câu hỏi chưa ánh xạ), một chứng thư ký số và một LGSP sandbox chạy trong
tiến trình, rồi chạy toàn bộ đường ống thật hai lần: gửi kho dữ liệu Thành phố (hcm-lgsp, XML ký
số, gồm cả đánh giá DanhGia), rồi gửi
Cổng DVCQG (dvcqg: phiên đăng nhập, DongBoHoSoMC, CapNhatTienDoHoSoMC, danh mục dùng chung,
thống kê tháng DongBoThongKeHoSo, và API tra cứu/tải tệp mà Cổng gọi lại).
demo builds a sample legacy one-stop database (SQLite, Vietnamese dossiers, some bad rows, a few
attachment files), a sample satisfaction-survey database (a second source: answers, some re-sent
by a kiosk, some with an officer or question the mapping does not know), a signing certificate and
an in-process LGSP sandbox, then runs the real pipeline twice: to the city platform (hcm-lgsp,
signed XML, DanhGia ratings included), then to the
national portal (dvcqg: session, DongBoHoSoMC, CapNhatTienDoHoSoMC, shared catalogs, the
month's DongBoThongKeHoSo, and the lookup/download API the portal calls back).`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			level := slog.LevelWarn
			if verbose {
				level = slog.LevelInfo
			}
			o.Logger = logging.New(os.Stderr, logging.Options{Level: level, Format: "text", Mask: true})
			out := cmd.OutOrStdout()
			if !asJSON {
				fmt.Fprintf(out, "lgsp-connector demo: tạo %d hồ sơ mẫu (+%d dòng lỗi), %d phiếu khảo sát và LGSP sandbox…\n", o.Dossiers, o.BadRows, o.Ratings)
			}
			if !once {
				o.Live = true
				o.Progress = func(id int64, t pipeline.Totals) {
					fmt.Fprintf(out, "%s  hồ sơ #%d vừa được xử lý tại bộ phận một cửa → đã gửi tổng cộng %d gói / dossier #%d changed → %d packets delivered in total\n",
						time.Now().Format("15:04:05"), id, t.Delivered, id, t.Delivered)
				}
				o.OnDrained = func(s demo.Summary) {
					if asJSON {
						return
					}
					printSummary(out, s, o.ExportDir)
					fmt.Fprintln(out, "\nXem nhật ký / delivery log: lgsp-connector log --store", filepath.Join(s.Dir, "outbox.db"), "--status quarantined")
					fmt.Fprintln(out, "\nChế độ trực tiếp: sau lượt đầu, cứ 2 giây một hồ sơ thay đổi trong CSDL mẫu; Ctrl+C để dừng (--once để thoát ngay).")
					fmt.Fprintln(out, "Live mode: after the first pass a sample dossier changes every 2 s; Ctrl+C stops (--once exits at once).")
				}
			}
			sum, err := demo.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			switch {
			case asJSON:
				b, err := json.Marshal(sum)
				if err != nil {
					return err
				}
				fmt.Fprintln(out, string(b))
			case once:
				printSummary(out, sum, o.ExportDir)
				fmt.Fprintln(out, "\nXem nhật ký / delivery log: lgsp-connector log --store", filepath.Join(sum.Dir, "outbox.db"), "--status quarantined")
			default:
				fmt.Fprintf(out, "\nĐã dừng / stopped: tổng cộng đã gửi %d gói / %d packets delivered in total\n", sum.Delivered, sum.Delivered)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&once, "once", false, "thoát khi mọi gói đã gửi xong / exit when everything is delivered")
	f.BoolVar(&asJSON, "json", false, "in tóm tắt dạng JSON ở dòng cuối / print the summary as one JSON line")
	f.StringVar(&o.ExportDir, "export-dir", "", "ghi các gói đã ký và chứng thư vào thư mục này / write signed packets and the certificate here")
	f.StringVar(&o.Dir, "dir", "", "thư mục làm việc (mặc định: thư mục tạm) / working directory (default: a temporary one)")
	f.IntVar(&o.Dossiers, "dossiers", 2000, "số hồ sơ mẫu hợp lệ / number of good sample dossiers")
	f.IntVar(&o.BadRows, "bad-rows", 60, "số dòng lỗi cố ý / number of deliberately bad rows")
	f.IntVar(&o.Ratings, "ratings", demo.DefaultRatings, "số phiếu đánh giá hợp lệ trong CSDL khảo sát mẫu / good answers in the sample survey database")
	f.Float64Var(&o.ErrorRate, "error-rate", 0.05, "tỉ lệ lỗi 5xx của sandbox / sandbox 5xx rate")
	f.Float64Var(&o.ThrottleRate, "throttle-rate", 0.02, "tỉ lệ 429 của sandbox / sandbox 429 rate")
	f.BoolVarP(&verbose, "verbose", "v", false, "ghi nhật ký chi tiết / verbose logs")
	return cmd
}

func printSummary(w io.Writer, s demo.Summary, exportDir string) {
	fmt.Fprintf(w, `
Kết quả / Result (%s)
  đã đọc / read                     %6d  (%d hồ sơ, %d bước xử lý, %d dòng lỗi, %d dòng khảo sát)
  đã xếp hàng / queued              %6d
  đã gửi thành công / delivered     %6d
  cách ly / quarantined             %6d
  thất bại / failed (dead)          %6d
  trùng bị bỏ / duplicates dropped  %6d
  lần thử lại / retries             %6d  (429: %d)
  tốc độ / throughput               %6.0f gói/s
  sandbox: nhận %d, duy nhất %d, trùng %d, từ chối %d, lỗi giả lập 5xx %d / 429 %d
  thư mục làm việc / work dir       %s
`, s.Duration.Round(time.Millisecond), s.Read, s.Dossiers+s.BadRows, s.Steps, s.BadRows, s.Ratings.Read, s.Queued, s.Delivered, s.Quarantined, s.Failed,
		s.DuplicatesDropped, s.Retries, s.Throttled, s.PacketsPerSec,
		s.Sandbox.Received, s.Sandbox.Unique, s.Sandbox.Duplicates, s.Sandbox.Rejected, s.Sandbox.Injected5xx, s.Sandbox.Injected429, s.Dir)
	printRatings(w, s.Ratings)
	if exportDir != "" {
		fmt.Fprintf(w, "  đã xuất / exported                %6d gói → %s (kiểm tra: xmlsec1 --verify --trusted-pem %s/signing-cert.pem FILE.xml)\n", s.Exported, exportDir, exportDir)
	}
	printPortal(w, s)
}

// printRatings shows what the city connector did with the sample
// satisfaction survey, its second source.
func printRatings(w io.Writer, r demo.RatingsSummary) {
	fmt.Fprintf(w, `  trong đó đánh giá hài lòng / of which satisfaction ratings (sources.khao_sat, CSDL khảo sát / survey database):
    đã đọc / read                   %6d  (%d phiếu hợp lệ, %d gửi lại từ ki-ốt, %d không ánh xạ được / %d good, %d kiosk re-sends, %d unmappable)
    đã gửi thành công / delivered   %6d  (sandbox giữ / the sandbox holds %d)
    cách ly / quarantined           %6d`, r.Read, r.SampleRatings, r.SampleResends, r.SampleUnmappable, r.SampleRatings, r.SampleResends, r.SampleUnmappable,
		r.Delivered, r.Sandbox, r.Quarantined)
	if len(r.QuarantinedBy) > 0 {
		var parts []string
		for _, field := range sortedKeys(r.QuarantinedBy) {
			parts = append(parts, fmt.Sprintf("%s %d", field, r.QuarantinedBy[field]))
		}
		fmt.Fprintf(w, "  (theo trường / by field: %s)", strings.Join(parts, ", "))
	}
	fmt.Fprintf(w, "\n    trùng bị bỏ / duplicates dropped %5d  (ki-ốt gửi lại cùng MaPhieu / kiosk re-sent the same MaPhieu)\n", r.DuplicatesDropped)
}

// printPortal shows the national portal connector's part of the demo.
func printPortal(w io.Writer, s demo.Summary) {
	p := s.Portal
	fmt.Fprintf(w, `
Cổng DVCQG / national portal (lgsp.profile dvcqg, cùng CSDL mẫu và sandbox / same sample database and sandbox) (%s)
  đã đọc / read                     %6d
  đã xếp hàng / queued              %6d
  đã gửi thành công / delivered     %6d
  cách ly / quarantined             %6d
  giữ lại / held                    %6d  (bước xử lý của hồ sơ bị cách ly: không bao giờ gửi trước hồ sơ / steps of quarantined dossiers: never before their dossier)
  thất bại / failed (dead)          %6d
  lần thử lại / retries             %6d  (chờ hồ sơ hoặc 429 / waiting for the dossier or 429: %d)
  cổng đã nhận / the portal holds   %6d hồ sơ / dossiers, %d bước / steps
  phiên / sessions: %d phiên bị cho hết hạn giữa chừng, %d lời gọi bị từ chối rồi đăng nhập lại / %d expired mid-run, %d calls refused, then logged in again
`, time.Duration(p.Seconds*float64(time.Second)).Round(time.Millisecond), p.Read, p.Queued, p.Delivered, p.Quarantined, p.Held, p.Failed,
		p.Retries, p.Throttled, p.PortalDossiers, p.PortalSteps, p.SessionsExpired, p.SessionRejected, p.SessionsExpired, p.SessionRejected)
	fmt.Fprintf(w, "  lời gọi theo dịch vụ / calls per service:\n")
	for _, name := range sortedKeys(s.DVCQG) {
		fmt.Fprintf(w, "    %-28s %6d\n", name, s.DVCQG[name])
	}
	fmt.Fprintf(w, "\nDanh mục dùng chung / shared catalogs (dòng / rows):\n")
	for _, name := range sortedKeys(s.Catalogs) {
		fmt.Fprintf(w, "    %-28s %6d\n", name, s.Catalogs[name])
	}
	fmt.Fprintln(w)
	if err := stats.WriteTable(w, s.Statistics.Result); err != nil {
		fmt.Fprintf(w, "  (bảng thống kê / statistics table: %v)\n", err)
	}
	sent := "chưa gửi / not sent"
	if s.Statistics.Sent {
		sent = "đã gửi lên Cổng / sent to the portal (DongBoThongKeHoSo)"
	}
	fmt.Fprintf(w, "Tính trong / computed in %s; %s\n", time.Duration(s.Statistics.Seconds*float64(time.Second)).Round(time.Millisecond), sent)
	if mr := s.MonthlyRatings; len(mr.Items) > 0 {
		sent := "chưa gửi / not sent"
		if mr.Sent {
			sent = "đã gửi lên Cổng / sent to the portal (DongBoDanhGia)"
		}
		fmt.Fprintf(w, "\nTổng hợp đánh giá hài lòng / satisfaction summary %s: đọc %d dòng khảo sát, đếm %d mức độ / %d survey rows read, %d levels counted; %s\n",
			mr.Period, mr.Read, mr.Counted, mr.Read, mr.Counted, sent)
		for _, it := range mr.Items {
			fmt.Fprintf(w, "    %5d người / respondents: rất hài lòng %s, hài lòng %s, chưa hài lòng %s — %s\n", it.TongSoNguoiDanhGia,
				it.PhanTramDanhGiaRatHaiLong, it.PhanTramDanhGiaHaiLong, it.PhanTramDanhGiaChuaHaiLong, it.NoiDung)
		}
	}
	in := s.Inbound
	fmt.Fprintf(w, `
API cho Cổng gọi / inbound API for the portal %s
  tra cứu / lookups (TraCuuHoSo %s)  %d
  tải tệp qua đường dẫn ký / downloads by signed link  %d (%d bytes; %d tệp mẫu / sample files)
Tổng thời gian / total time %s
`, in.Address, in.MaHoSo, in.Lookups, in.Downloads, in.DownloadBytes, s.SampleFiles, time.Duration(s.TotalSeconds*float64(time.Second)).Round(time.Millisecond))
}

// sortedKeys returns m's keys in order.
func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
