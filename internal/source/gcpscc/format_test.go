package gcpscc_test

import (
	"testing"

	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/source/gcpscc"
	"github.com/vigilsec/vigil/internal/source/sourcetest"
)

const (
	// threat is a Pub/Sub notification of an Event Threat Detection finding.
	threat = `{"notificationConfigName":"organizations/123456789012/notificationConfigs/scc-all","finding":{"name":"organizations/123456789012/sources/5678901234567890123/findings/3c5e8b0f1a2d4e6f","parent":"organizations/123456789012/sources/5678901234567890123","resourceName":"//cloudresourcemanager.googleapis.com/projects/987654321098","state":"ACTIVE","category":"Persistence: IAM Anomalous Grant","sourceProperties":{"evidence":[{"sourceLogId":{"projectId":"acme-prod","resourceContainer":"projects/acme-prod","timestamp":"2026-10-14T07:59:58.123Z","insertId":"abc"}}],"properties":{"sensitiveRoleGrant":{"principalEmail":"mallory@example.com","bindingDeltas":[{"action":"ADD","role":"roles/owner","member":"user:outsider@gmail.com"}]}}},"securityMarks":{"name":"organizations/123456789012/sources/5678901234567890123/findings/3c5e8b0f1a2d4e6f/securityMarks"},"eventTime":"2026-10-14T07:59:58.123Z","createTime":"2026-10-14T08:00:03.456Z","severity":"HIGH","canonicalName":"projects/987654321098/sources/5678901234567890123/findings/3c5e8b0f1a2d4e6f","mute":"UNMUTED","findingClass":"THREAT","mitreAttack":{"primaryTactic":"PERSISTENCE","primaryTechniques":["ACCOUNT_MANIPULATION"]},"access":{"principalEmail":"mallory@example.com","callerIp":"203.0.113.9","callerIpGeo":{"regionCode":"ZZ"},"userAgentFamily":"OTHER","userAgent":"google-cloud-sdk gcloud/455.0.0","serviceName":"cloudresourcemanager.googleapis.com","methodName":"SetIamPolicy"},"description":"An external member was granted a sensitive role."},"resource":{"name":"//cloudresourcemanager.googleapis.com/projects/987654321098","projectName":"//cloudresourcemanager.googleapis.com/projects/987654321098","projectDisplayName":"acme-prod","parentName":"//cloudresourcemanager.googleapis.com/organizations/123456789012","parentDisplayName":"acme.example","type":"google.cloud.resourcemanager.Project","displayName":"acme-prod"}}`
	// vuln is a ListFindings result of a vulnerability finding, among the
	// answer's results.
	vuln = `{"listFindingsResults":[{"finding":{"name":"projects/987654321098/sources/1111/findings/f00d","parent":"projects/987654321098/sources/1111","resourceName":"//compute.googleapis.com/projects/acme-prod/zones/us-central1-a/instances/4321","state":"ACTIVE","category":"OS_VULNERABILITY","eventTime":"2026-10-13T12:00:00Z","createTime":"2026-10-13T12:05:00Z","severity":"CRITICAL","findingClass":"VULNERABILITY","vulnerability":{"cve":{"id":"CVE-2024-6387","cvssv3":{"baseScore":8.1,"attackVector":"ATTACK_VECTOR_NETWORK"}},"offendingPackage":{"packageName":"openssh-server","packageVersion":"1:9.2p1-2","packageType":"OS"},"fixedPackage":{"packageName":"openssh-server","packageVersion":"1:9.2p1-2+deb12u3"}},"description":"regreSSHion"},"resource":{"name":"//compute.googleapis.com/projects/acme-prod/zones/us-central1-a/instances/4321","type":"google.compute.Instance","location":"us-central1-a"},"stateChange":"ADDED"},{"finding":{"name":"projects/987654321098/sources/2222/findings/beef","resourceName":"//storage.googleapis.com/acme-public","state":"INACTIVE","category":"PUBLIC_BUCKET_ACL","severity":"SEVERITY_UNSPECIFIED","findingClass":"MISCONFIGURATION","eventTime":"2026-10-12T00:00:00Z"},"resource":{"gcpMetadata":{"project":"//cloudresourcemanager.googleapis.com/projects/987654321098","projectDisplayName":"acme-prod"}}}],"readTime":"2026-10-14T09:00:00Z","totalSize":2}`
	// bare is a finding on its own (GetFinding), muted.
	bare = `{"name":"organizations/123456789012/sources/42/findings/cafe","resourceName":"//container.googleapis.com/projects/acme-prod/locations/us-central1/clusters/prod","state":"ACTIVE","category":"Execution: Added Binary Executed","severity":"MEDIUM","mute":"MUTED","findingClass":"THREAT","eventTime":"2026-10-14T10:00:00Z","kubernetes":{"pods":[{"ns":"default","name":"web-1","containers":[{"name":"web","imageId":"us-docker.pkg.dev/acme-prod/web/web@sha256:0f1e"}]}]}}`
)

func TestFindings(t *testing.T) {
	cases := []struct {
		name, record string
		want         []map[string]string
	}{
		{"threat notification", threat, []map[string]string{{"dataset": "Security", "action": "found", "status": "success", "vendor": "gcp",
			"vendor_product": "GCP Security Command Center", "event_name": "Persistence: IAM Anomalous Grant", "severity": "high",
			"time": "2026-10-14T07:59:58.123Z", "notification_time": "2026-10-14T08:00:03.456Z", "event_id": "projects/987654321098/sources/5678901234567890123/findings/3c5e8b0f1a2d4e6f",
			"dest": "//cloudresourcemanager.googleapis.com/projects/987654321098", "account": "acme-prod", "src_ip": "203.0.113.9",
			"src_user": "mallory@example.com", "src_user_name": "mallory@example.com", "http_user_agent": "google-cloud-sdk gcloud/455.0.0",
			"service": "cloudresourcemanager.googleapis.com", "tags": "THREAT,mitre:persistence", "msg": "An external member was granted a sensitive role."}}},
		{"ListFindings answer", vuln, []map[string]string{
			{"dataset": "Vulnerability", "action": "found", "cve": "CVE-2024-6387", "cvss_score": "8.1", "severity": "critical", "package": "openssh-server",
				"installed_version": "1:9.2p1-2", "fixed_version": "1:9.2p1-2+deb12u3", "resource_uri": "//compute.googleapis.com/projects/acme-prod/zones/us-central1-a/instances/4321",
				"account": "acme-prod", "region": "us-central1-a", "occurrence": "projects/987654321098/sources/1111/findings/f00d"},
			{"dataset": "Security", "action": "closed", "event_name": "PUBLIC_BUCKET_ACL", "severity": "unknown", "account": "acme-prod", "dest": "//storage.googleapis.com/acme-public"}}},
		{"bare muted finding", bare, []map[string]string{{"dataset": "Security", "action": "suppressed", "severity": "medium", "account": "acme-prod",
			"image": "us-docker.pkg.dev/acme-prod/web/web@sha256:0f1e"}}},
		{"Cloud Logging entry", `{"insertId":"x","logName":"projects/acme-prod/logs/securitycenter.googleapis.com%2Ffindings","jsonPayload":` + threat + `,"timestamp":"2026-10-14T08:00:04Z","resource":{"type":"threat_detector"}}`,
			[]map[string]string{{"dataset": "Security", "event_name": "Persistence: IAM Anomalous Grant", "account": "acme-prod"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs, st := sourcetest.ReadAll("scc.json", []byte(c.record), components.Formats(), nil)
			if st.ByFormat[gcpscc.Name] != 1 || len(evs) != len(c.want) {
				t.Fatalf("detected as %v, %d events", st.ByFormat, len(evs))
			}
			for i, w := range c.want {
				sourcetest.Expect(t, evs[i], w)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	f := gcpscc.New()
	for _, c := range []struct {
		rec  string
		want bool
	}{
		{threat, true}, {vuln, true}, {bare, true},
		{`{"finding":{"category":"X","resourceName":"r","name":"projects/p/other/1"}}`, false},
		{`{"category":"Administrative","resourceId":"/subscriptions/x"}`, false},
		{`{"listFindingsResults":[]}`, false},
	} {
		if got := f.Detect(sourcetest.MustJSON(t, c.rec)); got != c.want {
			t.Errorf("%.80s: Detect %v, want %v", c.rec, got, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{threat, vuln, bare,
		`{"finding":{"name":"a/sources/1/findings/2","category":7,"resourceName":null,"severity":{}},"resource":[]}`,
		`{"listFindingsResults":[{"finding":7},{"finding":{"name":"/sources//findings/","category":"","resourceName":""}}]}`} {
		f.Add([]byte(s))
	}
	formats := components.Formats()
	f.Fuzz(func(t *testing.T, data []byte) {
		sourcetest.Fuzz(t, gcpscc.New(), formats, data)
	})
}
