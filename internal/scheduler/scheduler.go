// Package scheduler runs the connector's periodic jobs (polling the legacy
// source, the daily progress push, monthly statistics, catalog refresh,
// heartbeat) on cron schedules in an explicit time zone. It wraps
// robfig/cron/v3 so that no other package depends on it directly, and adds
// what cron leaves to its callers: panics are recovered and logged, a run
// is skipped while the previous one is still going, every run gets a
// context that Stop cancels, and Stop waits for running jobs.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
)

// DefaultTimezone is the zone schedules are read in unless configured
// otherwise: every installation is in Viet Nam.
const DefaultTimezone = "Asia/Ho_Chi_Minh"

var (
	// ErrSkipped is returned by RunNow when the job's previous run is
	// still going; scheduled runs in that case are skipped and logged.
	ErrSkipped = errors.New("bỏ qua vì lần chạy trước chưa xong / skipped: previous run still running")
	// ErrStopped is returned by Add and RunNow after Stop.
	ErrStopped = errors.New("bộ lập lịch đã dừng / scheduler stopped")
)

// Options configure New.
type Options struct {
	// Location is the zone schedules are read in; nil means
	// DefaultLocation().
	Location *time.Location
	// Logger receives job lifecycle (debug), failures (warn) and panics
	// (error), each with the job name; nil discards. The caller adds any
	// component attribute.
	Logger *slog.Logger
}

// Scheduler runs named jobs on cron schedules. Its methods are safe for
// concurrent use.
type Scheduler struct {
	cron *cron.Cron
	loc  *time.Location
	log  *slog.Logger

	// base is the parent of every run's context; Stop cancels it.
	base   context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	jobs    map[string]*job
	started bool
	stopped bool
	// running counts runs in progress; Add is only called under mu while
	// !stopped, so Stop's Wait never races with a new run.
	running sync.WaitGroup
}

// job is one named job and what is known about its runs.
type job struct {
	name     string
	spec     string
	schedule cron.Schedule
	fn       func(context.Context) error
	busy     atomic.Bool

	mu       sync.Mutex
	lastRun  time.Time
	lastTook time.Duration
	lastErr  error
	runs     int
}

// New returns a stopped scheduler with no jobs.
func New(o Options) *Scheduler {
	loc := o.Location
	if loc == nil {
		loc = DefaultLocation()
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	base, cancel := context.WithCancel(context.Background())
	s := &Scheduler{loc: loc, log: log, base: base, cancel: cancel, jobs: map[string]*job{}}
	s.cron = cron.New(
		cron.WithLocation(loc),
		cron.WithParser(parser),
		cron.WithLogger(cronLogger{log}),
		// Each run recovers its own panics and skips overlaps (see run, which
		// RunNow shares); cron's own Recover and SkipIfStillRunning stay in
		// the chain as the last guard for scheduled runs.
		cron.WithChain(cron.Recover(cronLogger{log}), cron.SkipIfStillRunning(cronLogger{log})),
	)
	return s
}

// Location is the zone schedules are read in.
func (s *Scheduler) Location() *time.Location { return s.loc }

// Add registers job under name to run on spec: five cron fields (minute
// hour day-of-month month day-of-week), optionally preceded by a seconds
// field, optionally prefixed with CRON_TZ=<zone>; or a descriptor such as
// @daily, @hourly or "@every 30s". Jobs may be added before or after
// Start.
func (s *Scheduler) Add(name, spec string, fn func(ctx context.Context) error) error {
	if strings.TrimSpace(name) == "" {
		return errors.New("scheduler: job name is empty")
	}
	if fn == nil {
		return fmt.Errorf("scheduler: job %q: function is nil", name)
	}
	sched, err := ParseSpec(spec)
	if err != nil {
		return fmt.Errorf("scheduler: job %q: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return fmt.Errorf("scheduler: job %q: %w", name, ErrStopped)
	}
	if _, dup := s.jobs[name]; dup {
		return fmt.Errorf("scheduler: job %q added twice", name)
	}
	j := &job{name: name, spec: spec, schedule: sched, fn: fn}
	s.jobs[name] = j
	s.cron.Schedule(sched, cron.FuncJob(func() { _ = s.run(j, "schedule") }))
	return nil
}

// Start begins running jobs on their schedules and returns at once. It
// does nothing if already started or stopped.
func (s *Scheduler) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.stopped {
		return
	}
	s.started = true
	s.cron.Start()
	s.log.Debug("scheduler started", "jobs", len(s.jobs), "timezone", s.loc.String())
}

// Stop stops scheduling, cancels the context of every running job and
// waits for them to return, at most until ctx is done; then it reports
// which jobs are still running. Stop is idempotent and safe without Start.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()

	s.cancel()
	cronDone := s.cron.Stop()
	done := make(chan struct{})
	go func() {
		s.running.Wait()
		<-cronDone.Done()
		close(done)
	}()
	select {
	case <-done:
		s.log.Debug("scheduler stopped")
		return nil
	case <-ctx.Done():
		return fmt.Errorf("scheduler: stop: jobs still running (%s): %w", strings.Join(s.busyJobs(), ", "), ctx.Err())
	}
}

// RunNow runs the named job once, now, in the caller's goroutine, under
// the same rules as a scheduled run (panic recovery, skip if running). It
// returns the job's error, ErrSkipped, or ErrStopped. Used by the CLI and
// by tests; it does not need Start.
func (s *Scheduler) RunNow(name string) error {
	s.mu.Lock()
	j, ok := s.jobs[name]
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("scheduler: no job named %q (jobs: %s)", name, strings.Join(s.names(), ", "))
	}
	return s.run(j, "manual")
}

// Next returns when the named job runs next after the instant after,
// reading its schedule in the scheduler's zone.
func (s *Scheduler) Next(name string, after time.Time) (time.Time, error) {
	s.mu.Lock()
	j, ok := s.jobs[name]
	s.mu.Unlock()
	if !ok {
		return time.Time{}, fmt.Errorf("scheduler: no job named %q", name)
	}
	return j.schedule.Next(after.In(s.loc)), nil
}

// JobStatus describes one job for the admin dashboard and `doctor`.
type JobStatus struct {
	Name    string
	Spec    string
	Running bool
	Runs    int           // completed runs since start-up
	LastRun time.Time     // start of the last completed run; zero if none
	Took    time.Duration // duration of the last completed run
	LastErr string        // error of the last completed run; "" on success
}

// Jobs lists the jobs, sorted by name.
func (s *Scheduler) Jobs() []JobStatus {
	s.mu.Lock()
	jobs := make([]*job, 0, len(s.jobs))
	for _, j := range s.jobs {
		jobs = append(jobs, j)
	}
	s.mu.Unlock()
	sort.Slice(jobs, func(a, b int) bool { return jobs[a].name < jobs[b].name })
	out := make([]JobStatus, len(jobs))
	for i, j := range jobs {
		j.mu.Lock()
		out[i] = JobStatus{Name: j.name, Spec: j.spec, Running: j.busy.Load(), Runs: j.runs, LastRun: j.lastRun, Took: j.lastTook}
		if j.lastErr != nil {
			out[i].LastErr = j.lastErr.Error()
		}
		j.mu.Unlock()
	}
	return out
}

// run executes one run of j. trigger is "schedule" or "manual"; only
// scheduled failures are logged at warn, since RunNow hands the error to
// its caller (logging it too would report it twice).
func (s *Scheduler) run(j *job, trigger string) (err error) {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return ErrStopped
	}
	s.running.Add(1)
	s.mu.Unlock()
	defer s.running.Done()

	if !j.busy.CompareAndSwap(false, true) {
		s.log.Info("job skipped: previous run still running", "job", j.name, "trigger", trigger)
		return fmt.Errorf("job %q: %w", j.name, ErrSkipped)
	}
	defer j.busy.Store(false)

	ctx, cancel := context.WithCancel(s.base)
	defer cancel()
	start := time.Now()
	s.log.Debug("job started", "job", j.name, "trigger", trigger)
	defer func() {
		took := time.Since(start)
		if r := recover(); r != nil {
			err = fmt.Errorf("job %q panicked: %v", j.name, r)
			s.log.Error("job panicked; the scheduler carries on", "job", j.name, "trigger", trigger,
				"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		} else if err != nil && trigger == "schedule" {
			s.log.Warn("job failed", "job", j.name, "took", took, "err", err)
		} else {
			s.log.Debug("job finished", "job", j.name, "trigger", trigger, "took", took, "ok", err == nil)
		}
		j.mu.Lock()
		j.lastRun, j.lastTook, j.lastErr = start, took, err
		j.runs++
		j.mu.Unlock()
	}()
	return j.fn(ctx)
}

func (s *Scheduler) names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.jobs))
	for n := range s.jobs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (s *Scheduler) busyJobs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for n, j := range s.jobs {
		if j.busy.Load() {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// cronLogger passes robfig/cron's own messages to slog. Cron reports every
// wake-up at info level; for us that is debug detail.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, keysAndValues ...any) {
	l.log.Debug("cron: "+msg, keysAndValues...)
}

func (l cronLogger) Error(err error, msg string, keysAndValues ...any) {
	l.log.Error("cron: "+msg, append([]any{"err", err}, keysAndValues...)...)
}
