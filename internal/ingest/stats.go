package ingest

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/vigilsec/vigil/internal/event"
)

// Skip reasons, as counted in Stats.Skipped.
const (
	ReasonMalformedJSON = "malformed-json"
	ReasonNotObject     = "not-an-object"
	ReasonUnknownFormat = "unknown-format"
	ReasonInvalid       = "invalid-record"
	ReasonRead          = "read-error"
	ReasonTooLong       = "record-too-long"
	ReasonEnvelope      = "bad-envelope"
)

// Stats counts what a run read.
type Stats struct {
	Files     int
	Records   int // records seen, including skipped ones
	Events    int
	ByDataset map[event.Dataset]int
	ByFormat  map[string]int   // records per format
	Skipped   map[string]int   // records skipped, by reason
	Ignored   map[string]int   // records deliberately passed over (e.g. CloudTrail digests)
	Unread    map[string]error // paths that could not be opened or read at all
	NoTime    int              // events whose record had no readable timestamp
}

func newStats() *Stats {
	return &Stats{ByDataset: map[event.Dataset]int{}, ByFormat: map[string]int{}, Skipped: map[string]int{}, Ignored: map[string]int{}, Unread: map[string]error{}}
}

// SkippedTotal is the number of records skipped for any reason.
func (s *Stats) SkippedTotal() int {
	n := 0
	for _, c := range s.Skipped {
		n += c
	}
	return n
}

// WriteSummary writes a human-readable summary.
func (s *Stats) WriteSummary(w io.Writer) {
	fmt.Fprintf(w, "vigil: %d files, %d records, %d events", s.Files, s.Records, s.Events)
	if n := s.SkippedTotal(); n > 0 {
		fmt.Fprintf(w, ", %d skipped", n)
	}
	fmt.Fprintln(w)
	if len(s.ByFormat) > 0 {
		fmt.Fprintf(w, "  records by format: %s\n", joinCounts(s.ByFormat))
	}
	if len(s.ByDataset) > 0 {
		m := map[string]int{}
		for k, v := range s.ByDataset {
			m[string(k)] = v
		}
		fmt.Fprintf(w, "  events by dataset: %s\n", joinCounts(m))
	}
	if len(s.Skipped) > 0 {
		fmt.Fprintf(w, "  skipped by reason: %s\n", joinCounts(s.Skipped))
	}
	if len(s.Ignored) > 0 {
		fmt.Fprintf(w, "  ignored: %s\n", joinCounts(s.Ignored))
	}
	if s.NoTime > 0 {
		fmt.Fprintf(w, "  events without a readable time: %d\n", s.NoTime)
	}
	if len(s.Unread) > 0 {
		fmt.Fprintf(w, "  unreadable paths: %d\n", len(s.Unread))
	}
}

func joinCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// add adds o's counts to s.
func (s *Stats) add(o *Stats) {
	s.Files += o.Files
	s.Records += o.Records
	s.Events += o.Events
	s.NoTime += o.NoTime
	for k, v := range o.ByDataset {
		s.ByDataset[k] += v
	}
	for k, v := range o.ByFormat {
		s.ByFormat[k] += v
	}
	for k, v := range o.Skipped {
		s.Skipped[k] += v
	}
	for k, v := range o.Ignored {
		s.Ignored[k] += v
	}
	for k, v := range o.Unread {
		s.Unread[k] = v
	}
}
