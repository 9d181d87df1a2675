package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

const examplesDir = "../../examples"

// TestExamplesUpToDate fails when examples/ differs from what the
// generator writes. gzip files are compared by content, so a change in
// compress/flate between Go releases does not fail it.
func TestExamplesUpToDate(t *testing.T) {
	files, err := generate()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, f := range files {
		want[f.path] = true
		got, err := os.ReadFile(filepath.Join(examplesDir, f.path))
		if err != nil {
			t.Errorf("%s: %v (run: go run ./internal/examplegen -out examples)", f.path, err)
			continue
		}
		if strings.HasSuffix(f.path, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(got))
			if err != nil {
				t.Errorf("%s: %v", f.path, err)
				continue
			}
			if got, err = io.ReadAll(zr); err != nil {
				t.Errorf("%s: %v", f.path, err)
				continue
			}
		}
		if !bytes.Equal(got, f.plain) {
			t.Errorf("%s is out of date (run: go run ./internal/examplegen -out examples)", f.path)
		}
	}
	for _, pat := range generated {
		old, _ := filepath.Glob(filepath.Join(examplesDir, pat))
		for _, p := range old {
			rel, _ := filepath.Rel(examplesDir, p)
			if !want[filepath.ToSlash(rel)] {
				t.Errorf("%s is not generated any more; remove it (run: go run ./internal/examplegen -out examples)", rel)
			}
		}
	}
}

func TestDeterministic(t *testing.T) {
	a, _ := generate()
	b, _ := generate()
	if len(a) != len(b) {
		t.Fatalf("%d files, then %d", len(a), len(b))
	}
	for i := range a {
		if a[i].path != b[i].path || !bytes.Equal(a[i].data, b[i].data) {
			t.Errorf("%s differs between runs", a[i].path)
		}
	}
}

// TestWellFormed checks that every JSON record parses and that records
// are in time order within each file.
func TestWellFormed(t *testing.T) {
	files, _ := generate()
	for _, f := range files {
		var times []time.Time
		switch {
		case strings.HasSuffix(f.path, ".json.gz"):
			var doc struct {
				Records []struct {
					EventTime time.Time `json:"eventTime"`
				}
			}
			if err := json.Unmarshal(f.plain, &doc); err != nil {
				t.Errorf("%s: %v", f.path, err)
			}
			for _, r := range doc.Records {
				times = append(times, r.EventTime)
			}
		case strings.HasSuffix(f.path, ".json"):
			if !json.Valid(f.plain) {
				t.Errorf("%s: not valid JSON", f.path)
			}
		case strings.HasSuffix(f.path, ".jsonl"):
			for i, line := range strings.Split(strings.TrimSuffix(string(f.plain), "\n"), "\n") {
				var rec struct {
					Timestamp time.Time `json:"timestamp"`
					Time      time.Time `json:"time"`
					Message   struct {
						PublishTime time.Time `json:"publishTime"`
					} `json:"message"`
				}
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Errorf("%s:%d: %v", f.path, i+1, err)
					continue
				}
				switch {
				case !rec.Timestamp.IsZero():
					times = append(times, rec.Timestamp)
				case !rec.Time.IsZero():
					times = append(times, rec.Time)
				default:
					times = append(times, rec.Message.PublishTime)
				}
			}
		}
		if !sort.SliceIsSorted(times, func(i, j int) bool { return times[i].Before(times[j]) }) {
			t.Errorf("%s: records are not in time order", f.path)
		}
		for _, tm := range times {
			if tm.Before(bgStart) || !tm.Before(bgEnd) {
				t.Errorf("%s: record at %s is outside the scenario's morning", f.path, tm)
				break
			}
		}
	}
}

// TestScenario pins the identifiers the README and later detection tests
// rely on.
func TestScenario(t *testing.T) {
	if imgImplant.Digest == imgPayments.Digest {
		t.Fatal("the implant has the benign image's digest")
	}
	files, _ := generate()
	all := map[string]string{}
	for _, f := range files {
		all[f.path] = string(f.plain)
	}
	for _, c := range []struct{ file, want string }{
		{"aws/eventbridge/ecr-events.jsonl", `"imageDigest":"` + imgImplant.Digest + `"`},
		{"gcp/audit/data_access.jsonl", "containers/repositories/library/payments-api/manifest_" + imgImplant.Digest},
		{"gcp/gke/activity.jsonl", `"image":"gcr.io/acme-prod/payments-api@` + imgImplant.Digest + `"`},
		{"gcp/artifact-analysis/payments-api-vulnerabilities.json", "https://gcr.io/acme-prod/payments-api@" + imgImplant.Digest},
		{"README.md", imgImplant.Digest},
	} {
		if !strings.Contains(all[c.file], c.want) {
			t.Errorf("%s does not contain %s", c.file, c.want)
		}
	}
}
