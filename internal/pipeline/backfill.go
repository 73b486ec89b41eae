package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
)

// OnRead registers fn to be told how many records each committed batch
// read (a backfill's progress bar). Safe to call while running.
func (p *Pipeline) OnRead(fn func(n int)) { p.onRead.Store(&fn) }

// Backlog counts the records the source still has to hand over after the
// stored cursors. ok is false when the source cannot count — also when it
// counts some streams only (a connectors.Multi whose member for a stream
// cannot count answers errors.ErrUnsupported): a partial count would make
// a wrong progress bar.
func (p *Pipeline) Backlog(ctx context.Context) (n int64, ok bool, err error) {
	counter, ok := p.src.(connectors.Counter)
	if !ok {
		return 0, false, nil
	}
	for _, stream := range p.src.Streams() {
		raw, err := p.store.Cursor(ctx, stream)
		if err != nil {
			return 0, true, err
		}
		var cur connectors.Cursor
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &cur); err != nil {
				return 0, true, fmt.Errorf("stream %s: stored cursor %q is unreadable: %w", stream, raw, err)
			}
		}
		c, err := counter.Count(ctx, stream, cur)
		if errors.Is(err, errors.ErrUnsupported) {
			return 0, false, nil
		}
		if err != nil {
			return 0, true, err
		}
		n += c
	}
	return n, true, nil
}

// backlogFull reports whether MaxPending packets are waiting. It asks the
// store only when this process's own counters say the limit may be near,
// so the common case costs nothing.
func (p *Pipeline) backlogFull(ctx context.Context) (bool, error) {
	settled := p.c.delivered.Load() + p.c.dead.Load()
	if p.pendingKnown.Load() && p.c.queued.Load()-settled+p.pendingAtStart.Load() < int64(p.o.MaxPending) {
		return false, nil
	}
	c, err := p.store.Counts(ctx)
	if err != nil {
		return false, err
	}
	waiting := c.Pending + c.InFlight
	// Re-base the estimate on the store's truth.
	p.pendingAtStart.Store(int64(waiting) - (p.c.queued.Load() - settled))
	p.pendingKnown.Store(true)
	return waiting >= p.o.MaxPending, nil
}

// Drain reads every stream to the end and delivers until no packet is
// pending or in flight — retries included (the demo, tests). Reading and
// delivery run side by side.
func (p *Pipeline) Drain(ctx context.Context, tick time.Duration) error {
	return p.pass(ctx, tick, true)
}

// Once reads every stream to the end while delivering, then delivers what
// is due and returns; packets waiting for a later retry stay in the
// outbox for the next run (`lgsp-connector once`, cron).
func (p *Pipeline) Once(ctx context.Context, tick time.Duration) error {
	return p.pass(ctx, tick, false)
}

func (p *Pipeline) pass(ctx context.Context, tick time.Duration, settle bool) error {
	if tick <= 0 {
		tick = 100 * time.Millisecond
	}
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var finish atomic.Bool
	done := make(chan error, 1)
	go func() { done <- p.runDelivery(dctx, tick, &finish) }()
	// stop lets the sends under way finish: interrupting them would only
	// have them sent again (the receiver dropping whatever had arrived).
	stop := func() error { finish.Store(true); p.Wake(); return <-done }
	wait := func() bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(tick):
			return true
		}
	}
	for {
		st, err := p.Poll(ctx)
		if err != nil {
			_ = stop()
			return err
		}
		if !st.Paused {
			break
		}
		if !wait() { // delivery catches up, then reading continues
			_ = stop()
			return ctx.Err()
		}
	}
	for settle {
		c, err := p.store.Counts(ctx)
		if err != nil {
			_ = stop()
			return err
		}
		if c.Pending == 0 && c.InFlight == 0 {
			break
		}
		if !wait() {
			_ = stop()
			return ctx.Err()
		}
	}
	if err := stop(); err != nil {
		return err
	}
	if !settle {
		_, err := p.DeliverDue(ctx)
		return err
	}
	return ctx.Err()
}
