package awsvpcflow

import (
	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
)

// Name is the --format name.
const Name = "aws-vpcflow"

// Product and EventName are stamped on every event.
const (
	Product   = "AWS VPC Flow Logs"
	EventName = "vpc-flow"
)

// Format reads VPC flow logs.
type Format struct{}

// New returns the VPC flow log format.
func New() source.Format { return Format{} }

// Name implements source.Format.
func (Format) Name() string { return Name }

// Doc implements source.Format.
func (Format) Doc() string {
	return "AWS VPC and transit gateway flow logs: text with the S3 header line naming the fields, or without one in a default format told by the number of fields (version 2 default, all fields of versions 3 to 8 with ECS, transit gateway default); CloudWatch Logs exports and subscription payloads, {\"message\": \"<record>\"} objects"
}

// DetectText implements source.TextFormat: the first line is a flow log
// header or a record of a format AWS writes without one.
func (Format) DetectText(first []byte) bool {
	if headerNames(first) != nil {
		return true
	}
	_, _, ok := formOf(first)
	return ok
}

// formOf splits line and finds its headerless format.
func formOf(line []byte) (names []string, skip int, ok bool) {
	var buf [maxFields + 2][]byte
	toks, n := split(line, buf[:0], len(buf))
	return defaultForm(toks, n)
}

// maxFields bounds the fields of a headerless format (maxDefault, checked
// at start).
const maxFields = 48

func init() {
	if maxDefault > maxFields {
		panic("awsvpcflow: maxFields is below the largest default format")
	}
}

// NewTextDecoder implements source.TextFormat. A file without a header is
// read in the default format its first line's number of fields names.
func (Format) NewTextDecoder(first []byte) (source.TextDecoder, bool) {
	if names := headerNames(first); names != nil {
		return newDecoder(names, 0), true
	}
	return newDefaultDecoder(first), false
}

func newDefaultDecoder(first []byte) *decoder {
	names, skip, ok := formOf(first)
	if !ok {
		names, skip = v2, 0
		var buf [v2Len + 2][]byte
		if toks, n := split(first, buf[:0], len(buf)); n == v2Len+1 && isTimestamp(toks[0]) {
			skip = 1
		}
	}
	return newDecoder(names, skip)
}

// message returns the flow record a JSON record wraps: logEvents[0].message
// of a CloudWatch Logs subscription payload (with logGroup), events[0].message
// of a filter-log-events answer, or message, as CloudWatch Logs and
// Firehose exports write one record per object.
func message(v *fastjson.Value) []byte {
	if msg := v.GetStringBytes("message"); msg != nil {
		return msg
	}
	if v.Get("logGroup") != nil {
		return v.GetStringBytes("logEvents", "0", "message")
	}
	return v.GetStringBytes("events", "0", "message")
}

// Detect implements source.Format. Flow logs are text; the JSON this format
// claims wraps flow records of a default format: CloudWatch Logs
// subscription payloads (the form Kinesis, Firehose and Lambda subscribers
// receive), filter-log-events answers, and {"message": "<record>"} objects
// of CloudWatch Logs and Firehose exports. JSON with flow log field names
// made by other tools (Panther's parsed records, OCSF) is not the vendor's
// format and is not detected.
func (Format) Detect(v *fastjson.Value) bool {
	msg := message(v)
	if msg == nil {
		return false
	}
	_, _, ok := formOf(msg)
	return ok
}

// Parse implements source.Format for JSON records (CloudWatch Logs
// subscription payloads: one event per flow record in logEvents) and for a
// bare text line handed over without a decoder (read in the default format).
func (Format) Parse(r *source.Record, emit source.Emit) error {
	v := r.JSON
	if v == nil {
		return newDefaultDecoder(r.Text).ParseLine(r, emit)
	}
	if v.Type() != fastjson.TypeObject {
		return source.ErrNotObject
	}
	if source.StrIs(v, "CONTROL_MESSAGE", "messageType") {
		return nil // a health check from CloudWatch Logs, no log data
	}
	if msg := v.GetStringBytes("message"); msg != nil {
		sub := &source.Record{Text: msg, Origin: r.Origin, KeepRaw: r.KeepRaw}
		return newDefaultDecoder(msg).ParseLine(sub, emit)
	}
	les := v.Get("logEvents")
	if les == nil {
		les = v.Get("events")
	}
	if les == nil {
		return source.Errorf("logEvents", "missing: aws-vpcflow reads flow log text, CloudWatch Logs subscription payloads or exports of it, or {\"message\": \"<record>\"}")
	}
	arr, err := les.Array()
	if err != nil {
		return source.Errorf("logEvents", "is a %s, not an array", les.Type())
	}
	var d *decoder
	var first error
	n := 0
	count := func(e *event.Event) { n++; emit(e) }
	for i, le := range arr {
		msg := le.GetStringBytes("message")
		if msg == nil {
			if first == nil {
				first = source.Errorf("logEvents.message", "log event %d has no message string", i)
			}
			continue
		}
		if d == nil {
			d = newDefaultDecoder(msg)
		}
		sub := &source.Record{Text: msg, Origin: r.Origin, KeepRaw: r.KeepRaw}
		sub.Origin.Index = i
		if err := d.ParseLine(sub, count); err != nil && first == nil {
			first = err
		}
	}
	if n == 0 {
		return first
	}
	return nil
}

// Mappings implements source.Format.
func (Format) Mappings() []source.Mapping {
	m := []source.Mapping{
		{Field: "dataset", Source: `"Network_Traffic"`},
		{Field: "event_name", Source: `"vpc-flow"`},
		{Field: "status", Source: `"success"; failure for SKIPDATA records`},
	}
	for _, c := range columns {
		if c.Field == "" {
			continue
		}
		src := c.Name
		if c.Note != "" {
			src += " (" + c.Note + ")"
		}
		m = append(m, source.Mapping{Field: c.Field, Source: src})
	}
	return m
}
