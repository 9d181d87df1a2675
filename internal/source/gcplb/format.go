package gcplb

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
)

// Name is the --format name.
const Name = "gcp-lb"

const product = "GCP Cloud Load Balancing"

// payloadType is the jsonPayload @type of load balancer request logs.
const payloadType = "google.cloud.loadbalancing.type.LoadBalancerLogEntry"

// resourceTypes are the monitored resources of load balancer request logs:
// the classic global load balancer, and the regional and cross-region
// application load balancers.
var resourceTypes = map[string]bool{"http_load_balancer": true, "l7_lb_rule": true, "internal_http_lb_rule": true}

// Format reads load balancer request logs.
type Format struct{}

// New returns the load balancer format.
func New() source.Format { return Format{} }

// Name implements source.Format.
func (Format) Name() string { return Name }

// Doc implements source.Format.
func (Format) Doc() string {
	return "GCP Cloud Load Balancing request logs (external and internal application load balancers, Cloud Armor decisions): LogEntry JSON with jsonPayload LoadBalancerLogEntry and httpRequest"
}

// Detect accepts LogEntries with an httpRequest object whose jsonPayload
// is a LoadBalancerLogEntry, or whose monitored resource is a load
// balancer's.
func (Format) Detect(v *fastjson.Value) bool {
	hr := v.Get("httpRequest")
	if hr == nil || hr.Type() != fastjson.TypeObject {
		return false
	}
	if strings.HasSuffix(string(v.GetStringBytes("jsonPayload", "@type")), payloadType) {
		return true
	}
	return resourceTypes[string(v.GetStringBytes("resource", "type"))]
}

var entry = source.Spec{
	{Field: "time", From: "timestamp | receiveTimestamp"},
	{Field: "event_id", From: "insertId"},
	{Field: "event_name", From: "httpRequest.requestMethod"},
	{Field: "http_user_agent", From: "httpRequest.userAgent"},
	{Field: "account", From: "resource.labels.project_id"},
	{Field: "region", From: "resource.labels.region | resource.labels.zone"},
	{Field: "dvc", From: "resource.labels.forwarding_rule_name"},
	{Field: "vpc", From: "resource.labels.network_name"},
	{Field: "rule", From: "jsonPayload.enforcedSecurityPolicy.name"},
	{Field: "tags", From: "resource.type"},
	{Field: "tags", From: "jsonPayload.statusDetails"},
}.Compile()

// Parse implements source.Format.
func (Format) Parse(r *source.Record, emit source.Emit) error {
	v := r.JSON
	if v == nil || v.Type() != fastjson.TypeObject {
		return source.ErrNotObject
	}
	hr := v.Get("httpRequest")
	if hr == nil || hr.Type() != fastjson.TypeObject {
		return source.Errorf("httpRequest", "missing or not an object: not a load balancer request log")
	}
	e := r.NewEvent(event.VendorGCP, product)
	e.Dataset = event.NetworkTraffic
	entry.Apply(v, e)
	nf := e.N()
	nf.Direction = "inbound"
	nf.Transport = "tcp"
	if p := strings.ToUpper(source.Str(hr, "protocol")); strings.HasPrefix(p, "HTTP/3") || strings.Contains(p, "QUIC") {
		nf.Transport = "udp"
	}
	if ip, port := hostPort(source.Str(hr, "remoteIp")); ip != "" {
		e.SrcIP, e.Src, nf.SrcPort = ip, ip, port
	}
	dest := source.Str(hr, "requestUrl")
	ip, port := hostPort(source.Str(hr, "serverIp"))
	nf.DestIP, nf.DestPort = ip, port
	if nf.DestPort == 0 {
		switch {
		case strings.HasPrefix(dest, "https://"):
			nf.DestPort = 443
		case strings.HasPrefix(dest, "http://"):
			nf.DestPort = 80
		}
	}
	if i := strings.IndexByte(dest, '?'); i >= 0 {
		dest = dest[:i] // a query may carry tokens
	}
	e.Dest = dest
	nf.Bytes = num(hr.Get("requestSize")) + num(hr.Get("responseSize"))
	if lat := strings.TrimSuffix(source.Str(hr, "latency"), "s"); lat != "" {
		if f, err := strconv.ParseFloat(lat, 64); err == nil && f >= 1 {
			nf.Duration = int64(f)
		}
	}

	e.Action = "allowed"
	if strings.EqualFold(source.Str(v, "jsonPayload", "enforcedSecurityPolicy", "outcome"), "DENY") ||
		strings.HasPrefix(source.Str(v, "jsonPayload", "statusDetails"), "denied_by_security_policy") {
		e.Action = "blocked"
	}
	e.Status = event.StatusSuccess
	code := num(hr.Get("status"))
	if code >= 400 {
		e.Status = event.StatusFailure
	}
	if code > 0 {
		e.Msg = "HTTP " + strconv.FormatInt(code, 10)
		if d := source.Str(v, "jsonPayload", "statusDetails"); d != "" {
			e.Msg += ": " + d
		}
	}
	emit(e)
	return nil
}

// hostPort splits "1.2.3.4", "1.2.3.4:5678", "[2001:db8::1]:443" or
// "2001:db8::1" into an address and a port (0 when none); ip is "" when s
// holds no address.
func hostPort(s string) (ip string, port int64) {
	if s == "" {
		return "", 0
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return s, 0
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().String(), int64(ap.Port())
	}
	return "", 0
}

// num reads an int64 the LogEntry writes as a number or, for int64 fields,
// as a decimal string.
func num(v *fastjson.Value) int64 {
	if v == nil {
		return 0
	}
	switch v.Type() {
	case fastjson.TypeNumber:
		n, _ := v.Int64()
		if n < 0 {
			return 0
		}
		return n
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		n, err := strconv.ParseInt(string(b), 10, 64)
		if err != nil || n < 0 {
			return 0
		}
		return n
	}
	return 0
}

// Mappings implements source.Format.
func (Format) Mappings() []source.Mapping {
	return append(entry.Mappings(),
		source.Mapping{Field: "dataset", Source: `"Network_Traffic"`},
		source.Mapping{Field: "src_ip", Source: "httpRequest.remoteIp (the address; its port is src_port)"},
		source.Mapping{Field: "src", Source: "httpRequest.remoteIp (the address)"},
		source.Mapping{Field: "src_port", Source: "httpRequest.remoteIp's port"},
		source.Mapping{Field: "dest_ip", Source: "httpRequest.serverIp (the address)"},
		source.Mapping{Field: "dest_port", Source: "httpRequest.serverIp's port, else 443 for https:// and 80 for http:// requestUrl"},
		source.Mapping{Field: "dest", Source: "httpRequest.requestUrl without its query"},
		source.Mapping{Field: "bytes", Source: "httpRequest.requestSize + responseSize"},
		source.Mapping{Field: "duration", Source: "httpRequest.latency, whole seconds"},
		source.Mapping{Field: "transport", Source: "udp for HTTP/3 (QUIC) httpRequest.protocol, else tcp"},
		source.Mapping{Field: "direction", Source: `"inbound"`},
		source.Mapping{Field: "action", Source: "blocked when jsonPayload.enforcedSecurityPolicy.outcome is DENY or statusDetails is denied_by_security_policy…, else allowed"},
		source.Mapping{Field: "status", Source: "failure when httpRequest.status is 400 or more, else success"},
		source.Mapping{Field: "msg", Source: "HTTP <httpRequest.status>: <jsonPayload.statusDetails>"},
	)
}
