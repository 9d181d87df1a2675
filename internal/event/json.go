package event

import (
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends e as one flat JSON object, fields in model order,
// leaving out unset fields. The raw record is included as "raw" when
// withRaw is set and the event carries it.
func AppendJSON(b []byte, e *Event, withRaw bool) []byte {
	b = append(b, '{')
	first := true
	for _, f := range Fields {
		if !f.IsSet(e) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, f.Name...)
		b = append(b, '"', ':')
		switch f.Kind {
		case KindInt, KindFloat:
			b = append(b, f.String(e)...)
		case KindList:
			b = append(b, '[')
			for i, t := range e.Tags {
				if i > 0 {
					b = append(b, ',')
				}
				b = AppendString(b, t)
			}
			b = append(b, ']')
		default:
			b = AppendString(b, f.String(e))
		}
	}
	if withRaw && len(e.Raw) > 0 {
		if !first {
			b = append(b, ',')
		}
		b = append(b, `"raw":`...)
		b = append(b, e.Raw...)
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string, escaping as encoding/json does
// (without HTML escaping) and replacing invalid UTF-8.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = strconv.AppendInt(b, int64(r&0xf), 16)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
