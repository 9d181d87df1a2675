package source

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/event"
)

// Transform turns a vendor value into a data model value. Name describes it
// in the data model document.
type Transform struct {
	Name string
	Fn   func(string) string
}

// Map says which vendor path feeds one data model field. From holds one path
// or several alternatives separated by " | "; the first present wins. A path
// is dot-separated object keys; a numeric segment indexes an array.
type Map struct {
	Field string
	From  string
	Via   *Transform
	// Const sets a fixed value instead of reading a path.
	Const string
}

// Spec is a list of Maps, compiled once with Compile.
type Spec []Map

// Compiled is a Spec ready to apply.
type Compiled struct {
	maps []compiledMap
	fold bool
}

type compiledMap struct {
	field *event.Field
	paths [][]string
	via   *Transform
	konst string
	doc   string
}

// Compile resolves field names and splits paths. It panics on an unknown
// field: specs are package-level tables, so a typo fails at start-up and in
// every test.
func (s Spec) Compile() *Compiled {
	c := &Compiled{maps: make([]compiledMap, 0, len(s))}
	for _, m := range s {
		f := event.Lookup(m.Field)
		if f == nil {
			panic("source: spec names unknown data model field " + strconv.Quote(m.Field))
		}
		cm := compiledMap{field: f, via: m.Via, konst: m.Const}
		if m.From != "" {
			for _, alt := range strings.Split(m.From, "|") {
				cm.paths = append(cm.paths, strings.Split(strings.TrimSpace(alt), "."))
			}
		}
		cm.doc = m.From
		if m.Const != "" {
			cm.doc = strconv.Quote(m.Const)
		}
		if m.Via != nil {
			cm.doc += " (" + m.Via.Name + ")"
		}
		c.maps = append(c.maps, cm)
	}
	return c
}

// CompileFold is Compile for sources whose key case varies between
// exporters: a path not found as written is looked up ignoring case.
func (s Spec) CompileFold() *Compiled {
	c := s.Compile()
	c.fold = true
	return c
}

// GetFold is fastjson's Get with object keys compared case-insensitively.
func GetFold(v *fastjson.Value, path ...string) *fastjson.Value {
	for _, k := range path {
		if v == nil {
			return nil
		}
		switch v.Type() {
		case fastjson.TypeObject:
			o, _ := v.Object()
			x := o.Get(k)
			if x == nil {
				o.Visit(func(key []byte, val *fastjson.Value) {
					if x == nil && strings.EqualFold(string(key), k) {
						x = val
					}
				})
			}
			v = x
		case fastjson.TypeArray:
			v = v.Get(k)
		default:
			return nil
		}
	}
	return v
}

// Apply copies every mapped value present in v onto e.
func (c *Compiled) Apply(v *fastjson.Value, e *event.Event) { c.apply(v, e, c.fold) }

// ApplyFold is Apply looking each path not found as written up ignoring
// key case, for a record whose exporter changed its keys' case.
func (c *Compiled) ApplyFold(v *fastjson.Value, e *event.Event) { c.apply(v, e, true) }

func (c *Compiled) apply(v *fastjson.Value, e *event.Event, fold bool) {
	for i := range c.maps {
		m := &c.maps[i]
		if m.konst != "" {
			m.field.Set(e, m.konst)
			continue
		}
		for _, p := range m.paths {
			x := v.Get(p...)
			if x == nil && fold {
				x = GetFold(v, p...)
			}
			if x == nil {
				continue
			}
			var s string
			if m.field.Repeats && x.Type() == fastjson.TypeString {
				b, _ := x.StringBytes()
				s = Intern(b)
			} else {
				s = Text(x)
			}
			if s == "" {
				continue
			}
			if m.via != nil {
				s = m.via.Fn(s)
				if s == "" {
					continue
				}
			}
			m.field.Set(e, s)
			break
		}
	}
}

// Mappings describes the compiled spec for the data model document.
func (c *Compiled) Mappings() []Mapping {
	out := make([]Mapping, 0, len(c.maps))
	for _, m := range c.maps {
		out = append(out, Mapping{Field: m.field.Name, Source: m.doc})
	}
	return out
}

// Text renders a JSON value as the string the data model stores: strings as
// they are, numbers and booleans as their literal text, null as "", objects
// and arrays as compact JSON.
func Text(v *fastjson.Value) string {
	if v == nil {
		return ""
	}
	switch v.Type() {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return string(b)
	case fastjson.TypeNull:
		return ""
	case fastjson.TypeTrue:
		return "true"
	case fastjson.TypeFalse:
		return "false"
	}
	return string(v.MarshalTo(nil))
}

// Str returns the string at path, or "" when it is absent or not a string
// (numbers and booleans are rendered as text).
func Str(v *fastjson.Value, path ...string) string {
	return Text(v.Get(path...))
}

// Has reports whether v has a non-null value at path.
func Has(v *fastjson.Value, path ...string) bool {
	x := v.Get(path...)
	return x != nil && x.Type() != fastjson.TypeNull
}

// StrIs reports whether the string at path equals want, without allocating.
func StrIs(v *fastjson.Value, want string, path ...string) bool {
	x := v.Get(path...)
	if x == nil || x.Type() != fastjson.TypeString {
		return false
	}
	b, _ := x.StringBytes()
	return string(b) == want
}

// LooksLikeIP reports whether s is an IPv4 or IPv6 address, cheaply and
// without allocating (service names such as ec2.amazonaws.com are not).
func LooksLikeIP(s string) bool {
	if len(s) < 2 || len(s) > 45 {
		return false
	}
	if strings.IndexByte(s, ':') >= 0 {
		_, err := netip.ParseAddr(s)
		return err == nil
	}
	dots, digits := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			if digits == 0 {
				return false
			}
			dots++
			digits = 0
		case c >= '0' && c <= '9':
			digits++
			if digits > 3 {
				return false
			}
		default:
			return false
		}
	}
	return dots == 3 && digits > 0
}
