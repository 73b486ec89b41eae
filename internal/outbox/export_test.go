package outbox

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"
)

func TestEachWalksEveryPacketInPages(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, dbPath(t), newClock())
	const n = exportPage*2 + 7
	var pkts []NewPacket
	for i := 0; i < n; i++ {
		pkts = append(pkts, NewPacket{ID: fmt.Sprintf("id-%04d", i), Stream: "ho_so", RecordKey: fmt.Sprint(i), Kind: "HoSo", Body: []byte(fmt.Sprintf("<GoiTin>%d</GoiTin>", i))})
	}
	if _, err := s.Commit(ctx, "ho_so", []byte(`{}`), pkts, nil); err != nil {
		t.Fatal(err)
	}
	leased, err := s.Lease(ctx, "w", 3, time.Minute)
	if err != nil || len(leased) != 3 {
		t.Fatalf("lease: %v %d", err, len(leased))
	}
	var all, inFlight int
	if err := s.Each(ctx, "", func(p Packet) error {
		if want := []byte(fmt.Sprintf("<GoiTin>%d</GoiTin>", all)); !bytes.Equal(p.Body, want) {
			t.Fatalf("packet %d: body %q, want %q (order or body lost)", all, p.Body, want)
		}
		all++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Each(ctx, StateInFlight, func(Packet) error { inFlight++; return nil }); err != nil {
		t.Fatal(err)
	}
	if all != n || inFlight != 3 {
		t.Fatalf("Each saw %d packets (%d in flight), want %d (3)", all, inFlight, n)
	}
	if err := s.Each(ctx, "bogus", func(Packet) error { return nil }); err == nil {
		t.Fatal("unknown state accepted")
	}
}
