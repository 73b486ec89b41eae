package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Kiểm tra, hiển thị cấu hình / Check or show the configuration"}
	var path string
	check := &cobra.Command{
		Use:   "check",
		Short: "Kiểm tra tệp cấu hình (mọi lỗi một lần) / Validate the file, all errors at once",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := loadConfig(cmd, path); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "cấu hình hợp lệ / configuration is valid")
			return nil
		},
	}
	addConfigFlag(check, &path)
	var showPath string
	show := &cobra.Command{
		Use:   "show",
		Short: "In cấu hình hiệu lực, che bí mật / Print the effective configuration, secrets redacted",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, showPath)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), cfg.Redacted())
			return nil
		},
	}
	addConfigFlag(show, &showPath)
	cmd.AddCommand(check, show)
	return cmd
}
