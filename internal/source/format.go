package source

import (
	"fmt"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/event"
)

// Record is one input record handed to a format: a parsed JSON value, or a
// line of text for line-oriented formats.
type Record struct {
	JSON   *fastjson.Value // nil for text records
	Text   []byte          // the record's bytes: the text line, or the JSON text when known
	Origin event.Origin
	// KeepRaw asks the format to set Event.Raw to the record's JSON text.
	KeepRaw bool
}

// Raw returns the record's original bytes as JSON: the record's own text, the
// JSON value re-serialized when it came from inside an envelope, or a text
// line as a JSON string. The result is a fresh copy.
func (r *Record) Raw() []byte {
	var b []byte
	switch {
	case r.JSON == nil:
		return event.AppendString(nil, string(r.Text)) // a text line becomes a JSON string
	case len(r.Text) > 0:
		b = append([]byte(nil), r.Text...)
	default:
		b = r.JSON.MarshalTo(nil)
	}
	// The parser tolerates a few things strict JSON does not (e.g. a number
	// "00"); such a record is kept as a JSON string so output stays valid.
	if fastjson.ValidateBytes(b) != nil {
		return event.AppendString(nil, string(b))
	}
	return b
}

// NewEvent returns an event stamped with the record's origin and, when asked,
// its raw bytes. Formats start every event from it.
func (r *Record) NewEvent(vendor, product string) *event.Event {
	e := &event.Event{Vendor: vendor, VendorProduct: product, Origin: r.Origin, Record: r.JSON}
	if r.KeepRaw {
		e.Raw = r.Raw()
	}
	return e
}

// Emit receives the events a format produces.
type Emit func(*event.Event)

// Format reads one log format. Implementations are stateless and safe for
// concurrent use; one value serves a whole run.
type Format interface {
	// Name is the --format name, e.g. "cloudtrail".
	Name() string
	// Doc is one line saying what the format reads.
	Doc() string
	// Detect reports whether a JSON record belongs to this format. It may
	// look only at fields that every real record of the format carries, never
	// at fields added by a particular pipeline or test harness.
	Detect(v *fastjson.Value) bool
	// Parse normalizes a record and emits its events (most records give
	// one; flow-log and finding envelopes give many). Parse must not panic
	// on any input; it returns an error only when the record yields nothing
	// usable. A record missing fields still gives an event with what it has.
	Parse(r *Record, emit Emit) error
	// Mappings lists which vendor field feeds which data model field, for
	// `vigil datamodel`.
	Mappings() []Mapping
}

// TextFormat is implemented by line-oriented formats (e.g. VPC flow logs).
type TextFormat interface {
	Format
	// DetectText reports whether the first line of a file is a header or a
	// record of this format.
	DetectText(first []byte) bool
	// NewTextDecoder returns a decoder for one file. It is given the first
	// line; header is true when that line was a header (and so no record).
	NewTextDecoder(first []byte) (d TextDecoder, header bool)
}

// TextDecoder decodes the lines of one file.
type TextDecoder interface {
	ParseLine(r *Record, emit Emit) error
}

// Mapping is one row of the data model document: the vendor field (or
// rule) that feeds a data model field.
type Mapping struct {
	Field  string // data model field name
	Source string // vendor path or description
}

// FieldError is a record-level problem: which field, and why.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return fmt.Sprintf("field %q: %s", e.Field, e.Reason)
}

// Errorf returns a FieldError.
func Errorf(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// ErrNotObject is returned by formats for a record that is not a JSON object.
var ErrNotObject = &FieldError{Reason: "record is not a JSON object"}

// Ignore is returned by Parse for a record the format recognizes but that
// carries no activity worth an event (a scan-status notification, an
// integrity digest). Readers count it under Reason instead of reporting a
// problem.
type Ignore struct{ Reason string }

func (e Ignore) Error() string { return "ignored: " + e.Reason }
