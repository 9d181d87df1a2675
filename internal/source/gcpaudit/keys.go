package gcpaudit

import (
	"sync"

	"github.com/valyala/fastjson"
)

// Some exporters write a LogEntry's own keys in lower case (protopayload,
// insertid, receivetimestamp: Panther's GCP.AuditLog schema, data lakes
// loaded from BigQuery) and the AuditLog's "@type" as "at_sign_type", while
// the keys inside the payload keep their case. Such an entry is given back
// Cloud Logging's spelling before rules read its fields.

// entryKeys are the LogEntry keys, by their lower-case form.
var entryKeys = map[string]string{
	"protopayload": "protoPayload", "insertid": "insertId", "logname": "logName",
	"receivetimestamp": "receiveTimestamp", "jsonpayload": "jsonPayload", "textpayload": "textPayload",
	"httprequest": "httpRequest", "sourcelocation": "sourceLocation", "spanid": "spanId",
	"tracesampled": "traceSampled",
}

// arenas hold the rewritten entries while their events are emitted.
var arenas = sync.Pool{New: func() any { return new(fastjson.Arena) }}

// lowerCaseEntry reports an entry written with a lower-case protopayload.
func lowerCaseEntry(v *fastjson.Value) bool {
	return v.Get("protoPayload") == nil && v.Get("protopayload") != nil
}

// canonicalEntry returns a copy of the entry v, built in a, with its keys
// and its payload's @type spelled as Cloud Logging does.
func canonicalEntry(a *fastjson.Arena, v *fastjson.Value) *fastjson.Value {
	o, _ := v.Object()
	out := a.NewObject()
	o.Visit(func(k []byte, x *fastjson.Value) {
		key, ok := entryKeys[string(k)]
		if !ok {
			key = string(k)
		}
		if key == "protoPayload" && x.Type() == fastjson.TypeObject && x.Get("at_sign_type") != nil && x.Get("@type") == nil {
			p, _ := x.Object()
			np := a.NewObject()
			p.Visit(func(pk []byte, px *fastjson.Value) {
				if string(pk) == "at_sign_type" {
					np.Set("@type", px)
					return
				}
				np.Set(string(pk), px)
			})
			x = np
		}
		out.Set(key, x)
	})
	return out
}
