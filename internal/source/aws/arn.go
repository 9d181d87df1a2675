// Package aws holds what vigil's AWS formats share: parsing ARNs,
// completing Amazon ECR image references, and reading the severities of
// Amazon Inspector and ECR scan findings.
package aws

import (
	"strings"

	"github.com/vigilsec/vigil/internal/event"
)

// ARN is an Amazon Resource Name: arn:partition:service:region:account:resource.
type ARN struct {
	Partition, Service, Region, Account, Resource string
}

// ParseARN splits an ARN; ok is false when s is not one.
func ParseARN(s string) (a ARN, ok bool) {
	if !strings.HasPrefix(s, "arn:") {
		return ARN{}, false
	}
	p := strings.SplitN(s, ":", 6)
	if len(p) < 6 {
		return ARN{}, false
	}
	return ARN{Partition: p[1], Service: p[2], Region: p[3], Account: p[4], Resource: p[5]}, true
}

// Region returns the region of an ARN, or "".
func Region(arn string) string {
	a, _ := ParseARN(arn)
	return a.Region
}

// Account returns the account id of an ARN, or "".
func Account(arn string) string {
	a, _ := ParseARN(arn)
	return a.Account
}

// CompleteECRImage completes the container fields of an Amazon ECR event:
// the registry defaults to the account (ECR's registryId is the owning
// account), a bare account id becomes the registry host
// <account>.dkr.ecr.<region>.amazonaws.com when the region is known, and
// image becomes [registry host/]repository@digest, registry/repository:tag (when
// image held a tag) or registry/repository. Vulnerability events without a
// resource URI get the image reference as one.
func CompleteECRImage(e *event.Event) {
	k := e.Container
	if k == nil || k.Repository == "" {
		return
	}
	if k.Registry == "" && e.Account != "" {
		k.Registry = e.Account
	}
	if k.Registry != "" && !strings.Contains(k.Registry, ".") && e.Region != "" {
		k.Registry += ".dkr.ecr." + e.Region + ".amazonaws.com"
	}
	ref := k.Repository
	if strings.Contains(k.Registry, ".") { // a host, not a bare account id
		ref = k.Registry + "/" + ref
	}
	switch {
	case k.ImageDigest != "":
		k.Image = ref + "@" + k.ImageDigest
	case k.Image != "": // a tag
		k.Image = ref + ":" + k.Image
	default:
		k.Image = ref
	}
	if e.Dataset == event.Vulnerability && (e.Vuln == nil || e.Vuln.ResourceURI == "") {
		e.V().ResourceURI = k.Image
	}
}
