package gcpvuln

import (
	"strings"

	"github.com/vigilsec/vigil/internal/source"
)

// An image resource URI: https://HOST/PATH@sha256:HEX (or HOST/PATH:TAG),
// e.g. https://us-docker.pkg.dev/PROJECT/REPO/IMAGE@sha256:… (Artifact
// Registry) or https://gcr.io/PROJECT/IMAGE@sha256:… (Container Registry).
// The repository, as Docker names it, is PATH.

type imageRef struct {
	host, repository, digest, tag string
}

func parseImage(uri string) (ref imageRef, ok bool) {
	s := uri
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	host, path, found := strings.Cut(s, "/")
	if !found || host == "" || path == "" || !strings.Contains(host, ".") {
		return ref, false
	}
	ref.host = host
	if i := strings.IndexByte(path, '@'); i >= 0 {
		path, ref.digest = path[:i], path[i+1:]
	} else if i := strings.LastIndexByte(path, ':'); i > strings.LastIndexByte(path, '/') {
		path, ref.tag = path[:i], path[i+1:]
	}
	ref.repository = path
	return ref, path != ""
}

var (
	registry = source.Transform{Name: "HOST of https://HOST/PATH@DIGEST", Fn: func(s string) string {
		ref, _ := parseImage(s)
		return ref.host
	}}
	repository = source.Transform{Name: "PATH of https://HOST/PATH@DIGEST", Fn: func(s string) string {
		ref, _ := parseImage(s)
		return ref.repository
	}}
	digest = source.Transform{Name: "DIGEST of https://HOST/PATH@DIGEST", Fn: func(s string) string {
		ref, _ := parseImage(s)
		return ref.digest
	}}
	image = source.Transform{Name: "HOST/PATH@DIGEST (or :TAG), without the scheme", Fn: func(s string) string {
		ref, ok := parseImage(s)
		switch {
		case !ok:
			return ""
		case ref.digest != "":
			return ref.host + "/" + ref.repository + "@" + ref.digest
		case ref.tag != "":
			return ref.host + "/" + ref.repository + ":" + ref.tag
		}
		return ref.host + "/" + ref.repository
	}}
	// project is P in projects/P/occurrences/ID or projects/P/locations/L/occurrences/ID.
	project = source.Transform{Name: "P of projects/P/…", Fn: func(s string) string {
		rest, ok := strings.CutPrefix(s, "projects/")
		if !ok {
			return ""
		}
		p, _, _ := strings.Cut(rest, "/")
		return p
	}}
	location = source.Transform{Name: "L of projects/P/locations/L/occurrences/ID", Fn: func(s string) string {
		_, rest, ok := strings.Cut(s, "/locations/")
		if !ok {
			return ""
		}
		l, _, _ := strings.Cut(rest, "/")
		return l
	}}
	lastSegment = source.Transform{Name: "last path segment (projects/goog-vulnz/notes/CVE-… gives CVE-…)", Fn: func(s string) string {
		return s[strings.LastIndexByte(s, '/')+1:]
	}}
	// severity maps Grafeas severities onto the data model's vocabulary.
	severity = source.Transform{Name: "lower-cased; MINIMAL: informational, SEVERITY_UNSPECIFIED: unknown", Fn: func(s string) string {
		switch strings.ToUpper(s) {
		case "CRITICAL":
			return "critical"
		case "HIGH":
			return "high"
		case "MEDIUM":
			return "medium"
		case "LOW":
			return "low"
		case "MINIMAL":
			return "informational"
		case "SEVERITY_UNSPECIFIED", "NONE", "":
			return "unknown"
		}
		return strings.ToLower(s)
	}}
	fixAvailable = source.Transform{Name: "\"fix-available\" when true", Fn: func(s string) string {
		if s == "true" {
			return "fix-available"
		}
		return ""
	}}
)
