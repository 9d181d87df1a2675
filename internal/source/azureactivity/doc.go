// Package azureactivity reads the Azure Activity Log — diagnostic-settings
// records (storage and Event Hub, {"records":[...]} or one per line), the
// REST API / portal export form, and Azure Storage resource logs — and maps
// each record onto the data model with the operation table in ops.go.
package azureactivity
