package cloudtrail

import (
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
)

// verbs derive an action from an API name's leading verb.
var verbs = []source.Verb{
	{"Describe", "get"}, {"BatchGet", "get"}, {"Get", "get"}, {"Head", "get"}, {"Lookup", "get"}, {"Search", "get"}, {"Filter", "get"},
	{"List", "list"},
	{"Create", "create"}, {"Register", "create"}, {"Import", "create"}, {"Allocate", "create"}, {"Copy", "create"}, {"Restore", "create"}, {"Request", "create"},
	{"Put", "put"}, {"Upload", "put"}, {"Complete", "put"},
	{"Delete", "delete"}, {"Deregister", "delete"}, {"Remove", "delete"}, {"Release", "delete"}, {"Purge", "delete"}, {"Schedule", "delete"},
	{"Update", "modify"}, {"Modify", "modify"}, {"Set", "modify"}, {"Change", "modify"}, {"Replace", "modify"}, {"Reset", "modify"}, {"Tag", "modify"}, {"Untag", "modify"}, {"Enable", "enable"}, {"Disable", "disable"},
	{"Attach", "attach"}, {"Detach", "detach"}, {"Associate", "attach"}, {"Disassociate", "detach"}, {"Add", "attach"},
	{"Authorize", "grant"}, {"Revoke", "revoke"}, {"Share", "grant"},
	{"Start", "start"}, {"Reboot", "start"}, {"Stop", "stop"}, {"Terminate", "terminate"}, {"Run", "run"}, {"Invoke", "run"}, {"Send", "run"}, {"Execute", "run"},
	{"Assume", "assume"}, {"Encrypt", "encrypt"}, {"Decrypt", "decrypt"}, {"Generate", "create"},
}

// Field specs shared by several operations.
var (
	ec2Instance = source.Spec{
		{Field: "instance_id", From: "requestParameters.instancesSet.items.0.instanceId | responseElements.instancesSet.items.0.instanceId | requestParameters.instanceId"},
		{Field: "dest", From: "requestParameters.instancesSet.items.0.instanceId | requestParameters.instanceId"},
	}
	s3Bucket = source.Spec{
		{Field: "bucket_name", From: "requestParameters.bucketName"},
		{Field: "object_path", From: "requestParameters.key"},
		{Field: "dest", From: "requestParameters.bucketName"},
	}
	s3ACL = append(source.Spec{
		{Field: "acl_permission", From: "requestParameters.AccessControlPolicy.AccessControlList.Grant.0.Permission | requestParameters.x-amz-acl.0 | requestParameters.x-amz-acl"},
		{Field: "acl_entity", From: "requestParameters.AccessControlPolicy.AccessControlList.Grant.0.Grantee.URI | requestParameters.AccessControlPolicy.AccessControlList.Grant.0.Grantee.ID"},
	}, s3Bucket...)
	ecrRepo = source.Spec{
		{Field: "repository", From: "requestParameters.repositoryName"},
		{Field: "registry", From: "requestParameters.registryId | recipientAccountId"},
		{Field: "dest", From: "requestParameters.repositoryName"},
	}
	ecrImage = append(source.Spec{
		{Field: "image_digest", From: "responseElements.image.imageId.imageDigest | requestParameters.imageDigest | requestParameters.imageIds.0.imageDigest"},
		{Field: "image", From: "requestParameters.imageTag | responseElements.image.imageId.imageTag | requestParameters.imageIds.0.imageTag"},
	}, ecrRepo...)
	eksCluster = source.Spec{
		{Field: "cluster", From: "requestParameters.name | requestParameters.clusterName"},
		{Field: "dest", From: "requestParameters.name | requestParameters.clusterName"},
	}
	iamUser = source.Spec{
		{Field: "dest", From: "requestParameters.userName | requestParameters.roleName | requestParameters.groupName | requestParameters.policyArn"},
	}
)

// ops maps eventSource and eventName to dataset and action. A "*" row
// covers a whole service; specific rows add fields or fix the action.
var ops = source.NewTable(false, verbs, []source.Op{
	// Authentication
	{"signin.amazonaws.com", "*", event.Authentication, "", nil},
	{"signin.amazonaws.com", "ConsoleLogin", event.Authentication, "login", source.Spec{
		{Field: "mfa_auth", From: "additionalEventData.MFAUsed"},
		{Field: "identity_provider", From: "additionalEventData.LoginTo", Via: &source.Transform{Name: "AWS console sign-in", Fn: func(string) string { return "AWS" }}},
	}},
	{"sts.amazonaws.com", "*", event.Authentication, "", nil},
	{"sts.amazonaws.com", "AssumeRole", event.Authentication, "assume", source.Spec{
		{Field: "role", From: "requestParameters.roleArn"},
		{Field: "assumed_role_user", From: "responseElements.assumedRoleUser.arn"},
		{Field: "dest", From: "requestParameters.roleArn"},
	}},
	{"sts.amazonaws.com", "AssumeRoleWithSAML", event.Authentication, "assume", source.Spec{
		{Field: "role", From: "requestParameters.roleArn"},
		{Field: "assumed_role_user", From: "responseElements.assumedRoleUser.arn"},
		{Field: "identity_provider", From: "requestParameters.principalArn | responseElements.issuer"},
		{Field: "src_user", From: "responseElements.subject"},
	}},
	{"sts.amazonaws.com", "AssumeRoleWithWebIdentity", event.Authentication, "assume", source.Spec{
		{Field: "role", From: "requestParameters.roleArn"},
		{Field: "assumed_role_user", From: "responseElements.assumedRoleUser.arn"},
		{Field: "identity_provider", From: "responseElements.provider | userIdentity.identityProvider"},
		{Field: "src_user", From: "responseElements.subjectFromWebIdentityToken"},
	}},
	{"sts.amazonaws.com", "GetSessionToken", event.Authentication, "create", nil},
	{"sts.amazonaws.com", "GetFederationToken", event.Authentication, "create", nil},
	{"sso.amazonaws.com", "*", event.Authentication, "", nil},
	{"signin.amazonaws.com", "CheckMfa", event.Authentication, "login", nil},
	{"cognito-identity.amazonaws.com", "*", event.Authentication, "", nil},

	// Compute
	{"ec2.amazonaws.com", "*", event.Compute, "", ec2Instance},
	{"ec2.amazonaws.com", "RunInstances", event.Compute, "run", source.Spec{
		{Field: "instance_id", From: "responseElements.instancesSet.items.0.instanceId"},
		{Field: "image_id", From: "requestParameters.instancesSet.items.0.imageId | requestParameters.imageId | responseElements.instancesSet.items.0.imageId"},
		{Field: "instance_type", From: "requestParameters.instanceType | responseElements.instancesSet.items.0.instanceType"},
		{Field: "dest", From: "responseElements.instancesSet.items.0.instanceId"},
	}},
	{"ec2.amazonaws.com", "ModifyInstanceAttribute", event.Compute, "modify", ec2Instance},
	{"ec2.amazonaws.com", "GetPasswordData", event.Compute, "get", ec2Instance},
	{"ec2.amazonaws.com", "SendSerialConsoleSSHPublicKey", event.Compute, "run", ec2Instance},
	{"ec2-instance-connect.amazonaws.com", "*", event.Compute, "run", ec2Instance},
	{"lambda.amazonaws.com", "*", event.Compute, "", source.Spec{{Field: "dest", From: "requestParameters.functionName | responseElements.functionName"}}},
	{"autoscaling.amazonaws.com", "*", event.Compute, "", nil},
	{"ssm.amazonaws.com", "SendCommand", event.Compute, "run", source.Spec{{Field: "instance_id", From: "requestParameters.instanceIds.0"}, {Field: "dest", From: "requestParameters.instanceIds.0"}}},
	{"ssm.amazonaws.com", "StartSession", event.Compute, "run", source.Spec{{Field: "instance_id", From: "requestParameters.target"}, {Field: "dest", From: "requestParameters.target"}}},
	{"elasticbeanstalk.amazonaws.com", "*", event.Compute, "", nil},
	{"lightsail.amazonaws.com", "*", event.Compute, "", nil},

	// Storage
	{"s3.amazonaws.com", "*", event.Storage, "", s3Bucket},
	{"s3.amazonaws.com", "PutBucketAcl", event.Storage, "modify", s3ACL},
	{"s3.amazonaws.com", "PutObjectAcl", event.Storage, "modify", s3ACL},
	{"s3.amazonaws.com", "PutBucketPolicy", event.Storage, "modify", s3Bucket},
	{"s3.amazonaws.com", "PutBucketPublicAccessBlock", event.Storage, "modify", s3Bucket},
	{"s3.amazonaws.com", "DeleteBucketPublicAccessBlock", event.Storage, "modify", s3Bucket},
	{"ec2.amazonaws.com", "CreateSnapshot", event.Storage, "create", source.Spec{{Field: "dest", From: "responseElements.snapshotId"}}},
	{"ec2.amazonaws.com", "DeleteSnapshot", event.Storage, "delete", source.Spec{{Field: "dest", From: "requestParameters.snapshotId"}}},
	{"ec2.amazonaws.com", "ModifySnapshotAttribute", event.Storage, "modify", source.Spec{{Field: "dest", From: "requestParameters.snapshotId"}, {Field: "acl_entity", From: "requestParameters.createVolumePermission.add.items.0.userId | requestParameters.createVolumePermission.add.items.0.group"}}},
	{"ec2.amazonaws.com", "CreateVolume", event.Storage, "create", nil},
	{"ec2.amazonaws.com", "DeleteVolume", event.Storage, "delete", nil},
	{"ec2.amazonaws.com", "AttachVolume", event.Storage, "attach", nil},
	{"ec2.amazonaws.com", "DetachVolume", event.Storage, "detach", nil},
	{"ec2.amazonaws.com", "DisableEbsEncryptionByDefault", event.Security, "disable", nil},
	{"elasticfilesystem.amazonaws.com", "*", event.Storage, "", nil},
	{"glacier.amazonaws.com", "*", event.Storage, "", nil},
	{"backup.amazonaws.com", "*", event.Storage, "", nil},
	{"storagegateway.amazonaws.com", "*", event.Storage, "", nil},

	// Security: identity, keys, encryption, firewalls, security services
	{"iam.amazonaws.com", "*", event.Security, "", iamUser},
	{"iam.amazonaws.com", "CreateAccessKey", event.Security, "create", source.Spec{{Field: "dest", From: "requestParameters.userName | responseElements.accessKey.userName"}}},
	{"kms.amazonaws.com", "*", event.Security, "", source.Spec{{Field: "dest", From: "requestParameters.keyId"}}},
	{"secretsmanager.amazonaws.com", "*", event.Security, "", source.Spec{{Field: "dest", From: "requestParameters.secretId | requestParameters.name"}}},
	{"acm.amazonaws.com", "*", event.Security, "", nil},
	{"guardduty.amazonaws.com", "*", event.Security, "", source.Spec{{Field: "dest", From: "requestParameters.detectorId"}}},
	{"securityhub.amazonaws.com", "*", event.Security, "", nil},
	{"macie2.amazonaws.com", "*", event.Security, "", nil},
	{"inspector2.amazonaws.com", "*", event.Security, "", nil},
	{"access-analyzer.amazonaws.com", "*", event.Security, "", nil},
	{"waf.amazonaws.com", "*", event.Security, "", nil},
	{"wafv2.amazonaws.com", "*", event.Security, "", nil},
	{"network-firewall.amazonaws.com", "*", event.Security, "", nil},
	{"identitystore.amazonaws.com", "*", event.Security, "", nil},
	{"sso-directory.amazonaws.com", "*", event.Security, "", nil},
	{"ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", event.Security, "grant", source.Spec{{Field: "dest", From: "requestParameters.groupId | requestParameters.groupName"}}},
	{"ec2.amazonaws.com", "AuthorizeSecurityGroupEgress", event.Security, "grant", source.Spec{{Field: "dest", From: "requestParameters.groupId"}}},
	{"ec2.amazonaws.com", "RevokeSecurityGroupIngress", event.Security, "revoke", source.Spec{{Field: "dest", From: "requestParameters.groupId"}}},
	{"ec2.amazonaws.com", "RevokeSecurityGroupEgress", event.Security, "revoke", source.Spec{{Field: "dest", From: "requestParameters.groupId"}}},
	{"ec2.amazonaws.com", "CreateSecurityGroup", event.Security, "create", nil},
	{"ec2.amazonaws.com", "DeleteSecurityGroup", event.Security, "delete", nil},
	{"ec2.amazonaws.com", "CreateNetworkAclEntry", event.Security, "create", nil},
	{"ec2.amazonaws.com", "DeleteNetworkAclEntry", event.Security, "delete", nil},
	{"ec2.amazonaws.com", "ReplaceNetworkAclEntry", event.Security, "modify", nil},
	{"ec2.amazonaws.com", "CreateKeyPair", event.Security, "create", nil},
	{"ec2.amazonaws.com", "ImportKeyPair", event.Security, "create", nil},

	// Management: logging, monitoring, configuration, organisation
	{"cloudtrail.amazonaws.com", "*", event.Management, "", source.Spec{{Field: "dest", From: "requestParameters.name | requestParameters.trailName"}}},
	{"cloudtrail.amazonaws.com", "StopLogging", event.Management, "stop", source.Spec{{Field: "dest", From: "requestParameters.name"}}},
	{"cloudtrail.amazonaws.com", "StartLogging", event.Management, "start", source.Spec{{Field: "dest", From: "requestParameters.name"}}},
	{"logs.amazonaws.com", "*", event.Management, "", nil},
	{"monitoring.amazonaws.com", "*", event.Management, "", nil},
	{"config.amazonaws.com", "*", event.Management, "", nil},
	{"events.amazonaws.com", "*", event.Management, "", nil},
	{"organizations.amazonaws.com", "*", event.Management, "", nil},
	{"cloudformation.amazonaws.com", "*", event.Management, "", nil},
	{"ssm.amazonaws.com", "*", event.Management, "", nil},
	{"account.amazonaws.com", "*", event.Management, "", nil},

	// Network configuration (flows come from VPC flow logs)
	{"route53.amazonaws.com", "*", event.Management, "", nil},
	{"elasticloadbalancing.amazonaws.com", "*", event.Management, "", nil},

	// Database
	{"rds.amazonaws.com", "*", event.Database, "", source.Spec{{Field: "dest", From: "requestParameters.dBInstanceIdentifier | requestParameters.dBClusterIdentifier | requestParameters.dBSnapshotIdentifier"}}},
	{"dynamodb.amazonaws.com", "*", event.Database, "", source.Spec{{Field: "dest", From: "requestParameters.tableName"}}},
	{"redshift.amazonaws.com", "*", event.Database, "", nil},
	{"docdb-elastic.amazonaws.com", "*", event.Database, "", nil},
	{"elasticache.amazonaws.com", "*", event.Database, "", nil},
	{"neptune-db.amazonaws.com", "*", event.Database, "", nil},
	{"timestream.amazonaws.com", "*", event.Database, "", nil},

	// Container: registries and orchestrators
	{"ecr.amazonaws.com", "*", event.Container, "", ecrRepo},
	{"ecr.amazonaws.com", "PutImage", event.Container, "push", ecrImage},
	{"ecr.amazonaws.com", "CompleteLayerUpload", event.Container, "push", ecrRepo},
	{"ecr.amazonaws.com", "InitiateLayerUpload", event.Container, "push", ecrRepo},
	{"ecr.amazonaws.com", "UploadLayerPart", event.Container, "push", ecrRepo},
	{"ecr.amazonaws.com", "BatchGetImage", event.Container, "pull", ecrImage},
	{"ecr.amazonaws.com", "GetDownloadUrlForLayer", event.Container, "pull", ecrRepo},
	{"ecr.amazonaws.com", "BatchDeleteImage", event.Container, "delete", ecrImage},
	{"ecr.amazonaws.com", "DescribeImages", event.Container, "list", ecrImage},
	{"ecr.amazonaws.com", "ListImages", event.Container, "list", ecrRepo},
	{"ecr.amazonaws.com", "DescribeRepositories", event.Container, "list", ecrRepo},
	{"ecr.amazonaws.com", "GetAuthorizationToken", event.Container, "login", nil},
	{"ecr-public.amazonaws.com", "*", event.Container, "", ecrRepo},
	{"eks.amazonaws.com", "*", event.Container, "", eksCluster},
	{"ecs.amazonaws.com", "*", event.Container, "", source.Spec{{Field: "cluster", From: "requestParameters.cluster | requestParameters.clusterName"}}},
	{"ecs.amazonaws.com", "RunTask", event.Container, "run", source.Spec{{Field: "cluster", From: "requestParameters.cluster"}, {Field: "workload", From: "requestParameters.taskDefinition"}}},
	{"ecs.amazonaws.com", "ExecuteCommand", event.Container, "exec", source.Spec{{Field: "cluster", From: "requestParameters.cluster"}, {Field: "container_name", From: "requestParameters.container"}, {Field: "workload", From: "requestParameters.task"}}},
})
