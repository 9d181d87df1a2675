package azureactivity

import (
	"strings"

	"github.com/vigilsec/vigil/internal/event"
)

// resourceField says that the name of a resource of an ARM type (as it
// appears in a resource id) feeds a data model field. Suffix is appended
// to the name (a registry name becomes its login server). Lower stores
// the value lowercased.
type resourceField struct {
	Type   string // provider namespace and resource type path
	Field  string
	Suffix string
	Lower  bool
}

// resourceFields are the resource types whose names fill dataset fields.
// A field is set only when the event's dataset is the field's group.
var resourceFields = []resourceField{
	{Type: "Microsoft.Compute/virtualMachines", Field: "instance_id"},
	{Type: "Microsoft.Compute/virtualMachineScaleSets", Field: "instance_id"},
	{Type: "Microsoft.ClassicCompute/virtualMachines", Field: "instance_id"},
	{Type: "Microsoft.Web/sites", Field: "instance_id"},
	{Type: "Microsoft.Storage/storageAccounts", Field: "bucket_name"},
	{Type: "Microsoft.Storage/storageAccounts/blobServices/containers", Field: "object_path"},
	{Type: "Microsoft.Storage/storageAccounts/fileServices/shares", Field: "object_path"},
	{Type: "Microsoft.Storage/storageAccounts/queueServices/queues", Field: "object_path"},
	{Type: "Microsoft.Storage/storageAccounts/tableServices/tables", Field: "object_path"},
	{Type: "Microsoft.Compute/disks", Field: "object_path"},
	{Type: "Microsoft.Compute/snapshots", Field: "object_path"},
	{Type: "Microsoft.ContainerService/managedClusters", Field: "cluster"},
	{Type: "Microsoft.Kubernetes/connectedClusters", Field: "cluster"},
	{Type: "Microsoft.ContainerRegistry/registries", Field: "registry", Suffix: ".azurecr.io", Lower: true},
}

type compiledResourceField struct {
	ns    string
	types []string
	field *event.Field
	rf    resourceField
}

var compiledResources = compileResources(resourceFields)

func compileResources(rfs []resourceField) []compiledResourceField {
	out := make([]compiledResourceField, 0, len(rfs))
	for _, rf := range rfs {
		f := event.Lookup(rf.Field)
		if f == nil {
			panic("azureactivity: resource table names unknown field " + rf.Field)
		}
		parts := strings.Split(rf.Type, "/")
		out = append(out, compiledResourceField{ns: parts[0], types: parts[1:], field: f, rf: rf})
	}
	return out
}

// maxTypeDepth bounds the nesting of resource types followed in an id.
const maxTypeDepth = 8

// ridWalker walks an ARM resource id, "/subscriptions/<id>/resourceGroups/
// <rg>/providers/<ns>/<type>/<name>[/<type>/<name>...]", one (type, name)
// level at a time, following extension resources ("/providers/<ns2>/..."
// after a resource) to the innermost one. All strings are substrings of
// the id; nothing is allocated.
type ridWalker struct {
	rest         string
	subscription string
	tenant       string
	ns           string               // provider namespace of the current resource
	types        [maxTypeDepth]string // its type path below ns
	names        [maxTypeDepth]string // the name at each level
	depth        int                  // number of (type, name) levels
}

func (w *ridWalker) segment() (string, bool) {
	for len(w.rest) > 0 && w.rest[0] == '/' {
		w.rest = w.rest[1:]
	}
	if w.rest == "" {
		return "", false
	}
	if i := strings.IndexByte(w.rest, '/'); i >= 0 {
		s := w.rest[:i]
		w.rest = w.rest[i+1:]
		return s, true
	}
	s := w.rest
	w.rest = ""
	return s, true
}

// next advances to the next (type, name) level; it reports false at the
// end of the id.
func (w *ridWalker) next() bool {
	for {
		seg, ok := w.segment()
		if !ok {
			return false
		}
		switch {
		case strings.EqualFold(seg, "subscriptions") && w.ns == "":
			if s, ok := w.segment(); ok && w.subscription == "" {
				w.subscription = s
			}
		case strings.EqualFold(seg, "tenants") && w.ns == "":
			if s, ok := w.segment(); ok && w.tenant == "" {
				w.tenant = s
			}
		case strings.EqualFold(seg, "providers"):
			ns, ok := w.segment()
			if !ok {
				return false
			}
			w.ns, w.depth = ns, 0
		case w.ns != "":
			if w.depth == maxTypeDepth {
				return false
			}
			name, _ := w.segment()
			w.types[w.depth], w.names[w.depth] = seg, name
			w.depth++
			return true
		default:
			w.segment() // resourceGroups/<name>, tenants/<id>, ...
		}
	}
}

// matches reports whether the walker's current type path equals c's.
func (c *compiledResourceField) matches(w *ridWalker) bool {
	if w.depth != len(c.types) || !strings.EqualFold(w.ns, c.ns) {
		return false
	}
	for i, t := range c.types {
		if !strings.EqualFold(w.types[i], t) {
			return false
		}
	}
	return true
}

// applyResource parses the resource id and fills the account and the
// dataset fields named by the resource table.
func applyResource(e *event.Event, id string) {
	w := ridWalker{rest: id}
	for w.next() {
		name := w.names[w.depth-1]
		if name == "" {
			continue
		}
		for i := range compiledResources {
			c := &compiledResources[i]
			if c.field.Group != e.Dataset || !c.matches(&w) {
				continue
			}
			v := name
			if c.rf.Lower {
				v = strings.ToLower(v)
			}
			c.field.Set(e, v+c.rf.Suffix)
		}
	}
	switch {
	case e.Account != "":
	case w.subscription != "":
		e.Account = w.subscription
	case w.tenant != "":
		e.Account = w.tenant // a tenant-level resource (/tenants/<id>/providers/...)
	}
}

// typePath returns the provider namespace and type path of the innermost
// resource of an id, lowercased and joined with '/' ("" when the id names
// no provider resource).
func typePath(id string) string {
	w := ridWalker{rest: id}
	for w.next() {
	}
	if w.ns == "" {
		return ""
	}
	var b strings.Builder
	b.WriteString(w.ns)
	for i := 0; i < w.depth; i++ {
		b.WriteByte('/')
		b.WriteString(w.types[i])
	}
	return strings.ToLower(b.String())
}
