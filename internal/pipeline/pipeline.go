// Package pipeline moves records from a source to LGSP: read → map →
// validate → encode → sign → outbox (cursor in the same transaction), then
// delivery workers lease packets from the outbox, send them and record
// every attempt. Crash anywhere and nothing is lost: the cursor only moves
// with the packets it produced, and a packet only leaves the outbox once
// LGSP acknowledged it.
package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	"github.com/hcmc-lgsp/lgsp-connector/internal/lgsp"
	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/mapping"
	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// Signer signs an encoded packet; the signed bytes are stored and sent
// verbatim.
type Signer interface {
	Sign(doc []byte) ([]byte, error)
}

// Sender delivers one packet to LGSP.
type Sender interface {
	Send(ctx context.Context, r lgsp.Request) lgsp.Result
}

// Mapper turns a raw record into a packet body.
type Mapper interface {
	Map(stream, key string, values map[string]any) (*packets.Packet, []packets.Issue, error)
}

// Options configure a Pipeline. Zero values get the defaults noted.
type Options struct {
	UnitCode  string // MaDonViGui
	Receiver  string // MaDonViNhan
	Profile   packets.Profile
	Endpoints map[packets.Kind]string
	Validate  packets.ValidateOptions

	BatchSize int // records per source read, default 500
	// SignWorkers bounds parallel map+sign inside a batch (default: cores).
	SignWorkers int

	// MaxPending pauses reading while this many packets wait for
	// delivery, so a backfill of millions of rows does not turn into a
	// store of millions of unsent packets (default 20000).
	MaxPending int

	Workers     int           // concurrent deliveries, default 4
	Lease       time.Duration // default 2m
	MaxAttempts int           // transient failures before dead; 0 = never
	BackoffBase time.Duration // default 5s
	BackoffMax  time.Duration // default 1h

	// LinkSigner, when set, turns attachment references in a mapped
	// packet into signed, expiring download links the portal can fetch
	// (the inbound API serves them).
	LinkSigner interface {
		SignLinks(p *packets.Packet, now time.Time) int
	}

	// MaskRecord renders a raw record for the quarantine table with
	// personal data masked. Nil stores no record body.
	MaskRecord func(values map[string]any) []byte

	Now    func() time.Time
	Logger *slog.Logger
	Owner  string // lease owner name, default host-pid style id
}

// Pipeline wires a source, a mapper, a signer, the outbox and a sender.
type Pipeline struct {
	src    connectors.Source
	mapper Mapper
	signer Signer
	store  *outbox.Store
	sender Sender
	o      Options
	log    *slog.Logger

	onRead          atomic.Pointer[func(n int)]
	pendingAtStart  atomic.Int64 // waiting packets not counted by c (backpressure estimate)
	pendingKnown    atomic.Bool
	wake            chan struct{}
	c               counters
	lastConfigAlert atomic.Int64
}

type counters struct {
	read, queued, duplicates, quarantined atomic.Int64
	delivered, dead, retried, throttled   atomic.Int64
	attempts                              atomic.Int64
}

// Totals are the pipeline's counters since it was built.
type Totals struct {
	Read              int64 `json:"read"`
	Queued            int64 `json:"queued"`
	Delivered         int64 `json:"delivered"`
	Quarantined       int64 `json:"quarantined"`
	Failed            int64 `json:"failed"`
	DuplicatesDropped int64 `json:"duplicates_dropped"`
	Retries           int64 `json:"retries"`
	Throttled         int64 `json:"throttled"`
	Attempts          int64 `json:"attempts"`
}

// New builds a pipeline. signer may be nil for profiles that are not
// signed (dvcqg JSON).
func New(src connectors.Source, m Mapper, signer Signer, store *outbox.Store, sender Sender, o Options) (*Pipeline, error) {
	if src == nil || m == nil || store == nil || sender == nil || o.Profile == nil {
		return nil, errors.New("pipeline: source, mapper, store, sender and profile are required")
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	if o.SignWorkers <= 0 {
		o.SignWorkers = runtime.GOMAXPROCS(0)
	}
	if o.MaxPending <= 0 {
		o.MaxPending = 20000
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Lease <= 0 {
		o.Lease = 2 * time.Minute
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = 5 * time.Second
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Owner == "" {
		o.Owner = "worker-" + uuid.NewString()[:8]
	}
	return &Pipeline{src: src, mapper: m, signer: signer, store: store, sender: sender, o: o, log: o.Logger, wake: make(chan struct{}, 1)}, nil
}

// Totals returns the counters.
func (p *Pipeline) Totals() Totals {
	return Totals{
		Read: p.c.read.Load(), Queued: p.c.queued.Load(), Delivered: p.c.delivered.Load(),
		Quarantined: p.c.quarantined.Load(), Failed: p.c.dead.Load(), DuplicatesDropped: p.c.duplicates.Load(),
		Retries: p.c.retried.Load(), Throttled: p.c.throttled.Load(), Attempts: p.c.attempts.Load(),
	}
}

// PollStats say what one Poll did.
type PollStats struct {
	Read, Queued, Duplicates, Quarantined int
	// Paused is true when reading stopped because MaxPending packets were
	// waiting: the next Poll continues once delivery has caught up.
	Paused bool
}

// Poll reads every stream until it is caught up (or ctx ends), committing
// each batch with its cursor.
func (p *Pipeline) Poll(ctx context.Context) (PollStats, error) {
	var total PollStats
	for _, stream := range p.src.Streams() {
		st, err := p.pollStream(ctx, stream)
		total.Read += st.Read
		total.Queued += st.Queued
		total.Duplicates += st.Duplicates
		total.Quarantined += st.Quarantined
		total.Paused = total.Paused || st.Paused
		if errors.Is(err, outbox.ErrStoreFull) {
			p.log.Error("the store's disk is full: reading from the legacy database is paused, nothing is lost; free space and reading resumes on the next poll",
				"store", p.store.Path())
		}
		if err != nil {
			return total, err
		}
	}
	if total.Queued > 0 {
		p.Wake()
	}
	if total.Read > 0 {
		p.log.Info("poll finished", "read", total.Read, "queued", total.Queued, "quarantined", total.Quarantined, "duplicates", total.Duplicates)
	}
	return total, nil
}

// pollStream reads a stream to its end, or until the backlog is full, in
// three overlapping stages so the signing cores never wait for I/O: the
// next batch is read from the source while the current one is mapped and
// signed and the one before is committed. Batches are committed in the
// order read, each with the cursor after it; a failed or stopped stage
// stops the others, and a batch cut short is never stored.
func (p *Pipeline) pollStream(ctx context.Context, stream string) (PollStats, error) {
	var st PollStats
	raw, err := p.store.Cursor(ctx, stream)
	if err != nil {
		return st, fmt.Errorf("stream %s: read cursor: %w", stream, err)
	}
	var cur connectors.Cursor
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &cur); err != nil {
			return st, fmt.Errorf("stream %s: stored cursor %q is unreadable: %w", stream, raw, err)
		}
	}

	type signedBatch struct {
		read     int
		next     []byte
		pkts     []outbox.NewPacket
		rejected []outbox.Rejected
	}
	g, gctx := errgroup.WithContext(ctx)
	read := make(chan connectors.Batch, 1)
	signed := make(chan signedBatch, 1)
	var paused atomic.Bool

	g.Go(func() error {
		defer close(read)
		for {
			if full, err := p.backlogFull(gctx); err != nil || full {
				paused.Store(full)
				return err
			}
			batch, err := p.src.Read(gctx, stream, cur, p.o.BatchSize)
			if err != nil {
				return fmt.Errorf("stream %s: %w", stream, err)
			}
			if len(batch.Records) == 0 {
				return nil
			}
			select {
			case read <- batch:
			case <-gctx.Done():
				return gctx.Err()
			}
			cur = batch.Next
			if !batch.More {
				return nil
			}
		}
	})
	g.Go(func() error {
		defer close(signed)
		for batch := range read {
			pkts, rejected := p.process(gctx, batch.Records)
			if err := gctx.Err(); err != nil {
				return err // process stopped part-way: this batch must not be committed
			}
			next, err := json.Marshal(batch.Next)
			if err != nil {
				return err
			}
			select {
			case signed <- signedBatch{len(batch.Records), next, pkts, rejected}:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	// Every batch that reaches the committer was read and signed whole, so
	// it is committed even when the poll is being stopped: that work is
	// kept, and the cursor still moves only past complete batches.
	commitCtx := context.WithoutCancel(ctx)
	g.Go(func() error {
		for b := range signed {
			res, err := p.store.Commit(commitCtx, stream, b.next, b.pkts, b.rejected)
			if err != nil {
				return fmt.Errorf("stream %s: commit batch of %d: %w", stream, b.read, err)
			}
			st.Read += b.read
			st.Queued += res.Inserted
			st.Duplicates += res.Duplicates
			st.Quarantined += res.Quarantined
			p.c.read.Add(int64(b.read))
			p.c.queued.Add(int64(res.Inserted))
			p.c.duplicates.Add(int64(res.Duplicates))
			p.c.quarantined.Add(int64(res.Quarantined))
			if fn := p.onRead.Load(); fn != nil {
				(*fn)(b.read)
			}
		}
		return nil
	})
	err = g.Wait()
	st.Paused = paused.Load()
	if err == nil {
		err = ctx.Err()
	}
	return st, err
}

// process maps, validates, encodes and signs records in parallel, keeping
// their order.
func (p *Pipeline) process(ctx context.Context, recs []connectors.Record) ([]outbox.NewPacket, []outbox.Rejected) {
	type out struct {
		pkt *outbox.NewPacket
		rej *outbox.Rejected
	}
	results := make([]out, len(recs))
	now := p.o.Now()
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for w := 0; w < min(p.o.SignWorkers, len(recs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(recs) || ctx.Err() != nil {
					return
				}
				pkt, rej := p.build(recs[i], now)
				results[i] = out{pkt, rej}
			}
		}()
	}
	wg.Wait()
	var pkts []outbox.NewPacket
	var rejected []outbox.Rejected
	for _, r := range results {
		switch {
		case r.pkt != nil:
			pkts = append(pkts, *r.pkt)
		case r.rej != nil:
			rejected = append(rejected, *r.rej)
		}
	}
	return pkts, rejected
}

// idNamespace makes message IDs deterministic: the same row version always
// yields the same MaGoiTin, so a re-read after a crash is dropped as a
// duplicate by the outbox and by the receiver.
var idNamespace = uuid.MustParse("6f1c8a52-3c0e-5b7e-9a41-2d2b7c1e9f30")

// Identifier is implemented by mappers whose streams may name the fields
// that identify a message (the mapping's identity:, e.g. [MaPhieu]), as
// *mapping.Mapper does. Identity returns ok false for streams that name
// none.
type Identifier interface {
	Identity(stream string, p *packets.Packet) (identity string, ok bool)
}

// recordID is the message ID of a record's version: unit | stream | row
// key | update time. Quarantined records always use it.
func (p *Pipeline) recordID(rec connectors.Record, suffix string) string {
	return p.messageID(p.o.UnitCode + "|" + rec.Stream + "|" + rec.Key + "|" + rec.Cursor.Updated.UTC().Format(time.RFC3339Nano) + suffix)
}

// packetID is the message ID of a mapped packet. For a stream with
// identity fields it is unit | packet kind | identity, whatever row the
// packet came from: a survey system that stores a re-sent rating as a new
// row (new key, new update time) gives the copy the same ID, and the
// outbox and the receiver drop it as a duplicate. Other streams keep
// recordID. pkt must be as the mapper returned it.
func (p *Pipeline) packetID(rec connectors.Record, pkt *packets.Packet) string {
	if ider, ok := p.mapper.(Identifier); ok {
		if identity, ok := ider.Identity(rec.Stream, pkt); ok {
			return p.messageID(p.o.UnitCode + "|" + string(pkt.Header.LoaiGoiTin) + "|" + identity)
		}
	}
	return p.recordID(rec, "")
}

// messageID hashes a message's name into a name-based (v5) UUID.
func (p *Pipeline) messageID(name string) string {
	// A unit may run one connector per profile over the same database (the
	// city platform and the national portal, both behind LGSP): their
	// messages must not share IDs. hcm-lgsp keeps the IDs it always had.
	if prof := p.o.Profile.Name(); prof != packets.ProfileHCMLGSP {
		name += "|" + prof
	}
	return uuid.NewSHA1(idNamespace, []byte(name)).String()
}

func (p *Pipeline) build(rec connectors.Record, now time.Time) (*outbox.NewPacket, *outbox.Rejected) {
	reject := func(field, value, reason string) *outbox.Rejected {
		r := &outbox.Rejected{ID: p.recordID(rec, "|quarantine"), Stream: rec.Stream, RecordKey: rec.Key, Field: field, Value: value, Reason: reason}
		if p.o.MaskRecord != nil {
			r.Record = p.o.MaskRecord(rec.Values)
		}
		return r
	}
	if rerr := connectors.RecordErrorOf(rec); rerr != nil {
		return nil, reject(rerr.Field, rerr.Value, rerr.Reason)
	}
	pkt, warnings, err := p.mapper.Map(rec.Stream, rec.Key, rec.Values)
	if err != nil {
		var me *mapping.Error
		if errors.As(err, &me) {
			// The delivery log is read by many: personal values stay hidden.
			me = me.Masked()
			return nil, reject(me.Field, me.Value, me.Reason)
		}
		return nil, reject("", "", err.Error())
	}
	id := p.packetID(rec, pkt) // before anything rewrites the body
	if p.o.LinkSigner != nil {
		p.o.LinkSigner.SignLinks(pkt, now)
	}
	pkt.Header = packets.Header{
		MaGoiTin:    id,
		LoaiGoiTin:  pkt.Header.LoaiGoiTin,
		PhienBan:    packets.SchemaVersion,
		MaDonViGui:  p.o.UnitCode,
		MaDonViNhan: p.o.Receiver,
		ThoiGianTao: now,
	}
	more, err := packets.Validate(pkt, p.o.Validate)
	if err != nil {
		var ve *packets.ValidationError
		if errors.As(err, &ve) && len(ve.Issues) > 0 {
			first := ve.Issues[0]
			return nil, reject(first.Field, first.Value, ve.Error())
		}
		return nil, reject("", "", err.Error())
	}
	warnings = append(warnings, more...)
	body, err := p.o.Profile.Encode(pkt)
	if err != nil {
		return nil, reject("", "", "encode: "+err.Error())
	}
	if p.signer != nil {
		if body, err = p.signer.Sign(body); err != nil {
			return nil, reject("", "", "sign: "+err.Error())
		}
	}
	np := &outbox.NewPacket{
		ID: pkt.Header.MaGoiTin, Stream: rec.Stream, RecordKey: rec.Key,
		Kind: string(pkt.Header.LoaiGoiTin), Profile: p.o.Profile.Name(),
		Endpoint: p.o.Endpoints[pkt.Header.LoaiGoiTin], MaHoSo: pkt.MaHoSo(), Body: body,
	}
	for _, w := range warnings {
		np.Warnings = append(np.Warnings, fmt.Sprintf("%s %q: %s", w.Field, w.Value, w.Reason))
	}
	return np, nil
}

// Wake nudges the delivery loop (new packets were queued).
func (p *Pipeline) Wake() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// DeliverStats say what one DeliverDue did.
type DeliverStats struct {
	Delivered, Retried, Dead int
}

// DeliverDue sends every packet that is due now and returns when none is
// left due. The Workers send from one shared queue (see dispatch), so one
// slow or failing packet never holds up the others.
func (p *Pipeline) DeliverDue(ctx context.Context) (DeliverStats, error) {
	var (
		st DeliverStats
		mu sync.Mutex
		// paused ends the round at the first configuration error: every
		// further packet would only ask LGSP for a token it refuses.
		paused atomic.Bool
	)
	leaseErr := p.dispatch(ctx, time.Second, true, &paused, func(outcome string, err error) error {
		mu.Lock()
		defer mu.Unlock()
		switch outcome {
		case "delivered":
			st.Delivered++
		case "dead":
			st.Dead++
		case "retry", "throttled":
			st.Retried++
		case "paused":
			st.Retried++
			paused.Store(true)
		}
		return err
	})
	if leaseErr != nil {
		return st, leaseErr
	}
	return st, ctx.Err()
}

// queuePerWorker bounds the shared queue: leased packets waiting for a
// worker. Leases stay short-lived — a packet waits for a worker for at most
// a few sends — yet under load one lease transaction fills the places of
// as many packets as there are workers.
const queuePerWorker = 3

// dispatch runs the Workers over a shared queue fed by one leasing loop,
// until ctx ends, or stop is set (the packets leased by then are still
// sent), or with untilEmpty until nothing is due. Leasing takes as many
// packets as there are free places (workers hand places back as they
// finish a packet), so an idle connector leases one packet at a time and a
// busy one a group per transaction, and no packet waits behind a slow
// request while another worker is free.
// outcome is called after each packet; the first error it returns, or of
// leasing with untilEmpty, ends the round and is returned.
func (p *Pipeline) dispatch(ctx context.Context, idleCheck time.Duration, untilEmpty bool, stop *atomic.Bool, outcome func(string, error) error) error {
	size := p.o.Workers * queuePerWorker
	queue := make(chan outbox.Packet, size)
	free := make(chan struct{}, size)
	for range size {
		free <- struct{}{}
	}

	var (
		mu       sync.Mutex
		firstErr error
		failed   atomic.Bool
		wg       sync.WaitGroup
	)
	setErr := func(err error) {
		if err == nil {
			return
		}
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		failed.Store(true)
	}
	acks := startAckGroup(p.store, func(err error) {
		if err = outcome("", err); err != nil && untilEmpty {
			setErr(err)
		}
	})
	owner := p.o.Owner
	for range p.o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pk := range queue {
				out, err := p.deliver(ctx, pk, owner, acks)
				if err = outcome(out, err); err != nil && untilEmpty {
					setErr(err)
				}
				free <- struct{}{}
			}
		}()
	}

	// A broken store fails every lease: say so once per tick.
	tick := time.NewTicker(idleCheck)
	defer tick.Stop()
	var lastErrLog time.Time
	for ctx.Err() == nil && !failed.Load() && (stop == nil || !stop.Load()) {
		n := 0
		select {
		case <-free:
			n = 1
		case <-ctx.Done():
		}
		if n == 0 {
			break
		}
	more:
		for n < size {
			select {
			case <-free:
				n++
				continue
			default:
			}
			// While workers still have packets queued, wait for more free
			// places so one lease transaction serves several of them.
			if n >= p.o.Workers || len(queue) <= 1 {
				break
			}
			select {
			case <-free:
				n++
			case <-ctx.Done():
				break more
			}
		}
		if failed.Load() || (stop != nil && stop.Load()) {
			break // decided while waiting for a free place
		}
		batch, err := p.store.Lease(ctx, owner, n, p.o.Lease)
		for range n - len(batch) {
			free <- struct{}{}
		}
		for _, pk := range batch {
			queue <- pk // never blocks: a free place was taken for each
		}
		if err != nil && ctx.Err() == nil {
			if untilEmpty {
				setErr(fmt.Errorf("lease packets: %w", err))
				break
			}
			if time.Since(lastErrLog) >= idleCheck {
				lastErrLog = time.Now()
				p.log.Error("lease packets failed; retrying", "err", err)
			}
		}
		if len(batch) > 0 {
			continue
		}
		if untilEmpty && err == nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-p.wake:
		case <-tick.C:
		}
	}
	close(queue)
	wg.Wait()
	acks.stop()
	mu.Lock()
	defer mu.Unlock()
	return firstErr
}

func (p *Pipeline) deliver(ctx context.Context, pk outbox.Packet, owner string, acks *ackGroup) (string, error) {
	start := p.o.Now()
	res := p.sender.Send(ctx, lgsp.Request{Path: pk.Endpoint, MessageID: pk.ID, ContentType: p.o.Profile.ContentType(), Body: pk.Body})
	p.c.attempts.Add(1)
	a := outbox.Attempt{At: start, Owner: owner, Endpoint: res.Endpoint, HTTPStatus: res.Status, Latency: res.Latency, Excerpt: res.Excerpt}
	if res.Err != nil {
		a.Error = res.Err.Error()
	}
	// Settle the outcome even when shutting down: an acknowledged packet
	// must be marked delivered, an interrupted one released for the next
	// run (same message ID, so the receiver drops it if it did arrive).
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if ctx.Err() != nil && res.Class != lgsp.ClassDelivered {
		// The outbox knows retry, not "interrupted": record a retry due
		// now and say why in the error.
		a.Outcome = outbox.OutcomeRetry
		a.Error = interruptedPrefix + a.Error
		err := p.store.MarkRetry(sctx, pk.ID, p.o.Now(), a)
		if errors.Is(err, outbox.ErrNotInFlight) {
			err = nil
		}
		return "interrupted", err
	}
	ctx = sctx
	var err error
	switch res.Class {
	case lgsp.ClassDelivered:
		a.Outcome = "delivered"
		acks.markDelivered(pk.ID, a)
		p.c.delivered.Add(1)
	case lgsp.ClassPermanent:
		if errors.Is(res.Err, lgsp.ErrConfig) {
			// Our side is misconfigured (TLS trust, credentials): the packet
			// is fine, so it waits rather than dying with all the others.
			a.Outcome = "retry"
			a.Error = pausedPrefix + a.Error
			err = p.store.MarkRetry(ctx, pk.ID, p.o.Now().Add(p.o.BackoffMax), a)
			p.c.retried.Add(1)
			p.configProblem(res)
			if err == nil || errors.Is(err, outbox.ErrNotInFlight) {
				return "paused", nil
			}
			break
		}
		a.Outcome = "dead"
		reason := fmt.Sprintf("LGSP rejected the packet (HTTP %d): %s", res.Status, firstNonEmpty(res.Excerpt, a.Error))
		err = p.store.MarkDead(ctx, pk.ID, reason, a)
		p.c.dead.Add(1)
		p.log.Warn("packet rejected permanently", "ma_goi_tin", pk.ID, "ma_ho_so", pk.MaHoSo, "status", res.Status)
	default:
		if res.Class == lgsp.ClassTransient && p.o.MaxAttempts > 0 && pk.Attempts+1 >= p.o.MaxAttempts {
			failures, ferr := p.transientFailures(ctx, pk.ID)
			if ferr != nil {
				return "", ferr
			}
			if failures+1 >= p.o.MaxAttempts {
				a.Outcome = "dead"
				err = p.store.MarkDead(ctx, pk.ID, fmt.Sprintf("gave up after %d failed attempts: %s", failures+1, firstNonEmpty(a.Error, res.Excerpt)), a)
				p.c.dead.Add(1)
				break
			}
		}
		wait := p.backoff(pk.Attempts)
		a.Outcome = "retry"
		if res.Class == lgsp.ClassThrottled {
			a.Outcome = "throttled"
			p.c.throttled.Add(1)
			wait = max(wait, res.RetryAfter)
		}
		err = p.store.MarkRetry(ctx, pk.ID, p.o.Now().Add(wait), a)
		p.c.retried.Add(1)
	}
	if errors.Is(err, outbox.ErrNotInFlight) {
		// Our lease expired and another worker took the packet; the
		// attempt is recorded, the newer owner decides the state.
		return a.Outcome, nil
	}
	return a.Outcome, err
}

// Attempts that are not the receiver's failure carry these prefixes, so
// MaxAttempts counts only real transient failures.
const (
	interruptedPrefix = "interrupted by shutdown: "
	pausedPrefix      = "paused, connector configuration: "
)

// transientFailures counts the packet's earlier attempts that failed on
// the receiver's side (5xx, timeouts, network): not throttling, not
// shutdown interruptions, not pauses for our own misconfiguration.
func (p *Pipeline) transientFailures(ctx context.Context, id string) (int, error) {
	attempts, err := p.store.Attempts(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("packet %s: read attempts: %w", id, err)
	}
	n := 0
	for _, a := range attempts {
		if a.Outcome == outbox.OutcomeRetry && !strings.HasPrefix(a.Error, interruptedPrefix) && !strings.HasPrefix(a.Error, pausedPrefix) {
			n++
		}
	}
	return n, nil
}

// configProblem reports a connector-side configuration failure loudly,
// at most once a minute.
func (p *Pipeline) configProblem(res lgsp.Result) {
	now := p.o.Now().UnixNano()
	last := p.lastConfigAlert.Load()
	if now-last < int64(time.Minute) || !p.lastConfigAlert.CompareAndSwap(last, now) {
		return
	}
	p.log.Error("LGSP refuses the connector's credentials or TLS: delivery is paused until it is fixed (run lgsp-connector doctor)",
		"status", res.Status, "err", res.Err)
}

// backoff is exponential with full jitter between half and the whole step.
func (p *Pipeline) backoff(attempts int) time.Duration {
	d := p.o.BackoffBase
	for i := 0; i < attempts && d < p.o.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, p.o.BackoffMax)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// RunDelivery delivers until ctx ends. The Workers send from one shared
// queue and, when nothing is due, the queue waits for new packets (Wake)
// or the next retry time, checking at least every idleCheck. A slow
// request holds up only its own packet, never packets queued meanwhile.
func (p *Pipeline) RunDelivery(ctx context.Context, idleCheck time.Duration) error {
	return p.runDelivery(ctx, idleCheck, nil)
}

// runDelivery is RunDelivery that also ends, without interrupting a send,
// once finish is set (and Wake called): nothing more is leased, the
// packets already leased are sent and their outcomes recorded.
func (p *Pipeline) runDelivery(ctx context.Context, idleCheck time.Duration, finish *atomic.Bool) error {
	if idleCheck <= 0 {
		idleCheck = time.Second
	}
	var lastErrLog atomic.Int64
	return p.dispatch(ctx, idleCheck, false, finish, func(_ string, err error) error {
		// A broken store fails every worker at once: say so once per idleCheck.
		if err != nil && ctx.Err() == nil {
			now, last := time.Now().UnixNano(), lastErrLog.Load()
			if now-last >= int64(idleCheck) && lastErrLog.CompareAndSwap(last, now) {
				p.log.Error("recording a delivery failed; retrying", "err", err)
			}
		}
		return nil
	})
}
