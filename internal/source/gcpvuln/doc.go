// Package gcpvuln reads Artifact Analysis (Container Analysis, Grafeas)
// vulnerability occurrences — gcloud describe output, occurrence lists, the
// REST API's {"occurrences":[...]} and Pub/Sub notifications — and maps each
// VULNERABILITY occurrence onto one Vulnerability event.
package gcpvuln
