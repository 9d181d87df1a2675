package components_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/source/sourcetest"
)

// corpusFormats says which format reads each corpus folder. The
// Panther-parsed VPC JSON and OCSF fragments are not vendor formats and are
// left out; aws/vpcflow's raw .log file is in.
var corpusFormats = []struct {
	dir, glob, format string
}{
	{"aws/cloudtrail", "*.jsonl", "cloudtrail"},
	{"aws/vpcflow", "*.log", "aws-vpcflow"},
	{"gcp/audit", "*.jsonl", "gcp-audit"},
	{"gcp/gke", "*.jsonl", "k8s-audit"},
	{"gcp/artifact-analysis", "*.json", "gcp-vuln"},
	{"azure/activity", "*.jsonl", "azure-activity"},
	{"azure/aks", "*.jsonl", "k8s-audit"},
	{"azure/signin", "*.jsonl", "azure-signin"},
	{"kubernetes/audit", "*.jsonl", "k8s-audit"},
}

// deliberatelyMalformed are corpus files kept as bad input on purpose.
var deliberatelyMalformed = map[string]bool{"falco-k8s-audit-malformed.jsonl": true}

func corpusFiles(t *testing.T) (files []string, format map[string]string) {
	format = map[string]string{}
	for _, c := range corpusFormats {
		matches, err := filepath.Glob(filepath.Join(sourcetest.Corpus(t, c.dir), c.glob))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range matches {
			if strings.HasSuffix(m, ".labels.jsonl") || deliberatelyMalformed[filepath.Base(m)] {
				continue
			}
			files = append(files, m)
			format[m] = c.format
		}
	}
	if len(files) < 15 {
		t.Fatalf("only %d corpus files found", len(files))
	}
	return files, format
}

func readFile(t *testing.T, path, force string) *ingest.Stats {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f = components.Format(force)
	if force != "" && f == nil {
		t.Fatalf("no format %q", force)
	}
	r := ingest.NewReader(ingest.Settings{Formats: components.Formats(), Force: f,
		OnProblem: func(p ingest.Problem) { t.Errorf("%s: %v", force, p) }})
	if force == "" {
		r = ingest.NewReader(ingest.Settings{Formats: components.Formats()})
	}
	r.ReadStream(path, strings.NewReader(string(data)), func(*event.Event) {})
	return r.Stats()
}

// TestCorpusForced: every record of the real corpus normalizes when its
// format is given.
func TestCorpusForced(t *testing.T) {
	files, format := corpusFiles(t)
	total := 0
	for _, f := range files {
		st := readFile(t, f, format[f])
		total += st.Records
		if st.SkippedTotal() != 0 || st.Events == 0 {
			t.Errorf("%s with --format %s: %d records, %d events, skipped %v", f, format[f], st.Records, st.Events, st.Skipped)
		}
	}
	t.Logf("%d corpus records normalized with --format", total)
}

// TestCorpusDetected: at least 95% of the corpus is read by the right
// format with automatic detection.
func TestCorpusDetected(t *testing.T) {
	files, format := corpusFiles(t)
	records, right := 0, 0
	for _, f := range files {
		st := readFile(t, f, "")
		records += st.Records
		right += st.ByFormat[format[f]]
		t.Logf("%-70s %4d records, %4d as %s, by format %v, skipped %v", strings.SplitN(f, "corpus/", 2)[1], st.Records, st.ByFormat[format[f]], format[f], st.ByFormat, st.Skipped)
	}
	pct := 100 * float64(right) / float64(records)
	t.Logf("detected %d of %d records (%.1f%%)", right, records, pct)
	if pct < 95 {
		t.Errorf("automatic detection read %.1f%% of the corpus with the right format, want at least 95%%", pct)
	}
}

// TestMalformedCorpusRecord: the corpus's deliberately malformed Kubernetes
// event is skipped with a reason, not a crash.
func TestMalformedCorpusRecord(t *testing.T) {
	path := filepath.Join(sourcetest.Corpus(t, "kubernetes/audit"), "falco-k8s-audit-malformed.jsonl")
	for _, force := range []string{"k8s-audit", ""} {
		r := ingest.NewReader(ingest.Settings{Formats: components.Formats(), Force: components.Format(force)})
		data, _ := os.ReadFile(path)
		r.ReadStream(path, strings.NewReader(string(data)), func(*event.Event) {})
		if st := r.Stats(); st.SkippedTotal() != 1 {
			t.Errorf("force %q: skipped %v, events %d", force, st.Skipped, st.Events)
		}
	}
}

func TestFormatNamesUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range components.Formats() {
		if seen[f.Name()] || f.Name() == "" || f.Doc() == "" {
			t.Errorf("format %q: duplicate or undocumented", f.Name())
		}
		seen[f.Name()] = true
		if components.Format(f.Name()) == nil {
			t.Errorf("Format(%q) = nil", f.Name())
		}
	}
	if len(seen) != 14 {
		t.Errorf("%d formats, want 14", len(seen))
	}
}
