package ocsf_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/output/ocsf"
	"github.com/vigilsec/vigil/internal/source/cloudtrail"
	"github.com/vigilsec/vigil/internal/source/sourcetest"
)

// writeFindings writes findings with an ocsf.FindingWriter and decodes
// every line, failing on anything that is not one JSON object per line.
func writeFindings(t *testing.T, fs ...*ocsf.Finding) []map[string]any {
	t.Helper()
	var buf bytes.Buffer
	w := ocsf.NewFindings(&buf)
	for _, f := range fs {
		if err := w.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != len(fs) {
		t.Fatalf("%d lines for %d findings:\n%s", len(lines), len(fs), buf.String())
	}
	out := make([]map[string]any, len(lines))
	for i, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Fatalf("line %d is not valid JSON: %s", i+1, l)
		}
		if err := json.Unmarshal([]byte(l), &out[i]); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
	}
	return out
}

// cloudTrail parses one CloudTrail record into a normalized event.
func cloudTrail(t *testing.T, record string) *event.Event {
	t.Helper()
	evs := sourcetest.MustParse(t, cloudtrail.New(), record)
	if len(evs) != 1 {
		t.Fatalf("%d events from %s", len(evs), record)
	}
	return evs[0]
}

// ecrCall is a CloudTrail ECR call by the IAM user ci-deployer.
func ecrCall(name, at, id, params string) string {
	return `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDA54F5222836058A2BE",` +
		`"arn":"arn:aws:iam::111122223333:user/ci-deployer","accountId":"111122223333",` +
		`"accessKeyId":"AKIAQ3EXAMPLE7CIDEPL","userName":"ci-deployer"},"eventTime":"` + at + `",` +
		`"eventSource":"ecr.amazonaws.com","eventName":"` + name + `","awsRegion":"us-east-1",` +
		`"sourceIPAddress":"185.220.101.47","userAgent":"docker/20.10.7 go/go1.13.15",` +
		`"requestParameters":` + params + `,"eventID":"` + id + `","readOnly":false,"eventType":"AwsApiCall",` +
		`"managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`
}

const putImageParams = `{"repositoryName":"payments-api","imageTag":"latest","registryId":"111122223333"},` +
	`"responseElements":{"image":{"registryId":"111122223333","repositoryName":"payments-api","imageId":` +
	`{"imageDigest":"sha256:0f4b1c8e2d3a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e","imageTag":"latest"}}}`

func TestDetectionFinding(t *testing.T) {
	e := cloudTrail(t, ecrCall("PutImage", "2026-10-14T09:28:16Z", "45ee599c-975f-5e7f-82c9-ff0a263e493f", putImageParams))
	f := &ocsf.Finding{
		RuleID:          "0d686d30-2d85-47bd-91a1-f61f177b0f62",
		RuleTitle:       "ECR Image Pushed by a Principal That Is Not an Assumed Role",
		RuleLevel:       "high",
		RuleDescription: "An image was pushed to Amazon ECR by an IAM user with a long-term access key.",
		RuleType:        "detection",
		RuleTags:        []string{"attack.persistence", "attack.t1525", "attack.initial_access", "attack.t1078.004"},
		Time:            e.Time,
		Events:          []*event.Event{e},
	}
	evs := writeFindings(t, f, f)
	ev := evs[0]
	check(t, ev, 2004, 1)
	want(t, ev,
		"class_name", "Detection Finding", "category_uid", 2, "category_name", "Findings",
		"activity_name", "Create", "type_uid", 200401, "type_name", "Detection Finding: Create",
		"severity_id", 4, "severity", "High", "status_id", 1, "status", "New",
		"time", e.Time.UnixMilli(), "message", f.RuleTitle,
		"start_time", nil, "count", nil, "unmapped", nil, "raw_data", nil,
		"metadata.version", "1.3.0", "metadata.product.name", "vigil", "metadata.product.vendor_name", "vigil",
		"metadata.labels.1", "attack.t1525", "metadata.profiles.0", "cloud",
		"cloud.provider", "AWS", "cloud.region", "us-east-1", "cloud.account.uid", "111122223333",
		"finding_info.title", f.RuleTitle, "finding_info.desc", f.RuleDescription,
		"finding_info.analytic.name", f.RuleTitle, "finding_info.analytic.uid", f.RuleID,
		"finding_info.analytic.type_id", 1, "finding_info.analytic.type", "Rule",
		"finding_info.types.0", "detection",
		"finding_info.first_seen_time", e.Time.UnixMilli(), "finding_info.last_seen_time", e.Time.UnixMilli(),
		"finding_info.data_sources.0", e.VendorProduct,
		// Sigma does not pair tactics and techniques: each technique with
		// each tactic, in tag order.
		"finding_info.attacks.0.technique.uid", "T1525", "finding_info.attacks.0.technique.name", "Implant Internal Image",
		"finding_info.attacks.0.tactic.uid", "TA0003", "finding_info.attacks.0.tactic.name", "Persistence",
		"finding_info.attacks.0.sub_technique", nil, "finding_info.attacks.0.version", "v14",
		"finding_info.attacks.1.technique.uid", "T1525", "finding_info.attacks.1.tactic.uid", "TA0001",
		"finding_info.attacks.1.tactic.name", "Initial Access",
		"finding_info.attacks.2.technique.uid", "T1078", "finding_info.attacks.2.technique.name", "Valid Accounts",
		"finding_info.attacks.2.sub_technique.uid", "T1078.004", "finding_info.attacks.2.sub_technique.name", "Cloud Accounts",
		"finding_info.attacks.2.tactic.uid", "TA0003",
		"finding_info.attacks.3.tactic.uid", "TA0001", "finding_info.attacks.4", nil,
		"finding_info.related_events.0.uid", e.EventID,
		"evidences.0.actor.user.name", "ci-deployer", "evidences.0.actor.user.uid", "arn:aws:iam::111122223333:user/ci-deployer",
		"evidences.0.actor.user.credential_uid", "AKIAQ3EXAMPLE7CIDEPL",
		"evidences.0.api.operation", "PutImage", "evidences.0.src_endpoint.ip", "185.220.101.47", "evidences.1", nil,
	)
	if !strings.HasPrefix(fmt.Sprint(get(ev, "finding_info.uid")), "vigil-") {
		t.Errorf("finding_info.uid %v", get(ev, "finding_info.uid"))
	}
	if get(ev, "metadata.uid") != get(ev, "finding_info.uid") {
		t.Errorf("metadata.uid %v, finding_info.uid %v", get(ev, "metadata.uid"), get(ev, "finding_info.uid"))
	}

	// The related event is the one the event writer writes: same
	// metadata.uid and type_uid.
	asEvent := encode(t, e)[0]
	want(t, ev, "finding_info.related_events.0.type_uid", asEvent["type_uid"],
		"finding_info.related_events.0.type_name", asEvent["type_name"])
	if get(asEvent, "metadata.uid") != e.EventID {
		t.Errorf("event metadata.uid %v, want %s", get(asEvent, "metadata.uid"), e.EventID)
	}

	// Resources: the image, its repository and registry.
	types := map[string]string{}
	for _, r := range get(ev, "resources").([]any) {
		m := r.(map[string]any)
		types[fmt.Sprint(m["type"])] = fmt.Sprint(m["name"], "|", m["uid"])
	}
	if types["container_repository"] != "payments-api|<nil>" || types["container_registry"] == "" ||
		!strings.HasSuffix(types["container_image"], e.Container.ImageDigest) {
		t.Errorf("resources %v", types)
	}

	// The same finding written twice has the same id; another time or
	// rule gives another.
	if evs[1]["finding_info"].(map[string]any)["uid"] != get(ev, "finding_info.uid") {
		t.Errorf("finding_info.uid not stable: %v, %v", get(evs[1], "finding_info.uid"), get(ev, "finding_info.uid"))
	}
	later, other := *f, *f
	later.Time = f.Time.Add(time.Second)
	other.RuleID = "another"
	o := writeFindings(t, &later, &other)
	if u := get(ev, "finding_info.uid"); get(o[0], "finding_info.uid") == u || get(o[1], "finding_info.uid") == u {
		t.Errorf("finding_info.uid %v reused for a different finding", u)
	}
}

func TestCorrelationFinding(t *testing.T) {
	repo := `{"registryId":"111122223333","repositoryName":"payments-api"}`
	e1 := cloudTrail(t, ecrCall("DescribeRepositories", "2026-10-14T09:14:37Z", "e973c334", `{"registryId":"111122223333"}`))
	e2 := cloudTrail(t, ecrCall("ListImages", "2026-10-14T09:15:02Z", "b2a1f0e4", repo))
	e3 := cloudTrail(t, ecrCall("ListImages", "2026-10-14T09:16:40Z", "c3d4e5f6", repo))
	arn := "arn:aws:iam::111122223333:user/ci-deployer"
	f := &ocsf.Finding{
		RuleID:    "7c1f0b52-8e1d-4d3a-9a55-0e8e2c1f4b10",
		RuleTitle: "ECR Enumeration by One Principal",
		RuleLevel: "medium",
		RuleType:  "event_count",
		RuleTags:  []string{"attack.discovery", "attack.t1580"},
		Time:      e3.Time,
		Events:    []*event.Event{e1, e2, e3},
		GroupBy:   [][2]string{{"userIdentity.arn", arn}},
		Count:     3,
	}
	evs := writeFindings(t, f, f)
	ev := evs[0]
	check(t, ev, 2004, 1)
	want(t, ev,
		"type_uid", 200401, "severity_id", 3, "severity", "Medium", "status_id", 1,
		"message", "ECR Enumeration by One Principal (userIdentity.arn="+arn+")",
		"time", e3.Time.UnixMilli(), "start_time", e1.Time.UnixMilli(), "end_time", e3.Time.UnixMilli(), "count", 3,
		"cloud.provider", "AWS", "cloud.region", "us-east-1",
		"finding_info.types.0", "event_count",
		"finding_info.first_seen_time", e1.Time.UnixMilli(), "finding_info.last_seen_time", e3.Time.UnixMilli(),
		"finding_info.attacks.0.technique.uid", "T1580",
		"finding_info.attacks.0.technique.name", "Cloud Infrastructure Discovery",
		"finding_info.attacks.0.tactic.uid", "TA0007", "finding_info.attacks.0.tactic.name", "Discovery",
		"finding_info.attacks.1", nil,
		"finding_info.related_events.0.uid", "e973c334", "finding_info.related_events.2.uid", "c3d4e5f6",
		"finding_info.data_sources.1", nil,
		// The two ListImages calls give the same evidence, written once.
		"evidences.0.api.operation", "DescribeRepositories", "evidences.1.api.operation", "ListImages", "evidences.2", nil,
		"evidences.1.actor.user.name", "ci-deployer", "evidences.1.src_endpoint.ip", "185.220.101.47",
	)
	// Resources of all three events, each once: the two ListImages calls
	// name the same repository, image and registry.
	seen := map[string]int{}
	for _, r := range get(ev, "resources").([]any) {
		m := r.(map[string]any)
		seen[fmt.Sprint(m["type"], "/", m["name"])]++
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("resource %s written %d times", k, n)
		}
	}
	if seen["container_repository/payments-api"] != 1 {
		t.Errorf("resources %v: want the repository payments-api", seen)
	}
	gb, _ := get(ev, "unmapped.group_by").(map[string]any)
	if gb["userIdentity.arn"] != arn || len(gb) != 1 {
		t.Errorf("unmapped.group_by %v", gb)
	}
	u := get(ev, "finding_info.uid")
	if get(evs[1], "finding_info.uid") != u {
		t.Errorf("finding_info.uid not stable: %v, %v", get(evs[1], "finding_info.uid"), u)
	}
	other := *f
	other.GroupBy = [][2]string{{"userIdentity.arn", "arn:aws:iam::111122223333:user/someone-else"}}
	if get(writeFindings(t, &other)[0], "finding_info.uid") == u {
		t.Error("finding_info.uid does not depend on the group-by values")
	}
}

func TestFindingSeverity(t *testing.T) {
	for _, c := range []struct {
		level string
		id    int
		name  string
	}{
		{"informational", 1, "Informational"}, {"low", 2, "Low"}, {"medium", 3, "Medium"},
		{"high", 4, "High"}, {"critical", 5, "Critical"}, {"HIGH", 4, "High"},
		{"", 0, "Unknown"}, {"urgent", 99, "urgent"},
	} {
		ev := writeFindings(t, &ocsf.Finding{RuleID: "r", RuleTitle: "t", RuleLevel: c.level, Time: t0})[0]
		check(t, ev, 2004, 1)
		want(t, ev, "severity_id", c.id, "severity", c.name)
	}
}

func TestFindingAttacks(t *testing.T) {
	ev := writeFindings(t, &ocsf.Finding{RuleID: "r", RuleTitle: "t", Time: t0, RuleTags: []string{
		"attack.defense-evasion", "attack.TA0040", "attack.t1098.001", "attack.t1098", "attack.t1098.003",
		"attack.t9999", "attack.g0016", "attack.s0002", "cve.2021-44228", "attack.defense_evasion",
	}})[0]
	check(t, ev, 2004, 1)
	want(t, ev,
		// T1098.001 and T1098 merge; T1098.003 is its own entry; T9999 has
		// no name. Two tactics (defense-evasion given twice), three
		// techniques.
		"finding_info.attacks.0.tactic.uid", "TA0005", "finding_info.attacks.0.tactic.name", "Defense Evasion",
		"finding_info.attacks.0.technique.uid", "T1098", "finding_info.attacks.0.technique.name", "Account Manipulation",
		"finding_info.attacks.0.sub_technique.uid", "T1098.001",
		"finding_info.attacks.0.sub_technique.name", "Additional Cloud Credentials",
		"finding_info.attacks.1.tactic.uid", "TA0040", "finding_info.attacks.1.tactic.name", "Impact",
		"finding_info.attacks.2.sub_technique.uid", "T1098.003",
		"finding_info.attacks.4.technique.uid", "T9999", "finding_info.attacks.4.technique.name", nil,
		"finding_info.attacks.6", nil,
		"metadata.labels.8", "cve.2021-44228",
	)

	// Tactics alone, techniques alone.
	ev = writeFindings(t, &ocsf.Finding{RuleID: "r", Time: t0, RuleTags: []string{"attack.impact", "attack.exfiltration"}})[0]
	check(t, ev, 2004, 1)
	want(t, ev, "finding_info.attacks.0.tactic.uid", "TA0040", "finding_info.attacks.1.tactic.uid", "TA0010",
		"finding_info.attacks.0.technique", nil, "finding_info.attacks.2", nil)
	ev = writeFindings(t, &ocsf.Finding{RuleID: "r", Time: t0, RuleTags: []string{"attack.t1530"}})[0]
	check(t, ev, 2004, 1)
	want(t, ev, "finding_info.attacks.0.technique.name", "Data from Cloud Storage", "finding_info.attacks.0.tactic", nil)
}

// TestFindingMinimal: a finding with next to nothing still carries every
// required attribute; events from several vendors give no cloud.
func TestFindingMinimal(t *testing.T) {
	before := time.Now().UnixMilli()
	ev := writeFindings(t, &ocsf.Finding{})[0]
	check(t, ev, 2004, 1)
	want(t, ev, "finding_info.title", "Unknown", "finding_info.analytic.name", "Unknown",
		"finding_info.analytic.type_id", 1, "severity_id", 0, "cloud", nil, "metadata.profiles", nil,
		"evidences", nil, "resources", nil, "finding_info.attacks", nil)
	if tm, _ := intOf(ev["time"]); int64(tm) < before {
		t.Errorf("time %v: want when the finding was written", ev["time"])
	}

	aws := &event.Event{Time: t0, Vendor: event.VendorAWS, Region: "us-east-1", SrcIP: "192.0.2.1", EventName: "GetObject"}
	gcp := &event.Event{Time: t0.Add(time.Minute), Vendor: event.VendorGCP, SrcUser: "ops@example.com"}
	ev = writeFindings(t, &ocsf.Finding{RuleID: "r", RuleTitle: "t", Events: []*event.Event{aws, nil, gcp}, Count: 2})[0]
	check(t, ev, 2004, 1)
	want(t, ev, "cloud", nil, "metadata.profiles", nil, "time", gcp.Time.UnixMilli(),
		"start_time", t0.UnixMilli(), "end_time", gcp.Time.UnixMilli(),
		"evidences.0.api.operation", "GetObject", "evidences.0.actor", nil,
		"evidences.1.actor.user.name", "ops@example.com", "evidences.2", nil)

	// A network flow: the peer goes to evidences.dst_endpoint, not to
	// resources; an account change names the user changed.
	flow := &event.Event{Time: t0, Vendor: event.VendorAWS, Dataset: event.NetworkTraffic, SrcIP: "45.33.32.156", Dest: "10.0.1.25"}
	flow.N().DestIP, flow.N().DestPort = "10.0.1.25", 22
	change := &event.Event{Time: t0, Vendor: event.VendorAWS, Dataset: event.Security, EventName: "AttachUserPolicy",
		SrcUser: "arn:aws:iam::111122223333:user/admin", Dest: "mallory"}
	ev = writeFindings(t, &ocsf.Finding{RuleID: "r", RuleTitle: "t", Events: []*event.Event{flow, change}})[0]
	check(t, ev, 2004, 1)
	want(t, ev, "evidences.0.src_endpoint.ip", "45.33.32.156", "evidences.0.dst_endpoint.ip", "10.0.1.25",
		"evidences.0.dst_endpoint.port", 22, "evidences.1.user.name", "mallory",
		"evidences.1.api.operation", "AttachUserPolicy", "resources", nil)

	var buf bytes.Buffer
	if err := ocsf.NewFindings(&buf).Write(nil); err == nil {
		t.Error("Write(nil): no error")
	}
}

// TestFindingEscaping: rule text and group-by fields with quotes, control
// characters and invalid UTF-8 still give valid JSON.
func TestFindingEscaping(t *testing.T) {
	s := "say \"hi\"\\ \x00\n\u2028 bad\xff"
	ev := writeFindings(t, &ocsf.Finding{RuleID: s, RuleTitle: s, RuleDescription: s, RuleType: s, RuleTags: []string{s},
		Time: t0, GroupBy: [][2]string{{s, s}, {"k", ""}}, Count: 1,
		Events: []*event.Event{{Time: t0, SrcUser: s, EventName: s, SrcIP: s, VendorProduct: s}}})[0]
	check(t, ev, 2004, 1)
	if gb, _ := get(ev, "unmapped.group_by").(map[string]any); len(gb) != 2 {
		t.Errorf("unmapped.group_by %v", gb)
	}
}

func TestValidatorCatchesFindingProblems(t *testing.T) {
	ev := map[string]any{
		"class_uid": 2004.0, "category_uid": 2.0, "activity_id": 1.0, "type_uid": 200401.0, "severity_id": 1.0,
		"class_name": "Detection Finding", "type_name": "Detection Finding: Create", "severity": "Informational",
		"time": 1.0, "status_id": 5.0,
		"metadata":  map[string]any{"version": "1.3.0", "product": map[string]any{"name": "vigil", "vendor_name": "vigil"}},
		"evidences": []any{map[string]any{"bogus": "x"}},
	}
	errs := strings.Join(validate(ev), "\n")
	for _, w := range []string{"required finding_info", "status_id 5", "evidences[0]: none of"} {
		if !strings.Contains(errs, w) {
			t.Errorf("validator did not report %q; got:\n%s", w, errs)
		}
	}
	ev["finding_info"] = map[string]any{"uid": "u", "title": "t", "analytic": map[string]any{"name": "r"},
		"attacks": []any{map[string]any{"version": "v14"}}}
	errs = strings.Join(validate(ev), "\n")
	for _, w := range []string{"analytic.type_id required", "attacks[0]: none of"} {
		if !strings.Contains(errs, w) {
			t.Errorf("validator did not report %q; got:\n%s", w, errs)
		}
	}
}

func BenchmarkWriteFinding(b *testing.B) {
	e := &event.Event{Time: t0, Vendor: event.VendorAWS, VendorProduct: "AWS CloudTrail", EventName: "PutImage",
		SrcIP: "185.220.101.47", SrcUser: "arn:aws:iam::111122223333:user/ci-deployer", Region: "us-east-1",
		Account: "111122223333", EventID: "45ee599c"}
	e.K().Repository = "payments-api"
	f := &ocsf.Finding{RuleID: "0d686d30", RuleTitle: "ECR push", RuleLevel: "high", RuleType: "detection",
		RuleTags: []string{"attack.persistence", "attack.t1525"}, Time: t0, Events: []*event.Event{e}}
	w := ocsf.NewFindings(discard{})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := w.Write(f); err != nil {
			b.Fatal(err)
		}
	}
}
