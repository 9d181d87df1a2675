package inspector

import (
	"bytes"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
	"github.com/vigilsec/vigil/internal/source/aws"
)

// Name is the --format name.
const Name = "inspector"

// Product is the vendor_product of every event.
const Product = "Amazon Inspector"

// Format reads Amazon Inspector findings and events.
type Format struct{}

// New returns the Inspector format.
func New() source.Format { return Format{} }

// Name implements source.Format.
func (Format) Name() string { return Name }

// Doc implements source.Format.
func (Format) Doc() string {
	return "Amazon Inspector (v2): EventBridge finding, scan and coverage events; findings and ListFindings responses ({\"findings\":[...]})"
}

// Detect accepts EventBridge events from aws.inspector2, findings (a
// findingArn of the inspector2 service) and {"findings":[...]} lists of them.
func (Format) Detect(v *fastjson.Value) bool {
	if dt := v.GetStringBytes("detail-type"); dt != nil {
		return bytes.HasPrefix(dt, []byte("Inspector2 ")) && source.StrIs(v, "aws.inspector2", "source") && v.Get("detail") != nil
	}
	if isFinding(v) {
		return true
	}
	fs := v.Get("findings")
	return fs != nil && fs.Type() == fastjson.TypeArray && isFinding(fs.Get("0"))
}

// isFinding reports whether v is an Inspector v2 finding: every finding has
// an ARN arn:<partition>:inspector2:<region>:<account>:finding/<id>.
func isFinding(v *fastjson.Value) bool {
	arn := v.GetStringBytes("findingArn")
	return bytes.HasPrefix(arn, []byte("arn:")) && bytes.Contains(arn, []byte(":inspector2:"))
}

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
		emit(parseEvent(r, v, d, string(v.GetStringBytes("detail-type"))))
		return nil
	}
	if fs := v.Get("findings"); fs != nil && v.Get("findingArn") == nil {
		arr, err := fs.Array()
		if err != nil {
			return source.Errorf("findings", "is a %s, not an array", fs.Type())
		}
		var bad error
		n := 0
		for i, f := range arr {
			if f.Type() != fastjson.TypeObject {
				if bad == nil {
					bad = source.Errorf("findings", "element %d is a %s, not a finding object", i, f.Type())
				}
				continue
			}
			sub := *r
			sub.JSON, sub.Text = f, nil
			sub.Origin.Index = i
			emit(parseEvent(&sub, nil, f, findingEvent))
			n++
		}
		if n == 0 {
			return bad
		}
		return nil
	}
	emit(parseEvent(r, nil, v, findingEvent))
	return nil
}

// parseEvent maps one event: env is the EventBridge envelope (nil for a
// bare finding) and d its detail, or the finding.
func parseEvent(r *source.Record, env, d *fastjson.Value, detailType string) *event.Event {
	e := r.NewEvent(event.VendorAWS, Product)
	if env != nil {
		envelope.Apply(env, e)
	}
	sub := string(d.GetStringBytes("status"))
	if sub == "" {
		sub = string(d.GetStringBytes("scanStatus", "statusCodeValue"))
	}
	en, action, ok := ops.Lookup(detailType, sub)
	e.Dataset, e.Action = event.Security, action
	if ok {
		e.Dataset = en.Dataset
		if en.Fields != nil {
			en.Fields.Apply(d, e)
		}
	}
	if detailType == findingEvent {
		typ := string(d.GetStringBytes("resources", "0", "type"))
		for _, rt := range resourceTypes {
			if rt.Type == typ {
				rt.Fields.Apply(d, e)
			}
		}
	}
	if counts := d.Get("finding-severity-counts"); counts != nil {
		aws.SummarizeSeverityCounts(e, counts)
	}
	if e.Region == "" {
		e.Region = aws.Region(string(d.GetStringBytes("findingArn")))
	}
	aws.CompleteECRImage(e)
	return e
}

// Mappings implements source.Format.
func (Format) Mappings() []source.Mapping {
	m := envelope.Mappings()
	m = append(m,
		source.Mapping{Field: "dataset", Source: "detail-type (findings: Inspector2 Finding) and status, by the event table"},
		source.Mapping{Field: "action", Source: "detail-type and status, by the event table (found, suppressed, closed, scan, enable, disable)"},
		source.Mapping{Field: "region", Source: "the region in findingArn, when nothing else gives it"},
		source.Mapping{Field: "severity", Source: "detail.finding-severity-counts: the highest severity with findings (Inspector2 Scan)"},
		source.Mapping{Field: "msg", Source: "detail.finding-severity-counts: the counts (Inspector2 Scan)"},
		source.Mapping{Field: "registry", Source: "registry account + .dkr.ecr.<region>.amazonaws.com"},
		source.Mapping{Field: "image", Source: "registry/repository@image_digest, or :tag without a digest"},
	)
	seen := map[string]bool{} // rows of one detail type share their fields
	for _, op := range ops.Rows() {
		if seen[op.Service] || len(op.Fields) == 0 {
			continue
		}
		seen[op.Service] = true
		for _, f := range op.Fields.Compile().Mappings() {
			m = append(m, source.Mapping{Field: f.Field, Source: f.Source + " — " + op.Service})
		}
	}
	for _, rt := range resourceTypes {
		for _, f := range rt.Fields.Mappings() {
			m = append(m, source.Mapping{Field: f.Field, Source: f.Source + " — resource type " + rt.Type})
		}
	}
	return m
}
