// Package delivery sends alerts to a destination without losing them.
// An Output is a spool (internal/spool) that Enqueue fills and a loop
// drains: it sends the oldest records in batches, acknowledges in the
// spool what the destination confirmed, retries the rest with jittered
// exponential backoff, and sets aside in a dead-letter file, with the
// reason, what the destination rejects for good. What was not confirmed
// before a crash or a restart stays in the spool and is sent again: a
// receiver sees every alert at least once and de-duplicates by alert id.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/spool"
)

// Destination delivers encoded alerts. Send returns one result per
// record of the batch: nil when the destination confirmed it, a
// *Rejected error when it refused it for good (it is dead-lettered),
// another error when it may be tried again. A non-nil err fails the whole
// batch (it is retried).
type Destination interface {
	Send(ctx context.Context, batch [][]byte) (results []error, err error)
}

// Rejected is a destination's final refusal of a record (an HTTP 4xx
// other than 429, a record the destination cannot parse).
type Rejected struct{ Reason string }

func (r *Rejected) Error() string { return "rejected: " + r.Reason }

// Options tune an Output.
type Options struct {
	Batch      int           // records per Send (default 500)
	MinBackoff time.Duration // first retry delay (default 200ms), doubled per failure
	MaxBackoff time.Duration // retry delay cap (default 30s)
	// DeadLetter is the file rejected records are appended to, one JSON
	// line each with the reason (required).
	DeadLetter string
}

// Stats are an output's counters.
type Stats struct {
	Sent         int64 // records the destination confirmed
	Retried      int64 // records sent again after a failure
	DeadLettered int64 // records rejected for good
	Failures     int64 // failed Send calls (whole or partial)
	Spool        spool.Stats
}

// Output delivers the records of one spool to one destination.
type Output struct {
	Name  string
	dest  Destination
	sp    *spool.Spool
	o     Options
	wake  chan struct{}
	dlMu  sync.Mutex
	stats struct{ sent, retried, dead, failures atomic.Int64 }
	// LastError is the latest failure, for status reports.
	lastErr atomic.Value
}

// New returns the output name that drains sp into dest.
func New(name string, dest Destination, sp *spool.Spool, o Options) (*Output, error) {
	if o.DeadLetter == "" {
		return nil, fmt.Errorf("output %s: no dead-letter file", name)
	}
	if o.Batch <= 0 {
		o.Batch = 500
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 200 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	return &Output{Name: name, dest: dest, sp: sp, o: o, wake: make(chan struct{}, 1)}, nil
}

// Enqueue spools one encoded alert for delivery. It returns once the
// record is in the spool (it blocks only when the spool is full and set
// to block).
func (o *Output) Enqueue(ctx context.Context, rec []byte) error {
	if err := o.sp.Append(ctx, rec); err != nil {
		return err
	}
	select {
	case o.wake <- struct{}{}:
	default:
	}
	return nil
}

// Sync forces the spooled records to disk (after a batch of Enqueues).
func (o *Output) Sync() error { return o.sp.Sync() }

// Run delivers until ctx ends.
func (o *Output) Run(ctx context.Context) {
	backoff := time.Duration(0)
	failed := map[uint64]bool{} // sequence numbers that failed once: their next send is a retry
	for ctx.Err() == nil {
		recs, err := o.sp.Peek(o.o.Batch)
		if err != nil {
			o.lastErr.Store(err.Error())
			if !sleep(ctx, o.o.MaxBackoff) {
				return
			}
			continue
		}
		if len(recs) == 0 {
			select {
			case <-ctx.Done():
				return
			case <-o.wake:
			case <-time.After(time.Second):
			}
			continue
		}
		for _, r := range recs {
			if failed[r.Seq] {
				o.stats.retried.Add(1)
			}
		}
		batch := make([][]byte, len(recs))
		for i, r := range recs {
			batch[i] = r.Data
		}
		results, err := o.dest.Send(ctx, batch)
		if err == nil && len(results) != len(batch) {
			err = fmt.Errorf("destination returned %d results for %d records", len(results), len(batch))
		}
		// Acknowledge the confirmed and rejected prefix; retry from the
		// first record that may still go through.
		ackTo, ok := uint64(0), 0
		if err == nil {
			for i, res := range results {
				var rej *Rejected
				switch {
				case res == nil:
					o.stats.sent.Add(1)
				case errors.As(res, &rej):
					if derr := o.deadLetter(recs[i], rej.Reason); derr != nil {
						err = derr
					} else {
						o.stats.dead.Add(1)
					}
				default:
					err = res
				}
				if err != nil {
					break
				}
				ackTo, ok = recs[i].Seq, i+1
			}
		}
		if ackTo > 0 {
			if aerr := o.sp.Ack(ackTo); aerr != nil && err == nil {
				err = aerr
			}
			for _, r := range recs[:ok] {
				delete(failed, r.Seq)
			}
		}
		if err == nil {
			backoff = 0
			continue
		}
		o.stats.failures.Add(1)
		o.lastErr.Store(err.Error())
		for _, r := range recs[ok:] {
			failed[r.Seq] = true
		}
		backoff = next(backoff, o.o.MinBackoff, o.o.MaxBackoff)
		if !sleep(ctx, backoff) {
			return
		}
	}
}

// next is the retry delay after one more failure: doubled, capped, with
// jitter (half to all of it), so that many senders do not retry together.
func next(cur, lo, hi time.Duration) time.Duration {
	d := cur * 2
	if d < lo {
		d = lo
	}
	if d > hi {
		d = hi
	}
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Drain waits until every spooled record was delivered or dead-lettered,
// or ctx ends; it returns how many records are still unconfirmed then
// (they stay in the spool for the next run).
func (o *Output) Drain(ctx context.Context) (left int64) {
	for {
		st := o.sp.Stats()
		if st.Records == 0 {
			return 0
		}
		if !sleep(ctx, 20*time.Millisecond) {
			return o.sp.Stats().Records
		}
	}
}

// deadLetter appends a rejected record to the dead-letter file with the
// reason: {"time":..., "output":..., "reason":..., "record": <the record>}.
func (o *Output) deadLetter(r spool.Record, reason string) error {
	o.dlMu.Lock()
	defer o.dlMu.Unlock()
	path := o.o.DeadLetter
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("dead-letter file: %w", err)
	}
	line := fmt.Appendf(nil, `{"time":%q,"output":%q,"reason":%q,"record":`, time.Now().UTC().Format(time.RFC3339Nano), o.Name, reason)
	line = appendRecord(line, r.Data)
	line = append(line, "}\n"...)
	_, err = f.Write(line)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Stats returns the output's counters.
func (o *Output) Stats() Stats {
	return Stats{Sent: o.stats.sent.Load(), Retried: o.stats.retried.Load(), DeadLettered: o.stats.dead.Load(),
		Failures: o.stats.failures.Load(), Spool: o.sp.Stats()}
}

// LastError returns the latest delivery failure ("" if none).
func (o *Output) LastError() string {
	s, _ := o.lastErr.Load().(string)
	return s
}
