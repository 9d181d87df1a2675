package delivery

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/spool"
)

// flaky confirms the first two records of every batch, rejects records
// named "bad", and fails the rest: each batch moves the cursor by two.
type flaky struct {
	mu   sync.Mutex
	seen []string
}

func (f *flaky) Send(_ context.Context, batch [][]byte) ([]error, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]error, len(batch))
	for i, r := range batch {
		switch {
		case string(r) == "bad":
			out[i] = &Rejected{Reason: "unparsable"}
		case i < 2:
			f.seen = append(f.seen, string(r))
		default:
			out[i] = errors.New("timeout")
		}
	}
	return out, nil
}

func TestPartialBatches(t *testing.T) {
	dir := t.TempDir()
	sp, err := spool.Open(spool.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	dest := &flaky{}
	o, err := New("flaky", dest, sp, Options{Batch: 5, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond, DeadLetter: filepath.Join(dir, "dl.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go o.Run(ctx)
	var want []string
	for i := range 12 {
		rec := fmt.Sprint(i)
		if i == 1 {
			rec = "bad"
		} else {
			want = append(want, rec)
		}
		if err := o.Enqueue(ctx, []byte(rec)); err != nil {
			t.Fatal(err)
		}
	}
	if left := o.Drain(ctx); left != 0 {
		t.Fatalf("%d left", left)
	}
	dest.mu.Lock()
	defer dest.mu.Unlock()
	if fmt.Sprint(dest.seen) != fmt.Sprint(want) {
		t.Errorf("delivered %v, want %v in order", dest.seen, want)
	}
	if st := o.Stats(); st.Sent != 11 || st.DeadLettered != 1 || st.Retried == 0 {
		t.Errorf("stats %+v", st)
	}
	if _, err := New("x", dest, sp, Options{}); err == nil {
		t.Error("an output without a dead-letter file")
	}
}

func TestBackoff(t *testing.T) {
	d := time.Duration(0)
	for range 20 {
		d = next(d, 10*time.Millisecond, time.Second)
		if d < 5*time.Millisecond || d > time.Second {
			t.Fatalf("delay %v", d)
		}
	}
}
