package cloudtrail_test

import (
	"testing"

	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source/cloudtrail"
	"github.com/vigilsec/vigil/internal/source/sourcetest"
)

func TestRepresentativeEvents(t *testing.T) {
	f := cloudtrail.New()
	cases := []struct {
		name   string
		record string
		want   map[string]string
	}{
		{
			name:   "AssumeRole",
			record: `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/ci","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE1","userName":"ci"},"eventTime":"2026-10-14T08:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-sdk-go/1.44.0","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/deploy","roleSessionName":"build-42"},"responseElements":{"credentials":{"accessKeyId":"ASIAEXAMPLE2","expiration":"Oct 14, 2026, 9:00:00 AM"},"assumedRoleUser":{"assumedRoleId":"AROAEXAMPLE:build-42","arn":"arn:aws:sts::111122223333:assumed-role/deploy/build-42"}},"eventID":"e1","eventType":"AwsApiCall","recipientAccountId":"111122223333"}`,
			want: map[string]string{"dataset": "Authentication", "action": "assume", "role": "arn:aws:iam::111122223333:role/deploy",
				"assumed_role_user": "arn:aws:sts::111122223333:assumed-role/deploy/build-42", "credential_id": "AKIAEXAMPLE1",
				"src_ip": "198.51.100.7", "user_type": "IAMUser", "account": "111122223333", "status": "success", "time": "2026-10-14T08:00:00Z"},
		},
		{
			name:   "ConsoleLogin without MFA",
			record: `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"},"eventTime":"2026-10-14T08:05:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"Mozilla/5.0","requestParameters":null,"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"LoginTo":"https://console.aws.amazon.com/","MobileVersion":"No","MFAUsed":"No"},"eventID":"e2","eventType":"AwsConsoleSignIn","recipientAccountId":"111122223333"}`,
			want:   map[string]string{"dataset": "Authentication", "action": "login", "mfa_auth": "false", "status": "success", "src_user": "arn:aws:iam::111122223333:user/alice"},
		},
		{
			name:   "ConsoleLogin failure with MFA",
			record: `{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventTime":"2026-10-14T08:06:00Z","responseElements":{"ConsoleLogin":"Failure"},"errorMessage":"Failed authentication","additionalEventData":{"MFAUsed":"Yes"},"userIdentity":{"type":"IAMUser","userName":"bob"}}`,
			want:   map[string]string{"dataset": "Authentication", "mfa_auth": "true", "status": "failure", "msg": "Failed authentication", "src_user": "bob"},
		},
		{
			name:   "RunInstances",
			record: `{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/asg/i","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE3"},"eventTime":"2026-10-14T09:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"eu-west-1","sourceIPAddress":"autoscaling.amazonaws.com","userAgent":"autoscaling.amazonaws.com","requestParameters":{"instancesSet":{"items":[{"imageId":"ami-0abcdef1234567890","minCount":1,"maxCount":1}]},"instanceType":"t3.large"},"responseElements":{"instancesSet":{"items":[{"instanceId":"i-0123456789abcdef0","imageId":"ami-0abcdef1234567890","instanceType":"t3.large"}]}},"eventID":"e3","eventType":"AwsApiCall","recipientAccountId":"111122223333"}`,
			want: map[string]string{"dataset": "Compute", "action": "run", "instance_id": "i-0123456789abcdef0", "image_id": "ami-0abcdef1234567890",
				"instance_type": "t3.large", "src": "autoscaling.amazonaws.com", "src_ip": "", "region": "eu-west-1"},
		},
		{
			name:   "PutObject",
			record: `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/app"},"eventTime":"2026-10-14T09:10:00Z","eventSource":"s3.amazonaws.com","eventName":"PutObject","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.20","requestParameters":{"bucketName":"acme-reports","key":"2026/10/report.csv","Host":"acme-reports.s3.amazonaws.com"},"eventCategory":"Data","recipientAccountId":"111122223333","eventID":"e4"}`,
			want:   map[string]string{"dataset": "Storage", "action": "put", "bucket_name": "acme-reports", "object_path": "2026/10/report.csv", "dest": "acme-reports", "tags": "Data"},
		},
		{
			name:   "ECR PutImage",
			record: `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ci-deployer","accessKeyId":"AKIAEXAMPLE4","userName":"ci-deployer"},"eventTime":"2026-10-14T10:00:00Z","eventSource":"ecr.amazonaws.com","eventName":"PutImage","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.66","userAgent":"aws-cli/1.16.312 Python/3.6.9","requestParameters":{"repositoryName":"payments-api","imageTag":"latest","registryId":"111122223333","imageManifest":"{}"},"responseElements":{"image":{"registryId":"111122223333","repositoryName":"payments-api","imageId":{"imageDigest":"sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0","imageTag":"latest"}}},"recipientAccountId":"111122223333","eventID":"e5"}`,
			want: map[string]string{"dataset": "Container", "action": "push", "repository": "payments-api",
				"image_digest":  "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
				"registry":      "111122223333.dkr.ecr.us-east-1.amazonaws.com",
				"image":         "111122223333.dkr.ecr.us-east-1.amazonaws.com/payments-api@sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
				"credential_id": "AKIAEXAMPLE4", "http_user_agent": "aws-cli/1.16.312 Python/3.6.9"},
		},
		{
			name:   "access denied",
			record: `{"eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","eventTime":"2026-10-14T11:00:00Z","errorCode":"AccessDenied","errorMessage":"User is not authorized","requestParameters":{"userName":"admin"},"userIdentity":{"type":"IAMUser","userName":"eve"}}`,
			want:   map[string]string{"dataset": "Security", "action": "create", "status": "failure", "msg": "User is not authorized", "dest": "admin"},
		},
		{
			name:   "EventBridge envelope",
			record: `{"version":"0","id":"6f","detail-type":"AWS API Call via CloudTrail","source":"aws.ecr","account":"111122223333","time":"2026-10-14T12:00:00Z","region":"us-east-1","resources":[],"detail":{"eventVersion":"1.08","eventTime":"2026-10-14T12:00:00Z","eventSource":"ecr.amazonaws.com","eventName":"DescribeRepositories","awsRegion":"us-east-1","recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","userName":"ci"}}}`,
			want:   map[string]string{"dataset": "Container", "action": "list", "event_name": "DescribeRepositories", "account": "111122223333"},
		},
		{
			name:   "src_user_name of an assumed role is its session name",
			record: `{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:jdoe@example.com","arn":"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/jdoe@example.com","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE5","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef","accountId":"111122223333","userName":"AWSReservedSSO_Admin_0123456789abcdef"},"attributes":{"creationDate":"2026-10-14T07:58:00Z","mfaAuthenticated":"false"}}},"eventTime":"2026-10-14T08:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","eventID":"e6","recipientAccountId":"111122223333"}`,
			want: map[string]string{"src_user": "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/jdoe@example.com",
				"src_user_name": "jdoe@example.com", "src_user_id": "AROAEXAMPLE:jdoe@example.com"},
		},
		{
			name:   "src_user_name of an IAM user is its userName",
			record: `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/ci","accountId":"111122223333","userName":"ci"},"eventTime":"2026-10-14T08:00:00Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","awsRegion":"us-east-1"}`,
			want:   map[string]string{"src_user": "arn:aws:iam::111122223333:user/ci", "src_user_name": "ci"},
		},
		{
			name:   "federated user",
			record: `{"eventVersion":"1.08","userIdentity":{"type":"FederatedUser","principalId":"111122223333:bob","arn":"arn:aws:sts::111122223333:federated-user/bob","accountId":"111122223333"},"eventTime":"2026-10-14T08:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","requestParameters":{"bucketName":"b","key":"k"}}`,
			want:   map[string]string{"src_user_name": "bob", "user_type": "FederatedUser"},
		},
		{
			name:   "Logstash @timestamp in place of eventTime",
			record: `{"@timestamp":"2026-10-14T08:10:11.000Z","@version":"1","eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops","userName":"ops"},"eventSource":"ec2.amazonaws.com","eventName":"StopInstances","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.4","userAgent":"aws-cli/2.15.0","requestParameters":{"instancesSet":{"items":[{"instanceId":"i-0aa"}]}},"eventID":"e7","recipientAccountId":"111122223333","tags":["cloudtrail"]}`,
			want:   map[string]string{"time": "2026-10-14T08:10:11Z", "action": "stop", "instance_id": "i-0aa", "src_ip": "203.0.113.4"},
		},
		{
			name:   "Datadog: date in epoch milliseconds, standard attributes in place of the CloudTrail ones",
			record: `{"date":1791965411000,"service":"cloudtrail","source":"cloudtrail","eventVersion":"1.08","userIdentity":{"type":"AssumedRole","accountId":"111122223333"},"eventSource":"iam.amazonaws.com","eventName":"CreateUser","awsRegion":"us-east-1","requestParameters":{"userName":"backdoor"},"eventID":"e8","network":{"client":{"ip":"198.51.100.99"}},"http":{"useragent":"Boto3/1.34.0"},"usr":{"id":"arn:aws:sts::111122223333:assumed-role/admin/mallory","name":"mallory","account_id":"111122223333"},"evt":{"name":"CreateUser"}}`,
			want: map[string]string{"time": "2026-10-14T08:10:11Z", "src_ip": "198.51.100.99", "http_user_agent": "Boto3/1.34.0",
				"src_user": "arn:aws:sts::111122223333:assumed-role/admin/mallory", "src_user_name": "mallory", "dest": "backdoor", "account": "111122223333"},
		},
		{
			name:   "Datadog: timestamp and flattened attribute keys",
			record: `{"timestamp":"2026-10-14T08:10:11.123Z","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser"},"network.client.ip":"192.0.2.10","http.useragent":"curl/8.0","usr.id":"arn:aws:iam::111122223333:user/probe","usr.name":"probe"}`,
			want: map[string]string{"time": "2026-10-14T08:10:11.123Z", "src_ip": "192.0.2.10", "http_user_agent": "curl/8.0",
				"src_user": "arn:aws:iam::111122223333:user/probe", "src_user_name": "probe"},
		},
		{
			name:   "Athena result with lower-case keys and parameters as JSON text",
			record: `{"eventversion":"1.08","useridentity":{"type":"IAMUser","principalid":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountid":"111122223333","invokedby":null,"accesskeyid":"AKIAEXAMPLE6","username":"alice","sessioncontext":null},"eventtime":"2026-10-14T09:10:00Z","eventsource":"s3.amazonaws.com","eventname":"PutBucketAcl","awsregion":"us-east-1","sourceipaddress":"198.51.100.20","useragent":"[aws-cli/2.15.0]","errorcode":null,"errormessage":null,"requestparameters":"{\"bucketName\":\"acme-public\",\"Host\":\"acme-public.s3.amazonaws.com\",\"acl\":\"\",\"x-amz-acl\":[\"public-read\"]}","responseelements":null,"additionaleventdata":"{\"SignatureVersion\":\"SigV4\"}","requestid":"R1","eventid":"e9","resources":[{"arn":"arn:aws:s3:::acme-public","accountid":"111122223333","type":"AWS::S3::Bucket"}],"eventtype":"AwsApiCall","apiversion":null,"readonly":"false","recipientaccountid":"111122223333","serviceeventdetails":null,"sharedeventid":null,"vpcendpointid":null,"eventcategory":"Management","tlsdetails":{"tlsversion":"TLSv1.3","ciphersuite":"TLS_AES_128_GCM_SHA256","clientprovidedhostheader":"acme-public.s3.amazonaws.com"}}`,
			want: map[string]string{"dataset": "Storage", "action": "modify", "event_name": "PutBucketAcl", "service": "s3.amazonaws.com", "time": "2026-10-14T09:10:00Z",
				"bucket_name": "acme-public", "acl_permission": "public-read", "src_ip": "198.51.100.20", "src_user": "arn:aws:iam::111122223333:user/alice",
				"src_user_name": "alice", "src_user_id": "AIDAEXAMPLE", "credential_id": "AKIAEXAMPLE6", "user_type": "IAMUser", "account": "111122223333", "status": "success"},
		},
		{
			name:   "Athena result of a failed call: errorcode sets failure",
			record: `{"eventversion":"1.08","useridentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/app/i-0abc","principalid":"AROAEXAMPLE:i-0abc"},"eventtime":"2026-10-14T09:11:00.000Z","eventsource":"iam.amazonaws.com","eventname":"CreateAccessKey","awsregion":"us-east-1","errorcode":"AccessDenied","errormessage":"not authorized","requestparameters":"{\"userName\":\"admin\"}"}`,
			want:   map[string]string{"dataset": "Security", "status": "failure", "msg": "not authorized", "dest": "admin", "src_user_name": "i-0abc"},
		},
		{
			name:   "anonymous S3 request",
			record: `{"eventVersion":"1.08","userIdentity":{"type":"AWSAccount","principalId":"","accountId":"ANONYMOUS_PRINCIPAL"},"eventTime":"2026-10-14T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.50","userAgent":"curl/8.4.0","requestParameters":{"bucketName":"acme-public","key":"index.html"},"eventID":"e10","readOnly":true,"eventType":"AwsApiCall","managementEvent":false,"eventCategory":"Data"}`,
			want:   map[string]string{"src_user": "ANONYMOUS_PRINCIPAL", "user_type": "AWSAccount", "account": "", "bucket_name": "acme-public"},
		},
		{
			name:   "IAM Identity Center user",
			record: `{"eventVersion":"1.09","userIdentity":{"type":"IdentityCenterUser","accountId":"111122223333","onBehalfOf":{"userId":"544894e8-80c1-707f-60e3-3ba6510dfac1","identityStoreArn":"arn:aws:identitystore::111122223333:identitystore/d-1234567890"},"credentialId":"EXAMPLEVHULjJdTUdPJfofVa1sufHDoj7aYcOYcxFVllWR_Whr1fEXAMPLE"},"eventTime":"2026-10-14T10:05:00Z","eventSource":"sso.amazonaws.com","eventName":"ListAccounts","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.1","userAgent":"Mozilla/5.0","eventID":"e11","recipientAccountId":"111122223333"}`,
			want: map[string]string{"src_user": "544894e8-80c1-707f-60e3-3ba6510dfac1", "src_user_id": "544894e8-80c1-707f-60e3-3ba6510dfac1",
				"user_type": "IdentityCenterUser", "credential_id": "EXAMPLEVHULjJdTUdPJfofVa1sufHDoj7aYcOYcxFVllWR_Whr1fEXAMPLE"},
		},
		{
			name:   "unknown service falls back to Management",
			record: `{"eventSource":"brand-new.amazonaws.com","eventName":"ListWidgets","eventTime":"2026-10-14T12:00:00Z"}`,
			want:   map[string]string{"dataset": "Management", "action": "list", "dest": "brand-new.amazonaws.com"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs := sourcetest.MustParse(t, f, c.record)
			if len(evs) != 1 {
				t.Fatalf("got %d events", len(evs))
			}
			if evs[0].Vendor != event.VendorAWS {
				t.Errorf("vendor %q", evs[0].Vendor)
			}
			sourcetest.Expect(t, evs[0], c.want)
		})
	}
}

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		rec  string
		want bool
	}{
		{`{"eventVersion":"1.08","eventName":"X","eventSource":"s3.amazonaws.com"}`, true},
		{`{"eventName":"X","userIdentity":{},"awsRegion":"us-east-1"}`, true},
		{`{"detail-type":"AWS API Call via CloudTrail","detail":{}}`, true},
		{`{"detail-type":"ECR Image Scan","detail":{}}`, false},
		{`{"eventName":"X"}`, false},
		{`{"eventversion":"1.08","eventname":"X","eventsource":"s3.amazonaws.com"}`, true},
		{`{"eventname":"X","useridentity":{},"awsregion":"us-east-1"}`, true},
		{`{"eventname":"X"}`, false},
		{`{"@timestamp":"2026-10-14T08:10:11Z","eventName":"X","eventSource":"s3.amazonaws.com"}`, true},
		{`{"kind":"Event","verb":"get"}`, false},
	} {
		evs, st := sourcetest.ReadAll("t", []byte(c.rec), components.Formats(), nil)
		got := st.ByFormat[cloudtrail.Name] == 1
		if got != c.want {
			t.Errorf("%s: detected as cloudtrail %v, want %v (%d events)", c.rec, got, c.want, len(evs))
		}
	}
}

func TestDigestSkipped(t *testing.T) {
	digest := `{"awsAccountId":"111122223333","digestStartTime":"2026-10-14T00:00:00Z","digestEndTime":"2026-10-14T01:00:00Z","digestS3Bucket":"b","logFiles":[]}`
	evs, st := sourcetest.ReadAll("d.json", []byte(digest), components.Formats(), nil)
	if len(evs) != 0 || st.Ignored["cloudtrail-digest"] != 1 || st.SkippedTotal() != 0 {
		t.Fatalf("digest: %d events, stats %+v", len(evs), st)
	}
}

func TestCorpus(t *testing.T) {
	for _, name := range []string{
		"aws/cloudtrail/panther-tests.jsonl",
		"aws/cloudtrail/panther-scenario-compromised-root-creds-attacker.jsonl",
		"aws/cloudtrail/panther-scenario-compromised-root-creds-victim.jsonl",
		"aws/cloudtrail/panther-scenario-enrichment-example-attacker.jsonl",
		"aws/cloudtrail/panther-scenario-enrichment-example-victim.jsonl",
	} {
		lines := sourcetest.Lines(t, sourcetest.Corpus(t, name))
		detected := 0
		for i, l := range lines {
			if _, err := sourcetest.Parse(cloudtrail.New(), l); err != nil {
				t.Errorf("%s:%d: %v", name, i+1, err)
			}
			if _, st := sourcetest.ReadAll(name, l, components.Formats(), nil); st.ByFormat[cloudtrail.Name] == 1 {
				detected++
			}
		}
		pct := 100 * float64(detected) / float64(len(lines))
		t.Logf("%s: %d records, %.1f%% detected as cloudtrail", name, len(lines), pct)
		if pct < 95 {
			t.Errorf("%s: only %.1f%% detected", name, pct)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"aws/cloudtrail/panther-tests.jsonl", "aws/cloudtrail/panther-scenario-compromised-root-creds-attacker.jsonl"} {
		for _, l := range sourcetest.Lines(f, sourcetest.Corpus(f, name)) {
			f.Add(l)
		}
	}
	f.Add([]byte(`{"Records":[{"eventName":"PutImage","eventSource":"ecr.amazonaws.com","requestParameters":{"repositoryName":"r"}}]}`))
	f.Add([]byte(`{"detail-type":"AWS API Call via CloudTrail","detail":7}`))
	f.Add([]byte(`{"eventversion":"1.08","useridentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a","username":"a","sessioncontext":{"sessionissuer":{"username":"r"}}},"eventname":"PutBucketAcl","eventsource":"s3.amazonaws.com","requestparameters":"{\"bucketName\":\"b\"}","responseelements":"[1,","additionaleventdata":"{}"}`))
	f.Add([]byte(`{"date":1791965411000,"eventName":"CreateUser","eventSource":"iam.amazonaws.com","network":{"client":{"ip":"1.2.3.4"}},"usr.name":"m","http.useragent":7}`))
	f.Add([]byte(`{"@timestamp":"2026-10-14T08:10:11Z","eventName":"X","eventSource":"s3.amazonaws.com","userIdentity":{"type":"AWSAccount","accountId":"ANONYMOUS_PRINCIPAL"}}`))
	f.Add([]byte(`{"eventName":"ListAccounts","eventSource":"sso.amazonaws.com","userIdentity":{"type":"IdentityCenterUser","onBehalfOf":{"userId":"u"},"credentialId":"c"}}`))
	formats := components.Formats()
	f.Fuzz(func(t *testing.T, data []byte) {
		sourcetest.Fuzz(t, cloudtrail.New(), formats, data)
	})
}
