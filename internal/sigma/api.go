package sigma

// This file fixes the package's API, which the detection engine
// (internal/detect) is written against. Change it only together with the
// engine.

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// Pos is a place in a rule file.
type Pos struct {
	File      string
	Line, Col int
}

func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Error is a problem with a rule: where, and why. Every load or compile
// error the package returns is an *Error.
type Error struct {
	Pos    Pos
	RuleID string // the rule's id or title, when known
	Msg    string
}

func (e *Error) Error() string {
	if e.RuleID != "" {
		return fmt.Sprintf("%s: rule %s: %s", e.Pos, e.RuleID, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Pos, e.Msg)
}

// Logsource routes a rule to the events it applies to.
type Logsource struct {
	Product, Service, Category, Definition string
}

// Rule is one parsed Sigma rule: a detection rule (Detection set) or a
// correlation rule (Correlation set).
type Rule struct {
	Pos Pos // the start of the rule's YAML document

	ID, Name, Title, Status, Description, Author, Date, Modified, Level string
	Tags, References, FalsePositives, Fields                            []string
	Logsource                                                           Logsource

	Detection   *Detection
	Correlation *Correlation

	// Extra holds top-level keys the specification does not define (for
	// example vigil's "tests"), for the caller to read.
	Extra map[string]*yaml.Node
}

// Detection is a detection rule's detection section, parsed but not
// compiled.
type Detection struct {
	Selections map[string]*Selection
	Conditions []Condition // "condition" may be a list: any of them
	Timeframe  time.Duration
}

// Condition is one parsed condition expression.
type Condition struct {
	Pos  Pos
	Text string
	Expr Expr
}

// Expr is a node of a condition: *And, *Or, *Not, *Ref (a selection name),
// *OfPattern (1 of sel*, all of them).
type Expr interface{ expr() }

type (
	And struct{ L, R Expr }
	Or  struct{ L, R Expr }
	Not struct{ X Expr }
	// Ref names one selection.
	Ref struct{ Name string }
	// OfPattern is "1 of pattern" (All false) or "all of pattern"; Pattern
	// "them" means every selection; otherwise a name with * wildcards.
	OfPattern struct {
		All     bool
		Pattern string
	}
)

func (*And) expr()       {}
func (*Or) expr()        {}
func (*Not) expr()       {}
func (*Ref) expr()       {}
func (*OfPattern) expr() {}

// Selection is one named search identifier: a list of maps (OR of ANDs) or
// a list of keywords.
type Selection struct {
	Pos         Pos
	Name        string
	Maps        [][]FieldMatch // OR over the outer list, AND within each map
	Keywords    []Value        // keyword search values (OR, or AND with |all)
	KeywordMods []string
}

// FieldMatch is one "field|modifier|...: value(s)" entry.
type FieldMatch struct {
	Pos       Pos
	Field     string   // "" for keywords written as a map entry
	Modifiers []string // as written, in order
	Values    []Value  // the values as written (a null value is Kind Null)
}

// Correlation is a correlation rule's correlation section.
type Correlation struct {
	Pos      Pos
	Type     string   // event_count, value_count, temporal, temporal_ordered, value_sum, value_avg, value_percentile
	Rules    []string // ids or names of the rules correlated, in order
	GroupBy  []string
	Timespan time.Duration
	// Condition is the threshold; nil for temporal types without one.
	Condition *Threshold
	// Aliases maps an alias field to, per rule id or name, the field of that
	// rule's events it stands for.
	Aliases map[string]map[string]string
	// Generate: the correlated rules also produce their own alerts.
	Generate bool
	// Learning is how long a new_value correlation learns the values it
	// sees before it reports new ones (vigil's `learning:` key); 0 means
	// Timespan.
	Learning time.Duration
}

// Threshold is a correlation condition such as "gte: 10" on an optional
// field (value_count counts distinct values of Field; value_sum sums it...).
type Threshold struct {
	Op         string // gt, gte, lt, lte, eq, neq
	Value      float64
	Field      string
	Percentile float64 // for value_percentile
}

// Kind is the type of a Value.
type Kind uint8

const (
	Absent Kind = iota // the field does not exist in the event
	Null               // the field exists and is null (or empty, where the source cannot tell)
	String
	Number
	Bool
	List
)

// Value is one field's value in an event, or one value written in a rule.
// S is the string form (numbers and booleans as their literal text); N the
// number when Kind is Number; L the elements when Kind is List. A Value a
// Getter returns is valid only during the Match call.
type Value struct {
	Kind Kind
	S    string
	N    float64
	L    []Value
}

// Getter reads one field from a document of type D.
type Getter[D any] func(d D) Value

// Resolver gives a rule's compiler the getters for its logsource. It is
// called once per field per rule, at compile time, never per event.
type Resolver[D any] interface {
	// Field returns the getter for a field name as written in the rule. An
	// error (the field cannot exist for this logsource) makes the rule fail
	// to compile, with the message naming the field.
	Field(name string) (Getter[D], error)
	// Keywords returns the getter keyword searches match against: the
	// text of the whole record.
	Keywords() (Getter[D], error)
}

// Options tune compilation.
type Options struct {
	// Placeholders gives the values of %name% placeholders for the expand
	// modifier. A placeholder without values fails compilation.
	Placeholders map[string][]string
}

// Holds reports whether x meets the threshold.
func (t *Threshold) Holds(x float64) bool {
	switch t.Op {
	case "gt":
		return x > t.Value
	case "gte":
		return x >= t.Value
	case "lt":
		return x < t.Value
	case "lte":
		return x <= t.Value
	case "eq":
		return x == t.Value
	case "neq":
		return x != t.Value
	}
	return false
}
