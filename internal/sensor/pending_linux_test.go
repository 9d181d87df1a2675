//go:build linux

package sensor

import (
	"context"
	"github.com/vigilsec/vigil/internal/sensor/record"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// More than maxPending file records waiting: the oldest are handled at
// once and counted; every record is still handed out, and the backlog's
// memory is given back once it is.
func TestPendingBounded(t *testing.T) {
	s, _, f := newScripted(t, 20*time.Millisecond)
	c := &collector{got: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, c.emit) }()

	const extra = 100
	// Not due for a minute: the kernel has not caught up with them.
	file := record.Record{Kind: record.KindOpen, Time: time.Now().Add(time.Minute), TGID: 4000,
		File: record.File{Op: record.OpOpen, Path: "/tmp/x", Flags: unix.O_WRONLY | unix.O_CREAT, Mode: 0o644, FD: -1}}
	for range maxPending + extra {
		f.recs <- file
	}
	c.wait(t, extra)
	s.mu.Lock()
	waiting := len(s.pending) - s.pendHead
	s.mu.Unlock()
	if waiting > maxPending {
		t.Errorf("%d records waiting, bound %d", waiting, maxPending)
	}
	if n := s.Stats().PendingEarly; n != extra {
		t.Errorf("PendingEarly %d, want %d", n, extra)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if evs := c.wait(t, maxPending+extra); len(evs) != maxPending+extra {
		t.Errorf("%d events of %d records", len(evs), maxPending+extra)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cap(s.pending) > pendingKept {
		t.Errorf("room for %d records kept after the backlog, bound %d", cap(s.pending), pendingKept)
	}
}
