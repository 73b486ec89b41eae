package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/hcmc-lgsp/lgsp-connector/internal/app"
	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/internal/logging"
	"github.com/hcmc-lgsp/lgsp-connector/internal/scheduler"
	"github.com/hcmc-lgsp/lgsp-connector/mapping"
	"github.com/hcmc-lgsp/lgsp-connector/packets"
	"github.com/hcmc-lgsp/lgsp-connector/stats"
)

// loadConfig loads and validates the YAML file; every problem is printed
// at once, with its key path, before the command stops.
func loadConfig(cmd *cobra.Command, path string) (*config.Config, error) {
	if path == "" {
		return nil, fmt.Errorf("thiếu --config / --config is required (copy config.example.yaml and edit it)")
	}
	cfg, err := config.Load(path, config.LoadOptions{})
	var invalid *config.ValidationErrors
	switch {
	case errors.As(err, &invalid):
		// It names the file and lists every problem itself.
		fmt.Fprintln(cmd.ErrOrStderr(), err)
		return nil, exitError{code: 2}
	case err != nil:
		fmt.Fprintf(cmd.ErrOrStderr(), "Cấu hình không hợp lệ / invalid configuration (%s):\n%v\n", path, err)
		return nil, exitError{code: 2}
	}
	return cfg, nil
}

func newLogger(w io.Writer, cfg *config.Config) *slog.Logger {
	level, err := logging.ParseLevel(cfg.Log.Level)
	if err != nil {
		level = slog.LevelInfo
	}
	return logging.New(w, logging.Options{Level: level, Format: cfg.Log.Format, Mask: true, PersonalKeys: cfg.Log.MaskKeys})
}

func addConfigFlag(cmd *cobra.Command, path *string) {
	cmd.Flags().StringVarP(path, "config", "c", "", "tệp cấu hình YAML / YAML configuration file")
}

// startApp loads the configuration, starts profiling if asked and builds
// the connector; done closes it and finishes the profiles.
func startApp(cmd *cobra.Command, path string, prof *profileFlags) (*app.App, func(), error) {
	cfg, err := loadConfig(cmd, path)
	if err != nil {
		return nil, nil, err
	}
	stopProf, err := prof.start()
	if err != nil {
		return nil, nil, err
	}
	a, err := app.Build(cmd.Context(), cfg, app.Options{Logger: newLogger(cmd.ErrOrStderr(), cfg)})
	if err != nil {
		stopProf()
		return nil, nil, err
	}
	return a, func() { _ = a.Close(context.Background()); stopProf() }, nil
}

func newRunCmd() *cobra.Command {
	var (
		path string
		prof profileFlags
	)
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Chạy liên tục theo lịch / Run continuously on the configured schedule",
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, done, err := startApp(cmd, path, &prof)
			if err != nil {
				return err
			}
			defer done()
			return runForever(cmd.Context(), a, a.Logger)
		},
	}
	addConfigFlag(cmd, &path)
	prof.add(cmd)
	return cmd
}

// runForever polls on the schedule, delivers continuously and purges the
// delivery log by retention until ctx ends (SIGINT/SIGTERM).
func runForever(ctx context.Context, a *app.App, log *slog.Logger) error {
	cfg := a.Config
	loc, err := scheduler.LoadLocation(cfg.Schedule.Timezone)
	if err != nil {
		return fmt.Errorf("schedule.timezone %q: %w", cfg.Schedule.Timezone, err)
	}
	sch := scheduler.New(scheduler.Options{Location: loc, Logger: log.With("component", "scheduler")})
	if err := sch.Add("poll", cfg.Schedule.Poll, func(ctx context.Context) error {
		_, err := a.Pipeline.Poll(ctx)
		return err
	}); err != nil {
		return err
	}
	if err := sch.Add("retention", "@daily", func(ctx context.Context) error {
		cut := time.Now().Add(-cfg.Store.Retention)
		n, err := a.Store.Purge(ctx, cut)
		if err == nil {
			var m int
			m, err = a.Store.PurgeInbound(ctx, cut)
			n += m
		}
		if n > 0 {
			log.Info("delivery log purged by retention", "rows", n, "retention", cfg.Store.Retention)
		}
		return err
	}); err != nil {
		return err
	}
	if err := a.Catalogs.Schedule(sch); err != nil {
		return err
	}
	if cfg.DVCQG.Enabled && cfg.DVCQG.ProgressPush != "" {
		if err := sch.Add("progress_push", cfg.DVCQG.ProgressPush, func(ctx context.Context) error {
			now := time.Now().In(loc)
			day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
			n, err := a.Store.Expedite(ctx, string(packets.KindProgress), day)
			if err != nil {
				return err
			}
			a.Pipeline.Wake()
			log.Info("daily progress push: the day's waiting steps are sent now", "steps", n)
			return app.WarnOrphanSteps(ctx, a.Store, log)
		}); err != nil {
			return err
		}
	}
	if cfg.Statistics.Enabled {
		sender, err := app.NewStatsSender(ctx, cfg, log)
		if err != nil {
			return err
		}
		if err := sch.Add("statistics", cfg.Statistics.Schedule, func(ctx context.Context) error {
			p := stats.PreviousMonth(time.Now(), loc)
			rep, err := app.ComputeStats(ctx, cfg, p, app.StatsOptions{Statistics: cfg.Statistics, Mapping: a.Catalogs.MappingOptions(mapping.Options{}), Logger: log})
			if err != nil {
				return fmt.Errorf("statistics %s: %w", p, err)
			}
			if err := sender.SendStats(ctx, rep.Result.Figures); err != nil {
				return fmt.Errorf("statistics %s: send: %w", p, err)
			}
			log.Info("monthly statistics sent", "period", p.String(), "received", rep.Result.Figures.SoNhanTrongKy, "elapsed", rep.Elapsed)
			return nil
		}); err != nil {
			return err
		}
	}
	if err := addRatingsJob(ctx, sch, cfg, a.Catalogs, log, time.Now); err != nil {
		return err
	}
	if a.Inbound != nil {
		if err := a.Inbound.Start(ctx); err != nil {
			return err
		}
		defer func() {
			c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = a.Inbound.Shutdown(c)
		}()
	}
	log.Info("lgsp-connector started", "unit", cfg.Unit.Code, "sources", sourcesList(cfg), "lgsp", cfg.LGSP.BaseURL, "poll", cfg.Schedule.Poll, "store", cfg.Store.Path)
	sch.Start()
	// A first poll right away rather than waiting for the first tick; it
	// goes through the scheduler so it never overlaps a scheduled one.
	go func() {
		if err := sch.RunNow("poll"); err != nil && ctx.Err() == nil {
			log.Warn("first poll failed; will retry on schedule", "err", err)
		}
	}()
	err = a.Pipeline.RunDelivery(ctx, time.Second)
	stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if serr := sch.Stop(stopCtx); serr != nil {
		log.Warn("scheduler did not stop cleanly", "err", serr)
	}
	log.Info("lgsp-connector stopped")
	return err
}

func newOnceCmd() *cobra.Command {
	var (
		path     string
		progress string
		prof     profileFlags
	)
	cmd := &cobra.Command{
		Use:   "once",
		Short: "Chạy một lượt rồi thoát (cron, Task Scheduler, nạp dữ liệu cũ) / One pass, then exit (cron, backfill)",
		Long: `once đọc hết dữ liệu mới, vừa đọc vừa gửi, gửi những gói đến hạn rồi thoát; gói chờ thử lại
ở lại kho lưu cho lần chạy sau. Khi tồn đọng lớn (nạp dữ liệu cũ) có thanh tiến độ với thời gian còn lại.
once reads everything new while delivering, sends what is due and exits; packets waiting for a
later retry stay in the store for the next run. A large backlog (backfill) shows a progress bar with ETA.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, done, err := startApp(cmd, path, &prof)
			if err != nil {
				return err
			}
			defer done()
			ctx := cmd.Context()
			start := time.Now()
			if bar := newBackfillBar(ctx, a, cmd.ErrOrStderr(), progress); bar != nil {
				defer bar.finish()
			}
			if err := a.Pipeline.Once(ctx, 200*time.Millisecond); err != nil {
				return err
			}
			t := a.Pipeline.Totals()
			c, err := a.Store.Counts(ctx)
			if err != nil {
				return err
			}
			secs := time.Since(start).Seconds()
			fmt.Fprintf(cmd.OutOrStdout(), "read %d, queued %d, delivered %d, quarantined %d, failed %d, duplicates dropped %d in %.1fs (%.0f packets/s); outbox: pending %d, dead %d\n",
				t.Read, t.Queued, t.Delivered, t.Quarantined, t.Failed, t.DuplicatesDropped, secs, float64(t.Delivered)/max(secs, 0.001), c.Pending, c.Dead)
			return nil
		},
	}
	addConfigFlag(cmd, &path)
	cmd.Flags().StringVar(&progress, "progress", "auto", "thanh tiến độ: auto|always|never / progress bar: auto|always|never")
	prof.add(cmd)
	return cmd
}
