package ocsf

import (
	"math"
	"strconv"

	"github.com/vigilsec/vigil/internal/event"
)

// jw builds JSON by appending to a byte slice. A comma goes before a key or
// an array element unless the previous byte opened a container, so callers
// never track "first". Optional objects and arrays are opened with open or
// openArr and closed with close, which drops them again when nothing was
// written inside.
type jw struct{ b []byte }

func (j *jw) sep() {
	if n := len(j.b); n > 0 && j.b[n-1] != '{' && j.b[n-1] != '[' {
		j.b = append(j.b, ',')
	}
}

// key writes "k": (keys are package constants or data model field names,
// which need no escaping).
func (j *jw) key(k string) {
	j.sep()
	j.b = append(j.b, '"')
	j.b = append(j.b, k...)
	j.b = append(j.b, '"', ':')
}

// str writes a string member; an empty value is left out.
func (j *jw) str(k, v string) {
	if v != "" {
		j.key(k)
		j.b = event.AppendString(j.b, v)
	}
}

func (j *jw) int(k string, v int64) {
	j.key(k)
	j.b = strconv.AppendInt(j.b, v, 10)
}

// float writes a number member; NaN and infinities, which JSON cannot
// hold, are left out.
func (j *jw) float(k string, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	j.key(k)
	j.b = strconv.AppendFloat(j.b, v, 'f', -1, 64)
}

func (j *jw) bool(k string, v bool) {
	j.key(k)
	j.b = strconv.AppendBool(j.b, v)
}

// open starts member k as an object and returns the mark close needs.
func (j *jw) open(k string) int {
	m := len(j.b)
	j.key(k)
	j.b = append(j.b, '{')
	return m
}

// openArr starts member k as an array.
func (j *jw) openArr(k string) int {
	m := len(j.b)
	j.key(k)
	j.b = append(j.b, '[')
	return m
}

// elem starts an object element of the current array.
func (j *jw) elem() int {
	m := len(j.b)
	j.sep()
	j.b = append(j.b, '{')
	return m
}

// strElem writes a string element of the current array.
func (j *jw) strElem(v string) {
	j.sep()
	j.b = event.AppendString(j.b, v)
}

// close ends the object opened (by open or elem) at mark m. An empty one
// is removed again with its key and comma; close reports whether it was
// kept.
func (j *jw) close(m int) bool { return j.end(m, '{', '}') }

// closeArr ends the array opened at mark m, like close.
func (j *jw) closeArr(m int) bool { return j.end(m, '[', ']') }

func (j *jw) end(m int, open, closing byte) bool {
	if j.b[len(j.b)-1] == open {
		j.b = j.b[:m]
		return false
	}
	j.b = append(j.b, closing)
	return true
}
