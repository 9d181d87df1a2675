package gcpaudit_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
	"github.com/vigilsec/vigil/internal/source/gcpaudit"
	"github.com/vigilsec/vigil/internal/source/sourcetest"
)

// Synthetic records shaped like Google's documented LogEntry / AuditLog
// examples (values invented).
const (
	objectsCreate = `{"insertId":"1x7k2lfe3b9pq","logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Fdata_access","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{},"authenticationInfo":{"principalEmail":"etl@acme-prod.iam.gserviceaccount.com","serviceAccountKeyName":"//iam.googleapis.com/projects/acme-prod/serviceAccounts/etl@acme-prod.iam.gserviceaccount.com/keys/0a1b2c3d4e5f"},"requestMetadata":{"callerIp":"203.0.113.10","callerSuppliedUserAgent":"gcloud-golang-storage/20230101,gzip(gfe)","requestAttributes":{"time":"2026-10-14T08:00:00.120Z","auth":{}},"destinationAttributes":{}},"serviceName":"storage.googleapis.com","methodName":"storage.objects.create","authorizationInfo":[{"resource":"projects/_/buckets/acme-exports/objects/2026/10/dump.csv","permission":"storage.objects.create","granted":true,"resourceAttributes":{}}],"resourceName":"projects/_/buckets/acme-exports/objects/2026/10/dump.csv","resourceLocation":{"currentLocations":["us-east1"]}},"resource":{"type":"gcs_bucket","labels":{"project_id":"acme-prod","bucket_name":"acme-exports","location":"us-east1"}},"timestamp":"2026-10-14T08:00:00.113Z","severity":"INFO","receiveTimestamp":"2026-10-14T08:00:00.900Z"}`

	instancesInsert = `{"insertId":"-ab12cd34","logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity","operation":{"id":"operation-1760428800000-5f1","producer":"compute.googleapis.com","first":true},"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{"principalEmail":"alice@acme.example","principalSubject":"user:alice@acme.example"},"requestMetadata":{"callerIp":"198.51.100.23","callerSuppliedUserAgent":"google-cloud-sdk gcloud/450.0.0 command/gcloud.compute.instances.create","requestAttributes":{"time":"2026-10-14T09:00:00.5Z","auth":{}},"destinationAttributes":{}},"serviceName":"compute.googleapis.com","methodName":"v1.compute.instances.insert","authorizationInfo":[{"permission":"compute.instances.create","granted":true,"resourceAttributes":{"service":"compute","name":"projects/acme-prod/zones/us-central1-a/instances/miner-1","type":"compute.instances"}}],"resourceName":"projects/acme-prod/zones/us-central1-a/instances/miner-1","request":{"@type":"type.googleapis.com/compute.instances.insert","name":"miner-1","machineType":"https://www.googleapis.com/compute/v1/projects/acme-prod/zones/us-central1-a/machineTypes/n2-highcpu-32","disks":[{"boot":true,"initializeParams":{"sourceImage":"projects/debian-cloud/global/images/family/debian-12"}}]},"response":{"@type":"type.googleapis.com/operation","operationType":"insert","targetId":"4412345678901234567","status":"RUNNING"},"resourceLocation":{"currentLocations":["us-central1-a"]}},"resource":{"type":"gce_instance","labels":{"instance_id":"4412345678901234567","project_id":"acme-prod","zone":"us-central1-a"}},"timestamp":"2026-10-14T09:00:00.4Z","severity":"NOTICE","receiveTimestamp":"2026-10-14T09:00:01Z"}`

	setIamPolicy = `{"insertId":"q1w2e3","logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{},"authenticationInfo":{"principalEmail":"mallory@gmail.com"},"requestMetadata":{"callerIp":"192.0.2.99","callerSuppliedUserAgent":"Mozilla/5.0,gzip(gfe)"},"serviceName":"cloudresourcemanager.googleapis.com","methodName":"SetIamPolicy","resourceName":"projects/acme-prod","request":{"@type":"type.googleapis.com/google.iam.v1.SetIamPolicyRequest","resource":"acme-prod","policy":{"bindings":[{"role":"roles/owner","members":["group:contractors@acme.example"]}]}},"serviceData":{"@type":"type.googleapis.com/google.iam.v1.logging.AuditData","policyDelta":{"bindingDeltas":[{"action":"ADD","role":"roles/owner","member":"group:contractors@acme.example"}]}}},"resource":{"type":"project","labels":{"project_id":"acme-prod"}},"timestamp":"2026-10-14T10:00:00Z","severity":"NOTICE"}`

	createKey = `{"insertId":"k3y","logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{},"authenticationInfo":{"principalEmail":"deployer@acme-prod.iam.gserviceaccount.com"},"requestMetadata":{"callerIp":"35.199.0.4","callerSuppliedUserAgent":"google-api-go-client/0.5"},"serviceName":"iam.googleapis.com","methodName":"google.iam.admin.v1.CreateServiceAccountKey","resourceName":"projects/-/serviceAccounts/112233445566778899001","request":{"@type":"type.googleapis.com/google.iam.admin.v1.CreateServiceAccountKeyRequest","name":"projects/-/serviceAccounts/backup@acme-prod.iam.gserviceaccount.com","private_key_type":2},"response":{"@type":"type.googleapis.com/google.iam.admin.v1.ServiceAccountKey","name":"projects/acme-prod/serviceAccounts/backup@acme-prod.iam.gserviceaccount.com/keys/9f8e7d6c5b4a"}},"resource":{"type":"service_account","labels":{"email_id":"backup@acme-prod.iam.gserviceaccount.com","project_id":"acme-prod","unique_id":"112233445566778899001"}},"timestamp":"2026-10-14T11:00:00Z","severity":"NOTICE"}`

	deleteSink = `{"insertId":"s1nk","logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{},"authenticationInfo":{"principalEmail":"mallory@gmail.com"},"requestMetadata":{"callerIp":"192.0.2.99"},"serviceName":"logging.googleapis.com","methodName":"google.logging.v2.ConfigServiceV2.DeleteSink","resourceName":"projects/acme-prod/sinks/siem-export","request":{"@type":"type.googleapis.com/google.logging.v2.DeleteSinkRequest","sinkName":"projects/acme-prod/sinks/siem-export"}},"resource":{"type":"logging_sink","labels":{"name":"siem-export","project_id":"acme-prod","destination":""}},"timestamp":"2026-10-14T12:00:00Z","severity":"NOTICE"}`

	gcrPush = `{"insertId":"gcr1","logName":"projects/my-proj/logs/cloudaudit.googleapis.com%2Fdata_access","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{},"authenticationInfo":{"principalEmail":"ci@my-proj.iam.gserviceaccount.com"},"requestMetadata":{"callerIp":"34.72.1.2","callerSuppliedUserAgent":"docker/24.0.5 go/go1.20.6,gzip(gfe)"},"serviceName":"storage.googleapis.com","methodName":"storage.objects.create","resourceName":"projects/_/buckets/artifacts.my-proj.appspot.com/objects/containers/images/sha256:4c1c9e9f6a3b2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e","resourceLocation":{"currentLocations":["us"]}},"resource":{"type":"gcs_bucket","labels":{"bucket_name":"artifacts.my-proj.appspot.com","project_id":"my-proj","location":"us"}},"timestamp":"2026-10-14T13:00:00Z","severity":"INFO"}`

	// bigQueryRow is a row of the BigQuery log export
	// (cloudaudit_googleapis_com_activity table) as written by bq extract
	// to newline-delimited JSON.
	bigQueryRow = `{"logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity","resource":{"type":"gcs_bucket","labels":{"bucket_name":"acme-public","project_id":"acme-prod","location":"us"}},"protopayload_auditlog":{"serviceName":"storage.googleapis.com","methodName":"storage.setIamPermissions","resourceName":"projects/_/buckets/acme-public","resourceLocation":{"currentLocations":["us"]},"status":{"code":null,"message":null},"authenticationInfo":{"principalEmail":"bob@acme.example","serviceAccountKeyName":null},"requestMetadata":{"callerIp":"198.51.100.77","callerSuppliedUserAgent":"apitools gsutil/5.27"},"servicedata_v1_iam":{"policyDelta":{"bindingDeltas":[{"action":"ADD","role":"roles/storage.objectViewer","member":"allUsers"}]}},"requestJson":"{\"@type\":\"type.googleapis.com/google.iam.v1.SetIamPolicyRequest\"}"},"timestamp":"2026-10-14 14:00:00.123456 UTC","receiveTimestamp":"2026-10-14 14:00:01.000 UTC","severity":"NOTICE","insertId":"bq1"}`
)

func TestRepresentativeEvents(t *testing.T) {
	f := gcpaudit.New()
	cases := []struct {
		name   string
		record string
		want   map[string]string
	}{
		{
			name:   "storage.objects.create",
			record: objectsCreate,
			want: map[string]string{"dataset": "Storage", "action": "create", "event_name": "storage.objects.create", "bucket_name": "acme-exports",
				"object_path": "2026/10/dump.csv", "src_ip": "203.0.113.10", "src_user": "etl@acme-prod.iam.gserviceaccount.com", "src_user_name": "etl@acme-prod.iam.gserviceaccount.com", "user_type": "ServiceAccount",
				"credential_id": "//iam.googleapis.com/projects/acme-prod/serviceAccounts/etl@acme-prod.iam.gserviceaccount.com/keys/0a1b2c3d4e5f",
				"account":       "acme-prod", "region": "us-east1", "tags": "data_access,INFO", "event_id": "1x7k2lfe3b9pq", "time": "2026-10-14T08:00:00.113Z",
				"http_user_agent": "gcloud-golang-storage/20230101,gzip(gfe)", "status": "success", "registry": "", "dest": "projects/_/buckets/acme-exports/objects/2026/10/dump.csv"},
		},
		{
			name:   "compute instances.insert",
			record: instancesInsert,
			want: map[string]string{"dataset": "Compute", "action": "create", "instance_id": "miner-1", "image_id": "projects/debian-cloud/global/images/family/debian-12",
				"instance_type": "n2-highcpu-32", "region": "us-central1-a", "account": "acme-prod", "user_type": "User", "src_user": "alice@acme.example", "src_user_name": "alice@acme.example", "tags": "activity,NOTICE"},
		},
		{
			name:   "SetIamPolicy on a project",
			record: setIamPolicy,
			want: map[string]string{"dataset": "Security", "action": "modify", "role": "roles/owner", "group_name": "contractors@acme.example",
				"acl_entity": "group:contractors@acme.example", "dest": "projects/acme-prod", "src_user": "mallory@gmail.com"},
		},
		{
			name:   "service account key creation",
			record: createKey,
			want: map[string]string{"dataset": "Security", "action": "create", "event_name": "google.iam.admin.v1.CreateServiceAccountKey",
				"user_type": "ServiceAccount", "dest": "projects/-/serviceAccounts/112233445566778899001", "credential_id": ""},
		},
		{
			name:   "logging sink deletion",
			record: deleteSink,
			want:   map[string]string{"dataset": "Management", "action": "delete", "dest": "projects/acme-prod/sinks/siem-export", "account": "acme-prod", "tags": "activity,NOTICE"},
		},
		{
			name:   "GCR push through the registry bucket",
			record: gcrPush,
			want: map[string]string{"dataset": "Storage", "action": "create", "event_name": "storage.objects.create", "bucket_name": "artifacts.my-proj.appspot.com",
				"object_path": "containers/images/sha256:4c1c9e9f6a3b2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e",
				"registry":    "gcr.io", "repository": "my-proj",
				"image_digest": "sha256:4c1c9e9f6a3b2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e", "tags": "data_access,INFO,gcr-push"},
		},
		{
			name:   "GCR manifest: the image pushed",
			record: strings.ReplaceAll(gcrPush, "containers/images/sha256:4c1c", "containers/repositories/library/team/web/manifest_sha256:4c1c"),
			want: map[string]string{"registry": "gcr.io", "repository": "my-proj/team/web",
				"image_digest": "sha256:4c1c9e9f6a3b2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e",
				"image":        "gcr.io/my-proj/team/web@sha256:4c1c9e9f6a3b2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e", "tags": "data_access,INFO,gcr-push"},
		},
		{
			name:   "GCR tag object",
			record: strings.ReplaceAll(gcrPush, "containers/images/sha256:4c1c9e9f6a3b2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e", "containers/repositories/library/web/tag_v1.2"),
			want:   map[string]string{"repository": "my-proj/web", "image_digest": "", "image": ""},
		},
		{
			name:   "GCR regional bucket",
			record: strings.ReplaceAll(gcrPush, "artifacts.my-proj", "eu.artifacts.my-proj"),
			want:   map[string]string{"dataset": "Storage", "registry": "eu.gcr.io", "repository": "my-proj", "bucket_name": "eu.artifacts.my-proj.appspot.com"},
		},
		{
			name:   "BigQuery export row",
			record: bigQueryRow,
			want: map[string]string{"dataset": "Storage", "action": "modify", "event_name": "storage.setIamPermissions", "bucket_name": "acme-public",
				"acl_entity": "allUsers", "acl_permission": "roles/storage.objectViewer", "src_ip": "198.51.100.77", "src_user": "bob@acme.example",
				"http_user_agent": "apitools gsutil/5.27", "status": "success", "time": "2026-10-14T14:00:00.123456Z", "account": "acme-prod",
				"tags": "activity,NOTICE", "event_id": "bq1", "credential_id": ""},
		},
		{
			name: "BigQuery export row, failed",
			record: strings.Replace(bigQueryRow, `"status":{"code":null,"message":null}`,
				`"status":{"code":"7","message":"PERMISSION_DENIED"}`, 1),
			want: map[string]string{"status": "failure", "msg": "PERMISSION_DENIED"},
		},
		{
			name:   "Artifact Registry push",
			record: `{"insertId":"ar1","logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Fdata_access","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{},"authenticationInfo":{"principalEmail":"ci@acme-prod.iam.gserviceaccount.com"},"requestMetadata":{"callerIp":"34.1.2.3","callerSuppliedUserAgent":"docker/24.0.5"},"serviceName":"artifactregistry.googleapis.com","methodName":"Docker-PutManifest","resourceName":"projects/acme-prod/locations/us-central1/repositories/apps/dockerImages/team%2Fweb@sha256:aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44"},"resource":{"type":"audited_resource","labels":{"service":"artifactregistry.googleapis.com","method":"Docker-PutManifest","project_id":"acme-prod"}},"timestamp":"2026-10-14T15:00:00Z","severity":"INFO"}`,
			want: map[string]string{"dataset": "Container", "action": "push", "registry": "us-central1-docker.pkg.dev", "repository": "acme-prod/apps/team/web",
				"image_digest": "sha256:aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44",
				"image":        "us-central1-docker.pkg.dev/acme-prod/apps/team/web@sha256:aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44"},
		},
		{
			name:   "GKE cluster creation",
			record: `{"logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{"principalEmail":"alice@acme.example"},"serviceName":"container.googleapis.com","methodName":"google.container.v1.ClusterManager.CreateCluster","resourceName":"projects/acme-prod/locations/europe-west1/clusters/shadow","request":{"cluster":{"name":"shadow"}}},"resource":{"type":"gke_cluster","labels":{"cluster_name":"shadow","location":"europe-west1","project_id":"acme-prod"}},"timestamp":"2026-10-14T16:00:00Z","severity":"NOTICE"}`,
			want:   map[string]string{"dataset": "Container", "action": "create", "cluster": "shadow", "region": "europe-west1"},
		},
		{
			name:   "impersonation",
			record: `{"logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Fdata_access","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{"principalEmail":"alice@acme.example"},"requestMetadata":{"callerIp":"private"},"serviceName":"iamcredentials.googleapis.com","methodName":"GenerateAccessToken","resourceName":"projects/-/serviceAccounts/108877665544332211000","request":{"@type":"type.googleapis.com/google.iam.credentials.v1.GenerateAccessTokenRequest","name":"projects/-/serviceAccounts/admin-sa@acme-prod.iam.gserviceaccount.com"}},"timestamp":"2026-10-14T17:00:00Z","severity":"INFO"}`,
			want:   map[string]string{"dataset": "Authentication", "action": "assume", "role": "admin-sa@acme-prod.iam.gserviceaccount.com", "src": "private", "src_ip": "", "account": "acme-prod"},
		},
		{
			name:   "policy denied, lower-cased keys",
			record: `{"insertid":"pd1","logname":"organizations/4455/logs/cloudaudit.googleapis.com%2Fpolicy","protopayload":{"at_sign_type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{"code":7,"message":"Request is prohibited by organization's policy."},"authenticationInfo":{"principalEmail":"bob@acme.example"},"requestMetadata":{"callerIP":"192.0.2.5"},"serviceName":"bigquery.googleapis.com","methodName":"google.cloud.bigquery.v2.TableDataService.List","resourceName":"projects/acme-prod/datasets/pii/tables/users"},"timestamp":"2026-10-14 18:00:00.5","severity":"ERROR"}`,
			want: map[string]string{"dataset": "Database", "action": "list", "status": "failure", "msg": "Request is prohibited by organization's policy.",
				"src_ip": "192.0.2.5", "event_id": "pd1", "account": "organizations/4455", "tags": "policy,ERROR", "time": "2026-10-14T18:00:00.5Z"},
		},
		{
			name:   "login failure",
			record: `{"logName":"organizations/4455/logs/cloudaudit.googleapis.com%2Fdata_access","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{"principalEmail":"carol@acme.example"},"requestMetadata":{"callerIp":"2001:db8::7"},"serviceName":"login.googleapis.com","methodName":"google.login.LoginService.loginFailure","resourceName":"organizations/4455"},"timestamp":"2026-10-14T19:00:00Z","severity":"NOTICE"}`,
			want:   map[string]string{"dataset": "Authentication", "action": "login", "status": "failure", "src_ip": "2001:db8::7"},
		},
		{
			name:   "unknown service falls back to Management",
			record: `{"protoPayload":{"serviceName":"widgets.googleapis.com","methodName":"google.widgets.v1.Widgets.ListWidgets"},"timestamp":"2026-10-14T20:00:00Z"}`,
			want:   map[string]string{"dataset": "Management", "action": "list", "dest": "widgets.googleapis.com"},
		},
		{
			name:   "bare AuditLog",
			record: `{"serviceName":"compute.googleapis.com","methodName":"beta.compute.instances.stop","resourceName":"projects/p/zones/z/instances/web-2"}`,
			want:   map[string]string{"dataset": "Compute", "action": "stop", "instance_id": "web-2"},
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

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		rec  string
		want bool
	}{
		{objectsCreate, true},
		{bigQueryRow, true},
		{`{"protopayload":{"methodName":"SetIamPolicy"}}`, true},
		{`{"serviceName":"iam.googleapis.com","methodName":"google.iam.admin.v1.CreateRole"}`, true},
		// GKE Kubernetes API audit events belong to k8s-audit.
		{`{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"k8s.io","methodName":"io.k8s.core.v1.pods.create"},"resource":{"type":"k8s_cluster"}}`, false},
		{`{"protoPayload":{"methodName":"io.k8s.core.v1.pods.exec.create"}}`, false},
		// VPC flow logs carry a jsonPayload.
		{`{"logName":"projects/p/logs/compute.googleapis.com%2Fvpc_flows","jsonPayload":{"connection":{"src_ip":"10.0.0.1"},"reporter":"SRC"}}`, false},
		// App Engine request logs are protoPayload of another type.
		{`{"protoPayload":{"@type":"type.googleapis.com/google.appengine.logging.v1.RequestLog","method":"GET"}}`, false},
		{`{"methodName":"v1.compute.firewalls.patch"}`, false},
		{`{"eventName":"X","eventSource":"s3.amazonaws.com","eventVersion":"1.08"}`, false},
	} {
		evs, st := sourcetest.ReadAll("t", []byte(c.rec), components.Formats(), nil)
		got := st.ByFormat[gcpaudit.Name] == 1
		if got != c.want {
			t.Errorf("%.120s: detected as gcp-audit %v, want %v (%d events, %v)", c.rec, got, c.want, len(evs), st.ByFormat)
		}
	}
}

// TestLowerCaseEntry: an entry whose own keys an exporter wrote in lower
// case is handed to rules in Cloud Logging's spelling while it is emitted.
func TestLowerCaseEntry(t *testing.T) {
	rec := `{"insertid":"x1","logname":"projects/p/logs/cloudaudit.googleapis.com%2Factivity","protopayload":{"at_sign_type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{"principalEmail":"bob@acme.example"},"serviceName":"bigquery.googleapis.com","methodName":"google.cloud.bigquery.v2.JobService.InsertJob","resourceName":"projects/p/jobs/j1"},"receivetimestamp":"2026-10-14T18:00:01Z","timestamp":"2026-10-14T18:00:00Z"}`
	var p fastjson.Parser
	v, err := p.Parse(rec)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = gcpaudit.New().Parse(&source.Record{JSON: v, Text: []byte(rec)}, func(e *event.Event) {
		n++
		if got := string(e.Record.GetStringBytes("protoPayload", "methodName")); got != "google.cloud.bigquery.v2.JobService.InsertJob" {
			t.Errorf("protoPayload.methodName %q", got)
		}
		if got := string(e.Record.GetStringBytes("protoPayload", "@type")); got != "type.googleapis.com/google.cloud.audit.AuditLog" {
			t.Errorf("protoPayload.@type %q", got)
		}
		if got := string(e.Record.GetStringBytes("insertId")); got != "x1" || e.EventName != "google.cloud.bigquery.v2.JobService.InsertJob" {
			t.Errorf("insertId %q, event_name %q", got, e.EventName)
		}
	})
	if err != nil || n != 1 {
		t.Fatalf("%d events, %v", n, err)
	}
}

func TestPubSubEnvelope(t *testing.T) {
	env := `{"message":{"data":"` + b64(deleteSink) + `","messageId":"1","publishTime":"2026-10-14T12:00:01Z"},"subscription":"projects/acme-prod/subscriptions/siem"}`
	evs, st := sourcetest.ReadAll("push.json", []byte(env), components.Formats(), nil)
	if len(evs) != 1 || st.ByFormat[gcpaudit.Name] != 1 {
		t.Fatalf("%d events, %v", len(evs), st.ByFormat)
	}
	sourcetest.Expect(t, evs[0], map[string]string{"action": "delete", "dataset": "Management"})
}

func TestCorpus(t *testing.T) {
	const name = "gcp/audit/panther-tests.jsonl"
	lines := sourcetest.Lines(t, sourcetest.Corpus(t, name))
	detected := 0
	for i, l := range lines {
		evs, err := sourcetest.Parse(gcpaudit.New(), l)
		if err != nil || len(evs) == 0 {
			t.Errorf("%s:%d: %d events, %v", name, i+1, len(evs), err)
		}
		if _, st := sourcetest.ReadAll(name, l, components.Formats(), nil); st.ByFormat[gcpaudit.Name] == 1 {
			detected++
		}
	}
	pct := 100 * float64(detected) / float64(len(lines))
	t.Logf("%s: %d records, %.1f%% detected as gcp-audit", name, len(lines), pct)
	if pct < 95 {
		t.Errorf("%s: only %.1f%% detected", name, pct)
	}
}

func FuzzParse(f *testing.F) {
	for _, l := range sourcetest.Lines(f, sourcetest.Corpus(f, "gcp/audit/panther-tests.jsonl")) {
		f.Add(l)
	}
	for _, s := range []string{objectsCreate, instancesInsert, setIamPolicy, createKey, deleteSink, gcrPush, bigQueryRow,
		`{"protoPayload":{"serviceName":"artifactregistry.googleapis.com","methodName":"Docker-PutManifest","resourceName":"projects/p/locations/l/repositories/r/packages/a%2Fb/versions/sha256:00"}}`,
		`{"protoPayload":{"methodName":"storage.objects.get","resourceName":"projects/_/buckets/asia.artifacts.x.appspot.com/objects/containers/images/sha256:1"}}`,
		`{"protoPayload":7}`, `{"protoPayload":{"status":{"code":[1]}}}`,
	} {
		f.Add([]byte(s))
	}
	formats := components.Formats()
	f.Fuzz(func(t *testing.T, data []byte) {
		sourcetest.Fuzz(t, gcpaudit.New(), formats, data)
	})
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func BenchmarkParse(b *testing.B) {
	recs := [][]byte{[]byte(objectsCreate), []byte(instancesInsert), []byte(setIamPolicy), []byte(deleteSink), []byte(bigQueryRow)}
	var p fastjson.Parser
	f := gcpaudit.New()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		rec := recs[i%len(recs)]
		v, _ := p.ParseBytes(rec)
		_ = f.Parse(&source.Record{JSON: v, Text: rec}, func(*event.Event) {})
	}
}
