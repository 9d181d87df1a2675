package k8saudit

import (
	"net/url"
	"strings"
)

// imageRef splits a container image reference into registry, repository and
// digest: "nginx:1.25" is docker.io, library/nginx; "ghcr.io/acme/app@sha256:…"
// is ghcr.io, acme/app and the digest.
func imageRef(ref string) (registry, repository, digest string) {
	ref = strings.TrimSpace(ref)
	if i := strings.IndexByte(ref, '@'); i >= 0 {
		if d := ref[i+1:]; strings.HasPrefix(d, "sha256:") {
			digest = d
		}
		ref = ref[:i]
	}
	if i := strings.LastIndexByte(ref, ':'); i >= 0 && !strings.Contains(ref[i:], "/") {
		ref = ref[:i] // tag
	}
	if ref == "" {
		return "", "", digest
	}
	registry, repository = "docker.io", ref
	if i := strings.IndexByte(ref, '/'); i >= 0 {
		if first := ref[:i]; strings.ContainsAny(first, ".:") || first == "localhost" {
			registry, repository = first, ref[i+1:]
		}
	}
	if registry == "index.docker.io" {
		registry = "docker.io"
	}
	if registry == "docker.io" && repository != "" && !strings.Contains(repository, "/") {
		repository = "library/" + repository
	}
	return registry, repository, digest
}

// objectPath is a Kubernetes object named by an API path.
type objectPath struct {
	group, resource, sub, namespace, name string
}

// parseRequestURI reads the object out of an API server request URI:
// /api/v1/namespaces/default/pods/web-1/exec?container=app or
// /apis/rbac.authorization.k8s.io/v1/clusterrolebindings/admin. ok is false
// for non-resource URLs (/healthz, /version).
func parseRequestURI(uri string) (p objectPath, ok bool) {
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	seg := strings.Split(strings.Trim(uri, "/"), "/")
	switch {
	case len(seg) >= 3 && seg[0] == "api":
		seg = seg[2:]
	case len(seg) >= 4 && seg[0] == "apis":
		p.group = seg[1]
		seg = seg[3:]
	default:
		return p, false
	}
	return p.rest(seg)
}

// parseResourceName reads GKE's protoPayload.resourceName:
// core/v1/namespaces/default/pods/web-1 or
// rbac.authorization.k8s.io/v1/clusterrolebindings/admin.
func parseResourceName(name string) (p objectPath, ok bool) {
	seg := strings.Split(strings.Trim(name, "/"), "/")
	if len(seg) < 3 || !isVersion(seg[1]) {
		return p, false
	}
	if seg[0] != "core" {
		p.group = seg[0]
	}
	return p.rest(seg[2:])
}

// rest reads [namespaces/<ns>/]<resource>[/<name>[/<subresource>]].
func (p objectPath) rest(seg []string) (objectPath, bool) {
	if len(seg) >= 3 && seg[0] == "namespaces" {
		p.namespace, seg = seg[1], seg[2:]
	}
	if len(seg) == 0 || seg[0] == "" {
		return p, false
	}
	p.resource = seg[0]
	if len(seg) > 1 {
		p.name = seg[1]
	}
	if len(seg) > 2 {
		p.sub = seg[2]
	}
	return p, true
}

// isVersion reports whether s is an API version: v1, v2beta1, v1alpha3.
func isVersion(s string) bool {
	if len(s) < 2 || s[0] != 'v' || s[1] < '0' || s[1] > '9' {
		return false
	}
	for i := 2; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// gkeMethod is a GKE method name, io.k8s.<group>.<version>.<resource>[.<sub>].<verb>.
type gkeMethod struct {
	group, resource, sub, verb string
}

// parseMethod reads a GKE method name. The group is written reversed after
// "io.k8s." (io.k8s.authorization.rbac.v1 is rbac.authorization.k8s.io;
// io.k8s.core.v1 is the core group); other method names (custom resources)
// carry the reversed group whole (com.example.stable.v1).
func parseMethod(m string) (g gkeMethod, ok bool) {
	seg := strings.Split(m, ".")
	v := -1
	for i, s := range seg {
		if isVersion(s) {
			v = i
			break
		}
	}
	if v < 1 || len(seg)-v < 3 {
		return g, false
	}
	groupSeg := seg[:v]
	k8s := len(groupSeg) >= 2 && groupSeg[0] == "io" && groupSeg[1] == "k8s"
	if k8s {
		groupSeg = groupSeg[2:]
	}
	var b strings.Builder
	for i := len(groupSeg) - 1; i >= 0; i-- {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(groupSeg[i])
	}
	g.group = b.String()
	if k8s {
		switch g.group {
		case "core", "":
			g.group = ""
		case "apps", "batch", "autoscaling", "policy", "extensions":
		default:
			g.group += ".k8s.io"
		}
	}
	after := seg[v+1:]
	g.resource, g.verb = after[0], after[len(after)-1]
	if len(after) > 2 {
		g.sub = after[1]
	}
	return g, true
}

// userType classifies a Kubernetes user name.
func userType(u string) string {
	switch {
	case u == "":
		return ""
	case strings.HasPrefix(u, "system:serviceaccount:"), strings.HasSuffix(u, ".gserviceaccount.com"):
		return "ServiceAccount"
	case strings.HasPrefix(u, "system:node:"):
		return "Node"
	case u == "system:anonymous":
		return "Anonymous"
	}
	return "User"
}

// azureResource returns the subscription and managed cluster named by an
// Azure resource id (any case, as Azure writes them both ways).
func azureResource(id string) (subscription, cluster string) {
	seg := strings.Split(strings.Trim(id, "/"), "/")
	for i := 0; i+1 < len(seg); i++ {
		switch {
		case strings.EqualFold(seg[i], "subscriptions"):
			subscription = seg[i+1]
		case strings.EqualFold(seg[i], "managedClusters"):
			cluster = seg[i+1]
		}
	}
	return subscription, cluster
}

// queryParam returns the first value of key in a URI's query string.
func queryParam(uri, key string) string {
	i := strings.IndexByte(uri, '?')
	if i < 0 {
		return ""
	}
	for _, kv := range strings.Split(uri[i+1:], "&") {
		k, v, _ := strings.Cut(kv, "=")
		if k == key {
			if u, err := url.QueryUnescape(v); err == nil {
				return u
			}
			return v
		}
	}
	return ""
}
