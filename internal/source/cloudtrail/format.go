package cloudtrail

import (
	"strings"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
	"github.com/vigilsec/vigil/internal/source/aws"
)

// Name is the --format name.
const Name = "cloudtrail"

// Format reads CloudTrail records.
type Format struct{}

// New returns the CloudTrail format.
func New() source.Format { return Format{} }

// Name implements source.Format.
func (Format) Name() string { return Name }

// Doc implements source.Format.
func (Format) Doc() string {
	return "AWS CloudTrail: S3 delivery files, JSON lines, EventBridge envelopes (digest files are skipped); records a shipper changed (Logstash @timestamp, Datadog date and standard attributes); Athena results with lower-case keys (eventname, useridentity, requestparameters as JSON text)"
}

// Detect accepts CloudTrail records (eventName plus eventSource or
// eventVersion, the fields every CloudTrail record carries), the same with
// the lower-case keys of Athena query results and exports of tables built
// on them (eventname, eventsource, ...), and EventBridge envelopes of
// CloudTrail events. A record whose eventTime a shipper renamed or removed
// (Logstash, Datadog) still has these.
func (Format) Detect(v *fastjson.Value) bool {
	if dt := v.GetStringBytes("detail-type"); dt != nil {
		return strings.HasSuffix(string(dt), "via CloudTrail") && v.Get("detail") != nil
	}
	if v.Get("eventName") == nil {
		if v.Get("eventname") == nil {
			return false
		}
		return v.Get("eventsource") != nil || v.Get("eventversion") != nil ||
			(v.Get("useridentity") != nil && v.Get("awsregion") != nil)
	}
	return v.Get("eventSource") != nil || v.Get("eventVersion") != nil ||
		(v.Get("userIdentity") != nil && v.Get("awsRegion") != nil)
}

// common maps the fields every CloudTrail record has. The alternatives
// after the CloudTrail field are where shippers put it when they renamed
// or removed it: @timestamp (Logstash, Elastic), date and timestamp and
// the standard attributes network.client.ip, http.useragent and usr.*
// (Datadog).
var common = source.Spec{
	{Field: "time", From: "eventTime | @timestamp | timestamp | date"},
	{Field: "event_name", From: "eventName"},
	{Field: "event_id", From: "eventID"},
	{Field: "src", From: "sourceIPAddress | network.client.ip"},
	{Field: "http_user_agent", From: "userAgent | http.useragent"},
	{Field: "region", From: "awsRegion"},
	{Field: "account", From: "recipientAccountId | userIdentity.accountId | usr.account_id"},
	{Field: "src_user", From: "userIdentity.arn | userIdentity.userName | userIdentity.principalId | userIdentity.invokedBy | userIdentity.onBehalfOf.userId | usr.id | usr.name"},
	{Field: "src_user_id", From: "userIdentity.principalId | userIdentity.onBehalfOf.userId"},
	{Field: "user_type", From: "userIdentity.type"},
	{Field: "credential_id", From: "userIdentity.accessKeyId | userIdentity.credentialId"},
	{Field: "service", From: "eventSource"},
	{Field: "msg", From: "errorMessage | errorCode"},
	{Field: "tags", From: "eventType"},
	{Field: "tags", From: "eventCategory"},
}.Compile()

// flatKeys are Datadog attributes some exports write as one dotted key
// ("network.client.ip": ...) rather than nested objects, read when the
// field is still empty.
var flatKeys = []struct {
	key   string
	field *event.Field
}{
	{"network.client.ip", event.Lookup("src")},
	{"http.useragent", event.Lookup("http_user_agent")},
	{"usr.id", event.Lookup("src_user")},
	{"usr.name", event.Lookup("src_user_name")},
}

// anonymous is the accountId CloudTrail gives an unauthenticated caller
// (an S3 request without credentials).
const anonymous = "ANONYMOUS_PRINCIPAL"

// Parse implements source.Format.
func (Format) Parse(r *source.Record, emit source.Emit) error {
	v := r.JSON
	if v == nil || v.Type() != fastjson.TypeObject {
		return source.ErrNotObject
	}
	if d := v.Get("detail"); d != nil && v.Get("detail-type") != nil {
		if d.Type() != fastjson.TypeObject {
			return source.Errorf("detail", "EventBridge detail is a %s, not an object", d.Type())
		}
		v = d
	}
	fold := false
	if lowerCase(v) {
		c := canonPool.Get().(*canon)
		defer canonPool.Put(c)
		v, fold = c.canonical(v), true
	}
	e := r.NewEvent(event.VendorAWS, "AWS CloudTrail")
	e.Record = v // the CloudTrail record, also inside an EventBridge envelope
	common.Apply(v, e)
	if e.Src == "" || e.UserAgent == "" || e.SrcUser == "" {
		for _, fk := range flatKeys {
			if !fk.field.IsSet(e) {
				fk.field.Set(e, source.Text(v.Get(fk.key)))
			}
		}
	}
	if source.StrIs(v, anonymous, "userIdentity", "accountId") {
		if e.SrcUser == "" {
			e.SrcUser = anonymous
		}
		if e.Account == anonymous {
			e.Account = ""
		}
	}
	if source.LooksLikeIP(e.Src) {
		e.SrcIP = e.Src
	}
	e.Status = event.StatusSuccess
	if source.Has(v, "errorCode") || source.StrIs(v, "Failure", "responseElements", "ConsoleLogin") {
		e.Status = event.StatusFailure
		if e.Msg == "" {
			e.Msg = "Failure"
		}
	}
	service := e.Service
	en, action, ok := ops.Lookup(service, e.EventName)
	e.Action = action
	e.Dataset = event.Management
	if ok {
		e.Dataset = en.Dataset
		if en.Fields != nil {
			if fold {
				en.Fields.ApplyFold(v, e)
			} else {
				en.Fields.Apply(v, e)
			}
		}
	}
	userName(v, e)
	derive(e, service)
	if e.Dest == "" {
		e.Dest = service
	}
	emit(e)
	return nil
}

// derive fills values computed from several fields.
func derive(e *event.Event, service string) {
	switch e.Dataset {
	case event.Authentication:
		if e.Auth != nil && e.Auth.MFAAuth != "" {
			e.Auth.MFAAuth = yesNo(e.Auth.MFAAuth)
		}
	case event.Container:
		if strings.HasPrefix(service, "ecr") {
			aws.CompleteECRImage(e)
		}
	}
}

// userName sets src_user_name: userIdentity.userName, the end of an IAM
// user's ARN in src_user (so not a string of its own), else the session
// name of an assumed role's or federated user's ARN, else Datadog's usr.name.
func userName(v *fastjson.Value, e *event.Event) {
	if e.SrcUserName != "" { // a Datadog usr.name key
		return
	}
	if b := v.GetStringBytes("userIdentity", "userName"); len(b) > 0 {
		if s := e.SrcUser; len(s) > len(b) && s[len(s)-len(b)-1] == '/' && s[len(s)-len(b):] == string(b) {
			e.SrcUserName = s[len(s)-len(b):]
		} else {
			e.SrcUserName = source.Intern(b)
		}
		return
	}
	if e.SrcUserName = sessionName(e.SrcUser); e.SrcUserName == "" {
		e.SrcUserName = source.Text(v.Get("usr", "name"))
	}
}

// sessionName returns the session name at the end of an assumed-role ARN
// (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION) or the name of a
// federated user's (arn:aws:sts::ACCOUNT:federated-user/NAME); "" for
// anything else.
func sessionName(arn string) string {
	if !strings.HasPrefix(arn, "arn:") {
		return ""
	}
	for _, kind := range [...]string{":assumed-role/", ":federated-user/"} {
		if i := strings.Index(arn, kind); i >= 0 {
			rest := arn[i+len(kind):]
			return rest[strings.LastIndexByte(rest, '/')+1:]
		}
	}
	return ""
}

func yesNo(s string) string {
	switch strings.ToLower(s) {
	case "yes", "true":
		return "true"
	case "no", "false":
		return "false"
	}
	return s
}

// Mappings implements source.Format.
func (Format) Mappings() []source.Mapping {
	m := common.Mappings()
	m = append(m,
		source.Mapping{Field: "src_ip", Source: "sourceIPAddress (when it is an IP address)"},
		source.Mapping{Field: "src", Source: "a single dotted key network.client.ip (Datadog exports; likewise http.useragent, usr.id, usr.name)"},
		source.Mapping{Field: "src_user", Source: "\"ANONYMOUS_PRINCIPAL\" when userIdentity.accountId is ANONYMOUS_PRINCIPAL (an unauthenticated request; it is then no account); an IAM Identity Center user (userIdentity.type IdentityCenterUser) by its Identity Store user id, onBehalfOf.userId"},
		source.Mapping{Field: "src_user_name", Source: "userIdentity.userName | the session name of an assumed-role ARN (assumed-role/ROLE/SESSION) or the name of a federated-user ARN | usr.name (Datadog)"},
		source.Mapping{Field: "status", Source: "failure when errorCode is set or responseElements.ConsoleLogin is Failure"},
		source.Mapping{Field: "dataset", Source: "eventSource + eventName, by the operation table"},
		source.Mapping{Field: "action", Source: "eventName, by the operation table or its verb"},
		source.Mapping{Field: "dest", Source: "the resource named by the operation, else eventSource"},
	)
	for _, op := range ops.Rows() {
		for _, f := range op.Fields.Compile().Mappings() {
			m = append(m, source.Mapping{Field: f.Field, Source: f.Source + " — " + op.Service + " " + op.Name})
		}
	}
	m = append(m, source.Mapping{Field: "image", Source: "registry/repository@image_digest or :imageTag (ECR)"})
	return m
}
