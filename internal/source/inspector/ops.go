package inspector

import (
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
	"github.com/vigilsec/vigil/internal/source/aws"
)

// Transforms of vendor values.
var (
	rfc3339T = &source.Transform{Name: "as RFC 3339", Fn: rfc3339}
	regionT  = &source.Transform{Name: "N/A dropped", Fn: func(s string) string {
		if s == "N/A" {
			return ""
		}
		return s
	}}
	lowerT  = &source.Transform{Name: "lower-cased", Fn: strings.ToLower}
	statusT = &source.Transform{Name: "INITIAL_SCAN_COMPLETE success; Failed failure", Fn: func(s string) string {
		switch strings.ToUpper(s) {
		case "INITIAL_SCAN_COMPLETE", "COMPLETE", "SUCCESS", "SUCCEEDED":
			return event.StatusSuccess
		case "FAILED", "FAILURE":
			return event.StatusFailure
		}
		return ""
	}}
	// repositoryT takes the repository name out of a repository ARN
	// (arn:aws:ecr:<region>:<account>:repository/<name>).
	repositoryT = &source.Transform{Name: "the name in the repository ARN", Fn: func(s string) string {
		if i := strings.Index(s, ":repository/"); i >= 0 {
			return s[i+len(":repository/"):]
		}
		return s
	}}
)

// timeLayouts are the timestamp forms Inspector writes besides RFC 3339 and
// epoch seconds: EventBridge finding events have used both.
var timeLayouts = []string{
	"Mon Jan _2 15:04:05.999999999 MST 2006", // Wed Sep 04 16:59:44.356 UTC 2024
	"Jan _2, 2006, 3:04:05 PM",               // Dec 3, 2021, 6:02:30 PM
}

func parseTime(s string) (time.Time, bool) {
	if t, ok := event.ParseTime(s); ok {
		return t, true
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func rfc3339(s string) string {
	if t, ok := parseTime(s); ok {
		return t.Format(time.RFC3339Nano)
	}
	return s
}

// envelope maps the EventBridge fields every Inspector event has.
var envelope = source.Spec{
	{Field: "time", From: "time"},
	{Field: "account", From: "account"},
	{Field: "region", From: "region"},
	{Field: "event_id", From: "id"},
	{Field: "event_name", From: "detail-type"},
	{Field: "dest", From: "resources.0"},
}.Compile()

// finding maps an Inspector finding (the detail of a finding event, an
// element of ListFindings' findings, or an ECR enhanced finding).
var finding = source.Spec{
	{Field: "time", From: "updatedAt | lastObservedAt | firstObservedAt", Via: rfc3339T},
	{Field: "event_name", From: "type"},
	{Field: "account", From: "awsAccountId"},
	{Field: "region", From: "resources.0.region", Via: regionT},
	{Field: "cve", From: "packageVulnerabilityDetails.vulnerabilityId | codeVulnerabilityDetails.cwes.0"},
	{Field: "severity", From: "severity", Via: aws.SeverityT},
	{Field: "cvss_score", From: "inspectorScore | score | packageVulnerabilityDetails.cvss.0.baseScore"},
	{Field: "package", From: "packageVulnerabilityDetails.vulnerablePackages.0.name"},
	{Field: "installed_version", From: "packageVulnerabilityDetails.vulnerablePackages.0.version"},
	{Field: "fixed_version", From: "packageVulnerabilityDetails.vulnerablePackages.0.fixedInVersion", Via: aws.FixedT},
	{Field: "resource_uri", From: "resources.0.id"},
	{Field: "dest", From: "resources.0.id"},
	{Field: "occurrence", From: "findingArn"},
	{Field: "notification_time", From: "updatedAt | lastObservedAt", Via: rfc3339T},
	{Field: "msg", From: "title"},
	{Field: "dest_port", From: "networkReachabilityDetails.openPortRange.begin"},
	{Field: "transport", From: "networkReachabilityDetails.protocol", Via: lowerT},
}

// resourceTypes add the fields of the finding's resource, by its type.
var resourceTypes = []struct {
	Type   string
	Fields *source.Compiled
}{
	{"AWS_ECR_CONTAINER_IMAGE", source.Spec{
		{Field: "registry", From: "resources.0.details.awsEcrContainerImage.registry"},
		{Field: "repository", From: "resources.0.details.awsEcrContainerImage.repositoryName"},
		{Field: "image_digest", From: "resources.0.details.awsEcrContainerImage.imageHash"},
		{Field: "image", From: "resources.0.details.awsEcrContainerImage.imageTags.0"},
	}.Compile()},
	{"AWS_EC2_INSTANCE", source.Spec{
		{Field: "instance_id", From: "resources.0.id"},
		{Field: "image_id", From: "resources.0.details.awsEc2Instance.imageId"},
		{Field: "instance_type", From: "resources.0.details.awsEc2Instance.type"},
	}.Compile()},
}

// scan maps an "Inspector2 Scan" (initial scan complete) detail; severity
// and msg come from finding-severity-counts (see Parse).
var scan = source.Spec{
	{Field: "status", From: "scan-status", Via: statusT},
	{Field: "repository", From: "repository-name", Via: repositoryT},
	{Field: "image_digest", From: "image-digest"},
	{Field: "image", From: "image-tags.0"},
	{Field: "instance_id", From: "instance-id"},
	{Field: "dest", From: "instance-id | repository-name"},
}

// ops maps an EventBridge detail-type, and the finding status or coverage
// status, to dataset and action; raw findings are read as "Inspector2
// Finding". Adding an event type is one row.
var ops = source.NewTable(false, nil, []source.Op{
	{Service: "Inspector2 Finding", Name: "ACTIVE", Dataset: event.Vulnerability, Action: "found", Fields: finding},
	{Service: "Inspector2 Finding", Name: "SUPPRESSED", Dataset: event.Vulnerability, Action: "suppressed", Fields: finding},
	{Service: "Inspector2 Finding", Name: "CLOSED", Dataset: event.Vulnerability, Action: "closed", Fields: finding},
	{Service: "Inspector2 Finding", Name: "*", Dataset: event.Vulnerability, Action: "found", Fields: finding},
	{Service: "Inspector2 Scan", Name: "*", Dataset: event.Vulnerability, Action: "scan", Fields: scan},
	{Service: "Inspector2 Coverage", Name: "ACTIVE", Dataset: event.Security, Action: "enable", Fields: coverage},
	{Service: "Inspector2 Coverage", Name: "INACTIVE", Dataset: event.Security, Action: "disable", Fields: coverage},
	{Service: "Inspector2 Coverage", Name: "*", Dataset: event.Security, Action: "modify", Fields: coverage},
	{Service: "Inspector2 AutoEnable", Name: "*", Dataset: event.Security, Action: "enable", Fields: source.Spec{
		{Field: "status", From: "AutoEnableStatus", Via: statusT},
		{Field: "msg", From: "Reason"},
	}},
})

// coverage maps an "Inspector2 Coverage" detail.
var coverage = source.Spec{
	{Field: "time", From: "eventTimestamp"},
	{Field: "msg", From: "scanStatus.reason"},
	{Field: "tags", From: "scanType"},
}

// findingEvent is the detail-type raw findings are read as.
const findingEvent = "Inspector2 Finding"
