// Package gcpscc reads Google Cloud Security Command Center findings: the
// Pub/Sub notifications of a notification config ({"notificationConfigName",
// "finding", "resource"}), ListFindings answers ({"listFindingsResults":
// [...]}) and gcloud's list output, bare findings, and findings written to
// Cloud Logging (jsonPayload.finding). Each finding becomes one event:
// in the Vulnerability dataset for findings of class VULNERABILITY or with
// a CVE, in the Security dataset for every other class (threats,
// misconfigurations, observations, posture violations, errors).
package gcpscc
