package ecrscan_test

import (
	"testing"

	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source/ecrscan"
	"github.com/vigilsec/vigil/internal/source/sourcetest"
)

// Synthetic records shaped like the examples in the Amazon ECR User Guide
// ("Amazon ECR events and EventBridge") and API Reference
// (DescribeImageScanFindings); the corpus has no ECR events.
const (
	push = `{"version":"0","id":"13cde686-328b-6117-af20-0e5566167482","detail-type":"ECR Image Action","source":"aws.ecr","account":"123456789012","time":"2019-11-16T01:54:34Z","region":"us-west-2","resources":[],"detail":{"result":"SUCCESS","repository-name":"my-repository-name","image-digest":"sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234","action-type":"PUSH","image-tag":"latest"}}`

	deleteImage = `{"version":"0","id":"dd3b46cb-2c74-f49e-393b-28286b67279d","detail-type":"ECR Image Action","source":"aws.ecr","account":"123456789012","time":"2019-11-16T02:01:05Z","region":"us-west-2","resources":[],"detail":{"result":"SUCCESS","repository-name":"my-repository-name","image-digest":"sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234","action-type":"DELETE","image-tag":"latest"}}`

	failedPush = `{"version":"0","id":"0b4a6c7e-1111-2222-3333-444455556666","detail-type":"ECR Image Action","source":"aws.ecr","account":"123456789012","time":"2019-11-16T03:00:00Z","region":"us-west-2","resources":[],"detail":{"result":"FAILURE","repository-name":"payments","action-type":"PUSH","image-tag":"v2"}}`

	scan = `{"version":"0","id":"85fc3613-e913-7fc4-a80c-a3753e4aa9ae","detail-type":"ECR Image Scan","source":"aws.ecr","account":"123456789012","time":"2019-10-29T02:36:48Z","region":"us-east-1","resources":["arn:aws:ecr:us-east-1:123456789012:repository/my-repository-name"],"detail":{"scan-status":"COMPLETE","repository-name":"my-repository-name","finding-severity-counts":{"CRITICAL":10,"MEDIUM":9},"image-digest":"sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234","image-tags":[]}}`

	cleanScan = `{"version":"0","id":"85fc3613-e913-7fc4-a80c-a3753e4aa9af","detail-type":"ECR Image Scan","source":"aws.ecr","account":"123456789012","time":"2019-10-29T03:36:48Z","region":"us-east-1","resources":["arn:aws:ecr:us-east-1:123456789012:repository/base"],"detail":{"scan-status":"COMPLETE","repository-name":"base","finding-severity-counts":{},"image-digest":"sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0","image-tags":["1.2"]}}`

	pullThroughCache = `{"version":"0","id":"85fc3613-e913-7fc4-a80c-a3753e4aa9ae","detail-type":"ECR Pull Through Cache Action","source":"aws.ecr","account":"123456789012","time":"2023-02-28T02:36:48Z","region":"us-west-2","resources":["arn:aws:ecr:us-west-2:123456789012:repository/docker-hub/alpine"],"detail":{"rule-version":"1","sync-status":"SUCCESS","ecr-repository-prefix":"docker-hub","repository-name":"docker-hub/alpine","upstream-registry-url":"public.ecr.aws","image-tag":"3.17.2","image-digest":"sha256:4aa08ef415aecc80814cb42fa41b658480779d80c77ab15EXAMPLE"}}`

	replication = `{"version":"0","id":"c8b133b1-6029-ee73-e2a1-4f466b8ba999","detail-type":"ECR Replication Action","source":"aws.ecr","account":"123456789012","time":"2024-05-08T20:44:54Z","region":"us-east-1","resources":["arn:aws:ecr:us-east-1:123456789012:repository/docker-hub/alpine"],"detail":{"result":"SUCCESS","repository-name":"docker-hub/alpine","image-digest":"sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234","source-account":"123456789012","action-type":"REPLICATE","source-region":"us-west-2"}}`

	resourceChange = `{"version":"0","id":"0c18352a-a4d4-6853-ef53-0ab8638973bf","detail-type":"ECR Scan Resource Change","source":"aws.ecr","account":"123456789012","time":"2021-10-14T20:53:46Z","region":"us-east-1","resources":[],"detail":{"action-type":"SCAN_FREQUENCY_CHANGE","repositories":[{"repository-name":"repository-1","repository-arn":"arn:aws:ecr:us-east-1:123456789012:repository/repository-1","scan-frequency":"SCAN_ON_PUSH","previous-scan-frequency":"MANUAL"},{"repository-name":"repository-2","repository-arn":"arn:aws:ecr:us-east-1:123456789012:repository/repository-2","scan-frequency":"CONTINUOUS_SCAN","previous-scan-frequency":"SCAN_ON_PUSH"}],"resource-type":"REPOSITORY","scan-type":"ENHANCED"}}`

	basicFindings = `{
    "imageScanFindings": {
        "findings": [
            {
                "name": "CVE-2019-5188",
                "description": "A code execution vulnerability exists in the directory rehashing functionality of E2fsprogs e2fsck 1.45.4.",
                "uri": "http://people.ubuntu.com/~ubuntu-security/cve/CVE-2019-5188",
                "severity": "MEDIUM",
                "attributes": [
                    {"key": "package_version", "value": "1.44.1-1ubuntu1.1"},
                    {"key": "package_name", "value": "e2fsprogs"},
                    {"key": "CVSS2_VECTOR", "value": "AV:L/AC:L/Au:N/C:P/I:P/A:P"},
                    {"key": "CVSS2_SCORE", "value": "4.6"}
                ]
            },
            {
                "name": "CVE-2019-3462",
                "uri": "https://security-tracker.debian.org/tracker/CVE-2019-3462",
                "severity": "CRITICAL",
                "attributes": [
                    {"key": "package_version", "value": "1.4.8"},
                    {"key": "package_name", "value": "apt"},
                    {"key": "CVSS2_SCORE", "value": "9.3"},
                    {"key": "CVSS3_SCORE", "value": "8.1"}
                ]
            }
        ],
        "imageScanCompletedAt": 1579839105.0,
        "vulnerabilitySourceUpdatedAt": 1579811117.0,
        "findingSeverityCounts": {"MEDIUM": 1, "CRITICAL": 1}
    },
    "registryId": "012345678910",
    "repositoryName": "sample-repo",
    "imageId": {"imageDigest": "sha256:74b2c688c700ec95a93e478cdb959737c148df3fbf5ea706abe0318726e885e6"},
    "imageScanStatus": {"status": "COMPLETE", "description": "The scan was completed successfully."}
}`

	enhancedFindings = `{"imageScanFindings":{"enhancedFindings":[{"awsAccountId":"123456789012","description":"xmlXIncludeAddNode in xinclude.c in libxml2 before 2.11.0 has a use-after-free.","findingArn":"arn:aws:inspector2:us-west-2:123456789012:finding/123456789012123456789012","firstObservedAt":"2025-05-27T17:54:07.765000+00:00","lastObservedAt":"2025-06-09T07:08:40.144000+00:00","packageVulnerabilityDetails":{"cvss":[{"baseScore":8.1,"scoringVector":"CVSS:3.1/AV:L/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H","source":"NVD","version":"3.1"}],"referenceUrls":["https://security-tracker.debian.org/tracker/CVE-2022-49043"],"relatedVulnerabilities":[],"source":"DEBIAN_CVE","sourceUrl":"https://security-tracker.debian.org/tracker/CVE-2022-49043","vendorSeverity":"not yet assigned","vulnerabilityId":"CVE-2022-49043","vulnerablePackages":[{"arch":"AMD64","epoch":0,"name":"libxml2","packageManager":"OS","release":"1.3~deb12u1","sourceLayerHash":"sha256:deb7d8874f38d4ec281d990aac2c7badbfcd5b97d602a388056e3f918a3f8cc7","version":"2.9.14+dfsg","fixedInVersion":"NotAvailable"}]},"remediation":{"recommendation":{"text":"None Provided"}},"resources":[{"details":{"awsEcrContainerImage":{"architecture":"amd64","imageHash":"sha256:74b2c688c700ec95a93e478cdb959737c148df3fbf5ea706abe0318726e885e6","imageTags":["latest"],"platform":"DEBIAN_12","pushedAt":"2025-05-27T17:53:50.554000+00:00","registry":"123456789012","repositoryName":"sample-repo"}},"id":"arn:aws:ecr:us-west-2:123456789012:repository/sample-repo/sha256:74b2c688c700ec95a93e478cdb959737c148df3fbf5ea706abe0318726e885e6","tags":{},"type":"AWS_ECR_CONTAINER_IMAGE"}],"score":8.1,"scoreDetails":{"cvss":{"adjustments":[],"score":8.1,"scoreSource":"NVD","scoringVector":"CVSS:3.1/AV:L/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H","version":"3.1"}},"severity":"HIGH","status":"ACTIVE","title":"CVE-2022-49043 - libxml2","type":"PACKAGE_VULNERABILITY","updatedAt":"2025-06-09T07:08:40.144000+00:00","fixAvailable":"NO","exploitAvailable":"NO"}],"imageScanCompletedAt":"2025-06-09T07:08:40.144000+00:00","vulnerabilitySourceUpdatedAt":"2025-06-09T07:08:40.144000+00:00","findingSeverityCounts":{"HIGH":1}},"registryId":"123456789012","repositoryName":"sample-repo","imageId":{"imageDigest":"sha256:74b2c688c700ec95a93e478cdb959737c148df3fbf5ea706abe0318726e885e6"},"imageScanStatus":{"status":"ACTIVE","description":"Continuous scan is selected for image."}}`

	failedScan = `{"registryId":"012345678910","repositoryName":"legacy","imageId":{"imageDigest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","imageTag":"v1"},"imageScanStatus":{"status":"FAILED","description":"UnsupportedImageError: The operating system and/or package manager are not supported."},"imageScanFindings":{}}`
)

const digest = "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234"

func TestEventBridge(t *testing.T) {
	cases := []struct {
		name, record string
		want         map[string]string
	}{
		{"push", push, map[string]string{"dataset": "Container", "action": "push", "status": "success", "repository": "my-repository-name",
			"image_digest": digest, "registry": "123456789012.dkr.ecr.us-west-2.amazonaws.com",
			"image":   "123456789012.dkr.ecr.us-west-2.amazonaws.com/my-repository-name@" + digest,
			"account": "123456789012", "region": "us-west-2", "time": "2019-11-16T01:54:34Z", "event_name": "ECR Image Action",
			"event_id": "13cde686-328b-6117-af20-0e5566167482", "dest": "my-repository-name", "vendor_product": "Amazon ECR"}},
		{"delete", deleteImage, map[string]string{"dataset": "Container", "action": "delete", "status": "success", "image_digest": digest}},
		{"failed push without digest", failedPush, map[string]string{"action": "push", "status": "failure",
			"image": "123456789012.dkr.ecr.us-west-2.amazonaws.com/payments:v2"}},
		{"scan", scan, map[string]string{"dataset": "Vulnerability", "action": "scan", "status": "success", "severity": "critical",
			"msg": "CRITICAL 10, MEDIUM 9", "repository": "my-repository-name", "image_digest": digest,
			"image":        "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-repository-name@" + digest,
			"resource_uri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-repository-name@" + digest, "cve": ""}},
		{"clean scan", cleanScan, map[string]string{"action": "scan", "severity": "", "msg": "no findings", "status": "success"}},
		{"pull through cache", pullThroughCache, map[string]string{"dataset": "Container", "action": "pull", "status": "success",
			"src": "public.ecr.aws", "repository": "docker-hub/alpine"}},
		{"replication", replication, map[string]string{"dataset": "Container", "action": "replicate", "status": "success", "src": "123456789012"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs := sourcetest.MustParse(t, ecrscan.New(), c.record)
			if len(evs) != 1 {
				t.Fatalf("%d events", len(evs))
			}
			if evs[0].Vendor != event.VendorAWS {
				t.Errorf("vendor %q", evs[0].Vendor)
			}
			sourcetest.Expect(t, evs[0], c.want)
		})
	}
}

func TestScanResourceChange(t *testing.T) {
	evs := sourcetest.MustParse(t, ecrscan.New(), resourceChange)
	if len(evs) != 2 {
		t.Fatalf("%d events", len(evs))
	}
	sourcetest.Expect(t, evs[1], map[string]string{"dataset": "Management", "action": "modify", "repository": "repository-2",
		"dest": "arn:aws:ecr:us-east-1:123456789012:repository/repository-2", "msg": "scan-frequency CONTINUOUS_SCAN (was SCAN_ON_PUSH)"})
	if evs[0].Container == evs[1].Container {
		t.Error("events share their container group")
	}
}

func TestDescribeImageScanFindings(t *testing.T) {
	evs := sourcetest.MustParse(t, ecrscan.New(), basicFindings)
	if len(evs) != 3 {
		t.Fatalf("%d events, want the scan and 2 findings", len(evs))
	}
	image := "sample-repo@sha256:74b2c688c700ec95a93e478cdb959737c148df3fbf5ea706abe0318726e885e6"
	sourcetest.Expect(t, evs[0], map[string]string{"dataset": "Vulnerability", "action": "scan", "severity": "critical",
		"msg": "CRITICAL 1, MEDIUM 1", "status": "success", "time": "2020-01-24T04:11:45Z", "image": image, "registry": "012345678910"})
	sourcetest.Expect(t, evs[1], map[string]string{"dataset": "Vulnerability", "action": "found", "cve": "CVE-2019-5188",
		"severity": "medium", "cvss_score": "4.6", "package": "e2fsprogs", "installed_version": "1.44.1-1ubuntu1.1",
		"repository": "sample-repo", "account": "012345678910", "resource_uri": image, "event_name": "DescribeImageScanFindings",
		"time": "2020-01-24T04:11:45Z"})
	sourcetest.Expect(t, evs[2], map[string]string{"cve": "CVE-2019-3462", "severity": "critical", "cvss_score": "8.1", "package": "apt", "msg": ""})

	evs = sourcetest.MustParse(t, ecrscan.New(), enhancedFindings)
	if len(evs) != 2 {
		t.Fatalf("%d events, want the scan and 1 finding", len(evs))
	}
	image = "123456789012.dkr.ecr.us-west-2.amazonaws.com/sample-repo@sha256:74b2c688c700ec95a93e478cdb959737c148df3fbf5ea706abe0318726e885e6"
	sourcetest.Expect(t, evs[0], map[string]string{"action": "scan", "severity": "high", "status": "success", "image": image, "region": "us-west-2"})
	sourcetest.Expect(t, evs[1], map[string]string{"action": "found", "cve": "CVE-2022-49043", "severity": "high", "cvss_score": "8.1",
		"package": "libxml2", "installed_version": "2.9.14+dfsg", "fixed_version": "", "image": image,
		"registry": "123456789012.dkr.ecr.us-west-2.amazonaws.com", "image_digest": "sha256:74b2c688c700ec95a93e478cdb959737c148df3fbf5ea706abe0318726e885e6",
		"resource_uri": "arn:aws:ecr:us-west-2:123456789012:repository/sample-repo/sha256:74b2c688c700ec95a93e478cdb959737c148df3fbf5ea706abe0318726e885e6",
		"occurrence":   "arn:aws:inspector2:us-west-2:123456789012:finding/123456789012123456789012", "notification_time": "2025-06-09T07:08:40.144Z",
		"time": "2025-06-09T07:08:40.144Z", "msg": "CVE-2022-49043 - libxml2", "region": "us-west-2"})

	evs = sourcetest.MustParse(t, ecrscan.New(), failedScan)
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	sourcetest.Expect(t, evs[0], map[string]string{"action": "scan", "status": "failure", "image": "legacy@sha256:1111111111111111111111111111111111111111111111111111111111111111",
		"msg": "UnsupportedImageError: The operating system and/or package manager are not supported."})
}

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		rec, format string
	}{
		{push, ecrscan.Name},
		{scan, ecrscan.Name},
		{resourceChange, ecrscan.Name},
		{basicFindings, ecrscan.Name},
		{enhancedFindings, ecrscan.Name},
		{`{"detail-type":"AWS API Call via CloudTrail","source":"aws.ecr","detail":{"eventSource":"ecr.amazonaws.com","eventName":"PutImage"}}`, "cloudtrail"},
		{`{"detail-type":"Inspector2 Scan","source":"aws.inspector2","detail":{"scan-status":"INITIAL_SCAN_COMPLETE","repository-name":"arn:aws:ecr:us-east-1:111122223333:repository/inspector2"}}`, "inspector"},
		{`{"detail-type":"ECR Image Action","source":"my.app","detail":{}}`, ""},
		{`{"imageScanFindings":[]}`, ""},
	} {
		_, st := sourcetest.ReadAll("t.json", []byte(c.rec), components.Formats(), nil)
		got := ""
		for f, n := range st.ByFormat {
			if n > 0 {
				got = f
			}
		}
		if got != c.format {
			t.Errorf("%.90s: read as %q, want %q", c.rec, got, c.format)
		}
	}
}

func TestMalformed(t *testing.T) {
	for _, rec := range []string{`{"detail-type":"ECR Image Scan","source":"aws.ecr","detail":[]}`, `{"imageScanFindings":7}`, `{}`, `[]`} {
		if evs, err := sourcetest.Parse(ecrscan.New(), []byte(rec)); err == nil && rec != `[]` {
			t.Errorf("%s: %d events, no error", rec, len(evs))
		}
	}
	// Fragments still give what they have.
	evs := sourcetest.MustParse(t, ecrscan.New(), `{"detail-type":"ECR Image Scan","detail":{"finding-severity-counts":{"HIGH":"x","LOW":2}}}`)
	sourcetest.Expect(t, evs[0], map[string]string{"severity": "low", "msg": "LOW 2"})
	evs = sourcetest.MustParse(t, ecrscan.New(), `{"imageScanFindings":{"findings":[{"attributes":[{"key":"CVSS2_SCORE","value":"high"}]},7]}}`)
	if len(evs) != 3 {
		t.Errorf("%d events", len(evs))
	}
}

func FuzzParse(f *testing.F) {
	for _, rec := range []string{push, deleteImage, failedPush, scan, cleanScan, pullThroughCache, replication, resourceChange, basicFindings, enhancedFindings, failedScan} {
		f.Add([]byte(rec))
	}
	f.Add([]byte(`{"detail-type":"ECR Scan Resource Change","source":"aws.ecr","detail":{"repositories":[7,{"scan-frequency":"X"}]}}`))
	formats := components.Formats()
	f.Fuzz(func(t *testing.T, data []byte) {
		sourcetest.Fuzz(t, ecrscan.New(), formats, data)
	})
}
