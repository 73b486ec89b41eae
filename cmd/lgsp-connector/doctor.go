package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/hcmc-lgsp/lgsp-connector/internal/app"
)

func newDoctorCmd() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Kiểm tra cài đặt / Check the installation (config, database, LGSP, signing, clock, store)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, path)
			if err != nil {
				return err
			}
			checks := app.Doctor(cmd.Context(), cfg, time.Now())
			if app.PrintChecks(cmd.OutOrStdout(), checks) {
				return exitError{code: 1}
			}
			return nil
		},
	}
	addConfigFlag(cmd, &path)
	return cmd
}
