package scheduler

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// syncBuffer is a log sink the test can read while jobs write to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newTestScheduler(t *testing.T) (*Scheduler, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	s := New(Options{Location: time.UTC, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			t.Errorf("cleanup Stop: %v", err)
		}
	})
	return s, logs
}

const wait = 10 * time.Second // upper bound for channel waits; never reached when things work

func recv(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(wait):
		t.Fatalf("timed out waiting for %s", what)
	}
}

func TestPanicRecovered(t *testing.T) {
	s, logs := newTestScheduler(t)
	var calls atomic.Int32
	if err := s.Add("boom", "@every 1h", func(context.Context) error {
		if calls.Add(1) == 1 {
			panic("index out of range in mapper")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	err := s.RunNow("boom")
	if err == nil || !strings.Contains(err.Error(), `job "boom" panicked: index out of range in mapper`) {
		t.Fatalf("RunNow after panic = %v, want the panic as an error", err)
	}
	out := logs.String()
	if !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "job=boom") || !strings.Contains(out, "stack=") {
		t.Errorf("panic not logged at error with job name and stack:\n%s", out)
	}
	// The job is usable again: the busy flag was released.
	if err := s.RunNow("boom"); err != nil {
		t.Errorf("second run = %v, want nil", err)
	}
	if st := s.Jobs()[0]; st.Runs != 2 || st.LastErr != "" {
		t.Errorf("status after two runs = %+v", st)
	}
}

// A panic in a scheduled run must not take the cron loop down: the next
// tick still runs. Uses a one-second schedule, so it takes about 2 s.
func TestScheduledPanicAndErrorDoNotStopTheLoop(t *testing.T) {
	s, logs := newTestScheduler(t)
	third := make(chan struct{})
	var calls atomic.Int32
	if err := s.Add("tick", "* * * * * *", func(context.Context) error {
		switch calls.Add(1) {
		case 1:
			panic("first tick fails hard")
		case 2:
			return errors.New("LGSP unreachable")
		case 3:
			close(third)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s.Start()
	recv(t, third, "third scheduled run")
	out := logs.String()
	for _, want := range []string{
		`level=ERROR msg="job panicked; the scheduler carries on" job=tick trigger=schedule panic="first tick fails hard"`,
		`level=WARN msg="job failed" job=tick`,
		`err="LGSP unreachable"`,
		`level=DEBUG msg="job started" job=tick trigger=schedule`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestOverlappingRunSkipped(t *testing.T) {
	s, logs := newTestScheduler(t)
	started, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	if err := s.Add("poll", "@every 30s", func(context.Context) error {
		calls.Add(1)
		close(started)
		<-release
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	first := make(chan error, 1)
	go func() { first <- s.RunNow("poll") }()
	recv(t, started, "first run to start")

	if err := s.RunNow("poll"); !errors.Is(err, ErrSkipped) {
		t.Fatalf("overlapping RunNow = %v, want ErrSkipped", err)
	}
	if st := s.Jobs()[0]; !st.Running {
		t.Errorf("status while running = %+v, want Running", st)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("first run = %v", err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("job ran %d times, want 1", n)
	}
	if !strings.Contains(logs.String(), `msg="job skipped: previous run still running" job=poll`) {
		t.Errorf("skip not logged:\n%s", logs.String())
	}
}

func TestStopCancelsAndWaits(t *testing.T) {
	s := New(Options{Location: time.UTC})
	started, sawCancel, finish := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var jobErr atomic.Value
	if err := s.Add("push", "@daily", func(ctx context.Context) error {
		close(started)
		<-ctx.Done()
		jobErr.Store(ctx.Err())
		close(sawCancel)
		<-finish // the job takes a while to wind down
		return ctx.Err()
	}); err != nil {
		t.Fatal(err)
	}
	s.Start()
	go func() { _ = s.RunNow("push") }()
	recv(t, started, "job to start")

	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		stopped <- s.Stop(ctx)
	}()
	recv(t, sawCancel, "job context to be cancelled by Stop")
	if err, _ := jobErr.Load().(error); !errors.Is(err, context.Canceled) {
		t.Errorf("job saw ctx.Err() = %v, want context.Canceled", err)
	}
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) while the job was still running", err)
	default:
	}
	close(finish)
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("Stop = %v, want nil", err)
		}
	case <-time.After(wait):
		t.Fatal("Stop did not return after the job finished")
	}

	if err := s.RunNow("push"); !errors.Is(err, ErrStopped) {
		t.Errorf("RunNow after Stop = %v, want ErrStopped", err)
	}
	if err := s.Add("late", "@daily", func(context.Context) error { return nil }); !errors.Is(err, ErrStopped) {
		t.Errorf("Add after Stop = %v, want ErrStopped", err)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Errorf("second Stop = %v, want nil (idempotent)", err)
	}
}

func TestStopDeadlineNamesRunningJobs(t *testing.T) {
	s := New(Options{})
	started, release := make(chan struct{}), make(chan struct{})
	if err := s.Add("stubborn", "@hourly", func(context.Context) error {
		close(started)
		<-release // ignores its context
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = s.RunNow("stubborn"); close(done) }()
	recv(t, started, "job to start")

	ctx, cancel := context.WithCancel(context.Background())
	cancel() // deadline already passed
	err := s.Stop(ctx)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "stubborn") {
		t.Errorf("Stop past deadline = %v, want context.Canceled naming the job", err)
	}
	close(release)
	recv(t, done, "job to return")
}

func TestStopWithoutStart(t *testing.T) {
	s := New(Options{})
	if err := s.Stop(context.Background()); err != nil {
		t.Fatalf("Stop without Start = %v", err)
	}
}

func TestAddErrors(t *testing.T) {
	ok := func(context.Context) error { return nil }
	tests := []struct {
		name, job, spec string
		fn              func(context.Context) error
		want            string
	}{
		{"minute out of range", "poll", "61 * * * *", ok, `job "poll": schedule "61 * * * *"`},
		{"too many fields", "poll", "* * * * * * *", ok, `job "poll": schedule "* * * * * * *"`},
		{"unknown descriptor", "stats", "@sometimes", ok, `job "stats": schedule "@sometimes"`},
		{"every without unit", "poll", "@every 30", ok, `job "poll": schedule "@every 30"`},
		{"every too short", "poll", "@every 500ms", ok, "at least 1s"},
		{"every fraction", "poll", "@every 1.5s", ok, "whole seconds"},
		{"empty", "poll", " ", ok, "empty schedule"},
		{"tz without fields", "poll", "CRON_TZ=Asia/Ho_Chi_Minh", ok, "no fields after the time zone"},
		{"unknown tz", "poll", "CRON_TZ=Mars/Olympus 0 2 * * *", ok, `job "poll"`},
		{"empty name", "", "@daily", ok, "job name is empty"},
		{"nil func", "poll", "@daily", nil, `job "poll": function is nil`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Options{})
			err := s.Add(tt.job, tt.spec, tt.fn)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Add(%q, %q) = %v, want error containing %q", tt.job, tt.spec, err, tt.want)
			}
		})
	}
	s := New(Options{})
	if err := s.Add("poll", "@every 30s", ok); err != nil {
		t.Fatal(err)
	}
	if err := s.Add("poll", "@daily", ok); err == nil || !strings.Contains(err.Error(), `"poll" added twice`) {
		t.Errorf("duplicate Add = %v", err)
	}
	if err := s.RunNow("pol"); err == nil || !strings.Contains(err.Error(), `no job named "pol" (jobs: poll)`) {
		t.Errorf("RunNow unknown = %v", err)
	}
}

func TestSpecsAccepted(t *testing.T) {
	for _, spec := range []string{"@every 30s", "@every 1m", "@daily", "@hourly", "@monthly",
		"0 2 * * *", "*/10 * * * * *", "0 0 7 1 * *", "CRON_TZ=Asia/Ho_Chi_Minh 0 2 * * *", "0 8 * * MON-FRI"} {
		if _, err := ParseSpec(spec); err != nil {
			t.Errorf("ParseSpec(%q) = %v", spec, err)
		}
	}
}

func TestLocationHonoured(t *testing.T) {
	hcm, err := LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	after := time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC) // 07:00 in Ho Chi Minh City
	tests := []struct {
		name string
		loc  *time.Location
		spec string
		want time.Time
	}{
		// 02:00 local, already past today in Viet Nam → tomorrow 02:00 +07 = 19:00 UTC.
		{"daily in HCM", hcm, "0 2 * * *", time.Date(2024, 1, 31, 19, 0, 0, 0, time.UTC)},
		{"daily in UTC", time.UTC, "0 2 * * *", time.Date(2024, 1, 31, 2, 0, 0, 0, time.UTC)},
		// The monthly statistics run at 00:30 on the 1st, local time.
		{"monthly in HCM", hcm, "30 0 1 * *", time.Date(2024, 1, 31, 17, 30, 0, 0, time.UTC)},
		{"fixed +07 fallback", time.FixedZone("UTC+07", 7*3600), "30 0 1 * *", time.Date(2024, 1, 31, 17, 30, 0, 0, time.UTC)},
		// An explicit CRON_TZ wins over the scheduler's zone.
		{"spec zone wins", hcm, "CRON_TZ=UTC 0 2 * * *", time.Date(2024, 1, 31, 2, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Options{Location: tt.loc})
			if err := s.Add("job", tt.spec, func(context.Context) error { return nil }); err != nil {
				t.Fatal(err)
			}
			got, err := s.Next("job", after)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("Next = %s (%s UTC), want %s", got, got.UTC(), tt.want)
			}
		})
	}
}

func TestDefaultLocation(t *testing.T) {
	s := New(Options{})
	at := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	if _, off := at.In(s.Location()).Zone(); off != 7*3600 {
		t.Errorf("default zone offset = %d s, want +07:00", off)
	}
	if _, err := LoadLocation("Asia/Hanoi_Typo"); err == nil || !strings.Contains(err.Error(), "unknown time zone") {
		t.Errorf("LoadLocation(bad) = %v", err)
	}
	if loc, err := LoadLocation(""); err != nil || loc == nil {
		t.Errorf("LoadLocation(\"\") = %v, %v", loc, err)
	}
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"@every 30s", "0 2 * * *", "CRON_TZ=", "TZ=UTC", "TZ=UTC *", "*/0 * * * *", "@every -1s", "1-100/0 * * * *", "0 0 31 2 *"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		sched, err := ParseSpec(spec) // must not panic
		if err == nil && sched == nil {
			t.Fatalf("ParseSpec(%q) returned neither schedule nor error", spec)
		}
	})
}
