//go:build !linux || !amd64

package kernel

import (
	"errors"
	"github.com/vigilsec/vigil/internal/sensor/record"
)

// Sensor is only available on linux/amd64.
type Sensor struct{}

// Hook is one kernel attachment point and whether the sensor uses it.
type Hook struct {
	Name   string
	Kind   string
	Active bool
	Err    error
	Kinds  []record.Kind
}

var errUnsupported = errors.New("sensor: the kernel sensor needs linux/amd64")

// Open fails: the kernel sensor needs linux/amd64.
func Open(cfg Config) (*Sensor, error) { return nil, errUnsupported }

// Hooks returns nothing.
func (s *Sensor) Hooks() []Hook { return nil }

// Read fails.
func (s *Sensor) Read(r *record.Record) error { return errUnsupported }

// Stats returns nothing.
func (s *Sensor) Stats() Stats { return Stats{} }

// Pause does nothing.
func (s *Sensor) Pause() error { return nil }

// Resume does nothing.
func (s *Sensor) Resume() error { return nil }

// Close does nothing.
func (s *Sensor) Close() error { return nil }
