// Package rules holds vigil's builtin detection ruleset: Sigma rules (and
// correlation rules) in YAML for AWS, Azure, GCP, Kubernetes and the
// runtime sensor, each with its own test events, and the default values of
// the placeholders the rules use.
//
// Rules under cloud/ and kubernetes/ use either a vendor logsource (the
// vendor's raw field names: product aws, azure, gcp or kubernetes) or
// vigil's data model (product vigil, with a dataset as category). Rules
// under runtime/ read the runtime sensor's events, either as Sigma's Linux
// logsources (product linux, with Sigma's field names) or through the data
// model (product vigil, category process, file or network_traffic). The
// top-level "tests" key of a rule document lists raw vendor records and
// whether the rule (or correlation) fires on them.
package rules

import (
	"embed"
	"slices"
)

// FS holds every rule file, placeholders.yml and coverage.yml (the
// techniques some cloud has no log signal for, and why).
//
//go:embed cloud kubernetes runtime placeholders.yml coverage.yml
var FS embed.FS

// dataFiles are the files of FS that hold data for the rules, not rules.
var dataFiles = []string{"placeholders.yml", "coverage.yml"}

// IsData reports whether the file of FS at path holds data
// (placeholders.yml, coverage.yml) rather than rules.
func IsData(path string) bool { return slices.Contains(dataFiles, path) }
