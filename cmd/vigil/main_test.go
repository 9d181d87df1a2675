package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/datamodel"
	"github.com/vigilsec/vigil/internal/source/sourcetest"
)

// run executes vigil with args and returns stdout, stderr and the exit code.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := newRootCmd()
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	code := 0
	if err := cmd.Execute(); err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			code = ee.code
		} else {
			code = 2
		}
		errb.WriteString(err.Error())
	}
	return out.String(), errb.String(), code
}

const goodRecord = `{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventTime":"2026-10-14T08:00:00Z","requestParameters":{"bucketName":"b1","key":"k1"}}`

func writeFile(t *testing.T, dir, name, content string) string {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNormalizeBadInputAndStrict(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.jsonl", goodRecord+"\n{oops\n"+goodRecord+"\n")
	out, errs, code := run(t, "normalize", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if n := strings.Count(out, "\n"); n != 2 {
		t.Errorf("%d output lines, want 2", n)
	}
	if !strings.Contains(errs, "a.jsonl:2: malformed-json") || !strings.Contains(errs, "skipped by reason: malformed-json 1") {
		t.Errorf("stderr lacks the problem or the summary:\n%s", errs)
	}
	_, _, code = run(t, "normalize", "--strict", dir)
	if code != 1 {
		t.Errorf("--strict with a skipped record: exit %d, want 1", code)
	}
	_, errs, code = run(t, "normalize", "-q", filepath.Join(dir, "nothing-here"))
	if code != 1 || !strings.Contains(errs, "nothing could be read") {
		t.Errorf("unreadable input: exit %d, stderr %s", code, errs)
	}
	_, _, code = run(t, "normalize", "--format", "nope", dir)
	if code != 2 {
		t.Errorf("unknown format: exit %d, want 2", code)
	}
}

func TestNormalizeOutputs(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "a.jsonl", goodRecord+"\n")
	out, _, _ := run(t, "normalize", "--raw", "-o", "json", p)
	if !strings.Contains(out, `"bucket_name":"b1"`) || !strings.Contains(out, `"raw":{"eventVersion"`) {
		t.Errorf("json output: %s", out)
	}
	out, _, _ = run(t, "normalize", "-o", "table", p)
	if !strings.HasPrefix(out, "TIME") || !strings.Contains(out, "GetObject") {
		t.Errorf("table output: %s", out)
	}
	out, _, _ = run(t, "normalize", "-o", "ocsf", p)
	if !strings.Contains(out, `"class_uid"`) {
		t.Errorf("ocsf output: %s", out)
	}
}

func TestVersionAndFormats(t *testing.T) {
	out, _, code := run(t, "version")
	if code != 0 || !strings.HasPrefix(out, "vigil ") {
		t.Errorf("version: %q", out)
	}
	out, _, _ = run(t, "formats")
	for _, f := range components.Formats() {
		if !strings.Contains(out, f.Name()) {
			t.Errorf("formats lacks %s", f.Name())
		}
	}
}

// TestDatamodelDocCurrent fails when docs/DATAMODEL.md is stale.
func TestDatamodelDocCurrent(t *testing.T) {
	path := filepath.Join(sourcetest.Root(), "docs", "DATAMODEL.md")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := datamodel.Markdown(components.Formats())
	if string(got) != want {
		t.Fatalf("docs/DATAMODEL.md is stale: regenerate it with `go run ./cmd/vigil datamodel > docs/DATAMODEL.md` (or `make docs`)")
	}
	out, _, _ := run(t, "datamodel")
	if out != want {
		t.Error("vigil datamodel output differs from datamodel.Markdown")
	}
}

// TestExamples: the bundled examples normalize without a skipped record.
func TestExamples(t *testing.T) {
	_, errs, code := run(t, "normalize", "--strict", "-q", filepath.Join(sourcetest.Root(), "examples"))
	if code != 0 {
		t.Fatalf("examples: exit %d\n%s", code, errs)
	}
	for _, ds := range []string{"Container", "Storage", "Vulnerability", "Authentication", "Network_Traffic"} {
		if !strings.Contains(errs, ds) {
			t.Errorf("examples give no %s events:\n%s", ds, errs)
		}
	}
}
