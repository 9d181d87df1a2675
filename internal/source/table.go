package source

import (
	"strings"

	"github.com/vigilsec/vigil/internal/event"
)

// Op is one row of an operation table: an operation of a service, and the
// dataset and action it maps to. Name "*" matches every operation of the
// service not listed on its own row. An empty Action is derived from the
// operation name's verb with the table's verb list. Fields, when set, are
// extra vendor fields that operation carries.
type Op struct {
	Service string
	Name    string
	Dataset event.Dataset
	Action  string
	Fields  Spec
}

// Verb maps an operation-name prefix (or, with Suffix, ending) to an action.
type Verb struct {
	Prefix string
	Action string
}

// Table looks operations up by service and name. Build it once with
// NewTable; lookups do not allocate.
type Table struct {
	exact   map[opKey]*Entry
	service map[string]*Entry
	verbs   []Verb
	rows    []Op
	fold    bool
}

type opKey struct{ service, name string }

// Entry is what a lookup finds.
type Entry struct {
	Dataset event.Dataset
	Action  string
	Fields  *Compiled
}

// NewTable builds a table. With fold, service and operation names compare
// case-insensitively (Azure operation names vary in case).
func NewTable(fold bool, verbs []Verb, rows ...[]Op) *Table {
	t := &Table{exact: map[opKey]*Entry{}, service: map[string]*Entry{}, verbs: verbs, fold: fold}
	for _, rs := range rows {
		for _, r := range rs {
			en := &Entry{Dataset: r.Dataset, Action: r.Action}
			if len(r.Fields) > 0 {
				en.Fields = r.Fields.Compile()
			}
			svc, name := t.norm(r.Service), t.norm(r.Name)
			if name == "*" {
				t.service[svc] = en
			} else {
				t.exact[opKey{svc, name}] = en
			}
			t.rows = append(t.rows, r)
		}
	}
	return t
}

func (t *Table) norm(s string) string {
	if t.fold {
		return strings.ToLower(s)
	}
	return s
}

// Lookup finds the entry for an operation and the action to report. ok is
// false when neither the operation nor its service is listed; action is then
// still derived from the verb.
func (t *Table) Lookup(service, name string) (en *Entry, action string, ok bool) {
	if t.fold {
		service, name = strings.ToLower(service), strings.ToLower(name)
	}
	if en = t.exact[opKey{service, name}]; en == nil {
		en = t.service[service]
	}
	if en != nil && en.Action != "" {
		return en, en.Action, true
	}
	return en, t.Verb(name), en != nil
}

// Verb derives an action from an operation name using the verb list:
// the first entry whose Prefix begins the name (case-insensitively) wins.
func (t *Table) Verb(name string) string {
	for _, v := range t.verbs {
		if len(name) >= len(v.Prefix) && strings.EqualFold(name[:len(v.Prefix)], v.Prefix) {
			return v.Action
		}
	}
	return ""
}

// Rows returns the table's rows, for the data model document.
func (t *Table) Rows() []Op { return t.rows }
