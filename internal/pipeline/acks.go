package pipeline

import (
	"context"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
)

// maxAckGroup bounds one group of acknowledgements written together.
const maxAckGroup = 256

// ackGroup writes the delivery workers' acknowledgements in groups. A worker
// hands its acknowledgement over and waits until it is written, as it
// would for its own transaction; while one group is being written the next
// gathers, so under load one WAL commit serves many packets and an idle
// connector pays no wait at all. Nothing is acknowledged to LGSP by this, so
// a crash before the write only means the packet is sent again under the
// same message ID, which the receiver drops.
type ackGroup struct {
	store *outbox.Store
	reqs  chan ackReq
	done  chan struct{}
}

type ackReq struct {
	d   outbox.Delivery
	res chan error
}

// startAckGroup starts the writer; stop it once no worker uses it.
func startAckGroup(store *outbox.Store) *ackGroup {
	g := &ackGroup{store: store, reqs: make(chan ackReq), done: make(chan struct{})}
	go g.run()
	return g
}

// markDelivered records the acknowledgement and returns what
// outbox.MarkDelivered would have.
func (g *ackGroup) markDelivered(id string, a outbox.Attempt) error {
	res := make(chan error, 1)
	g.reqs <- ackReq{d: outbox.Delivery{ID: id, Attempt: a}, res: res}
	return <-res
}

func (g *ackGroup) stop() {
	close(g.reqs)
	<-g.done
}

func (g *ackGroup) run() {
	defer close(g.done)
	group := make([]ackReq, 0, maxAckGroup)
	ds := make([]outbox.Delivery, 0, maxAckGroup)
	for first := range g.reqs {
		group = append(group[:0], first)
	gather:
		for len(group) < maxAckGroup {
			select {
			case r, ok := <-g.reqs:
				if !ok {
					break gather
				}
				group = append(group, r)
			default:
				break gather
			}
		}
		ds = ds[:0]
		for _, r := range group {
			ds = append(ds, r.d)
		}
		// Settled even during shutdown, like a single mark.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs := g.store.MarkDeliveredAll(ctx, ds)
		cancel()
		for i, r := range group {
			r.res <- errs[i]
		}
	}
}
