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
	return "AWS CloudTrail: S3 delivery files, JSON lines, EventBridge envelopes (digest files are skipped)"
}

// Detect accepts CloudTrail records (eventName plus eventSource or
// eventVersion, the fields every CloudTrail record carries) and EventBridge
// envelopes of CloudTrail events.
func (Format) Detect(v *fastjson.Value) bool {
	if dt := v.GetStringBytes("detail-type"); dt != nil {
		return strings.HasSuffix(string(dt), "via CloudTrail") && v.Get("detail") != nil
	}
	if v.Get("eventName") == nil {
		return false
	}
	return v.Get("eventSource") != nil || v.Get("eventVersion") != nil ||
		(v.Get("userIdentity") != nil && v.Get("awsRegion") != nil)
}

// common maps the fields every CloudTrail record has.
var common = source.Spec{
	{Field: "time", From: "eventTime"},
	{Field: "event_name", From: "eventName"},
	{Field: "event_id", From: "eventID"},
	{Field: "src", From: "sourceIPAddress"},
	{Field: "http_user_agent", From: "userAgent"},
	{Field: "region", From: "awsRegion"},
	{Field: "account", From: "recipientAccountId | userIdentity.accountId"},
	{Field: "src_user", From: "userIdentity.arn | userIdentity.userName | userIdentity.principalId | userIdentity.invokedBy"},
	{Field: "src_user_id", From: "userIdentity.principalId"},
	{Field: "user_type", From: "userIdentity.type"},
	{Field: "credential_id", From: "userIdentity.accessKeyId"},
	{Field: "service", From: "eventSource"},
	{Field: "msg", From: "errorMessage | errorCode"},
	{Field: "tags", From: "eventType"},
	{Field: "tags", From: "eventCategory"},
}.Compile()

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
	e := r.NewEvent(event.VendorAWS, "AWS CloudTrail")
	e.Record = v // the CloudTrail record, also inside an EventBridge envelope
	common.Apply(v, e)
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
			en.Fields.Apply(v, e)
		}
	}
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
