package azuresignin

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
)

// Name is the --format name.
const Name = "azure-signin"

// Format reads Entra ID sign-in, audit and provisioning records.
type Format struct{}

// New returns the Entra ID format.
func New() source.Format { return Format{} }

// Name implements source.Format.
func (Format) Name() string { return Name }

// Doc implements source.Format.
func (Format) Doc() string {
	return "Microsoft Entra ID (Azure AD) sign-in, audit and provisioning logs: diagnostic-settings records and Microsoft Graph signIns / directoryAudits"
}

// kind is what a record is.
type kind uint8

const (
	notEntra kind = iota
	signIn
	audit
	provisioning
)

// categories are the diagnostic-settings categories (and Log Analytics
// table names, in Type) of Entra logs, lowercased.
var categories = map[string]kind{
	"signinlogs":                   signIn,
	"noninteractiveusersigninlogs": signIn,
	"serviceprincipalsigninlogs":   signIn,
	// Sign-ins of Microsoft's own service principals in the tenant.
	"microsoftserviceprincipalsigninlogs": signIn,
	"managedidentitysigninlogs":           signIn,
	"adfssigninlogs":                      signIn,
	"aadnoninteractiveusersigninlogs":     signIn,
	"aadserviceprincipalsigninlogs":       signIn,
	"aadmanagedidentitysigninlogs":        signIn,
	"auditlogs":                           audit,
	"provisioninglogs":                    provisioning,
	"aadprovisioninglogs":                 provisioning,
}

// userTypes gives the principal kind of a sign-in category, or of a Graph
// signInEventTypes value, lowercased.
var userTypes = map[string]string{
	"signinlogs": "User", "noninteractiveusersigninlogs": "User", "adfssigninlogs": "User",
	"aadnoninteractiveusersigninlogs": "User",
	"serviceprincipalsigninlogs":      "ServicePrincipal", "aadserviceprincipalsigninlogs": "ServicePrincipal",
	"microsoftserviceprincipalsigninlogs": "ServicePrincipal",
	"managedidentitysigninlogs":           "ManagedIdentity", "aadmanagedidentitysigninlogs": "ManagedIdentity",
	"interactiveuser": "User", "noninteractiveuser": "User",
	"serviceprincipal": "ServicePrincipal", "managedidentity": "ManagedIdentity",
}

// Detect accepts records of an Entra sign-in, audit or provisioning
// category (diagnostic settings: category; Log Analytics: Type), audit
// records filed under their Graph category (Policy, DirectoryManagement,
// ...) which carry properties.initiatedBy or properties.activityDisplayName,
// and the Microsoft Graph resources: a signIn (createdDateTime, appId and
// status), a directoryAudit (activityDisplayName and initiatedBy) or a
// provisioningObjectSummary (provisioningAction and
// provisioningStatusInfo). Activity-log records never carry these.
func (Format) Detect(v *fastjson.Value) bool {
	return classify(reader{}, v, v) != notEntra
}

// classify tells what a record is; p is its properties object (v itself in
// the Graph and Log Analytics forms).
func classify(rd reader, v, p *fastjson.Value) kind {
	found := false
	for _, key := range [...]string{"category", "Category", "Type"} {
		if c := v.Get(key); c != nil {
			found = true
			if k, ok := categoryKind(c); ok {
				return k
			}
		}
	}
	if !found {
		if k, ok := categoryKind(source.GetFold(v, "category")); ok {
			return k
		}
	}
	if p == v {
		if props := rd.get(v, "properties"); props != nil && props.Type() == fastjson.TypeObject {
			p = props
		}
	}
	switch {
	case rd.get(p, "initiatedBy") != nil && (rd.get(p, "activityDisplayName") != nil || rd.get(p, "loggedByService") != nil):
		return audit
	case rd.get(p, "provisioningAction") != nil && rd.get(p, "provisioningStatusInfo") != nil:
		return provisioning
	case rd.get(p, "createdDateTime") != nil && rd.get(p, "appId") != nil && rd.get(p, "status") != nil:
		return signIn
	}
	return notEntra
}

func categoryKind(c *fastjson.Value) (kind, bool) {
	if c == nil || c.Type() != fastjson.TypeString {
		return notEntra, false
	}
	b, _ := c.StringBytes()
	return lookupLower(categories, b)
}

// lookupLower looks b up in a map of lowercased keys, ignoring ASCII case,
// without allocating.
func lookupLower[T any](m map[string]T, b []byte) (T, bool) {
	var buf [48]byte
	if len(b) > len(buf) {
		var zero T
		return zero, false
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	t, ok := m[string(buf[:len(b)])]
	return t, ok
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

// Transforms.
var (
	scalar = &source.Transform{Name: "when not an object", Fn: func(s string) string {
		if strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[") {
			return ""
		}
		return s
	}}
	ipOnly = &source.Transform{Name: "when an IP address", Fn: func(s string) string {
		if _, err := netip.ParseAddr(s); err != nil {
			return ""
		}
		return s
	}}
	// ipOrPrefix keeps an address or a network as written: Entra writes a
	// CIDR where it has only the caller's network.
	ipOrPrefix = &source.Transform{Name: "an IP address or a CIDR network, as written", Fn: func(s string) string {
		if _, err := netip.ParseAddr(s); err == nil {
			return s
		}
		if _, err := netip.ParsePrefix(s); err == nil {
			return s
		}
		return ""
	}}
	notNone = &source.Transform{Name: "unless none", Fn: func(s string) string {
		if strings.EqualFold(s, "none") {
			return ""
		}
		return s
	}}
)

// envelopeSpec maps the diagnostic-settings envelope every Entra record
// has. It is applied first; the properties specs below override it.
var envelopeSpec = source.Spec{
	{Field: "time", From: "time | TimeGenerated"},
	{Field: "event_name", From: "operationName | properties.activityDisplayName | activityDisplayName"},
	{Field: "account", From: "tenantId | AADTenantId | properties.resourceTenantId | resourceTenantId"},
	{Field: "src_ip", From: "callerIpAddress", Via: ipOnly},
	{Field: "src", From: "callerIpAddress", Via: ipOrPrefix},
	{Field: "src_user", From: "identity", Via: scalar},
	{Field: "event_id", From: "correlationId"},
	{Field: "region", From: "location", Via: scalar},
	{Field: "msg", From: "resultDescription"},
	{Field: "tags", From: "category"},
}

// signInSpec maps a sign-in's properties (the Graph signIn resource).
var signInSpec = source.Spec{
	{Field: "time", From: "createdDateTime"},
	{Field: "src_ip", From: "ipAddress", Via: ipOnly},
	{Field: "src", From: "ipAddress", Via: ipOrPrefix},
	{Field: "src_user", From: "userPrincipalName | servicePrincipalName | servicePrincipalId | userDisplayName | userId"},
	{Field: "src_user_name", From: "userPrincipalName | servicePrincipalName"},
	{Field: "http_user_agent", From: "userAgent"},
	{Field: "dest", From: "appDisplayName | resourceDisplayName | appId"},
	{Field: "event_id", From: "id"},
	{Field: "credential_id", From: "servicePrincipalCredentialKeyId | servicePrincipalCredentialThumbprint"},
	{Field: "region", From: "location.countryOrRegion | locationDetails.countryOrRegion"},
	{Field: "tags", From: "clientAppUsed"},
	{Field: "tags", From: "authenticationProtocol", Via: notNone},
}

// auditSpec maps an audit record's properties (the Graph directoryAudit
// and provisioningObjectSummary resources).
var auditSpec = source.Spec{
	{Field: "time", From: "activityDateTime"},
	{Field: "src_user", From: "initiatedBy.user.userPrincipalName | initiatedBy.app.servicePrincipalName | initiatedBy.app.displayName | initiatedBy.user.displayName | initiatedBy.user.id | initiatedBy.app.appId | initiatedBy.displayName"},
	{Field: "src_user_name", From: "initiatedBy.user.userPrincipalName | initiatedBy.app.servicePrincipalName | initiatedBy.app.displayName"},
	{Field: "src_ip", From: "initiatedBy.user.ipAddress", Via: ipOnly},
	{Field: "dest", From: "targetResources.0.userPrincipalName | targetResources.0.displayName | targetResources.0.id | targetIdentity.displayName | targetIdentity.id"},
	{Field: "event_id", From: "id"},
	{Field: "msg", From: "resultReason | provisioningStatusInfo.errorInformation.reason"},
	{Field: "http_user_agent", From: "userAgent"},
	{Field: "tags", From: "category"},
	{Field: "tags", From: "loggedByService"},
}

// Records whose keys are in the documented camelCase are read with exact
// specs; others (exporters that lower-case or capitalize keys) with specs
// that match keys ignoring case.
type specs struct{ envelope, signIn, audit *source.Compiled }

var (
	exact = specs{envelopeSpec.Compile(), signInSpec.Compile(), auditSpec.Compile()}
	fold  = specs{envelopeSpec.CompileFold(), signInSpec.CompileFold(), auditSpec.CompileFold()}
)

// details maps keys of an audit record's additionalDetails (a list of
// key/value pairs) to data model fields, filled when still empty.
var details = map[string]string{
	"User-Agent": "http_user_agent",
	"ipaddr":     "src_ip",
	"RoleName":   "role",
}

// targetFields maps a target resource's type (or a modified property's
// name) to the data model field its display name feeds.
var targetFields = map[string]string{
	"Role":              "role",
	"Group":             "group_name",
	"Role.DisplayName":  "role",
	"Group.DisplayName": "group_name",
}

// Parse implements source.Format.
func (Format) Parse(r *source.Record, emit source.Emit) error {
	v := r.JSON
	if v == nil || v.Type() != fastjson.TypeObject {
		return source.ErrNotObject
	}
	p := v
	if props := v.Get("properties"); props != nil && props.Type() == fastjson.TypeObject {
		p = props
	}
	sp, rd := exact, reader{}
	if v.Get("operationName") == nil && v.Get("createdDateTime") == nil && v.Get("activityDateTime") == nil {
		sp, rd = fold, reader{fold: true}
	}
	k := classify(rd, v, p)
	var e *event.Event
	switch k {
	case signIn:
		e = r.NewEvent(event.VendorAzure, "Microsoft Entra ID sign-in logs")
		sp.envelope.Apply(v, e)
		sp.signIn.Apply(p, e)
		parseSignIn(rd, v, p, e)
	case audit, provisioning:
		product := "Microsoft Entra ID audit logs"
		if k == provisioning {
			product = "Microsoft Entra ID provisioning logs"
		}
		e = r.NewEvent(event.VendorAzure, product)
		sp.envelope.Apply(v, e)
		sp.audit.Apply(p, e)
		parseAudit(rd, v, p, e, k)
	default:
		return source.Errorf("category", "not an Entra ID sign-in, audit or provisioning record (no such category, and neither a Graph signIn nor a directoryAudit)")
	}
	if e.SrcIP != "" {
		e.Src = e.SrcIP
	}
	if e.Account == "" {
		e.Account = tenantOf(source.Text(rd.get(v, "resourceId")))
	}
	emit(e)
	return nil
}

// tenantOf returns the tenant id of a resource id
// "/tenants/<id>/providers/Microsoft.aadiam" (any case), or "".
func tenantOf(id string) string {
	const prefix = "/tenants/"
	i := indexFold(id, prefix)
	if i < 0 {
		return ""
	}
	rest := id[i+len(prefix):]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// indexFold is strings.Index ignoring ASCII case.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// parseSignIn fills what a sign-in's fields give only together.
func parseSignIn(rd reader, v, p *fastjson.Value, e *event.Event) {
	e.Dataset = event.Authentication
	e.Action = "login"
	if e.EventName == "" {
		e.EventName = "Sign-in activity"
	}
	e.Status = signInStatus(rd, v, p)
	// Graph writes failureReason "Other." on successes too: it is the
	// message only of a failure.
	if e.Status == event.StatusFailure {
		if r := source.Text(rd.get(p, "status", "failureReason")); r != "" {
			e.Msg = r
		} else if c := source.Text(rd.get(p, "status", "errorCode")); c != "" && e.Msg == "" {
			e.Msg = "error " + c
		}
	} else if d := source.Text(rd.get(p, "status", "additionalDetails")); d != "" {
		e.Msg = d
	}

	for _, x := range [...]*fastjson.Value{rd.get(v, "category"), rd.get(v, "Type"), rd.get(p, "signInEventTypes").Get("0")} {
		if x != nil && x.Type() == fastjson.TypeString {
			b, _ := x.StringBytes()
			if ut, ok := lookupLower(userTypes, b); ok {
				e.UserType = ut
				break
			}
		}
	}
	if e.UserType == "" {
		switch {
		case !strings.EqualFold(source.Text(rd.get(p, "managedIdentityType")), "none") && source.Text(rd.get(p, "managedIdentityType")) != "":
			e.UserType = "ManagedIdentity"
		case rd.get(p, "userPrincipalName") == nil && rd.get(p, "servicePrincipalId") != nil:
			e.UserType = "ServicePrincipal"
		default:
			e.UserType = "User"
		}
	}

	a := e.A()
	a.MFAAuth = mfa(rd, p)
	a.IdentityProvider = identityProvider(rd, p)
	if home := source.Text(rd.get(p, "homeTenantId")); home != "" {
		res := source.Text(rd.get(p, "resourceTenantId"))
		if res == "" {
			res = e.Account
		}
		if res != "" && !strings.EqualFold(home, res) {
			e.AddTag("cross-tenant")
		}
	}
	if ct := source.Text(rd.get(p, "crossTenantAccessType")); ct != "" && !strings.EqualFold(ct, "none") {
		e.AddTag("cross-tenant:" + ct)
	}

	switch x := rd.get(p, "isInteractive"); {
	case x == nil:
	case x.Type() == fastjson.TypeTrue:
		e.AddTag("interactive")
	case x.Type() == fastjson.TypeFalse:
		e.AddTag("non-interactive")
	}
	if lvl := source.Text(rd.get(p, "riskLevelDuringSignIn")); lvl != "" && !strings.EqualFold(lvl, "none") && !strings.EqualFold(lvl, "hidden") {
		e.AddTag("risk:" + lvl)
	}
	if st := source.Text(rd.get(p, "riskState")); strings.EqualFold(st, "atRisk") || strings.EqualFold(st, "confirmedCompromised") {
		e.AddTag("risk-state:" + st)
	}
	if strings.EqualFold(source.Text(rd.get(p, "userType")), "Guest") {
		e.AddTag("guest")
	}
	if strings.EqualFold(source.Text(rd.get(p, "conditionalAccessStatus")), "failure") {
		e.AddTag("conditional-access:failure")
	}
}

// signInStatus reads properties.status.errorCode (0 is success), else
// resultType ("0", "Success"; another code or "Failure" is failure), else
// resultSignature.
func signInStatus(rd reader, v, p *fastjson.Value) string {
	if c := rd.get(p, "status", "errorCode"); c != nil {
		if s := source.Text(c); s != "" {
			if s == "0" {
				return event.StatusSuccess
			}
			return event.StatusFailure
		}
	}
	for _, key := range [...]string{"resultType", "resultSignature"} {
		s := source.Text(rd.get(v, key))
		switch {
		case s == "":
			continue
		case s == "0" || strings.EqualFold(s, "success") || strings.EqualFold(s, "succeeded"):
			return event.StatusSuccess
		case strings.EqualFold(s, "failure") || strings.EqualFold(s, "failed"):
			return event.StatusFailure
		case key == "resultType" && isDigits(s):
			return event.StatusFailure
		}
	}
	return ""
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// mfa says whether a sign-in used a second factor: "true" when
// authenticationRequirement is multiFactorAuthentication, mfaDetail names a
// method, an authenticationDetails step other than a password succeeded,
// or status.additionalDetails says MFA was satisfied; "false" when the
// requirement was singleFactorAuthentication and none of those holds; ""
// when the record does not say.
func mfa(rd reader, p *fastjson.Value) string {
	req := source.Text(rd.get(p, "authenticationRequirement"))
	if strings.EqualFold(req, "multiFactorAuthentication") {
		return "true"
	}
	if m := source.Text(rd.get(p, "mfaDetail", "authMethod")); m != "" {
		return "true"
	}
	if steps := rd.get(p, "authenticationDetails"); steps != nil && steps.Type() == fastjson.TypeArray {
		arr, _ := steps.Array()
		for _, st := range arr {
			method := source.Text(rd.get(st, "authenticationMethod"))
			if method == "" || strings.EqualFold(method, "Password") || strings.EqualFold(method, "Previously satisfied") {
				continue
			}
			if rd.get(st, "succeeded") != nil && rd.get(st, "succeeded").Type() == fastjson.TypeTrue {
				return "true"
			}
		}
	}
	if d := source.Text(rd.get(p, "status", "additionalDetails")); strings.Contains(d, "MFA requirement satisfied") || strings.Contains(d, "MFA completed") {
		return "true"
	}
	if strings.EqualFold(req, "singleFactorAuthentication") {
		return "false"
	}
	return ""
}

// identityProvider names who authenticated the principal: the federated
// issuer (tokenIssuerName) when present, else the token issuer type
// (AzureAD → Entra ID, ADFederationServices → AD FS), else Entra ID.
func identityProvider(rd reader, p *fastjson.Value) string {
	if n := source.Text(rd.get(p, "tokenIssuerName")); n != "" {
		return n
	}
	switch t := source.Text(rd.get(p, "tokenIssuerType")); {
	case t == "" || strings.EqualFold(t, "AzureAD") || strings.EqualFold(t, "AzureADBackupAuth"):
		return "Entra ID"
	case strings.EqualFold(t, "ADFederationServices") || strings.EqualFold(t, "ADFederationServicesMFAAdapter"):
		return "AD FS"
	default:
		return t
	}
}

// parseAudit fills an audit or provisioning record's dataset, action,
// status and the values spread over its lists.
func parseAudit(rd reader, v, p *fastjson.Value, e *event.Event, k kind) {
	name := source.Text(rd.get(p, "activityDisplayName"))
	if name == "" {
		name = e.EventName
	}
	if k == provisioning {
		if a := source.Text(rd.get(p, "provisioningAction")); a != "" {
			name = a
		}
		if e.EventName == "" {
			e.EventName = "Provisioning activity"
		}
	}
	category := source.Text(rd.get(p, "category"))
	if category == "" || p == v {
		if c := source.Text(rd.get(v, "category")); !strings.EqualFold(c, "AuditLogs") && c != "" {
			category = c
		}
	}
	if category != "" && p != v && !strings.EqualFold(category, source.Text(rd.get(v, "category"))) {
		e.AddTag(category)
	}
	en, action, ok := ops.Lookup(activity, name)
	if !ok {
		en, action, ok = ops.Lookup(category, name)
	}
	e.Dataset = event.Security
	if ok {
		e.Dataset = en.Dataset
	}
	e.Action = action

	e.Status = auditStatus(rd, v, p)
	if user := rd.get(p, "initiatedBy"); user != nil {
		switch {
		case isObject(rd.get(user, "user")):
			e.UserType = "User"
		case isObject(rd.get(user, "app")):
			e.UserType = "ServicePrincipal"
		default:
			switch strings.ToLower(source.Text(rd.get(user, "initiatorType"))) {
			case "user":
				e.UserType = "User"
			case "application":
				e.UserType = "ServicePrincipal"
			case "system":
				e.UserType = "System"
			}
		}
	}
	targets(rd, p, e)
	additionalDetails(rd, p, e)
}

func isObject(v *fastjson.Value) bool { return v != nil && v.Type() == fastjson.TypeObject }

// auditStatus reads result (properties.result, or result beside it) or a
// provisioning record's provisioningStatusInfo.status: success, or failure
// (failure, failed, timeout).
func auditStatus(rd reader, v, p *fastjson.Value) string {
	s := source.Text(rd.get(p, "result"))
	if s == "" {
		s = source.Text(rd.get(v, "result"))
	}
	if s == "" {
		s = source.Text(rd.get(p, "provisioningStatusInfo", "status"))
	}
	switch strings.ToLower(s) {
	case "success", "succeeded":
		return event.StatusSuccess
	case "failure", "failed", "timeout":
		return event.StatusFailure
	}
	return ""
}

// targets sets role and group_name from the target resources: a target of
// type Role or Group, or a modified property Role.DisplayName or
// Group.DisplayName.
func targets(rd reader, p *fastjson.Value, e *event.Event) {
	ts := rd.get(p, "targetResources")
	if ts == nil || ts.Type() != fastjson.TypeArray {
		return
	}
	arr, _ := ts.Array()
	for _, t := range arr {
		if f := targetFields[source.Text(rd.get(t, "type"))]; f != "" {
			setOnce(e, f, source.Text(rd.get(t, "displayName")))
		}
		mps := rd.get(t, "modifiedProperties")
		if mps == nil || mps.Type() != fastjson.TypeArray {
			continue
		}
		props, _ := mps.Array()
		for _, mp := range props {
			if f := targetFields[source.Text(rd.get(mp, "displayName"))]; f != "" {
				setOnce(e, f, unquote(source.Text(rd.get(mp, "newValue"))))
			}
		}
	}
}

// additionalDetails copies the key/value pairs named by details onto
// fields still empty.
func additionalDetails(rd reader, p *fastjson.Value, e *event.Event) {
	ad := rd.get(p, "additionalDetails")
	if ad == nil || ad.Type() != fastjson.TypeArray {
		return
	}
	arr, _ := ad.Array()
	for _, kv := range arr {
		kb := kv.GetStringBytes("key")
		if kb == nil {
			continue
		}
		if f := details[string(kb)]; f != "" {
			val := source.Text(kv.Get("value"))
			if f == "src_ip" {
				if _, err := netip.ParseAddr(val); err != nil {
					continue
				}
			}
			setOnce(e, f, val)
		}
	}
}

// setOnce sets a field unless it already has a value.
func setOnce(e *event.Event, name, val string) {
	f := event.Lookup(name)
	if val == "" || f.IsSet(e) {
		return
	}
	f.Set(e, val)
}

// unquote strips the JSON quotes Entra puts around modified property
// values ("\"Global Administrator\"").
func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' {
		if u, err := strconv.Unquote(s); err == nil {
			return u
		}
		return s[1 : len(s)-1]
	}
	return s
}

// Mappings implements source.Format.
func (Format) Mappings() []source.Mapping {
	m := exact.envelope.Mappings()
	for _, x := range exact.signIn.Mappings() {
		m = append(m, source.Mapping{Field: x.Field, Source: inProperties(x.Source) + " — sign-ins"})
	}
	for _, x := range exact.audit.Mappings() {
		m = append(m, source.Mapping{Field: x.Field, Source: inProperties(x.Source) + " — audit"})
	}
	m = append(m,
		source.Mapping{Field: "dataset", Source: "Authentication for sign-ins; audit: properties.activityDisplayName, then properties.category, by the activity table (authentication methods and federation: Authentication; directory objects: Security)"},
		source.Mapping{Field: "action", Source: "login for sign-ins; audit: properties.activityDisplayName (provisioning: provisioningAction), by the activity table or its verb list"},
		source.Mapping{Field: "status", Source: "sign-ins: properties.status.errorCode (0 is success) | resultType | resultSignature; audit: properties.result | result | properties.provisioningStatusInfo.status"},
		source.Mapping{Field: "user_type", Source: "sign-ins: category (SignInLogs, NonInteractiveUserSignInLogs → User; ServicePrincipalSignInLogs → ServicePrincipal; ManagedIdentitySignInLogs → ManagedIdentity) | properties.signInEventTypes; audit: User when initiatedBy.user is set, ServicePrincipal when initiatedBy.app is"},
		source.Mapping{Field: "mfa_auth", Source: "true when properties.authenticationRequirement is multiFactorAuthentication, mfaDetail.authMethod is set, a non-password authenticationDetails step succeeded or status.additionalDetails says MFA was satisfied; false when the requirement is singleFactorAuthentication"},
		source.Mapping{Field: "identity_provider", Source: "properties.tokenIssuerName | properties.tokenIssuerType (AzureAD → Entra ID, ADFederationServices → AD FS) | Entra ID"},
		source.Mapping{Field: "tags", Source: "sign-ins: interactive / non-interactive (isInteractive), risk:<riskLevelDuringSignIn>, risk-state:<riskState>, guest, cross-tenant (homeTenantId ≠ resourceTenantId), conditional-access:failure"},
		source.Mapping{Field: "role", Source: "audit: properties.targetResources[] of type Role, or modifiedProperties Role.DisplayName, displayName | additionalDetails RoleName"},
		source.Mapping{Field: "group_name", Source: "audit: properties.targetResources[] of type Group, or modifiedProperties Group.DisplayName, displayName"},
		source.Mapping{Field: "http_user_agent", Source: "audit: properties.additionalDetails User-Agent"},
		source.Mapping{Field: "msg", Source: "sign-ins: properties.status.failureReason (failures only) | resultDescription | error <properties.status.errorCode>; successes: properties.status.additionalDetails"},
		source.Mapping{Field: "src", Source: "src_ip; else callerIpAddress or properties.ipAddress when it is a CIDR network, as written"},
		source.Mapping{Field: "account", Source: "the tenant id in resourceId (/tenants/<id>/..., any case) when no tenantId is given"},
		source.Mapping{Field: "src_ip", Source: "audit: properties.additionalDetails ipaddr"},
	)
	return m
}

// inProperties writes spec paths as the diagnostic-settings form has them.
func inProperties(src string) string {
	alts := strings.Split(src, " | ")
	for i, a := range alts {
		alts[i] = "properties." + a
	}
	return strings.Join(alts, " | ") + " (Graph: without properties.)"
}
