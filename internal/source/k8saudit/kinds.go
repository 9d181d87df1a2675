package k8saudit

import (
	"strings"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
)

// verbs maps a Kubernetes API verb to the data model action. A verb not
// listed (bind, escalate, impersonate, approve, ...) is its own action.
var verbs = map[string]string{
	"create":           "create",
	"update":           "modify",
	"patch":            "modify",
	"delete":           "delete",
	"deletecollection": "delete",
	"get":              "get",
	"list":             "list",
	"watch":            "list",
}

// kind is one row of the resource table: an API group and resource (with
// "/subresource" when it has one; "*" for every resource of the group), the
// dataset and, when the verb does not decide it, the action. PodSpec is the
// dot path of the pod spec inside the request or response object, for
// workloads: images, container names and pod security flags are read there.
type kind struct {
	Group    string // "" is the core group
	Resource string
	Dataset  event.Dataset
	Action   string
	PodSpec  string
}

// kinds lists the resources the data model tells apart. A resource not
// listed (services, ingresses, leases, custom resources, ...) is Management.
var kinds = []kind{
	// Container: workloads and what is done inside them.
	{"", "pods", event.Container, "", "spec"},
	{"", "pods/exec", event.Container, "exec", ""},
	{"", "pods/attach", event.Container, "exec", ""},
	{"", "pods/portforward", event.Container, "exec", ""},
	{"", "pods/ephemeralcontainers", event.Container, "", "spec"},
	{"", "pods/log", event.Container, "", ""},
	{"", "pods/eviction", event.Container, "delete", ""},
	{"", "podtemplates", event.Container, "", "template.spec"},
	{"", "replicationcontrollers", event.Container, "", "spec.template.spec"},
	{"apps", "deployments", event.Container, "", "spec.template.spec"},
	{"apps", "replicasets", event.Container, "", "spec.template.spec"},
	{"apps", "statefulsets", event.Container, "", "spec.template.spec"},
	{"apps", "daemonsets", event.Container, "", "spec.template.spec"},
	{"batch", "jobs", event.Container, "", "spec.template.spec"},
	{"batch", "cronjobs", event.Container, "", "spec.jobTemplate.spec.template.spec"},

	// Security: identities, credentials, permissions and network policy.
	{"rbac.authorization.k8s.io", "*", event.Security, "", ""},
	{"rbac.authorization.k8s.io", "roles", event.Security, "", ""},
	{"rbac.authorization.k8s.io", "clusterroles", event.Security, "", ""},
	{"rbac.authorization.k8s.io", "rolebindings", event.Security, "", ""},
	{"rbac.authorization.k8s.io", "clusterrolebindings", event.Security, "", ""},
	{"", "secrets", event.Security, "", ""},
	{"", "serviceaccounts", event.Security, "", ""},
	{"", "serviceaccounts/token", event.Security, "", ""},
	{"certificates.k8s.io", "*", event.Security, "", ""},
	{"certificates.k8s.io", "certificatesigningrequests", event.Security, "", ""},
	{"certificates.k8s.io", "certificatesigningrequests/approval", event.Security, "approve", ""},
	{"authentication.k8s.io", "*", event.Security, "", ""},
	{"authentication.k8s.io", "tokenreviews", event.Security, "", ""},
	{"authorization.k8s.io", "*", event.Security, "", ""},
	{"authorization.k8s.io", "subjectaccessreviews", event.Security, "", ""},
	{"authorization.k8s.io", "selfsubjectaccessreviews", event.Security, "", ""},
	{"authorization.k8s.io", "selfsubjectrulesreviews", event.Security, "", ""},
	{"networking.k8s.io", "networkpolicies", event.Security, "", ""},
	{"policy", "podsecuritypolicies", event.Security, "", ""},

	// Management: cluster configuration.
	{"admissionregistration.k8s.io", "*", event.Management, "", ""},
	{"admissionregistration.k8s.io", "mutatingwebhookconfigurations", event.Management, "", ""},
	{"admissionregistration.k8s.io", "validatingwebhookconfigurations", event.Management, "", ""},
	{"apiextensions.k8s.io", "*", event.Management, "", ""},
	{"apiextensions.k8s.io", "customresourcedefinitions", event.Management, "", ""},
	{"", "namespaces", event.Management, "", ""},
	{"", "nodes", event.Management, "", ""},
	{"", "configmaps", event.Management, "", ""},
}

// ops is the resource table; byResource finds a row by resource alone when
// the group is missing or spelled differently (GKE method names, fragments).
var (
	ops        = source.NewTable(false, nil, opRows())
	byResource = resourceIndex()
	podSpecs   = podSpecIndex()
)

func opRows() []source.Op {
	rows := make([]source.Op, 0, len(kinds))
	for _, k := range kinds {
		rows = append(rows, source.Op{Service: k.Group, Name: k.Resource, Dataset: k.Dataset, Action: k.Action})
	}
	return rows
}

func resourceIndex() map[string]*source.Entry {
	m := map[string]*source.Entry{}
	for _, k := range kinds {
		if k.Resource == "*" {
			continue
		}
		if _, dup := m[k.Resource]; !dup {
			m[k.Resource] = &source.Entry{Dataset: k.Dataset, Action: k.Action}
		}
	}
	return m
}

// podSpecIndex maps a resource (any group: apps and extensions deployments
// share it) to the path of its pod spec.
func podSpecIndex() map[string][]string {
	m := map[string][]string{}
	for _, k := range kinds {
		if k.PodSpec != "" {
			m[k.Resource] = strings.Split(k.PodSpec, ".")
		}
	}
	return m
}

// lookup finds the dataset and table action for a resource: the exact
// group and resource/subresource, then the resource without its
// subresource, then the resource in any group.
func lookup(group, resource, sub string) (event.Dataset, string) {
	key := resource
	if sub != "" {
		key = resource + "/" + sub
	}
	if en, _, ok := ops.Lookup(group, key); ok {
		return en.Dataset, en.Action
	}
	if sub != "" {
		if en, _, ok := ops.Lookup(group, resource); ok {
			return en.Dataset, en.Action
		}
	}
	if en := byResource[key]; en != nil {
		return en.Dataset, en.Action
	}
	if en := byResource[resource]; en != nil && sub != "" {
		return en.Dataset, en.Action
	}
	return event.Management, ""
}
