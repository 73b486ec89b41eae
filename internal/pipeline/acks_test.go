package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
)

// The writer records every acknowledgement handed to it by the time stop
// returns, and reports the one it could not record.
func TestAckGroupRecordsEveryAcknowledgement(t *testing.T) {
	ctx := context.Background()
	store, err := outbox.Open(ctx, outbox.Options{Path: filepath.Join(t.TempDir(), "outbox.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	const n = 600 // more than one group
	pkts := make([]outbox.NewPacket, n)
	for i := range pkts {
		pkts[i] = outbox.NewPacket{ID: fmt.Sprintf("p%04d", i), RecordKey: fmt.Sprint(i), Kind: "HoSo", Body: []byte("<GoiTin/>")}
	}
	if _, err := store.Commit(ctx, "ho_so", nil, pkts, nil); err != nil {
		t.Fatal(err)
	}
	var leased []outbox.Packet
	for len(leased) < n {
		ps, err := store.Lease(ctx, "w", 1000, time.Minute)
		if err != nil || len(ps) == 0 {
			t.Fatalf("Lease = %d packets, %v", len(ps), err)
		}
		leased = append(leased, ps...)
	}

	var (
		mu       sync.Mutex
		failures []error
	)
	g := startAckGroup(store, func(err error) {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, err)
	})
	var wg sync.WaitGroup
	for w := range 8 { // workers hand acknowledgements over concurrently
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n-1; i += 8 {
				g.markDelivered(leased[i].ID, outbox.Attempt{HTTPStatus: 200, Owner: "w"})
			}
		}()
	}
	wg.Wait()
	g.markDelivered("no-such-packet", outbox.Attempt{HTTPStatus: 200, Owner: "w"})
	g.stop()

	c, err := store.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Delivered != n-1 || c.InFlight != 1 || c.Attempts != n-1 {
		t.Errorf("after stop: %d delivered, %d in flight, %d attempts; want %d, 1, %d", c.Delivered, c.InFlight, c.Attempts, n-1, n-1)
	}
	if len(failures) != 1 || !errors.Is(failures[0], outbox.ErrNotFound) || !strings.Contains(failures[0].Error(), "no-such-packet") {
		t.Errorf("failures = %v, want one ErrNotFound naming no-such-packet", failures)
	}
}
