package gcpaudit

import (
	"strings"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
)

// verbs derive an action from the last segment of a methodName: the REST
// verb of "v1.compute.instances.insert" or the leading verb of the gRPC
// method in "google.logging.v2.ConfigServiceV2.DeleteSink". Prefixes compare
// case-insensitively; the first match wins.
var verbs = []source.Verb{
	{"get", "get"}, {"batchGet", "get"}, {"read", "get"}, {"lookup", "get"}, {"search", "get"}, {"test", "get"}, {"check", "get"},
	{"view", "get"}, {"head", "get"}, {"download", "get"}, {"export", "get"}, {"watch", "get"}, {"fetch", "get"},
	{"list", "list"}, {"aggregatedList", "list"},
	{"create", "create"}, {"insert", "create"}, {"import", "create"}, {"copy", "create"}, {"clone", "create"}, {"restore", "create"},
	{"undelete", "create"}, {"generate", "create"}, {"deploy", "create"}, {"compose", "create"}, {"rewrite", "create"},
	{"delete", "delete"}, {"remove", "delete"}, {"destroy", "delete"}, {"purge", "delete"},
	{"patch", "modify"}, {"update", "modify"}, {"set", "modify"}, {"replace", "modify"}, {"rotate", "modify"}, {"resize", "modify"},
	{"move", "modify"}, {"rename", "modify"}, {"upsert", "modify"}, {"apply", "modify"},
	{"enable", "enable"}, {"disable", "disable"}, {"attach", "attach"}, {"detach", "detach"}, {"add", "attach"},
	{"reset", "start"}, {"restart", "start"}, {"resume", "start"}, {"start", "start"}, {"stop", "stop"}, {"suspend", "stop"},
	{"run", "run"}, {"execute", "run"}, {"invoke", "run"},
	{"upload", "put"}, {"put", "put"}, {"write", "put"},
	{"encrypt", "encrypt"}, {"decrypt", "decrypt"}, {"asymmetricDecrypt", "decrypt"}, {"asymmetricSign", "sign"}, {"macSign", "sign"},
	{"login", "login"}, {"logout", "logout"}, {"connect", "login"},
	{"exchange", "assume"}, {"impersonate", "assume"},
}

// Transforms of vendor values.
var (
	// principal drops the "user:" / "serviceAccount:" prefix of principalSubject.
	principal = source.Transform{Name: "principalSubject without its user:/serviceAccount: prefix", Fn: func(s string) string {
		for _, p := range [...]string{"user:", "serviceAccount:"} {
			if strings.HasPrefix(s, p) {
				return s[len(p):]
			}
		}
		return s
	}}
	// userType: Google service-account emails end in gserviceaccount.com
	// (…@PROJECT.iam.gserviceaccount.com, …@developer.gserviceaccount.com,
	// service agents); every other principal is a user.
	userType = source.Transform{Name: "ServiceAccount when the principal ends in gserviceaccount.com, else User", Fn: func(s string) string {
		if strings.HasPrefix(s, "serviceAccount:") || strings.HasSuffix(s, "gserviceaccount.com") {
			return "ServiceAccount"
		}
		return "User"
	}}
	// logKind is the audit log of the entry: activity, data_access,
	// system_event or policy (the part after cloudaudit.googleapis.com%2F).
	logKind = source.Transform{Name: "activity, data_access, system_event or policy, from …/logs/cloudaudit.googleapis.com%2FKIND", Fn: func(s string) string {
		for _, sep := range [...]string{"cloudaudit.googleapis.com%2F", "cloudaudit.googleapis.com%2f", "cloudaudit.googleapis.com/"} {
			if i := strings.Index(s, sep); i >= 0 {
				return s[i+len(sep):]
			}
		}
		return ""
	}}
	// project is the project id: as given in resource.labels.project_id,
	// or from logName "projects/ID/logs/…"; organization and folder logs
	// give "organizations/ID" or "folders/ID".
	project = source.Transform{Name: "the project id (logName projects/ID/logs/… gives ID)", Fn: func(s string) string {
		if i := strings.Index(s, "/logs/"); i >= 0 {
			s = s[:i]
		}
		if rest, ok := strings.CutPrefix(s, "projects/"); ok {
			return rest
		}
		return s
	}}
	lastSegment = source.Transform{Name: "last path segment", Fn: func(s string) string {
		return s[strings.LastIndexByte(s, '/')+1:]
	}}
	// groupMember keeps an IAM member that is a group ("group:admins@example.com").
	groupMember = source.Transform{Name: "the member when it is group:…", Fn: func(s string) string {
		rest, _ := strings.CutPrefix(s, "group:")
		if len(rest) == len(s) {
			return ""
		}
		return rest
	}}
	// clusterName is the segment after clusters/ in a GKE resource name.
	clusterName = source.Transform{Name: "the name after clusters/", Fn: func(s string) string {
		_, rest, ok := strings.Cut(s, "clusters/")
		if !ok {
			return ""
		}
		name, _, _ := strings.Cut(rest, "/")
		return name
	}}
	// serviceAccount is the account in projects/-/serviceAccounts/ACCOUNT.
	serviceAccount = source.Transform{Name: "the account after serviceAccounts/", Fn: func(s string) string {
		_, rest, ok := strings.Cut(s, "serviceAccounts/")
		if !ok {
			return s
		}
		name, _, _ := strings.Cut(rest, "/")
		return name
	}}
)

// Field specs shared by several operations; paths are inside the AuditLog.
var (
	instance = source.Spec{
		{Field: "instance_id", From: "resourceName | response.targetId", Via: &lastSegment},
	}
	instanceInsert = source.Spec{
		{Field: "instance_id", From: "resourceName | response.targetId | request.name", Via: &lastSegment},
		{Field: "image_id", From: "request.disks.0.initializeParams.sourceImage"},
		{Field: "instance_type", From: "request.machineType", Via: &lastSegment},
	}
	// iamPolicy reads the first binding change of a SetIamPolicy: the
	// AuditData policy delta (servicedata_v1_iam in BigQuery exports), else
	// the first binding of the requested policy.
	iamPolicy = source.Spec{
		{Field: "role", From: "serviceData.policyDelta.bindingDeltas.0.role | servicedata_v1_iam.policyDelta.bindingDeltas.0.role | request.policy.bindings.0.role"},
		{Field: "group_name", From: "serviceData.policyDelta.bindingDeltas.0.member | servicedata_v1_iam.policyDelta.bindingDeltas.0.member | request.policy.bindings.0.members.0", Via: &groupMember},
		{Field: "acl_entity", From: "serviceData.policyDelta.bindingDeltas.0.member | servicedata_v1_iam.policyDelta.bindingDeltas.0.member | request.policy.bindings.0.members.0"},
		{Field: "acl_permission", From: "serviceData.policyDelta.bindingDeltas.0.role | servicedata_v1_iam.policyDelta.bindingDeltas.0.role | request.policy.bindings.0.role"},
	}
	gcsObject = source.Spec{
		{Field: "bucket_name", From: "resourceName", Via: &gcsBucket},
		{Field: "object_path", From: "resourceName", Via: &gcsObjectPath},
		{Field: "registry", From: "resourceName", Via: &gcrRegistry},
		{Field: "repository", From: "resourceName", Via: &gcrRepository},
		{Field: "image_digest", From: "resourceName", Via: &gcrDigest},
		{Field: "image", From: "resourceName", Via: &gcrImageRef},
	}
	gcsACL = append(source.Spec{
		{Field: "acl_permission", From: "serviceData.policyDelta.bindingDeltas.0.role | servicedata_v1_iam.policyDelta.bindingDeltas.0.role | request.policy.bindings.0.role"},
		{Field: "acl_entity", From: "serviceData.policyDelta.bindingDeltas.0.member | servicedata_v1_iam.policyDelta.bindingDeltas.0.member | request.policy.bindings.0.members.0"},
	}, gcsObject...)
	impersonation = source.Spec{
		{Field: "role", From: "request.name | resourceName", Via: &serviceAccount},
	}
	gkeCluster = source.Spec{
		{Field: "cluster", From: "request.cluster.name | resourceName | request.name", Via: &clusterName},
	}
	arImage = source.Spec{
		{Field: "registry", From: "resourceName", Via: &arRegistry},
		{Field: "repository", From: "resourceName", Via: &arRepository},
		{Field: "image_digest", From: "resourceName", Via: &arDigest},
		{Field: "image", From: "resourceName", Via: &arImageRef},
	}
)

// anyService in a methods row matches the method in every service.
const anyService = "*"

// methods maps a service and method to dataset and action. Name is the
// methodName's last two dot-separated segments ("instances.insert",
// "ConfigServiceV2.DeleteSink"), or its last one ("DeleteSink",
// "Docker-PutManifest"), or a resource wildcard "RESOURCE.*" covering every
// method of a resource ("disks.*"); Service "*" rows hold in every service.
// Lookups try those keys in that order (see lookup), then the service's
// row in services. An empty Action comes from the verb.
var methods = source.NewTable(true, verbs, []source.Op{
	// Compute
	{"compute.googleapis.com", "instances.insert", event.Compute, "create", instanceInsert},
	{"compute.googleapis.com", "instances.start", event.Compute, "start", instance},
	{"compute.googleapis.com", "instances.startWithEncryptionKey", event.Compute, "start", instance},
	{"compute.googleapis.com", "instances.resume", event.Compute, "start", instance},
	{"compute.googleapis.com", "instances.reset", event.Compute, "start", instance},
	{"compute.googleapis.com", "instances.stop", event.Compute, "stop", instance},
	{"compute.googleapis.com", "instances.suspend", event.Compute, "stop", instance},
	{"compute.googleapis.com", "instances.delete", event.Compute, "delete", instance},
	{"compute.googleapis.com", "instances.*", event.Compute, "", instance},
	{"compute.googleapis.com", "firewalls.*", event.Security, "", nil},
	{"compute.googleapis.com", "securityPolicies.*", event.Security, "", nil},
	{"compute.googleapis.com", "sslCertificates.*", event.Security, "", nil},
	{"compute.googleapis.com", "disks.*", event.Storage, "", nil},
	{"compute.googleapis.com", "regionDisks.*", event.Storage, "", nil},
	{"compute.googleapis.com", "snapshots.*", event.Storage, "", nil},
	{"compute.googleapis.com", "networks.*", event.Management, "", nil},
	{"compute.googleapis.com", "subnetworks.*", event.Management, "", nil},
	{"compute.googleapis.com", "routes.*", event.Management, "", nil},
	{"compute.googleapis.com", "routers.*", event.Management, "", nil},
	{"appengine.googleapis.com", "Firewall.*", event.Security, "", nil},

	// Storage
	{"storage.googleapis.com", "storage.setIamPermissions", event.Storage, "modify", gcsACL},
	{"storage.googleapis.com", "storage.getIamPermissions", event.Storage, "get", gcsObject},
	{"storage.googleapis.com", "buckets.setIamPolicy", event.Storage, "modify", gcsACL},

	// Security: IAM policies anywhere, service-account keys, KMS
	{anyService, "SetIamPolicy", event.Security, "modify", iamPolicy},
	{anyService, "GetIamPolicy", event.Security, "get", nil},
	{anyService, "TestIamPermissions", event.Security, "get", nil},
	{"iam.googleapis.com", "CreateServiceAccountKey", event.Security, "create", nil},
	{"iam.googleapis.com", "UploadServiceAccountKey", event.Security, "create", nil},
	{"iam.googleapis.com", "DisableServiceAccountKey", event.Security, "disable", nil},
	{"cloudkms.googleapis.com", "DestroyCryptoKeyVersion", event.Security, "delete", nil},

	// Authentication: impersonation, token exchange, sign-in
	{"iamcredentials.googleapis.com", "GenerateAccessToken", event.Authentication, "assume", impersonation},
	{"iamcredentials.googleapis.com", "GenerateIdToken", event.Authentication, "assume", impersonation},
	{"iamcredentials.googleapis.com", "SignJwt", event.Authentication, "assume", impersonation},
	{"iamcredentials.googleapis.com", "SignBlob", event.Authentication, "assume", impersonation},
	{"sts.googleapis.com", "ExchangeToken", event.Authentication, "assume", source.Spec{{Field: "identity_provider", From: "request.audience"}}},
	{"login.googleapis.com", "loginFailure", event.Authentication, "login", source.Spec{{Field: "status", Const: event.StatusFailure}}},
	{"login.googleapis.com", "logout", event.Authentication, "logout", nil},
	{"iap.googleapis.com", "AuthorizeUser", event.Authentication, "login", nil},

	// Database: query jobs run
	{"bigquery.googleapis.com", "InsertJob", event.Database, "run", nil},
	{"bigquery.googleapis.com", "Query", event.Database, "run", nil},
	{"bigquery.googleapis.com", "jobservice.insert", event.Database, "run", nil},
	{"bigquery.googleapis.com", "jobservice.query", event.Database, "run", nil},
	{"bigquery.googleapis.com", "jobservice.jobcompleted", event.Database, "run", nil},
}, dockerRows("artifactregistry.googleapis.com"), dockerRows("containerregistry.googleapis.com"))

// dockerRows maps the Docker Registry API methods of a registry service.
func dockerRows(service string) []source.Op {
	rows := []source.Op{}
	for _, r := range []struct{ method, action string }{
		{"Docker-PutManifest", "push"}, {"Docker-StartUpload", "push"}, {"Docker-FinishUpload", "push"}, {"Docker-CancelUpload", "push"},
		{"Docker-GetManifest", "pull"}, {"Docker-ServeBlob", "pull"}, {"Docker-GetBlob", "pull"},
		{"Docker-HeadManifest", "get"}, {"Docker-HeadBlob", "get"}, {"Docker-GetTags", "list"}, {"Docker-Catalog", "list"},
		{"Docker-DeleteManifest", "delete"}, {"Docker-DeleteBlob", "delete"}, {"Docker-DeleteTag", "delete"},
	} {
		rows = append(rows, source.Op{Service: service, Name: r.method, Dataset: event.Container, Action: r.action, Fields: arImage})
	}
	return rows
}

// services maps every other method of a service ("*" rows); a service not
// listed here or in methods is Management.
var services = source.NewTable(true, verbs, []source.Op{
	{"compute.googleapis.com", "*", event.Compute, "", nil},
	{"run.googleapis.com", "*", event.Compute, "", nil},
	{"cloudfunctions.googleapis.com", "*", event.Compute, "", nil},
	{"appengine.googleapis.com", "*", event.Compute, "", nil},
	{"batch.googleapis.com", "*", event.Compute, "", nil},
	{"oslogin.googleapis.com", "*", event.Authentication, "login", nil},

	{"storage.googleapis.com", "*", event.Storage, "", gcsObject},
	{"file.googleapis.com", "*", event.Storage, "", nil},

	{"iamcredentials.googleapis.com", "*", event.Authentication, "", impersonation},
	{"sts.googleapis.com", "*", event.Authentication, "", nil},
	{"login.googleapis.com", "*", event.Authentication, "login", nil},

	{"iam.googleapis.com", "*", event.Security, "", nil},
	{"cloudresourcemanager.googleapis.com", "*", event.Security, "", nil},
	{"cloudkms.googleapis.com", "*", event.Security, "", nil},
	{"secretmanager.googleapis.com", "*", event.Security, "", nil},
	{"securitycenter.googleapis.com", "*", event.Security, "", nil},
	{"accesscontextmanager.googleapis.com", "*", event.Security, "", nil},
	{"iap.googleapis.com", "*", event.Security, "", nil},
	{"apikeys.googleapis.com", "*", event.Security, "", nil},
	{"clientauthconfig.googleapis.com", "*", event.Security, "", nil},
	{"admin.googleapis.com", "*", event.Security, "", nil},
	{"cloudidentity.googleapis.com", "*", event.Security, "", nil},
	{"orgpolicy.googleapis.com", "*", event.Security, "", nil},
	{"binaryauthorization.googleapis.com", "*", event.Security, "", nil},
	{"privateca.googleapis.com", "*", event.Security, "", nil},
	{"certificatemanager.googleapis.com", "*", event.Security, "", nil},

	{"logging.googleapis.com", "*", event.Management, "", nil},
	{"monitoring.googleapis.com", "*", event.Management, "", nil},

	{"sqladmin.googleapis.com", "*", event.Database, "", nil},
	{"spanner.googleapis.com", "*", event.Database, "", nil},
	{"bigtable.googleapis.com", "*", event.Database, "", nil},
	{"bigtableadmin.googleapis.com", "*", event.Database, "", nil},
	{"firestore.googleapis.com", "*", event.Database, "", nil},
	{"datastore.googleapis.com", "*", event.Database, "", nil},
	{"bigquery.googleapis.com", "*", event.Database, "", nil},
	{"bigquerydatatransfer.googleapis.com", "*", event.Database, "", nil},
	{"redis.googleapis.com", "*", event.Database, "", nil},
	{"alloydb.googleapis.com", "*", event.Database, "", nil},
	{"memcache.googleapis.com", "*", event.Database, "", nil},

	{"container.googleapis.com", "*", event.Container, "", gkeCluster},
	{"artifactregistry.googleapis.com", "*", event.Container, "", arImage},
	{"containerregistry.googleapis.com", "*", event.Container, "", nil},
	{"k8s.io", "*", event.Container, "", nil},
})

// lookup finds the table entry for a method and the action to report. en
// is nil when neither the method nor its service is listed.
func lookup(service, method string) (en *source.Entry, action string) {
	// The tables fold case; lower-casing once here spares each probe its own.
	service, method = strings.ToLower(service), strings.ToLower(method)
	last1, last2, resource := splitMethod(method)
	found := false
	if last2 != last1 {
		en, action, found = methods.Lookup(service, last2)
	}
	if !found {
		en, action, found = methods.Lookup(service, last1)
	}
	if !found {
		en, action, found = methods.Lookup(anyService, last1)
	}
	if !found && resource != "" {
		en, action, found = methods.Lookup(service, resource+".*")
	}
	if !found {
		en, action, found = services.Lookup(service, "*")
	}
	if !found {
		en = nil
	}
	if en == nil || en.Action == "" {
		action = methods.Verb(last1)
	}
	return en, action
}

// splitMethod returns a methodName's last segment, its last two segments,
// and the resource (the segment before the last), split at dots.
func splitMethod(m string) (last1, last2, resource string) {
	i := strings.LastIndexByte(m, '.')
	if i < 0 {
		return m, m, ""
	}
	last1 = m[i+1:]
	j := strings.LastIndexByte(m[:i], '.')
	last2, resource = m[j+1:], m[j+1:i]
	return last1, last2, resource
}
