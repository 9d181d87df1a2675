package detect

import (
	"strconv"
	"strings"
	"unsafe"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sigma"
)

// Doc is what compiled rules read: one event, and scratch space reused
// from event to event so that reading fields does not allocate.
type Doc struct {
	E *event.Event

	buf      []byte        // number text, keyword text
	list     []sigma.Value // elements of list values
	keywords []byte        // the record's text, once per event
	kwDone   bool

	// Vendor field reads are cached for the event: many rules read the
	// same fields (eventName, userIdentity.type...). stamp[i] == gen marks
	// vals[i] as read for this event.
	gen   uint32
	stamp []uint32
	vals  []sigma.Value
}

// size makes room for n cached fields.
func (d *Doc) size(n int) {
	if len(d.stamp) < n {
		d.stamp = append(d.stamp, make([]uint32, n-len(d.stamp))...)
		d.vals = append(d.vals, make([]sigma.Value, n-len(d.vals))...)
	}
}

func (d *Doc) reset(e *event.Event) {
	d.gen++
	if d.gen == 0 { // wrapped: forget every stamp
		clear(d.stamp)
		d.gen = 1
	}
	d.E = e
	d.buf = d.buf[:0]
	d.list = d.list[:0]
	d.keywords = d.keywords[:0]
	d.kwDone = false
}

// str views b as a string without copying; the Value is valid only during
// the match, as sigma.Getter documents.
func str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// modelResolver resolves data-model field names (vigil's logsource).
type modelResolver struct{}

func (modelResolver) Field(name string) (sigma.Getter[*Doc], error) {
	f := event.Lookup(name)
	if f == nil {
		return nil, &fieldError{name: name, why: "is not a field of vigil's data model (see `vigil datamodel`)"}
	}
	if f.Name == "tags" {
		return func(d *Doc) sigma.Value {
			if len(d.E.Tags) == 0 {
				return sigma.Value{}
			}
			start := len(d.list)
			for _, t := range d.E.Tags {
				d.list = append(d.list, sigma.Value{Kind: sigma.String, S: t})
			}
			return sigma.Value{Kind: sigma.List, L: d.list[start:len(d.list):len(d.list)]}
		}, nil
	}
	if f.Kind == event.KindInt || f.Kind == event.KindFloat {
		return func(d *Doc) sigma.Value {
			n, ok := f.Number(d.E)
			if !ok {
				return sigma.Value{}
			}
			start := len(d.buf)
			d.buf = strconv.AppendFloat(d.buf, n, 'f', -1, 64)
			return sigma.Value{Kind: sigma.Number, N: n, S: str(d.buf[start:])}
		}, nil
	}
	if f.Kind == event.KindString {
		// Set when not empty: one read.
		return func(d *Doc) sigma.Value {
			if s := f.String(d.E); s != "" {
				return sigma.Value{Kind: sigma.String, S: s}
			}
			return sigma.Value{}
		}, nil
	}
	return func(d *Doc) sigma.Value {
		if !f.IsSet(d.E) {
			return sigma.Value{}
		}
		return sigma.Value{Kind: sigma.String, S: f.String(d.E)}
	}, nil
}

// Keywords for the data model match the event's message and name.
func (modelResolver) Keywords() (sigma.Getter[*Doc], error) {
	return func(d *Doc) sigma.Value {
		return sigma.Value{Kind: sigma.String, S: keywordText(d)}
	}, nil
}

// keywordText is the text keyword searches look through: the vendor
// record as JSON when there is one, else the event's name and message.
func keywordText(d *Doc) string {
	if !d.kwDone {
		d.kwDone = true
		if d.E.Record != nil {
			d.keywords = d.E.Record.MarshalTo(d.keywords[:0])
		} else {
			d.keywords = append(append(append(d.keywords[:0], d.E.EventName...), ' '), d.E.Msg...)
		}
	}
	return str(d.keywords)
}

// slots numbers the vendor fields rules read, per logsource, so that each
// is read once per event however many rules test it.
type slots struct {
	n  int
	by map[string]int
}

func (s *slots) slot(key string) int {
	if s.by == nil {
		s.by = map[string]int{}
	}
	i, ok := s.by[key]
	if !ok {
		i = s.n
		s.by[key] = i
		s.n++
	}
	return i
}

// cached wraps a getter so that its value is read once per event.
func cached(slot int, get sigma.Getter[*Doc]) sigma.Getter[*Doc] {
	return func(d *Doc) sigma.Value {
		if slot >= len(d.stamp) { // a Doc sized before this field existed
			d.size(slot + 1)
		}
		if d.stamp[slot] == d.gen {
			return d.vals[slot]
		}
		v := get(d)
		d.stamp[slot], d.vals[slot] = d.gen, v
		return v
	}
}

// vendorResolver resolves field names against the vendor record, through
// the logsource's aliases.
type vendorResolver struct {
	src   *source
	slots *slots
}

func (r vendorResolver) Field(name string) (sigma.Getter[*Doc], error) {
	if name == "" {
		return nil, &fieldError{name: name, why: "is empty"}
	}
	plain := splitPath(name)
	var byProduct map[string][]string
	for product, m := range r.src.aliases {
		if p, ok := m[name]; ok {
			if byProduct == nil {
				byProduct = map[string][]string{}
			}
			byProduct[product] = splitPath(p)
		}
	}
	slot := r.slots.slot(r.src.key + "\x00" + name)
	if c, ok := r.src.copies[name]; ok && byProduct == nil {
		return copiedField(c, cached(slot, func(d *Doc) sigma.Value { return d.path(plain) })), nil
	}
	if byProduct == nil {
		return cached(slot, func(d *Doc) sigma.Value { return d.path(plain) }), nil
	}
	any, hasAny := byProduct[""]
	return cached(slot, func(d *Doc) sigma.Value {
		if p, ok := byProduct[d.E.VendorProduct]; ok {
			return d.path(p)
		}
		if hasAny {
			if v := d.path(any); v.Kind != sigma.Absent {
				return v
			}
		}
		return d.path(plain)
	}), nil
}

// copiedText returns the data-model text field a vendor field of src is
// read from when the event has it (see copiedField): a field the format
// copies as it is, without a condition, and not aliased. Else nil.
func copiedText(src *source, name string) *event.Field {
	c, ok := src.copies[name]
	if !ok || c.absentUnless != nil {
		return nil
	}
	for _, m := range src.aliases {
		if _, ok := m[name]; ok {
			return nil
		}
	}
	return event.Lookup(c.field)
}

// copiedField reads a vendor field the format copied into the event (see
// source.copies), falling back to the record through raw.
func copiedField(c copied, raw sigma.Getter[*Doc]) sigma.Getter[*Doc] {
	if c.absentUnless != nil {
		return func(d *Doc) sigma.Value {
			if !c.absentUnless(d.E) {
				return sigma.Value{}
			}
			return raw(d)
		}
	}
	f := event.Lookup(c.field)
	if f == nil || f.Kind != event.KindString {
		panic("detect: copied vendor field maps to " + c.field + ", not a text field of the data model")
	}
	return func(d *Doc) sigma.Value {
		if s := f.String(d.E); s != "" {
			return sigma.Value{Kind: sigma.String, S: s}
		}
		return raw(d)
	}
}

func (vendorResolver) Keywords() (sigma.Getter[*Doc], error) {
	return func(d *Doc) sigma.Value {
		return sigma.Value{Kind: sigma.String, S: keywordText(d)}
	}, nil
}

func splitPath(p string) []string { return strings.Split(p, ".") }

// path reads a dotted path from the vendor record. Arrays met on the way
// fan out: the result lists every value found.
func (d *Doc) path(keys []string) sigma.Value {
	if d.E.Record == nil {
		return sigma.Value{}
	}
	v := d.E.Record
	for i, k := range keys {
		switch v.Type() {
		case fastjson.TypeObject:
			o, _ := v.Object()
			if v = o.Get(k); v == nil {
				return sigma.Value{}
			}
		case fastjson.TypeArray:
			return d.fanOut(v, keys[i:])
		default:
			return sigma.Value{}
		}
	}
	return d.value(v)
}

func (d *Doc) fanOut(arr *fastjson.Value, keys []string) sigma.Value {
	elems, _ := arr.Array()
	start := len(d.list)
	var walk func(v *fastjson.Value, keys []string)
	walk = func(v *fastjson.Value, keys []string) {
		for len(keys) > 0 {
			switch v.Type() {
			case fastjson.TypeArray:
				if _, err := strconv.Atoi(keys[0]); err == nil {
					v = v.Get(keys[0])
					keys = keys[1:]
					if v == nil {
						return
					}
					continue
				}
				a, _ := v.Array()
				for _, x := range a {
					walk(x, keys)
				}
				return
			case fastjson.TypeObject:
				v = v.Get(keys[0])
				keys = keys[1:]
				if v == nil {
					return
				}
			default:
				return
			}
		}
		x := d.value(v)
		if x.Kind == sigma.List {
			d.list = append(d.list, x.L...)
		} else {
			d.list = append(d.list, x)
		}
	}
	for _, x := range elems {
		walk(x, keys)
	}
	if len(d.list) == start {
		return sigma.Value{}
	}
	return sigma.Value{Kind: sigma.List, L: d.list[start:len(d.list):len(d.list)]}
}

// value converts a JSON value. Strings are viewed, not copied; objects
// are their JSON text.
func (d *Doc) value(v *fastjson.Value) sigma.Value {
	switch v.Type() {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return sigma.Value{Kind: sigma.String, S: str(b)}
	case fastjson.TypeNumber:
		start := len(d.buf)
		d.buf = v.MarshalTo(d.buf)
		n, _ := v.Float64()
		return sigma.Value{Kind: sigma.Number, N: n, S: str(d.buf[start:])}
	case fastjson.TypeTrue:
		return sigma.Value{Kind: sigma.Bool, S: "true"}
	case fastjson.TypeFalse:
		return sigma.Value{Kind: sigma.Bool, S: "false"}
	case fastjson.TypeNull:
		return sigma.Value{Kind: sigma.Null}
	case fastjson.TypeArray:
		a, _ := v.Array()
		start := len(d.list)
		for _, x := range a {
			if x.Type() == fastjson.TypeArray { // nested arrays stay JSON text
				b := len(d.buf)
				d.buf = x.MarshalTo(d.buf)
				d.list = append(d.list, sigma.Value{Kind: sigma.String, S: str(d.buf[b:])})
				continue
			}
			d.list = append(d.list, d.value(x))
		}
		return sigma.Value{Kind: sigma.List, L: d.list[start:len(d.list):len(d.list)]}
	}
	start := len(d.buf)
	d.buf = v.MarshalTo(d.buf)
	return sigma.Value{Kind: sigma.String, S: str(d.buf[start:])}
}

type fieldError struct{ name, why string }

func (e *fieldError) Error() string { return "field " + strconv.Quote(e.name) + " " + e.why }
