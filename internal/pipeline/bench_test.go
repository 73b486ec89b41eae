package pipeline_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/pipeline"
	"github.com/hcmc-lgsp/lgsp-connector/signing"
)

// benchDossiers sample dossiers with one step each: 2×benchDossiers
// records per polled iteration.
const benchDossiers = 250

// benchPoll measures Pipeline.Poll over the sample database into a fresh
// outbox per iteration: source read, mapping, validation, encoding,
// signing (signWorkers in parallel) and the outbox commit with its cursor.
func benchPoll(b *testing.B, signWorkers int) {
	r := newRig(b, rigOptions{dossiers: benchDossiers, maxSteps: 1})
	want := r.gen.Dossiers + r.gen.Steps
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		p, st := r.pipeline(b, build{store: fmt.Sprintf("bench-%d.db", i), opts: func(o *pipeline.Options) {
			o.BatchSize, o.SignWorkers = 500, signWorkers
		}})
		b.StartTimer()
		ps, err := p.Poll(ctx)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if ps.Queued != want {
			b.Fatalf("poll %+v, want %d queued", ps, want)
		}
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	packets := float64(b.N * want)
	elapsed := b.Elapsed()
	b.ReportMetric(float64(elapsed.Nanoseconds())/packets, "ns/packet")
	b.ReportMetric(packets/elapsed.Seconds(), "packets/s")
}

// BenchmarkMapSignEnqueue is the ingestion cost per packet with the
// default parallelism (one signer per core).
func BenchmarkMapSignEnqueue(b *testing.B) {
	benchPoll(b, runtime.GOMAXPROCS(0))
}

// BenchmarkMapSignEnqueueParallelism compares one signer with one per core.
func BenchmarkMapSignEnqueueParallelism(b *testing.B) {
	for _, w := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) { benchPoll(b, w) })
	}
}

// BenchmarkRSASign2048 is one RSA-2048 PKCS#1 v1.5 signature over a
// SHA-256 digest, the floor of signing one packet.
func BenchmarkRSASign2048(b *testing.B) {
	key, _, err := signing.GenerateSelfSigned("bench", time.Hour, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte("<GoiTin>benchmark</GoiTin>"))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:]); err != nil {
			b.Fatal(err)
		}
	}
}
