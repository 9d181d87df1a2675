package gcpscc

import (
	"strings"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
)

// Name is the --format name.
const Name = "gcp-scc"

const product = "GCP Security Command Center"

// Format reads Security Command Center findings.
type Format struct{}

// New returns the Security Command Center format.
func New() source.Format { return Format{} }

// Name implements source.Format.
func (Format) Name() string { return Name }

// Doc implements source.Format.
func (Format) Doc() string {
	return "GCP Security Command Center findings: Pub/Sub notifications, ListFindings answers and gcloud scc findings list output, bare findings, Cloud Logging entries of findings"
}

// isFinding reports an SCC finding: a name
// ".../sources/<id>/findings/<id>", a category and the resource it is on.
func isFinding(f *fastjson.Value) bool {
	if f == nil || f.Type() != fastjson.TypeObject || f.Get("category") == nil || f.Get("resourceName") == nil {
		return false
	}
	name := string(f.GetStringBytes("name"))
	return strings.Contains(name, "/sources/") && strings.Contains(name, "/findings/")
}

// result returns the finding and its resource in a notification, a
// ListFindings result or a Cloud Logging entry; f is nil when v is none.
func result(v *fastjson.Value) (f, res *fastjson.Value) {
	if p := v.Get("jsonPayload"); p != nil && p.Type() == fastjson.TypeObject {
		v = p
	}
	if f = v.Get("finding"); isFinding(f) {
		return f, v.Get("resource")
	}
	if isFinding(v) {
		return v, nil
	}
	return nil, nil
}

// results returns a ListFindings answer's results.
func results(v *fastjson.Value) []*fastjson.Value {
	a := v.Get("listFindingsResults")
	if a == nil || a.Type() != fastjson.TypeArray {
		return nil
	}
	arr, _ := a.Array()
	return arr
}

// Detect accepts a finding, a record holding one (notification, ListFindings
// result, Cloud Logging entry) and a ListFindings answer.
func (Format) Detect(v *fastjson.Value) bool {
	if f, _ := result(v); f != nil {
		return true
	}
	rs := results(v)
	return len(rs) > 0 && func() bool { f, _ := result(rs[0]); return f != nil }()
}

// Transforms.
var (
	severity = &source.Transform{Name: "lower-cased; SEVERITY_UNSPECIFIED unknown", Fn: func(s string) string {
		switch s = strings.ToLower(s); s {
		case "critical", "high", "medium", "low":
			return s
		}
		return "unknown"
	}}
	lastSegment = &source.Transform{Name: "last path segment", Fn: func(s string) string {
		return s[strings.LastIndexByte(s, '/')+1:]
	}}
	tactic = &source.Transform{Name: "as mitre:<tactic>", Fn: func(s string) string { return "mitre:" + strings.ToLower(s) }}
)

// finding maps a Finding.
var finding = source.Spec{
	{Field: "time", From: "eventTime | createTime"},
	{Field: "notification_time", From: "createTime"},
	{Field: "event_name", From: "category"},
	{Field: "event_id", From: "canonicalName | name"},
	{Field: "occurrence", From: "name"},
	{Field: "severity", From: "severity", Via: severity},
	{Field: "dest", From: "resourceName"},
	{Field: "resource_uri", From: "resourceName"},
	{Field: "msg", From: "description"},
	{Field: "tags", From: "findingClass"},
	{Field: "tags", From: "mitreAttack.primaryTactic", Via: tactic},
	{Field: "cve", From: "vulnerability.cve.id"},
	{Field: "cvss_score", From: "vulnerability.cve.cvssv3.baseScore"},
	{Field: "package", From: "vulnerability.offendingPackage.packageName"},
	{Field: "installed_version", From: "vulnerability.offendingPackage.packageVersion"},
	{Field: "fixed_version", From: "vulnerability.fixedPackage.packageVersion"},
	{Field: "src", From: "access.callerIp"},
	{Field: "src_user", From: "access.principalEmail | access.principalSubject"},
	{Field: "src_user_name", From: "access.principalEmail"},
	{Field: "http_user_agent", From: "access.userAgent"},
	{Field: "service", From: "access.serviceName"},
	{Field: "image", From: "kubernetes.pods.0.containers.0.imageId | containers.0.imageId | containers.0.uri"},
	{Field: "cluster", From: "kubernetes.nodePools.0.name"},
}.Compile()

// resource maps the Resource beside a finding (fields of the v1 API and of
// its gcpMetadata form).
var resource = source.Spec{
	{Field: "account", From: "projectDisplayName | gcpMetadata.projectDisplayName | project | projectName | gcpMetadata.project", Via: lastSegment},
	{Field: "region", From: "location"},
}.Compile()

// Parse implements source.Format.
func (Format) Parse(r *source.Record, emit source.Emit) error {
	v := r.JSON
	if v == nil || v.Type() != fastjson.TypeObject {
		return source.ErrNotObject
	}
	if rs := results(v); rs != nil {
		n := 0
		for i, x := range rs {
			f, res := result(x)
			if f == nil {
				continue
			}
			sub := *r
			sub.JSON, sub.Text = x, nil
			sub.Origin.Index = i
			emit(newEvent(&sub, f, res))
			n++
		}
		if n == 0 {
			return source.Errorf("listFindingsResults", "no finding in the results")
		}
		return nil
	}
	f, res := result(v)
	if f == nil {
		if f = v.Get("finding"); f == nil || f.Type() != fastjson.TypeObject {
			return source.Errorf("finding", "missing: not a Security Command Center finding")
		}
		res = v.Get("resource")
	}
	emit(newEvent(r, f, res))
	return nil
}

func newEvent(r *source.Record, f, res *fastjson.Value) *event.Event {
	e := r.NewEvent(event.VendorGCP, product)
	finding.Apply(f, e)
	if res != nil && res.Type() == fastjson.TypeObject {
		resource.Apply(res, e)
	}
	if e.Account == "" {
		e.Account = project(source.Str(f, "resourceName"))
	}
	if source.LooksLikeIP(e.Src) {
		e.SrcIP = e.Src
	}
	e.Dataset = event.Security
	if strings.EqualFold(source.Str(f, "findingClass"), "VULNERABILITY") || (e.Vuln != nil && e.Vuln.CVE != "") {
		e.Dataset = event.Vulnerability
	}
	e.Status = event.StatusSuccess
	switch {
	case strings.EqualFold(source.Str(f, "state"), "INACTIVE"):
		e.Action = "closed"
	case strings.EqualFold(source.Str(f, "mute"), "MUTED"):
		e.Action = "suppressed"
	default:
		e.Action = "found"
	}
	return e
}

// project returns the project a resource name is in:
// "//compute.googleapis.com/projects/acme-prod/zones/..." gives acme-prod.
func project(name string) string {
	_, rest, ok := strings.Cut(name, "/projects/")
	if !ok {
		return ""
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// Mappings implements source.Format.
func (Format) Mappings() []source.Mapping {
	m := []source.Mapping{}
	for _, x := range finding.Mappings() {
		m = append(m, source.Mapping{Field: x.Field, Source: "finding." + strings.ReplaceAll(x.Source, " | ", " | finding.")})
	}
	for _, x := range resource.Mappings() {
		m = append(m, source.Mapping{Field: x.Field, Source: "resource." + strings.ReplaceAll(x.Source, " | ", " | resource.")})
	}
	return append(m,
		source.Mapping{Field: "account", Source: "the project in finding.resourceName (…/projects/<id>/…) when the resource does not name it"},
		source.Mapping{Field: "src_ip", Source: "finding.access.callerIp (when an IP address)"},
		source.Mapping{Field: "dataset", Source: "Vulnerability for finding.findingClass VULNERABILITY or a finding with a CVE; else Security"},
		source.Mapping{Field: "action", Source: "found; closed when finding.state is INACTIVE; suppressed when finding.mute is MUTED"},
		source.Mapping{Field: "status", Source: `"success"`},
	)
}
