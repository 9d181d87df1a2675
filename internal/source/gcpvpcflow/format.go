package gcpvpcflow

import (
	"math"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
)

// Name is the --format name.
const Name = "gcp-vpcflow"

// Products.
const (
	productFlow     = "GCP VPC Flow Logs"
	productFirewall = "GCP Firewall Rules Logging"
)

// Format reads VPC flow and firewall log entries.
type Format struct{}

// New returns the GCP VPC flow log format.
func New() source.Format { return Format{} }

// Name implements source.Format.
func (Format) Name() string { return Name }

// Doc implements source.Format.
func (Format) Doc() string {
	return "GCP VPC Flow Logs (compute.googleapis.com/vpc_flows) and Firewall Rules Logging (compute.googleapis.com/firewall) LogEntry JSON, also BigQuery export rows"
}

// payload returns the entry's jsonPayload (any key case), or the record
// itself when it is a bare payload; nil when there is no connection.
func payload(v *fastjson.Value) *fastjson.Value {
	p := v.Get("jsonPayload")
	if p == nil {
		p = source.GetFold(v, "jsonPayload")
	}
	if p == nil {
		p = v
	}
	if p.Type() != fastjson.TypeObject {
		return nil
	}
	if c := p.Get("connection"); c == nil || c.Type() != fastjson.TypeObject {
		return nil
	}
	return p
}

// firewall reports a Firewall Rules Logging payload: every one has a
// disposition and rule_details; flow records have a reporter instead.
func firewall(p *fastjson.Value) bool {
	return p.Get("disposition") != nil || p.Get("rule_details") != nil
}

// Detect accepts entries whose jsonPayload (or the record itself, for a
// bare payload) has a connection object and the field every record of its
// kind carries: reporter for flow logs, disposition or rule_details for
// firewall logs (or a logName of either log).
func (Format) Detect(v *fastjson.Value) bool {
	p := payload(v)
	if p == nil {
		return false
	}
	if p.Get("reporter") != nil || firewall(p) {
		return true
	}
	ln := string(v.GetStringBytes("logName"))
	return strings.Contains(ln, "vpc_flows") || strings.HasSuffix(ln, "firewall")
}

// entry maps the LogEntry envelope.
var entry = source.Spec{
	{Field: "time", From: "timestamp | receiveTimestamp"},
	{Field: "event_id", From: "insertId"},
	{Field: "tags", From: "logName", Via: &logID},
	{Field: "account", From: "resource.labels.project_id | logName", Via: &project},
	{Field: "region", From: "resource.labels.location | resource.labels.region"},
}.CompileFold()

// connection maps the 5-tuple every record has.
var connection = source.Spec{
	{Field: "src_ip", From: "connection.src_ip"},
	{Field: "src_port", From: "connection.src_port"},
	{Field: "dest_ip", From: "connection.dest_ip"},
	{Field: "dest_port", From: "connection.dest_port"},
	{Field: "transport", From: "connection.protocol", Via: &transport},
}.Compile()

// Flow records: the counters, and the side that reported, which gives the
// direction and the reporting VM's VPC, project and region.
var (
	flow = source.Spec{
		{Field: "event_name", Const: "vpc-flow"},
		{Field: "action", Const: "allowed"},
		{Field: "bytes", From: "bytes_sent"},
		{Field: "packets", From: "packets_sent"},
		{Field: "tags", From: "reporter"},
	}.Compile()
	reportedBySrc = source.Spec{
		{Field: "direction", Const: "outbound"},
		{Field: "dvc", From: "src_instance.vm_name | src_gateway.name"},
		{Field: "vpc", From: "src_vpc.vpc_name | src_gateway.vpc.vpc_name"},
		{Field: "account", From: "src_instance.project_id | src_vpc.project_id | src_gateway.project_id"},
		{Field: "region", From: "src_instance.region | src_instance.zone | src_gateway.region"},
	}.Compile()
	reportedByDest = source.Spec{
		{Field: "direction", Const: "inbound"},
		{Field: "dvc", From: "dest_instance.vm_name | dest_gateway.name"},
		{Field: "vpc", From: "dest_vpc.vpc_name | dest_gateway.vpc.vpc_name"},
		{Field: "account", From: "dest_instance.project_id | dest_vpc.project_id | dest_gateway.project_id"},
		{Field: "region", From: "dest_instance.region | dest_instance.zone | dest_gateway.region"},
	}.Compile()
)

// fw maps a Firewall Rules Logging record; instance and vpc are the VM the
// rule applied to, the reporter.
var fw = source.Spec{
	{Field: "event_name", Const: "firewall"},
	{Field: "action", From: "disposition", Via: &disposition},
	{Field: "tags", From: "disposition"},
	{Field: "rule", From: "rule_details.reference"},
	{Field: "direction", From: "rule_details.direction", Via: &direction},
	{Field: "dvc", From: "instance.vm_name"},
	{Field: "vpc", From: "vpc.vpc_name"},
	{Field: "account", From: "instance.project_id | vpc.project_id"},
	{Field: "region", From: "instance.region | instance.zone"},
}.Compile()

// Parse implements source.Format.
func (Format) Parse(r *source.Record, emit source.Emit) error {
	v := r.JSON
	if v == nil || v.Type() != fastjson.TypeObject {
		return source.ErrNotObject
	}
	p := payload(v)
	if p == nil {
		return source.Errorf("jsonPayload.connection", "missing or not an object: not a VPC flow or firewall log entry")
	}
	isFirewall := firewall(p) || strings.HasSuffix(string(v.GetStringBytes("logName")), "firewall")
	product := productFlow
	if isFirewall {
		product = productFirewall
	}
	e := r.NewEvent(event.VendorGCP, product)
	e.Dataset = event.NetworkTraffic
	e.Status = event.StatusSuccess
	if p != v {
		entry.Apply(v, e)
	}
	connection.Apply(p, e)
	if isFirewall {
		fw.Apply(p, e)
	} else {
		flow.Apply(p, e)
		switch rep := string(p.GetStringBytes("reporter")); rep {
		case "SRC", "SRC_GATEWAY":
			reportedBySrc.Apply(p, e)
		case "DEST", "DEST_GATEWAY":
			reportedByDest.Apply(p, e)
		}
	}
	start, okStart := event.ParseTime(source.Str(p, "start_time"))
	end, okEnd := event.ParseTime(source.Str(p, "end_time"))
	if okStart && okEnd && !end.Before(start) {
		e.N().Duration = int64(math.Round(end.Sub(start).Seconds()))
	}
	if e.Time.IsZero() && okEnd {
		e.Time = end
	}
	e.N() // every event is a flow, even a fragment without the 5-tuple
	emit(e)
	return nil
}

// Mappings implements source.Format.
func (Format) Mappings() []source.Mapping {
	m := entry.Mappings()
	m = append(m, connection.Mappings()...)
	for _, s := range []struct {
		spec *source.Compiled
		when string
	}{{flow, "flow log"}, {reportedBySrc, "flow log, reporter SRC"}, {reportedByDest, "flow log, reporter DEST"}, {fw, "firewall log"}} {
		for _, x := range s.spec.Mappings() {
			m = append(m, source.Mapping{Field: x.Field, Source: x.Source + " — " + s.when})
		}
	}
	return append(m,
		source.Mapping{Field: "duration", Source: "end_time - start_time, seconds (flow log)"},
		source.Mapping{Field: "time", Source: "end_time when the LogEntry has no timestamp"},
		source.Mapping{Field: "vendor_product", Source: "GCP Firewall Rules Logging when the payload has disposition or rule_details, else GCP VPC Flow Logs"},
		source.Mapping{Field: "status", Source: "\"success\""},
		source.Mapping{Field: "dataset", Source: "\"Network_Traffic\""},
	)
}

// Transforms.
var (
	transport = source.Transform{Name: "IANA protocol number: 6 tcp, 17 udp, 1 icmp, 58 ipv6-icmp, 47 gre, 50 esp, 51 ah, 132 sctp, else the number", Fn: func(s string) string {
		switch s {
		case "6":
			return "tcp"
		case "17":
			return "udp"
		case "1":
			return "icmp"
		case "58":
			return "ipv6-icmp"
		case "47":
			return "gre"
		case "50":
			return "esp"
		case "51":
			return "ah"
		case "132":
			return "sctp"
		}
		return s
	}}
	disposition = source.Transform{Name: "ALLOWED and INTERCEPTED: allowed; DENIED: blocked", Fn: func(s string) string {
		switch strings.ToUpper(s) {
		case "ALLOWED", "INTERCEPTED":
			return "allowed"
		case "DENIED":
			return "blocked"
		}
		return strings.ToLower(s)
	}}
	direction = source.Transform{Name: "INGRESS: inbound, EGRESS: outbound", Fn: func(s string) string {
		switch strings.ToUpper(s) {
		case "INGRESS":
			return "inbound"
		case "EGRESS":
			return "outbound"
		}
		return strings.ToLower(s)
	}}
	logID = source.Transform{Name: "the log id: vpc_flows or firewall", Fn: func(s string) string {
		i := strings.LastIndex(s, "%2F")
		if i < 0 {
			i = strings.LastIndex(s, "%2f")
		}
		if i < 0 {
			return ""
		}
		return s[i+3:]
	}}
	project = source.Transform{Name: "the project id (logName projects/ID/logs/… gives ID)", Fn: func(s string) string {
		if i := strings.Index(s, "/logs/"); i >= 0 {
			s = s[:i]
		}
		if rest, ok := strings.CutPrefix(s, "projects/"); ok {
			return rest
		}
		return s
	}}
)
