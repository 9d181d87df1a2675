// Package sensor assembles the runtime sensor: it reads records from the
// kernel (and any other record source), keeps the process tree, attributes
// each record to its container, and maps it to a normalized event.
package sensor
