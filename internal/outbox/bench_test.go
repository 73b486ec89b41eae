package outbox

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// writtenBytes is what this process has passed to write system calls
// (/proc/self/io wchar): the store's I/O per packet, a figure the machine's
// other load does not change. ok is false where /proc has no io file.
func writtenBytes() (n int64, ok bool) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, found := strings.CutPrefix(line, "wchar: "); found {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// reportWritten adds written-B/op from a writtenBytes reading taken at the
// start of the measured part.
func reportWritten(b *testing.B, start int64, ok bool) {
	if end, ok2 := writtenBytes(); ok && ok2 {
		b.ReportMetric(float64(end-start)/float64(b.N), "written-B/op")
	}
}

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
	w0, ok := writtenBytes()
	start := time.Now()
	for i, pkts := range pre {
		if _, err := s.Commit(ctx, "hoso", []byte(fmt.Sprint(i)), pkts, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N)*batch, "ms/batch")
	reportWritten(b, w0, ok)
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
	w0, ok := writtenBytes()
	defer func() { reportWritten(b, w0, ok) }()
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
	w0, ok := writtenBytes()
	defer func() { reportWritten(b, w0, ok) }()
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
