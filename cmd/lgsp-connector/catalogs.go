package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hcmc-lgsp/lgsp-connector/internal/app"
	"github.com/hcmc-lgsp/lgsp-connector/internal/catalog"
)

func newCatalogsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "catalogs",
		Short: "Danh mục dùng chung: tải, xem / Shared catalogs: refresh, list, show",
		Long: `Các danh mục dùng chung (đơn vị, cán bộ, thủ tục, tiêu chí đánh giá của Thành phố; danh mục của
Cổng DVCQG) được lưu đệm tại máy theo mục catalogs: của tệp cấu hình, có ngày hiệu lực.
The shared catalogs (the city's units, officials, procedures, rating criteria; the national
portal's catalogues) are cached locally per the catalogs: section, with their validity dates.`,
	}
	cmd.AddCommand(newCatalogsSyncCmd(), newCatalogsListCmd(), newCatalogsShowCmd())
	return cmd
}

// openCatalogs loads the configuration and opens its catalog cache; a
// configuration without catalogs: is a usage error.
func openCatalogs(cmd *cobra.Command, path string) (*app.Catalogs, error) {
	cfg, err := loadConfig(cmd, path)
	if err != nil {
		return nil, err
	}
	if cfg.Catalogs == nil {
		fmt.Fprintln(cmd.ErrOrStderr(), "Chưa cấu hình danh mục: thêm mục catalogs: vào tệp cấu hình / no catalog cache configured: add a catalogs: section to the configuration")
		return nil, exitError{code: 2}
	}
	return app.OpenCatalogs(cmd.Context(), cfg, app.CatalogOptions{Logger: newLogger(cmd.ErrOrStderr(), cfg)})
}

func newCatalogsSyncCmd() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "sync [NAME…]",
		Short: "Tải lại danh mục ngay / Refresh catalogs now (all configured ones, or those named)",
		Example: `  lgsp-connector catalogs sync --config lgsp.yaml
  lgsp-connector catalogs sync --config lgsp.yaml units LayThuTuc`,
		RunE: func(cmd *cobra.Command, names []string) error {
			cats, err := openCatalogs(cmd, path)
			if err != nil {
				return err
			}
			defer cats.Close()
			results, err := cats.Syncer.Sync(cmd.Context(), names...)
			if len(results) == 0 && err != nil {
				return err // nothing was tried: an unknown name
			}
			out := cmd.OutOrStdout()
			for _, r := range results {
				if r.Err != nil {
					fmt.Fprintf(out, "%-20s LỖI / FAILED: %v\n", r.Name, r.Err)
					if r.Info.Rows > 0 {
						fmt.Fprintf(out, "%-20s giữ %d dòng đã lưu / kept the %d cached rows\n", "", r.Info.Rows, r.Info.Rows)
					}
					continue
				}
				fmt.Fprintf(out, "%-20s %6d dòng / rows  %s  (%s)\n", r.Name, r.Info.Rows, r.Info.Source, r.Took.Round(time.Millisecond))
			}
			if err != nil {
				return exitError{code: 1}
			}
			return nil
		},
	}
	addConfigFlag(cmd, &path)
	return cmd
}

func newCatalogsListCmd() *cobra.Command {
	var (
		path   string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Liệt kê danh mục đã lưu / List the cached catalogs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cats, err := openCatalogs(cmd, path)
			if err != nil {
				return err
			}
			defer cats.Close()
			list, err := cats.Store.List(cmd.Context())
			if err != nil {
				return err
			}
			// Configured catalogs never attempted are listed too.
			seen := map[string]bool{}
			for _, i := range list {
				seen[i.Name] = true
			}
			for _, n := range cats.Syncer.Names() {
				if !seen[n] {
					list = append(list, catalog.Info{Name: n})
				}
			}
			sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
			out := cmd.OutOrStdout()
			if asJSON {
				return json.NewEncoder(out).Encode(list)
			}
			tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "DANH MỤC/CATALOG\tSỐ DÒNG/ROWS\tTẢI LÚC/FETCHED AT\tNGUỒN/SOURCE\tLỖI LẦN CUỐI/LAST ERROR")
			for _, i := range list {
				fetched := "chưa tải / never"
				if !i.FetchedAt.IsZero() {
					fetched = i.FetchedAt.In(catalog.Zone).Format("2006-01-02 15:04:05")
				}
				lastErr := ""
				if i.LastError != "" {
					lastErr = i.LastAttempt.In(catalog.Zone).Format("2006-01-02 15:04") + " " + shorten(i.LastError, 80)
				}
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", i.Name, i.Rows, fetched, i.Source, lastErr)
			}
			return tw.Flush()
		},
	}
	addConfigFlag(cmd, &path)
	cmd.Flags().BoolVar(&asJSON, "json", false, "xuất JSON / JSON output")
	return cmd
}

func newCatalogsShowCmd() *cobra.Command {
	var (
		path, code, at string
		asJSON         bool
	)
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Xem các mục của một danh mục / Show a catalog's entries",
		Example: `  lgsp-connector catalogs show units --config lgsp.yaml
  lgsp-connector catalogs show units --code 000.00.01.H29 --config lgsp.yaml
  lgsp-connector catalogs show units --code 000.00.01.H29 --at 2025-07-01 --config lgsp.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			var day time.Time
			if at != "" {
				t, err := time.ParseInLocation(time.DateOnly, at, catalog.Zone)
				if err != nil {
					return fmt.Errorf("--at %q: dùng ngày dạng 2025-07-01 / use a date such as 2025-07-01", at)
				}
				day = t
			}
			cats, err := openCatalogs(cmd, path)
			if err != nil {
				return err
			}
			defer cats.Close()
			entries, err := cats.Store.Entries(cmd.Context(), name)
			if err != nil {
				return err
			}
			if len(entries) == 0 && !cats.Store.Loaded(name) {
				return fmt.Errorf("danh mục %q chưa được tải; chạy / catalog %q was never fetched; run: lgsp-connector catalogs sync %s", name, name, name)
			}
			var shown []catalog.Entry
			for _, e := range entries {
				if (code == "" || e.Code == code) && (day.IsZero() || e.ValidOn(catalog.Day(day))) {
					shown = append(shown, e)
				}
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if shown == nil {
					shown = []catalog.Entry{}
				}
				enc := json.NewEncoder(out)
				enc.SetEscapeHTML(false)
				return enc.Encode(shown)
			}
			switch {
			case len(shown) > 0:
			case code != "" && day.IsZero():
				return fmt.Errorf("mã %q không có trong danh mục %s / code %q is not in catalog %s", code, name, code, name)
			case code != "":
				return fmt.Errorf("mã %q không có hiệu lực ngày %s trong danh mục %s / code %q is not valid on %s in catalog %s", code, at, name, code, at, name)
			case !day.IsZero():
				return fmt.Errorf("danh mục %s không có mục nào hiệu lực ngày %s / catalog %s has no entry valid on %s", name, at, name, at)
			}
			tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "MÃ/CODE\tTÊN/NAME\tCHA/PARENT\tTỪ/FROM\tĐẾN/TO")
			for _, e := range shown {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Code, shorten(e.Name, 70), e.Parent, dash(e.ValidFrom), dash(e.ValidTo))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			// One entry asked for by code: its other attributes too.
			if code != "" {
				for _, e := range shown {
					keys := make([]string, 0, len(e.Extra))
					for k := range e.Extra {
						keys = append(keys, k)
					}
					sort.Strings(keys)
					for _, k := range keys {
						fmt.Fprintf(out, "  %s: %s\n", k, e.Extra[k])
					}
				}
			}
			return nil
		},
	}
	addConfigFlag(cmd, &path)
	fl := cmd.Flags()
	fl.StringVar(&code, "code", "", "chỉ mã này / only this code")
	fl.StringVar(&at, "at", "", "chỉ mục có hiệu lực ngày này (2025-07-01) / only entries valid on this day")
	fl.BoolVar(&asJSON, "json", false, "xuất JSON / JSON output")
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "…"
	}
	return strings.TrimSpace(s)
}
