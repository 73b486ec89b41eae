// Command idle measures what `lgsp-connector run` costs when there is
// nothing to do: RSS and CPU from /proc, MariaDB statements per poll
// (through a counting proxy, and the server-wide Questions counter), and
// the EXPLAIN of every poll query as `lgsp-connector doctor` shows it.
//
//	go run ./bench/idle --duration 2m
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/hcmc-lgsp/lgsp-connector/bench/internal/rig"
	"github.com/hcmc-lgsp/lgsp-connector/internal/scheduler"
)

type options struct {
	duration, warmup            time.Duration
	dossiers                    int
	poll, lag                   string
	serverDSN, dbName, bin, dir string
	keep                        bool
}

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 10*time.Minute, "how long to watch the idle connector")
	flag.DurationVar(&o.warmup, "warmup", 10*time.Second, "time after start before measuring (start-up excluded)")
	flag.IntVar(&o.dossiers, "dossiers", 1000, "sample dossiers (delivered by `once` before `run` starts idle)")
	flag.StringVar(&o.poll, "poll", "@every 5s", "schedule.poll (the shipped default is @every 30s; 5s is the demo's, a harder case)")
	flag.StringVar(&o.lag, "lag", "30s", "cursor lag window (the connector's default)")
	flag.StringVar(&o.serverDSN, "server-dsn", rig.EnvOr("LGSP_BENCH_MARIADB_DSN", "root@tcp(127.0.0.1:3306)/"), "MariaDB server DSN")
	flag.StringVar(&o.dbName, "db", "lgsp_bench_idle", "database to (re)create")
	flag.StringVar(&o.bin, "bin", "", "lgsp-connector binary (default: build it)")
	flag.StringVar(&o.dir, "dir", "", "work directory (default: a new temporary one)")
	flag.BoolVar(&o.keep, "keep", false, "keep the database afterwards")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "idle benchmark:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	var err error
	if o.dir == "" {
		if o.dir, err = os.MkdirTemp("", "lgsp-bench-idle-"); err != nil {
			return err
		}
	}
	spec, err := scheduler.ParseSpec(o.poll)
	if err != nil {
		return fmt.Errorf("--poll %q: %w", o.poll, err)
	}
	report := &strings.Builder{}
	say := func(format string, args ...any) {
		line := fmt.Sprintf(format, args...)
		fmt.Println(line)
		report.WriteString(line + "\n")
	}
	say("== idle benchmark ==")
	for _, l := range rig.Machine(ctx, o.serverDSN) {
		say("%s", l)
	}
	say("settings:    poll %q, lag %s, measured for %s after %s of start-up", o.poll, o.lag, o.duration, o.warmup)
	if o.bin == "" {
		rig.Logf("building lgsp-connector")
		if o.bin, err = rig.BuildBinary(ctx, o.dir); err != nil {
			return err
		}
	}
	dsn, drop, err := rig.SampleDatabase(ctx, o.bin, o.serverDSN, o.dbName, o.dossiers)
	if err != nil {
		return err
	}
	if !o.keep {
		defer drop()
	}
	serverAddr, err := serverAddr(dsn)
	if err != nil {
		return err
	}
	proxy, err := rig.StartProxy(serverAddr)
	if err != nil {
		return err
	}
	defer proxy.Close()
	proxied, err := rig.WithAddr(dsn, proxy.Addr())
	if err != nil {
		return err
	}
	sb, url, certFile, keyFile, err := rig.SignedSandbox(ctx, o.dir, o.bin, true)
	if err != nil {
		return err
	}
	defer func() { _ = sb.Stop(5 * time.Second) }()
	cfgPath := filepath.Join(o.dir, "connector.yaml")
	if err := rig.WriteConfig(cfgPath, rig.ConfigParams{LegacyDSN: proxied, LGSPURL: url, CertFile: certFile, KeyFile: keyFile,
		StorePath: filepath.Join(o.dir, "outbox.db"), Lag: "0s", Poll: o.poll, Workers: 4}); err != nil {
		return err
	}

	// 1. Catch up with `once` (lag 0 so everything is read), then switch
	// the configuration to the real lag for the idle run.
	rig.Logf("catching up with `once`")
	once, err := rig.Start("once", o.dir, o.bin, "once", "--config", cfgPath, "--progress", "never")
	if err != nil {
		return err
	}
	if err := once.Wait(); err != nil {
		return fmt.Errorf("once: %v\n%s", err, once.Tail(20))
	}
	out, _ := os.ReadFile(once.Stdout)
	say("catch-up:    %s", strings.TrimSpace(string(out)))
	if err := rig.WriteConfig(cfgPath, rig.ConfigParams{LegacyDSN: proxied, LGSPURL: url, CertFile: certFile, KeyFile: keyFile,
		StorePath: filepath.Join(o.dir, "outbox.db"), Lag: o.lag, Poll: o.poll, Workers: 4}); err != nil {
		return err
	}

	// 2. The poll queries' plans, as the doctor shows them.
	doc, err := rig.Start("doctor", o.dir, o.bin, "doctor", "--config", cfgPath)
	if err != nil {
		return err
	}
	docErr := doc.Wait()
	docOut, _ := os.ReadFile(doc.Stdout)
	say("\n-- lgsp-connector doctor (exit: %v) --\n%s", docErr, strings.TrimRight(string(docOut), "\n"))

	// 3. The idle run.
	admin, err := sql.Open("mysql", o.serverDSN)
	if err != nil {
		return err
	}
	defer admin.Close()
	admin.SetMaxOpenConns(1)
	args := []string{"run", "--config", cfgPath}
	cpuProfile := filepath.Join(o.dir, "idle-cpu.pprof")
	profiling := rig.HasFlag(o.bin, "run", "cpuprofile")
	if profiling {
		args = append(args, "--cpuprofile", cpuProfile)
	}
	conn, err := rig.Start("connector", o.dir, o.bin, args...)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Stop(30 * time.Second) }()
	rig.Logf("run started (pid %d); warming up %s", conn.PID(), o.warmup)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-conn.Done():
		return fmt.Errorf("run exited early: %v\n%s", conn.Wait(), conn.Tail(20))
	case <-time.After(o.warmup):
	}
	p0 := proxy.Snapshot()
	s0, err := rig.GlobalStatus(ctx, admin)
	if err != nil {
		return err
	}
	first, err := rig.ReadProc(conn.PID())
	if err != nil {
		return err
	}
	rig.Logf("measuring for %s", o.duration)
	samples := []rig.ProcSample{first}
	tick := time.NewTicker(time.Second)
	end := time.After(o.duration)
	lastLog := time.Now()
measure:
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-conn.Done():
			return fmt.Errorf("run exited during the measurement: %v\n%s", conn.Wait(), conn.Tail(20))
		case <-end:
			break measure
		case <-tick.C:
			s, err := rig.ReadProc(conn.PID())
			if err != nil {
				return err
			}
			samples = append(samples, s)
			if time.Since(lastLog) >= time.Minute {
				lastLog = time.Now()
				rig.Logf("  RSS %s, CPU so far %.2f%%", rig.MiB(s.RSSKB), cpuPercent(first, s))
			}
		}
	}
	tick.Stop()
	last := samples[len(samples)-1]
	s1, err := rig.GlobalStatus(ctx, admin)
	if err != nil {
		return err
	}
	p1 := proxy.Snapshot()
	_ = conn.Stop(30 * time.Second)

	var maxRSS int64
	for _, s := range samples {
		maxRSS = max(maxRSS, s.RSSKB)
	}
	secs := last.At.Sub(first.At).Seconds()
	cpu := cpuPercent(first, last)
	d := p1.Sub(p0)
	polls := countPolls(d)
	expected := secs / nextGap(spec).Seconds()
	say("\n-- result --")
	say("window:      %.0fs, %d samples", secs, len(samples))
	say("RSS:         first %s, last %s, max %s; VmHWM (peak since start, start-up included) %s", rig.MiB(first.RSSKB), rig.MiB(last.RSSKB), rig.MiB(maxRSS), rig.MiB(last.HWMKB))
	say("CPU:         %.3f%% of one core (%.2fs of CPU in %.0fs; /proc utime+stime, 10 ms ticks)", cpu, rig.TicksToDuration(last.CPUTicks-first.CPUTicks).Seconds(), secs)
	say("threads/fds: %d threads, %d open files", last.Tasks, last.FDs)
	verdict := func(ok bool) string {
		if ok {
			return "meets"
		}
		return "MISSES"
	}
	say("targets:     RSS ≤ 40 MB → %s; CPU ≤ 1%% → %s", verdict(float64(maxRSS)*1024 <= 40e6), verdict(cpu <= 1))
	if polls == 0 {
		polls = int(expected)
		say("polls:       none recognised in the statements; using %d (window / interval)", polls)
	} else {
		say("polls:       %d seen by the proxy (%.1f expected from the schedule)", polls, expected)
	}
	pollsF := float64(max(polls, 1))
	say("\n-- MariaDB statements of the connector (counting proxy: this connector only) --")
	say("queries (COM_QUERY+COM_STMT_EXECUTE, what Questions counts): %d → %.2f per poll; round trips %d → %.2f per poll; new connections %d",
		d.Queries(), float64(d.Queries())/pollsF, d.RoundTrips(), float64(d.RoundTrips())/pollsF, d.Connections)
	for _, l := range d.Lines(pollsF) {
		say("%s", l)
	}
	if lag, err := time.ParseDuration(o.lag); err == nil {
		say("\n-- the poll statements as an idle poll binds them (EXPLAIN, and what one execution touches) --")
		lines, err := explainPolls(ctx, dsn, lag, proxy.Statements())
		for _, l := range lines {
			say("%s", l)
		}
		if err != nil {
			say("(could not explain: %v)", err)
		}
	}
	say("\n-- MariaDB server-wide (SHOW GLOBAL STATUS; includes every other client of the server) --")
	say("Questions delta / polls = %d / %d = %.1f", s1["Questions"]-s0["Questions"], polls, float64(s1["Questions"]-s0["Questions"])/pollsF)
	for _, l := range rig.StatusDelta(s0, s1, secs) {
		say("%s", l)
	}
	if profiling {
		// The profile is written when run stops.
		say("\n-- CPU profile of the idle run (go tool pprof -top) --")
		say("%s", rig.PprofTop(ctx, o.bin, cpuProfile, 15, false))
	}
	res := map[string]any{
		"seconds": secs, "poll": o.poll, "cpu_percent": cpu, "rss_max_mib": float64(maxRSS) / 1024, "rss_last_mib": float64(last.RSSKB) / 1024,
		"hwm_mib": float64(last.HWMKB) / 1024, "polls": polls, "queries_per_poll": float64(d.Queries()) / pollsF,
		"round_trips_per_poll": float64(d.RoundTrips()) / pollsF,
	}
	b, _ := json.MarshalIndent(res, "", "  ")
	_ = os.WriteFile(filepath.Join(o.dir, "idle-result.json"), b, 0o644)
	_ = os.WriteFile(filepath.Join(o.dir, "idle-report.txt"), []byte(report.String()), 0o644)
	rig.Logf("report: %s", filepath.Join(o.dir, "idle-report.txt"))
	return nil
}

func cpuPercent(a, b rig.ProcSample) float64 {
	el := b.At.Sub(a.At).Seconds()
	if el <= 0 {
		return 0
	}
	return 100 * rig.TicksToDuration(b.CPUTicks-a.CPUTicks).Seconds() / el
}

// countPolls counts the ho_so stream's poll statements: each poll sends
// the wrapped query "SELECT * FROM (…hs_hoso…) src WHERE …" once.
func countPolls(d rig.ProxyCounts) int {
	n := 0
	for k, v := range d.Statements {
		if strings.Contains(k, "SELECT * FROM ( SELECT") && strings.HasSuffix(k, "[hs_hoso]") {
			n += int(v)
		}
	}
	return n
}

// nextGap is the interval of the schedule (for @every specs, exact).
func nextGap(s scheduler.Schedule) time.Duration {
	t0 := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	t1 := s.Next(t0)
	return s.Next(t1).Sub(t1)
}

func serverAddr(dsn string) (string, error) {
	// rig.WithAddr needs the real address to forward to.
	const marker = "tcp("
	i := strings.Index(dsn, marker)
	if i < 0 {
		return "", fmt.Errorf("server DSN %q: want a tcp(host:port) address for the proxy", dsn)
	}
	j := strings.IndexByte(dsn[i:], ')')
	return dsn[i+len(marker) : i+j], nil
}
