// Package rig is the shared harness of the benchmarks under bench/: it
// builds the connector, prepares a MariaDB database with gen-sample,
// starts the LGSP sandbox and the connector as separate processes, and
// measures them from the outside (/proc, rusage, SHOW GLOBAL STATUS, a
// counting MySQL proxy, the sandbox's packet list).
package rig

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/hcmc-lgsp/lgsp-connector/internal/demo"
	"github.com/hcmc-lgsp/lgsp-connector/signing"
)

// ClientSecret is the sandbox credential the benchmarks use (loopback only).
const ClientSecret = "bench-secret-not-for-production"

// Logf prints a progress line of the harness on stderr, with a clock.
func Logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// RepoRoot finds the module root from the working directory (the scripts
// run the programs from there; go run from a subdirectory works too).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.Contains(b, []byte("module github.com/hcmc-lgsp/lgsp-connector\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run the benchmark inside the lgsp-connector repository")
		}
		dir = parent
	}
}

// BuildBinary builds cmd/lgsp-connector into dir and returns its path.
func BuildBinary(ctx context.Context, dir string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "lgsp-connector")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/lgsp-connector")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/lgsp-connector: %w\n%s", err, b)
	}
	return out, nil
}

// DatabaseDSN returns serverDSN pointed at database name.
func DatabaseDSN(serverDSN, name string) (string, error) {
	cfg, err := mysql.ParseDSN(serverDSN)
	if err != nil {
		return "", fmt.Errorf("server DSN %q: %w", serverDSN, err)
	}
	cfg.DBName = name
	return cfg.FormatDSN(), nil
}

// WithAddr returns dsn with its host:port replaced (to go through a proxy).
func WithAddr(dsn, addr string) (string, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", err
	}
	cfg.Net, cfg.Addr = "tcp", addr
	return cfg.FormatDSN(), nil
}

// DropDatabase removes the benchmark database.
func DropDatabase(ctx context.Context, serverDSN, name string) error {
	db, err := sql.Open("mysql", serverDSN)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`")
	return err
}

// sampleDailyDossiers is how many dossiers a sample day receives at most
// (gen-sample keeps daily dossier numbers within four digits).
const sampleDailyDossiers = 4000

// sampleSettle is how long after its receipt a sample dossier may still be
// updated (its last step): every row must be stamped before the run starts.
const sampleSettle = 120 * 24 * time.Hour

// SampleSpan is the receipt span of a sample of n dossiers: days as
// gen-sample would choose them, and a start far enough back that every
// row's update time lies before now. A connector reads rows stamped up to
// now − lag only, so rows dated in the future (a 1,000,000-dossier sample
// from a fixed start runs 250 days ahead) would never be read.
func SampleSpan(n int, now time.Time) (days int, start time.Time) {
	days = max(60, (n+sampleDailyDossiers-1)/sampleDailyDossiers)
	start = now.Add(-time.Duration(days)*24*time.Hour - sampleSettle)
	return days, time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC)
}

// GenSample runs `lgsp-connector gen-sample` into a fresh database and
// returns its summary (stdout) and how long it took.
func GenSample(ctx context.Context, bin, serverDSN, dbName string, dossiers, maxSteps int, seed uint64) (string, time.Duration, error) {
	if err := DropDatabase(ctx, serverDSN, dbName); err != nil {
		return "", 0, fmt.Errorf("drop old database %s: %w", dbName, err)
	}
	dsn, err := DatabaseDSN(serverDSN, dbName)
	if err != nil {
		return "", 0, err
	}
	days, from := SampleSpan(dossiers, time.Now())
	cmd := exec.CommandContext(ctx, bin, "gen-sample", "--driver", "mysql", "--dsn", dsn,
		"--dossiers", strconv.Itoa(dossiers), "--max-steps", strconv.Itoa(maxSteps), "--bad-rows", "0",
		"--days", strconv.Itoa(days), "--start", from.Format(time.DateOnly),
		"--seed", strconv.FormatUint(seed, 10), "--create-schema")
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr // progress lines
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return out.String(), 0, fmt.Errorf("gen-sample: %w", err)
	}
	return out.String(), time.Since(start), nil
}

// SampleCounts reads how many dossiers and steps the database holds: the
// packets a full backfill must deliver (one HoSo per dossier, one
// TienDoXuLy per step).
func SampleCounts(ctx context.Context, dsn string) (dossiers, steps int64, err error) {
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM hs_hoso").Scan(&dossiers); err != nil {
		return 0, 0, err
	}
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM hs_qua_trinh").Scan(&steps); err != nil {
		return 0, 0, err
	}
	return dossiers, steps, nil
}

// KeyPair writes a fresh self-signed RSA-2048 signing certificate and key.
func KeyPair(dir string) (certFile, keyFile string, err error) {
	return KeyPairFor(dir, signing.RSASHA256)
}

// KeyPairFor writes a fresh self-signed certificate and key of the type
// alg needs (RSA-2048, or EC P-256 for ecdsa-sha256).
func KeyPairFor(dir string, alg signing.Algorithm) (certFile, keyFile string, err error) {
	key, cert, err := signing.GenerateSelfSignedFor(alg, "lgsp-connector bench", 24*time.Hour, time.Now())
	if err != nil {
		return "", "", err
	}
	certFile, keyFile = filepath.Join(dir, "signing-cert.pem"), filepath.Join(dir, "signing-key.pem")
	keyPEM, err := signing.EncodeKeyPEM(key)
	if err != nil {
		return "", "", err
	}
	if err := os.WriteFile(certFile, signing.EncodeCertPEM(cert), 0o600); err != nil {
		return "", "", err
	}
	return certFile, keyFile, os.WriteFile(keyFile, keyPEM, 0o600)
}

// ConfigParams are the knobs the benchmarks turn in the demo template.
type ConfigParams struct {
	LegacyDSN, LGSPURL, CertFile, KeyFile, StorePath string
	Lag                                              string // cursor lag window
	Poll                                             string // schedule.poll; "" keeps the template's
	Algorithm                                        string // signing.algorithm; "" keeps the default (rsa-sha256)
	Workers                                          int
}

// WriteConfig renders the demo configuration for MariaDB and writes it.
func WriteConfig(path string, p ConfigParams) error {
	b, err := demo.RenderConfig(demo.ConfigParams{
		Driver: "mysql", LegacyDSN: p.LegacyDSN, LGSPURL: p.LGSPURL, ClientSecret: ClientSecret,
		CertFile: p.CertFile, KeyFile: p.KeyFile, StorePath: p.StorePath, Lag: p.Lag, Workers: p.Workers, Lease: "1m",
	})
	if err != nil {
		return err
	}
	if p.Poll != "" {
		re := regexp.MustCompile(`(?m)^  poll: .*$`)
		if !re.Match(b) {
			return errors.New("the demo configuration template has no schedule.poll line to replace")
		}
		b = re.ReplaceAll(b, []byte(`  poll: "`+p.Poll+`"`))
	}
	if p.Algorithm != "" {
		// The template leaves signing.algorithm at its default: add it
		// after the key file, inside the signing section.
		re := regexp.MustCompile(`(?m)^(  key_file: .*)$`)
		if len(re.FindAll(b, -1)) != 1 {
			return errors.New("the demo configuration template has no single signing.key_file line to add signing.algorithm after")
		}
		b = re.ReplaceAll(b, []byte("$1\n  algorithm: \""+p.Algorithm+"\""))
	}
	// The demo's client_id is what the sandbox is started with below.
	return os.WriteFile(path, b, 0o600)
}

// Process is a child process with its output in files.
type Process struct {
	Name           string
	Cmd            *exec.Cmd
	Stdout, Stderr string // file paths
	Started        time.Time
	done           chan struct{}
	err            error
	Ended          time.Time
}

// Start runs bin args… with stdout and stderr in dir/name.out and .err.
func Start(name, dir, bin string, args ...string) (*Process, error) {
	p := &Process{Name: name, Stdout: filepath.Join(dir, name+".out"), Stderr: filepath.Join(dir, name+".err"), done: make(chan struct{})}
	out, err := os.Create(p.Stdout)
	if err != nil {
		return nil, err
	}
	errf, err := os.Create(p.Stderr)
	if err != nil {
		out.Close()
		return nil, err
	}
	p.Cmd = exec.Command(bin, args...)
	p.Cmd.Stdout, p.Cmd.Stderr = out, errf
	p.Cmd.Env = append(os.Environ(), "LGSP_SANDBOX_CLIENT_SECRET="+ClientSecret)
	p.Started = time.Now()
	if err := p.Cmd.Start(); err != nil {
		out.Close()
		errf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.err = p.Cmd.Wait()
		p.Ended = time.Now()
		out.Close()
		errf.Close()
		close(p.done)
	}()
	return p, nil
}

// PID is the process id.
func (p *Process) PID() int { return p.Cmd.Process.Pid }

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait waits for the exit and returns its error.
func (p *Process) Wait() error { <-p.done; return p.err }

// Stop sends SIGINT (graceful stop, profiles written) and kills the
// process if it has not exited after grace.
func (p *Process) Stop(grace time.Duration) error {
	select {
	case <-p.done:
		return p.err
	default:
	}
	_ = p.Cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.Cmd.Process.Kill()
		<-p.done
	}
	return p.err
}

// Usage is what the kernel accounted to an exited process.
type Usage struct {
	MaxRSSKB  int64
	UserCPU   time.Duration
	SystemCPU time.Duration
}

// Usage returns the rusage of the exited process.
func (p *Process) Usage() Usage {
	<-p.done
	ru, ok := p.Cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return Usage{}
	}
	return Usage{MaxRSSKB: ru.Maxrss, UserCPU: p.Cmd.ProcessState.UserTime(), SystemCPU: p.Cmd.ProcessState.SystemTime()}
}

// Tail returns the last n lines of the process's stderr (for errors).
func (p *Process) Tail(n int) string {
	b, _ := os.ReadFile(p.Stderr)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// StartSandbox starts `lgsp-connector sandbox` on a free loopback port and
// returns it with its base URL. trustCert "" runs it without signature
// verification (the receiver's RSA verify then costs no CPU on this
// machine). extra are further sandbox flags, e.g. --allow-algorithm. The
// benchmarks read counts and packet metadata only, so the sandbox keeps no
// bodies (--memory-mib 0): 6,000,000 packets would otherwise hold 512 MiB
// for nothing.
func StartSandbox(ctx context.Context, dir, bin, trustCert string, extra ...string) (*Process, string, error) {
	args := []string{"sandbox", "--listen", "127.0.0.1:0", "--client-id", "lgsp-connector-demo", "--memory-mib", "0"}
	if trustCert != "" {
		args = append(args, "--trust", trustCert)
	}
	args = append(args, extra...)
	p, err := Start("sandbox", dir, bin, args...)
	if err != nil {
		return nil, "", err
	}
	addrRE := regexp.MustCompile(`msg="LGSP sandbox listening" addr=(\S+)`)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(p.Stderr)
		if m := addrRE.FindSubmatch(b); m != nil {
			return p, "http://" + string(m[1]), nil
		}
		select {
		case <-p.Done():
			return nil, "", fmt.Errorf("sandbox exited: %v\n%s", p.err, p.Tail(20))
		case <-ctx.Done():
			_ = p.Stop(time.Second)
			return nil, "", ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	_ = p.Stop(time.Second)
	return nil, "", fmt.Errorf("sandbox did not say where it listens within 15s:\n%s", p.Tail(20))
}

// ProcSample is one reading of /proc/PID.
type ProcSample struct {
	At         time.Time
	RSSKB      int64
	HWMKB      int64
	CPUTicks   int64 // utime + stime, in clock ticks
	FDs, Tasks int
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

// TicksToDuration converts /proc CPU ticks.
func TicksToDuration(t int64) time.Duration { return time.Duration(t) * time.Second / clockTicks }

// ReadProc samples /proc/PID/status and /proc/PID/stat.
func ReadProc(pid int) (ProcSample, error) {
	s := ProcSample{At: time.Now()}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(fields[0], 10, 64)
		switch k {
		case "VmRSS":
			s.RSSKB = n
		case "VmHWM":
			s.HWMKB = n
		case "Threads":
			s.Tasks = int(n)
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// The command name (field 2) may hold spaces: count fields after ')'.
	rest := string(stat)
	if i := strings.LastIndexByte(rest, ')'); i >= 0 {
		rest = rest[i+1:]
	}
	f := strings.Fields(rest)
	if len(f) > 12 {
		ut, _ := strconv.ParseInt(f[11], 10, 64) // field 14
		st, _ := strconv.ParseInt(f[12], 10, 64) // field 15
		s.CPUTicks = ut + st
	}
	if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		s.FDs = len(ents)
	}
	return s, nil
}

// FindProcess returns the pid of the first process whose comm is one of
// names (e.g. the MariaDB server), or 0.
func FindProcess(names ...string) int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err != nil {
			continue
		}
		for _, n := range names {
			if strings.TrimSpace(string(comm)) == n {
				return pid
			}
		}
	}
	return 0
}

// SystemCPU reads the machine's busy and total CPU ticks from /proc/stat.
func SystemCPU() (busy, total int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy, total
}

// GlobalStatus reads SHOW GLOBAL STATUS as integers.
func GlobalStatus(ctx context.Context, db *sql.DB) (map[string]int64, error) {
	rows, err := db.QueryContext(ctx, "SHOW GLOBAL STATUS")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			out[k] = n
		}
	}
	return out, rows.Err()
}

// StatusKeys are the server counters the benchmarks report.
var StatusKeys = []string{"Questions", "Com_select", "Handler_read_key", "Handler_read_next", "Handler_read_rnd_next", "Rows_read", "Innodb_rows_read", "Innodb_buffer_pool_reads", "Bytes_sent"}

// StatusDelta formats per-second deltas of StatusKeys (the counters the
// server does not have are left out).
func StatusDelta(before, after map[string]int64, secs float64) []string {
	var out []string
	for _, k := range StatusKeys {
		a, okA := after[k]
		b, okB := before[k]
		if !okA || !okB {
			continue
		}
		out = append(out, fmt.Sprintf("%-26s %12d  (%10.1f/s)", k, a-b, float64(a-b)/secs))
	}
	return out
}

// Machine describes the machine for the report.
func Machine(ctx context.Context, serverDSN string) []string {
	var out []string
	model := "unknown"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	var memGB float64
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "MemTotal:") {
				f := strings.Fields(line)
				kb, _ := strconv.ParseFloat(f[1], 64)
				memGB = kb / 1024 / 1024
			}
		}
	}
	load, _ := os.ReadFile("/proc/loadavg")
	out = append(out,
		fmt.Sprintf("date:        %s", time.Now().Format(time.RFC3339)),
		fmt.Sprintf("cpu:         %d × %s (GOMAXPROCS %d)", runtime.NumCPU(), model, runtime.GOMAXPROCS(0)),
		fmt.Sprintf("memory:      %.1f GiB", memGB),
		fmt.Sprintf("load avg:    %s", strings.TrimSpace(string(load))),
		fmt.Sprintf("go:          %s", runtime.Version()))
	if db, err := sql.Open("mysql", serverDSN); err == nil {
		var v, flush, pool string
		if db.QueryRowContext(ctx, "SELECT VERSION(), @@innodb_flush_log_at_trx_commit, @@innodb_buffer_pool_size").Scan(&v, &flush, &pool) == nil {
			out = append(out, fmt.Sprintf("mariadb:     %s (innodb_flush_log_at_trx_commit=%s, buffer pool %s bytes)", v, flush, pool))
		}
		db.Close()
	}
	return out
}

// PprofTop summarises a CPU profile with `go tool pprof -top` (with
// cum, sorted by cumulative time: where the time goes by caller).
func PprofTop(ctx context.Context, bin, profile string, nodes int, cum bool) string {
	args := []string{"tool", "pprof", "-top", fmt.Sprintf("-nodecount=%d", nodes)}
	if cum {
		args = append(args, "-cum")
	}
	cmd := exec.CommandContext(ctx, "go", append(args, bin, profile)...)
	b, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Sprintf("(go tool pprof failed: %v)\n%s", err, b)
	}
	return string(b)
}

// HasFlag reports whether `bin sub --help` lists flag (the harness runs
// against whatever build it is given).
func HasFlag(bin, sub, flag string) bool {
	b, _ := exec.Command(bin, sub, "--help").CombinedOutput()
	return bytes.Contains(b, []byte("--"+flag))
}

// Percentile returns the p-th percentile (0–100) of sorted durations,
// nearest rank.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

// SortDurations sorts in place and returns ds.
func SortDurations(ds []time.Duration) []time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds
}

// MiB formats kilobytes as MiB.
func MiB(kb int64) string { return fmt.Sprintf("%.1f MiB", float64(kb)/1024) }

// CopyTail copies the last lines of a file to w (for the report).
func CopyTail(w io.Writer, path string, n int) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for _, l := range lines {
		fmt.Fprintln(w, "    "+l)
	}
}

// ReadSchedstat sums /proc/PID/task/*/schedstat: nanoseconds the
// process's threads ran, and nanoseconds they were runnable but waiting
// for a CPU (on a shared machine, time taken by other processes).
// Threads that have already exited are not counted.
func ReadSchedstat(pid int) (run, wait time.Duration, err error) {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, t.Name()))
		if err != nil {
			continue // the thread ended meanwhile
		}
		f := strings.Fields(string(b))
		if len(f) < 2 {
			continue
		}
		r, _ := strconv.ParseInt(f[0], 10, 64)
		w, _ := strconv.ParseInt(f[1], 10, 64)
		run += time.Duration(r)
		wait += time.Duration(w)
	}
	return run, wait, nil
}

// EnvOr is the environment variable k, or def when it is unset or empty.
func EnvOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// SignedSandbox makes a signing key pair in dir and starts the sandbox;
// with verify the sandbox checks every signature against the certificate.
func SignedSandbox(ctx context.Context, dir, bin string, verify bool) (sb *Process, url, certFile, keyFile string, err error) {
	return SignedSandboxFor(ctx, dir, bin, verify, signing.RSASHA256)
}

// SignedSandboxFor is SignedSandbox with a key for alg; a verifying
// sandbox is told to accept alg (it accepts only RSA unless told).
func SignedSandboxFor(ctx context.Context, dir, bin string, verify bool, alg signing.Algorithm) (sb *Process, url, certFile, keyFile string, err error) {
	if certFile, keyFile, err = KeyPairFor(dir, alg); err != nil {
		return nil, "", "", "", err
	}
	trust := ""
	var extra []string
	if verify {
		trust = certFile
		extra = []string{"--allow-algorithm", alg.String()}
	}
	sb, url, err = StartSandbox(ctx, dir, bin, trust, extra...)
	return sb, url, certFile, keyFile, err
}

// SampleDatabase fills database dbName with dossiers sample dossiers (9
// steps at most, seed 1) and returns its DSN; drop removes it again.
func SampleDatabase(ctx context.Context, bin, serverDSN, dbName string, dossiers int) (dsn string, drop func(), err error) {
	if dsn, err = DatabaseDSN(serverDSN, dbName); err != nil {
		return "", nil, err
	}
	Logf("generating %d dossiers into %s", dossiers, dbName)
	if _, _, err := GenSample(ctx, bin, serverDSN, dbName, dossiers, 9, 1); err != nil {
		return "", nil, err
	}
	return dsn, func() { _ = DropDatabase(context.Background(), serverDSN, dbName) }, nil
}
