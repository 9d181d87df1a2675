package spool

import (
	"bytes"
	"context"
	"testing"
)

// BenchmarkThroughput spools 1 KiB records in batches of 500, each batch
// synced to disk, then reads and acknowledges it, as an output does:
// records/s is what a spooling output can take at most.
func BenchmarkThroughput(b *testing.B) {
	s, err := Open(Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rec := bytes.Repeat([]byte("x"), 1024)
	const batch = 500
	b.SetBytes(batch * int64(len(rec)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for range batch {
			if err := s.Append(context.Background(), rec); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Sync(); err != nil {
			b.Fatal(err)
		}
		recs, err := s.Peek(batch)
		if err != nil || len(recs) != batch {
			b.Fatal(len(recs), err)
		}
		if err := s.Ack(recs[len(recs)-1].Seq); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "records/s")
}
