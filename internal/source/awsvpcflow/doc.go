// Package awsvpcflow reads Amazon VPC Flow Logs as space-separated text — the
// default version 2 format without a header, custom formats (v2–v8 fields in
// any order) named by the header line of S3 delivery files, and CloudWatch
// Logs exports and subscription payloads — and maps each flow record onto a
// Network_Traffic event with the column table in columns.go.
package awsvpcflow
