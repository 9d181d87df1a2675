package azureactivity

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
)

// Name is the --format name.
const Name = "azure-activity"

// Format reads Azure Activity Log records.
type Format struct{}

// New returns the Azure Activity Log format.
func New() source.Format { return Format{} }

// Name implements source.Format.
func (Format) Name() string { return Name }

// Doc implements source.Format.
func (Format) Doc() string {
	return "Azure Activity Log: diagnostic-settings records (storage, Event Hub), REST/portal exports, Storage resource logs"
}

// Detect accepts records with an operationName (a string, or an object
// with a value in the REST form) and at least one of the fields every
// Azure platform record carries: resourceId, category, correlationId or
// callerIpAddress. Key case is ignored. AKS control-plane records
// (category kube-audit, kube-apiserver, ...) are left to k8s-audit, and
// sign-in and Entra audit records are taken by azure-signin, which comes
// earlier in detection order.
func (Format) Detect(v *fastjson.Value) bool {
	op := get(v, "operationName")
	if op == nil {
		return false
	}
	switch op.Type() {
	case fastjson.TypeString:
	case fastjson.TypeObject:
		if op.Get("value") == nil {
			return false
		}
	default:
		return false
	}
	cat := get(v, "category")
	if cat != nil && cat.Type() == fastjson.TypeObject {
		cat = cat.Get("value")
	}
	if cat != nil && cat.Type() == fastjson.TypeString {
		b, _ := cat.StringBytes()
		if len(b) >= 5 && strings.EqualFold(string(b[:5]), "kube-") {
			return false
		}
		return true
	}
	return get(v, "resourceId") != nil || get(v, "correlationId") != nil || get(v, "callerIpAddress") != nil
}

// reader looks paths up exactly, and with fold also ignoring key case
// when the exact path is absent (which scans the objects on the way).
type reader struct{ fold bool }

func (r reader) get(v *fastjson.Value, path ...string) *fastjson.Value {
	if x := v.Get(path...); x != nil || !r.fold {
		return x
	}
	return source.GetFold(v, path...)
}

// get is a lookup that ignores key case when the exact key is absent.
var get = reader{fold: true}.get

// commonSpec maps the fields the diagnostic-settings and REST forms share.
var commonSpec = source.Spec{
	{Field: "time", From: "time | eventTimestamp | TimeGenerated"},
	{Field: "event_name", From: "operationName.value | OperationNameValue | operationName"},
	{Field: "event_id", From: "eventDataId | correlationId"},
	{Field: "src", From: "callerIpAddress | httpRequest.clientIpAddress"},
	{Field: "account", From: "subscriptionId"},
	{Field: "region", From: "location"},
	{Field: "dest", From: "resourceId | _ResourceId | properties.entity"},
	{Field: "msg", From: "properties.statusMessage | resultDescription | description | statusText | resultSignature | subStatus.value"},
	{Field: "http_user_agent", From: "properties.userAgentHeader"},
	{Field: "credential_id", From: "identity.tokenHash"},
	{Field: "tags", From: "category.value | category"},
	{Field: "tags", From: "resultType | status.value | ActivityStatusValue"},
	{Field: "tags", From: "eventName.value"},
}

// Records whose keys are in the documented camelCase (an exact
// "operationName") are read with the exact spec; others (exports that
// lower-case or capitalize keys) with the one that matches keys ignoring
// case, which costs a scan of the object for every absent path.
var (
	common     = commonSpec.Compile()
	commonFold = commonSpec.CompileFold()
)

// storageLogSpec maps Azure Storage resource-log fields (categories
// StorageRead, StorageWrite, StorageDelete).
var storageLogSpec = source.Spec{
	{Field: "bucket_name", From: "properties.accountName"},
	{Field: "object_path", From: "properties.objectKey", Via: &source.Transform{Name: "without the leading /account/", Fn: trimAccount}},
	{Field: "src_user", From: "identity.requester.upn | identity.requester.objectId | identity.requester.appId"},
	{Field: "src_user_name", From: "identity.requester.upn"},
}

var (
	storageLog     = storageLogSpec.Compile()
	storageLogFold = storageLogSpec.CompileFold()
)

// trimAccount turns a Storage objectKey "/account/container/blob" into
// "container/blob".
func trimAccount(s string) string {
	if len(s) > 1 && s[0] == '/' {
		if i := strings.IndexByte(s[1:], '/'); i >= 0 {
			return s[i+2:]
		}
	}
	return s
}

// Claim names, in the order they name the caller. ARM writes the JWT's
// claims under identity.claims (diagnostic settings) or claims (REST).
const (
	claimUPN      = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"
	claimName     = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
	claimEmail    = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
	claimOID      = "http://schemas.microsoft.com/identity/claims/objectidentifier"
	claimAuthnMRs = "http://schemas.microsoft.com/claims/authnmethodsreferences"
)

// userClaims feed src_user, first present wins; "caller" (REST form) sits
// between the UPN and the display name. The first nameClaims of them (the
// UPN and the caller) also feed src_user_name.
var userClaims = []string{claimUPN, "upn", "caller", claimName, "unique_name", "name", claimEmail, "appid", claimOID}

const nameClaims = 3

// resultStatus maps resultType / status.value (lowercased) to a status.
// Intermediate stages of a long-running operation (Start, Accept, In
// Progress) count as success — the request was not refused — and the
// event is tagged "in-progress": the outcome comes in a later record.
var resultStatus = map[string]struct {
	status       string
	intermediate bool
}{
	"success": {event.StatusSuccess, false}, "succeeded": {event.StatusSuccess, false},
	"resolved": {event.StatusSuccess, false}, "active": {event.StatusSuccess, false}, "updated": {event.StatusSuccess, false},
	"start": {event.StatusSuccess, true}, "started": {event.StatusSuccess, true},
	"accept": {event.StatusSuccess, true}, "accepted": {event.StatusSuccess, true},
	"inprogress": {event.StatusSuccess, true}, "in progress": {event.StatusSuccess, true},
	"failure": {event.StatusFailure, false}, "failed": {event.StatusFailure, false},
	"canceled": {event.StatusFailure, false}, "cancelled": {event.StatusFailure, false},
}

// Parse implements source.Format.
func (Format) Parse(r *source.Record, emit source.Emit) error {
	v := r.JSON
	if v == nil || v.Type() != fastjson.TypeObject {
		return source.ErrNotObject
	}
	e := r.NewEvent(event.VendorAzure, "Azure Activity Log")
	spec, storageSpec, rd := common, storageLog, reader{}
	if v.Get("operationName") == nil {
		spec, storageSpec, rd = commonFold, storageLogFold, reader{fold: true}
	}
	spec.Apply(v, e)
	if e.EventName == "" && e.Dest == "" && e.Time.IsZero() {
		return source.Errorf("operationName", "missing, and no resourceId or time either: not an activity log record")
	}
	if e.Src != "" {
		e.SrcIP = ipOf(e.Src)
	}
	caller(rd, v, e)
	if e.SrcIP == "" {
		if c := claimsOf(rd, v); c != nil {
			e.SrcIP = ipOf(source.Text(c.Get("ipaddr")))
		}
	}
	status(rd, v, e)

	category := source.Text(rd.get(v, "category"))
	if c := rd.get(v, "category"); c != nil && c.Type() == fastjson.TypeObject {
		category = source.Text(c.Get("value"))
	}
	verb := classify(v, e, category)
	if e.Dataset == event.Storage {
		storageSpec.Apply(v, e)
		if e.Dest == "" {
			e.Dest = withoutQuery(source.Text(rd.get(v, "uri")))
		}
	}
	if e.Action == "modify" && strings.EqualFold(verb, "write") && created(rd, v) {
		e.Action = "create"
	}
	if e.Dest != "" {
		applyResource(e, e.Dest)
	}
	emit(e)
	return nil
}

// classify finds the operation in the table and sets dataset and action,
// and returns the operation's verb.
func classify(v *fastjson.Value, e *event.Event, category string) (verb string) {
	op := e.EventName
	lower := strings.ToLower(op)
	// An extension resource's operation ("…/networkSecurityGroups/
	// providers/Microsoft.Insights/diagnosticSettings/write") is the
	// extension's: look it up from its own provider.
	if i := strings.LastIndex(lower, "/providers/"); i >= 0 && len(lower) == len(op) {
		op, lower = op[i+len("/providers/"):], lower[i+len("/providers/"):]
	}
	e.Dataset = event.Management
	var en *source.Entry
	var action string
	found := false
	if slash := strings.IndexByte(lower, '/'); slash < 0 {
		// A Storage resource-log operation ("GetBlob"): look it up by the
		// resource's type, then by category.
		verb = op
		if tp := typePath(e.Dest); tp != "" {
			full := tp + "/" + lower
			en, action, found = lookupUp(full, len(tp))
		}
		if !found && category != "" {
			en, action, found = ops.Lookup(category, lower)
		}
	} else {
		if len(op) == len(lower) { // else lowering changed the length
			e.Service = op[:slash]
		}
		cut := splitVerb(lower)
		verb = lower[cut+1:]
		en, action, found = lookupUp(lower, cut)
	}
	if found {
		e.Dataset = en.Dataset
		if en.Fields != nil {
			en.Fields.Apply(v, e)
		}
	}
	if !found || en.Action == "" {
		action = ops.Verb(verb)
	}
	e.Action = action
	return verb
}

// splitVerb returns the index of the '/' that separates an ARM operation's
// resource type path from its verb: "…/virtualmachines/start/action" →
// "…/virtualmachines" and "start/action"; "…/virtualmachines/write" →
// "…/virtualmachines" and "write". op contains a '/'.
func splitVerb(op string) int {
	i := strings.LastIndexByte(op, '/')
	if op[i+1:] == "action" {
		if j := strings.LastIndexByte(op[:i], '/'); j >= 0 {
			return j
		}
	}
	return i
}

// lookupUp looks an operation up: full is "<type path>/<verb>" with the
// type path ending at cut. It tries the type path, then each parent of it
// (the dropped type segments becoming part of the name), down to the
// provider namespace.
func lookupUp(full string, cut int) (en *source.Entry, action string, ok bool) {
	for cut > 0 {
		en, action, ok = ops.Lookup(full[:cut], full[cut+1:])
		if ok {
			return en, action, ok
		}
		cut = strings.LastIndexByte(full[:cut], '/')
	}
	return nil, "", false
}

// caller fills src_user, user_type and mfa_auth from the token claims, the
// REST caller field, or the authorization evidence's principalId.
func caller(rd reader, v *fastjson.Value, e *event.Event) {
	claims := claimsOf(rd, v)
	for i, c := range userClaims {
		var s string
		if c == "caller" {
			s = source.Text(rd.get(v, "caller"))
		} else if claims != nil {
			s = source.Text(claims.Get(c))
		}
		if s = strings.TrimSpace(s); s != "" {
			e.SrcUser = s
			if i < nameClaims {
				e.SrcUserName = s
			}
			break
		}
	}
	if e.SrcUser == "" {
		e.SrcUser = source.Text(rd.get(v, "identity", "authorization", "evidence", "principalId"))
	}
	e.UserType = userType(rd, v, claims, e.SrcUser)
	if claims != nil {
		e.SrcUserID = source.Text(claims.Get(claimOID))
		if amr := source.Text(claims.Get(claimAuthnMRs)); amr != "" {
			e.A().MFAAuth = strconv.FormatBool(strings.Contains(amr, "mfa"))
		}
	}
}

func claimsOf(rd reader, v *fastjson.Value) *fastjson.Value {
	c := rd.get(v, "identity", "claims")
	if c == nil {
		c = rd.get(v, "claims")
	}
	if c == nil || c.Type() != fastjson.TypeObject {
		return nil
	}
	return c
}

// userType tells users, service principals and managed identities apart:
// the authorization evidence's principalType when present; else the
// token's idtyp claim (app or user); a managed identity's token carries
// xms_mirid; a token with a UPN (or a caller that looks like one) is a
// user's, and one with only an appid is a service principal's. Storage
// logs give their authentication type (OAuth, SAS, AccountKey, Anonymous).
func userType(rd reader, v, claims *fastjson.Value, user string) string {
	if pt := source.Text(rd.get(v, "identity", "authorization", "evidence", "principalType")); pt != "" {
		if strings.EqualFold(pt, "Group") {
			return "User"
		}
		return pt
	}
	if claims != nil {
		if claims.Get("xms_mirid") != nil {
			return "ManagedIdentity"
		}
		switch strings.ToLower(source.Text(claims.Get("idtyp"))) {
		case "app":
			return "ServicePrincipal"
		case "user":
			return "User"
		}
		if claims.Get(claimUPN) != nil || claims.Get("upn") != nil || strings.Contains(user, "@") {
			return "User"
		}
		if claims.Get("appid") != nil {
			return "ServicePrincipal"
		}
		return ""
	}
	if t := source.Text(rd.get(v, "identity", "type")); t != "" {
		if strings.EqualFold(t, "OAuth") {
			if rd.get(v, "identity", "requester", "upn") != nil {
				return "User"
			}
			return "ServicePrincipal"
		}
		return t
	}
	if strings.Contains(user, "@") {
		return "User"
	}
	return ""
}

// status sets status from resultType (REST: status.value; Log Analytics:
// ActivityStatusValue), else from a Storage log's statusCode or
// metricResponseType.
func status(rd reader, v *fastjson.Value, e *event.Event) {
	rt := source.Text(rd.get(v, "resultType"))
	if rt == "" {
		if s := rd.get(v, "status"); s != nil && s.Type() == fastjson.TypeObject {
			rt = source.Text(s.Get("value"))
		} else {
			rt = source.Text(rd.get(v, "ActivityStatusValue"))
		}
	}
	if rt != "" {
		if st, ok := resultStatus[strings.ToLower(rt)]; ok {
			e.Status = st.status
			if st.intermediate {
				e.AddTag("in-progress")
			}
			return
		}
	}
	if mrt := source.Text(rd.get(v, "properties", "metricResponseType")); mrt != "" {
		e.Status = event.StatusFailure
		if strings.HasPrefix(mrt, "Success") {
			e.Status = event.StatusSuccess
		}
		return
	}
	if sc := rd.get(v, "statusCode"); sc != nil && sc.Type() == fastjson.TypeNumber {
		e.Status = event.StatusSuccess
		if sc.GetInt() >= 400 {
			e.Status = event.StatusFailure
		}
	}
}

// created reports whether a write created its resource: ARM answers 201
// Created ("properties.statusCode": "Created", resultSignature
// "Succeeded.Created" or "201").
func created(rd reader, v *fastjson.Value) bool {
	if strings.EqualFold(source.Text(rd.get(v, "properties", "statusCode")), "Created") {
		return true
	}
	rs := source.Text(rd.get(v, "resultSignature"))
	return rs == "201" || strings.HasSuffix(rs, ".Created")
}

// ipOf returns the address in s ("1.2.3.4", "1.2.3.4:5678", "[::1]:443"),
// or "" when s holds none.
func ipOf(s string) string {
	if s == "" {
		return ""
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return s
	}
	if i := strings.LastIndexByte(s, ':'); i > 0 {
		host := s[:i]
		if len(host) > 2 && host[0] == '[' && host[len(host)-1] == ']' {
			host = host[1 : len(host)-1]
		}
		if _, err := netip.ParseAddr(host); err == nil {
			return host
		}
	}
	return ""
}

// withoutQuery drops a URL's query (a SAS token's signature must not be
// copied into events).
func withoutQuery(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}

// Mappings implements source.Format.
func (Format) Mappings() []source.Mapping {
	m := common.Mappings()
	m = append(m,
		source.Mapping{Field: "src_ip", Source: "callerIpAddress | httpRequest.clientIpAddress | identity.claims.ipaddr (the address, without a port)"},
		source.Mapping{Field: "src_user", Source: "identity.claims (REST: claims) upn claim | caller | name claim | unique_name | name | emailaddress claim | appid | objectidentifier claim | identity.authorization.evidence.principalId"},
		source.Mapping{Field: "src_user_name", Source: "identity.claims (REST: claims) upn claim | upn | caller"},
		source.Mapping{Field: "src", Source: "callerIpAddress as written, also when it is a CIDR network (src_ip then stays empty)"},
		source.Mapping{Field: "user_type", Source: "identity.authorization.evidence.principalType, else claims: ManagedIdentity when xms_mirid is set, idtyp app/user, User when a UPN is present, ServicePrincipal when only appid is; Storage logs: identity.type"},
		source.Mapping{Field: "mfa_auth", Source: "true when the authnmethodsreferences claim contains mfa, false when it does not"},
		source.Mapping{Field: "account", Source: "the subscription id in resourceId (/subscriptions/<id>/...), else its tenant id (/tenants/<id>/..., any case)"},
		source.Mapping{Field: "status", Source: "resultType | status.value: Success, Succeeded → success (Start, Accept, In Progress → success, tagged in-progress); Failure, Failed, Canceled → failure; Storage logs: properties.metricResponseType | statusCode"},
		source.Mapping{Field: "dataset", Source: "operationName's provider and resource type, by the operation table (Storage logs: the resourceId's type, then category)"},
		source.Mapping{Field: "action", Source: "operationName's verb (write, delete, start/action, ...), by the operation table or its verb list; write is create when ARM answered 201 Created"},
		source.Mapping{Field: "dest", Source: "Storage logs without resourceId: uri without its query"},
		source.Mapping{Field: "tags", Source: "in-progress for intermediate stages (resultType Start, Accept)"},
	)
	m = append(m, storageLog.Mappings()...)
	for _, rf := range resourceFields {
		src := "the " + rf.Type + " name in resourceId"
		if rf.Suffix != "" {
			src += " + " + strconv.Quote(rf.Suffix)
		}
		m = append(m, source.Mapping{Field: rf.Field, Source: src})
	}
	for _, op := range ops.Rows() {
		for _, f := range op.Fields.Compile().Mappings() {
			m = append(m, source.Mapping{Field: f.Field, Source: f.Source + " — " + op.Service + " " + op.Name})
		}
	}
	return m
}
