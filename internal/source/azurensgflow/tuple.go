package azurensgflow

// Flow tuples are comma-separated strings. The first seven fields are the
// same in both layouts:
//
//	timestamp, source IP, destination IP, source port, destination port,
//	protocol, direction
//
// NSG flow logs then have the decision (A allowed, D denied) and, in
// version 2, the flow state (B begin, C continuing, E end) and four
// counters: packets and bytes source→destination, packets and bytes
// destination→source (empty on B). VNet flow logs have the flow state (B,
// C, E, or D for a denied flow), the encryption state (X, NX, NX_...) and
// the same four counters; their protocol is the IANA number and their
// timestamp is in milliseconds.

// Field positions common to both layouts.
const (
	fTime = iota
	fSrcIP
	fDestIP
	fSrcPort
	fDestPort
	fProto
	fDirection
	minFields // a tuple must have at least these
)

// maxFields is the longest tuple read; fields past it are ignored.
const maxFields = 13

// layout says where a tuple format keeps the fields after the first seven
// (-1: not present).
type layout struct {
	decision   int
	state      int
	encryption int
	counters   int // packets s→d, bytes s→d, packets d→s, bytes d→s
}

var (
	nsgLayout  = layout{decision: 7, state: 8, encryption: -1, counters: 9}
	vnetLayout = layout{decision: -1, state: 7, encryption: 8, counters: 9}
)

// Vendor codes and the data model values they map to.
var (
	transports = map[string]string{"T": "tcp", "U": "udp", "6": "tcp", "17": "udp", "1": "icmp"}
	directions = map[string]string{"I": "inbound", "O": "outbound"}
	decisions  = map[string]string{"A": "allowed", "D": "blocked"}
	// stateTags are the tags of a flow state; each slice is shared by
	// every event with that state, capped so that appending copies it.
	stateTags = map[string][]string{
		"B": capped("begin"), "C": capped("continuing"), "E": capped("end"), "D": capped("denied"),
	}
)

func capped(tags ...string) []string { return tags[:len(tags):len(tags)] }

// tuple is a flow tuple split at its commas; the fields point into the
// tuple's bytes.
type tuple struct {
	f [maxFields][]byte
	n int
}

// split splits s at commas into t without allocating.
func (t *tuple) split(s []byte) {
	t.n = 0
	start := 0
	for i := 0; i <= len(s) && t.n < maxFields; i++ {
		if i == len(s) || s[i] == ',' {
			t.f[t.n] = s[start:i]
			t.n++
			start = i + 1
		}
	}
}

// field returns field i, or nil when the tuple is shorter (or i is -1).
func (t *tuple) field(i int) []byte {
	if i < 0 || i >= t.n {
		return nil
	}
	return t.f[i]
}

// number parses a non-negative decimal; ok is false for an empty or
// malformed field or one that overflows.
func number(b []byte) (n int64, ok bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
