package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
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
	cmd := &cobra.Command{
		Use:   "coverage",
		Short: "Print the MITRE ATT&CK techniques the loaded rules cover, per tactic",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			g, _, err := rf.load(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			cov := ruleset.Coverage(g.Rules())
			w := bufio.NewWriter(cmd.OutOrStdout())
			defer w.Flush()
			switch outFmt {
			case "", "table":
				for _, tc := range cov {
					fmt.Fprintf(w, "%s (%d techniques)\n", tc.Tactic, len(tc.Techniques))
					for _, t := range tc.Techniques {
						fmt.Fprintf(w, "  %-10s %3d rules  %s\n", t.ID, len(t.Rules), strings.Join(firstN(t.Rules, 3), "; "))
					}
				}
			case "json":
				type tech struct {
					ID    string   `json:"id"`
					Rules []string `json:"rules"`
				}
				type tactic struct {
					Tactic     string `json:"tactic"`
					Techniques []tech `json:"techniques"`
				}
				var out []tactic
				for _, tc := range cov {
					t := tactic{Tactic: tc.Tactic}
					for _, x := range tc.Techniques {
						t.Techniques = append(t.Techniques, tech{ID: x.ID, Rules: x.Rules})
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
	return cmd
}

func firstN(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(s[:n:n], fmt.Sprintf("and %d more", len(s)-n))
}
