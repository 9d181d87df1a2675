package ecrscan

import (
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
	"github.com/vigilsec/vigil/internal/source/aws"
)

// Transforms of vendor values.
var (
	// statusT reads result, sync-status and scan-status values.
	statusT = &source.Transform{Name: "SUCCESS, COMPLETE and ACTIVE success; FAILED and FAILURE failure", Fn: func(s string) string {
		switch s {
		case "SUCCESS", "COMPLETE", "ACTIVE":
			return event.StatusSuccess
		case "FAILED", "FAILURE", "UNSUPPORTED_IMAGE", "SCAN_ELIGIBILITY_EXPIRED":
			return event.StatusFailure
		}
		return ""
	}}
	rfc3339T = &source.Transform{Name: "as RFC 3339", Fn: rfc3339}
)

// rfc3339 normalizes a timestamp: RFC 3339 as it is, epoch seconds with a
// decimal fraction exactly (1579839105.123; through a float64 the
// milliseconds would come out as .123000144).
func rfc3339(s string) string {
	if t, ok := event.ParseTime(s); ok {
		return t.Format(time.RFC3339Nano)
	}
	return s
}

// envelope maps the EventBridge fields every ECR event has.
var envelope = source.Spec{
	{Field: "time", From: "time"},
	{Field: "account", From: "account"},
	{Field: "region", From: "region"},
	{Field: "event_id", From: "id"},
	{Field: "event_name", From: "detail-type"},
}.Compile()

// Field specs of the EventBridge detail types.
var (
	imageDetail = source.Spec{
		{Field: "repository", From: "detail.repository-name"},
		{Field: "image_digest", From: "detail.image-digest"},
		{Field: "image", From: "detail.image-tag | detail.image-tags.0"},
		{Field: "dest", From: "detail.repository-name"},
	}
	imageAction = append(source.Spec{
		{Field: "status", From: "detail.result", Via: statusT},
	}, imageDetail...)
	scanComplete = append(source.Spec{
		{Field: "status", From: "detail.scan-status", Via: statusT},
	}, imageDetail...)
	pullThroughCache = append(source.Spec{
		{Field: "status", From: "detail.sync-status", Via: statusT},
		{Field: "src", From: "detail.upstream-registry-url"},
		{Field: "msg", From: "detail.failure-reason | detail.failure-code"},
	}, imageDetail...)
	replication = append(source.Spec{
		{Field: "status", From: "detail.result", Via: statusT},
		{Field: "src", From: "detail.source-account"},
	}, imageDetail...)
)

// ops maps an EventBridge detail-type and its action-type to dataset and
// action; "*" rows cover a detail type's other action types (whose action
// is the action-type lower-cased). Adding an event type is one row.
var ops = source.NewTable(false, nil, []source.Op{
	{Service: "ECR Image Action", Name: "PUSH", Dataset: event.Container, Action: "push", Fields: imageAction},
	{Service: "ECR Image Action", Name: "DELETE", Dataset: event.Container, Action: "delete", Fields: imageAction},
	{Service: "ECR Image Action", Name: "*", Dataset: event.Container, Fields: imageAction},
	// Basic scanning finished: one summary event (see Parse).
	{Service: "ECR Image Scan", Name: "*", Dataset: event.Vulnerability, Action: "scan", Fields: scanComplete},
	{Service: "ECR Pull Through Cache Action", Name: "*", Dataset: event.Container, Action: "pull", Fields: pullThroughCache},
	{Service: "ECR Replication Action", Name: "*", Dataset: event.Container, Action: "replicate", Fields: replication},
	// Scan configuration of repositories changed: one event per repository (see Parse).
	{Service: "ECR Scan Resource Change", Name: "*", Dataset: event.Management, Action: "modify"},
})

// scanRepository maps one entry of a Scan Resource Change's repositories.
var scanRepository = source.Spec{
	{Field: "repository", From: "repository-name"},
	{Field: "dest", From: "repository-arn | repository-name"},
}.Compile()

// DescribeImageScanFindings output.
var (
	// scanResult maps the fields of the whole response, on every event.
	scanResult = source.Spec{
		{Field: "time", From: "imageScanFindings.imageScanCompletedAt", Via: rfc3339T},
		{Field: "account", From: "registryId"},
		{Field: "registry", From: "registryId"},
		{Field: "repository", From: "repositoryName"},
		{Field: "image_digest", From: "imageId.imageDigest"},
		{Field: "image", From: "imageId.imageTag"},
	}.Compile()
	// scanSummary adds the scan's own status to its summary event.
	scanSummary = source.Spec{
		{Field: "status", From: "imageScanStatus.status", Via: statusT},
		{Field: "notification_time", From: "imageScanFindings.imageScanCompletedAt", Via: rfc3339T},
	}.Compile()
	// basicFinding maps imageScanFindings.findings[] (basic scanning);
	// package and version come from its attributes list.
	basicFinding = source.Spec{
		{Field: "cve", From: "name"},
		{Field: "severity", From: "severity", Via: aws.SeverityT},
		{Field: "msg", From: "description"},
	}.Compile()
	// enhancedFinding maps imageScanFindings.enhancedFindings[]: Amazon
	// Inspector findings on the image.
	enhancedFinding = source.Spec{
		{Field: "time", From: "updatedAt | lastObservedAt | firstObservedAt", Via: rfc3339T},
		{Field: "cve", From: "packageVulnerabilityDetails.vulnerabilityId"},
		{Field: "severity", From: "severity", Via: aws.SeverityT},
		{Field: "cvss_score", From: "score | inspectorScore | packageVulnerabilityDetails.cvss.0.baseScore"},
		{Field: "package", From: "packageVulnerabilityDetails.vulnerablePackages.0.name"},
		{Field: "installed_version", From: "packageVulnerabilityDetails.vulnerablePackages.0.version"},
		{Field: "fixed_version", From: "packageVulnerabilityDetails.vulnerablePackages.0.fixedInVersion", Via: aws.FixedT},
		{Field: "resource_uri", From: "resources.0.id"},
		{Field: "dest", From: "resources.0.id"},
		{Field: "occurrence", From: "findingArn"},
		{Field: "notification_time", From: "updatedAt", Via: rfc3339T},
		{Field: "msg", From: "title | description"},
		{Field: "account", From: "awsAccountId"},
		{Field: "registry", From: "resources.0.details.awsEcrContainerImage.registry"},
		{Field: "repository", From: "resources.0.details.awsEcrContainerImage.repositoryName"},
		{Field: "image_digest", From: "resources.0.details.awsEcrContainerImage.imageHash"},
	}.Compile()
)

// Attribute keys of basic scan findings.
var (
	packageKeys = []string{"package_name"}
	versionKeys = []string{"package_version"}
	scoreKeys   = []string{"CVSS3_SCORE", "CVSS2_SCORE"}
)
