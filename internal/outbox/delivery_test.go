package outbox

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// setState brings packet i (already committed) into state from, leased to w1
// when in flight.
func setState(t *testing.T, s *Store, id string, from State) {
	t.Helper()
	ctx := context.Background()
	if from == StatePending {
		return
	}
	if got := mustLease(t, s, "w1", 1, time.Minute); len(got) != 1 || got[0].ID != id {
		t.Fatalf("lease for setup got %v, want [%s]", ids(got), id)
	}
	var err error
	switch from {
	case StateDelivered:
		err = s.MarkDelivered(ctx, id, Attempt{HTTPStatus: 200})
	case StateDead:
		err = s.MarkDead(ctx, id, "setup", Attempt{HTTPStatus: 400})
	}
	if err != nil {
		t.Fatalf("setup %s: %v", from, err)
	}
}

func TestMarkTransitions(t *testing.T) {
	next := t0.Add(5 * time.Minute)
	marks := map[string]func(s *Store, id string, a Attempt) error{
		"delivered": func(s *Store, id string, a Attempt) error { return s.MarkDelivered(context.Background(), id, a) },
		// The group form must behave as MarkDelivered for each member.
		"delivered-all": func(s *Store, id string, a Attempt) error {
			return s.MarkDeliveredAll(context.Background(), []Delivery{{ID: id, Attempt: a}})[0]
		},
		"retry": func(s *Store, id string, a Attempt) error { return s.MarkRetry(context.Background(), id, next, a) },
		"throttled": func(s *Store, id string, a Attempt) error {
			a.Outcome = OutcomeThrottled
			return s.MarkRetry(context.Background(), id, next, a)
		},
		"dead": func(s *Store, id string, a Attempt) error {
			return s.MarkDead(context.Background(), id, "rejected: schema", a)
		},
	}
	tests := []struct {
		from    State
		owner   string // Attempt.Owner; the lease holder is w1
		mark    string
		want    State // state after; the same as from when refused
		refused bool
	}{
		{StateInFlight, "", "delivered", StateDelivered, false},
		{StateInFlight, "w1", "delivered-all", StateDelivered, false},
		{StateInFlight, "w2", "delivered-all", StateInFlight, true},
		{StatePending, "", "delivered-all", StatePending, true},
		{StateDelivered, "", "delivered-all", StateDelivered, true},
		{StateInFlight, "", "retry", StatePending, false},
		{StateInFlight, "", "throttled", StatePending, false},
		{StateInFlight, "", "dead", StateDead, false},
		{StateInFlight, "w1", "delivered", StateDelivered, false},
		{StateInFlight, "w1", "dead", StateDead, false},
		// A worker whose lease was taken over cannot decide for the holder.
		{StateInFlight, "w2", "delivered", StateInFlight, true},
		{StateInFlight, "w2", "retry", StateInFlight, true},
		{StateInFlight, "w2", "dead", StateInFlight, true},
		// Nothing but in_flight may be marked.
		{StatePending, "", "delivered", StatePending, true},
		{StatePending, "", "retry", StatePending, true},
		{StatePending, "", "dead", StatePending, true},
		{StateDelivered, "", "delivered", StateDelivered, true},
		{StateDelivered, "", "retry", StateDelivered, true},
		{StateDelivered, "", "throttled", StateDelivered, true},
		{StateDelivered, "", "dead", StateDelivered, true},
		{StateDead, "", "delivered", StateDead, true},
		{StateDead, "", "retry", StateDead, true},
		{StateDead, "", "dead", StateDead, true},
	}
	for _, tc := range tests {
		t.Run(string(tc.from)+"/"+tc.owner+"/"+tc.mark, func(t *testing.T) {
			c := newClock()
			s := openStore(t, dbPath(t), c)
			id := packetID(1)
			mustCommit(t, s, "", packets(1, 2), nil)
			setState(t, s, id, tc.from)
			before := mustGet(t, s, id)
			c.Advance(time.Second)

			a := Attempt{At: c.Now(), HTTPStatus: 503, Latency: 1500 * time.Millisecond, Excerpt: "busy", Error: "upstream", Owner: tc.owner}
			err := marks[tc.mark](s, id, a)
			if tc.refused != errors.Is(err, ErrNotInFlight) || (!tc.refused && err != nil) {
				t.Fatalf("mark %s from %s: err = %v, refused = %v wanted", tc.mark, tc.from, err, tc.refused)
			}
			got := mustGet(t, s, id)
			if got.State != tc.want {
				t.Errorf("state = %s, want %s", got.State, tc.want)
			}
			if got.Attempts != before.Attempts+1 {
				t.Errorf("attempts = %d, want %d: every attempt is counted", got.Attempts, before.Attempts+1)
			}
			log, err := s.Attempts(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			last := log[len(log)-1]
			wantOutcome := tc.mark
			switch tc.mark {
			case "retry":
				wantOutcome = OutcomeRetry
			case "delivered-all":
				wantOutcome = OutcomeDelivered
			}
			if len(log) != got.Attempts || last.Superseded != tc.refused || last.Outcome != wantOutcome ||
				last.HTTPStatus != 503 || last.Latency != 1500*time.Millisecond || !last.At.Equal(c.Now()) ||
				last.Endpoint != "/kho-du-lieu/hoso" || last.Owner != tc.owner {
				t.Errorf("attempt log = %+v; last should be a %s attempt, superseded=%v", log, wantOutcome, tc.refused)
			}
			if tc.refused {
				if got.LastError != before.LastError || got.LastStatus != before.LastStatus ||
					!got.NextAttemptAt.Equal(before.NextAttemptAt) || got.LeaseOwner != before.LeaseOwner {
					t.Errorf("refused mark changed the packet: before %+v after %+v", before, got)
				}
				return
			}
			if got.LeaseOwner != "" || got.LastStatus != 503 {
				t.Errorf("lease owner %q, last status %d; want lease cleared and 503", got.LeaseOwner, got.LastStatus)
			}
			switch tc.want {
			case StateDelivered:
				if !got.DeliveredAt.Equal(c.Now()) {
					t.Errorf("delivered at %v, want %v", got.DeliveredAt, c.Now())
				}
			case StatePending:
				if !got.NextAttemptAt.Equal(next) || got.LastError != "upstream" {
					t.Errorf("next attempt %v, last error %q; want %v and upstream", got.NextAttemptAt, got.LastError, next)
				}
			case StateDead:
				if got.LastError != "rejected: schema" {
					t.Errorf("last error %q, want the dead-letter reason", got.LastError)
				}
			}
		})
	}
}

// TestMarkDeliveredAllMixedGroup writes one group whose members end
// differently: each gets MarkDelivered's own answer and the others are not
// held back by it.
func TestMarkDeliveredAllMixedGroup(t *testing.T) {
	c := newClock()
	s := openStore(t, dbPath(t), c)
	mustCommit(t, s, "", packets(1, 5), nil)
	leased := mustLease(t, s, "w1", 3, time.Minute) // packets 1, 2, 3; 4 stays pending
	if len(leased) != 3 {
		t.Fatalf("leased %v, want 3 packets", ids(leased))
	}
	c.Advance(time.Second)
	errs := s.MarkDeliveredAll(context.Background(), []Delivery{
		{ID: packetID(1), Attempt: Attempt{HTTPStatus: 200, Owner: "w1"}},
		{ID: packetID(99), Attempt: Attempt{HTTPStatus: 200}},               // unknown
		{ID: packetID(2), Attempt: Attempt{HTTPStatus: 200, Owner: "w9"}},   // not the lease holder
		{ID: packetID(4), Attempt: Attempt{HTTPStatus: 200}},                // not in flight
		{ID: packetID(3), Attempt: Attempt{HTTPStatus: 202, Excerpt: "ok"}}, // no owner: applies
	})
	wantErr := []error{nil, ErrNotFound, ErrNotInFlight, ErrNotInFlight, nil}
	for i, want := range wantErr {
		if (want == nil) != (errs[i] == nil) || (want != nil && !errors.Is(errs[i], want)) {
			t.Errorf("member %d: err = %v, want %v", i, errs[i], want)
		}
	}
	wantState := map[int]State{1: StateDelivered, 2: StateInFlight, 3: StateDelivered, 4: StatePending}
	for i, want := range wantState {
		got := mustGet(t, s, packetID(i))
		if got.State != want {
			t.Errorf("packet %d: state %s, want %s", i, got.State, want)
		}
		if want == StateDelivered && (!got.DeliveredAt.Equal(c.Now()) || got.Attempts != 1) {
			t.Errorf("packet %d: delivered at %v with %d attempts, want %v and 1", i, got.DeliveredAt, got.Attempts, c.Now())
		}
	}
	if got := mustGet(t, s, packetID(3)); got.LastStatus != 202 {
		t.Errorf("packet 3: last status %d, want 202", got.LastStatus)
	}
	if errs := s.MarkDeliveredAll(context.Background(), nil); len(errs) != 0 {
		t.Errorf("empty group: %v", errs)
	}
}

func TestMarkRefusesBadCalls(t *testing.T) {
	s := openStore(t, dbPath(t), newClock())
	ctx := context.Background()
	mustCommit(t, s, "", packets(1, 2), nil)
	mustLease(t, s, "w1", 1, time.Minute)
	id := packetID(1)
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"unknown packet", func() error { return s.MarkDelivered(ctx, "nope", Attempt{}) }, "packet not found"},
		{"outcome does not fit", func() error { return s.MarkDelivered(ctx, id, Attempt{Outcome: OutcomeDead}) }, `outcome "dead" does not fit a delivered mark`},
		{"throttled is no death", func() error { return s.MarkDead(ctx, id, "x", Attempt{Outcome: OutcomeThrottled}) }, "does not fit"},
		{"retry without time", func() error { return s.MarkRetry(ctx, id, time.Time{}, Attempt{}) }, "no next attempt time"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	if err := s.MarkDelivered(ctx, "nope", Attempt{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown packet error does not wrap ErrNotFound")
	}
	if p := mustGet(t, s, id); p.State != StateInFlight || p.Attempts != 0 {
		t.Errorf("refused calls changed the packet: %+v", p)
	}
}

func TestAttemptKeepsBoundedExcerpt(t *testing.T) {
	s := openStore(t, dbPath(t), newClock())
	mustCommit(t, s, "", packets(1, 2), nil)
	mustLease(t, s, "w1", 1, time.Minute)
	long := strings.Repeat("ệ", 1000) // 3000 bytes
	if err := s.MarkRetry(context.Background(), packetID(1), t0, Attempt{Excerpt: long, Error: strings.Repeat("e", 10000)}); err != nil {
		t.Fatal(err)
	}
	log, err := s.Attempts(context.Background(), packetID(1))
	if err != nil {
		t.Fatal(err)
	}
	ex := log[0].Excerpt
	if len(ex) > MaxExcerptBytes || len(ex) < MaxExcerptBytes-3 || !utf8.ValidString(ex) || !strings.HasPrefix(long, ex) {
		t.Errorf("excerpt of %d bytes (valid UTF-8: %v), want a prefix of at most %d", len(ex), utf8.ValidString(ex), MaxExcerptBytes)
	}
	if len(log[0].Error) > maxErrorBytes {
		t.Errorf("error of %d bytes stored, want at most %d", len(log[0].Error), maxErrorBytes)
	}
}

func TestLeaseTakesDuePacketsInOrder(t *testing.T) {
	c := newClock()
	s := openStore(t, dbPath(t), c)
	ctx := context.Background()
	// Created in order 0..5 at t0.
	mustCommit(t, s, "", packets(0, 6), nil)
	// Give some of them retry times: 1 at +3m, 3 at +1m, 4 at +2m, 5 far away.
	leased := mustLease(t, s, "setup", 6, time.Minute)
	if !slices.Equal(ids(leased), ids(packetsOf(0, 6))) {
		t.Fatalf("first lease = %v, want creation order", ids(leased))
	}
	for id, next := range map[string]time.Time{
		packetID(0): t0, packetID(2): t0,
		packetID(1): t0.Add(3 * time.Minute), packetID(3): t0.Add(time.Minute),
		packetID(4): t0.Add(2 * time.Minute), packetID(5): t0.Add(time.Hour),
	} {
		if err := s.MarkRetry(ctx, id, next, Attempt{}); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		advance time.Duration
		max     int
		want    []string
	}{
		{0, 1, []string{packetID(0)}},
		{0, 10, []string{packetID(2)}},
		{0, 10, nil},
		{3 * time.Minute, 2, []string{packetID(3), packetID(4)}},
		{0, 10, []string{packetID(1)}},
		{time.Hour, 10, []string{packetID(5)}},
	}
	for i, st := range steps {
		c.Advance(st.advance)
		got := mustLease(t, s, "w", st.max, 24*time.Hour)
		if !slices.Equal(ids(got), st.want) {
			t.Errorf("step %d: lease(max %d) = %v, want %v", i, st.max, ids(got), st.want)
		}
		for _, p := range got {
			if p.State != StateInFlight || p.LeaseOwner != "w" || !p.NextAttemptAt.Equal(c.Now().Add(24*time.Hour)) || len(p.Body) == 0 {
				t.Errorf("leased packet %+v: want in_flight for w until now+24h, with body", p)
			}
		}
	}
}

func packetsOf(from, to int) []Packet {
	var out []Packet
	for i := from; i < to; i++ {
		out = append(out, Packet{ID: packetID(i)})
	}
	return out
}

func TestLeaseRefusesBadArguments(t *testing.T) {
	s := openStore(t, dbPath(t), newClock())
	for _, tc := range []struct {
		owner string
		max   int
		d     time.Duration
		want  string
	}{
		{"", 1, time.Minute, "owner is empty"},
		{"w", 0, time.Minute, "out of range"},
		{"w", maxLeaseBatch + 1, time.Minute, "out of range"},
		{"w", 1, 0, "must be positive"},
	} {
		if _, err := s.Lease(context.Background(), tc.owner, tc.max, tc.d); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Lease(%q, %d, %v) err = %v, want %q", tc.owner, tc.max, tc.d, err, tc.want)
		}
	}
}

func TestExpiredLeaseIsLeasedAgain(t *testing.T) {
	c := newClock()
	s := openStore(t, dbPath(t), c)
	ctx := context.Background()
	mustCommit(t, s, "", packets(1, 2), nil)
	id := packetID(1)

	if got := mustLease(t, s, "w1", 10, time.Minute); len(got) != 1 {
		t.Fatalf("first lease got %d packets", len(got))
	}
	c.Advance(59 * time.Second)
	if got := mustLease(t, s, "w2", 10, time.Minute); len(got) != 0 {
		t.Fatalf("lease before expiry got %v, want nothing", ids(got))
	}
	c.Advance(time.Second)
	got := mustLease(t, s, "w2", 10, time.Minute)
	if len(got) != 1 || got[0].ID != id || got[0].LeaseOwner != "w2" {
		t.Fatalf("lease after expiry got %+v, want %s for w2", got, id)
	}

	// w1 comes back late: its outcome must not overrule w2's lease.
	if err := s.MarkRetry(ctx, id, c.Now().Add(time.Hour), Attempt{Owner: "w1", Error: "timeout"}); !errors.Is(err, ErrNotInFlight) {
		t.Fatalf("late MarkRetry from w1: err = %v, want ErrNotInFlight", err)
	}
	if err := s.MarkDelivered(ctx, id, Attempt{Owner: "w2", HTTPStatus: 200}); err != nil {
		t.Fatalf("MarkDelivered from w2: %v", err)
	}
	// And after w2's final outcome, even an owner-less late mark is refused.
	if err := s.MarkDead(ctx, id, "late", Attempt{}); !errors.Is(err, ErrNotInFlight) {
		t.Fatalf("MarkDead after delivery: err = %v, want ErrNotInFlight", err)
	}
	p := mustGet(t, s, id)
	log, _ := s.Attempts(ctx, id)
	if p.State != StateDelivered || p.Attempts != 3 || len(log) != 3 ||
		!log[0].Superseded || log[1].Superseded || !log[2].Superseded {
		t.Errorf("packet %+v, log %+v: want delivered with 3 attempts, the late ones superseded", p, log)
	}
}

func TestCrashLeavesPacketLeasableAfterExpiry(t *testing.T) {
	path := dbPath(t)
	c := newClock()
	ctx := context.Background()

	s := openStore(t, path, c)
	mustCommit(t, s, "cur", packets(0, 3), nil)
	leased := mustLease(t, s, "crashing-worker", 2, 5*time.Minute)
	if len(leased) != 2 {
		t.Fatalf("leased %d, want 2", len(leased))
	}
	// The process dies mid-delivery: no Mark, just gone.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openStore(t, path, c)
	c.Advance(time.Minute)
	if got := mustLease(t, s, "w", 10, time.Hour); !slices.Equal(ids(got), []string{packetID(2)}) {
		t.Fatalf("lease after restart, before expiry = %v, want only the never-leased %s", ids(got), packetID(2))
	}
	c.Advance(4 * time.Minute)
	again := mustLease(t, s, "w", 10, time.Minute)
	if !slices.Equal(ids(again), ids(leased)) {
		t.Fatalf("lease after expiry = %v, want %v", ids(again), ids(leased))
	}
	for i, p := range again {
		if !bytes.Equal(p.Body, leased[i].Body) || p.SHA256 != leased[i].SHA256 {
			t.Errorf("packet %s body or hash changed across the crash", p.ID)
		}
		if err := s.MarkDelivered(ctx, p.ID, Attempt{Owner: "w", HTTPStatus: 200}); err != nil {
			t.Errorf("MarkDelivered %s: %v", p.ID, err)
		}
	}
	if cur, _ := s.Cursor(ctx, "hoso"); string(cur) != "cur" {
		t.Errorf("cursor after crash = %q, want cur", cur)
	}
}

func TestRequeue(t *testing.T) {
	c := newClock()
	s := openStore(t, dbPath(t), c)
	ctx := context.Background()
	mustCommit(t, s, "", packets(0, 5), nil)
	mustLease(t, s, "w", 5, 24*time.Hour)
	// 0, 1, 2 dead; 3 delivered; 4 in flight.
	for i := 0; i < 3; i++ {
		if err := s.MarkDead(ctx, packetID(i), "HTTP 400", Attempt{HTTPStatus: 400}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.MarkDelivered(ctx, packetID(3), Attempt{HTTPStatus: 200}); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Hour)

	if _, err := s.Requeue(ctx, []string{packetID(0)}, ""); err == nil {
		t.Error("Requeue without a name succeeded; the audit log needs one")
	}
	n, err := s.Requeue(ctx, []string{packetID(0), packetID(3), packetID(4), "unknown"}, "admin@phuong-1")
	if err != nil || n != 1 {
		t.Fatalf("Requeue = %d, %v; want only the dead one moved", n, err)
	}
	wantStates := []State{StatePending, StateDead, StateDead, StateDelivered, StateInFlight}
	for i, want := range wantStates {
		if p := mustGet(t, s, packetID(i)); p.State != want {
			t.Errorf("packet %d state %s, want %s", i, p.State, want)
		}
	}
	p := mustGet(t, s, packetID(0))
	if !p.NextAttemptAt.Equal(c.Now()) || p.Attempts != 1 {
		t.Errorf("requeued packet due %v with %d attempts; want due now, history kept", p.NextAttemptAt, p.Attempts)
	}
	if got := mustLease(t, s, "w", 10, time.Minute); !slices.Equal(ids(got), []string{packetID(0)}) {
		t.Errorf("lease after requeue = %v, want %s", ids(got), packetID(0))
	}

	c.Advance(time.Minute)
	n, err = s.RequeueAllDead(ctx, "cli:retry --all")
	if err != nil || n != 2 {
		t.Fatalf("RequeueAllDead = %d, %v; want 2", n, err)
	}
	audit, err := s.Audit(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range audit {
		got = append(got, a.At.Sub(t0).String()+" "+a.Action+" "+a.Actor+" "+a.PacketID+" "+a.Detail)
	}
	want := []string{
		"1h1m0s requeue cli:retry --all " + packetID(2) + " dead -> pending",
		"1h1m0s requeue cli:retry --all " + packetID(1) + " dead -> pending",
		"1h0m0s requeue admin@phuong-1 " + packetID(0) + " dead -> pending",
	}
	if !slices.Equal(got, want) {
		t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if cs, _ := s.Counts(ctx); cs.Dead != 0 || cs.Pending != 2 {
		t.Errorf("counts after requeue all = %+v", cs)
	}
}

func TestPurgeKeepsUnfinishedPackets(t *testing.T) {
	c := newClock()
	s := openStore(t, dbPath(t), c)
	ctx := context.Background()
	// Old generation: 0 pending, 1 in flight, 2 dead, 3 and 4 delivered.
	mustCommit(t, s, "", packets(0, 5), []Rejected{{ID: "old-rej", Reason: "x"}})
	mustLease(t, s, "w", 1, time.Minute) // 0
	if err := s.MarkRetry(ctx, packetID(0), t0.Add(48*time.Hour), Attempt{}); err != nil {
		t.Fatal(err)
	}
	mustLease(t, s, "w", 4, 1000*time.Hour) // 1..4
	if err := s.MarkDead(ctx, packetID(2), "bad", Attempt{}); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{3, 4} {
		if err := s.MarkDelivered(ctx, packetID(i), Attempt{HTTPStatus: 200}); err != nil {
			t.Fatal(err)
		}
	}
	// New generation, a day later: 5 delivered, plus a quarantine row.
	c.Advance(24 * time.Hour)
	mustCommit(t, s, "", packets(5, 6), []Rejected{{ID: "new-rej", Reason: "y"}})
	mustLease(t, s, "w", 1, time.Minute)
	if err := s.MarkDelivered(ctx, packetID(5), Attempt{}); err != nil {
		t.Fatal(err)
	}

	n, err := s.Purge(ctx, t0.Add(time.Hour))
	if err != nil || n != 3 {
		t.Fatalf("Purge = %d, %v; want 2 delivered packets and 1 quarantine row", n, err)
	}
	for i, want := range []bool{true, true, true, false, false, true} {
		_, err := s.Get(ctx, packetID(i))
		if kept := err == nil; kept != want {
			t.Errorf("packet %d kept = %v, want %v (err %v)", i, kept, want, err)
		}
	}
	if _, err := s.Attempts(ctx, packetID(3)); !errors.Is(err, ErrNotFound) {
		t.Errorf("attempts of purged packet: err = %v, want ErrNotFound", err)
	}
	raw := rawDB(t, s.Path())
	if n := count(t, raw, "SELECT count(*) FROM attempts WHERE packet_id IN (?, ?)", packetID(3), packetID(4)); n != 0 {
		t.Errorf("%d attempts of purged packets left", n)
	}
	if n := count(t, raw, "SELECT count(*) FROM packet_bodies"); n != 4 {
		t.Errorf("%d packet bodies left after purging 2 of 6 packets, want 4", n)
	}
	q, _ := s.Quarantine(ctx, Filter{})
	if len(q) != 1 || q[0].ID != "new-rej" {
		t.Errorf("quarantine after purge = %+v, want only new-rej", q)
	}
	audit, _ := s.Audit(ctx, Filter{})
	if len(audit) != 1 || audit[0].Action != "purge" || !strings.Contains(audit[0].Detail, "2 delivered packets and 1 quarantine rows") {
		t.Errorf("audit after purge = %+v", audit)
	}
	// Nothing left to purge: no audit row.
	if n, err := s.Purge(ctx, t0.Add(time.Hour)); n != 0 || err != nil {
		t.Errorf("second Purge = %d, %v", n, err)
	}
	if audit, _ := s.Audit(ctx, Filter{}); len(audit) != 1 {
		t.Errorf("empty purge wrote an audit row: %+v", audit)
	}
}

func TestQueryFilters(t *testing.T) {
	c := newClock()
	s := openStore(t, dbPath(t), c)
	ctx := context.Background()
	mustCommit(t, s, "", packets(0, 3), nil) // at t0
	c.Advance(time.Minute)
	other := newPacket(3)
	other.MaHoSo = newPacket(0).MaHoSo // a second packet (progress) for dossier 0
	other.Kind = "TienDoXuLy"
	if _, err := s.Commit(ctx, "tiendo", nil, []NewPacket{other}, nil); err != nil {
		t.Fatal(err)
	}
	mustLease(t, s, "w", 1, time.Minute) // packet 0
	if err := s.MarkRetry(ctx, packetID(0), c.Now(), Attempt{HTTPStatus: 502, Excerpt: "bad gateway"}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		f    Filter
		want []string
	}{
		{"all, newest first", Filter{}, []string{packetID(3), packetID(2), packetID(1), packetID(0)}},
		{"by dossier", Filter{MaHoSo: newPacket(0).MaHoSo}, []string{packetID(3), packetID(0)}},
		{"by dossier and state", Filter{MaHoSo: newPacket(0).MaHoSo, State: StatePending}, []string{packetID(3), packetID(0)}},
		{"by stream", Filter{Stream: "tiendo"}, []string{packetID(3)}},
		{"since", Filter{Since: t0.Add(time.Second)}, []string{packetID(3)}},
		{"limit", Filter{Limit: 2}, []string{packetID(3), packetID(2)}},
		{"state with none", Filter{State: StateDead}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Query(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var gotIDs []string
			for _, e := range got {
				gotIDs = append(gotIDs, e.ID)
				if e.Body != nil {
					t.Errorf("Query returned a body for %s", e.ID)
				}
			}
			if !slices.Equal(gotIDs, tc.want) {
				t.Errorf("Query(%+v) = %v, want %v", tc.f, gotIDs, tc.want)
			}
		})
	}
	all, _ := s.Query(ctx, Filter{})
	for _, e := range all {
		hasAttempt := e.ID == packetID(0)
		if (e.LastAttempt != nil) != hasAttempt {
			t.Errorf("%s: last attempt %+v", e.ID, e.LastAttempt)
		}
		if hasAttempt && (e.LastAttempt.HTTPStatus != 502 || e.LastAttempt.Excerpt != "bad gateway" || e.LastAttempt.Outcome != OutcomeRetry) {
			t.Errorf("%s: last attempt %+v, want the 502 retry", e.ID, e.LastAttempt)
		}
	}
	for _, f := range []Filter{{State: "sent"}, {Limit: -1}, {Limit: MaxQueryLimit + 1}} {
		if _, err := s.Query(ctx, f); err == nil {
			t.Errorf("Query(%+v) accepted a bad filter", f)
		}
	}
}

// TestQueryPlansUseIndexes proves the hot statements never scan the whole
// packets table: the dashboard and the workers stay fast as the log grows.
func TestQueryPlansUseIndexes(t *testing.T) {
	s := openStore(t, dbPath(t), newClock())
	ctx := context.Background()
	plan := func(q string, args ...any) string {
		rows, err := s.read.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatalf("explain %s: %v", q, err)
		}
		defer rows.Close()
		var lines []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, detail)
		}
		return strings.Join(lines, "\n")
	}
	filters := map[string]Filter{
		"query by dossier":           {MaHoSo: "x"},
		"query by dossier and state": {MaHoSo: "x", State: StateDead},
		"query by state":             {State: StatePending},
		"query by stream":            {Stream: "hoso"},
		"query since":                {Since: t0},
	}
	cases := map[string]string{"lease": plan(leaseSQL, 0, 10)}
	for name, f := range filters {
		q, args := querySQL(f, 10)
		cases[name] = plan(q, args...)
	}
	for name, p := range cases {
		for _, line := range strings.Split(p, "\n") {
			// "SCAN p" without an index is a full table scan.
			if (strings.HasPrefix(line, "SCAN p") || strings.HasPrefix(line, "SCAN packets")) && !strings.Contains(line, "INDEX") {
				t.Errorf("%s scans the packets table:\n%s", name, p)
			}
		}
		if !strings.Contains(p, "INDEX packets_") {
			t.Errorf("%s uses no packets index:\n%s", name, p)
		}
	}
	for name, index := range map[string]string{
		"lease":                      "packets_due",
		"query by dossier":           "packets_ma_ho_so",
		"query by dossier and state": "packets_ma_ho_so",
		"query by state":             "packets_state",
		"query by stream":            "packets_stream",
		"query since":                "packets_created",
	} {
		if !strings.Contains(cases[name], "INDEX "+index+" ") {
			t.Errorf("%s does not use %s:\n%s", name, index, cases[name])
		}
	}
}

func TestCheckWritable(t *testing.T) {
	path := dbPath(t)
	s := openStore(t, path, newClock())
	ctx := context.Background()
	if err := s.CheckWritable(ctx); err != nil {
		t.Fatalf("CheckWritable on a fresh file: %v", err)
	}
	raw := rawDB(t, path)
	var v string
	if err := raw.QueryRow("SELECT value FROM meta WHERE key = 'write_check'").Scan(&v); err != nil || v != t0.Format(time.RFC3339Nano) {
		t.Errorf("write check row = %q, %v", v, err)
	}
	// A newer lgsp-connector migrated the file under us.
	if _, err := raw.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckWritable(ctx); err == nil || !strings.Contains(err.Error(), "schema version is 99") {
		t.Errorf("CheckWritable after a foreign migration: %v", err)
	}
}
