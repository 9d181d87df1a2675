package rules_test

import (
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/ruleset"
)

// TestRuleTests runs every builtin rule's own tests through vigil's real
// ingestion and engine, as `vigil rules test` does.
func TestRuleTests(t *testing.T) {
	files, err := ruleset.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	ph, err := ruleset.Placeholders(ruleset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	results := ruleset.Test(files, detect.Config{Placeholders: ph})
	rules := map[*detect.Rule]bool{}
	for _, r := range results {
		rules[r.Rule] = true
		if !r.Passed() {
			t.Errorf("%s (%s:%d) %s: want alert %v, got %d alerts, err %v", r.Rule.Title, r.Rule.File, r.Rule.Pos.Line, r.Test, r.Want, r.Alerts, r.Err)
		}
	}
	t.Logf("%d tests of %d rules", len(results), len(rules))
}

// TestExamples scans examples/ with the builtin rules: the T1525 chain
// fires, and every alert involves the attacker's activity.
func TestExamples(t *testing.T) {
	g, errs := ruleset.Load(ruleset.Options{}, detect.Config{})
	for _, err := range errs {
		t.Fatal(err)
	}
	attack := func(e *event.Event) bool {
		return e.SrcIP == "185.220.101.47" || e.CredentialID == "AKIAQ3EXAMPLE7CIDEPL" ||
			strings.Contains(e.CredentialID, "6a3f0c2e9b1d4e7f8a5c0b3d2e1f4a6b9c8d7e0f") ||
			strings.Contains(string(e.Raw), "b2ab338442475102b29ac8b740cb93c16354e71b4de577fca845bdf3e30da477")
	}
	fired := map[string]int{}
	out := func(a *detect.Alert) {
		fired[strings.TrimPrefix(a.Rule.File, "builtin:")+": "+a.Rule.Title]++
		for _, e := range a.Events {
			if attack(e) {
				return
			}
		}
		t.Errorf("%s: alert on benign events, first: %s", a.Rule.Title, event.AppendJSON(nil, a.Events[0], false))
	}
	r := ingest.NewReader(ingest.Settings{Formats: components.Formats(), KeepRaw: true})
	ingest.ReadMerged(r, []string{"../examples"}, func(e *event.Event) { g.Process(e, out) })
	g.Flush(out)
	for k, n := range fired {
		t.Logf("%d alerts: %s", n, k)
	}
	for _, want := range []string{
		"cloud/t1525/ecr_push_by_long_term_credential.yml: ECR Image Pushed by a Principal That Is Not an Assumed Role",
		"cloud/t1525/access_key_multiple_user_agents.yml: Access Key Used With Several User Agents",
		"cloud/t1525/gcp_registry_push_with_key.yml: GCP Registry Image Pushed With a User-Managed Service Account Key",
		"cloud/t1525/pushed_image_deployed.yml: Image Pushed With a Long-Term Credential Then Deployed to Kubernetes",
		"cloud/t1525/registry_vulnerabilities.yml: Container Image With Severe Registry Vulnerabilities",
	} {
		if fired[want] == 0 {
			t.Errorf("examples/: %s did not fire", want)
		}
	}
}
