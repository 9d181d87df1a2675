package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/alert"
	"github.com/vigilsec/vigil/internal/outputs"
)

// alertQueue hands alerts from a hot path (the sensor's read loop) to the
// outputs without blocking it: Put is a send on a bounded channel; a
// goroutine enqueues the alerts into the spools and syncs them in
// batches. An alert that finds the channel full is counted, never waited
// for.
type alertQueue struct {
	ch       chan *alert.Alert
	outs     *outputs.Set
	dropped  atomic.Int64
	failures atomic.Int64
	lastErr  atomic.Value
	done     sync.WaitGroup
}

// alertQueueLen is how many alerts may wait for the spools.
const alertQueueLen = 8192

func newAlertQueue(outs *outputs.Set) *alertQueue {
	q := &alertQueue{ch: make(chan *alert.Alert, alertQueueLen), outs: outs}
	q.done.Add(1)
	go q.run()
	return q
}

// Put queues an alert; it never blocks.
func (q *alertQueue) Put(a *alert.Alert) {
	select {
	case q.ch <- a:
	default:
		q.dropped.Add(1)
	}
}

func (q *alertQueue) run() {
	defer q.done.Done()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	pending := false
	sync := func() {
		if pending {
			if err := q.outs.Sync(); err != nil {
				q.failures.Add(1)
				q.lastErr.Store(err.Error())
			}
			pending = false
		}
	}
	for {
		select {
		case a, ok := <-q.ch:
			if !ok {
				sync()
				return
			}
			if err := q.outs.Send(context.Background(), a); err != nil {
				q.failures.Add(1)
				q.lastErr.Store(err.Error())
				continue
			}
			pending = true
		case <-tick.C:
			sync()
		}
	}
}

// Close spools what is queued and stops the goroutine.
func (q *alertQueue) Close() {
	close(q.ch)
	q.done.Wait()
}
