package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hcmc-lgsp/lgsp-connector/internal/logging"
	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
)

// openStoreFor opens the delivery log from --config or, for the demo's
// work directory, --store.
func openStoreFor(cmd *cobra.Command, cfgPath, storePath string) (*outbox.Store, error) {
	if storePath == "" {
		cfg, err := loadConfig(cmd, cfgPath)
		if err != nil {
			return nil, err
		}
		storePath = cfg.Store.Path
	}
	return outbox.Open(cmd.Context(), outbox.Options{Path: storePath})
}

func parseSince(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return time.Now().Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q: dùng thời lượng (24h) hoặc ngày (2026-11-01) / use a duration (24h) or a date (2026-11-01)", s)
}

func newLogCmd() *cobra.Command {
	var (
		cfgPath, storePath, status, maHoSo, since string
		limit                                     int
		asJSON, inboundCalls                      bool
	)
	cmd := &cobra.Command{
		Use:   "log",
		Short: "Xem nhật ký gửi / Show the delivery log",
		Example: `  lgsp-connector log --config lgsp.yaml --status failed
  lgsp-connector log --config lgsp.yaml --ma-ho-so 000.00.12.H29-251103-0042
  lgsp-connector log --config lgsp.yaml --status quarantined --since 24h`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			from, err := parseSince(since)
			if err != nil {
				return err
			}
			st, err := openStoreFor(cmd, cfgPath, storePath)
			if err != nil {
				return err
			}
			defer st.Close()
			ctx, out := cmd.Context(), cmd.OutOrStdout()
			// The store's own 0 means its default of 100 rows.
			if limit <= 0 || limit > outbox.MaxQueryLimit {
				limit = outbox.MaxQueryLimit
			}
			f := outbox.Filter{MaHoSo: maHoSo, Since: from, Limit: limit}
			if inboundCalls {
				calls, err := st.Inbound(ctx, f)
				if err != nil {
					return err
				}
				if asJSON {
					return json.NewEncoder(out).Encode(calls)
				}
				tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "THỜI ĐIỂM/TIME\tMETHOD\tPATH\tBÊN GỌI/CALLER\tIP\tMÃ HS/REF\tHTTP\tMS\tBYTES\tLỖI/ERROR")
				for _, c := range calls {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", c.At.Local().Format("2006-01-02 15:04:05"), c.Method, c.Path,
						c.Caller, c.RemoteIP, c.MaHoSo+c.FileRef, c.Status, c.Latency.Milliseconds(), c.BytesOut, shorten(c.Error, 80))
				}
				return tw.Flush()
			}
			if status == "quarantined" {
				q, err := st.Quarantine(ctx, f)
				if err != nil {
					return err
				}
				if asJSON {
					return json.NewEncoder(out).Encode(q)
				}
				tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "THỜI GIAN/TIME\tLUỒNG/STREAM\tKHÓA/KEY\tTRƯỜNG/FIELD\tGIÁ TRỊ/VALUE\tLÝ DO/REASON")
				for _, e := range q {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.At.Local().Format("2006-01-02 15:04:05"), e.Stream, e.RecordKey, e.Field,
						logging.MaskValue(e.Field, shorten(e.Value, 40)), shorten(e.Reason, 120))
				}
				return tw.Flush()
			}
			switch status {
			case "", "all":
			case "failed", "dead":
				f.State = outbox.StateDead
			case "delivered", "pending", "in_flight":
				f.State = outbox.State(status)
			default:
				return fmt.Errorf("--status %q: dùng / use failed|quarantined|delivered|pending|in_flight", status)
			}
			entries, err := st.Query(ctx, f)
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(out).Encode(entries)
			}
			tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TẠO/CREATED\tTRẠNG THÁI/STATE\tLOẠI/KIND\tMÃ HỒ SƠ\tMÃ GÓI TIN/ID\tLẦN/TRIES\tHTTP\tLỖI/ERROR")
			for _, e := range entries {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", e.CreatedAt.Local().Format("2006-01-02 15:04:05"), e.State, e.Kind, e.MaHoSo, e.ID,
					e.Attempts, e.LastStatus, shorten(e.LastError, 80))
			}
			return tw.Flush()
		},
	}
	fl := cmd.Flags()
	addConfigFlag(cmd, &cfgPath)
	fl.StringVar(&storePath, "store", "", "đường dẫn kho lưu thay cho --config / store path instead of --config")
	fl.StringVar(&status, "status", "", "failed|quarantined|delivered|pending|in_flight")
	fl.StringVar(&maHoSo, "ma-ho-so", "", "lọc theo mã hồ sơ / filter by dossier code")
	fl.StringVar(&since, "since", "", "từ thời điểm (24h, 2026-11-01) / since (24h, 2026-11-01)")
	fl.IntVar(&limit, "limit", 100, fmt.Sprintf("số dòng tối đa / maximum rows (0 = %d, mức cao nhất / the most)", outbox.MaxQueryLimit))
	fl.BoolVar(&asJSON, "json", false, "xuất JSON / JSON output")
	fl.BoolVar(&inboundCalls, "inbound", false, "cuộc gọi từ Cổng DVCQG (tra cứu, tải tệp) / calls from the national portal (lookups, downloads)")
	return cmd
}

func shorten(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func newRetryCmd() *cobra.Command {
	var (
		cfgPath, storePath string
		ids                []string
		allFailed          bool
	)
	cmd := &cobra.Command{
		Use:   "retry",
		Short: "Gửi lại gói thất bại / Re-queue failed (dead) packets",
		Example: `  lgsp-connector retry --config lgsp.yaml --id 5b0f…
  lgsp-connector retry --config lgsp.yaml --all-failed`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(ids) == 0 && !allFailed {
				return fmt.Errorf("cần --id hoặc --all-failed / need --id or --all-failed")
			}
			st, err := openStoreFor(cmd, cfgPath, storePath)
			if err != nil {
				return err
			}
			defer st.Close()
			var n int
			if allFailed {
				n, err = st.RequeueAllDead(cmd.Context(), "cli")
			} else {
				n, err = st.Requeue(cmd.Context(), ids, "cli")
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "đã xếp lại %d gói / re-queued %d packets\n", n, n)
			return nil
		},
	}
	addConfigFlag(cmd, &cfgPath)
	cmd.Flags().StringVar(&storePath, "store", "", "đường dẫn kho lưu thay cho --config / store path instead of --config")
	cmd.Flags().StringSliceVar(&ids, "id", nil, "mã gói tin (MaGoiTin), có thể lặp / packet ID, repeatable")
	cmd.Flags().BoolVar(&allFailed, "all-failed", false, "mọi gói thất bại / every dead packet")
	return cmd
}
