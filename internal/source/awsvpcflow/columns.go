package awsvpcflow

import (
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/event"
)

// kind says how a column's value reaches the event.
type kind uint8

const (
	kSkip       kind = iota // a known field the data model has no place for
	kStr                    // a repeating string, interned into Field
	kInt                    // an integer into Field; not a number is an error
	kStart                  // epoch seconds: time, and duration with end
	kEnd                    // epoch seconds: duration with start
	kProtocol               // IANA number → transport name
	kAction                 // ACCEPT → allowed, REJECT → blocked
	kLogStatus              // OK, NODATA (no event), SKIPDATA (tagged event)
	kTCPFlags               // bitmask → SYN,ACK,...
	kDirection              // ingress → inbound, egress → outbound
	kSrcAddr                // src_ip unless pkt-srcaddr is set
	kDstAddr                // dest_ip unless pkt-dstaddr is set
	kPktSrcAddr             // the packet's original source: src_ip
	kPktDstAddr             // the packet's final destination: dest_ip
	kAccount                // account-id ("unknown" for AWS-managed interfaces is dropped)
	kTag                    // a value kept as the tag "<name>:<value>"
	kResource               // dest when instance-id is absent
)

// column is one field of the flow log format.
type column struct {
	Name  string // the field's name in a custom format and in S3 headers
	Field string // the data model field it feeds; "" when none
	Kind  kind
	Note  string // how, for the data model document

	field *event.Field
}

// columns lists every field of flow log versions 2 to 8. Adding a field the
// vendor introduces is one row.
var columns = []column{
	{Name: "version", Kind: kSkip},
	{Name: "account-id", Field: "account", Kind: kAccount},
	{Name: "interface-id", Field: "dvc", Kind: kStr},
	{Name: "srcaddr", Field: "src_ip", Kind: kSrcAddr, Note: "unless pkt-srcaddr is present"},
	{Name: "dstaddr", Field: "dest_ip", Kind: kDstAddr, Note: "unless pkt-dstaddr is present"},
	{Name: "srcport", Field: "src_port", Kind: kInt},
	{Name: "dstport", Field: "dest_port", Kind: kInt},
	{Name: "protocol", Field: "transport", Kind: kProtocol, Note: "6 tcp, 17 udp, 1 icmp, 58 icmpv6, else the number"},
	{Name: "packets", Field: "packets", Kind: kInt},
	{Name: "bytes", Field: "bytes", Kind: kInt},
	{Name: "start", Field: "time", Kind: kStart, Note: "epoch seconds; duration = end - start"},
	{Name: "end", Field: "duration", Kind: kEnd, Note: "end - start"},
	{Name: "action", Field: "action", Kind: kAction, Note: "ACCEPT allowed, REJECT blocked"},
	{Name: "log-status", Field: "tags", Kind: kLogStatus, Note: "NODATA records give no event; SKIPDATA gives an event tagged skipdata with status failure"},
	{Name: "vpc-id", Field: "vpc", Kind: kStr},
	{Name: "subnet-id", Kind: kSkip},
	{Name: "instance-id", Field: "dest", Kind: kStr, Note: "the instance whose interface logged the flow"},
	{Name: "tcp-flags", Field: "tcp_flag", Kind: kTCPFlags, Note: "bitmask as names: SYN,ACK,FIN,RST,PSH,URG,ECE,CWR"},
	{Name: "type", Kind: kSkip},
	{Name: "pkt-srcaddr", Field: "src_ip", Kind: kPktSrcAddr, Note: "the packet's original source, past NAT and transit gateways"},
	{Name: "pkt-dstaddr", Field: "dest_ip", Kind: kPktDstAddr, Note: "the packet's final destination"},
	{Name: "region", Field: "region", Kind: kStr},
	{Name: "az-id", Kind: kSkip},
	{Name: "sublocation-type", Kind: kSkip},
	{Name: "sublocation-id", Kind: kSkip},
	{Name: "pkt-src-aws-service", Field: "src", Kind: kStr, Note: "the AWS service the packet came from"},
	{Name: "pkt-dst-aws-service", Field: "tags", Kind: kTag, Note: "as pkt-dst-aws-service:<service>"},
	{Name: "flow-direction", Field: "direction", Kind: kDirection, Note: "ingress inbound, egress outbound"},
	{Name: "traffic-path", Kind: kSkip},
	{Name: "ecs-cluster-arn", Kind: kSkip},
	{Name: "ecs-cluster-name", Field: "cluster", Kind: kStr},
	{Name: "ecs-container-instance-arn", Kind: kSkip},
	{Name: "ecs-container-instance-id", Kind: kSkip},
	{Name: "ecs-container-id", Kind: kSkip},
	{Name: "ecs-second-container-id", Kind: kSkip},
	{Name: "ecs-service-name", Kind: kSkip},
	{Name: "ecs-task-definition-arn", Kind: kSkip},
	{Name: "ecs-task-arn", Kind: kSkip},
	{Name: "ecs-task-id", Kind: kSkip},
	{Name: "reject-reason", Field: "rule", Kind: kStr, Note: "why the flow was rejected, e.g. BPA"},
	{Name: "resource-id", Field: "dest", Kind: kResource, Note: "when instance-id is absent"},
	{Name: "encryption-status", Field: "tags", Kind: kTag, Note: "as encryption-status:<value>"},
}

// v2 is the default format: the version 2 fields in this order.
var v2 = strings.Fields("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status")

// v2Len is the number of fields of the default format.
const v2Len = 14

// byName finds a column by its name; used once per header, never per line.
var byName = map[string]*column{}

func init() {
	for i := range columns {
		c := &columns[i]
		if c.Field != "" {
			if c.field = event.Lookup(c.Field); c.field == nil {
				panic("awsvpcflow: column " + c.Name + " names unknown data model field " + c.Field)
			}
		}
		byName[c.Name] = c
	}
	for i := range transports {
		transports[i] = strconv.Itoa(i)
	}
	transports[1], transports[6], transports[17], transports[58] = "icmp", "tcp", "udp", "icmpv6"
	for i := 1; i < len(tcpFlagNames); i++ {
		var b []byte
		for _, f := range tcpFlags {
			if i&f.bit != 0 {
				if len(b) > 0 {
					b = append(b, ',')
				}
				b = append(b, f.name...)
			}
		}
		tcpFlagNames[i] = string(b)
	}
}

// lookupColumn resolves a header token: hyphens or underscores, any case,
// optionally written as in the flow log format string (${srcaddr}).
func lookupColumn(tok string) *column {
	tok = strings.TrimSuffix(strings.TrimPrefix(tok, "${"), "}")
	tok = strings.ReplaceAll(strings.ToLower(tok), "_", "-")
	return byName[tok]
}

// transports names IANA protocol numbers.
var transports [256]string

// tcpFlags are the TCP header flags, in the order they are listed.
var tcpFlags = []struct {
	bit  int
	name string
}{{2, "SYN"}, {16, "ACK"}, {1, "FIN"}, {4, "RST"}, {8, "PSH"}, {32, "URG"}, {64, "ECE"}, {128, "CWR"}}

// tcpFlagNames holds the names of every bitmask value.
var tcpFlagNames [256]string
