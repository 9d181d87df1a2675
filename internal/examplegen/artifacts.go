package main

import (
	"strings"
	"time"
)

// vuln is a known vulnerability as Artifact Analysis reports it.
type vuln struct {
	cve       string
	pkg       string
	ptype     string // OS or GO_STDLIB
	version   string // affected version, Debian "upstream-revision" or plain
	fixed     string // "" when there is no fix
	severity  string // from the CVSS score; "" when NVD has none
	effective string // the distribution's or scanner's own rating
	score     float64
	vector    string
	expl, imp float64
	file      string
}

// Debian 12 findings present in every image built on the company base.
var baseVulns = []vuln{
	{"CVE-2024-26462", "krb5", "OS", "1.20.1-2+deb12u2", "", "MEDIUM", "MEDIUM", 5.5, "AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H", 1.8, 3.6, "/var/lib/dpkg/status"},
	{"CVE-2023-50495", "ncurses", "OS", "6.4-4", "", "MEDIUM", "LOW", 6.5, "AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H", 2.8, 3.6, "/var/lib/dpkg/status"},
	{"CVE-2023-4039", "gcc-12", "OS", "12.2.0-14", "", "MEDIUM", "LOW", 4.8, "AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:N", 2.2, 2.5, "/var/lib/dpkg/status"},
	{"CVE-2022-27943", "gcc-12", "OS", "12.2.0-14", "", "MEDIUM", "LOW", 5.5, "AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", 1.8, 3.6, "/var/lib/dpkg/status"},
	{"CVE-2011-3374", "apt", "OS", "2.6.1", "", "LOW", "LOW", 3.7, "AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:L/A:N", 2.2, 1.4, "/var/lib/dpkg/status"},
}

// The implant is a Go binary built with go1.13.15; the scanner finds the
// standard library's later CVEs in it.
var implantVulns = []vuln{
	{"CVE-2023-24538", "stdlib", "GO_STDLIB", "1.13.15", "1.19.8", "CRITICAL", "CRITICAL", 9.8, "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 3.9, 5.9, "usr/local/bin/metrics-agent"},
	{"CVE-2023-24540", "stdlib", "GO_STDLIB", "1.13.15", "1.19.9", "CRITICAL", "CRITICAL", 9.8, "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 3.9, 5.9, "usr/local/bin/metrics-agent"},
	{"CVE-2022-23806", "stdlib", "GO_STDLIB", "1.13.15", "1.16.14", "CRITICAL", "CRITICAL", 9.1, "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N", 3.9, 5.2, "usr/local/bin/metrics-agent"},
	{"CVE-2023-39325", "stdlib", "GO_STDLIB", "1.13.15", "1.20.10", "HIGH", "HIGH", 7.5, "AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 3.9, 3.6, "usr/local/bin/metrics-agent"},
	{"CVE-2022-41723", "stdlib", "GO_STDLIB", "1.13.15", "1.19.6", "HIGH", "HIGH", 7.5, "AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 3.9, 3.6, "usr/local/bin/metrics-agent"},
	{"CVE-2023-45288", "stdlib", "GO_STDLIB", "1.13.15", "1.21.9", "HIGH", "HIGH", 7.5, "AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 3.9, 3.6, "usr/local/bin/metrics-agent"},
}

// version renders a Grafeas Version.
func version(v string) M {
	if v == "" {
		return M{"kind": "MAXIMUM"}
	}
	m := M{"kind": "NORMAL", "fullName": v, "name": v}
	if i := strings.LastIndexByte(v, '-'); i > 0 {
		m["name"], m["revision"] = v[:i], v[i+1:]
	}
	return m
}

var cvssNames = map[string]map[string]string{
	"AV": {"N": "ATTACK_VECTOR_NETWORK", "A": "ATTACK_VECTOR_ADJACENT", "L": "ATTACK_VECTOR_LOCAL", "P": "ATTACK_VECTOR_PHYSICAL"},
	"AC": {"L": "ATTACK_COMPLEXITY_LOW", "H": "ATTACK_COMPLEXITY_HIGH"},
	"PR": {"N": "PRIVILEGES_REQUIRED_NONE", "L": "PRIVILEGES_REQUIRED_LOW", "H": "PRIVILEGES_REQUIRED_HIGH"},
	"UI": {"N": "USER_INTERACTION_NONE", "R": "USER_INTERACTION_REQUIRED"},
	"S":  {"U": "SCOPE_UNCHANGED", "C": "SCOPE_CHANGED"},
	"C":  {"H": "IMPACT_HIGH", "L": "IMPACT_LOW", "N": "IMPACT_NONE"},
}

var cvssKeys = map[string]string{"AV": "attackVector", "AC": "attackComplexity", "PR": "privilegesRequired", "UI": "userInteraction", "S": "scope",
	"C": "confidentialityImpact", "I": "integrityImpact", "A": "availabilityImpact"}

func (v vuln) cvss() M {
	m := M{"baseScore": v.score, "exploitabilityScore": v.expl, "impactScore": v.imp}
	for _, part := range strings.Split(v.vector, "/") {
		kv := strings.SplitN(part, ":", 2)
		names := cvssNames[kv[0]]
		if names == nil {
			names = cvssNames["C"]
		}
		m[cvssKeys[kv[0]]] = names[kv[1]]
	}
	return m
}

// occurrence renders a VULNERABILITY occurrence on resource uri.
func (v vuln) occurrence(name, uri string, t time.Time) M {
	cpe := "cpe:/o:debian:debian_linux:12"
	url := "https://security-tracker.debian.org/tracker/" + v.cve
	if v.ptype != "OS" {
		url = "https://nvd.nist.gov/vuln/detail/" + v.cve
	}
	issue := M{
		"affectedCpeUri": cpe, "affectedPackage": v.pkg, "affectedVersion": version(v.version),
		"fixedCpeUri": cpe, "fixedPackage": v.pkg, "fixedVersion": version(v.fixed),
		"fixAvailable": v.fixed != "", "packageType": v.ptype, "effectiveSeverity": v.effective,
		"fileLocation": A{M{"filePath": v.file}},
	}
	vu := M{
		"cvssScore": v.score, "cvssVersion": "CVSS_VERSION_3", "cvssv3": v.cvss(),
		"effectiveSeverity": v.effective, "fixAvailable": v.fixed != "",
		"longDescription":  "NIST vectors: CVSS:3.1/" + v.vector,
		"packageIssue":     A{issue},
		"relatedUrls":      A{M{"label": "More Info", "url": url}},
		"severity":         v.severity,
		"shortDescription": v.cve,
		"type":             v.ptype,
	}
	return M{"createTime": tsNano(t), "kind": "VULNERABILITY", "name": name, "noteName": "projects/goog-vulnz/notes/" + v.cve,
		"resourceUri": uri, "updateTime": tsNano(t), "vulnerability": vu}
}

// scan is Artifact Analysis scanning a newly pushed image: a DISCOVERY
// occurrence, one VULNERABILITY occurrence per finding, and a Pub/Sub
// notification for each, then the discovery's update when it finishes.
func (g *gcpGen) scan(t time.Time, im image, implant bool) {
	uri := "https://gcr.io/" + project + "/" + im.Repo + "@" + im.Digest
	disc := "projects/" + project + "/occurrences/" + g.r.uuid()
	t = t.Add(g.r.nanos())
	g.notify(t, disc, "DISCOVERY")
	vs := baseVulns
	if implant {
		vs = append(append([]vuln{}, implantVulns...), baseVulns...)
	}
	t = t.Add(g.r.secs(6, 14))
	for _, v := range vs {
		t = t.Add(time.Duration(g.r.between(20, 400)) * time.Millisecond)
		name := "projects/" + project + "/occurrences/" + g.r.uuid()
		g.notify(t, name, "VULNERABILITY")
		if implant {
			g.implantOccurrences = append(g.implantOccurrences, v.occurrence(name, uri, t))
		}
	}
	g.notify(t.Add(g.r.secs(1, 3)).Add(g.r.nanos()), disc, "DISCOVERY")
}
