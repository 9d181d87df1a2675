package aws

import (
	"strconv"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
)

// Severities are Inspector's and ECR basic scanning's severity names,
// highest first.
var Severities = []string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED", "UNTRIAGED"}

// Severity maps an Inspector or ECR severity onto the data model's
// (critical, high, medium, low, informational, unknown).
func Severity(s string) string {
	switch s {
	case "CRITICAL":
		return "critical"
	case "HIGH":
		return "high"
	case "MEDIUM":
		return "medium"
	case "LOW":
		return "low"
	case "INFORMATIONAL":
		return "informational"
	case "UNDEFINED", "UNTRIAGED", "":
		return "unknown"
	}
	return strings.ToLower(s)
}

// Transforms for specs.
var (
	SeverityT = &source.Transform{Name: "lower-cased; UNDEFINED and UNTRIAGED unknown", Fn: Severity}
	// FixedT drops the placeholder Inspector writes when no fix exists.
	FixedT = &source.Transform{Name: "NotAvailable dropped", Fn: func(s string) string {
		if s == "NotAvailable" {
			return ""
		}
		return s
	}}
)

func isSeverity(s string) bool {
	for _, x := range Severities {
		if s == x {
			return true
		}
	}
	return false
}

// SummarizeSeverityCounts reads a finding-severity-counts object
// ({"CRITICAL":7,"HIGH":61,...,"TOTAL":158}): severity becomes the highest
// severity with findings and msg the counts, highest first, e.g.
// "CRITICAL 7, HIGH 61, TOTAL 158", or "no findings".
func SummarizeSeverityCounts(e *event.Event, counts *fastjson.Value) {
	if counts == nil {
		return
	}
	o, err := counts.Object()
	if err != nil {
		return
	}
	var b strings.Builder
	add := func(name string, n int) {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(name)
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(n))
	}
	for _, s := range Severities {
		if n := o.Get(s).GetInt(); n > 0 {
			if e.Vuln == nil || e.Vuln.Severity == "" {
				e.V().Severity = Severity(s)
			}
			add(s, n)
		}
	}
	o.Visit(func(k []byte, x *fastjson.Value) {
		if n := x.GetInt(); n > 0 && !isSeverity(string(k)) {
			add(string(k), n)
		}
	})
	if b.Len() == 0 {
		e.Msg = "no findings"
		return
	}
	e.Msg = b.String()
}
