package aws

import (
	"testing"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/event"
)

func TestSummarizeSeverityCounts(t *testing.T) {
	e := &event.Event{}
	SummarizeSeverityCounts(e, fastjson.MustParse(`{"TOTAL":12,"MEDIUM":9,"CRITICAL":3,"LOW":0}`))
	if e.Msg != "CRITICAL 3, MEDIUM 9, TOTAL 12" || e.Vuln == nil || e.Vuln.Severity != "critical" {
		t.Fatalf("msg %q vuln %+v", e.Msg, e.Vuln)
	}
	e = &event.Event{}
	SummarizeSeverityCounts(e, fastjson.MustParse(`{}`))
	if e.Msg != "no findings" || e.Vuln != nil {
		t.Fatalf("msg %q", e.Msg)
	}
	SummarizeSeverityCounts(e, fastjson.MustParse(`[1]`)) // not an object: left alone
	if Severity("UNTRIAGED") != "unknown" || Severity("Odd") != "odd" {
		t.Error("severity")
	}
}

func TestParseARN(t *testing.T) {
	a, ok := ParseARN("arn:aws:iam::111122223333:role/path/deployer")
	if !ok || a.Partition != "aws" || a.Service != "iam" || a.Region != "" || a.Account != "111122223333" || a.Resource != "role/path/deployer" {
		t.Fatalf("%+v %v", a, ok)
	}
	if Region("arn:aws:inspector2:eu-west-1:111122223333:finding/abc") != "eu-west-1" {
		t.Error("region")
	}
	for _, bad := range []string{"", "arn:aws:iam", "role/x", "ARN:aws:iam::1:x"} {
		if _, ok := ParseARN(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestCompleteECRImage(t *testing.T) {
	for _, c := range []struct {
		account, region, registry, digest, tag string
		want, wantRegistry                     string
	}{
		{"111122223333", "us-east-1", "", "sha256:ab", "", "111122223333.dkr.ecr.us-east-1.amazonaws.com/web@sha256:ab", "111122223333.dkr.ecr.us-east-1.amazonaws.com"},
		{"111122223333", "us-east-1", "444455556666", "", "v1", "444455556666.dkr.ecr.us-east-1.amazonaws.com/web:v1", "444455556666.dkr.ecr.us-east-1.amazonaws.com"},
		{"111122223333", "", "", "", "", "web", "111122223333"},
		{"", "", "", "", "", "web", ""},
	} {
		e := &event.Event{Account: c.account, Region: c.region, Dataset: event.Container}
		k := e.K()
		k.Repository, k.Registry, k.ImageDigest, k.Image = "web", c.registry, c.digest, c.tag
		CompleteECRImage(e)
		if k.Image != c.want || k.Registry != c.wantRegistry {
			t.Errorf("%+v: image %q registry %q", c, k.Image, k.Registry)
		}
	}
	e := &event.Event{Account: "1", Region: "r", Dataset: event.Vulnerability}
	e.K().Repository = "web"
	CompleteECRImage(e)
	if e.Vuln == nil || e.Vuln.ResourceURI != "1.dkr.ecr.r.amazonaws.com/web" {
		t.Errorf("resource uri %+v", e.Vuln)
	}
}
