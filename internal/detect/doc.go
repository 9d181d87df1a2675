// Package detect runs Sigma rules over normalized events: it routes each
// event to the rules of its logsource, reads fields through resolvers (the
// data model's fields for vigil's own logsource, the vendor record's
// fields for vendor logsources, with a mapping layer for ECS-style and Log
// Analytics names), indexes rules by the literal values of their most
// selective field, runs correlation rules on event time with bounded state,
// and produces alerts. A value_count correlation counts each element of a
// list-valued field (the names one batch call asks for) as a value.
//
// Rule syntax and single-event matching live in internal/sigma; this
// package knows events, logsources, correlations and alerts.
package detect
