// Command lgsp-connector is the sidecar installed beside a legacy one-stop
// system: it reads the legacy database, maps records into signed 1705
// packets and delivers them to HCM LGSP without loss. One binary, one YAML
// file; see README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // Asia/Ho_Chi_Minh on machines without a zone database (Windows)

	"github.com/spf13/cobra"

	_ "github.com/hcmc-lgsp/lgsp-connector/connectors/iso-dientu" // registers iso_dientu
	_ "github.com/hcmc-lgsp/lgsp-connector/connectors/restjson"   // registers rest_json
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	if err := root.ExecuteContext(ctx); err != nil {
		var ex exitError
		if errors.As(err, &ex) {
			os.Exit(ex.code)
		}
		fmt.Fprintln(os.Stderr, "lỗi / error:", err)
		os.Exit(1)
	}
}

// exitError ends the process with a code without printing again (the
// command already said what was wrong).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "lgsp-connector",
		Short: "Kết nối phần mềm một cửa với HCM LGSP / Connect legacy one-stop software to HCM LGSP",
		Long: `lgsp-connector đọc cơ sở dữ liệu một cửa cũ, ánh xạ hồ sơ thành gói tin 1705 có ký số
và gửi tới HCM LGSP, không mất, không trùng.
lgsp-connector reads the legacy one-stop database, maps dossiers into signed 1705
packets and delivers them to HCM LGSP without loss or duplicates.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	root.AddCommand(newDemoCmd(), newRunCmd(), newOnceCmd(), newDoctorCmd(), newLogCmd(), newRetryCmd(), newSandboxCmd(), newConfigCmd(), newGenSampleCmd(), newStatsCmd(), newRatingsCmd(), newCatalogsCmd())
	return root
}
