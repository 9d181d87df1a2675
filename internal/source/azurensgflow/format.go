// Package azurensgflow reads the azure-nsgflow log format.
package azurensgflow

import (
	"errors"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/source"
)

// Name is the --format name.
const Name = "azure-nsgflow"

// Format reads azure-nsgflow records.
type Format struct{}

// New returns the format.
func New() source.Format { return Format{} }

func (Format) Name() string                  { return Name }
func (Format) Doc() string                   { return "azure-nsgflow (not yet implemented)" }
func (Format) Detect(v *fastjson.Value) bool { return false }
func (Format) Parse(r *source.Record, emit source.Emit) error {
	return errors.New("not implemented")
}
func (Format) Mappings() []source.Mapping { return nil }
