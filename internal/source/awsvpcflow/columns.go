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

	// Transit gateway flow logs.
	{Name: "resource-type", Kind: kSkip},
	{Name: "tgw-id", Field: "tags", Kind: kTag, Note: "as tgw-id:<id> (transit gateway)"},
	{Name: "tgw-attachment-id", Field: "dvc", Kind: kStr, Note: "the transit gateway attachment that logged the flow"},
	{Name: "tgw-src-vpc-account-id", Kind: kSkip},
	{Name: "tgw-dst-vpc-account-id", Kind: kSkip},
	{Name: "tgw-src-vpc-id", Field: "vpc", Kind: kStr, Note: "transit gateway: the source VPC"},
	{Name: "tgw-dst-vpc-id", Kind: kSkip},
	{Name: "tgw-src-subnet-id", Kind: kSkip},
	{Name: "tgw-dst-subnet-id", Kind: kSkip},
	{Name: "tgw-src-eni", Kind: kSkip},
	{Name: "tgw-dst-eni", Kind: kSkip},
	{Name: "tgw-src-az-id", Kind: kSkip},
	{Name: "tgw-dst-az-id", Kind: kSkip},
	{Name: "tgw-pair-attachment-id", Kind: kSkip},
	{Name: "packets-lost-no-route", Kind: kSkip},
	{Name: "packets-lost-blackhole", Kind: kSkip},
	{Name: "packets-lost-mtu-exceeded", Kind: kSkip},
	{Name: "packets-lost-ttl-expired", Kind: kSkip},
}

// Files without a header are in one of the formats AWS writes by default,
// told apart by their number of fields (the version 2 fields open every
// VPC one, so action and log-status are always fields 13 and 14):
//   - the default format (version 2, 14 fields);
//   - "all fields" of a version: every VPC flow log field up to it, in the
//     order of columns (version 3: 21, 4: 25, 5: 29, 7 with the ECS fields:
//     39, 8 with reject-reason: 40);
//   - the transit gateway default format (version 6, 36 fields).
var (
	// v2 is the default format: the version 2 fields in this order.
	v2 = strings.Fields("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status")
	// tgw is the transit gateway flow log default format.
	tgw = strings.Fields(`version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id tgw-dst-vpc-account-id
		tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id
		tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes start end log-status type
		packets-lost-no-route packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired tcp-flags region
		flow-direction pkt-src-aws-service pkt-dst-aws-service`)
	// allFields are the "all fields" formats of versions 3 to 8, by
	// their number of fields.
	allFields = map[int][]string{}
)

// tgwStatus is the position of log-status in the transit gateway format.
const tgwStatus = 25

// maxDefault is the largest number of fields of a format without header.
var maxDefault = v2Len

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
	for _, n := range [...]int{21, 25, 29, 39, 40} {
		names := make([]string, n)
		for i := range names {
			names[i] = columns[i].Name
		}
		allFields[n] = names
		maxDefault = max(maxDefault, n)
	}
	maxDefault = max(maxDefault, len(tgw))
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
