// Package rules holds vigil's builtin detection ruleset: Sigma rules (and
// correlation rules) in YAML for AWS, Azure, GCP and Kubernetes, each with
// its own test events, and the default values of the placeholders the
// rules use.
//
// Rules under cloud/ and kubernetes/ use either a vendor logsource (the
// vendor's raw field names: product aws, azure, gcp or kubernetes) or
// vigil's data model (product vigil, with a dataset as category). The
// top-level "tests" key of a rule document lists raw vendor records and
// whether the rule (or correlation) fires on them.
package rules

import "embed"

// FS holds every rule file and placeholders.yml.
//
//go:embed cloud kubernetes placeholders.yml
var FS embed.FS
