package ingest_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/source"
	"github.com/vigilsec/vigil/internal/source/cloudtrail"
	"github.com/vigilsec/vigil/internal/source/gcpaudit"
)

const ct1 = `{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventTime":"2026-10-14T08:00:00Z","requestParameters":{"bucketName":"b1","key":"k1"}}`
const ct2 = `{"eventVersion":"1.08","eventSource":"ec2.amazonaws.com","eventName":"StopInstances","eventTime":"2026-10-14T08:01:00Z","requestParameters":{"instancesSet":{"items":[{"instanceId":"i-1"}]}}}`

type run struct {
	events   []*event.Event
	problems []ingest.Problem
	stats    *ingest.Stats
}

func read(t *testing.T, name string, data []byte, force source.Format) run {
	t.Helper()
	var out run
	r := ingest.NewReader(ingest.Settings{
		Formats:   []source.Format{cloudtrail.New()},
		Force:     force,
		OnProblem: func(p ingest.Problem) { out.problems = append(out.problems, p) },
	})
	r.ReadStream(name, bytes.NewReader(data), func(e *event.Event) { out.events = append(out.events, e) })
	out.stats = r.Stats()
	return out
}

func gz(t *testing.T, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func TestJSONLinesWithBadLineContinues(t *testing.T) {
	data := ct1 + "\n{\"eventName\": broken\n\n" + `[1,2]` + "\n" + ct2 + "\n"
	r := read(t, "trail.jsonl", []byte(data), nil)
	if len(r.events) != 2 {
		t.Fatalf("got %d events, want 2", len(r.events))
	}
	if r.events[1].Origin.Line != 5 {
		t.Errorf("second event origin line %d, want 5", r.events[1].Origin.Line)
	}
	if r.stats.Skipped[ingest.ReasonMalformedJSON] != 1 || r.stats.Skipped[ingest.ReasonNotObject] != 2 {
		t.Errorf("skipped %v", r.stats.Skipped)
	}
	msg := r.problems[0].Error()
	if !strings.HasPrefix(msg, "trail.jsonl:2: malformed-json:") {
		t.Errorf("problem message %q does not name file and line", msg)
	}
}

func TestS3DeliveryFileGzip(t *testing.T) {
	data := gz(t, `{"Records":[`+ct1+`,`+ct2+`]}`)
	r := read(t, "111122223333_CloudTrail_us-east-1_20261014T0800Z_abc.json.gz", data, nil)
	if len(r.events) != 2 || r.stats.Records != 2 {
		t.Fatalf("events %d records %d", len(r.events), r.stats.Records)
	}
	if r.events[1].Origin.Index != 1 || r.events[1].Origin.Line != 1 {
		t.Errorf("origin %+v", r.events[1].Origin)
	}
	if r.events[1].Compute == nil || r.events[1].Compute.InstanceID != "i-1" {
		t.Errorf("second record not normalized: %s", event.AppendJSON(nil, r.events[1], false))
	}
}

func TestTruncatedGzipKeepsEarlierRecords(t *testing.T) {
	var lines strings.Builder
	for i := 0; i < 2000; i++ {
		lines.WriteString(ct1 + "\n")
	}
	full := gz(t, lines.String())
	r := read(t, "cut.jsonl.gz", full[:len(full)*2/3], nil)
	if len(r.events) == 0 || len(r.events) >= 2000 {
		t.Fatalf("got %d events from a truncated gzip, want some but not all", len(r.events))
	}
	found := false
	for _, p := range r.problems {
		if p.Reason == ingest.ReasonRead && strings.Contains(p.Error(), "cut.jsonl.gz:") {
			found = true
		}
	}
	if !found {
		t.Errorf("no read-error problem for the truncated gzip: %v", r.problems)
	}
}

func TestPrettyPrintedDocuments(t *testing.T) {
	data := "{\n  \"Records\": [\n    " + ct1 + ",\n    " + ct2 + "\n  ]\n}\n{\n \"eventSource\": \"iam.amazonaws.com\",\n \"eventName\": \"ListUsers\",\n \"eventVersion\": \"1.08\"\n}\n"
	r := read(t, "pretty.json", []byte(data), nil)
	if len(r.events) != 3 {
		t.Fatalf("got %d events, want 3 (problems %v)", len(r.events), r.problems)
	}
	if r.events[2].Origin.Line != 7 {
		t.Errorf("third document starts at line %d, want 7", r.events[2].Origin.Line)
	}
}

func TestTruncatedDocument(t *testing.T) {
	r := read(t, "cut.json", []byte("{\n \"Records\": [\n"+ct1+",\n"+ct2[:40]), nil)
	if r.stats.Skipped[ingest.ReasonMalformedJSON] != 1 {
		t.Fatalf("skipped %v", r.stats.Skipped)
	}
	if !strings.Contains(r.problems[0].Error(), "cut.json:1: malformed-json: truncated") {
		t.Errorf("message %q", r.problems[0].Error())
	}
}

func TestPubSubEnvelope(t *testing.T) {
	data := `{"message":{"data":"` + base64.StdEncoding.EncodeToString([]byte(ct1)) + `","messageId":"1"},"subscription":"projects/p/subscriptions/s"}` + "\n" +
		`{"message":{"data":"%%%"}}` + "\n"
	r := read(t, "push.jsonl", []byte(data), nil)
	if len(r.events) != 1 || r.events[0].EventName != "GetObject" {
		t.Fatalf("events %d", len(r.events))
	}
	if r.stats.Skipped[ingest.ReasonEnvelope] != 1 {
		t.Errorf("bad base64 not counted: %v", r.stats.Skipped)
	}
}

func TestUnknownFormatAndBinary(t *testing.T) {
	r := read(t, "x.jsonl", []byte(`{"hello":"world"}`+"\n"+ct1+"\n"), nil)
	if len(r.events) != 1 || r.stats.Skipped[ingest.ReasonUnknownFormat] != 1 {
		t.Fatalf("events %d skipped %v", len(r.events), r.stats.Skipped)
	}
	if !strings.Contains(r.problems[0].Error(), "x.jsonl:1: unknown-format") {
		t.Errorf("message %q", r.problems[0].Error())
	}
	r = read(t, "bin", []byte("\x00\x01\x02garbage"), nil)
	if r.stats.Skipped[ingest.ReasonUnknownFormat] != 1 {
		t.Errorf("binary: %v", r.stats.Skipped)
	}
	r = read(t, "text.log", []byte("hello there\nsecond line\n"), nil)
	if r.stats.Skipped[ingest.ReasonUnknownFormat] != 2 || len(r.problems) != 1 {
		t.Errorf("text: skipped %v problems %d", r.stats.Skipped, len(r.problems))
	}
}

func TestForcedFormatOnFragment(t *testing.T) {
	r := read(t, "frag.jsonl", []byte(`{"eventName":"ConsoleLogin"}`), cloudtrail.New())
	if len(r.events) != 1 || r.events[0].EventName != "ConsoleLogin" {
		t.Fatalf("fragment with forced format: %d events", len(r.events))
	}
	r = read(t, "frag.jsonl", []byte(`{"eventName":"ConsoleLogin"}`), nil)
	if len(r.events) != 0 || r.stats.Skipped[ingest.ReasonUnknownFormat] != 1 {
		t.Fatalf("fragment without forced format should not be guessed: %d events", len(r.events))
	}
}

func TestProblemsCappedPerFileButCounted(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 100; i++ {
		b.WriteString("{bad\n")
	}
	r := read(t, "bad.jsonl", []byte(ct1+"\n"+b.String()), nil)
	if r.stats.Skipped[ingest.ReasonMalformedJSON] != 100 {
		t.Errorf("counted %d", r.stats.Skipped[ingest.ReasonMalformedJSON])
	}
	if len(r.problems) > 25 {
		t.Errorf("%d problems reported, want a capped number", len(r.problems))
	}
}

func TestReadPathsDirectory(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755)
	os.WriteFile(filepath.Join(dir, "a", "one.jsonl"), []byte(ct1+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "a", "b", "two.json.gz"), gz(t, `{"Records":[`+ct2+`]}`), 0o644)
	// Documentation and hidden entries beside logs are passed over.
	os.WriteFile(filepath.Join(dir, "README.md"), []byte("# sample logs\n"), 0o644)
	os.MkdirAll(filepath.Join(dir, ".git"), 0o755)
	os.WriteFile(filepath.Join(dir, ".git", "HEAD"), []byte("ref: x\n"), 0o644)
	var evs []*event.Event
	var probs []ingest.Problem
	r := ingest.NewReader(ingest.Settings{Formats: []source.Format{cloudtrail.New()}, OnProblem: func(p ingest.Problem) { probs = append(probs, p) }})
	r.ReadPaths([]string{dir, filepath.Join(dir, "missing")}, func(e *event.Event) { evs = append(evs, e) })
	if len(evs) != 2 || r.Stats().Files != 2 {
		t.Fatalf("events %d files %d", len(evs), r.Stats().Files)
	}
	if len(r.Stats().Unread) != 1 || len(probs) != 1 {
		t.Errorf("missing path not reported: %v", probs)
	}
	if r.Stats().Ignored["documentation-or-hidden"] != 2 {
		t.Errorf("ignored %v", r.Stats().Ignored)
	}
	// Named explicitly, a Markdown file is read (and is no known format).
	r = ingest.NewReader(ingest.Settings{Formats: []source.Format{cloudtrail.New()}, OnProblem: func(ingest.Problem) {}})
	r.ReadPaths([]string{filepath.Join(dir, "README.md")}, func(*event.Event) {})
	if r.Stats().Files != 1 || r.Stats().Skipped[ingest.ReasonUnknownFormat] != 1 {
		t.Errorf("explicit file: %+v", r.Stats())
	}
}

func TestLongLine(t *testing.T) {
	long := `{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"PutObject","requestParameters":{"key":"` + strings.Repeat("x", 1<<20) + `"}}`
	r := read(t, "long.jsonl", []byte(ct1+"\n"+long+"\n"+ct2), nil)
	if len(r.events) != 3 {
		t.Fatalf("got %d events", len(r.events))
	}
	if len(r.events[1].Storage.ObjectPath) != 1<<20 {
		t.Errorf("long key cut")
	}
}

func TestCloudLoggingEntries(t *testing.T) {
	entry := func(id, method string) string {
		return `{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"storage.googleapis.com","methodName":"` + method +
			`","resourceName":"projects/_/buckets/b1","authenticationInfo":{"principalEmail":"alice@example.com"}},"insertId":"` + id +
			`","resource":{"type":"gcs_bucket","labels":{"project_id":"p1","bucket_name":"b1"}},"timestamp":"2026-10-14T08:00:00Z","logName":"projects/p1/logs/cloudaudit.googleapis.com%2Fdata_access"}`
	}
	for _, c := range []struct {
		name, doc string
		want      int
	}{
		{"entries.list answer", `{"entries":[` + entry("a1", "storage.objects.get") + `,` + entry("a2", "storage.objects.delete") + `],"nextPageToken":"EAE4"}`, 2},
		{"entries without a page token", `{"entries":[` + entry("a3", "storage.objects.get") + `]}`, 1},
		{"exporter batch with its own keys", `{"logEntries":[` + entry("a4", "storage.objects.get") + `],"subscription":"projects/p1/subscriptions/s","deliveryAttempt":1}`, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := ingest.NewReader(ingest.Settings{Formats: []source.Format{cloudtrail.New(), gcpaudit.New()}})
			var evs []*event.Event
			r.ReadStream("entries.json", strings.NewReader(c.doc), func(e *event.Event) { evs = append(evs, e) })
			if len(evs) != c.want || r.Stats().SkippedTotal() != 0 {
				t.Fatalf("%d events, want %d; stats %+v", len(evs), c.want, r.Stats())
			}
			for i, e := range evs {
				if e.Origin.Index != i || e.Vendor != event.VendorGCP || e.Account != "p1" {
					t.Errorf("event %d: index %d vendor %q account %q", i, e.Origin.Index, e.Vendor, e.Account)
				}
			}
		})
	}
	// An "entries" member of something else with more keys is no envelope.
	r := ingest.NewReader(ingest.Settings{Formats: []source.Format{cloudtrail.New()}})
	r.ReadStream("x.json", strings.NewReader(`{"entries":[{"a":1}],"b":2,"c":3}`), func(*event.Event) {})
	if r.Stats().Records != 1 {
		t.Errorf("records %d, want the object itself", r.Stats().Records)
	}
}
