// Package inspector reads Amazon Inspector (v2) findings — EventBridge
// events ("Inspector2 Finding", and the Scan, Coverage and AutoEnable
// events), single findings, and ListFindings responses or exports
// ({"findings":[...]}) — and maps them onto the data model with the table
// in ops.go.
package inspector
