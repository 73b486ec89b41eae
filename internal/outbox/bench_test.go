package outbox

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"
)

// benchPackets makes n packets of about 4 KB from index from.
func benchPackets(from, n int) []NewPacket {
	pad := bytes.Repeat([]byte("Nguyễn Văn A, phường Bến Thành; "), 4096/34)
	out := make([]NewPacket, n)
	for i := range out {
		p := newPacket(from + i)
		p.Body = append(append([]byte(fmt.Sprintf("<GoiTin><MaGoiTin>%s</MaGoiTin><NoiDung>", p.ID)), pad...), "</NoiDung></GoiTin>"...)
		out[i] = p
	}
	return out
}

// BenchmarkCommit measures Commit per packet, in batches of 500 packets of
// about 4 KB (the poll batch of a busy unit); ms/batch is the cost of one
// such batch, fsync included.
func BenchmarkCommit(b *testing.B) {
	const batch = 500
	s := openStore(b, dbPath(b), nil)
	ctx := context.Background()
	pre := make([][]NewPacket, 0, b.N/batch+1)
	for i := 0; i < b.N; i += batch {
		pre = append(pre, benchPackets(i, min(batch, b.N-i)))
	}
	b.SetBytes(int64(len(pre[0][0].Body)))
	b.ResetTimer()
	start := time.Now()
	for i, pkts := range pre {
		if _, err := s.Commit(ctx, "hoso", []byte(fmt.Sprint(i)), pkts, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N)*batch, "ms/batch")
}

// BenchmarkLeaseMark measures one worker's cycle per packet: lease one
// packet, mark it delivered.
func BenchmarkLeaseMark(b *testing.B) {
	s := openStore(b, dbPath(b), nil)
	ctx := context.Background()
	for i := 0; i < b.N; i += 500 {
		if _, err := s.Commit(ctx, "hoso", nil, benchPackets(i, min(500, b.N-i)), nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		ps, err := s.Lease(ctx, "bench", 1, time.Minute)
		if err != nil || len(ps) != 1 {
			b.Fatalf("Lease = %d packets, %v", len(ps), err)
		}
		if err := s.MarkDelivered(ctx, ps[0].ID, Attempt{HTTPStatus: 200, Latency: time.Millisecond}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLeaseMarkGroups is the delivery cycle under load: lease a group
// of 8, mark the 8 delivered in one transaction (MarkDeliveredAll). ns/op
// is per packet.
func BenchmarkLeaseMarkGroups(b *testing.B) {
	const group = 8
	s := openStore(b, dbPath(b), nil)
	ctx := context.Background()
	n := (b.N + group - 1) / group * group
	for i := 0; i < n; i += 500 {
		if _, err := s.Commit(ctx, "hoso", nil, benchPackets(i, min(500, n-i)), nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	ds := make([]Delivery, 0, group)
	for done := 0; done < b.N; done += group {
		ps, err := s.Lease(ctx, "bench", group, time.Minute)
		if err != nil || len(ps) != group {
			b.Fatalf("Lease = %d packets, %v", len(ps), err)
		}
		ds = ds[:0]
		for _, p := range ps {
			ds = append(ds, Delivery{ID: p.ID, Attempt: Attempt{HTTPStatus: 200, Latency: time.Millisecond, Owner: "bench"}})
		}
		for _, err := range s.MarkDeliveredAll(ctx, ds) {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
