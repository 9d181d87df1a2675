// Package components is the one list of vigil's log formats and alert
// outputs. A new format is a package under internal/source/ plus one line
// in Formats; a new destination a package under internal/output/ plus one
// line in Outputs.
package components

import (
	"sort"

	"github.com/vigilsec/vigil/internal/config"
	"github.com/vigilsec/vigil/internal/delivery"
	"github.com/vigilsec/vigil/internal/output/elasticsearch"
	"github.com/vigilsec/vigil/internal/output/file"
	"github.com/vigilsec/vigil/internal/output/kafka"
	"github.com/vigilsec/vigil/internal/output/splunkhec"
	"github.com/vigilsec/vigil/internal/output/webhook"
	"github.com/vigilsec/vigil/internal/source"
	"github.com/vigilsec/vigil/internal/source/awsvpcflow"
	"github.com/vigilsec/vigil/internal/source/azureactivity"
	"github.com/vigilsec/vigil/internal/source/azurensgflow"
	"github.com/vigilsec/vigil/internal/source/azuresignin"
	"github.com/vigilsec/vigil/internal/source/cloudtrail"
	"github.com/vigilsec/vigil/internal/source/ecrscan"
	"github.com/vigilsec/vigil/internal/source/gcpaudit"
	"github.com/vigilsec/vigil/internal/source/gcplb"
	"github.com/vigilsec/vigil/internal/source/gcpscc"
	"github.com/vigilsec/vigil/internal/source/gcpvpcflow"
	"github.com/vigilsec/vigil/internal/source/gcpvuln"
	"github.com/vigilsec/vigil/internal/source/inspector"
	"github.com/vigilsec/vigil/internal/source/k8saudit"
	"github.com/vigilsec/vigil/internal/source/sensorevent"
)

// Formats returns every format in detection order: a record goes to the
// first whose Detect accepts it, so wrappers (a Kubernetes audit event
// inside a GCP LogEntry or an Azure diagnostic record) come before the
// generic format of their carrier.
func Formats() []source.Format {
	return []source.Format{
		cloudtrail.New(),
		ecrscan.New(),
		inspector.New(),
		k8saudit.New(),
		gcpvuln.New(),
		gcpscc.New(),
		gcpvpcflow.New(),
		gcplb.New(),
		gcpaudit.New(),
		azurensgflow.New(),
		azuresignin.New(),
		azureactivity.New(),
		awsvpcflow.New(),
		sensorevent.New(),
	}
}

// Format returns the format with the given --format name, or nil.
func Format(name string) source.Format {
	for _, f := range Formats() {
		if f.Name() == name {
			return f
		}
	}
	return nil
}

// Outputs returns the alert destinations by their type in the
// configuration file (outputs[].type).
func Outputs() map[string]func(config.Output) (delivery.Destination, error) {
	return map[string]func(config.Output) (delivery.Destination, error){
		"elasticsearch": elasticsearch.FromConfig,
		"file":          file.FromConfig,
		"kafka":         kafka.FromConfig,
		"splunk_hec":    splunkhec.FromConfig,
		"webhook":       webhook.FromConfig,
	}
}

// OutputTypes returns the output types, sorted.
func OutputTypes() []string {
	var out []string
	for t := range Outputs() {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
