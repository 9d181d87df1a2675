// Package source defines what a log format is to vigil — the Format
// interface that every package under internal/source/ implements — and the
// declarative helpers formats use to map vendor fields and operations onto
// the data model: Spec (vendor path → data model field) and Table (service
// and operation → dataset and action).
package source
