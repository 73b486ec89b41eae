package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
)

// maxAckGroup bounds one group of acknowledgements written together;
// ackLinger is how long the writer waits for a group to fill.
const (
	maxAckGroup = 256
	ackLinger   = 20 * time.Millisecond
)

// ackGroup writes the delivery workers' acknowledgements in groups. A worker
// hands its acknowledgement over and goes on to its next packet; the writer
// gathers what arrives within ackLinger (or while the previous group is
// written) and records it in one transaction, so under load one WAL commit
// serves dozens of packets. Nothing is acknowledged to LGSP by this: a crash
// before the write only means those packets are sent again under the same
// message IDs, which the receiver drops. Until written, a packet stays in
// flight under its lease, so no other worker sends it meanwhile.
type ackGroup struct {
	store  *outbox.Store
	reqs   chan outbox.Delivery
	failed func(error)
	done   chan struct{}
}

// startAckGroup starts the writer; failed is told of every write that did
// not record an acknowledgement (other than a lease already taken over).
// Stop it once no worker uses it: stop writes what is left.
func startAckGroup(store *outbox.Store, failed func(error)) *ackGroup {
	g := &ackGroup{store: store, reqs: make(chan outbox.Delivery, maxAckGroup), failed: failed, done: make(chan struct{})}
	go g.run()
	return g
}

// markDelivered queues the acknowledgement for the next group.
func (g *ackGroup) markDelivered(id string, a outbox.Attempt) {
	g.reqs <- outbox.Delivery{ID: id, Attempt: a}
}

func (g *ackGroup) stop() {
	close(g.reqs)
	<-g.done
}

func (g *ackGroup) run() {
	defer close(g.done)
	group := make([]outbox.Delivery, 0, maxAckGroup)
	linger := time.NewTimer(ackLinger)
	linger.Stop()
	for first := range g.reqs {
		group = append(group[:0], first)
		linger.Reset(ackLinger)
	gather:
		for len(group) < maxAckGroup {
			select {
			case d, ok := <-g.reqs:
				if !ok {
					break gather
				}
				group = append(group, d)
			case <-linger.C:
				break gather
			}
		}
		linger.Stop()
		// Settled even during shutdown, like a single mark.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs := g.store.MarkDeliveredAll(ctx, group)
		cancel()
		for i, err := range errs {
			if err != nil && !errors.Is(err, outbox.ErrNotInFlight) {
				g.failed(fmt.Errorf("record delivery of packet %s: %w", group[i].ID, err))
			}
		}
	}
}
