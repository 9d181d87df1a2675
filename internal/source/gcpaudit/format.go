package gcpaudit

import (
	"bytes"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
)

// Name is the --format name.
const Name = "gcp-audit"

const product = "GCP Cloud Audit Logs"

// Format reads Cloud Audit Logs entries.
type Format struct{}

// New returns the Cloud Audit Logs format.
func New() source.Format { return Format{} }

// Name implements source.Format.
func (Format) Name() string { return Name }

// Doc implements source.Format.
func (Format) Doc() string {
	return "GCP Cloud Audit Logs (admin activity, data access, system event, policy denied): LogEntry JSON from Cloud Logging, GCS or Pub/Sub, and BigQuery export rows"
}

// auditLogType is the protoPayload @type of audit log entries.
const auditLogType = "google.cloud.audit.AuditLog"

// payload returns the entry's AuditLog: protoPayload in Cloud Logging JSON
// (any key case, as some exporters lower-case keys), protopayload_auditlog in
// BigQuery export rows. It is nil when absent or not an object.
func payload(v *fastjson.Value) *fastjson.Value {
	p := v.Get("protoPayload")
	if p == nil {
		p = v.Get("protopayload_auditlog")
	}
	if p == nil {
		p = source.GetFold(v, "protoPayload")
	}
	if p == nil || p.Type() != fastjson.TypeObject {
		return nil
	}
	return p
}

// str returns the string at path in an AuditLog, matching key case loosely.
func str(p *fastjson.Value, path ...string) string {
	x := p.Get(path...)
	if x == nil {
		x = source.GetFold(p, path...)
	}
	return source.Text(x)
}

// kubernetes reports an AuditLog of the Kubernetes API server in GKE: those
// belong to the k8s-audit format.
func kubernetes(p *fastjson.Value) bool {
	svc := p.GetStringBytes("serviceName")
	if svc == nil {
		svc = stringBytes(source.GetFold(p, "serviceName"))
	}
	method := p.GetStringBytes("methodName")
	if method == nil {
		method = stringBytes(source.GetFold(p, "methodName"))
	}
	return string(svc) == "k8s.io" || bytes.HasPrefix(method, []byte("io.k8s."))
}

func stringBytes(v *fastjson.Value) []byte {
	if v == nil {
		return nil
	}
	b, _ := v.StringBytes()
	return b
}

// Detect accepts LogEntry records whose protoPayload (protopayload_auditlog
// in BigQuery exports) is an object whose @type, when present, is AuditLog,
// and bare AuditLog objects (serviceName *.googleapis.com and methodName).
// Kubernetes API audit entries from GKE (serviceName k8s.io) are left to
// k8s-audit; jsonPayload entries such as VPC flow logs have no protoPayload.
func (Format) Detect(v *fastjson.Value) bool {
	p := payload(v)
	if p == nil {
		return bytes.HasSuffix(v.GetStringBytes("serviceName"), []byte(".googleapis.com")) && v.Get("methodName") != nil
	}
	t := p.GetStringBytes("@type")
	if t == nil {
		t = p.GetStringBytes("at_sign_type") // Panther's spelling of @type
	}
	if t != nil && !bytes.HasSuffix(t, []byte(auditLogType)) {
		return false
	}
	return !kubernetes(p)
}

// auditLog maps the AuditLog fields common to all services.
var auditLog = source.Spec{
	{Field: "event_name", From: "methodName"},
	{Field: "dest", From: "resourceName"},
	{Field: "src", From: "requestMetadata.callerIp"},
	{Field: "http_user_agent", From: "requestMetadata.callerSuppliedUserAgent"},
	{Field: "src_user", From: "authenticationInfo.principalEmail | authenticationInfo.principalSubject", Via: &principal},
	// A GCP principal's name is its email: there is no shorter one (the
	// local part of a service account's email is no unique name).
	{Field: "src_user_name", From: "authenticationInfo.principalEmail"},
	{Field: "user_type", From: "authenticationInfo.principalEmail | authenticationInfo.principalSubject", Via: &userType},
	{Field: "credential_id", From: "authenticationInfo.serviceAccountKeyName"},
	{Field: "msg", From: "status.message"},
	{Field: "region", From: "resourceLocation.currentLocations.0"},
}.CompileFold()

// logEntry maps the LogEntry envelope; applied after auditLog, so the
// monitored resource's location wins over the AuditLog's resourceLocation.
var logEntry = source.Spec{
	{Field: "time", From: "timestamp | receiveTimestamp"},
	{Field: "event_id", From: "insertId"},
	{Field: "tags", From: "logName", Via: &logKind},
	{Field: "tags", From: "severity"},
	{Field: "account", From: "resource.labels.project_id | logName", Via: &project},
	{Field: "region", From: "resource.labels.location | resource.labels.zone | resource.labels.region"},
	{Field: "bucket_name", From: "resource.labels.bucket_name"},
	{Field: "cluster", From: "resource.labels.cluster_name"},
}.CompileFold()

// requestTime is the time when the LogEntry has none.
var requestTime = source.Spec{
	{Field: "time", From: "requestMetadata.requestAttributes.time"},
}.CompileFold()

// Parse implements source.Format.
func (Format) Parse(r *source.Record, emit source.Emit) error {
	v := r.JSON
	if v == nil || v.Type() != fastjson.TypeObject {
		return source.ErrNotObject
	}
	p := payload(v)
	if p == nil {
		if v.Get("methodName") == nil && v.Get("serviceName") == nil {
			return source.Errorf("protoPayload", "missing or not an object: not a Cloud Audit Logs entry")
		}
		p = v // a bare AuditLog, without its LogEntry
	}
	e := r.NewEvent(event.VendorGCP, product)
	if lowerCaseEntry(v) {
		a := arenas.Get().(*fastjson.Arena)
		defer func() { a.Reset(); arenas.Put(a) }()
		e.Record = canonicalEntry(a, v) // rules read Cloud Logging's spelling
	}
	auditLog.Apply(p, e)
	if p != v {
		logEntry.Apply(v, e)
	}
	if e.Time.IsZero() {
		requestTime.Apply(p, e)
	}
	if source.LooksLikeIP(e.Src) {
		e.SrcIP = e.Src
	}
	e.Status = event.StatusSuccess
	if code := str(p, "status", "code"); code != "" && code != "0" {
		e.Status = event.StatusFailure
		if e.Msg == "" {
			e.Msg = "status code " + code
		}
	}
	service := str(p, "serviceName")
	e.Service = service
	en, action := lookup(service, e.EventName)
	e.Action = action
	e.Dataset = event.Management
	if en != nil {
		e.Dataset = en.Dataset
		if en.Fields != nil {
			en.Fields.Apply(p, e)
		}
	}
	derive(e)
	if e.Dest == "" {
		e.Dest = service
	}
	emit(e)
	return nil
}

// derive fills values computed from several fields.
func derive(e *event.Event) {
	// A Container Registry (gcr.io) push or pull is a write or read of an
	// image layer or manifest in the registry's bucket: it stays a Storage
	// event and also names the registry and digest.
	if e.Dataset == event.Storage && e.Container != nil && e.Container.Registry != "" {
		switch e.Action {
		case "create":
			e.AddTag("gcr-push")
		case "get":
			e.AddTag("gcr-pull")
		}
	}
}

// Mappings implements source.Format.
func (Format) Mappings() []source.Mapping {
	m := auditLog.Mappings()
	m = append(m, logEntry.Mappings()...)
	m = append(m, requestTime.Mappings()...)
	m = append(m,
		source.Mapping{Field: "src_ip", Source: "requestMetadata.callerIp (when it is an IP address, not e.g. gce-internal-ip)"},
		source.Mapping{Field: "status", Source: "failure when status.code is non-zero"},
		source.Mapping{Field: "msg", Source: "\"status code N\" when status.message is empty"},
		source.Mapping{Field: "dataset", Source: "serviceName + methodName, by the operation table (else Management)"},
		source.Mapping{Field: "action", Source: "methodName, by the operation table or the verb of its last segment"},
		source.Mapping{Field: "dest", Source: "serviceName when resourceName is absent"},
		source.Mapping{Field: "tags", Source: "\"gcr-push\" / \"gcr-pull\" for storage.objects.create / get of an image in a Container Registry bucket"},
	)
	for _, t := range []*source.Table{methods, services} {
		for _, op := range t.Rows() {
			for _, f := range op.Fields.Compile().Mappings() {
				m = append(m, source.Mapping{Field: f.Field, Source: f.Source + " — " + op.Service + " " + op.Name})
			}
		}
	}
	return m
}
