package gcpvuln

import (
	"bytes"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
)

// Name is the --format name.
const Name = "gcp-vuln"

const product = "GCP Artifact Analysis"

// kindVulnerability is the Grafeas occurrence kind this format reads.
const kindVulnerability = "VULNERABILITY"

// Format reads Artifact Analysis vulnerability occurrences.
type Format struct{}

// New returns the Artifact Analysis format.
func New() source.Format { return Format{} }

// Name implements source.Format.
func (Format) Name() string { return Name }

// Doc implements source.Format.
func (Format) Doc() string {
	return "GCP Artifact Analysis (Container Analysis) vulnerability occurrences: gcloud artifacts docker images describe --show-package-vulnerability, occurrence lists, REST {\"occurrences\":[...]}, Pub/Sub notifications"
}

// vulnerability reports an occurrence (or its Pub/Sub notification) of
// kind VULNERABILITY.
func vulnerability(v *fastjson.Value) bool {
	return v != nil && string(v.GetStringBytes("kind")) == kindVulnerability &&
		(v.Get("name") != nil || v.Get("noteName") != nil)
}

// notification reports a Container Analysis Pub/Sub occurrence
// notification of any kind: {"name":".../occurrences/ID","kind":K,
// "notificationTime":T}. Kinds other than VULNERABILITY are ignored by Parse.
func notification(v *fastjson.Value) bool {
	return v.Get("notificationTime") != nil && v.Get("kind") != nil &&
		bytes.Contains(v.GetStringBytes("name"), []byte("/occurrences/"))
}

// describe reports gcloud's describe output: image_summary and
// package_vulnerability_summary.
func describe(v *fastjson.Value) bool {
	return v.Get("image_summary") != nil && v.Get("package_vulnerability_summary") != nil
}

// occurrences returns the REST API's occurrences array, or nil.
func occurrences(v *fastjson.Value) []*fastjson.Value {
	a := v.Get("occurrences")
	if a == nil || a.Type() != fastjson.TypeArray {
		return nil
	}
	arr, _ := a.Array()
	return arr
}

// Detect accepts a VULNERABILITY occurrence or its Pub/Sub notification
// (kind plus name or noteName), gcloud's describe output, and a REST list
// response holding a VULNERABILITY occurrence.
func (Format) Detect(v *fastjson.Value) bool {
	if vulnerability(v) || describe(v) || notification(v) {
		return true
	}
	for _, o := range occurrences(v) {
		if vulnerability(o) {
			return true
		}
	}
	return false
}

// occurrence maps one Grafeas occurrence (v1, or v1beta1 with resource.uri
// and affectedLocation) or its Pub/Sub notification.
var occurrence = source.Spec{
	{Field: "event_name", From: "kind"},
	{Field: "tags", From: "kind"},
	{Field: "occurrence", From: "name"},
	{Field: "notification_time", From: "notificationTime"},
	{Field: "time", From: "updateTime | createTime | notificationTime"},
	{Field: "account", From: "name", Via: &project},
	{Field: "region", From: "name", Via: &location},
	{Field: "cve", From: "vulnerability.shortDescription | noteName", Via: &lastSegment},
	{Field: "severity", From: "vulnerability.effectiveSeverity | vulnerability.severity", Via: &severity},
	{Field: "cvss_score", From: "vulnerability.cvssScore | vulnerability.cvssv3.baseScore | vulnerability.cvssV2.baseScore"},
	{Field: "package", From: "vulnerability.packageIssue.0.affectedPackage | vulnerability.packageIssue.0.affectedLocation.package"},
	{Field: "tags", From: "vulnerability.fixAvailable", Via: &fixAvailable},
	{Field: "resource_uri", From: "resourceUri | resource.uri"},
	{Field: "dest", From: "resourceUri | resource.uri"},
	{Field: "registry", From: "resourceUri | resource.uri", Via: &registry},
	{Field: "repository", From: "resourceUri | resource.uri", Via: &repository},
	{Field: "image_digest", From: "resourceUri | resource.uri", Via: &digest},
	{Field: "image", From: "resourceUri | resource.uri", Via: &image},
}.CompileFold()

// summary supplies the image for describe-output occurrences that lack
// their resourceUri.
var summary = source.Spec{
	{Field: "resource_uri", From: "image_summary.fully_qualified_digest"},
	{Field: "dest", From: "image_summary.fully_qualified_digest"},
	{Field: "registry", From: "image_summary.fully_qualified_digest", Via: &registry},
	{Field: "repository", From: "image_summary.fully_qualified_digest", Via: &repository},
	{Field: "image_digest", From: "image_summary.fully_qualified_digest", Via: &digest},
	{Field: "image", From: "image_summary.fully_qualified_digest", Via: &image},
}.Compile()

// Parse implements source.Format. Occurrences of other kinds (the
// describe output's DISCOVERY, BUILD, ATTESTATION…) yield no event.
func (Format) Parse(r *source.Record, emit source.Emit) error {
	v := r.JSON
	if v == nil || v.Type() != fastjson.TypeObject {
		return source.ErrNotObject
	}
	switch {
	case describe(v):
		groups := v.Get("package_vulnerability_summary", "vulnerabilities")
		if groups == nil || groups.Type() != fastjson.TypeObject {
			return nil // an image without findings
		}
		o, _ := groups.Object()
		o.Visit(func(sev []byte, list *fastjson.Value) {
			arr, _ := list.Array() // nil unless an array
			for _, occ := range arr {
				if occ.Type() != fastjson.TypeObject || !kindOK(occ) {
					continue
				}
				e := newEvent(r, occ)
				if e.Vuln == nil || e.Vuln.ResourceURI == "" {
					summary.Apply(v, e)
				}
				if e.Vuln.Severity == "" {
					e.Vuln.Severity = severity.Fn(string(sev))
				}
				emit(e)
			}
		})
		return nil
	case v.Get("occurrences") != nil:
		for _, occ := range occurrences(v) {
			if occ.Type() == fastjson.TypeObject && kindOK(occ) {
				emit(newEvent(r, occ))
			}
		}
		return nil
	}
	if v.Get("kind") != nil && !kindOK(v) {
		// An occurrence of another kind (DISCOVERY scan status, BUILD…).
		return source.Ignore{Reason: "gcp-occurrence-not-vulnerability"}
	}
	if !vulnerability(v) && v.Get("vulnerability") == nil {
		return source.Errorf("kind", "missing: not an Artifact Analysis vulnerability occurrence")
	}
	emit(newEvent(r, v))
	return nil
}

// kindOK reports an occurrence of kind VULNERABILITY, or one without kind.
func kindOK(occ *fastjson.Value) bool {
	k := occ.Get("kind")
	return k == nil || string(k.GetStringBytes()) == kindVulnerability
}

func newEvent(r *source.Record, occ *fastjson.Value) *event.Event {
	e := r.NewEvent(event.VendorGCP, product)
	e.Dataset = event.Vulnerability
	e.Action = "found"
	e.Status = event.StatusSuccess
	occurrence.Apply(occ, e)
	vf := e.V()
	if pi := occ.Get("vulnerability", "packageIssue", "0"); pi != nil {
		vf.InstalledVersion = version(pi.Get("affectedVersion"))
		if vf.InstalledVersion == "" {
			vf.InstalledVersion = version(pi.Get("affectedLocation", "version"))
		}
		vf.FixedVersion = version(pi.Get("fixedVersion"))
		if vf.FixedVersion == "" {
			vf.FixedVersion = version(pi.Get("fixedLocation", "version"))
		}
	}
	return e
}

// version renders a Grafeas Version: fullName, else [epoch:]name[-revision].
// Kind MAXIMUM ("no fix yet") and MINIMUM are not versions.
func version(v *fastjson.Value) string {
	if v == nil || v.Type() != fastjson.TypeObject {
		return ""
	}
	switch string(v.GetStringBytes("kind")) {
	case "MAXIMUM", "MINIMUM":
		return ""
	}
	if s := source.Str(v, "fullName"); s != "" {
		return s
	}
	s := source.Str(v, "name")
	if s == "" {
		return ""
	}
	if rev := source.Str(v, "revision"); rev != "" {
		s += "-" + rev
	}
	if ep := source.Str(v, "epoch"); ep != "" && ep != "0" {
		s = ep + ":" + s
	}
	return s
}

// Mappings implements source.Format.
func (Format) Mappings() []source.Mapping {
	m := occurrence.Mappings()
	for _, x := range summary.Mappings() {
		m = append(m, source.Mapping{Field: x.Field, Source: x.Source + " (describe output, when the occurrence has no resourceUri)"})
	}
	return append(m,
		source.Mapping{Field: "installed_version", Source: "vulnerability.packageIssue[0].affectedVersion (fullName, else [epoch:]name-revision) | affectedLocation.version"},
		source.Mapping{Field: "fixed_version", Source: "vulnerability.packageIssue[0].fixedVersion | fixedLocation.version (none when kind MAXIMUM)"},
		source.Mapping{Field: "severity", Source: "the describe output's severity group when the occurrence has none"},
		source.Mapping{Field: "action", Source: "\"found\""},
		source.Mapping{Field: "status", Source: "\"success\""},
		source.Mapping{Field: "dataset", Source: "\"Vulnerability\""},
	)
}
