package k8saudit

import (
	"bytes"
	"net/netip"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
	"github.com/vigilsec/vigil/internal/source/aws"
)

// Name is the --format name.
const Name = "k8s-audit"

// The vendor_product of each form.
const (
	productK8s = "Kubernetes Audit"
	productEKS = "Amazon EKS Audit"
	productGKE = "GKE Audit"
	productAKS = "AKS Audit"
)

// Format reads Kubernetes audit events.
type Format struct{}

// New returns the Kubernetes audit format.
func New() source.Format { return Format{} }

// Name implements source.Format.
func (Format) Name() string { return Name }

// Doc implements source.Format.
func (Format) Doc() string {
	return "Kubernetes audit events: plain (JSON lines, EventList), EKS (CloudWatch Logs subscription payloads), GKE (Cloud Logging k8s.io entries), AKS (kube-audit diagnostic records)"
}

// auditKeys are fields every audit.k8s.io Event has (auditID, stage,
// requestURI, verb, user) or nearly every one (objectRef, sourceIPs); no
// other Kubernetes kind named Event has any of them.
var auditKeys = [...]string{"verb", "objectRef", "auditID", "requestURI", "stage", "user", "sourceIPs"}

// Detect implements source.Format. It accepts audit Events and EventLists
// (not core/v1 or events.k8s.io Events, which have involvedObject or
// regarding and none of the audit fields), CloudWatch Logs payloads of an
// EKS log group, GKE audit LogEntries (see isGKE), and AKS kube-audit
// diagnostic records.
func (Format) Detect(v *fastjson.Value) bool {
	switch kind := v.GetStringBytes("kind"); string(kind) {
	case "Event":
		return isAuditEvent(v)
	case "EventList":
		if bytes.HasPrefix(v.GetStringBytes("apiVersion"), []byte("audit.k8s.io/")) {
			return true
		}
		first := v.Get("items", "0")
		return first != nil && isAuditEvent(first)
	}
	if lg := v.GetStringBytes("logGroup"); lg != nil {
		return bytes.HasPrefix(lg, []byte("/aws/eks/")) && v.Get("logEvents") != nil
	}
	if c := v.GetStringBytes("category"); c != nil {
		return bytes.HasPrefix(c, []byte("kube-audit")) && v.Get("properties") != nil
	}
	return isGKE(v)
}

// isGKE accepts the LogEntries GKE writes for the API server: service
// k8s.io, or an audit payload on the k8s_cluster resource (whose other
// entries — Kubernetes events, autoscaler decisions — have a jsonPayload
// or textPayload instead), or a k8s.io method or operation.
func isGKE(v *fastjson.Value) bool {
	pp := v.Get("protoPayload")
	if pp == nil {
		return source.StrIs(v, "k8s.io", "operation", "producer") && v.Get("jsonPayload") == nil && v.Get("textPayload") == nil
	}
	if svc := pp.GetStringBytes("serviceName"); svc != nil {
		return string(svc) == "k8s.io"
	}
	return source.StrIs(v, "k8s_cluster", "resource", "type") ||
		bytes.HasPrefix(pp.GetStringBytes("methodName"), []byte("io.k8s.")) ||
		source.StrIs(v, "k8s.io", "operation", "producer")
}

func isAuditEvent(v *fastjson.Value) bool {
	if v.Get("involvedObject") != nil || v.Get("regarding") != nil {
		return false
	}
	for _, k := range auditKeys {
		if v.Get(k) != nil {
			return true
		}
	}
	return false
}

// hasAuditFields reports whether v carries anything Parse can use as a
// plain audit event.
func hasAuditFields(v *fastjson.Value) bool {
	if v == nil || v.Type() != fastjson.TypeObject {
		return false
	}
	for _, k := range auditKeys {
		if v.Get(k) != nil {
			return true
		}
	}
	for _, k := range [...]string{"requestReceivedTimestamp", "stageTimestamp", "responseStatus", "impersonatedUser", "userAgent", "requestObject", "responseObject", "annotations", "level"} {
		if v.Get(k) != nil {
			return true
		}
	}
	return false
}

// parsers parse JSON held in strings (CloudWatch messages, AKS
// properties.log); the record's own parser still holds the outer value.
var parsers fastjson.ParserPool

// Parse implements source.Format.
func (Format) Parse(r *source.Record, emit source.Emit) error {
	v := r.JSON
	if v == nil || v.Type() != fastjson.TypeObject {
		return source.ErrNotObject
	}
	switch {
	case source.StrIs(v, "Event", "kind") && hasAuditFields(v): // the common case first
		return parsePlain(r, v, emit)
	case v.Get("logEvents") != nil && (v.Get("logGroup") != nil || v.Get("messageType") != nil):
		return parseCloudWatch(r, v, emit)
	case source.StrIs(v, "EventList", "kind") || (v.Get("items") != nil && !hasAuditFields(v)):
		return parseList(r, v, emit)
	case v.Get("properties", "log") != nil:
		return parseAKS(r, v, emit)
	case isLogEntry(v):
		parseGKE(r, v, emit)
		return nil
	case hasAuditFields(v):
		return parsePlain(r, v, emit)
	}
	if k := v.Get("kind"); k != nil {
		return source.Errorf("kind", "is %s, not an audit Event or EventList, and the record has no audit event fields", describe(k))
	}
	return source.Errorf("", "no Kubernetes audit event fields (verb, objectRef, requestURI, auditID, user) and no known envelope")
}

func parsePlain(r *source.Record, v *fastjson.Value, emit source.Emit) error {
	e := r.NewEvent(event.VendorKubernetes, productK8s)
	auditEvent(v, e, wrapper{})
	emit(e)
	return nil
}

func describe(v *fastjson.Value) string {
	switch v.Type() {
	case fastjson.TypeString:
		return "the string " + string(v.MarshalTo(nil))
	case fastjson.TypeObject, fastjson.TypeArray:
		return "a JSON " + v.Type().String()
	}
	return "the " + v.Type().String() + " " + string(v.MarshalTo(nil))
}

// wrapper is what an envelope says about the cluster an event comes from.
type wrapper struct {
	cluster, account, region string
}

// plain maps the fields of an audit.k8s.io Event (v1, v1beta1, or without
// apiVersion as in old captures).
var plain = source.Spec{
	{Field: "time", From: "stageTimestamp | requestReceivedTimestamp | timestamp"},
	{Field: "event_id", From: "auditID"},
	{Field: "src", From: "sourceIPs.0"},
	{Field: "src_user", From: "user.username"},
	{Field: "src_user_name", From: "user.username"},
	{Field: "http_user_agent", From: "userAgent"},
	{Field: "dest", From: "requestURI"},
	{Field: "msg", From: "responseStatus.message | responseStatus.reason"},
	{Field: "credential_id", From: "user.extra.accessKeyId.0"},
	{Field: "tags", From: "stage"},
	{Field: "tags", From: "level"},
}.Compile()

// Annotation and user.extra keys hold dots and slashes, so they are read
// with these, not with Spec paths.
const (
	annDecision      = "authorization.k8s.io/decision"
	annReason        = "authorization.k8s.io/reason"
	annPSAViolations = "pod-security.kubernetes.io/audit-violations"
	extraCredential  = "authentication.kubernetes.io/credential-id"
	// extraCredentialFlat is the same key as some pipelines rewrite it.
	extraCredentialFlat = "authentication_kubernetes_io_slash_credential-id"
)

// auditEvent fills e from a plain audit event.
func auditEvent(v *fastjson.Value, e *event.Event, w wrapper) {
	e.Record = v // rules on kubernetes/audit read the audit event itself
	plain.Apply(v, e)
	setSrcIP(e)
	e.UserType = userType(e.SrcUser)
	decision := string(v.GetStringBytes("annotations", annDecision))
	if e.Msg == "" {
		e.Msg = string(v.GetStringBytes("annotations", annReason))
	}
	if decision != "" {
		e.AddTag(decision)
	}
	if v.Get("annotations", annPSAViolations) != nil {
		e.AddTag("pod-security-violation")
	}
	if source.Has(v, "impersonatedUser") {
		e.AddTag("impersonation")
	}
	e.Status = event.StatusSuccess
	if v.GetInt("responseStatus", "code") >= 400 || decision == "forbid" || source.StrIs(v, "Failure", "responseStatus", "status") {
		e.Status = event.StatusFailure
	}
	if c := extra(v, extraCredential, extraCredentialFlat); c != "" {
		e.CredentialID = c
	}
	e.Account = w.account
	if e.Account == "" {
		e.Account = aws.Account(extra(v, "canonicalArn", "arn"))
	}
	e.Region = w.region

	o := object{
		verb: string(v.GetStringBytes("verb")),
		req:  v.Get("requestObject"),
		resp: v.Get("responseObject"),
		uri:  string(v.GetStringBytes("requestURI")),
	}
	if ref := v.Get("objectRef"); ref != nil {
		o.group = string(ref.GetStringBytes("apiGroup"))
		o.resource = string(ref.GetStringBytes("resource"))
		o.sub = string(ref.GetStringBytes("subresource"))
		o.namespace = string(ref.GetStringBytes("namespace"))
		o.name = string(ref.GetStringBytes("name"))
	}
	if o.resource == "" {
		if p, ok := parseRequestURI(o.uri); ok {
			o.objectPath = p
		}
	}
	o.apply(e, w)
	e.EventName = o.verb
	switch {
	case o.resource != "":
		e.EventName = join(o.verb, o.resource, o.sub)
	case o.uri != "":
		path, _, _ := strings.Cut(o.uri, "?")
		e.EventName = join(o.verb, path, "")
	}
}

// extra returns the first value of the first of keys present in user.extra.
func extra(v *fastjson.Value, keys ...string) string {
	for _, k := range keys {
		if s := source.Str(v, "user", "extra", k, "0"); s != "" {
			return s
		}
	}
	return ""
}

func join(verb, resource, sub string) string {
	if sub != "" {
		resource += "/" + sub
	}
	if verb == "" {
		return resource
	}
	return verb + " " + resource
}

func setSrcIP(e *event.Event) {
	if e.Src == "" {
		return
	}
	if _, err := netip.ParseAddr(e.Src); err == nil {
		e.SrcIP = e.Src
	}
}

// object is the Kubernetes object a request acted on.
type object struct {
	objectPath
	verb      string
	req, resp *fastjson.Value
	uri       string
}

// reads are the verbs whose request carries no object and whose response
// describes what exists rather than what was asked for.
var reads = map[string]bool{"get": true, "list": true, "watch": true}

// apply sets dataset, action and the Container fields.
func (o *object) apply(e *event.Event, w wrapper) {
	e.Dataset, e.Action = event.Management, ""
	if o.resource != "" {
		e.Dataset, e.Action = lookup(o.group, o.resource, o.sub)
	}
	if e.Action == "" {
		if e.Action = verbs[o.verb]; e.Action == "" {
			e.Action = o.verb
		}
	}
	if o.name == "" {
		o.name = metaField(o.req, o.resp, "name")
	}
	if o.namespace == "" {
		o.namespace = metaField(o.req, o.resp, "namespace")
	}
	if w.cluster != "" {
		e.K().Cluster = w.cluster
	}
	if o.namespace != "" {
		e.K().Namespace = o.namespace
	}
	if o.resource != "" && o.name != "" {
		e.K().Workload = o.resource + "/" + o.name
	}
	switch o.sub {
	case "exec", "attach", "portforward":
		if c := queryParam(o.uri, "container"); c != "" {
			e.K().ContainerName = c
		}
		return
	}
	if reads[o.verb] {
		return
	}
	path := podSpecs[o.resource]
	if o.sub != "" {
		path = podSpecs[o.resource+"/"+o.sub]
	}
	if path == nil {
		return
	}
	for _, obj := range [...]*fastjson.Value{o.req, o.resp} {
		if obj == nil {
			continue
		}
		spec := obj.Get(path...)
		if spec == nil && obj.Get("ephemeralContainers") != nil {
			spec = obj // EphemeralContainers object of Kubernetes 1.16–1.21
		}
		if spec != nil && spec.Type() == fastjson.TypeObject {
			podSpec(e, spec, o.sub == "ephemeralcontainers")
			return
		}
	}
}

// metaField reads metadata.<key> of the request object, else the response.
func metaField(req, resp *fastjson.Value, key string) string {
	for _, obj := range [...]*fastjson.Value{req, resp} {
		if obj != nil {
			if s := obj.GetStringBytes("metadata", key); len(s) > 0 {
				return string(s)
			}
		}
	}
	return ""
}

// podSpec reads the first container's image and name, and tags what pod
// security detections look for: privileged containers and host namespaces
// and paths. For an ephemeral container request the new (last) ephemeral
// container is the one reported.
func podSpec(e *event.Event, spec *fastjson.Value, ephemeral bool) {
	containers := spec.GetArray("containers")
	inits := spec.GetArray("initContainers")
	eph := spec.GetArray("ephemeralContainers")
	var first *fastjson.Value
	switch {
	case ephemeral && len(eph) > 0:
		first = eph[len(eph)-1]
	case len(containers) > 0:
		first = containers[0]
	case len(inits) > 0:
		first = inits[0]
	case len(eph) > 0:
		first = eph[0]
	}
	if first != nil {
		if img := first.GetStringBytes("image"); len(img) > 0 {
			k := e.K()
			k.Image = string(img)
			k.Registry, k.Repository, k.ImageDigest = imageRef(k.Image)
		}
		if n := first.GetStringBytes("name"); len(n) > 0 {
			e.K().ContainerName = string(n)
		}
	}
	for _, list := range [...][]*fastjson.Value{containers, inits, eph} {
		for _, c := range list {
			if c.GetBool("securityContext", "privileged") {
				e.AddTag("privileged")
			}
		}
	}
	for _, f := range podFlags {
		if spec.GetBool(f.key) {
			e.AddTag(f.tag)
		}
	}
	for _, vol := range spec.GetArray("volumes") {
		if source.Has(vol, "hostPath") {
			e.AddTag("hostpath")
			break
		}
	}
}

// podFlags are the pod spec booleans that become tags.
var podFlags = [...]struct{ key, tag string }{
	{"hostNetwork", "hostnetwork"},
	{"hostPID", "hostpid"},
	{"hostIPC", "hostipc"},
}
