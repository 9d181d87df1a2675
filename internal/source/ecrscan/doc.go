// Package ecrscan reads Amazon ECR's own records — the EventBridge events
// ECR emits (image push and delete, basic scan complete, pull through
// cache, replication, scan configuration changes) and the output of
// DescribeImageScanFindings (`aws ecr describe-image-scan-findings`), basic
// and enhanced — and maps them onto the data model with the table in ops.go.
package ecrscan
