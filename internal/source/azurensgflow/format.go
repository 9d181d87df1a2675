package azurensgflow

import (
	"net/netip"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
)

// Name is the --format name.
const Name = "azure-nsgflow"

// Format reads NSG and VNet flow log records.
type Format struct{}

// New returns the Azure flow log format.
func New() source.Format { return Format{} }

// Name implements source.Format.
func (Format) Name() string { return Name }

// Doc implements source.Format.
func (Format) Doc() string {
	return "Azure NSG flow logs (versions 1 and 2) and VNet flow logs: one event per flow tuple"
}

// Categories (and operation names) of the two flow logs.
const (
	nsgCategory  = "NetworkSecurityGroupFlowEvent"
	nsgOperation = "NetworkSecurityGroupFlowEvents"
	vnetCategory = "FlowLogFlowEvent"
)

// Detect accepts records whose category or operationName is that of NSG
// flow logs (NetworkSecurityGroupFlowEvent / NetworkSecurityGroupFlowEvents)
// or VNet flow logs (FlowLogFlowEvent), which every record carries.
func (Format) Detect(v *fastjson.Value) bool {
	return kindOf(v) != nil
}

// kindOf returns the layout of a record's tuples, or nil when it is not a
// flow log record.
func kindOf(v *fastjson.Value) *layout {
	for _, key := range [...]string{"category", "operationName"} {
		x := v.Get(key)
		if x == nil || x.Type() != fastjson.TypeString {
			continue
		}
		b, _ := x.StringBytes()
		switch s := string(b); {
		case strings.EqualFold(s, nsgCategory) || strings.EqualFold(s, nsgOperation):
			return &nsgLayout
		case strings.EqualFold(s, vnetCategory):
			return &vnetLayout
		}
	}
	return nil
}

// record maps the fields of a record that every one of its events shares.
var record = source.Spec{
	{Field: "time", From: "time"},
	{Field: "event_name", From: "operationName | category"},
	{Field: "dest", From: "resourceId | targetResourceID"},
}.CompileFold()

// Parse implements source.Format.
func (Format) Parse(r *source.Record, emit source.Emit) error {
	v := r.JSON
	if v == nil || v.Type() != fastjson.TypeObject {
		return source.ErrNotObject
	}
	lay := kindOf(v)
	if lay == nil {
		// A fragment without category: tell the layouts apart by shape.
		switch {
		case get(v, "flowRecords") != nil:
			lay = &vnetLayout
		case get(v, "properties", "flows") != nil:
			lay = &nsgLayout
		default:
			return source.Errorf("category", "not a flow log record (category is neither %s nor %s, and there are no flows)", nsgCategory, vnetCategory)
		}
	}
	product := "Azure NSG flow logs"
	if lay == &vnetLayout {
		product = "Azure VNet flow logs"
	}
	tmpl := r.NewEvent(event.VendorAzure, product)
	tmpl.Dataset = event.NetworkTraffic
	record.Apply(v, tmpl)
	if tmpl.Dest != "" {
		tmpl.Account = resourceName(tmpl.Dest, "subscriptions")
	}
	vpc := resourceName(tmpl.Dest, "networkSecurityGroups")
	if lay == &vnetLayout {
		vpc = resourceName(tmpl.Dest, "virtualNetworks")
	}
	recordMAC := source.Text(get(v, "macAddress"))

	p := &parser{tmpl: tmpl, lay: lay, vpc: vpc, emit: emit}
	if lay == &nsgLayout {
		// properties.flows[]: {rule, flows[]: {mac, flowTuples[]}}
		for _, group := range array(get(v, "properties", "flows")) {
			p.rule = source.Text(get(group, "rule"))
			for _, fl := range array(get(group, "flows")) {
				p.mac = source.Text(get(fl, "mac"))
				if p.mac == "" {
					p.mac = recordMAC
				}
				p.tuples(get(fl, "flowTuples"))
			}
		}
	} else {
		// flowRecords.flows[]: {aclID, flowGroups[]: {rule, flowTuples[]}}
		p.mac = recordMAC
		for _, acl := range array(get(v, "flowRecords", "flows")) {
			for _, group := range array(get(acl, "flowGroups")) {
				p.rule = source.Text(get(group, "rule"))
				p.tuples(get(group, "flowTuples"))
			}
		}
	}
	switch {
	case p.emitted > 0:
		return nil
	case p.bad > 0:
		return source.Errorf("flowTuples", "none of %d tuples is valid: %s", p.bad, p.why)
	}
	return source.Errorf("flows", "the record holds no flow tuples")
}

// parser turns the tuples of one record into events.
type parser struct {
	tmpl      *event.Event
	lay       *layout
	vpc       string
	rule, mac string
	emit      source.Emit
	t         tuple
	emitted   int
	bad       int
	why       string
}

func (p *parser) tuples(list *fastjson.Value) {
	for _, x := range array(list) {
		if x.Type() != fastjson.TypeString {
			p.invalid("a tuple is not a string")
			continue
		}
		b, _ := x.StringBytes()
		p.tuple(b)
	}
}

func (p *parser) invalid(why string) {
	p.bad++
	if p.why == "" {
		p.why = why
	}
}

// tuple emits the event of one flow tuple.
func (p *parser) tuple(s []byte) {
	t := &p.t
	t.split(s)
	if t.n < minFields {
		p.invalid("fewer than 7 comma-separated fields")
		return
	}
	e := new(event.Event)
	*e = *p.tmpl
	n := &event.NetworkFields{Rule: p.rule, Dvc: p.mac, VPC: p.vpc}
	e.Network = n

	if ts, ok := number(t.f[fTime]); ok {
		e.Time = event.UnixTime(float64(ts))
	}
	e.SrcIP = ip(t.f[fSrcIP])
	n.DestIP = ip(t.f[fDestIP])
	n.SrcPort, _ = number(t.f[fSrcPort])
	n.DestPort, _ = number(t.f[fDestPort])
	if tr, ok := transports[string(t.f[fProto])]; ok {
		n.Transport = tr
	} else if _, ok := number(t.f[fProto]); ok {
		n.Transport = source.Intern(t.f[fProto])
	}
	n.Direction = directions[string(t.f[fDirection])]

	state := string(t.field(p.lay.state))
	if p.lay.decision >= 0 {
		e.Action = decisions[string(t.field(p.lay.decision))]
	} else if state != "" {
		e.Action = "allowed"
		if state == "D" {
			e.Action = "blocked"
		}
	}
	e.Tags = stateTags[state]
	if enc := t.field(p.lay.encryption); len(enc) > 0 {
		switch string(enc) {
		case "NX":
		case "X":
			e.AddTag("encrypted")
		default:
			e.AddTag(source.Intern(enc))
		}
	}
	if c := p.lay.counters; c >= 0 {
		var packets, bytes int64
		for i := 0; i < 4; i++ {
			if x, ok := number(t.field(c + i)); ok {
				if i%2 == 0 {
					packets += x
				} else {
					bytes += x
				}
			}
		}
		n.Packets, n.Bytes = packets, bytes
	}
	p.emitted++
	p.emit(e)
}

// ip returns b as an address string (interned: flow logs repeat their
// addresses), or "" when it is not an IP address.
func ip(b []byte) string {
	if len(b) == 0 || len(b) > 45 {
		return ""
	}
	s := source.Intern(b)
	if _, err := netip.ParseAddr(s); err != nil {
		return ""
	}
	return s
}

// resourceName returns the segment after the segment typ (compared
// ignoring case) in an ARM resource id, or "".
func resourceName(id, typ string) string {
	for id != "" {
		i := strings.IndexByte(id, '/')
		seg := id
		if i >= 0 {
			seg, id = id[:i], id[i+1:]
		} else {
			id = ""
		}
		if strings.EqualFold(seg, typ) {
			if j := strings.IndexByte(id, '/'); j >= 0 {
				return id[:j]
			}
			return id
		}
	}
	return ""
}

// get is v.Get(path...) falling back to a case-insensitive match.
func get(v *fastjson.Value, path ...string) *fastjson.Value {
	if x := v.Get(path...); x != nil {
		return x
	}
	return source.GetFold(v, path...)
}

func array(v *fastjson.Value) []*fastjson.Value {
	if v == nil || v.Type() != fastjson.TypeArray {
		return nil
	}
	a, _ := v.Array()
	return a
}

// Mappings implements source.Format.
func (Format) Mappings() []source.Mapping {
	m := record.Mappings()
	return append(m,
		source.Mapping{Field: "time", Source: "flowTuples[0] (Unix seconds; VNet: milliseconds)"},
		source.Mapping{Field: "src_ip", Source: "flowTuples[1]"},
		source.Mapping{Field: "dest_ip", Source: "flowTuples[2]"},
		source.Mapping{Field: "src_port", Source: "flowTuples[3]"},
		source.Mapping{Field: "dest_port", Source: "flowTuples[4]"},
		source.Mapping{Field: "transport", Source: "flowTuples[5]: T tcp, U udp (VNet: IANA number; 6 tcp, 17 udp, 1 icmp)"},
		source.Mapping{Field: "direction", Source: "flowTuples[6]: I inbound, O outbound"},
		source.Mapping{Field: "action", Source: "NSG: flowTuples[7] A allowed, D blocked; VNet: flow state D blocked, else allowed"},
		source.Mapping{Field: "tags", Source: "flow state (NSG v2 flowTuples[8], VNet flowTuples[7]): begin, continuing, end, denied; VNet encryption flowTuples[8]: encrypted (X) or the NX_* reason"},
		source.Mapping{Field: "packets", Source: "sum of the packet counters both ways (NSG v2 flowTuples[9]+[11], VNet the same)"},
		source.Mapping{Field: "bytes", Source: "sum of the byte counters both ways (flowTuples[10]+[12])"},
		source.Mapping{Field: "rule", Source: "properties.flows[].rule (VNet: flowRecords.flows[].flowGroups[].rule)"},
		source.Mapping{Field: "dvc", Source: "properties.flows[].flows[].mac | macAddress"},
		source.Mapping{Field: "vpc", Source: "the network security group's name in resourceId (VNet: the virtual network's name in targetResourceID)"},
		source.Mapping{Field: "account", Source: "the subscription id in resourceId | targetResourceID"},
	)
}
