// Package cloudtrail reads AWS CloudTrail: S3 delivery files
// ({"Records":[...]}), JSON lines of records and EventBridge envelopes
// ("detail-type": "AWS API Call via CloudTrail"), and maps each record onto
// the data model with the operation table in ops.go.
package cloudtrail
