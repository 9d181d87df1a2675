// Package sensorevent reads the runtime sensor's events as `vigil sensor
// --events -o json` writes them: one flat JSON object per event with the
// data model's field names, so recorded runtime activity can be scanned
// again and rule tests can be written as sensor events.
package sensorevent

import (
	"strconv"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sensor/vocab"
	"github.com/vigilsec/vigil/internal/source"
)

// Product is the vendor_product of the sensor's events.
const Product = vocab.Product

// Format is the sensor event format.
type Format struct{}

// New returns the format.
func New() Format { return Format{} }

// Name implements source.Format.
func (Format) Name() string { return "vigil-sensor" }

// Doc implements source.Format.
func (Format) Doc() string {
	return "vigil's runtime sensor: events as `vigil sensor --events -o json` writes them (data-model JSON lines)"
}

// Detect implements source.Format: the sensor names itself in every event.
func (Format) Detect(v *fastjson.Value) bool {
	p := v.Get("vendor_product")
	return p != nil && p.Type() == fastjson.TypeString && string(p.GetStringBytes()) == Product
}

// Parse implements source.Format. Fields are set by name; a field this
// version does not know is skipped (a newer sensor may add fields), and a
// value of the wrong type fails the record with the field named.
func (Format) Parse(r *source.Record, emit source.Emit) error {
	v := r.JSON
	if v == nil || v.Type() != fastjson.TypeObject {
		return source.ErrNotObject
	}
	e := r.NewEvent(event.VendorLinux, Product)
	e.Record = nil // the fields are the data model's: rules read them there
	var err error
	v.GetObject().Visit(func(k []byte, x *fastjson.Value) {
		if err != nil {
			return
		}
		name := string(k)
		f := event.Lookup(name)
		if f == nil {
			return
		}
		switch x.Type() {
		case fastjson.TypeString:
			b := x.GetStringBytes()
			s := string(b)
			switch f.Kind {
			case event.KindList:
				err = source.Errorf(name, "is a string, not a list")
				return
			case event.KindInt, event.KindFloat:
				n, perr := strconv.ParseFloat(s, 64)
				if perr != nil {
					err = source.Errorf(name, "%q is not a number", s)
					return
				}
				f.SetNumber(e, n)
			case event.KindTime:
				if _, ok := event.ParseTime(s); !ok {
					err = source.Errorf(name, "%q is not an RFC 3339 time", s)
					return
				}
				f.Set(e, s)
			default:
				if f.Repeats {
					s = source.Intern(b)
				}
				f.Set(e, s)
			}
		case fastjson.TypeNumber:
			n := x.GetFloat64()
			switch f.Kind {
			case event.KindInt, event.KindFloat:
				f.SetNumber(e, n)
			case event.KindString:
				f.Set(e, strconv.FormatFloat(n, 'f', -1, 64))
			default:
				err = source.Errorf(name, "is a number, not a %s", f.Kind)
			}
		case fastjson.TypeArray:
			if f.Kind != event.KindList {
				err = source.Errorf(name, "is an array, not a %s", f.Kind)
				return
			}
			for _, t := range x.GetArray() {
				if t.Type() != fastjson.TypeString {
					err = source.Errorf(name, "holds a %s, not a string", t.Type())
					return
				}
				f.Set(e, string(t.GetStringBytes()))
			}
		case fastjson.TypeNull:
		default:
			err = source.Errorf(name, "is a %s, not a %s", x.Type(), f.Kind)
		}
	})
	if err != nil {
		return err
	}
	if e.Time.IsZero() {
		return source.Errorf("time", "missing")
	}
	e.Vendor, e.VendorProduct = event.VendorLinux, Product
	emit(e)
	return nil
}

// Mappings implements source.Format: the sensor writes the data model's
// fields themselves.
func (Format) Mappings() []source.Mapping { return nil }
