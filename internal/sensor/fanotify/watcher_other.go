//go:build !linux

package fanotify

import (
	"errors"
	"github.com/vigilsec/vigil/internal/sensor/record"
)

var errUnsupported = errors.New("fanotify: needs linux")

// Watcher is only available on Linux.
type Watcher struct{}

// Open fails: fanotify needs Linux.
func Open(cfg Config) (*Watcher, error) { return nil, errUnsupported }

// Read returns ErrClosed.
func (w *Watcher) Read(r *record.Record) error { return ErrClosed }

// Stats returns zero counters.
func (w *Watcher) Stats() Stats { return Stats{} }

// Pause does nothing.
func (w *Watcher) Pause() error { return nil }

// Resume does nothing.
func (w *Watcher) Resume() error { return nil }

// Close does nothing.
func (w *Watcher) Close() error { return nil }

// AddContainer fails: fanotify needs Linux.
func (w *Watcher) AddContainer(pid uint32) error { return errUnsupported }

// RemoveContainer fails: fanotify needs Linux.
func (w *Watcher) RemoveContainer(pid uint32) error { return errUnsupported }
