package k8saudit_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
	"github.com/vigilsec/vigil/internal/source/k8saudit"
	"github.com/vigilsec/vigil/internal/source/sourcetest"
)

// Synthetic records shaped like the API server's audit.k8s.io/v1 output.
const (
	digest = "sha256:4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b"

	podCreate = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"6b1a4c2e-0c1d-4f57-9d7e-2f3b5a6c7d80","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/payments/pods?fieldManager=kubectl-client-side-apply","verb":"create","user":{"username":"alice@example.com","groups":["developers","system:authenticated"]},"sourceIPs":["203.0.113.10"],"userAgent":"kubectl/v1.29.3 (linux/amd64) kubernetes/6813625","objectRef":{"resource":"pods","namespace":"payments","name":"web-1","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestObject":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-1","namespace":"payments"},"spec":{"hostPID":true,"volumes":[{"name":"host-root","hostPath":{"path":"/","type":""}}],"containers":[{"name":"web","image":"ghcr.io/acme/web@` + digest + `","securityContext":{"privileged":true}},{"name":"sidecar","image":"envoyproxy/envoy:v1.29.1"}]}},"requestReceivedTimestamp":"2026-03-02T10:15:30.123456Z","stageTimestamp":"2026-03-02T10:15:30.140000Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by RoleBinding \"dev/payments\" of ClusterRole \"edit\" to Group \"developers\""}}`

	podExec = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"0d9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f5a","stage":"ResponseStarted","requestURI":"/api/v1/namespaces/payments/pods/web-1/exec?command=%2Fbin%2Fsh&container=web&stdin=true&stdout=true&tty=true","verb":"create","user":{"username":"system:serviceaccount:ci:deployer","uid":"5f0e9d8c-7b6a-4f5e-9d3c-2b1a0f9e8d7c","groups":["system:serviceaccounts","system:serviceaccounts:ci","system:authenticated"],"extra":{"authentication.kubernetes.io/credential-id":["JTI=8c1f2e3d-4b5a-4697-8877-665544332211"],"authentication.kubernetes.io/pod-name":["runner-7d9f"],"authentication.kubernetes.io/pod-uid":["1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d"]}},"sourceIPs":["10.2.3.4"],"userAgent":"kubectl/v1.29.3 (linux/amd64) kubernetes/6813625","objectRef":{"resource":"pods","namespace":"payments","name":"web-1","apiVersion":"v1","subresource":"exec"},"responseStatus":{"metadata":{},"code":101},"requestReceivedTimestamp":"2026-03-02T10:16:00.000100Z","stageTimestamp":"2026-03-02T10:16:00.052000Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by RoleBinding \"ci-exec/payments\" of Role \"exec\" to ServiceAccount \"deployer/ci\""}}`

	crbCreate = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d","stage":"ResponseComplete","requestURI":"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings?fieldManager=kubectl-create","verb":"create","user":{"username":"arn:aws:sts::111122223333:assumed-role/DevAdmin/alice","uid":"aws-iam-authenticator:111122223333:AROAEXAMPLEEXAMPLE","groups":["system:authenticated"],"extra":{"accessKeyId":["ASIAEXAMPLE7EXAMPLE7"],"arn":["arn:aws:sts::111122223333:assumed-role/DevAdmin/alice"],"canonicalArn":["arn:aws:iam::111122223333:role/DevAdmin"],"principalId":["AROAEXAMPLEEXAMPLE"],"sessionName":["alice"]}},"sourceIPs":["198.51.100.7"],"userAgent":"kubectl/v1.29.3 (darwin/arm64) kubernetes/6813625","objectRef":{"resource":"clusterrolebindings","name":"backdoor-admin","apiGroup":"rbac.authorization.k8s.io","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestObject":{"kind":"ClusterRoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"backdoor-admin"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"mallory"}]},"requestReceivedTimestamp":"2026-03-02T10:17:00.100000Z","stageTimestamp":"2026-03-02T10:17:00.120000Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"EKS Access Policy: allowed by ClusterRoleBinding \"arn:aws:iam::111122223333:role/DevAdmin+arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy\""}}`

	anonymous = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"3c2b1a0f-9e8d-4c7b-6a5f-4e3d2c1b0a9f","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/kube-system/secrets","verb":"list","user":{"username":"system:anonymous","groups":["system:unauthenticated"]},"sourceIPs":["192.0.2.50"],"userAgent":"curl/8.5.0","objectRef":{"resource":"secrets","namespace":"kube-system","apiVersion":"v1"},"responseStatus":{"metadata":{},"status":"Failure","message":"secrets is forbidden: User \"system:anonymous\" cannot list resource \"secrets\" in API group \"\" in the namespace \"kube-system\"","reason":"Forbidden","details":{"kind":"secrets"},"code":403},"requestReceivedTimestamp":"2026-03-02T10:18:00.000000Z","stageTimestamp":"2026-03-02T10:18:00.001000Z","annotations":{"authorization.k8s.io/decision":"forbid","authorization.k8s.io/reason":""}}`

	cronjobCreate = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"7e6d5c4b-3a2f-4e1d-8c9b-0a1f2e3d4c5b","stage":"ResponseComplete","requestURI":"/apis/batch/v1/namespaces/ops/cronjobs","verb":"create","user":{"username":"bob@example.com"},"sourceIPs":["203.0.113.11"],"objectRef":{"resource":"cronjobs","namespace":"ops","apiGroup":"batch","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestObject":{"kind":"CronJob","apiVersion":"batch/v1","metadata":{"name":"miner","namespace":"ops"},"spec":{"schedule":"*/5 * * * *","jobTemplate":{"spec":{"template":{"spec":{"hostNetwork":true,"containers":[{"name":"job","image":"registry.example.com:5000/tools/xmrig:6.21"}],"restartPolicy":"OnFailure"}}}}}},"requestReceivedTimestamp":"2026-03-02T10:19:00.000000Z","stageTimestamp":"2026-03-02T10:19:00.010000Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}`

	deploymentPatch = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d","stage":"ResponseComplete","requestURI":"/apis/apps/v1/namespaces/web/deployments/frontend","verb":"patch","user":{"username":"carol@example.com"},"sourceIPs":["203.0.113.12"],"objectRef":{"resource":"deployments","namespace":"web","name":"frontend","apiGroup":"apps","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestObject":{"spec":{"template":{"spec":{"containers":[{"name":"frontend","image":"nginx:1.25.4"}]}}}},"stageTimestamp":"2026-03-02T10:19:30.000000Z"}`
)

// gkeCRB is a GKE LogEntry of the k8s.io service.
const gkeCRB = `{"insertId":"1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d","labels":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"access granted by IAM permissions."},"logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity","operation":{"first":true,"last":true,"id":"1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d","producer":"k8s.io"},"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{"principalEmail":"deployer@acme-prod.iam.gserviceaccount.com","serviceAccountKeyName":"//iam.googleapis.com/projects/acme-prod/serviceAccounts/deployer@acme-prod.iam.gserviceaccount.com/keys/0123456789abcdef0123456789abcdef01234567"},"authorizationInfo":[{"granted":true,"permission":"io.k8s.authorization.rbac.v1.clusterrolebindings.create","resource":"rbac.authorization.k8s.io/v1/clusterrolebindings/ci-admin"}],"methodName":"io.k8s.authorization.rbac.v1.clusterrolebindings.create","request":{"@type":"rbac.authorization.k8s.io/v1.ClusterRoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"ci-admin"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"ServiceAccount","name":"ci","namespace":"default"}]},"requestMetadata":{"callerIp":"203.0.113.77","callerSuppliedUserAgent":"kubectl/v1.29.3 (linux/amd64) kubernetes/6813625"},"resourceName":"rbac.authorization.k8s.io/v1/clusterrolebindings/ci-admin","response":{"@type":"rbac.authorization.k8s.io/v1.ClusterRoleBinding","kind":"ClusterRoleBinding","metadata":{"name":"ci-admin","uid":"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"}},"serviceName":"k8s.io","status":{}},"receiveTimestamp":"2026-03-02T10:20:01.5Z","resource":{"labels":{"cluster_name":"prod-1","location":"europe-west1","project_id":"acme-prod"},"type":"k8s_cluster"},"timestamp":"2026-03-02T10:20:00.25Z"}`

// gkePodDenied is a GKE pod create refused by authorization.
const gkePodDenied = `{"insertId":"5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a","labels":{"authorization.k8s.io/decision":"forbid","authorization.k8s.io/reason":""},"logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{"principalEmail":"system:serviceaccount:default:builder"},"authorizationInfo":[{"permission":"io.k8s.core.v1.pods.create","resource":"core/v1/namespaces/default/pods/dbg"}],"methodName":"io.k8s.core.v1.pods.create","request":{"@type":"core.k8s.io/v1.Pod","apiVersion":"v1","kind":"Pod","metadata":{"name":"dbg","namespace":"default"},"spec":{"containers":[{"name":"dbg","image":"busybox"}]}},"requestMetadata":{"callerIp":"10.8.0.12","callerSuppliedUserAgent":"kubectl/v1.29.3"},"resourceName":"core/v1/namespaces/default/pods/dbg","response":{"@type":"core.k8s.io/v1.Status","apiVersion":"v1","code":403,"kind":"Status","message":"pods is forbidden: User \"system:serviceaccount:default:builder\" cannot create resource \"pods\" in API group \"\" in the namespace \"default\"","reason":"Forbidden","status":"Failure"},"serviceName":"k8s.io","status":{"code":7,"message":"PERMISSION_DENIED"}},"receiveTimestamp":"2026-03-02T10:21:01Z","resource":{"labels":{"cluster_name":"prod-1","location":"europe-west1","project_id":"acme-prod"},"type":"k8s_cluster"},"timestamp":"2026-03-02T10:21:00Z"}`

// jsonString returns s as a JSON string literal.
func jsonString(s string) string { return string(event.AppendString(nil, s)) }

// aksRecord wraps an audit event the way AKS diagnostic settings write it.
func aksRecord(audit string) string {
	return `{"operationName":"Microsoft.ContainerService/managedClusters/diagnosticLogs/Read","category":"kube-audit-admin","ccpNamespace":"65f1c2d3e4a5b60001a2b3c4","resourceId":"/SUBSCRIPTIONS/0B1C2D3E-4F50-6172-8394-A5B6C7D8E9F0/RESOURCEGROUPS/RG-AKS/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/AKS-PROD","properties":{"log":` + jsonString(audit) + `,"stream":"stdout","pod":"kube-apiserver-7b9c8d6f5-abcde"},"time":"2026-03-02T10:30:00.0000000Z"}`
}

// cloudWatchPayload wraps audit events as a CloudWatch Logs subscription
// delivers them (after gunzip).
func cloudWatchPayload(msgs ...string) string {
	var b strings.Builder
	b.WriteString(`{"messageType":"DATA_MESSAGE","owner":"111122223333","logGroup":"/aws/eks/prod-eks/cluster","logStream":"kube-apiserver-audit-0f1e2d3c4b5a69788796a5b4c3d2e1f0","subscriptionFilters":["to-siem"],"logEvents":[`)
	for i, m := range msgs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"id":"3795131842957113225036012440523117584620537851284979712` + string(rune('0'+i)) + `","timestamp":1772446500000,"message":` + jsonString(m) + `}`)
	}
	b.WriteString(`]}`)
	return b.String()
}

func TestRepresentativeEvents(t *testing.T) {
	f := k8saudit.New()
	cases := []struct {
		name   string
		record string
		want   map[string]string
	}{
		{
			name:   "pod create",
			record: podCreate,
			want: map[string]string{"vendor": "kubernetes", "vendor_product": "Kubernetes Audit", "dataset": "Container", "action": "create",
				"event_name": "create pods", "event_id": "6b1a4c2e-0c1d-4f57-9d7e-2f3b5a6c7d80", "time": "2026-03-02T10:15:30.14Z",
				"namespace": "payments", "workload": "pods/web-1", "container_name": "web",
				"image": "ghcr.io/acme/web@" + digest, "image_digest": digest, "registry": "ghcr.io", "repository": "acme/web",
				"src_ip": "203.0.113.10", "src_user": "alice@example.com", "src_user_name": "alice@example.com", "user_type": "User", "status": "success",
				"dest": "/api/v1/namespaces/payments/pods?fieldManager=kubectl-client-side-apply",
				"tags": "ResponseComplete,RequestResponse,allow,privileged,hostpid,hostpath", "cluster": ""},
		},
		{
			name:   "pods/exec",
			record: podExec,
			want: map[string]string{"dataset": "Container", "action": "exec", "event_name": "create pods/exec",
				"namespace": "payments", "workload": "pods/web-1", "container_name": "web", "image": "",
				"src_user": "system:serviceaccount:ci:deployer", "src_user_name": "system:serviceaccount:ci:deployer", "user_type": "ServiceAccount",
				"credential_id": "JTI=8c1f2e3d-4b5a-4697-8877-665544332211", "status": "success", "tags": "ResponseStarted,Request,allow"},
		},
		{
			name:   "clusterrolebinding create (EKS IAM user)",
			record: crbCreate,
			want: map[string]string{"dataset": "Security", "action": "create", "event_name": "create clusterrolebindings",
				"workload": "clusterrolebindings/backdoor-admin", "namespace": "", "credential_id": "ASIAEXAMPLE7EXAMPLE7",
				"account": "111122223333", "user_type": "User", "src_user": "arn:aws:sts::111122223333:assumed-role/DevAdmin/alice", "status": "success"},
		},
		{
			name:   "anonymous request refused",
			record: anonymous,
			want: map[string]string{"dataset": "Security", "action": "list", "event_name": "list secrets", "user_type": "Anonymous",
				"src_user": "system:anonymous", "status": "failure", "namespace": "kube-system", "workload": "",
				"msg":  `secrets is forbidden: User "system:anonymous" cannot list resource "secrets" in API group "" in the namespace "kube-system"`,
				"tags": "ResponseComplete,Metadata,forbid", "http_user_agent": "curl/8.5.0"},
		},
		{
			name:   "cronjob image from the job template",
			record: cronjobCreate,
			want: map[string]string{"dataset": "Container", "action": "create", "workload": "cronjobs/miner", "namespace": "ops",
				"image": "registry.example.com:5000/tools/xmrig:6.21", "registry": "registry.example.com:5000", "repository": "tools/xmrig",
				"image_digest": "", "container_name": "job", "tags": "ResponseComplete,Request,allow,hostnetwork"},
		},
		{
			name:   "deployment patch",
			record: deploymentPatch,
			want: map[string]string{"dataset": "Container", "action": "modify", "event_name": "patch deployments", "workload": "deployments/frontend",
				"image": "nginx:1.25.4", "registry": "docker.io", "repository": "library/nginx", "container_name": "frontend"},
		},
		{
			name:   "GKE clusterrolebinding create",
			record: gkeCRB,
			want: map[string]string{"vendor": "kubernetes", "vendor_product": "GKE Audit", "dataset": "Security", "action": "create",
				"event_name": "io.k8s.authorization.rbac.v1.clusterrolebindings.create", "event_id": "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d",
				"time": "2026-03-02T10:20:00.25Z", "src_ip": "203.0.113.77", "src_user": "deployer@acme-prod.iam.gserviceaccount.com",
				"user_type": "ServiceAccount", "account": "acme-prod", "region": "europe-west1", "cluster": "prod-1",
				"credential_id": "//iam.googleapis.com/projects/acme-prod/serviceAccounts/deployer@acme-prod.iam.gserviceaccount.com/keys/0123456789abcdef0123456789abcdef01234567",
				"dest":          "rbac.authorization.k8s.io/v1/clusterrolebindings/ci-admin", "workload": "clusterrolebindings/ci-admin",
				"http_user_agent": "kubectl/v1.29.3 (linux/amd64) kubernetes/6813625", "status": "success", "tags": "activity,allow"},
		},
		{
			name:   "GKE pod create refused",
			record: gkePodDenied,
			want: map[string]string{"dataset": "Container", "action": "create", "status": "failure", "msg": "PERMISSION_DENIED",
				"namespace": "default", "workload": "pods/dbg", "image": "busybox", "repository": "library/busybox", "container_name": "dbg",
				"user_type": "ServiceAccount", "tags": "activity,forbid"},
		},
		{
			name:   "GKE method name only",
			record: `{"protoPayload":{"methodName":"io.k8s.authorization.rbac.v1.clusterrolebindings.create","serviceName":"k8s.io"}}`,
			want:   map[string]string{"dataset": "Security", "action": "create", "vendor_product": "GKE Audit"},
		},
		{
			name:   "GKE exec from the method name",
			record: `{"protoPayload":{"methodName":"io.k8s.core.v1.pods.exec.create","resourceName":"core/v1/namespaces/prod/pods/db-0/exec","serviceName":"k8s.io"},"resource":{"type":"k8s_cluster","labels":{"project_id":"acme-prod","cluster_name":"prod-1","location":"europe-west1"}}}`,
			want:   map[string]string{"dataset": "Container", "action": "exec", "namespace": "prod", "workload": "pods/db-0", "cluster": "prod-1"},
		},
		{
			name:   "AKS kube-audit-admin record",
			record: aksRecord(podExec),
			want: map[string]string{"vendor": "kubernetes", "vendor_product": "AKS Audit", "dataset": "Container", "action": "exec",
				"cluster": "AKS-PROD", "account": "0B1C2D3E-4F50-6172-8394-A5B6C7D8E9F0", "namespace": "payments", "container_name": "web",
				"time": "2026-03-02T10:16:00.052Z"},
		},
		{
			name:   "AKS record without event times",
			record: aksRecord(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"delete","user":{"username":"system:node:aks-nodepool1-12345678-vmss000000"},"objectRef":{"resource":"secrets","namespace":"default","name":"db","apiVersion":"v1"},"responseStatus":{"code":200}}`),
			want: map[string]string{"dataset": "Security", "action": "delete", "user_type": "Node", "workload": "secrets/db",
				"time": "2026-03-02T10:30:00Z", "cluster": "AKS-PROD"},
		},
		{
			name:   "non-resource request",
			record: `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseComplete","requestURI":"/version?timeout=32s","verb":"get","user":{"username":"system:anonymous"},"sourceIPs":["2001:db8::7"],"responseStatus":{"code":200}}`,
			want:   map[string]string{"dataset": "Management", "action": "get", "event_name": "get /version", "src_ip": "2001:db8::7", "user_type": "Anonymous"},
		},
		{
			name:   "v1beta1 event without objectRef",
			record: `{"kind":"Event","apiVersion":"audit.k8s.io/v1beta1","timestamp":"2018-10-25T13:58:49Z","auditID":"b2","stage":"ResponseComplete","requestURI":"/apis/apps/v1/namespaces/shop/deployments/cart/scale","verb":"update","user":{"username":"minikube-user"},"responseStatus":{"code":200}}`,
			want: map[string]string{"dataset": "Container", "action": "modify", "event_name": "update deployments/scale", "namespace": "shop",
				"workload": "deployments/cart", "time": "2018-10-25T13:58:49Z"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs := sourcetest.MustParse(t, f, c.record)
			if len(evs) != 1 {
				t.Fatalf("got %d events", len(evs))
			}
			sourcetest.Expect(t, evs[0], c.want)
		})
	}
}

func TestEventList(t *testing.T) {
	list := `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[` + podCreate + `,` + crbCreate + `]}`
	evs, st := sourcetest.ReadAll("list.json", []byte(list), components.Formats(), nil)
	if st.ByFormat[k8saudit.Name] != 1 || len(evs) != 2 {
		t.Fatalf("EventList: %d events, stats %+v", len(evs), st)
	}
	sourcetest.Expect(t, evs[0], map[string]string{"dataset": "Container", "workload": "pods/web-1", "vendor_product": "Kubernetes Audit"})
	sourcetest.Expect(t, evs[1], map[string]string{"dataset": "Security", "workload": "clusterrolebindings/backdoor-admin"})
	for i, e := range evs {
		if e.Origin.Index != i {
			t.Errorf("item %d: origin index %d", i, e.Origin.Index)
		}
	}
	if !strings.Contains(string(evs[1].Raw), `"backdoor-admin"`) || strings.Contains(string(evs[1].Raw), `"web-1"`) {
		t.Errorf("item raw is not the item alone: %.120s", evs[1].Raw)
	}
	if evs, err := sourcetest.Parse(k8saudit.New(), []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[]}`)); err != nil || len(evs) != 0 {
		t.Errorf("empty EventList: %d events, %v", len(evs), err)
	}
}

func TestCloudWatchPayload(t *testing.T) {
	noTime := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"c3","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/secrets/db","verb":"get","user":{"username":"system:serviceaccount:default:app"},"objectRef":{"resource":"secrets","namespace":"default","name":"db","apiVersion":"v1"},"responseStatus":{"code":200}}`
	payload := cloudWatchPayload(podExec, noTime)
	evs, st := sourcetest.ReadAll("cw.json", []byte(payload), components.Formats(), nil)
	if st.ByFormat[k8saudit.Name] != 1 || len(evs) != 2 || st.SkippedTotal() != 0 {
		t.Fatalf("CloudWatch payload: %d events, stats %+v", len(evs), st)
	}
	sourcetest.Expect(t, evs[0], map[string]string{"vendor": "kubernetes", "vendor_product": "Amazon EKS Audit", "cluster": "prod-eks",
		"account": "111122223333", "dataset": "Container", "action": "exec", "container_name": "web", "time": "2026-03-02T10:16:00.052Z"})
	sourcetest.Expect(t, evs[1], map[string]string{"vendor_product": "Amazon EKS Audit", "cluster": "prod-eks", "dataset": "Security",
		"action": "get", "workload": "secrets/db", "time": "2026-03-02T10:15:00Z"})
	if string(evs[1].Raw) != noTime {
		t.Errorf("raw is not the log event's message: %.120s", evs[1].Raw)
	}
	if evs[0].Origin.Index != 0 || evs[1].Origin.Index != 1 {
		t.Errorf("origin indexes %d, %d", evs[0].Origin.Index, evs[1].Origin.Index)
	}

	// Another control-plane stream of the same log group holds text.
	text := strings.Replace(cloudWatchPayload("I0302 10:15:00.000000  10 authenticator.go:90] access granted"), "kube-apiserver-audit-", "authenticator-", 1)
	if evs, err := sourcetest.Parse(k8saudit.New(), []byte(text)); err == nil || len(evs) != 0 {
		t.Errorf("authenticator stream: %d events, error %v", len(evs), err)
	}
	control := `{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1772446500000,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}`
	if evs, err := sourcetest.Parse(k8saudit.New(), []byte(control)); err != nil || len(evs) != 0 {
		t.Errorf("control message: %d events, error %v", len(evs), err)
	}
}

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		name string
		rec  string
		want bool
	}{
		{"audit event", podCreate, true},
		{"audit event fragment", `{"kind":"Event","verb":"get","objectRef":{"resource":"pods"}}`, true},
		{"EventList", `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[` + anonymous + `]}`, true},
		{"CloudWatch payload", cloudWatchPayload(anonymous), true},
		{"GKE entry", gkeCRB, true},
		{"AKS record", aksRecord(anonymous), true},
		{"core/v1 Event", `{"kind":"Event","apiVersion":"v1","metadata":{"name":"web-1.17b8","namespace":"default"},"involvedObject":{"kind":"Pod","namespace":"default","name":"web-1"},"reason":"Pulled","message":"Successfully pulled image","source":{"component":"kubelet","host":"node-1"},"type":"Normal","count":1}`, false},
		{"events.k8s.io Event", `{"kind":"Event","apiVersion":"events.k8s.io/v1","metadata":{"name":"x"},"regarding":{"kind":"Pod","name":"web-1"},"reason":"Killing","note":"Stopping container","type":"Normal","reportingController":"kubelet"}`, false},
		{"core/v1 EventList", `{"kind":"EventList","apiVersion":"v1","items":[{"kind":"Event","involvedObject":{"kind":"Pod"},"reason":"Pulled"}]}`, false},
		{"malformed kind", `{"kind": 0}`, false},
		{"GCS audit entry", `{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"storage.googleapis.com","methodName":"storage.objects.get"},"resource":{"type":"gcs_bucket","labels":{"project_id":"p"}}}`, false},
		{"GKE cluster admin entry", `{"protoPayload":{"serviceName":"container.googleapis.com","methodName":"google.container.v1.ClusterManager.CreateCluster"},"resource":{"type":"gke_cluster"}}`, false},
		{"GKE Kubernetes event entry", `{"insertId":"x1","jsonPayload":{"kind":"Event","apiVersion":"v1","involvedObject":{"kind":"Pod","name":"web-1"},"reason":"BackOff","message":"Back-off restarting failed container"},"logName":"projects/p/logs/events","resource":{"type":"k8s_cluster","labels":{"cluster_name":"c","location":"us-central1","project_id":"p"}},"severity":"WARNING","timestamp":"2026-03-02T10:00:00Z"}`, false},
		{"GKE fragment without serviceName", `{"protoPayload":{"methodName":"io.k8s.core.v1.pods.create"},"resource":{"type":"k8s_cluster"}}`, true},
		{"Lambda log group", strings.Replace(cloudWatchPayload(anonymous), "/aws/eks/prod-eks/cluster", "/aws/lambda/fn", 1), false},
		{"Azure activity", `{"category":"Administrative","operationName":"MICROSOFT.RESOURCES/DEPLOYMENTS/WRITE","properties":{"statusCode":"Created"},"resourceId":"/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG"}`, false},
	} {
		got := k8saudit.New().Detect(mustJSON(t, c.rec))
		if got != c.want {
			t.Errorf("%s: Detect = %v, want %v", c.name, got, c.want)
		}
		if _, st := sourcetest.ReadAll("t", []byte(c.rec), components.Formats(), nil); c.want && st.ByFormat[k8saudit.Name] != 1 {
			t.Errorf("%s: the reader gave it to %v", c.name, st.ByFormat)
		}
	}
}

// TestMalformed: Falco's {"kind": 0} regression input must give a clear
// error or a skipped record, never an event or a panic.
func TestMalformed(t *testing.T) {
	name := "kubernetes/audit/falco-k8s-audit-malformed.jsonl"
	data := sourcetest.Lines(t, sourcetest.Corpus(t, name))
	for _, l := range data {
		evs, err := sourcetest.Parse(k8saudit.New(), l)
		var fe *source.FieldError
		if len(evs) != 0 || !errors.As(err, &fe) || fe.Field != "kind" {
			t.Errorf("%s forced: %d events, error %v; want a FieldError on kind", l, len(evs), err)
		}
		for _, force := range []source.Format{k8saudit.New(), nil} {
			evs, st := sourcetest.ReadAll(name, l, components.Formats(), force)
			if len(evs) != 0 || st.SkippedTotal() != 1 {
				t.Errorf("%s (forced %v): %d events, skipped %d", l, force != nil, len(evs), st.SkippedTotal())
			}
		}
	}
	for _, rec := range []string{`{}`, `{"kind":"Event"}`, `{"kind":"Event","involvedObject":{"kind":"Pod"}}`, `{"items":7}`, `{"logGroup":"/aws/eks/x/cluster","logEvents":{}}`, `{"category":"kube-audit","properties":{"log":"{not json"}}`, `{"category":"kube-audit","properties":{"log":"[1,2]"}}`} {
		if evs, err := sourcetest.Parse(k8saudit.New(), []byte(rec)); err == nil || len(evs) != 0 {
			t.Errorf("%s: %d events, error %v; want an error", rec, len(evs), err)
		}
	}
}

func TestCorpus(t *testing.T) {
	for _, c := range []struct {
		name string
		min  float64
	}{
		{"kubernetes/audit/panther-tests.jsonl", 95},
		{"kubernetes/audit/falco-k8s-audit.jsonl", 95},
		{"azure/aks/panther-tests.jsonl", 95},
		// 7 of the 59 records are not Kubernetes: 5 deploymentmanager
		// entries (they belong to gcp-audit), one compute.instances.list
		// entry and one {"operation":{"producer":"chrome"}} fragment. All
		// 52 Kubernetes records must be detected: 88.1%.
		{"gcp/gke/panther-tests.jsonl", 88},
	} {
		lines := sourcetest.Lines(t, sourcetest.Corpus(t, c.name))
		detected := 0
		for i, l := range lines {
			// Forced, every record gives at least one event (GKE
			// fragments and non-k8s LogEntries give what they have).
			if evs, err := sourcetest.Parse(k8saudit.New(), l); err != nil || len(evs) == 0 {
				t.Errorf("%s:%d: %d events, %v", c.name, i+1, len(evs), err)
			}
			if _, st := sourcetest.ReadAll(c.name, l, components.Formats(), nil); st.ByFormat[k8saudit.Name] == 1 {
				detected++
			} else if strings.Contains(string(l), `"k8s.io"`) || strings.Contains(string(l), `"k8s_cluster"`) || strings.Contains(string(l), `"methodName":"io.k8s.`) {
				t.Errorf("%s:%d: a Kubernetes record not detected", c.name, i+1)
			}
		}
		pct := 100 * float64(detected) / float64(len(lines))
		t.Logf("%s: %d records, %d (%.1f%%) detected as k8s-audit", c.name, len(lines), detected, pct)
		if pct < c.min {
			t.Errorf("%s: only %.1f%% detected, want >= %.0f%%", c.name, pct, c.min)
		}
	}
}

func TestMappings(t *testing.T) {
	for _, m := range k8saudit.New().Mappings() {
		if event.Lookup(m.Field) == nil {
			t.Errorf("mapping names unknown field %q", m.Field)
		}
	}
}

var corpusFiles = []string{
	"kubernetes/audit/panther-tests.jsonl",
	"kubernetes/audit/falco-k8s-audit.jsonl",
	"kubernetes/audit/falco-k8s-audit-malformed.jsonl",
	"gcp/gke/panther-tests.jsonl",
	"azure/aks/panther-tests.jsonl",
}

func FuzzParse(f *testing.F) {
	for _, name := range corpusFiles {
		for _, l := range sourcetest.Lines(f, sourcetest.Corpus(f, name)) {
			f.Add(l)
		}
	}
	for _, s := range []string{podCreate, podExec, crbCreate, anonymous, cronjobCreate, deploymentPatch, gkeCRB, gkePodDenied,
		aksRecord(podCreate), cloudWatchPayload(podExec, anonymous),
		`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[` + podCreate + `,{"kind":0}]}`,
		`{"messageType":"DATA_MESSAGE","logGroup":"/aws/eks/c/cluster","logEvents":[{"message":{"kind":"Event","verb":"get"}},{"message":"{\"verb\":7}"}]}`,
	} {
		f.Add([]byte(s))
	}
	formats := components.Formats()
	f.Fuzz(func(t *testing.T, data []byte) {
		sourcetest.Fuzz(t, k8saudit.New(), formats, data)
	})
}

func mustJSON(t *testing.T, s string) *fastjson.Value {
	t.Helper()
	var p fastjson.Parser
	v, err := p.Parse(s)
	if err != nil {
		t.Fatalf("bad test record %.80s: %v", s, err)
	}
	return v
}

func BenchmarkParse(b *testing.B) {
	for _, c := range []struct{ name, rec string }{{"plain", podCreate}, {"gke", gkeCRB}, {"aks", aksRecord(podExec)}} {
		b.Run(c.name, func(b *testing.B) {
			var p fastjson.Parser
			f := k8saudit.New()
			rec := []byte(c.rec)
			b.SetBytes(int64(len(rec)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				v, err := p.ParseBytes(rec)
				if err != nil {
					b.Fatal(err)
				}
				if err := f.Parse(&source.Record{JSON: v, Text: rec, Origin: event.Origin{Index: -1}}, func(*event.Event) {}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
