package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/hcmc-lgsp/lgsp-connector/internal/app"
)

// backfillThreshold is the backlog from which `once --progress auto`
// shows a bar: below it a pass takes seconds.
const backfillThreshold = 5000

type backfillBar struct {
	w    io.Writer
	bar  *progressbar.ProgressBar
	stop chan struct{}
	wg   sync.WaitGroup
}

// newBackfillBar shows read progress (with rate and ETA) against the
// source's backlog and the delivered count beside it. It returns nil when
// no bar is wanted or the source cannot count.
func newBackfillBar(ctx context.Context, a *app.App, w io.Writer, mode string) *backfillBar {
	if mode == "never" {
		return nil
	}
	total, ok, err := a.Pipeline.Backlog(ctx)
	if err != nil || !ok || total == 0 {
		return nil
	}
	if mode != "always" && (total < backfillThreshold || !isTTY(w)) {
		return nil
	}
	b := &backfillBar{w: w, stop: make(chan struct{})}
	b.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("đọc / read"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rec"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionFullWidth(),
	)
	a.Pipeline.OnRead(func(n int) { _ = b.bar.Add(n) })
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-b.stop:
				return
			case <-t.C:
				b.bar.Describe(fmt.Sprintf("đọc / read — đã gửi / sent %d", a.Pipeline.Totals().Delivered))
			}
		}
	}()
	return b
}

func (b *backfillBar) finish() {
	close(b.stop)
	b.wg.Wait()
	_ = b.bar.Finish()
	_ = b.bar.Exit()
	fmt.Fprintln(b.w)
}

func isTTY(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// profileFlags add --cpuprofile and --memprofile, for measuring a
// backfill or an idle `run` with `go tool pprof`.
type profileFlags struct{ cpu, mem string }

func (p *profileFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&p.cpu, "cpuprofile", "", "ghi hồ sơ CPU (pprof) vào tệp / write a CPU profile to this file")
	cmd.Flags().StringVar(&p.mem, "memprofile", "", "ghi hồ sơ bộ nhớ (pprof) khi thoát / write a heap profile on exit")
}

func (p *profileFlags) start() (func(), error) {
	stopCPU := func() {}
	if p.cpu != "" {
		f, err := os.Create(p.cpu)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
		stopCPU = func() { pprof.StopCPUProfile(); f.Close() }
	}
	return func() {
		stopCPU()
		if p.mem != "" {
			if f, err := os.Create(p.mem); err == nil {
				runtime.GC()
				_ = pprof.WriteHeapProfile(f)
				f.Close()
			}
		}
	}, nil
}
