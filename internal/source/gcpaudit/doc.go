// Package gcpaudit reads GCP Cloud Audit Logs — LogEntry JSON whose
// protoPayload is an AuditLog, as written by Cloud Logging, exported to GCS or
// Pub/Sub, and rows of the BigQuery log export (protopayload_auditlog) — and
// maps each entry onto the data model with the operation table in ops.go.
package gcpaudit
