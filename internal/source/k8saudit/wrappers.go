package k8saudit

import (
	"strings"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
)

// subEvent starts the i-th event of a record that holds several (EventList
// items, CloudWatch log events); raw returns that event's own JSON.
func subEvent(r *source.Record, product string, i int, raw func() []byte) *event.Event {
	e := &event.Event{Vendor: event.VendorKubernetes, VendorProduct: product, Origin: r.Origin}
	if e.Origin.Index < 0 {
		e.Origin.Index = i
	}
	if r.KeepRaw {
		e.Raw = raw()
	}
	return e
}

// parseList reads an EventList: one event per item.
func parseList(r *source.Record, v *fastjson.Value, emit source.Emit) error {
	items := v.Get("items")
	if items == nil || items.Type() != fastjson.TypeArray {
		return source.Errorf("items", "EventList without an items array")
	}
	arr, _ := items.Array()
	n := 0
	for i, it := range arr {
		if !hasAuditFields(it) {
			continue
		}
		e := subEvent(r, productK8s, i, func() []byte { return it.MarshalTo(nil) })
		auditEvent(it, e, wrapper{})
		emit(e)
		n++
	}
	if n == 0 && len(arr) > 0 {
		return source.Errorf("items", "none of the %d items is an audit event", len(arr))
	}
	return nil // an empty list holds no events
}

// parseCloudWatch reads a CloudWatch Logs subscription payload of an EKS
// control-plane log group: each log event's message is an audit event.
func parseCloudWatch(r *source.Record, v *fastjson.Value, emit source.Emit) error {
	if source.StrIs(v, "CONTROL_MESSAGE", "messageType") {
		return nil // CloudWatch's reachability probe, no log data
	}
	group := string(v.GetStringBytes("logGroup"))
	w := wrapper{account: string(v.GetStringBytes("owner")), cluster: eksCluster(group)}
	les := v.Get("logEvents")
	if les.Type() != fastjson.TypeArray {
		return source.Errorf("logEvents", "is a %s, not an array", les.Type())
	}
	arr, _ := les.Array()
	p := parsers.Get()
	defer parsers.Put(p)
	n := 0
	var bad error
	for i, le := range arr {
		msg := le.Get("message")
		var inner *fastjson.Value
		var raw []byte
		switch {
		case msg == nil:
		case msg.Type() == fastjson.TypeString:
			raw, _ = msg.StringBytes()
			var err error
			if inner, err = p.ParseBytes(raw); err != nil && bad == nil {
				bad = source.Errorf("logEvents.message", "log event %d is not JSON (log stream %q holds no audit events?): %v", i, v.GetStringBytes("logStream"), err)
			}
		case msg.Type() == fastjson.TypeObject:
			inner = msg
		}
		if !hasAuditFields(inner) {
			if bad == nil {
				bad = source.Errorf("logEvents.message", "log event %d is not a Kubernetes audit event", i)
			}
			continue
		}
		e := subEvent(r, productEKS, i, func() []byte {
			if raw != nil {
				return append([]byte(nil), raw...)
			}
			return inner.MarshalTo(nil)
		})
		auditEvent(inner, e, w)
		if e.Time.IsZero() {
			if ts := le.Get("timestamp"); ts != nil && ts.Type() == fastjson.TypeNumber {
				e.Time = event.UnixTime(ts.GetFloat64())
			}
		}
		emit(e)
		n++
	}
	if n == 0 && bad != nil {
		return bad
	}
	return nil
}

// eksCluster returns the cluster of an EKS log group, /aws/eks/<cluster>/cluster.
func eksCluster(group string) string {
	rest, ok := strings.CutPrefix(group, "/aws/eks/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	return name
}

// parseAKS reads an Azure diagnostic record of category kube-audit or
// kube-audit-admin: properties.log holds the audit event as a JSON string.
func parseAKS(r *source.Record, v *fastjson.Value, emit source.Emit) error {
	lv := v.Get("properties", "log")
	inner := lv
	if lv.Type() == fastjson.TypeString {
		b, _ := lv.StringBytes()
		p := parsers.Get()
		defer parsers.Put(p)
		var err error
		if inner, err = p.ParseBytes(b); err != nil {
			return source.Errorf("properties.log", "not a JSON audit event: %v", err)
		}
	}
	if !hasAuditFields(inner) {
		return source.Errorf("properties.log", "not a Kubernetes audit event")
	}
	sub, cluster := azureResource(string(v.GetStringBytes("resourceId")))
	e := r.NewEvent(event.VendorKubernetes, productAKS)
	auditEvent(inner, e, wrapper{account: sub, cluster: cluster})
	if e.Time.IsZero() {
		aksTime.Apply(v, e)
	}
	emit(e)
	return nil
}

var aksTime = source.Spec{{Field: "time", From: "time | TimeGenerated"}}.Compile()

// isLogEntry reports whether v has the shape of a Cloud Logging LogEntry
// (whole or a fragment).
func isLogEntry(v *fastjson.Value) bool {
	for _, k := range [...]string{"protoPayload", "resource", "operation", "logName", "insertId", "receiveTimestamp"} {
		if v.Get(k) != nil {
			return true
		}
	}
	return false
}

// gke maps a GKE LogEntry of the k8s.io service.
var gke = source.Spec{
	{Field: "time", From: "timestamp | receiveTimestamp"},
	{Field: "event_name", From: "protoPayload.methodName"},
	{Field: "event_id", From: "insertId"},
	{Field: "src", From: "protoPayload.requestMetadata.callerIp | protoPayload.requestMetadata.callerIP"},
	{Field: "src_user", From: "protoPayload.authenticationInfo.principalEmail"},
	{Field: "http_user_agent", From: "protoPayload.requestMetadata.callerSuppliedUserAgent"},
	{Field: "dest", From: "protoPayload.resourceName | protoPayload.authorizationInfo.0.resource"},
	{Field: "account", From: "resource.labels.project_id"},
	{Field: "region", From: "resource.labels.location"},
	{Field: "credential_id", From: "protoPayload.authenticationInfo.serviceAccountKeyName"},
	{Field: "msg", From: "protoPayload.status.message | protoPayload.response.message"},
}.Compile()

// parseGKE reads a Cloud Logging LogEntry. A fragment still gives an event
// with what it has.
func parseGKE(r *source.Record, v *fastjson.Value, emit source.Emit) {
	e := r.NewEvent(event.VendorKubernetes, productGKE)
	gke.Apply(v, e)
	setSrcIP(e)
	e.UserType = userType(e.SrcUser)
	pp := v.Get("protoPayload")
	decision := string(v.GetStringBytes("labels", annDecision))
	if e.Msg == "" {
		e.Msg = string(v.GetStringBytes("labels", annReason))
	}
	if log := string(v.GetStringBytes("logName")); strings.Contains(log, "cloudaudit.googleapis.com") {
		if i := strings.LastIndex(log, "%2F"); i >= 0 {
			e.AddTag(log[i+3:]) // activity, data_access
		} else if i := strings.LastIndexByte(log, '/'); i >= 0 {
			e.AddTag(log[i+1:])
		}
	}
	if decision != "" {
		e.AddTag(decision)
	}
	e.Status = event.StatusSuccess
	if pp != nil && gkeFailed(pp) || decision == "forbid" {
		e.Status = event.StatusFailure
	}

	var o object
	if pp != nil {
		o.req, o.resp = pp.Get("request"), pp.Get("response")
		if p, ok := parseResourceName(e.Dest); ok {
			o.objectPath = p
		}
		if m, ok := parseMethod(string(pp.GetStringBytes("methodName"))); ok {
			o.verb = m.verb
			if o.resource == "" {
				o.group, o.resource, o.sub = m.group, m.resource, m.sub
			}
		}
	}
	o.apply(e, wrapper{cluster: source.Str(v, "resource", "labels", "cluster_name")})
	emit(e)
}

// gkeFailed reports a failed request: a non-zero google.rpc status, an HTTP
// error status in the response, or a denied authorization check.
func gkeFailed(pp *fastjson.Value) bool {
	if c := pp.Get("status", "code"); c != nil && c.Type() == fastjson.TypeNumber && c.GetInt() != 0 {
		return true
	}
	if pp.GetInt("response", "code") >= 400 || source.StrIs(pp, "Failure", "response", "status") {
		return true
	}
	for _, a := range pp.GetArray("authorizationInfo") {
		if g := a.Get("granted"); g != nil && g.Type() == fastjson.TypeFalse {
			return true
		}
	}
	return false
}

// Mappings implements source.Format.
func (Format) Mappings() []source.Mapping {
	var m []source.Mapping
	add := func(field, src string) { m = append(m, source.Mapping{Field: field, Source: src}) }
	for _, x := range plain.Mappings() {
		add(x.Field, x.Source)
	}
	add("vendor_product", `"Kubernetes Audit" (plain events and EventList items), "Amazon EKS Audit" (CloudWatch Logs payloads), "GKE Audit", "AKS Audit"`)
	add("src_ip", "sourceIPs.0 (when it is an IP address)")
	add("user_type", "user.username: serviceaccount (system:serviceaccount:*), node (system:node:*), anonymous (system:anonymous), user otherwise")
	add("msg", `annotations."authorization.k8s.io/reason" (when responseStatus has no message)`)
	add("tags", `annotations."authorization.k8s.io/decision" (allow, forbid)`)
	add("tags", `"pod-security-violation" when annotations."pod-security.kubernetes.io/audit-violations" is set; "impersonation" when impersonatedUser is set`)
	add("status", `failure when responseStatus.code >= 400, responseStatus.status is Failure or the decision is forbid`)
	add("credential_id", `user.extra."authentication.kubernetes.io/credential-id".0 (service-account token JTI=…, X509SHA256=…), when present, over user.extra.accessKeyId.0`)
	add("account", "the envelope's account, else the account of user.extra.canonicalArn.0 | user.extra.arn.0 (EKS IAM)")
	add("event_name", `verb + " " + objectRef.resource[/objectRef.subresource], or verb + " " + the requestURI path for non-resource requests; GKE: protoPayload.methodName`)
	add("dataset", "objectRef.apiGroup + resource[/subresource], by the resource table")
	add("action", "the resource table (exec for pods/exec, pods/attach, pods/portforward), else the verb: create; update, patch → modify; delete, deletecollection → delete; get; list, watch → list")
	add("namespace", "objectRef.namespace | requestObject.metadata.namespace | responseObject.metadata.namespace | the requestURI")
	add("workload", "objectRef.resource + \"/\" + (objectRef.name | requestObject.metadata.name | responseObject.metadata.name)")
	add("container_name", `the "container" parameter of requestURI (exec, attach, portforward), else the first container's name in the pod spec`)
	add("image", "the first container's image in the pod spec of requestObject (else responseObject): spec, spec.template.spec or spec.jobTemplate.spec.template.spec by resource")
	add("registry", "parsed from image (docker.io when the reference names none)")
	add("repository", "parsed from image (library/<name> for Docker Hub official images)")
	add("image_digest", "parsed from image when it holds @sha256:…")
	add("tags", `"privileged" (a container's securityContext.privileged), "hostpath" (a hostPath volume), "hostnetwork", "hostpid", "hostipc" — from the pod spec of create/update/patch requests`)
	add("cluster", "EKS: logGroup /aws/eks/<cluster>/cluster; GKE: resource.labels.cluster_name; AKS: resourceId …/managedClusters/<cluster>")
	add("account", "EKS: owner (CloudWatch payload); AKS: the subscription of resourceId")
	add("time", "EKS: logEvents.timestamp when the event has none; AKS: time")
	for _, x := range gke.Mappings() {
		add(x.Field, x.Source+" (GKE)")
	}
	add("status", "GKE: failure when protoPayload.status.code is not 0, protoPayload.response.code >= 400, an authorizationInfo check is not granted, or labels.\"authorization.k8s.io/decision\" is forbid")
	add("tags", "GKE: the logName's log (activity, data_access) and labels.\"authorization.k8s.io/decision\"")
	add("namespace", "GKE: protoPayload.resourceName (<group>/<version>/namespaces/<namespace>/<resource>/<name>)")
	add("dataset", "GKE: the group and resource of protoPayload.resourceName, else of protoPayload.methodName (io.k8s.<group reversed>.<version>.<resource>[.<subresource>].<verb>)")
	for _, k := range kinds {
		res := k.Resource
		if k.Group != "" {
			res = k.Group + " " + res
		}
		s := string(k.Dataset)
		if k.Action != "" {
			s += ", action " + k.Action
		}
		add("dataset", res+" → "+s)
	}
	return m
}
