// Package event defines vigil's normalized event: the Cloud Infrastructure
// data model that every log source maps into and every detection reads.
//
// The model has common fields shared by all events and dataset-specific
// groups (Compute, Storage, Network_Traffic, Authentication, Container,
// Vulnerability) that are allocated only when a source fills them. Fields are
// described once, in the table in fields.go; JSON encoding, the
// `vigil datamodel` document and field access by name all derive from it, so
// no code path uses reflection per event.
package event
