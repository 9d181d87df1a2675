package splunkhec_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/delivery"
	"github.com/vigilsec/vigil/internal/output/splunkhec"
	"github.com/vigilsec/vigil/internal/spool"
)

// BenchmarkSpoolToHEC measures alerts/s from Enqueue (spool synced to
// disk every 500 alerts) to confirmation by a HEC receiver on loopback,
// batches of 500, with indexer acknowledgement (the receiver acknowledges
// a batch at the second poll) and without.
func BenchmarkSpoolToHEC(b *testing.B) {
	for _, ack := range []bool{false, true} {
		name := "ack=false"
		if ack {
			name = "ack=true"
		}
		b.Run(name, func(b *testing.B) { benchHEC(b, ack) })
	}
}

func benchHEC(b *testing.B, ack bool) {
	h := newHEC(ack)
	srv := httptest.NewServer(h)
	defer srv.Close()
	dir := b.TempDir()
	sp, err := spool.Open(spool.Options{Dir: filepath.Join(dir, "spool")})
	if err != nil {
		b.Fatal(err)
	}
	defer sp.Close()
	dest, _ := splunkhec.New(splunkhec.Config{URL: srv.URL, Token: token})
	out, _ := delivery.New("splunk", dest, sp, delivery.Options{Batch: 500, MinBackoff: time.Millisecond, DeadLetter: filepath.Join(dir, "dl.jsonl")})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go out.Run(ctx)
	const n = 10_000
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range n {
			if err := out.Enqueue(ctx, alertJSON(j)); err != nil {
				b.Fatal(err)
			}
			if j%500 == 499 {
				out.Sync()
			}
		}
		if left := out.Drain(ctx); left != 0 {
			b.Fatal(left)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "alerts/s")
}
