package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/ruleset"
)

func newRulesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List, test and check detection rules",
	}
	cmd.AddCommand(newRulesListCmd(), newRulesTestCmd(), newRulesLintCmd())
	return cmd
}

func newRulesListCmd() *cobra.Command {
	var rf ruleFlags
	var outFmt string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the loaded rules",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			g, _, err := rf.load(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			w := bufio.NewWriter(cmd.OutOrStdout())
			defer w.Flush()
			switch outFmt {
			case "", "table":
				fmt.Fprintf(w, "%-36s  %-8s  %-16s  %-22s  %s\n", "ID", "LEVEL", "TYPE", "LOGSOURCE", "TITLE")
				for _, r := range g.Rules() {
					fmt.Fprintf(w, "%-36s  %-8s  %-16s  %-22s  %s\n", r.ID, r.Level, r.Kind(), logsourceText(r), r.Title)
				}
			case "json":
				enc := json.NewEncoder(w)
				for _, r := range g.Rules() {
					enc.Encode(ruleJSON(r))
				}
			default:
				return exitError{code: 2, msg: fmt.Sprintf("unknown output %q (table or json)", outFmt)}
			}
			return nil
		},
	}
	rf.register(cmd)
	cmd.Flags().StringVarP(&outFmt, "output", "o", "", "output: table (default) or json")
	return cmd
}

func logsourceText(r *detect.Rule) string {
	if r.Correlation != nil {
		return "correlation"
	}
	var parts []string
	for _, s := range []string{r.Logsource.Product, r.Logsource.Service, r.Logsource.Category} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "/")
}

type ruleOut struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Level      string   `json:"level"`
	Type       string   `json:"type"`
	Logsource  string   `json:"logsource"`
	Tags       []string `json:"tags"`
	Techniques []string `json:"techniques,omitempty"`
	File       string   `json:"file"`
	Line       int      `json:"line"`
	Builtin    bool     `json:"builtin"`
	Active     bool     `json:"active"`
}

func ruleJSON(r *detect.Rule) ruleOut {
	return ruleOut{ID: r.ID, Title: r.Title, Level: r.Level, Type: r.Kind(), Logsource: logsourceText(r),
		Tags: r.Tags, Techniques: r.Techniques(), File: r.File, Line: r.Pos.Line, Builtin: r.Builtin, Active: r.Active()}
}

func newRulesTestCmd() *cobra.Command {
	var rf ruleFlags
	var verbose bool
	cmd := &cobra.Command{
		Use:   "test",
		Short: "Run the rules' own tests (the tests: key of each rule)",
		Long: `Run every loaded rule's tests: each test's raw vendor records go through
vigil's real ingestion and an engine holding the rule's file, and the rule
must fire (match: true) or stay silent (match: false). A rule without tests
fails.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := rf.options()
			if err != nil {
				return err
			}
			files, errs := ruleset.Files(o)
			for _, e := range errs {
				fmt.Fprintln(cmd.ErrOrStderr(), "vigil:", e)
			}
			ph, err := ruleset.Placeholders(o)
			if err != nil {
				return exitError{code: 2, msg: err.Error()}
			}
			cfg := rf.config()
			cfg.Placeholders = ph
			results := ruleset.Test(files, cfg)
			return reportTests(cmd.OutOrStdout(), results, verbose, len(errs))
		},
	}
	rf.register(cmd)
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "print passing tests too")
	return cmd
}

func reportTests(w io.Writer, results []ruleset.Result, verbose bool, loadErrs int) error {
	pass, fail := 0, 0
	rulesSeen := map[*detect.Rule]bool{}
	for _, r := range results {
		rulesSeen[r.Rule] = true
		if r.Passed() {
			pass++
			if verbose {
				fmt.Fprintf(w, "ok    %s: %s\n", r.Rule.Title, r.Test)
			}
			continue
		}
		fail++
		switch {
		case r.Err != nil:
			fmt.Fprintf(w, "FAIL  %s (%s): %s: %v\n", r.Rule.Title, r.Rule.File, r.Test, r.Err)
		case r.Want:
			fmt.Fprintf(w, "FAIL  %s (%s:%d): %s: expected an alert, got none\n", r.Rule.Title, r.Rule.File, r.Rule.Pos.Line, r.Test)
		default:
			fmt.Fprintf(w, "FAIL  %s (%s:%d): %s: expected no alert, got %d\n", r.Rule.Title, r.Rule.File, r.Rule.Pos.Line, r.Test, r.Alerts)
		}
	}
	fmt.Fprintf(w, "%d tests of %d rules: %d passed, %d failed\n", pass+fail, len(rulesSeen), pass, fail)
	if fail > 0 || loadErrs > 0 {
		return exitError{code: 1}
	}
	return nil
}

func newRulesLintCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lint PATH...",
		Short: "Check that Sigma rule files load and compile",
		Long: `Load and compile every rule in the given files and folders (the builtin
rules are not included) and print every problem with file and line. The
exit status is 0 only if every rule loaded.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, errs := ruleset.Files(ruleset.Options{NoBuiltin: true, Paths: args})
			ph, err := ruleset.Placeholders(ruleset.Options{})
			if err != nil {
				return exitError{code: 2, msg: err.Error()}
			}
			g, lerrs := detect.New(detect.Config{Placeholders: ph}, files)
			errs = append(errs, lerrs...)
			out := cmd.OutOrStdout()
			for _, e := range errs {
				fmt.Fprintln(out, e)
			}
			st := g.Stats()
			fmt.Fprintf(out, "%d files, %d rules loaded (%d idle: vigil has no events of their logsource), %d problems\n",
				len(files), st.RulesLoaded, st.RulesIdle, len(errs))
			if len(errs) > 0 {
				return exitError{code: 1}
			}
			return nil
		},
	}
	return cmd
}

func newCoverageCmd() *cobra.Command {
	var rf ruleFlags
	var outFmt string
	var platforms []string
	cmd := &cobra.Command{
		Use:   "coverage",
		Short: "Print the MITRE ATT&CK techniques the loaded rules cover, per tactic and platform",
		Long: `Print, per ATT&CK tactic, the techniques the loaded rules are tagged with and
how many rules cover each on each platform (aws, azure, gcp, kubernetes,
linux for the runtime sensor). A rule covers the platforms whose records
its own positive tests alert on (vigil rules test); a rule without tests
covers its logsource's product, or "any" platform for a data-model rule.
The table ends with the cloud techniques covered on some clouds but not
on the others.`,
		Example: "  vigil coverage\n  vigil coverage --platform gcp -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, p := range platforms {
				if p != "any" && !slices.Contains(ruleset.Platforms, p) {
					return exitError{code: 2, msg: fmt.Sprintf("--platform %q: want one of %s", p, strings.Join(ruleset.Platforms, ", "))}
				}
			}
			g, _, err := rf.load(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			o, _ := rf.options()
			files, _ := ruleset.Files(o)
			cfg := rf.config()
			if cfg.Placeholders, err = ruleset.Placeholders(o); err != nil {
				return exitError{code: 2, msg: err.Error()}
			}
			tested := ruleset.TestedPlatforms(ruleset.Test(files, cfg))
			rules := g.Rules()
			if len(platforms) > 0 {
				rules = slices.DeleteFunc(slices.Clone(rules), func(r *detect.Rule) bool {
					ps := tested.PlatformsOf(r)
					return !slices.Contains(ps, "any") && !slices.ContainsFunc(ps, func(p string) bool { return slices.Contains(platforms, p) })
				})
			}
			cov := ruleset.Coverage(rules, tested.PlatformsOf)
			w := bufio.NewWriter(cmd.OutOrStdout())
			defer w.Flush()
			switch outFmt {
			case "", "table":
				na, err := ruleset.NotApplicable()
				if err != nil {
					return exitError{code: 2, msg: err.Error()}
				}
				writeCoverage(w, cov, platforms, na)
			case "json":
				type tech struct {
					ID        string              `json:"id"`
					Rules     []string            `json:"rules"`
					Platforms map[string][]string `json:"platforms"`
				}
				type tactic struct {
					Tactic     string `json:"tactic"`
					Techniques []tech `json:"techniques"`
				}
				var out []tactic
				for _, tc := range cov {
					t := tactic{Tactic: tc.Tactic}
					for _, x := range tc.Techniques {
						t.Techniques = append(t.Techniques, tech{ID: x.ID, Rules: x.Rules, Platforms: x.Platforms})
					}
					out = append(out, t)
				}
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			default:
				return exitError{code: 2, msg: fmt.Sprintf("unknown output %q (table or json)", outFmt)}
			}
			return nil
		},
	}
	rf.register(cmd)
	cmd.Flags().StringVarP(&outFmt, "output", "o", "", "output: table (default) or json")
	cmd.Flags().StringSliceVar(&platforms, "platform", nil, "only rules covering these platforms: aws, azure, gcp, kubernetes, linux (comma-separated or repeated)")
	return cmd
}

// platformHeads are the coverage table's column heads, by platform.
var platformHeads = map[string]string{"kubernetes": "k8s"}

// writeCoverage prints the coverage table: per tactic, each technique's
// rule count on each platform (any: data-model rules without tests), a
// few rule titles, then the per-platform totals and the cloud gaps.
func writeCoverage(w io.Writer, cov []ruleset.TacticCoverage, only []string, notApplicable map[string]map[string]string) {
	cols := append(slices.Clone(ruleset.Platforms), "any")
	if len(only) > 0 {
		cols = slices.DeleteFunc(cols, func(p string) bool { return p != "any" && !slices.Contains(only, p) })
	}
	head := func(p string) string {
		if h, ok := platformHeads[p]; ok {
			return h
		}
		return p
	}
	techniques := map[string]bool{}
	perPlatform := map[string]map[string]bool{}
	for _, tc := range cov {
		fmt.Fprintf(w, "%-28s %5s", fmt.Sprintf("%s (%d)", tc.Tactic, len(tc.Techniques)), "rules")
		for _, p := range cols {
			fmt.Fprintf(w, " %5s", head(p))
		}
		fmt.Fprintln(w)
		for _, t := range tc.Techniques {
			techniques[t.ID] = true
			fmt.Fprintf(w, "  %-26s %5d", t.ID, len(t.Rules))
			for _, p := range cols {
				n := len(t.Platforms[p])
				if n == 0 {
					fmt.Fprintf(w, " %5s", "-")
					continue
				}
				if perPlatform[p] == nil {
					perPlatform[p] = map[string]bool{}
				}
				perPlatform[p][t.ID] = true
				fmt.Fprintf(w, " %5d", n)
			}
			fmt.Fprintf(w, "  %s\n", strings.Join(firstN(t.Rules, 2), "; "))
		}
	}
	fmt.Fprintf(w, "\n%d techniques:", len(techniques))
	for _, p := range cols {
		fmt.Fprintf(w, " %s %d", p, len(perPlatform[p]))
		if p != cols[len(cols)-1] {
			fmt.Fprint(w, ",")
		}
	}
	fmt.Fprintln(w)
	if len(only) > 0 {
		return
	}
	var missing, na []ruleset.Gap
	for _, g := range ruleset.CloudGaps(cov, notApplicable) {
		if len(g.Missing) > 0 {
			missing = append(missing, g)
		} else {
			na = append(na, g)
		}
	}
	fmt.Fprintf(w, "\nCloud techniques covered on some clouds, with a log signal but no rule on others (%d):\n", len(missing))
	for _, g := range missing {
		fmt.Fprintf(w, "  %-10s on %-16s missing on %s\n", g.ID, strings.Join(g.Covered, ", "), strings.Join(g.Missing, ", "))
	}
	fmt.Fprintf(w, "\nCloud techniques covered where the clouds have a signal for them (%d):\n", len(na))
	for _, g := range na {
		var why []string
		for _, c := range ruleset.CloudPlatforms {
			if r, ok := g.NotApplicable[c]; ok {
				why = append(why, c+": "+r)
			}
		}
		fmt.Fprintf(w, "  %-10s on %-16s none on %s\n", g.ID, strings.Join(g.Covered, ", "), strings.Join(why, "; "))
	}
}

func firstN(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(s[:n:n], fmt.Sprintf("and %d more", len(s)-n))
}
