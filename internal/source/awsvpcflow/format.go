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
	return "AWS VPC Flow Logs: text, default v2 format or custom formats named by the S3 header line; CloudWatch Logs exports and subscription payloads"
}

// DetectText implements source.TextFormat: the first line is a flow log
// header or a default-format record.
func (Format) DetectText(first []byte) bool {
	if headerNames(first) != nil {
		return true
	}
	var buf [v2Len + 2][]byte
	toks, n := split(first, buf[:0], len(buf))
	_, ok := defaultSkip(toks, n)
	return ok
}

// NewTextDecoder implements source.TextFormat. A file without a header is
// read in the default format.
func (Format) NewTextDecoder(first []byte) (source.TextDecoder, bool) {
	if names := headerNames(first); names != nil {
		return newDecoder(names, 0), true
	}
	return newDefaultDecoder(first), false
}

func newDefaultDecoder(first []byte) *decoder {
	var buf [v2Len + 2][]byte
	toks, n := split(first, buf[:0], len(buf))
	skip, _ := defaultSkip(toks, n)
	return newDecoder(v2, skip)
}

// Detect implements source.Format. Flow logs are text; the only JSON this
// format claims is a CloudWatch Logs subscription payload (the form Kinesis,
// Firehose and Lambda subscribers receive) whose messages are default-format
// flow records. JSON with flow log field names made by other tools (Panther's
// parsed records, OCSF) is not the vendor's format and is not detected.
func (Format) Detect(v *fastjson.Value) bool {
	if v.Get("logGroup") == nil {
		return false
	}
	msg := v.GetStringBytes("logEvents", "0", "message")
	if msg == nil {
		return false
	}
	var buf [v2Len + 2][]byte
	toks, n := split(msg, buf[:0], len(buf))
	_, ok := defaultSkip(toks, n)
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
	les := v.Get("logEvents")
	if les == nil {
		return source.Errorf("logEvents", "missing: aws-vpcflow reads flow log text, or CloudWatch Logs subscription payloads of it")
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
