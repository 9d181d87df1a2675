package main

import (
	"fmt"
	"sort"
	"time"
)

// Images that were already in ECR before the day began.
var (
	oldPayments = newImage("payments-api", "v2.13.2", []layer{baseDebian, baseCerts, baseJRE, {blob("payments-api:v2.13.2/deps"), 22398114}, {blob("payments-api:v2.13.2/app"), 16890321}}, 7402)
	oldOrders   = newImage("orders-api", "v3.8.1", []layer{baseDebian, baseCerts, baseJRE, {blob("orders-api:v3.8.1/app"), 38604472}}, 6120)
	oldFrontend = newImage("frontend", "v5.1.3", []layer{baseDebian, baseCerts, baseNode, {blob("frontend:v5.1.3/app"), 9871056}}, 5371)
	imgAuth     = newImage("auth-service", "v1.9.0", []layer{baseDebian, baseCerts, baseJRE, {blob("auth-service:v1.9.0/app"), 21450776}}, 6005)
	imgNotify   = newImage("notification-worker", "v0.7.4", []layer{baseDebian, baseCerts, baseNode, {blob("notification-worker:v0.7.4/app"), 5530981}}, 5102)
)

// Principals.
var (
	ciIdent    = iamUser(ciUser, ciUserID, ciKey)
	aliceIdent = iamUser("alice.nguyen", "AIDAQ3EXAMPLE0ALICENG", "")
	bobIdent   = iamUser("bob.martin", "AIDAQ3EXAMPLE0BOBMRTN", "")
	aliceCLI   = iamUser("alice.nguyen", "AIDAQ3EXAMPLE0ALICENG", "AKIAQ3EXAMPLE7ALICE1")
)

func genAWS() *awsGen {
	g := &awsGen{r: newRNG("aws")}
	nodes := []*node{
		g.newNode("i-0a1b2c3d4e5f00101", "10.20.11.21", at(6, 12, 40)),
		g.newNode("i-0a1b2c3d4e5f00102", "10.20.12.34", at(6, 12, 41)),
		g.newNode("i-0a1b2c3d4e5f00103", "10.20.13.47", at(6, 12, 44)),
	}
	for _, n := range nodes {
		for _, im := range []image{oldPayments, oldOrders, oldFrontend, imgAuth, imgNotify} {
			for _, l := range append(append([]layer{}, im.Layers...), im.Config) {
				n.cache[l.Digest] = true
			}
		}
	}

	g.background(nodes)
	g.scheduler()
	g.consoleSession(at(7, 32, 5), aliceIdent, officeIP1, uaBrowser, 36, true)
	g.consoleSession(at(8, 48, 41), bobIdent, officeIP2, uaBrowser2, 30, false)
	g.aliceCLI(at(10, 15, 12))

	// Builds and rollouts.
	g.codeBuild(at(7, 24, 10), imgOrders, []layer{imgOrders.Layers[3]}, []string{"v3.8.2"}, false)
	g.rollout(at(7, 41, 3), nodes, imgOrders, "v3.8.2")
	g.codeBuild(at(8, 0, 12), imgPayments, imgPayments.Layers[3:], []string{"v2.14.0", "latest"}, true)
	g.rollout(at(8, 20, 31), nodes, imgPayments, "latest")
	n4 := g.scaleOut(at(8, 55, 2))
	nodes = append(nodes, n4)
	g.codeBuild(at(10, 38, 40), imgFrontend, imgFrontend.Layers[3:], []string{"v5.2.0"}, false)
	g.rollout(at(10, 55, 12), nodes, imgFrontend, "v5.2.0")
	g.scaleIn(at(11, 40, 30), n4)

	// The attack, and the pull of the implanted image when the payments
	// HPA adds pods at 10:06.
	g.attack()
	t := at(10, 6, 22)
	for _, n := range []*node{n4, nodes[1]} {
		t = g.pullImage(t.Add(g.r.secs(1, 4)), n, imgImplant, "latest")
	}

	sort.SliceStable(g.records, func(i, j int) bool { return g.records[i].t.Before(g.records[j].t) })
	sort.SliceStable(g.bridge, func(i, j int) bool { return g.bridge[i].t.Before(g.bridge[j].t) })
	return g
}

// attack is steps 1-3 of the scenario: the stolen ci-deployer key used from
// the attacker's host, ECR enumeration, and the push of the implant.
func (g *awsGen) attack() {
	who := ciIdent
	t := at(9, 14, 7)
	boto := func(svc, name string, req any, ro bool, host string) call {
		return call{t: t, who: who, ip: attackerIP, ua: uaBoto, svc: svc, name: name, req: req, ro: ro, host: host, tls12: true}
	}
	g.add(boto("sts", "GetCallerIdentity", nil, true, "sts.amazonaws.com"))
	for _, name := range []string{"GetUser", "ListAttachedUserPolicies", "ListUserPolicies"} {
		t = t.Add(g.r.secs(1, 3))
		c := boto("iam", name, obj("userName", ciUser), true, "iam.amazonaws.com")
		c.errCode = "AccessDenied"
		c.errMsg = fmt.Sprintf("User: arn:aws:iam::%s:user/%s is not authorized to perform: iam:%s on resource: user %s because no identity-based policy allows the iam:%s action", account, ciUser, name, ciUser, name)
		g.add(c)
	}
	// Enumeration: every repository, its tags and image details.
	t = t.Add(g.r.secs(15, 25))
	c := boto("ecr", "DescribeRepositories", nil, true, ecrHost)
	g.add(c)
	for _, repo := range ecrRepos {
		t = t.Add(g.r.secs(2, 8))
		c := boto("ecr", "ListImages", obj("repositoryName", repo), true, ecrHost)
		c.res = repoARN(repo)
		g.add(c)
	}
	for _, repo := range ecrRepos {
		t = t.Add(g.r.secs(2, 9))
		c := boto("ecr", "DescribeImages", obj("repositoryName", repo), true, ecrHost)
		c.res = repoARN(repo)
		g.add(c)
	}
	// docker login, then a pull of payments-api:latest to build on.
	t = t.Add(g.r.secs(20, 30))
	g.add(boto("ecr", "GetAuthorizationToken", nil, true, ecrHost))
	t = t.Add(g.r.secs(9, 14))
	blobs := append(append([]layer{}, imgPayments.Layers...), imgPayments.Config)
	c = g.ecr(t, who, attackerIP, uaDockerAttacker, "BatchGetImage", "payments-api",
		obj("registryId", account, "repositoryName", "payments-api", "imageIds", A{obj("imageTag", "latest")},
			"acceptedMediaTypes", []string{"application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.v1+prettyjws", "application/json"}),
		nil, true)
	c.host, c.tls12 = dkrHost, true
	g.add(c)
	for _, b := range blobs {
		t = t.Add(g.r.secs(0, 3))
		c := g.ecr(t, who, attackerIP, uaDockerAttacker, "GetDownloadUrlForLayer", "payments-api", obj("registryId", account, "repositoryName", "payments-api", "layerDigest", b.Digest), nil, true)
		c.host, c.tls12 = dkrHost, true
		g.add(c)
	}
	// Eleven minutes later: a fresh token and the push of the implant.
	t = at(9, 27, 55)
	g.add(boto("ecr", "GetAuthorizationToken", nil, true, ecrHost))
	g.pushImage(at(9, 28, 10), who, attackerIP, uaDockerAttacker, "", imgImplant, []layer{implantLayer}, []string{"latest"}, true, true)
}

// codeBuild is a CodeBuild project building and pushing im through the
// assumed ci-build-role, as every legitimate push does.
func (g *awsGen) codeBuild(t time.Time, im image, newLayers []layer, tags []string, eb bool) {
	session := "AWSCodeBuild-" + g.r.uuid()
	key := g.tempKey()
	roleARN := "arn:aws:iam::" + account + ":role/ci-build-role"
	who := assumedRole("ci-build-role", "AROAQ3EXAMPLE0CIBUILD", session, key, t)
	g.add(call{t: t, who: service("codebuild.amazonaws.com"), ip: "codebuild.amazonaws.com", ua: "codebuild.amazonaws.com", svc: "sts", name: "AssumeRole",
		req: obj("roleArn", roleARN, "roleSessionName", session),
		resp: obj("credentials", obj("accessKeyId", key, "expiration", expiry(t.Add(time.Hour))),
			"assumedRoleUser", obj("assumedRoleId", "AROAQ3EXAMPLE0CIBUILD:"+session, "arn", who.arn)),
		ro: true, res: A{obj("accountId", account, "type", "AWS::IAM::Role", "ARN", roleARN)}})
	svcWho := who
	svcWho.invokedBy = "codebuild.amazonaws.com"
	t = t.Add(g.r.secs(3, 6))
	g.add(call{t: t, who: svcWho, ip: "codebuild.amazonaws.com", ua: "codebuild.amazonaws.com", svc: "logs", name: "CreateLogStream",
		req: obj("logGroupName", "/aws/codebuild/"+im.Repo+"-build", "logStreamName", session[len("AWSCodeBuild-"):])})
	ip := fmt.Sprintf("10.20.31.%d", g.r.between(20, 90))
	t = t.Add(g.r.secs(8, 15))
	bkt := "acme-codepipeline-artifacts-" + account
	key2 := im.Repo + "-pipeline/SourceArti/" + g.r.alnum(7) + ".zip"
	g.add(call{t: t, who: who, ip: ip, ua: "aws-sdk-go/1.44.302 (go1.20.7; linux; amd64) codebuild-agent", svc: "s3", name: "GetObject", data: true, ro: true, vpce: vpceS3,
		host: bkt + ".s3." + region + ".amazonaws.com", req: obj("bucketName", bkt, "Host", bkt+".s3."+region+".amazonaws.com", "key", key2),
		extra: s3Extra(g.r, 0, g.r.between(200000, 900000)), res: s3Res(bkt, key2)})
	// The build itself takes a few minutes; then docker login and push.
	t = t.Add(g.r.secs(150, 200))
	c := g.ecr(t, who, ip, uaCodeCLI, "GetAuthorizationToken", "", nil, nil, true)
	c.vpce = vpceECR
	g.add(c)
	g.pushImage(t.Add(g.r.secs(3, 6)), who, ip, uaDockerCB, vpceECR, im, newLayers, tags, false, eb)
}

// rollout is a new version reaching the EKS nodes: each pulls it.
func (g *awsGen) rollout(t time.Time, nodes []*node, im image, tag string) {
	for _, n := range nodes {
		t = g.pullImage(t.Add(g.r.secs(2, 20)), n, im, tag)
	}
}

// scaleOut is the cluster autoscaler adding a fourth node, which then
// pulls the images of the pods scheduled on it.
func (g *awsGen) scaleOut(t time.Time) *node {
	ca := g.caIdent(t)
	asg := "eks-prod-eks-general-7ec8a1b2-4c3d-11ef-9a6b-0e5f4d3c2b1a"
	g.add(call{t: t, who: ca, ip: natIP, ua: uaCA, svc: "autoscaling", name: "SetDesiredCapacity",
		req: obj("autoScalingGroupName", asg, "desiredCapacity", 4, "honorCooldown", false), host: "autoscaling." + region + ".amazonaws.com"})
	t = t.Add(g.r.secs(7, 10))
	id, ip := "i-0d4e5f6a7b8c90104", "10.20.12.88"
	slr := assumedRole("AWSServiceRoleForAutoScaling", "AROAQ3EXAMPLE0ASGSLR1", "AutoScaling", "", t.Add(-40*time.Minute))
	slr.invokedBy = "autoscaling.amazonaws.com"
	g.add(call{t: t, who: slr, ip: "autoscaling.amazonaws.com", ua: "autoscaling.amazonaws.com", svc: "ec2", name: "RunInstances",
		req: obj("instancesSet", obj("items", A{obj("minCount", 1, "maxCount", 1)}),
			"launchTemplate", obj("launchTemplateId", "lt-0c1d2e3f4a5b6c7d8", "version", "7"),
			"subnetId", "subnet-0b2c3d4e5f6a70812", "disableApiTermination", false, "clientToken", g.r.uuid(),
			"tagSpecificationSet", obj("items", A{obj("resourceType", "instance", "tags", A{
				obj("key", "aws:autoscaling:groupName", "value", asg),
				obj("key", "eks:cluster-name", "value", eksCluster),
				obj("key", "eks:nodegroup-name", "value", "general")})})),
		resp: obj("requestId", g.r.uuid(), "reservationId", "r-0"+g.r.hex(16), "ownerId", account, "requesterId", "940372691376", "groupSet", O{},
			"instancesSet", obj("items", A{obj("instanceId", id, "imageId", "ami-0f1e2d3c4b5a69788", "instanceState", obj("code", 0, "name", "pending"),
				"privateDnsName", "ip-10-20-12-88.ec2.internal", "amiLaunchIndex", 0, "productCodes", O{}, "instanceType", "m6i.xlarge",
				"launchTime", t.UnixMilli(), "placement", obj("availabilityZone", region+"b", "tenancy", "default"),
				"monitoring", obj("state", "disabled"), "subnetId", "subnet-0b2c3d4e5f6a70812", "vpcId", "vpc-0a1b2c3d4e5f67890",
				"privateIpAddress", ip, "architecture", "x86_64", "rootDeviceType", "ebs", "rootDeviceName", "/dev/xvda")})),
		res: nil})
	n := g.newNode(id, ip, t.Add(95*time.Second))
	t = t.Add(g.r.secs(140, 170))
	c := g.ecr(t, n.who, ip, uaNodeECR, "GetAuthorizationToken", "", nil, nil, true)
	c.vpce = vpceECR
	g.add(c)
	for _, p := range []struct {
		im  image
		tag string
	}{{imgPayments, "latest"}, {imgOrders, "v3.8.2"}, {oldFrontend, "v5.1.3"}, {imgAuth, "v1.9.0"}, {imgNotify, "v0.7.4"}} {
		t = g.pullImage(t.Add(g.r.secs(1, 5)), n, p.im, p.tag)
	}
	return n
}

func (g *awsGen) scaleIn(t time.Time, n *node) {
	g.add(call{t: t, who: g.caIdent(t), ip: natIP, ua: uaCA, svc: "autoscaling", name: "TerminateInstanceInAutoScalingGroup",
		req: obj("instanceId", n.id, "shouldDecrementDesiredCapacity", true), host: "autoscaling." + region + ".amazonaws.com"})
	t = t.Add(g.r.secs(4, 8))
	slr := assumedRole("AWSServiceRoleForAutoScaling", "AROAQ3EXAMPLE0ASGSLR1", "AutoScaling", "", t.Add(-30*time.Minute))
	slr.invokedBy = "autoscaling.amazonaws.com"
	g.add(call{t: t, who: slr, ip: "autoscaling.amazonaws.com", ua: "autoscaling.amazonaws.com", svc: "ec2", name: "TerminateInstances",
		req:  obj("instancesSet", obj("items", A{obj("instanceId", n.id)})),
		resp: obj("requestId", g.r.uuid(), "instancesSet", obj("items", A{obj("instanceId", n.id, "currentState", obj("code", 32, "name", "shutting-down"), "previousState", obj("code", 16, "name", "running"))}))})
}

func (g *awsGen) caIdent(t time.Time) ident {
	created := t.Truncate(time.Hour)
	return assumedRole("eks-cluster-autoscaler", "AROAQ3EXAMPLE0CLUSTAS", fmt.Sprintf("%d", created.UnixNano()), "ASIAQ3EXAMPLE0CA"+fmt.Sprintf("%04d", created.Hour()*100), created)
}

// scheduler is a Lambda that starts the dev instances in the morning and
// stops a batch instance later.
func (g *awsGen) scheduler() {
	who := assumedRole("instance-scheduler-role", "AROAQ3EXAMPLE0SCHEDLR", "instance-scheduler", g.tempKey(), at(7, 0, 1))
	host := "ec2." + region + ".amazonaws.com"
	for _, job := range []struct {
		t     time.Time
		name  string
		ids   []string
		from  [2]any
		to    [2]any
		sched string
	}{
		{at(7, 0, 3), "StartInstances", []string{"i-0e1f2a3b4c5d60201", "i-0e1f2a3b4c5d60202"}, [2]any{80, "stopped"}, [2]any{0, "pending"}, "office-hours"},
		{at(11, 0, 2), "StopInstances", []string{"i-0e1f2a3b4c5d60210"}, [2]any{16, "running"}, [2]any{64, "stopping"}, "batch-morning"},
	} {
		g.add(call{t: job.t, who: who, ip: lambdaIP, ua: uaLambda, svc: "ec2", name: "DescribeInstances", ro: true, host: host,
			req: obj("instancesSet", O{}, "filterSet", obj("items", A{obj("name", "tag:Schedule", "valueSet", obj("items", A{obj("value", job.sched)}))}))})
		items, resp := A{}, A{}
		for _, id := range job.ids {
			items = append(items, obj("instanceId", id))
			resp = append(resp, obj("instanceId", id, "currentState", obj("code", job.to[0], "name", job.to[1]), "previousState", obj("code", job.from[0], "name", job.from[1])))
		}
		g.add(call{t: job.t.Add(time.Second), who: who, ip: lambdaIP, ua: uaLambda, svc: "ec2", name: job.name, host: host,
			req: obj("instancesSet", obj("items", items)), resp: obj("requestId", g.r.uuid(), "instancesSet", obj("items", resp))})
	}
}

// consoleSession is a console sign-in with MFA and a while of browsing.
func (g *awsGen) consoleSession(t time.Time, user ident, ip, ua string, n int, ecr bool) {
	g.add(call{t: t, who: ident{kind: "IAMUser", principal: user.principal, arn: user.arn, user: user.user}, ip: ip, ua: ua,
		svc: "signin", name: "ConsoleLogin", resp: obj("ConsoleLogin", "Success"), etype: "AwsConsoleSignIn",
		extra: obj("LoginTo", "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1_"+g.r.hex(16),
			"MobileVersion", "No", "MFAIdentifier", "arn:aws:iam::"+account+":mfa/"+user.user, "MFAUsed", "Yes"),
		host: "signin.aws.amazon.com"})
	who := user
	who.key, who.console, who.mfa, who.created = g.tempKey(), true, true, t
	type op struct {
		svc, name string
		req       any
	}
	menu := []op{
		{"ec2", "DescribeInstances", obj("maxResults", 1000, "instancesSet", O{}, "filterSet", O{})},
		{"ec2", "DescribeInstanceStatus", obj("instancesSet", O{}, "filterSet", O{}, "includeAllInstances", true)},
		{"ec2", "DescribeSecurityGroups", obj("securityGroupSet", O{}, "securityGroupIdSet", O{}, "filterSet", O{})},
		{"ec2", "DescribeVpcs", obj("vpcSet", O{}, "filterSet", O{})},
		{"ec2", "DescribeSubnets", obj("subnetSet", O{}, "filterSet", O{})},
		{"eks", "DescribeCluster", obj("name", eksCluster)},
		{"eks", "ListNodegroups", obj("clusterName", eksCluster)},
		{"monitoring", "DescribeAlarms", obj("maxRecords", 100)},
		{"monitoring", "GetMetricData", obj("startTime", "", "endTime", "")},
		{"logs", "DescribeLogGroups", obj("limit", 50)},
		{"logs", "FilterLogEvents", obj("logGroupName", "/aws/eks/prod-eks/cluster", "startTime", 0, "endTime", 0, "limit", 100)},
		{"s3", "ListBuckets", obj("Host", "s3.amazonaws.com")},
		{"iam", "GetAccountSummary", nil},
	}
	if ecr {
		menu = append(menu, op{"ecr", "DescribeRepositories", obj("maxResults", 1000)},
			op{"ecr", "DescribeImages", obj("repositoryName", "orders-api", "maxResults", 100, "filter", obj("tagStatus", "ANY"))})
	}
	for i := 0; i < n; i++ {
		t = t.Add(g.r.secs(8, 75))
		o := menu[g.r.intn(len(menu))]
		req := o.req
		switch o.name {
		case "GetMetricData":
			req = obj("metricDataQueries", A{obj("id", "m0", "metricStat", obj("metric", obj("namespace", "AWS/EC2", "metricName", "CPUUtilization"), "period", 300, "stat", "Average"))},
				"startTime", ts(t.Add(-3*time.Hour)), "endTime", ts(t))
		case "FilterLogEvents":
			req = obj("logGroupName", "/aws/eks/prod-eks/cluster", "startTime", t.Add(-time.Hour).UnixMilli(), "endTime", t.UnixMilli(), "limit", 100)
		}
		host := o.svc + "." + region + ".amazonaws.com"
		switch o.svc {
		case "ecr":
			host = ecrHost
		case "s3":
			host = "s3.amazonaws.com"
		case "iam":
			host = "iam.amazonaws.com"
		}
		c := call{t: t, who: who, ip: ip, ua: ua, svc: o.svc, name: o.name, req: req, ro: true, host: host}
		if o.svc == "ecr" {
			if r, ok := req.(O); ok && len(r) > 0 && r[0].K == "repositoryName" {
				c.res = repoARN("orders-api")
			}
		}
		if o.name == "ListBuckets" {
			c.extra = obj("SignatureVersion", "SigV4", "CipherSuite", "TLS_AES_128_GCM_SHA256", "bytesTransferredIn", 0, "AuthenticationMethod", "AuthHeader", "x-amz-id-2", g.r.alnum(76), "bytesTransferredOut", g.r.between(2000, 4000))
		}
		g.add(c)
	}
}

// aliceCLI is an engineer checking today's receipts with her own key.
func (g *awsGen) aliceCLI(t time.Time) {
	bkt := "acme-prod-app-uploads"
	host := bkt + ".s3." + region + ".amazonaws.com"
	g.add(call{t: t, who: aliceCLI, ip: officeIP1, ua: uaAliceCLI, svc: "sts", name: "GetCallerIdentity", ro: true, host: "sts." + region + ".amazonaws.com"})
	t = t.Add(g.r.secs(20, 40))
	g.add(call{t: t, who: aliceCLI, ip: officeIP1, ua: uaAliceCLI, svc: "s3", name: "ListObjects", ro: true, data: true, host: host,
		req:   obj("bucketName", bkt, "Host", host, "prefix", "receipts/2026/10/14/", "delimiter", "/", "encoding-type", "url"),
		extra: s3Extra(g.r, 0, g.r.between(8000, 20000)), res: A{obj("accountId", account, "type", "AWS::S3::Bucket", "ARN", "arn:aws:s3:::"+bkt)}})
	for i := 0; i < 2; i++ {
		t = t.Add(g.r.secs(10, 60))
		key := "receipts/2026/10/14/" + g.r.uuid() + ".pdf"
		g.add(call{t: t, who: aliceCLI, ip: officeIP1, ua: uaAliceCLI[:len(uaAliceCLI)-len("s3.ls")] + "s3.cp", svc: "s3", name: "GetObject", ro: true, data: true, host: host,
			req: obj("bucketName", bkt, "Host", host, "key", key), extra: s3Extra(g.r, 0, g.r.between(40000, 90000)), res: s3Res(bkt, key)})
	}
}

func s3Extra(r *rng, in, out int) O {
	return obj("SignatureVersion", "SigV4", "CipherSuite", "TLS_AES_128_GCM_SHA256", "bytesTransferredIn", in, "AuthenticationMethod", "AuthHeader",
		"x-amz-id-2", r.alnum(76), "bytesTransferredOut", out)
}

func s3Res(bkt, key string) A {
	return A{obj("type", "AWS::S3::Object", "ARN", "arn:aws:s3:::"+bkt+"/"+key), obj("accountId", account, "type", "AWS::S3::Bucket", "ARN", "arn:aws:s3:::"+bkt)}
}

// background is the steady traffic of the account: CI deploy jobs, the
// cluster autoscaler polling, Grafana reading metrics, the payments
// service's objects, CloudFront reading static assets.
func (g *awsGen) background(nodes []*node) {
	// Jenkins deploy jobs with the ci-deployer key, every 15-25 minutes.
	repos := []string{"payments-api", "orders-api", "frontend"}
	build := 1830
	for t := bgStart.Add(g.r.secs(180, 400)); t.Before(bgEnd.Add(-4 * time.Minute)); t = t.Add(g.r.secs(900, 1500)) {
		build++
		repo := repos[g.r.intn(len(repos))]
		g.ciJob(t, repo, build)
	}
	// Cluster autoscaler, about every minute.
	for t := bgStart.Add(11 * time.Second); t.Before(bgEnd); t = t.Add(g.r.secs(58, 63)) {
		g.add(call{t: t, who: g.caIdent(t), ip: natIP, ua: uaCA, svc: "autoscaling", name: "DescribeAutoScalingGroups", ro: true,
			req:  obj("maxRecords", 100, "filters", A{obj("name", "tag:k8s.io/cluster-autoscaler/enabled", "values", []string{"true"}), obj("name", "tag:k8s.io/cluster-autoscaler/"+eksCluster, "values", []string{"owned"})}),
			host: "autoscaling." + region + ".amazonaws.com"})
	}
	// Grafana dashboards: metrics every minute, alarms every 5 minutes.
	graf := func(t time.Time) ident {
		c := t.Truncate(time.Hour)
		return assumedRole("grafana-cloudwatch", "AROAQ3EXAMPLE0GRAFANA", "grafana-"+fmt.Sprint(c.Unix()), "ASIAQ3EXAMPLE0GRF"+fmt.Sprintf("%03d", c.Hour()), c)
	}
	for t := bgStart.Add(42 * time.Second); t.Before(bgEnd); t = t.Add(time.Minute).Add(g.r.secs(-1, 1)) {
		g.add(call{t: t, who: graf(t), ip: natIP, ua: uaGrafana, svc: "monitoring", name: "GetMetricData", ro: true, host: "monitoring." + region + ".amazonaws.com",
			req: obj("metricDataQueries", A{
				obj("id", "a", "metricStat", obj("metric", obj("namespace", "AWS/ApplicationELB", "metricName", "TargetResponseTime", "dimensions", A{obj("name", "LoadBalancer", "value", "app/prod-web/3f9c1a2b4d5e6f70")}), "period", 60, "stat", "p99")),
				obj("id", "b", "metricStat", obj("metric", obj("namespace", "AWS/RDS", "metricName", "CPUUtilization", "dimensions", A{obj("name", "DBInstanceIdentifier", "value", "payments-db")}), "period", 60, "stat", "Average"))},
				"startTime", ts(t.Add(-time.Hour).Truncate(time.Minute)), "endTime", ts(t.Truncate(time.Minute)))})
		if t.Minute()%5 == 0 {
			g.add(call{t: t.Add(g.r.secs(1, 3)), who: graf(t), ip: natIP, ua: uaGrafana, svc: "monitoring", name: "DescribeAlarms", ro: true, host: "monitoring." + region + ".amazonaws.com",
				req: obj("stateValue", "ALARM", "maxRecords", 100)})
		}
	}
	// The payments service: STS web identity each hour per pod, and
	// receipts written and read.
	oidc := "arn:aws:iam::" + account + ":oidc-provider/oidc.eks." + region + ".amazonaws.com/id/5C8B1D3E7F2A9B4C6D0E1F2A3B4C5D6E"
	pods := []string{"10.20.11.105", "10.20.12.61", "10.20.13.142"}
	for h := 7; h < 12; h++ {
		for i, pip := range pods {
			t := at(h, 2+i*7, g.r.between(0, 59))
			session := fmt.Sprintf("aws-sdk-java-%d", t.UnixMilli())
			key := g.tempKey()
			roleARN := "arn:aws:iam::" + account + ":role/payments-api-irsa"
			sub := "system:serviceaccount:payments:payments-api"
			g.add(call{t: t, who: ident{kind: "WebIdentityUser", principal: oidc[len("arn:aws:iam::"+account+":"):] + ":sts.amazonaws.com:" + sub, user: sub, idp: oidc},
				ip: natIP, ua: uaJava, svc: "sts", name: "AssumeRoleWithWebIdentity", ro: true, host: "sts." + region + ".amazonaws.com", etype: "AwsApiCall",
				req: obj("roleArn", roleARN, "roleSessionName", session),
				resp: obj("credentials", obj("accessKeyId", key, "expiration", expiry(t.Add(time.Hour))), "subjectFromWebIdentityToken", sub,
					"assumedRoleUser", obj("assumedRoleId", "AROAQ3EXAMPLE0PAYIRSA:"+session, "arn", "arn:aws:sts::"+account+":assumed-role/payments-api-irsa/"+session),
					"provider", oidc, "audience", "sts.amazonaws.com"),
				res: A{obj("accountId", account, "type", "AWS::IAM::Role", "ARN", roleARN)}})
			who := assumedRole("payments-api-irsa", "AROAQ3EXAMPLE0PAYIRSA", session, key, t)
			bkt := "acme-prod-app-uploads"
			host := bkt + ".s3." + region + ".amazonaws.com"
			var recent []string
			for tt := t.Add(g.r.secs(30, 200)); tt.Before(t.Add(time.Hour)) && tt.Before(bgEnd); tt = tt.Add(g.r.secs(90, 300)) {
				if len(recent) == 0 || g.r.chance(60) {
					key := "receipts/2026/10/14/" + g.r.uuid() + ".pdf"
					recent = append(recent, key)
					g.add(call{t: tt, who: who, ip: pip, ua: uaJava, svc: "s3", name: "PutObject", data: true, host: host, vpce: vpceS3,
						req:   obj("bucketName", bkt, "Host", host, "key", key, "x-amz-server-side-encryption", "aws:kms"),
						resp:  obj("x-amz-server-side-encryption", "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id", uploadsKey, "x-amz-server-side-encryption-bucket-key-enabled", false),
						extra: s3Extra(g.r, g.r.between(30000, 95000), 0), res: s3Res(bkt, key)})
					g.kms(tt, who, "GenerateDataKey", bkt, key)
				} else {
					key := recent[g.r.intn(len(recent))]
					g.add(call{t: tt, who: who, ip: pip, ua: uaJava, svc: "s3", name: "GetObject", data: true, ro: true, host: host, vpce: vpceS3,
						req: obj("bucketName", bkt, "Host", host, "key", key), extra: s3Extra(g.r, 0, g.r.between(30000, 95000)), res: s3Res(bkt, key)})
					g.kms(tt, who, "Decrypt", bkt, key)
				}
			}
		}
	}
	// CloudFront fetching static assets from their origin bucket.
	assets := []string{"static/js/app.8c1f2e.js", "static/css/main.4b7a91.css", "static/img/logo.svg", "static/js/vendor.1d9e3c.js", "index.html", "static/fonts/inter-var.woff2"}
	for t := bgStart.Add(g.r.secs(20, 200)); t.Before(bgEnd); t = t.Add(g.r.secs(45, 200)) {
		bkt := "acme-prod-static-assets"
		key := assets[g.r.intn(len(assets))]
		g.add(call{t: t, who: service("cloudfront.amazonaws.com"), ip: "cloudfront.amazonaws.com", ua: "cloudfront.amazonaws.com", svc: "s3", name: "GetObject", data: true, ro: true,
			req: obj("bucketName", bkt, "Host", bkt+".s3."+region+".amazonaws.com", "key", key), extra: s3Extra(g.r, 0, g.r.between(2000, 400000)), res: s3Res(bkt, key)})
	}
}

// ciJob is one Jenkins deploy job: who-am-I, the image to deploy, and the
// deploy role for kubectl.
func (g *awsGen) ciJob(t time.Time, repo string, build int) {
	host := func(s string) string { return s + "." + region + ".amazonaws.com" }
	g.add(call{t: t, who: ciIdent, ip: ciIP, ua: uaCI, svc: "sts", name: "GetCallerIdentity", ro: true, host: host("sts")})
	tag := map[string]string{"payments-api": "v2.13.2", "orders-api": "v3.8.1", "frontend": "v5.1.3"}[repo]
	switch {
	case repo == "payments-api" && t.After(at(8, 5, 0)):
		tag = "v2.14.0"
	case repo == "orders-api" && t.After(at(7, 30, 0)):
		tag = "v3.8.2"
	case repo == "frontend" && t.After(at(10, 43, 0)):
		tag = "v5.2.0"
	}
	t = t.Add(g.r.secs(1, 3))
	c := g.ecr(t, ciIdent, ciIP, uaCI, "DescribeImages", repo, obj("repositoryName", repo, "imageIds", A{obj("imageTag", tag)}), nil, true)
	g.add(c)
	t = t.Add(g.r.secs(1, 3))
	session := fmt.Sprintf("jenkins-%s-deploy-%d", repo, build)
	key := g.tempKey()
	roleARN := "arn:aws:iam::" + account + ":role/eks-deploy-role"
	g.add(call{t: t, who: ciIdent, ip: ciIP, ua: uaCI, svc: "sts", name: "AssumeRole", ro: true, host: host("sts"),
		req: obj("roleArn", roleARN, "roleSessionName", session, "durationSeconds", 3600),
		resp: obj("credentials", obj("accessKeyId", key, "expiration", expiry(t.Add(time.Hour))),
			"assumedRoleUser", obj("assumedRoleId", "AROAQ3EXAMPLE0EKSDPLY:"+session, "arn", "arn:aws:sts::"+account+":assumed-role/eks-deploy-role/"+session)),
		res: A{obj("accountId", account, "type", "AWS::IAM::Role", "ARN", roleARN)}})
	t = t.Add(g.r.secs(1, 2))
	g.add(call{t: t, who: assumedRole("eks-deploy-role", "AROAQ3EXAMPLE0EKSDPLY", session, key, t), ip: ciIP, ua: uaCI, svc: "eks", name: "DescribeCluster", ro: true,
		req: obj("name", eksCluster), host: host("eks")})
}

// uploadsKey is the KMS key the receipts bucket encrypts with.
const uploadsKey = "arn:aws:kms:" + region + ":" + account + ":key/3e0f9a52-7c1b-4d8e-9f26-5a4b3c2d1e0f"

// kms is the KMS call S3 makes on the caller's behalf for an SSE-KMS
// object.
func (g *awsGen) kms(t time.Time, who ident, name, bkt, key string) {
	w := who
	w.invokedBy = "s3.amazonaws.com"
	req := obj("encryptionContext", obj("aws:s3:arn", "arn:aws:s3:::"+bkt+"/"+key), "encryptionAlgorithm", "SYMMETRIC_DEFAULT")
	if name == "GenerateDataKey" {
		req = obj("keyId", uploadsKey, "encryptionContext", obj("aws:s3:arn", "arn:aws:s3:::"+bkt+"/"+key), "keySpec", "AES_256")
	}
	g.add(call{t: t, who: w, ip: "s3.amazonaws.com", ua: "s3.amazonaws.com", svc: "kms", name: name, ro: true, req: req,
		res: A{obj("accountId", account, "type", "AWS::KMS::Key", "ARN", uploadsKey)}})
}
