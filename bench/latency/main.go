// Command latency measures commit → acknowledgement time: a writer changes
// dossiers in MariaDB at a steady rate (each change its own committed
// transaction: status and update time of the dossier, plus a new
// processing step), `lgsp-connector run` polls every second with a small
// lag window, and the LGSP sandbox records when it accepted each packet.
//
//	go run ./bench/latency --rate 50 --duration 60s
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/hcmc-lgsp/lgsp-connector/bench/internal/rig"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sampledata"
)

type options struct {
	rate                        int
	duration, settle            time.Duration
	dossiers, workers           int
	lag, poll                   string
	serverDSN, dbName, bin, dir string
	verify, keep                bool
}

func main() {
	var o options
	flag.IntVar(&o.rate, "rate", 50, "dossier changes per second")
	flag.DurationVar(&o.duration, "duration", 60*time.Second, "how long the writer runs")
	flag.DurationVar(&o.settle, "settle", 60*time.Second, "how long to wait for the last packets after the writer stops")
	flag.IntVar(&o.dossiers, "dossiers", 0, "sample dossiers (default: rate × duration + 500, so no dossier changes twice)")
	flag.IntVar(&o.workers, "workers", 8, "delivery workers")
	flag.StringVar(&o.lag, "lag", "1s", "cursor lag window of both streams")
	flag.StringVar(&o.poll, "poll", "@every 1s", "schedule.poll")
	flag.StringVar(&o.serverDSN, "server-dsn", rig.EnvOr("LGSP_BENCH_MARIADB_DSN", "root@tcp(127.0.0.1:3306)/"), "MariaDB server DSN")
	flag.StringVar(&o.dbName, "db", "lgsp_bench_latency", "database to (re)create")
	flag.StringVar(&o.bin, "bin", "", "lgsp-connector binary (default: build it)")
	flag.StringVar(&o.dir, "dir", "", "work directory (default: a new temporary one)")
	flag.BoolVar(&o.verify, "verify", true, "sandbox verifies every signature")
	flag.BoolVar(&o.keep, "keep", false, "keep the database afterwards")
	flag.Parse()
	if o.dossiers == 0 {
		o.dossiers = o.rate*int(o.duration/time.Second) + 500
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "latency benchmark:", err)
		os.Exit(1)
	}
}

// change is one committed dossier change.
type change struct {
	id        int64
	code      string
	committed time.Time
	// acknowledged times of its HoSo and TienDoXuLy packets.
	hoSo, step time.Time
}

var vietnam = time.FixedZone("ICT", 7*3600)

func run(ctx context.Context, o options) error {
	var err error
	if o.dir == "" {
		if o.dir, err = os.MkdirTemp("", "lgsp-bench-latency-"); err != nil {
			return err
		}
	}
	report := &strings.Builder{}
	say := func(format string, args ...any) {
		line := fmt.Sprintf(format, args...)
		fmt.Println(line)
		report.WriteString(line + "\n")
	}
	say("== latency benchmark ==")
	for _, l := range rig.Machine(ctx, o.serverDSN) {
		say("%s", l)
	}
	say("settings:    %d changes/s for %s, poll %q, lag %s, sandbox verify %v, %d dossiers", o.rate, o.duration, o.poll, o.lag, o.verify, o.dossiers)
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
	dossiers, steps, err := rig.SampleCounts(ctx, dsn)
	if err != nil {
		return err
	}

	sb, url, certFile, keyFile, err := rig.SignedSandbox(ctx, o.dir, o.bin, o.verify)
	if err != nil {
		return err
	}
	defer func() { _ = sb.Stop(5 * time.Second) }()
	cfgPath := filepath.Join(o.dir, "connector.yaml")
	if err := rig.WriteConfig(cfgPath, rig.ConfigParams{LegacyDSN: dsn, LGSPURL: url, CertFile: certFile, KeyFile: keyFile,
		StorePath: filepath.Join(o.dir, "outbox.db"), Lag: o.lag, Poll: o.poll, Workers: o.workers}); err != nil {
		return err
	}
	conn, err := rig.Start("connector", o.dir, o.bin, "run", "--config", cfgPath)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Stop(30 * time.Second) }()

	// 1. Let `run` deliver the initial backlog.
	sbc := rig.NewSandbox(url)
	initial := int(dossiers + steps)
	rig.Logf("waiting for the initial backlog: %d packets", initial)
	lastLog := time.Now()
	if _, err := sbc.WaitUnique(ctx, initial, 2*time.Minute, func(n int) {
		if time.Since(lastLog) > 10*time.Second {
			lastLog = time.Now()
			rig.Logf("  %d/%d", n, initial)
		}
	}); err != nil {
		return fmt.Errorf("initial backlog: %w\n%s", err, conn.Tail(20))
	}
	base, err := sbc.Stats(ctx)
	if err != nil {
		return err
	}

	// 2. The writer.
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	n := o.rate * int(o.duration/time.Second)
	if n > int(dossiers) {
		return fmt.Errorf("%d changes need at least as many dossiers, have %d", n, dossiers)
	}
	ids := rand.New(rand.NewPCG(1, 2)).Perm(int(dossiers))[:n]
	codes := map[int64]string{}
	rows, err := db.QueryContext(ctx, "SELECT id, so_ho_so FROM hs_hoso")
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var code string
		if err := rows.Scan(&id, &code); err != nil {
			return err
		}
		codes[id] = code
	}
	rows.Close()
	procBefore, _ := rig.ReadProc(conn.PID())
	rig.Logf("writer: %d changes at %d/s", n, o.rate)
	changes := make([]*change, 0, n)
	interval := time.Second / time.Duration(o.rate)
	start := time.Now()
	var slowest time.Duration
	for k, idx := range ids {
		due := start.Add(time.Duration(k) * interval)
		if d := time.Until(due); d > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
			}
		}
		id := int64(idx + 1)
		t0 := time.Now()
		if err := sampledata.Advance(ctx, db, id, t0.In(vietnam)); err != nil {
			return fmt.Errorf("writer: change dossier %d: %w", id, err)
		}
		committed := time.Now()
		slowest = max(slowest, committed.Sub(t0))
		changes = append(changes, &change{id: id, code: codes[id], committed: committed})
	}
	writeTime := time.Since(start)
	achieved := float64(n) / writeTime.Seconds()

	// 3. Wait for the packets, then match them to the changes.
	want := base.Unique + 2*n
	rig.Logf("waiting for %d packets of the changes", 2*n)
	waitCtx, cancel := context.WithTimeout(ctx, o.settle)
	_, waitErr := sbc.WaitUnique(waitCtx, want, o.settle, nil)
	cancel()
	procAfter, _ := rig.ReadProc(conn.PID())
	pkts, err := sbc.Packets(ctx, base.Unique)
	if err != nil {
		return err
	}
	byCode := map[string]*change{}
	for _, c := range changes {
		byCode[c.code] = c
	}
	for _, p := range pkts {
		c := byCode[p.MaHoSo]
		if c == nil {
			continue
		}
		switch p.Kind {
		case "HoSo":
			if c.hoSo.IsZero() {
				c.hoSo = p.At
			}
		case "TienDoXuLy":
			if c.step.IsZero() {
				c.step = p.At
			}
		}
	}
	var both, hoSo, step []time.Duration
	missing := 0
	for _, c := range changes {
		if !c.hoSo.IsZero() {
			hoSo = append(hoSo, c.hoSo.Sub(c.committed))
		}
		if !c.step.IsZero() {
			step = append(step, c.step.Sub(c.committed))
		}
		if c.hoSo.IsZero() || c.step.IsZero() {
			missing++
			continue
		}
		last := c.hoSo
		if c.step.After(last) {
			last = c.step
		}
		both = append(both, last.Sub(c.committed))
	}
	say("\n-- result --")
	say("writer:      %d changes in %s (%.1f/s achieved), slowest change transaction %s", n, writeTime.Round(time.Millisecond), achieved, slowest.Round(time.Microsecond))
	say("packets:     %d of %d expected after the changes arrived", len(pkts), 2*n)
	if missing > 0 || waitErr != nil {
		say("MISSING:     %d changes lack a packet after %s (%v) — a change the cursor passed, or delivery still behind", missing, o.settle, waitErr)
	}
	line := func(name string, ds []time.Duration) {
		rig.SortDurations(ds)
		if len(ds) == 0 {
			say("%-34s none", name)
			return
		}
		say("%-34s n=%d p50=%s p95=%s p99=%s max=%s", name, len(ds), rig.Percentile(ds, 50).Round(time.Millisecond),
			rig.Percentile(ds, 95).Round(time.Millisecond), rig.Percentile(ds, 99).Round(time.Millisecond), ds[len(ds)-1].Round(time.Millisecond))
	}
	line("commit → both packets acknowledged", both)
	line("commit → HoSo acknowledged", hoSo)
	line("commit → TienDoXuLy acknowledged", step)
	p99 := rig.Percentile(both, 99)
	verdict := "meets"
	if p99 > 2*time.Second || missing > 0 {
		verdict = "MISSES"
	}
	say("target:      p99 ≤ 2s → %s (p99 %s)", verdict, p99.Round(time.Millisecond))
	cpu := rig.TicksToDuration(procAfter.CPUTicks - procBefore.CPUTicks)
	el := procAfter.At.Sub(procBefore.At)
	say("connector:   %.1f%% of one core during the changes, RSS %s, peak %s", 100*cpu.Seconds()/el.Seconds(), rig.MiB(procAfter.RSSKB), rig.MiB(procAfter.HWMKB))
	res := map[string]any{
		"changes": n, "achieved_rate": achieved, "missing": missing, "lag": o.lag, "poll": o.poll, "verify": o.verify,
		"p50_ms": rig.Percentile(both, 50).Milliseconds(), "p95_ms": rig.Percentile(both, 95).Milliseconds(),
		"p99_ms": p99.Milliseconds(), "max_ms": maxOf(both).Milliseconds(),
	}
	b, _ := json.MarshalIndent(res, "", "  ")
	_ = os.WriteFile(filepath.Join(o.dir, "latency-result.json"), b, 0o644)
	_ = os.WriteFile(filepath.Join(o.dir, "latency-report.txt"), []byte(report.String()), 0o644)
	rig.Logf("report: %s", filepath.Join(o.dir, "latency-report.txt"))
	if verdict != "meets" {
		return fmt.Errorf("latency target missed")
	}
	return nil
}

func maxOf(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return ds[len(ds)-1]
}
