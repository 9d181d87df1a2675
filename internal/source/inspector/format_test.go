package inspector_test

import (
	"testing"

	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source/inspector"
	"github.com/vigilsec/vigil/internal/source/sourcetest"
)

// Synthetic records shaped like the examples in the Amazon Inspector User
// Guide ("Amazon EventBridge event schema for Amazon Inspector events") and
// the ListFindings API; the corpus has no Inspector findings.
const (
	ec2Package = `{"version":"0","id":"4d621919-f1f4-4201-a0e2-37e4e330ff51","detail-type":"Inspector2 Finding","source":"aws.inspector2","account":"123456789012","time":"2024-09-04T17:00:36Z","region":"eu-central-1","resources":["i-12345678901234567"],"detail":{"awsAccountId":"123456789012","description":"In snapd versions prior to 2.62, snapd failed to properly check the destination of symbolic links when extracting a snap.","epss":{"score":0.00043},"exploitAvailable":"NO","findingArn":"arn:aws:inspector2:eu-central-1:123456789012:finding/0a1b2c3d4e5f60718293a4b5c6d7e8f9","firstObservedAt":"Wed Sep 04 16:59:44.356 UTC 2024","fixAvailable":"YES","inspectorScore":4.8,"inspectorScoreDetails":{"adjustedCvss":{"adjustments":[],"cvssSource":"UBUNTU_CVE","score":4.8,"scoreSource":"UBUNTU_CVE","scoringVector":"CVSS:3.1/AV:L/AC:L/PR:L/UI:R/S:U/C:L/I:L/A:L","version":"3.1"}},"lastObservedAt":"Wed Sep 04 16:59:44.476 UTC 2024","packageVulnerabilityDetails":{"cvss":[{"baseScore":4.8,"scoringVector":"CVSS:3.1/AV:L/AC:L/PR:L/UI:R/S:U/C:L/I:L/A:L","source":"UBUNTU_CVE","version":"3.1"},{"baseScore":7.3,"scoringVector":"CVSS:3.1/AV:L/AC:L/PR:L/UI:R/S:U/C:H/I:H/A:H","source":"NVD","version":"3.1"}],"referenceUrls":["https://ubuntu.com/security/notices/USN-6940-1"],"relatedVulnerabilities":["USN-6940-1"],"source":"UBUNTU_CVE","sourceUrl":"https://people.canonical.com/~ubuntu-security/cve/2024/CVE-2024-29069.html","vendorCreatedAt":"Thu Jul 25 20:15:00.000 UTC 2024","vendorSeverity":"medium","vulnerabilityId":"CVE-2024-29069","vulnerablePackages":[{"arch":"ALL","epoch":0,"fixedInVersion":"0:2.63+22.04ubuntu0.1","name":"snapd","packageManager":"OS","remediation":"apt-get update && apt-get upgrade","version":"2.63"}]},"remediation":{"recommendation":{"text":"None Provided"}},"resources":[{"details":{"awsEc2Instance":{"iamInstanceProfileArn":"arn:aws:iam::123456789012:instance-profile/AmazonSSMRoleForInstancesQuickSetup","imageId":"ami-02ff980600c693b38","ipV4Addresses":["10.0.1.23"],"ipV6Addresses":[],"launchedAt":"Wed Sep 04 16:57:40.000 UTC 2024","platform":"UBUNTU_22_04","subnetId":"subnet-12345678","type":"t2.small","vpcId":"vpc-12345678"}},"id":"i-12345678901234567","partition":"aws","region":"eu-central-1","type":"AWS_EC2_INSTANCE"}],"severity":"MEDIUM","status":"CLOSED","title":"CVE-2024-29069 - snapd","type":"PACKAGE_VULNERABILITY","updatedAt":"Wed Sep 04 17:00:36.951 UTC 2024"}}`

	ec2Network = `{"version":"0","id":"9eb1603b-4263-19ec-8be2-33184694cb92","detail-type":"Inspector2 Finding","source":"aws.inspector2","account":"123456789012","time":"2024-09-05T13:06:56Z","region":"eu-central-1","resources":["i-12345678901234567"],"detail":{"awsAccountId":"123456789012","description":"On the instance i-12345678901234567, the port range 22-22 is reachable from the InternetGateway igw-261bab4d from an attached ENI eni-094ad651219472857.","findingArn":"arn:aws:inspector2:eu-central-1:123456789012:finding/1a2b3c4d5e6f708192a3b4c5d6e7f809","firstObservedAt":"Thu Sep 05 13:06:56.334 UTC 2024","lastObservedAt":"Thu Sep 05 13:06:56.334 UTC 2024","networkReachabilityDetails":{"networkPath":{"steps":[{"componentId":"igw-261bab4d","componentType":"AWS::EC2::InternetGateway"},{"componentId":"acl-171b527d","componentType":"AWS::EC2::NetworkAcl"},{"componentId":"sg-0d34debf87410f2d9","componentType":"AWS::EC2::SecurityGroup"},{"componentId":"eni-094ad651219472857","componentType":"AWS::EC2::NetworkInterface"},{"componentId":"i-12345678901234567","componentType":"AWS::EC2::Instance"}]},"openPortRange":{"begin":22,"end":22},"protocol":"TCP"},"remediation":{"recommendation":{"text":"You can restrict access to your instance by modifying the Security Groups or ACLs in the network path."}},"resources":[{"details":{"awsEc2Instance":{"imageId":"ami-02ff980600c693b38","platform":"UBUNTU_22_04","subnetId":"subnet-12345678","type":"t2.small","vpcId":"vpc-12345678"}},"id":"i-12345678901234567","partition":"aws","region":"eu-central-1","type":"AWS_EC2_INSTANCE"}],"severity":"MEDIUM","status":"ACTIVE","title":"Port 22 is reachable from an Internet Gateway - TCP","type":"NETWORK_REACHABILITY","updatedAt":"Thu Sep 05 13:06:56.334 UTC 2024"}}`

	ecrPackage = `{"version":"0","id":"42dbea55-45ad-b2b4-87a8-afaEXAMPLE","detail-type":"Inspector2 Finding","source":"aws.inspector2","account":"123456789012","time":"2021-12-03T18:02:30Z","region":"us-east-2","resources":["arn:aws:ecr:us-east-2:123456789012:repository/amazon/amazon-ecs-sample/sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77eEXAMPLE"],"detail":{"awsAccountId":"123456789012","description":"In libssh2 v1.9.0 and earlier versions, the SSH_MSG_DISCONNECT logic in packet.c has an integer overflow in a bounds check.","findingArn":"arn:aws:inspector2:us-east-2:123456789012:finding/be674aaddd0f75ac632055EXAMPLE","firstObservedAt":"Dec 3, 2021, 6:02:30 PM","inspectorScore":6.5,"lastObservedAt":"Dec 3, 2021, 6:02:30 PM","packageVulnerabilityDetails":{"cvss":[{"baseScore":6.5,"scoringVector":"CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:N/A:N","source":"REDHAT_CVE","version":"3.0"},{"baseScore":8.1,"scoringVector":"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:N/A:H","source":"NVD","version":"3.1"}],"referenceUrls":["https://access.redhat.com/errata/RHSA-2020:3915"],"source":"REDHAT_CVE","sourceUrl":"https://access.redhat.com/security/cve/CVE-2019-17498","vendorCreatedAt":"Oct 16, 2019, 12:00:00 AM","vendorSeverity":"Moderate","vulnerabilityId":"CVE-2019-17498","vulnerablePackages":[{"arch":"X86_64","epoch":0,"name":"libssh2","packageManager":"OS","release":"19.el8","sourceLayerHash":"sha256:72d97abdfae3b3c933ff41e39779cc72853d7bd9dc1e4800c5294d6EXAMPLE","version":"1.8.0","fixedInVersion":"0:1.8.0-19.el8"}]},"remediation":{"recommendation":{"text":"Update all packages in the vulnerable packages section to their latest versions."}},"resources":[{"details":{"awsEcrContainerImage":{"architecture":"amd64","imageHash":"sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77eEXAMPLE","imageTags":["latest"],"platform":"ORACLE_LINUX_8","pushedAt":"Dec 3, 2021, 6:02:13 PM","registry":"123456789012","repositoryName":"amazon/amazon-ecs-sample"}},"id":"arn:aws:ecr:us-east-2:123456789012:repository/amazon/amazon-ecs-sample/sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77eEXAMPLE","partition":"N/A","region":"N/A","type":"AWS_ECR_CONTAINER_IMAGE"}],"severity":"MEDIUM","status":"ACTIVE","title":"CVE-2019-17498 - libssh2","type":"PACKAGE_VULNERABILITY","updatedAt":"Dec 3, 2021, 6:02:30 PM"}}`

	lambdaCode = `{"version":"0","id":"e764f7be-f931-ff1b-204b-8cab2d91724b","detail-type":"Inspector2 Finding","source":"aws.inspector2","account":"123456789012","time":"2024-09-04T16:51:01Z","region":"eu-central-1","resources":["arn:aws:lambda:eu-central-1:123456789012:function:VulnerableFunction:$LATEST"],"detail":{"awsAccountId":"123456789012","codeVulnerabilityDetails":{"cwes":["CWE-798"],"detectorId":"python/hardcoded-credentials@v1.0","detectorName":"Hardcoded credentials","detectorTags":["secrets","security"],"filePath":{"endLine":6,"fileName":"lambda_function.py","filePath":"lambda_function.py","startLine":6},"ruleId":"python-detect-hardcoded-aws-credentials"},"description":"Access credentials, such as passwords and access keys, should not be hardcoded in source code.","findingArn":"arn:aws:inspector2:eu-central-1:123456789012:finding/2b3c4d5e6f708192a3b4c5d6e7f8091a","firstObservedAt":"Wed Sep 04 16:51:01.869 UTC 2024","lastObservedAt":"Wed Sep 04 16:51:01.869 UTC 2024","remediation":{"recommendation":{"text":"We recommend that you set AWS credentials with environment variables or an AWS profile instead."}},"resources":[{"details":{"awsLambdaFunction":{"architectures":["X86_64"],"codeSha256":"O7jkFEmfPB+CK3Y6Pby5zW9gjG+zusAaqRRMGS8B27c=","executionRoleArn":"arn:aws:iam::123456789012:role/service-role/VulnerableFunction-role-f9vs5mq8","functionName":"VulnerableFunction","lastModifiedAt":"Wed Sep 04 16:50:20.000 UTC 2024","packageType":"ZIP","runtime":"PYTHON_3_11","version":"$LATEST"}},"id":"arn:aws:lambda:eu-central-1:123456789012:function:VulnerableFunction:$LATEST","partition":"aws","region":"eu-central-1","type":"AWS_LAMBDA_FUNCTION"}],"severity":"CRITICAL","status":"ACTIVE","title":"CWE-798 - Hardcoded credentials","type":"CODE_VULNERABILITY","updatedAt":"Wed Sep 04 16:51:01.869 UTC 2024"}}`

	ecrScan = `{"version":"0","id":"739c0d3c-4f02-85c7-5a88-94a9EXAMPLE","detail-type":"Inspector2 Scan","source":"aws.inspector2","account":"123456789012","time":"2021-12-03T18:03:16Z","region":"us-east-2","resources":["arn:aws:ecr:us-east-2:123456789012:repository/amazon/amazon-ecs-sample"],"detail":{"scan-status":"INITIAL_SCAN_COMPLETE","repository-name":"arn:aws:ecr:us-east-2:123456789012:repository/amazon/amazon-ecs-sample","finding-severity-counts":{"CRITICAL":7,"HIGH":61,"MEDIUM":62,"TOTAL":158},"image-digest":"sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77e5EXAMPLE","image-tags":["latest"]}}`

	ec2Scan = `{"version":"0","id":"28a46762-6ac8-6cc4-4f55-bc9ab99af928","detail-type":"Inspector2 Scan","source":"aws.inspector2","account":"111122223333","time":"2023-01-20T22:52:35Z","region":"us-east-1","resources":["i-087d63509b8c97098"],"detail":{"scan-status":"INITIAL_SCAN_COMPLETE","finding-severity-counts":{"CRITICAL":0,"HIGH":0,"MEDIUM":0,"TOTAL":0},"instance-id":"i-087d63509b8c97098","version":"1.0"}}`

	coverage = `{"version":"0","id":"000adda5-0fbf-913e-bc0e-10f0376412aa","detail-type":"Inspector2 Coverage","source":"aws.inspector2","account":"111122223333","time":"2023-01-20T22:51:39Z","region":"us-east-1","resources":["i-087d63509b8c97098"],"detail":{"scanStatus":{"reason":"UNMANAGED_EC2_INSTANCE","statusCodeValue":"INACTIVE"},"scanType":"PACKAGE","eventTimestamp":"2023-01-20T22:51:35.665501Z","version":"1.0"}}`

	// listFindings is the ListFindings response as the AWS CLI prints it:
	// ISO timestamps; the first finding's times are epoch seconds, as the
	// API's JSON carries them.
	listFindings = `{
  "findings": [
    {
      "awsAccountId": "111122223333",
      "findingArn": "arn:aws:inspector2:us-west-2:111122223333:finding/3c4d5e6f708192a3b4c5d6e7f8091a2b",
      "type": "PACKAGE_VULNERABILITY",
      "title": "CVE-2023-44487 - golang.org/x/net",
      "description": "The HTTP/2 protocol allows a denial of service (server resource consumption) because request cancellation can reset many streams quickly.",
      "severity": "HIGH",
      "inspectorScore": 7.5,
      "status": "ACTIVE",
      "firstObservedAt": 1697200000.123,
      "lastObservedAt": 1697286400.456,
      "updatedAt": 1697286400.456,
      "packageVulnerabilityDetails": {
        "vulnerabilityId": "CVE-2023-44487",
        "source": "NVD",
        "cvss": [{"baseScore": 7.5, "scoringVector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "source": "NVD", "version": "3.1"}],
        "vulnerablePackages": [{"name": "golang.org/x/net", "version": "v0.7.0", "fixedInVersion": "0.17.0", "packageManager": "GOMOD", "filePath": "usr/local/bin/app"}]
      },
      "resources": [{
        "type": "AWS_ECR_CONTAINER_IMAGE",
        "id": "arn:aws:ecr:us-west-2:111122223333:repository/payments-api/sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "partition": "aws",
        "region": "us-west-2",
        "details": {"awsEcrContainerImage": {"registry": "111122223333", "repositoryName": "payments-api", "imageHash": "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0", "imageTags": ["v1.4.2"], "architecture": "amd64", "platform": "DEBIAN_12"}}
      }]
    },
    {
      "awsAccountId": "111122223333",
      "findingArn": "arn:aws:inspector2:us-west-2:111122223333:finding/4d5e6f708192a3b4c5d6e7f8091a2b3c",
      "type": "PACKAGE_VULNERABILITY",
      "title": "CVE-2024-6387 - openssh-server",
      "severity": "UNTRIAGED",
      "status": "SUPPRESSED",
      "firstObservedAt": "2024-07-02T08:15:00.000000+00:00",
      "lastObservedAt": "2024-07-03T08:15:00.000000+00:00",
      "updatedAt": "2024-07-03T08:15:00.000000+00:00",
      "packageVulnerabilityDetails": {
        "vulnerabilityId": "CVE-2024-6387",
        "source": "UBUNTU_CVE",
        "cvss": [{"baseScore": 8.1, "source": "NVD", "version": "3.1"}],
        "vulnerablePackages": [{"name": "openssh-server", "version": "1:8.9p1-3ubuntu0.7", "fixedInVersion": "NotAvailable", "packageManager": "OS"}]
      },
      "resources": [{
        "type": "AWS_EC2_INSTANCE",
        "id": "i-0abcdef1234567890",
        "partition": "aws",
        "region": "us-west-2",
        "details": {"awsEc2Instance": {"imageId": "ami-0123456789abcdef0", "type": "m5.large", "platform": "UBUNTU_22_04"}}
      }]
    }
  ],
  "nextToken": "eyJleGFtcGxlIjoidG9rZW4ifQ=="
}`
)

func TestFindings(t *testing.T) {
	cases := []struct {
		name, record string
		want         map[string]string
	}{
		{"EC2 package vulnerability", ec2Package, map[string]string{
			"dataset": "Vulnerability", "action": "closed", "cve": "CVE-2024-29069", "severity": "medium", "cvss_score": "4.8",
			"package": "snapd", "installed_version": "2.63", "fixed_version": "0:2.63+22.04ubuntu0.1", "resource_uri": "i-12345678901234567",
			"dest": "i-12345678901234567", "instance_id": "i-12345678901234567", "image_id": "ami-02ff980600c693b38", "instance_type": "t2.small",
			"occurrence":        "arn:aws:inspector2:eu-central-1:123456789012:finding/0a1b2c3d4e5f60718293a4b5c6d7e8f9",
			"notification_time": "2024-09-04T17:00:36.951Z", "time": "2024-09-04T17:00:36.951Z", "account": "123456789012", "region": "eu-central-1",
			"event_name": "PACKAGE_VULNERABILITY", "msg": "CVE-2024-29069 - snapd", "event_id": "4d621919-f1f4-4201-a0e2-37e4e330ff51",
			"vendor": "aws", "vendor_product": "Amazon Inspector"}},
		{"EC2 network reachability", ec2Network, map[string]string{
			"dataset": "Vulnerability", "action": "found", "cve": "", "severity": "medium", "dest_port": "22", "transport": "tcp",
			"event_name": "NETWORK_REACHABILITY", "instance_id": "i-12345678901234567", "msg": "Port 22 is reachable from an Internet Gateway - TCP"}},
		{"ECR package vulnerability", ecrPackage, map[string]string{
			"action": "found", "cve": "CVE-2019-17498", "severity": "medium", "cvss_score": "6.5", "package": "libssh2", "installed_version": "1.8.0",
			"fixed_version": "0:1.8.0-19.el8", "registry": "123456789012.dkr.ecr.us-east-2.amazonaws.com", "repository": "amazon/amazon-ecs-sample",
			"image_digest": "sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77eEXAMPLE",
			"image":        "123456789012.dkr.ecr.us-east-2.amazonaws.com/amazon/amazon-ecs-sample@sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77eEXAMPLE",
			"resource_uri": "arn:aws:ecr:us-east-2:123456789012:repository/amazon/amazon-ecs-sample/sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77eEXAMPLE",
			"region":       "us-east-2", "notification_time": "2021-12-03T18:02:30Z", "time": "2021-12-03T18:02:30Z", "instance_id": ""}},
		{"Lambda code vulnerability", lambdaCode, map[string]string{
			"action": "found", "cve": "CWE-798", "severity": "critical", "event_name": "CODE_VULNERABILITY",
			"dest": "arn:aws:lambda:eu-central-1:123456789012:function:VulnerableFunction:$LATEST", "package": ""}},
		{"ECR initial scan", ecrScan, map[string]string{
			"dataset": "Vulnerability", "action": "scan", "status": "success", "severity": "critical", "msg": "CRITICAL 7, HIGH 61, MEDIUM 62, TOTAL 158",
			"repository": "amazon/amazon-ecs-sample", "image_digest": "sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77e5EXAMPLE",
			"image":        "123456789012.dkr.ecr.us-east-2.amazonaws.com/amazon/amazon-ecs-sample@sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77e5EXAMPLE",
			"resource_uri": "123456789012.dkr.ecr.us-east-2.amazonaws.com/amazon/amazon-ecs-sample@sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77e5EXAMPLE",
			"event_name":   "Inspector2 Scan", "dest": "arn:aws:ecr:us-east-2:123456789012:repository/amazon/amazon-ecs-sample"}},
		{"EC2 initial scan", ec2Scan, map[string]string{"action": "scan", "severity": "", "msg": "no findings", "instance_id": "i-087d63509b8c97098", "dest": "i-087d63509b8c97098"}},
		{"coverage", coverage, map[string]string{"dataset": "Security", "action": "disable", "msg": "UNMANAGED_EC2_INSTANCE", "tags": "PACKAGE",
			"dest": "i-087d63509b8c97098", "time": "2023-01-20T22:51:35.665501Z"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs := sourcetest.MustParse(t, inspector.New(), c.record)
			if len(evs) != 1 {
				t.Fatalf("%d events", len(evs))
			}
			sourcetest.Expect(t, evs[0], c.want)
		})
	}
}

func TestListFindings(t *testing.T) {
	// Read as a file, as the AWS CLI's output would be: one event per finding.
	evs, st := sourcetest.ReadAll("findings.json", []byte(listFindings), components.Formats(), nil)
	if st.ByFormat[inspector.Name] != 1 || len(evs) != 2 || st.SkippedTotal() != 0 {
		t.Fatalf("%d events, by format %v, skipped %v", len(evs), st.ByFormat, st.Skipped)
	}
	sourcetest.Expect(t, evs[0], map[string]string{"action": "found", "cve": "CVE-2023-44487", "severity": "high", "cvss_score": "7.5",
		"package": "golang.org/x/net", "installed_version": "v0.7.0", "fixed_version": "0.17.0", "time": "2023-10-14T12:26:40.456Z",
		"notification_time": "2023-10-14T12:26:40.456Z", "registry": "111122223333.dkr.ecr.us-west-2.amazonaws.com", "repository": "payments-api",
		"region": "us-west-2", "account": "111122223333", "event_name": "PACKAGE_VULNERABILITY"})
	sourcetest.Expect(t, evs[1], map[string]string{"action": "suppressed", "severity": "unknown", "cvss_score": "8.1", "fixed_version": "",
		"instance_id": "i-0abcdef1234567890", "instance_type": "m5.large", "time": "2024-07-03T08:15:00Z", "repository": ""})
	if evs[1].Origin.Index != 1 {
		t.Errorf("second finding origin %+v", evs[1].Origin)
	}
	// A bare finding, and a JSON array of findings, read alike.
	evs, st = sourcetest.ReadAll("f.json", []byte(`[{"findingArn":"arn:aws:inspector2:us-west-2:111122223333:finding/5e","awsAccountId":"111122223333","severity":"LOW","status":"ACTIVE","type":"PACKAGE_VULNERABILITY"}]`), components.Formats(), nil)
	if st.ByFormat[inspector.Name] != 1 || len(evs) != 1 || evs[0].Region != "us-west-2" || evs[0].Vuln.Severity != "low" {
		t.Errorf("bare finding: %d events, by format %v", len(evs), st.ByFormat)
	}
}

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		rec, format string
	}{
		{ec2Package, inspector.Name},
		{ecrScan, inspector.Name},
		{coverage, inspector.Name},
		{`{"detail-type":"ECR Image Scan","source":"aws.ecr","detail":{"scan-status":"COMPLETE"}}`, "ecr-scan"},
		{`{"detail-type":"AWS API Call via CloudTrail","source":"aws.inspector2","detail":{"eventSource":"inspector2.amazonaws.com","eventName":"ListFindings","eventVersion":"1.08"}}`, "cloudtrail"},
		{`{"detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":{"id":"x"}}`, ""},
		{`{"findings":[{"arn":"arn:aws:guardduty:us-east-1:111122223333:detector/d/finding/f","accountId":"111122223333","type":"Recon:EC2/PortProbeUnprotectedPort"}]}`, ""},
		{`{"findingArn":"arn:aws:inspector:us-east-1:111122223333:target/0-abc/template/0-def/run/0-ghi/finding/0-jkl"}`, ""},
		{`{"findings":[]}`, ""},
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
	for _, rec := range []string{`{"detail-type":"Inspector2 Finding","detail":"x"}`, `{"findings":7}`, `{"findings":[1,"a"]}`, `7`} {
		if evs, err := sourcetest.Parse(inspector.New(), []byte(rec)); err == nil {
			t.Errorf("%s: %d events, no error", rec, len(evs))
		}
	}
	// A fragment still gives an event with what it has.
	evs := sourcetest.MustParse(t, inspector.New(), `{"findingArn":"arn:aws:inspector2:eu-west-1:1:finding/x","firstObservedAt":"not a time","severity":7}`)
	sourcetest.Expect(t, evs[0], map[string]string{"dataset": "Vulnerability", "action": "found", "region": "eu-west-1", "severity": "7", "time": ""})
	if evs[0].Vendor != event.VendorAWS {
		t.Error("no vendor")
	}
}

func FuzzParse(f *testing.F) {
	for _, rec := range []string{ec2Package, ec2Network, ecrPackage, lambdaCode, ecrScan, ec2Scan, coverage, listFindings} {
		f.Add([]byte(rec))
	}
	f.Add([]byte(`{"findings":[{"findingArn":"arn:aws:inspector2:x:1:finding/1","resources":[{"type":"AWS_ECR_CONTAINER_IMAGE","details":{"awsEcrContainerImage":{"repositoryName":"r"}}}]},7]}`))
	formats := components.Formats()
	f.Fuzz(func(t *testing.T, data []byte) {
		sourcetest.Fuzz(t, inspector.New(), formats, data)
	})
}
