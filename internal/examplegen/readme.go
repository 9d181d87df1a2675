package main

import (
	"bytes"
	_ "embed"
	"fmt"
	"strings"
	"text/template"
	"time"
)

//go:embed README.md.tmpl
var readmeTemplate string

var readmeFuncs = template.FuncMap{
	"hm":   func(t time.Time) string { return t.Format("15:04") },
	"hms":  func(t time.Time) string { return t.Format("15:04:05") },
	"join": strings.Join,
	"mins": func(a, b time.Time) int { return int(b.Sub(a).Round(time.Minute) / time.Minute) },
	"secs": func(a, b time.Time) int { return int(b.Sub(a) / time.Second) },
}

// readme renders examples/README.md.
func readme(f *facts) []byte {
	data := struct {
		*facts
		Account, Region, Registry, Project, ProjectNumber, Bucket    string
		EKS, GKE, GKELocation, CloudBuildSA, CDSA, CIIP, CIKey       string
		UACI, UABoto, UADocker, UAKubectl, CISA, CISAKey, AttackerIP string
		NodeSA                                                       string
		Repos                                                        []string
		VulnTotal                                                    int
	}{
		facts: f, Account: account, Region: region, Registry: registry, Project: project, ProjectNumber: projectNumber, Bucket: gcrBucket,
		EKS: eksCluster, GKE: gkeCluster, GKELocation: gkeLocation, CloudBuildSA: cloudbuildSA, CDSA: cdSA, CIIP: ciIP, CIKey: ciKey,
		UACI: uaCI, UABoto: uaBoto, UADocker: uaDockerAttacker, UAKubectl: uaKubectlAttacker, CISA: ciSA, CISAKey: ciSAKeyID, AttackerIP: attackerIP,
		NodeSA: nodeSA, Repos: ecrRepos,
	}
	for _, n := range f.Vulns {
		data.VulnTotal += n
	}
	t := template.Must(template.New("README.md").Funcs(readmeFuncs).Option("missingkey=error").Parse(readmeTemplate))
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		panic(fmt.Sprintf("README template: %v", err))
	}
	return b.Bytes()
}
