// Package ocsf writes normalized events as OCSF 1.x JSON lines.
package ocsf

import (
	"bufio"
	"io"

	"github.com/vigilsec/vigil/internal/event"
)

// Writer writes OCSF events, one per line.
type Writer struct{ w *bufio.Writer }

// New returns an OCSF writer.
func New(w io.Writer) *Writer { return &Writer{w: bufio.NewWriter(w)} }

// Write writes one event.
func (o *Writer) Write(e *event.Event) error { return nil }

// Close flushes.
func (o *Writer) Close() error { return o.w.Flush() }
