package awsvpcflow

import (
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
)

// decoder reads the lines of one file in one flow log format. The header is
// resolved to columns once; lines are split in place and each token is
// handled by its column's kind, without map lookups or per-field allocation.
type decoder struct {
	names  []string  // the format's field names, for messages
	cols   []*column // by position; nil for a name this table does not know
	skip   int       // leading tokens before the record (a CloudWatch Logs export timestamp)
	status int       // position of log-status, or -1
	toks   [][]byte  // reused for every line
}

func newDecoder(names []string, skip int) *decoder {
	d := &decoder{names: names, cols: make([]*column, len(names)), skip: skip, status: -1}
	for i, n := range names {
		d.cols[i] = lookupColumn(n)
		if d.cols[i] != nil && d.cols[i].Kind == kLogStatus {
			d.status = i
		}
	}
	d.toks = make([][]byte, 0, len(names)+skip+1)
	return d
}

// split appends the space-separated tokens of line to toks, at most limit of
// them, and returns them with the total number of tokens.
func split(line []byte, toks [][]byte, limit int) ([][]byte, int) {
	n := 0
	for i := 0; i < len(line); {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i == len(line) {
			break
		}
		j := i
		for j < len(line) && !isSpace(line[j]) {
			j++
		}
		if n < limit {
			toks = append(toks, line[i:j])
		}
		n++
		i = j
	}
	return toks, n
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }

// atoi parses a non-negative decimal integer of at most 18 digits.
func atoi(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func isDash(b []byte) bool { return len(b) == 1 && b[0] == '-' }

// ParseLine implements source.TextDecoder.
func (d *decoder) ParseLine(r *source.Record, emit source.Emit) error {
	all, n := split(r.Text, d.toks[:0], len(d.cols)+d.skip)
	d.toks = all[:0]
	if n-d.skip != len(d.cols) {
		if d.rehead(r.Text) {
			return nil
		}
		return d.countError(n - d.skip)
	}
	toks := all[d.skip:]
	if len(toks) > 0 && string(toks[0]) == d.names[0] && d.rehead(r.Text) {
		return nil // a header repeated where delivery files were concatenated
	}
	if d.status >= 0 && string(toks[d.status]) == "NODATA" {
		// No traffic in the capture window: nothing happened, so no event.
		return nil
	}
	e := r.NewEvent(event.VendorAWS, Product)
	e.Dataset = event.NetworkTraffic
	e.EventName = EventName
	e.Status = event.StatusSuccess
	nf := e.N()
	start, end := int64(-1), int64(-1)
	var srcAddr, dstAddr, pktSrc, pktDst, resource []byte
	for i, tok := range toks {
		c := d.cols[i]
		if c == nil || isDash(tok) {
			continue
		}
		switch c.Kind {
		case kStr:
			c.field.Set(e, source.Intern(tok))
		case kInt, kStart, kEnd, kProtocol, kTCPFlags:
			v, ok := atoi(tok)
			if !ok {
				if d.rehead(r.Text) {
					return nil
				}
				return source.Errorf(c.Name, "%q is not a number", tok)
			}
			switch c.Kind {
			case kInt:
				c.field.SetNumber(e, float64(v))
			case kStart:
				start = v
			case kEnd:
				end = v
			case kProtocol:
				if v < int64(len(transports)) {
					nf.Transport = transports[v]
				} else {
					nf.Transport = strconv.FormatInt(v, 10)
				}
			case kTCPFlags:
				if v < int64(len(tcpFlagNames)) {
					nf.TCPFlag = tcpFlagNames[v]
				} else {
					nf.TCPFlag = strconv.FormatInt(v, 10)
				}
			}
		case kAction:
			switch string(tok) {
			case "ACCEPT":
				e.Action = "allowed"
			case "REJECT":
				e.Action = "blocked"
			default:
				e.Action = source.Intern(tok)
			}
		case kLogStatus:
			switch string(tok) {
			case "OK":
			case "SKIPDATA":
				// Flows were lost in this capture window: keep the gap visible.
				e.AddTag("skipdata")
				e.Status = event.StatusFailure
				e.Msg = "SKIPDATA: flow records were skipped in this capture window"
			default:
				e.AddTag(strings.ToLower(string(tok)))
			}
		case kDirection:
			switch string(tok) {
			case "ingress":
				nf.Direction = "inbound"
			case "egress":
				nf.Direction = "outbound"
			default:
				nf.Direction = source.Intern(tok)
			}
		case kSrcAddr:
			srcAddr = tok
		case kDstAddr:
			dstAddr = tok
		case kPktSrcAddr:
			pktSrc = tok
		case kPktDstAddr:
			pktDst = tok
		case kAccount:
			if string(tok) != "unknown" {
				e.Account = source.Intern(tok)
			}
		case kResource:
			resource = tok
		case kTag:
			e.AddTag(c.Name + ":" + string(tok))
		}
	}
	if pktSrc != nil {
		srcAddr = pktSrc
	}
	if pktDst != nil {
		dstAddr = pktDst
	}
	e.SrcIP = source.Intern(srcAddr)
	nf.DestIP = source.Intern(dstAddr)
	switch {
	case start >= 0:
		e.Time = time.Unix(start, 0).UTC()
		if end >= start {
			nf.Duration = end - start
		}
	case end >= 0:
		e.Time = time.Unix(end, 0).UTC()
	}
	if e.Dest == "" && resource != nil {
		e.Dest = source.Intern(resource)
	}
	emit(e)
	return nil
}

// rehead takes line as the new header when it is one, so that files of
// several deliveries concatenated together read right.
func (d *decoder) rehead(line []byte) bool {
	names := headerNames(line)
	if names == nil {
		return false
	}
	*d = *newDecoder(names, 0)
	return true
}

func (d *decoder) countError(n int) error {
	if n < len(d.cols) {
		return source.Errorf(d.names[n], "missing: the line has %d fields, the flow log format has %d (%s)", n, len(d.cols), strings.Join(d.names, " "))
	}
	return source.Errorf(d.names[len(d.names)-1], "the line has %d fields, the flow log format ends here after %d", n, len(d.cols))
}

// headerNames returns the field names of line when it is a flow log header:
// two or more names, at least half of them (and two) known fields. Unknown
// names — fields newer than this table — are allowed and ignored.
func headerNames(line []byte) []string {
	names := strings.Fields(string(line))
	if len(names) < 2 {
		return nil
	}
	known := 0
	for _, n := range names {
		if !isName(n) {
			return nil
		}
		if lookupColumn(n) != nil {
			known++
		}
	}
	if known < 2 || 2*known < len(names) {
		return nil
	}
	return names
}

// isName reports whether s can be a field name: letters, digits, - and _,
// starting with a letter, or wrapped in ${...} as in a format string.
func isName(s string) bool {
	if strings.HasPrefix(s, "${") && strings.HasSuffix(s, "}") {
		s = s[2 : len(s)-1]
	}
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && !(c >= '0' && c <= '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// defaultForm reports whether toks (n of them in all) are a record of a
// format AWS writes without a header, and returns that format's field
// names and how many leading tokens precede the record: 1 for the
// timestamp CloudWatch Logs exports put before each message.
func defaultForm(toks [][]byte, n int) (names []string, skip int, ok bool) {
	if n > 0 && len(toks) > 0 && isTimestamp(toks[0]) {
		toks, n, skip = toks[1:], n-1, 1
	}
	if n != len(toks) { // more tokens than any default format has
		return nil, 0, false
	}
	switch {
	case n == len(v2):
		names = v2
	case n == len(tgw):
		names = tgw
	default:
		names = allFields[n]
	}
	if names == nil {
		return nil, 0, false
	}
	if _, ok := atoi(toks[0]); !ok {
		return nil, 0, false
	}
	if n == len(tgw) && string(toks[1]) == "TransitGateway" {
		return names, skip, logStatus(toks[tgwStatus])
	}
	if n == len(tgw) {
		return nil, 0, false
	}
	switch string(toks[12]) {
	case "ACCEPT", "REJECT", "-":
	default:
		return nil, 0, false
	}
	return names, skip, logStatus(toks[13])
}

func logStatus(tok []byte) bool {
	switch string(tok) {
	case "OK", "NODATA", "SKIPDATA":
		return true
	}
	return false
}

// isTimestamp recognizes an RFC 3339 timestamp such as 2020-11-01T21:35:44.000Z.
func isTimestamp(b []byte) bool {
	return len(b) >= 19 && b[0] >= '0' && b[0] <= '9' && b[4] == '-' && b[10] == 'T' && b[13] == ':'
}
