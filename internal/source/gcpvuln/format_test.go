package gcpvuln_test

import (
	"encoding/base64"
	"errors"
	"os"
	"testing"

	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
	"github.com/vigilsec/vigil/internal/source/gcpvuln"
	"github.com/vigilsec/vigil/internal/source/sourcetest"
)

// Synthetic occurrences shaped like the Container Analysis v1 and v1beta1
// REST resources (values invented).
const (
	gcrOccurrence = `{"name":"projects/acme-prod/occurrences/0b6c3c4e-1f1e-4c43-9a55-0a1b2c3d4e5f","resourceUri":"https://gcr.io/acme-prod/web@sha256:5f0e1d2c3b4a59687766554433221100ffeeddccbbaa99887766554433221100","noteName":"projects/goog-vulnz/notes/CVE-2024-3094","kind":"VULNERABILITY","createTime":"2026-10-14T08:00:00.1Z","updateTime":"2026-10-14T09:30:00.2Z","vulnerability":{"severity":"CRITICAL","cvssScore":10,"packageIssue":[{"affectedCpeUri":"cpe:/o:debian:debian_linux:12","affectedPackage":"xz-utils","affectedVersion":{"name":"5.6.0","revision":"0.1","kind":"NORMAL"},"fixedCpeUri":"cpe:/o:debian:debian_linux:12","fixedPackage":"xz-utils","fixedVersion":{"kind":"MAXIMUM"},"packageType":"OS"}],"shortDescription":"CVE-2024-3094","effectiveSeverity":"CRITICAL","fixAvailable":false,"cvssVersion":"CVSS_VERSION_3"}}`

	v1beta1Occurrence = `{"name":"projects/legacy/occurrences/77","resource":{"uri":"https://us.gcr.io/legacy/api@sha256:abcdef"},"noteName":"providers/goog-vulnz/notes/CVE-2019-5736","kind":"VULNERABILITY","createTime":"2019-02-12T00:00:00Z","vulnerability":{"severity":"HIGH","cvssScore":8.6,"packageIssue":[{"affectedLocation":{"cpeUri":"cpe:/o:canonical:ubuntu_linux:18.04","package":"runc","version":{"epoch":1,"name":"1.0.0~rc4","revision":"2","kind":"NORMAL"}},"fixedLocation":{"cpeUri":"cpe:/o:canonical:ubuntu_linux:18.04","package":"runc","version":{"name":"1.0.0~rc4","revision":"3","kind":"NORMAL"}},"severityName":"HIGH"}]}}`

	// notification is the decoded data of a container-analysis-occurrences-v1 message.
	notification = `{"name":"projects/acme-prod/occurrences/0b6c3c4e-1f1e-4c43-9a55-0a1b2c3d4e5f","kind":"VULNERABILITY","notificationTime":"2026-10-14T09:30:01.123456Z"}`
)

func TestRepresentativeEvents(t *testing.T) {
	f := gcpvuln.New()
	cases := []struct {
		name   string
		record string
		want   map[string]string
	}{
		{
			name:   "Container Registry occurrence",
			record: gcrOccurrence,
			want: map[string]string{"dataset": "Vulnerability", "vendor_product": "GCP Artifact Analysis", "action": "found", "status": "success",
				"event_name": "VULNERABILITY", "tags": "VULNERABILITY", "cve": "CVE-2024-3094", "severity": "critical", "cvss_score": "10",
				"package": "xz-utils", "installed_version": "5.6.0-0.1", "fixed_version": "",
				"resource_uri": "https://gcr.io/acme-prod/web@sha256:5f0e1d2c3b4a59687766554433221100ffeeddccbbaa99887766554433221100",
				"registry":     "gcr.io", "repository": "acme-prod/web",
				"image_digest": "sha256:5f0e1d2c3b4a59687766554433221100ffeeddccbbaa99887766554433221100",
				"image":        "gcr.io/acme-prod/web@sha256:5f0e1d2c3b4a59687766554433221100ffeeddccbbaa99887766554433221100",
				"occurrence":   "projects/acme-prod/occurrences/0b6c3c4e-1f1e-4c43-9a55-0a1b2c3d4e5f", "account": "acme-prod", "time": "2026-10-14T09:30:00.2Z"},
		},
		{
			name:   "v1beta1 occurrence",
			record: v1beta1Occurrence,
			want: map[string]string{"cve": "CVE-2019-5736", "severity": "high", "cvss_score": "8.6", "package": "runc", "installed_version": "1:1.0.0~rc4-2",
				"fixed_version": "1.0.0~rc4-3", "registry": "us.gcr.io", "repository": "legacy/api", "resource_uri": "https://us.gcr.io/legacy/api@sha256:abcdef"},
		},
		{
			name:   "Pub/Sub notification",
			record: notification,
			want: map[string]string{"dataset": "Vulnerability", "event_name": "VULNERABILITY", "occurrence": "projects/acme-prod/occurrences/0b6c3c4e-1f1e-4c43-9a55-0a1b2c3d4e5f",
				"notification_time": "2026-10-14T09:30:01.123456Z", "time": "2026-10-14T09:30:01.123456Z", "account": "acme-prod", "cve": "", "action": "found"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs := sourcetest.MustParse(t, f, c.record)
			if len(evs) != 1 {
				t.Fatalf("got %d events", len(evs))
			}
			if evs[0].Vendor != event.VendorGCP {
				t.Errorf("vendor %q", evs[0].Vendor)
			}
			sourcetest.Expect(t, evs[0], c.want)
		})
	}
}

func TestRESTList(t *testing.T) {
	rec := `{"occurrences":[` + gcrOccurrence + `,{"name":"projects/acme-prod/occurrences/d1","kind":"DISCOVERY","discovery":{"analysisStatus":"FINISHED_SUCCESS"}},` + v1beta1Occurrence + `],"nextPageToken":"abc"}`
	evs, st := sourcetest.ReadAll("list.json", []byte(rec), components.Formats(), nil)
	if len(evs) != 2 || st.ByFormat[gcpvuln.Name] != 1 {
		t.Fatalf("%d events, %v", len(evs), st.ByFormat)
	}
	// gcloud artifacts vulnerabilities list prints a JSON array.
	evs, st = sourcetest.ReadAll("list.json", []byte(`[`+gcrOccurrence+`,`+v1beta1Occurrence+`]`), components.Formats(), nil)
	if len(evs) != 2 || st.ByFormat[gcpvuln.Name] != 2 {
		t.Fatalf("array: %d events, %v", len(evs), st.ByFormat)
	}
}

func TestDiscoveryYieldsNothing(t *testing.T) {
	evs, err := sourcetest.Parse(gcpvuln.New(), []byte(`{"name":"projects/p/occurrences/d1","kind":"DISCOVERY","discovery":{}}`))
	var ign source.Ignore
	if !errors.As(err, &ign) || len(evs) != 0 {
		t.Fatalf("%d events, %v: want none and source.Ignore", len(evs), err)
	}
	// The Pub/Sub notification of a DISCOVERY occurrence is recognized and
	// counted as ignored, not as an unknown format.
	_, st := sourcetest.ReadAll("n.json", []byte(`{"name":"projects/p/occurrences/d1","kind":"DISCOVERY","notificationTime":"2026-10-14T07:38:02Z"}`), components.Formats(), nil)
	if st.Ignored["gcp-occurrence-not-vulnerability"] != 1 || len(st.Skipped) != 0 {
		t.Fatalf("ignored %v, skipped %v", st.Ignored, st.Skipped)
	}
	if _, err := sourcetest.Parse(gcpvuln.New(), []byte(`{"foo":1}`)); err == nil {
		t.Error("no error for a record that is no occurrence")
	}
}

// TestPubSubPush reads a push delivery of a container-analysis-occurrences-v1
// message: the reader decodes message.data.
func TestPubSubPush(t *testing.T) {
	push := `{"message":{"attributes":{},"data":"` + base64.StdEncoding.EncodeToString([]byte(notification)) + `","messageId":"2070443601311540","publishTime":"2026-10-14T09:30:01.5Z"},"subscription":"projects/acme-prod/subscriptions/vuln-to-siem"}`
	evs, st := sourcetest.ReadAll("push.json", []byte(push), components.Formats(), nil)
	if len(evs) != 1 || st.ByFormat[gcpvuln.Name] != 1 {
		t.Fatalf("%d events, %v", len(evs), st.ByFormat)
	}
	sourcetest.Expect(t, evs[0], map[string]string{"occurrence": "projects/acme-prod/occurrences/0b6c3c4e-1f1e-4c43-9a55-0a1b2c3d4e5f",
		"notification_time": "2026-10-14T09:30:01.123456Z", "event_name": "VULNERABILITY"})
}

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		rec  string
		want bool
	}{
		{gcrOccurrence, true},
		{notification, true},
		{`{"occurrences":[{"kind":"DISCOVERY","name":"x"},{"kind":"VULNERABILITY","name":"y"}]}`, true},
		{`{"image_summary":{"digest":"sha256:0"},"package_vulnerability_summary":{}}`, true},
		{`{"name":"projects/p/occurrences/d1","kind":"DISCOVERY"}`, false},
		{`{"occurrences":[{"kind":"BUILD","name":"x"}]}`, false},
		{`{"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"get"}`, false},
		{`{"kind":"VULNERABILITY"}`, false},
	} {
		evs, st := sourcetest.ReadAll("t", []byte(c.rec), components.Formats(), nil)
		got := st.ByFormat[gcpvuln.Name] == 1
		if got != c.want {
			t.Errorf("%.120s: detected as gcp-vuln %v, want %v (%d events, %v)", c.rec, got, c.want, len(evs), st.ByFormat)
		}
	}
}

// TestCorpus reads the two gcloud describe documents (pretty-printed, one
// record each); they are counted by occurrence: every VULNERABILITY
// occurrence gives one event, the DISCOVERY occurrence none.
func TestCorpus(t *testing.T) {
	for _, c := range []struct {
		name   string
		events int
		checks map[int]map[string]string // event index → fields
	}{
		{"gcp/artifact-analysis/many_vulns.json", 7, map[int]map[string]string{
			0: {"cve": "CVE-2023-29405", "severity": "critical", "cvss_score": "9.8", "package": "go", "installed_version": "1.17.6", "fixed_version": "1.19.10",
				"registry": "northamerica-northeast1-docker.pkg.dev", "repository": "testing/test-docker/test-image", "account": "test",
				"occurrence": "projects/test/occurrences/17762f5b-88a9-4e15-b92d-ce5b4de56519", "tags": "VULNERABILITY,fix-available"},
			6: {"cve": "CVE-2022-41715", "severity": "high", "cvss_score": "7.5", "fixed_version": "1.18.7"},
		}},
		{"gcp/artifact-analysis/artifact-analysis-occurrences-sample.json", 12, nil},
	} {
		data, err := os.ReadFile(sourcetest.Corpus(t, c.name))
		if err != nil {
			t.Fatal(err)
		}
		for _, force := range []source.Format{gcpvuln.New(), nil} {
			evs, st := sourcetest.ReadAll(c.name, data, components.Formats(), force)
			if st.ByFormat[gcpvuln.Name] != 1 || st.SkippedTotal() != 0 {
				t.Errorf("%s (forced %v): records %v, %d skipped", c.name, force != nil, st.ByFormat, st.SkippedTotal())
			}
			detected := 0
			for _, e := range evs {
				if e.VendorProduct == "GCP Artifact Analysis" {
					detected++
				}
			}
			if len(evs) != c.events || detected != c.events {
				t.Fatalf("%s (forced %v): %d events, want %d", c.name, force != nil, len(evs), c.events)
			}
			if force == nil {
				t.Logf("%s: %d occurrences, %.1f%% read as gcp-vuln", c.name, c.events, 100*float64(detected)/float64(c.events))
			}
			for i, want := range c.checks {
				sourcetest.Expect(t, evs[i], want)
			}
			for _, e := range evs {
				if e.Vuln == nil || e.Vuln.CVE == "" || e.Vuln.Severity == "" || e.Vuln.ResourceURI == "" || e.Time.IsZero() {
					t.Errorf("%s: incomplete event %s", c.name, event.AppendJSON(nil, e, false))
				}
			}
		}
	}
}

// TestSampleSeverities checks the newer sample's severity groups, including
// MINIMAL and the occurrences without any severity (the "None" group).
func TestSampleSeverities(t *testing.T) {
	name := "gcp/artifact-analysis/artifact-analysis-occurrences-sample.json"
	data, err := os.ReadFile(sourcetest.Corpus(t, name))
	if err != nil {
		t.Fatal(err)
	}
	evs, _ := sourcetest.ReadAll(name, data, components.Formats(), nil)
	got := map[string]int{}
	byCVE := map[string]*event.Event{}
	for _, e := range evs {
		got[e.Vuln.Severity]++
		byCVE[e.Vuln.CVE] = e
	}
	want := map[string]int{"critical": 2, "high": 2, "medium": 1, "low": 3, "informational": 2, "unknown": 2}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("severity %s: %d events, want %d (all %v)", k, got[k], n, got)
		}
	}
	sourcetest.Expect(t, byCVE["CVE-2023-36665"], map[string]string{"severity": "critical", "cvss_score": "9.8", "package": "some_package",
		"installed_version": "7.0.0", "fixed_version": "7.2.5", "registry": "region-east2-docker.pkg.dev", "repository": "my-project/my-image/staging",
		"account": "my-project", "region": "region-east2", "image_digest": "sha256:33ceexxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxtolstoy"})
	// effectiveSeverity (LOW) wins over the note's severity (MEDIUM).
	sourcetest.Expect(t, byCVE["CVE-2016-2781"], map[string]string{"severity": "low", "cvss_score": "6.5", "installed_version": "9.1-1", "fixed_version": ""})
	sourcetest.Expect(t, byCVE["CVE-2018-6829"], map[string]string{"severity": "informational"})
	sourcetest.Expect(t, byCVE["CVE-2025-6020"], map[string]string{"severity": "unknown", "cvss_score": ""})
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"gcp/artifact-analysis/many_vulns.json", "gcp/artifact-analysis/artifact-analysis-occurrences-sample.json"} {
		data, err := os.ReadFile(sourcetest.Corpus(f, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{gcrOccurrence, v1beta1Occurrence, notification,
		`{"occurrences":[` + gcrOccurrence + `]}`,
		`{"image_summary":{},"package_vulnerability_summary":{"vulnerabilities":{"HIGH":[{"kind":"VULNERABILITY"},7],"LOW":{}}}}`,
		`{"kind":"VULNERABILITY","name":"projects/","resourceUri":"https://x.y/@","vulnerability":{"packageIssue":[{"affectedVersion":"1"}]}}`,
	} {
		f.Add([]byte(s))
	}
	formats := components.Formats()
	f.Fuzz(func(t *testing.T, data []byte) {
		sourcetest.Fuzz(t, gcpvuln.New(), formats, data)
	})
}
