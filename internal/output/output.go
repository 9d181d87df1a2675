// Package output writes normalized events and alerts: JSON lines, a
// terminal table, or OCSF (see the ocsf subpackage).
package output

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/event"
)

// Writer writes events. Close flushes.
type Writer interface {
	Write(*event.Event) error
	Close() error
}

// JSON writes one flat JSON object per line.
type JSON struct {
	w   *bufio.Writer
	raw bool
	buf []byte
}

// NewJSON returns a JSON-lines writer; withRaw includes each event's raw record.
func NewJSON(w io.Writer, withRaw bool) *JSON {
	return &JSON{w: bufio.NewWriterSize(w, 64<<10), raw: withRaw}
}

// Write implements Writer.
func (j *JSON) Write(e *event.Event) error {
	j.buf = event.AppendJSON(j.buf[:0], e, j.raw)
	j.buf = append(j.buf, '\n')
	_, err := j.w.Write(j.buf)
	return err
}

// Close implements Writer.
func (j *JSON) Close() error { return j.w.Flush() }

// Table writes a fixed-width table for people at a terminal.
type Table struct {
	w      *bufio.Writer
	header bool
}

// NewTable returns a table writer.
func NewTable(w io.Writer) *Table { return &Table{w: bufio.NewWriter(w)} }

var tableCols = []struct {
	name  string
	width int
}{
	{"time", 20}, {"vendor", 10}, {"dataset", 15}, {"event_name", 34}, {"action", 9}, {"status", 7}, {"src_user", 40}, {"src_ip", 15}, {"dest", 30},
}

// Write implements Writer.
func (t *Table) Write(e *event.Event) error {
	if !t.header {
		t.header = true
		for _, c := range tableCols {
			fmt.Fprintf(t.w, "%-*s ", c.width, strings.ToUpper(c.name))
		}
		t.w.WriteByte('\n')
	}
	for _, c := range tableCols {
		v := event.Lookup(c.name).String(e)
		if c.name == "time" && len(v) > 19 {
			v = v[:19]
		}
		fmt.Fprintf(t.w, "%-*s ", c.width, clip(v, c.width))
	}
	return t.w.WriteByte('\n')
}

func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 {
			return ' '
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// Close implements Writer.
func (t *Table) Close() error { return t.w.Flush() }
