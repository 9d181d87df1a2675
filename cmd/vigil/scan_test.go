package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/source/sourcetest"
)

// TestScanExamples: the quickstart's scan gives JSON alerts with the
// documented shape, the T1525 chain among them.
func TestScanExamples(t *testing.T) {
	out, errs, code := run(t, "scan", "-q", "-o", "json", filepath.Join(sourcetest.Root(), "examples"))
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	titles := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var a struct {
			Time string `json:"time"`
			Rule struct {
				ID, Title, Level, Type string
				Tags                   []string
			} `json:"rule"`
			GroupBy map[string]string `json:"group_by"`
			Events  []map[string]any  `json:"events"`
		}
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		if a.Rule.ID == "" || a.Rule.Level == "" || len(a.Rule.Tags) == 0 || a.Time == "" || len(a.Events) == 0 {
			t.Errorf("incomplete alert: %s", line)
		}
		if a.Rule.Type != "detection" && len(a.GroupBy) == 0 {
			t.Errorf("correlation alert without group_by: %s", line)
		}
		titles[a.Rule.Title] = true
	}
	for _, want := range []string{
		"Access Key Used With Several User Agents",
		"ECR Image Pushed by a Principal That Is Not an Assumed Role",
		"GCP Registry Image Pushed With a User-Managed Service Account Key",
		"Image Pushed With a Long-Term Credential Then Deployed to Kubernetes",
		"Container Image With Severe Registry Vulnerabilities",
	} {
		if !titles[want] {
			t.Errorf("no alert %q", want)
		}
	}
	if !strings.Contains(errs, "rules loaded") || !strings.Contains(errs, "alerts: ") {
		t.Errorf("no scan summary:\n%s", errs)
	}
}

func TestScanFailOnAndOutputs(t *testing.T) {
	ex := filepath.Join(sourcetest.Root(), "examples")
	if _, errs, code := run(t, "scan", "-q", "--fail-on", "critical", "-o", "json", ex); code != 3 {
		t.Errorf("--fail-on critical: exit %d, want 3\n%s", code, errs)
	}
	if _, _, code := run(t, "scan", "-q", "--fail-on", "severe", ex); code != 2 {
		t.Errorf("--fail-on with a bad level: exit %d", code)
	}
	out, errs, code := run(t, "scan", "-q", "-o", "ocsf", ex)
	if code != 0 || !strings.Contains(out, `"class_uid":2004`) {
		t.Errorf("ocsf: exit %d %s", code, errs)
	}
	out, _, _ = run(t, "scan", "-q", "-o", "table", ex)
	if !strings.HasPrefix(out, "TIME") || !strings.Contains(out, "CRITICAL") {
		t.Errorf("table:\n%s", out)
	}
	// Without rules nothing fires, and the run still succeeds.
	out, errs, code = run(t, "scan", "-q", "--no-builtin", "-o", "json", ex)
	if code != 0 || out != "" || !strings.Contains(errs, "0 rules loaded") {
		t.Errorf("--no-builtin: exit %d out %q\n%s", code, out, errs)
	}
}

func TestRulesCommands(t *testing.T) {
	out, errs, code := run(t, "rules", "test")
	if code != 0 || !strings.Contains(out, " 0 failed") {
		t.Fatalf("rules test: exit %d\n%s%s", code, out, errs)
	}
	out, _, code = run(t, "rules", "list", "-o", "json")
	if code != 0 || strings.Count(out, "\n") < 80 {
		t.Errorf("rules list: exit %d, %d rules", code, strings.Count(out, "\n"))
	}
	out, _, code = run(t, "coverage", "-o", "json")
	var cov []struct {
		Tactic     string
		Techniques []struct{ ID string }
	}
	if err := json.Unmarshal([]byte(out), &cov); err != nil || code != 0 || len(cov) < 10 {
		t.Errorf("coverage: exit %d, %d tactics, %v", code, len(cov), err)
	}
	// One platform's view: every technique listed is covered there.
	out, _, code = run(t, "coverage", "--platform", "gcp", "-o", "json")
	var gcp []struct {
		Techniques []struct {
			ID        string
			Platforms map[string][]string
		}
	}
	if err := json.Unmarshal([]byte(out), &gcp); err != nil || code != 0 || len(gcp) < 5 {
		t.Errorf("coverage --platform gcp: exit %d, %d tactics, %v", code, len(gcp), err)
	}
	for _, tc := range gcp {
		for _, x := range tc.Techniques {
			if len(x.Platforms["gcp"]) == 0 {
				t.Errorf("coverage --platform gcp lists %s, covered on %v", x.ID, x.Platforms)
			}
		}
	}
	out, _, code = run(t, "coverage")
	if code != 0 || !strings.Contains(out, "rules   aws azure   gcp   k8s linux   any") || !strings.Contains(out, "Cloud techniques covered on some clouds") {
		t.Errorf("coverage table: exit %d\n%s", code, out)
	}
	if _, errs, code := run(t, "coverage", "--platform", "vax"); code != 2 || !strings.Contains(errs, `--platform "vax"`) {
		t.Errorf("coverage --platform vax: exit %d, %s", code, errs)
	}
	// lint: every corpus cloud and Kubernetes rule loads.
	out, _, code = run(t, "rules", "lint", sourcetest.Corpus(t, "sigma/cloud"), sourcetest.Corpus(t, "sigma/application/kubernetes"))
	if code != 0 || !strings.Contains(out, "222 rules loaded") {
		t.Errorf("lint corpus: exit %d\n%s", code, out)
	}
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.yml", "title: bad\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName|nosuch: x\n  condition: sel\n")
	out, _, code = run(t, "rules", "lint", bad)
	if code != 1 || !strings.Contains(out, "bad.yml:") || !strings.Contains(out, "nosuch") {
		t.Errorf("lint bad rule: exit %d\n%s", code, out)
	}
}

// TestScanWholeCorpus scans every file of ../shared/corpus (logs, and the
// Sigma rules themselves read as logs) with the builtin rules and every
// corpus Sigma rule: it finishes, reads what it can, and does not crash.
func TestScanWholeCorpus(t *testing.T) {
	corpus := sourcetest.Corpus(t, "")
	out, errs, code := run(t, "scan", "-q", "-o", "json",
		"--rules", filepath.Join(corpus, "sigma", "cloud"),
		"--rules", filepath.Join(corpus, "sigma", "application"),
		"--rules", filepath.Join(corpus, "sigma", "linux"),
		corpus)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	if !strings.Contains(errs, "rules loaded") || strings.Count(out, "\n") == 0 {
		t.Fatalf("no alerts or no summary:\n%s", errs)
	}
	t.Logf("%d alerts\n%s", strings.Count(out, "\n"), errs)
}

// TestScanUnsortedFile: a CloudTrail file not in time order (as a shipper
// or an export may write it) still raises its correlation alert: the
// lateness grows to the disorder, and the summary says so; bounded by
// --max-lateness, the late events are counted instead.
func TestScanUnsortedFile(t *testing.T) {
	dir := t.TempDir()
	rec := func(when, user string) string {
		return fmt.Sprintf(`{"eventVersion":"1.08","eventSource":"secretsmanager.amazonaws.com","eventName":"GetSecretValue","eventTime":"2026-10-14T%sZ","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/%s","accountId":"111122223333","userName":"%s"},"requestParameters":{"secretId":"s-%s"}}`, when, user, user, when)
	}
	logs := writeFile(t, dir, "trail.json", `{"Records":[`+strings.Join([]string{
		rec("10:00:00", "ursula"), rec("10:30:00", "victor"), rec("10:00:30", "ursula"), rec("10:01:00", "ursula"),
	}, ",")+`]}`)
	rules := writeFile(t, dir, "rules.yml", `title: secret read
name: secret_read
id: 0d8e5f4c-2b8f-4a51-9b0e-3c1d2e4f5a60
logsource: {product: vigil}
detection:
  sel: {event_name: GetSecretValue}
  condition: sel
level: low
---
title: three secret reads in five minutes
id: 5c7a2b1e-8f3d-4e6a-b9c0-1d2e3f4a5b6c
correlation:
  type: event_count
  rules: [secret_read]
  group-by: [src_user]
  timespan: 5m
  condition: {gte: 3}
level: high
`)
	out, errs, code := run(t, "scan", "-q", "--no-builtin", "--rules", rules, "-o", "json", logs)
	if code != 0 || strings.Count(out, "three secret reads") != 1 || !strings.Contains(out, "ursula") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(errs, "1 events out of time order beyond the lateness, correlated after it grew to 29m30s") {
		t.Errorf("summary:\n%s", errs)
	}
	out, errs, code = run(t, "scan", "-q", "--no-builtin", "--rules", rules, "--max-lateness", "10m", "-o", "json", logs)
	if code != 0 || strings.Contains(out, "three secret reads") || !strings.Contains(errs, "2 too late or without time") {
		t.Errorf("--max-lateness 10m: exit %d\n%s\n%s", code, out, errs)
	}
}
