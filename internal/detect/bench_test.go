package detect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/source/sourcetest"
	"github.com/vigilsec/vigil/rules"
)

// allRules are the builtin rules plus every corpus cloud and Kubernetes
// Sigma rule.
func allRules(b testing.TB) []File {
	files := corpusRules(b, "cloud", "application/kubernetes")
	fs.WalkDir(rules.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yml") && !rules.IsData(p) {
			data, _ := rules.FS.ReadFile(p)
			files = append(files, File{Name: p, Data: data, Builtin: true})
		}
		return nil
	})
	return files
}

// cloudTrailLines returns complete CloudTrail records of the corpus as
// JSON lines (as the ingest benchmarks use).
func cloudTrailLines(b *testing.B) ([]byte, int) {
	var buf bytes.Buffer
	n := 0
	for _, l := range sourcetest.Lines(b, sourcetest.Corpus(b, "aws/cloudtrail/panther-tests.jsonl")) {
		var m map[string]any
		if json.Unmarshal(l, &m) != nil || len(m) < 10 {
			continue
		}
		buf.Write(l)
		buf.WriteByte('\n')
		n++
	}
	return buf.Bytes(), n
}

// exampleTrail returns the CloudTrail records of examples/ as JSON lines:
// a morning of ordinary activity with an attack in it, where the corpus
// samples are nearly all attacks.
func exampleTrail(b *testing.B) ([]byte, int) {
	var buf bytes.Buffer
	n := 0
	r := ingest.NewReader(ingest.Settings{Formats: components.Formats(), KeepRaw: true})
	r.ReadPaths([]string{filepath.Join(sourcetest.Root(), "examples", "aws", "cloudtrail")}, func(e *event.Event) {
		buf.Write(e.Raw)
		buf.WriteByte('\n')
		n++
	})
	if n < 1000 {
		b.Fatalf("%d records", n)
	}
	return buf.Bytes(), n
}

// replicate repeats the records ten times, each copy with its own
// eventIDs, so that a pass is long enough for correlation state to be
// warm and no record is a duplicate of another.
//
// The examples' records all fall on 2026-10-14: each copy is moved to a
// day of its own (copy k on the 14th+k), so that the ten copies read as
// ten consecutive mornings in time order, as a scan of a log archive
// sees them. (Copies sharing one morning would come hours out of order:
// the engine would hold every window open that long, the cost of an
// unsorted input, measured by BenchmarkScan's corpus samples, whose times
// are scattered.)
func replicate(data []byte, _ int) []byte {
	var out bytes.Buffer
	for k := 0; k < 10; k++ {
		c := bytes.ReplaceAll(data, []byte(`"eventID":"`), []byte(fmt.Sprintf(`"eventID":"copy%d-`, k)))
		c = bytes.ReplaceAll(c, []byte(`"2026-10-14T`), []byte(fmt.Sprintf(`"2026-10-%02dT`, 14+k)))
		out.Write(c)
	}
	return out.Bytes()
}

// BenchmarkScan measures normalization plus detection with every rule
// loaded against normalization alone on the same input. Each iteration
// runs one pass of each, alternately, so the two are measured on the same
// machine at the same time; "ratio" is normalize time over scan time (the
// share of a scan that is normalization). The input is the corpus's
// CloudTrail samples (nearly every record an attack: a worst case);
// BenchmarkScanExamples reads the CloudTrail of examples/ (mostly ordinary
// activity).
func BenchmarkScan(b *testing.B) { benchScan(b, cloudTrailLines) }

func BenchmarkScanExamples(b *testing.B) { benchScan(b, exampleTrail) }

func benchScan(b *testing.B, input func(*testing.B) ([]byte, int)) {
	// The GC target cmd/vigil runs with (unless GOGC is set).
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	data := replicate(input(b))
	placeholders := map[string][]string{"vuln_min_severities": {"critical", "high"}, "admin_policies": {"x"}, "aws_instance_networks": {"10.0.0.0/8"}}
	files := allRules(b)
	g, errs := New(Config{Placeholders: placeholders}, files)
	if len(errs) > 0 {
		b.Logf("%d rules did not load (first: %v)", len(errs), errs[0])
	}
	formats := components.Formats()
	sink := func(*Alert) {}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var events, scanned int
	var normalizing, scanning time.Duration
	pass := func(detect bool) time.Duration {
		start := time.Now()
		r := ingest.NewReader(ingest.Settings{Formats: formats})
		r.ReadStream("bench", bytes.NewReader(data), func(e *event.Event) {
			if detect {
				g.Process(e, sink)
			}
		})
		if detect {
			scanned += r.Stats().Events
		} else {
			events += r.Stats().Events
		}
		return time.Since(start)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// A fresh engine per pass: the same input read again would be
		// skipped as duplicate CloudTrail events. Building it is not timed.
		b.StopTimer()
		g, _ = New(Config{Placeholders: placeholders}, files)
		runtime.GC()
		b.StartTimer()
		scanning += pass(true)
		b.StopTimer()
		runtime.GC()
		b.StartTimer()
		normalizing += pass(false)
	}
	b.ReportMetric(float64(scanned)/scanning.Seconds(), "scan-events/s")
	b.ReportMetric(float64(events)/normalizing.Seconds(), "normalize-events/s")
	b.ReportMetric(normalizing.Seconds()/scanning.Seconds(), "ratio")
	b.ReportMetric(float64(len(g.Rules())), "rules")
}

// BenchmarkCorrelationHeap streams 10 million events, each with a new
// group-by value, through an event_count correlation with state caps of
// 10,000 and 100,000 groups, and reports the peak heap: it follows the
// cap, not the number of events.
func BenchmarkCorrelationHeap(b *testing.B) {
	for _, cap := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint("cap=", cap), func(b *testing.B) { benchHeap(b, cap) })
	}
}

func benchHeap(b *testing.B, stateCap int) {
	const events = 10_000_000
	runtime.GC()
	g, errs := New(Config{StateCap: stateCap}, []File{{Name: "heap.yml", Data: []byte(`
title: any
name: any
logsource: {product: vigil}
detection:
  sel: {event_name: GetObject}
  condition: sel
---
title: many reads by one principal
correlation:
  type: event_count
  rules: [any]
  group-by: [src_user]
  timespan: 1h
  condition: {gte: 1000}
`)}})
	if len(errs) > 0 {
		b.Fatal(errs[0])
	}
	var peak uint64
	var ms runtime.MemStats
	t0 := time.Date(2026, 10, 14, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for n := 0; n < events; n++ {
			e := &event.Event{Time: t0.Add(time.Duration(n) * time.Millisecond), VendorProduct: "x", EventName: "GetObject",
				SrcUser: fmt.Sprintf("arn:aws:sts::111122223333:assumed-role/r/session-%d", n)}
			g.Process(e, func(*Alert) {})
			if n%500_000 == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}
	}
	st := g.Stats()
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(st.Groups), "groups-held")
	b.ReportMetric(float64(st.Evicted), "evicted")
}

// BenchmarkProcess measures detection alone: the examples' CloudTrail
// events, normalized beforehand with their records parsed, through an
// engine with every rule loaded (ns/op is per event).
func BenchmarkProcess(b *testing.B) {
	var events []*event.Event
	r := ingest.NewReader(ingest.Settings{Formats: components.Formats(), KeepRaw: true})
	r.ReadPaths([]string{filepath.Join(sourcetest.Root(), "examples", "aws", "cloudtrail")}, func(e *event.Event) {
		var p fastjson.Parser
		v, err := p.ParseBytes(e.Raw)
		if err != nil {
			b.Fatal(err)
		}
		e.Record = v
		events = append(events, e)
	})
	placeholders := map[string][]string{"vuln_min_severities": {"critical", "high"}, "admin_policies": {"x"}, "aws_instance_networks": {"10.0.0.0/8"}}
	files := allRules(b)
	sink := func(*Alert) {}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; {
		b.StopTimer()
		g, _ := New(Config{Placeholders: placeholders}, files)
		b.StartTimer()
		for _, e := range events {
			g.Process(e, sink)
			if i++; i == b.N {
				break
			}
		}
	}
}
