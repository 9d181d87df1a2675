package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// seed fixes every random choice; changing it changes every example file.
const seed = "vigil-examples-t1525-v1"

// day is the scenario's date. Background activity runs from 07:00 to
// 12:00 UTC; the attack runs from 09:14 to about 10:30.
var day = time.Date(2026, 10, 14, 0, 0, 0, 0, time.UTC)

// at returns a time on the scenario's day.
func at(h, m, s int) time.Time {
	return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second)
}

var (
	bgStart = at(7, 0, 0)
	bgEnd   = at(12, 0, 0)
)

// The attacker.
const (
	attackerIP = "185.220.101.47"
	// uaBoto is the attacker's tooling (a Python container-attack kit on boto3).
	uaBoto = "Boto3/1.9.253 Python/3.7.5 Linux/5.4.0-48-generic Botocore/1.12.253"
	// uaDockerAttacker is the attacker's docker client.
	uaDockerAttacker  = `docker/20.10.7 go/go1.13.15 git-commit/b0f5bc3 kernel/5.4.0-48-generic os/linux arch/amd64 UpstreamClient(Docker-Client/20.10.7 \(linux\))`
	uaKubectlAttacker = "kubectl/v1.18.20 (linux/amd64) kubernetes/1f3e19b"
	uaGcloudAttacker  = "google-cloud-sdk gcloud/310.0.0 command/gcloud.container.clusters.get-credentials invocation-id/4f2b9c1d7e0a4c5b8f3e6d2a1b0c9e8f environment/None environment-version/None interactive/True from-script/False python/3.7.5 term/xterm-256color (Linux 5.4.0-48-generic)"
)

// AWS.
const (
	account      = "111122223333"
	region       = "us-east-1"
	trailName    = "acme-org-trail"
	trailBkt     = "acme-cloudtrail-111122223333"
	registry     = account + ".dkr.ecr." + region + ".amazonaws.com"
	ciIP         = "198.51.100.24" // the Jenkins host that deploys
	natIP        = "203.0.113.10"  // the production VPC's NAT gateway
	officeIP1    = "203.0.113.40"
	officeIP2    = "203.0.113.41"
	lambdaIP     = "198.51.100.201"
	vpceECR      = "vpce-0a1b2c3d4e5f60001"
	vpceS3       = "vpce-0f1e2d3c4b5a69788"
	ciUser       = "ci-deployer"
	ciUserID     = "AIDAQ3EXAMPLE0CIDEPLY"
	ciKey        = "AKIAQ3EXAMPLE7CIDEPL"
	uaCI         = "aws-sdk-go/1.55.5 (go1.22.7; linux; amd64)"
	uaCodeCLI    = "aws-cli/2.17.52 md/awscrt#0.21.2 ua/2.0 os/linux#5.10.225-213.878.amzn2.x86_64 md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython exec-env/AWS_ECS_EC2 cfg/retry-mode#standard md/installer#exe md/distrib#amzn.2 md/prompt#off md/command#ecr.get-login-password"
	uaDockerCB   = `docker/24.0.5 go/go1.20.6 git-commit/a61e2b4 kernel/5.10.225-213.878.amzn2.x86_64 os/linux arch/amd64 UpstreamClient(Docker-Client/24.0.5 \(linux\))`
	uaBrowser    = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36"
	uaBrowser2   = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0"
	uaNodeECR    = "aws-sdk-go-v2/1.30.4 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/ecr#1.32.2 ecr-credential-provider/v1.30.0"
	uaContainerd = "containerd/1.7.22"
	uaCA         = "aws-sdk-go/1.44.241 (go1.21.9; linux; amd64) cluster-autoscaler/v1.30.2"
	uaGrafana    = "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/cloudwatch#1.40.3 grafana/11.2.2"
	uaJava       = "aws-sdk-java/2.25.60 Linux/5.10.225-213.878.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.12+7-LTS Java/17.0.12 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy"
	uaLambda     = "Boto3/1.34.144 md/Botocore#1.34.144 ua/2.0 os/linux#5.10.224-233.873.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.4 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.144"
	uaAliceCLI   = "aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/macos#23.6.0 md/arch#arm64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#s3.ls"
	eksCluster   = "prod-eks"
)

// GCP.
const (
	project       = "acme-prod"
	projectNumber = "123456789012"
	gcrBucket     = "artifacts." + project + ".appspot.com"
	gkeCluster    = "prod-gke-1"
	gkeLocation   = "us-central1"
	ciSA          = "ci-deployer@" + project + ".iam.gserviceaccount.com"
	ciSAKeyID     = "6a3f0c2e9b1d4e7f8a5c0b3d2e1f4a6b9c8d7e0f"
	cloudbuildSA  = projectNumber + "@cloudbuild.gserviceaccount.com"
	cdSA          = "cd-pipeline@" + project + ".iam.gserviceaccount.com"
	nodeSA        = "gke-nodes@" + project + ".iam.gserviceaccount.com"
	paymentsSA    = "payments-api@" + project + ".iam.gserviceaccount.com"
	schedulerSA   = "instance-scheduler@" + project + ".iam.gserviceaccount.com"
	cloudservices = projectNumber + "@cloudservices.gserviceaccount.com"
	alice         = "alice.nguyen@example.com"
	bob           = "bob.martin@example.com"
	cbPoolIP      = "10.40.0.12" // Cloud Build private pool worker
	uaGoStorage   = "google-api-go-client/0.5"
	uaKubectlCD   = "kubectl/v1.30.4 (linux/amd64) kubernetes/a51b3b7"
	uaKubectlHum  = "kubectl/v1.31.1 (darwin/arm64) kubernetes/948afe5"
	uaGKENode     = "containerd/1.7.22-gke.0"
)

// layer is one blob of an image.
type layer struct {
	Digest string
	Size   int
}

// image is a container image with a real Docker v2 schema 2 manifest, so
// that its digest is the SHA-256 of the manifest bytes, as registries
// compute it.
type image struct {
	Repo, Tag string
	Config    layer
	Layers    []layer
	Manifest  string
	Digest    string
}

// blob returns a deterministic blob digest for a name.
func blob(name string) string {
	s := sha256.Sum256([]byte("vigil-example-blob\x00" + name))
	return "sha256:" + hex.EncodeToString(s[:])
}

func newImage(repo, tag string, layers []layer, configSize int) image {
	im := image{Repo: repo, Tag: tag, Layers: layers,
		Config: layer{blob(fmt.Sprintf("%s:%s/config", repo, tag)), configSize}}
	ls := A{}
	for _, l := range layers {
		ls = append(ls, obj("mediaType", "application/vnd.docker.image.rootfs.diff.tar.gzip", "size", l.Size, "digest", l.Digest))
	}
	m := obj(
		"schemaVersion", 2,
		"mediaType", "application/vnd.docker.distribution.manifest.v2+json",
		"config", obj("mediaType", "application/vnd.docker.container.image.v1+json", "size", configSize, "digest", im.Config.Digest),
		"layers", ls,
	)
	im.Manifest = string(indent(m, "   "))
	s := sha256.Sum256([]byte(im.Manifest))
	im.Digest = "sha256:" + hex.EncodeToString(s[:])
	return im
}

// The base layers every service image is built on (Debian 12 plus a
// runtime), and the images of the scenario.
var (
	baseDebian = layer{blob("debian:bookworm-slim"), 29126484}
	baseCerts  = layer{blob("acme/base:ca-certificates+tzdata"), 4210337}
	baseJRE    = layer{blob("acme/base:jre17"), 51988712}
	baseNode   = layer{blob("acme/base:node20"), 43120944}

	imgOrders   = newImage("orders-api", "v3.8.2", []layer{baseDebian, baseCerts, baseJRE, {blob("orders-api:v3.8.2/app"), 38710218}}, 6132)
	imgPayments = newImage("payments-api", "v2.14.0", []layer{baseDebian, baseCerts, baseJRE, {blob("payments-api:v2.14.0/deps"), 22410982}, {blob("payments-api:v2.14.0/app"), 17022458}}, 7417)
	imgFrontend = newImage("frontend", "v5.2.0", []layer{baseDebian, baseCerts, baseNode, {blob("frontend:v5.2.0/app"), 9904311}}, 5388)
	imgLedger   = newImage("ledger-worker", "v1.4.1", []layer{baseDebian, baseCerts, baseJRE, {blob("ledger-worker:v1.4.1/app"), 12095517}}, 5940)

	// implantLayer adds the backdoor (a reverse-shell binary built with
	// go1.13.15 and an entrypoint wrapper) on top of payments-api v2.14.0.
	implantLayer = layer{blob("payments-api:latest/implant"), 6814021}
	imgImplant   = newImage("payments-api", "latest", append(append([]layer{}, imgPayments.Layers...), implantLayer), 7795)
)

// Repositories in the ECR registry and the images in GCR.
var ecrRepos = []string{"payments-api", "orders-api", "frontend", "auth-service", "notification-worker", "platform/debian-base"}

func ts(t time.Time) string     { return t.UTC().Format("2006-01-02T15:04:05Z") }
func tsNano(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
