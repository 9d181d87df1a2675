package ingest_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/source/sourcetest"
)

// benchInput returns JSON-lines data built from complete records of a
// corpus file (fragments of a few fields would flatter the figures), and
// the number of records.
func benchInput(b *testing.B, corpus string, minFields int) ([]byte, int) {
	var buf bytes.Buffer
	n := 0
	for _, l := range sourcetest.Lines(b, sourcetest.Corpus(b, corpus)) {
		var m map[string]any
		if json.Unmarshal(l, &m) != nil || len(m) < minFields {
			continue
		}
		buf.Write(l)
		buf.WriteByte('\n')
		n++
	}
	if n == 0 {
		b.Fatal("no records")
	}
	return buf.Bytes(), n
}

// benchNormalize measures parse+normalize: line splitting, JSON parsing,
// format detection and mapping to an event; with encode, also the JSON
// encoding of each event that `vigil normalize` writes.
func benchNormalize(b *testing.B, data []byte, records int, encode bool) {
	formats := components.Formats()
	var out []byte
	emit := func(e *event.Event) {
		if encode {
			out = event.AppendJSON(out[:0], e, false)
		}
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	start := time.Now()
	events := 0
	for i := 0; i < b.N; i++ {
		r := ingest.NewReader(ingest.Settings{Formats: formats})
		r.ReadStream("bench", bytes.NewReader(data), emit)
		events += r.Stats().Events
	}
	el := time.Since(start)
	runtime.ReadMemStats(&ms1)
	if events < b.N*records*9/10 {
		b.Fatalf("only %d events from %d records", events, b.N*records)
	}
	b.ReportMetric(float64(events)/el.Seconds(), "events/s")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(events), "allocs/event")
}

// benchBaseline decodes the same lines with encoding/json into map[string]any.
func benchBaseline(b *testing.B, data []byte, records int) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	start := time.Now()
	n := 0
	for i := 0; i < b.N; i++ {
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "events/s")
}

func BenchmarkNormalizeCloudTrail(b *testing.B) {
	data, n := benchInput(b, "aws/cloudtrail/panther-tests.jsonl", 10)
	benchNormalize(b, data, n, false)
}

func BenchmarkNormalizeCloudTrailEncode(b *testing.B) {
	data, n := benchInput(b, "aws/cloudtrail/panther-tests.jsonl", 10)
	benchNormalize(b, data, n, true)
}

func BenchmarkBaselineCloudTrail(b *testing.B) {
	data, n := benchInput(b, "aws/cloudtrail/panther-tests.jsonl", 10)
	benchBaseline(b, data, n)
}

func BenchmarkNormalizeGCPAudit(b *testing.B) {
	data, n := benchInput(b, "gcp/audit/panther-tests.jsonl", 6)
	benchNormalize(b, data, n, false)
}

func BenchmarkBaselineGCPAudit(b *testing.B) {
	data, n := benchInput(b, "gcp/audit/panther-tests.jsonl", 6)
	benchBaseline(b, data, n)
}

// vpcFlowInput repeats the corpus's raw VPC flow lines to a file of 6,000 records.
func vpcFlowInput(b *testing.B) ([]byte, int) {
	lines := sourcetest.Lines(b, sourcetest.Corpus(b, "aws/vpcflow/panther-scenario-compromised-root-creds-attacker.log"))
	var buf bytes.Buffer
	n := 0
	for i := 0; i < 1000; i++ {
		for _, l := range lines {
			buf.Write(l)
			buf.WriteByte('\n')
			n++
		}
	}
	return buf.Bytes(), n
}

func BenchmarkNormalizeVPCFlow(b *testing.B) {
	data, n := vpcFlowInput(b)
	benchNormalize(b, data, n, false)
}

// BenchmarkBaselineVPCFlow is the naive reading of the same text: split
// each line on spaces and build a map[string]any with numbers converted.
func BenchmarkBaselineVPCFlow(b *testing.B) {
	data, _ := vpcFlowInput(b)
	names := strings.Fields("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	start := time.Now()
	n := 0
	for i := 0; i < b.N; i++ {
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			m := make(map[string]any, len(names))
			for j, f := range strings.Fields(sc.Text()) {
				if j >= len(names) {
					break
				}
				if v, err := strconv.ParseInt(f, 10, 64); err == nil {
					m[names[j]] = v
				} else {
					m[names[j]] = f
				}
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "events/s")
}
