package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"unicode/utf8"
)

// O is a JSON object whose keys are written in the order given, as AWS
// writes CloudTrail records.
type O []KV

// KV is one member of an O.
type KV struct {
	K string
	V any
}

// obj builds an O from alternating keys and values.
func obj(kv ...any) O {
	if len(kv)%2 != 0 {
		panic("obj: odd number of arguments")
	}
	o := make(O, 0, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		o = append(o, KV{kv[i].(string), kv[i+1]})
	}
	return o
}

// M is a JSON object written with sorted keys, as Google's log exporters
// and gcloud write theirs.
type M map[string]any

// A is a JSON array.
type A []any

// raw is JSON text written as is.
type raw string

// compact returns v as compact JSON without HTML escaping.
func compact(v any) []byte { return appendJSON(nil, v) }

// indent returns v as JSON indented with the given unit.
func indent(v any, unit string) []byte {
	var b bytes.Buffer
	if err := json.Indent(&b, compact(v), "", unit); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func appendJSON(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case O:
		b = append(b, '{')
		for i, kv := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, kv.K)
			b = append(b, ':')
			b = appendJSON(b, kv.V)
		}
		return append(b, '}')
	case M:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendJSON(b, x[k])
		}
		return append(b, '}')
	case A:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, e)
		}
		return append(b, ']')
	case []string:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, e)
		}
		return append(b, ']')
	case string:
		return appendString(b, x)
	case raw:
		return append(b, x...)
	case bool:
		return strconv.AppendBool(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case float64:
		return strconv.AppendFloat(b, x, 'f', -1, 64)
	}
	panic(fmt.Sprintf("appendJSON: unsupported %T", v))
}

// appendString writes s as a JSON string. Unlike encoding/json it leaves
// <, > and & alone, as the cloud services do.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == '\u2028' || r == '\u2029' {
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}
