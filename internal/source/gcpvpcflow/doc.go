// Package gcpvpcflow reads GCP VPC Flow Logs and Firewall Rules Logging
// entries (Cloud Logging LogEntry JSON with a jsonPayload holding the
// connection 5-tuple) and maps each entry onto one Network_Traffic event.
package gcpvpcflow
