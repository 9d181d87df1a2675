// Package k8saudit reads Kubernetes API server audit events — plain
// (JSON lines or an EventList), from Amazon EKS (CloudWatch Logs
// subscription payloads), from GKE (Cloud Logging LogEntry) and from AKS
// (Azure diagnostic records) — and maps them onto the data model with the
// resource table in kinds.go.
package k8saudit
