package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/alert"
	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/config"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/output"
	"github.com/vigilsec/vigil/internal/outputs"
	"github.com/vigilsec/vigil/internal/ruleset"
)

// ruleFlags are the flags of every command that loads rules.
type ruleFlags struct {
	paths        []string
	noBuiltin    bool
	placeholders []string
	stateCap     int
	lateness     time.Duration
	maxLateness  time.Duration
}

func (f *ruleFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.paths, "rules", nil, "add Sigma rule files or folders (repeatable)")
	cmd.Flags().BoolVar(&f.noBuiltin, "no-builtin", false, "leave the builtin rules out")
	cmd.Flags().StringArrayVar(&f.placeholders, "placeholder", nil, "set an expand placeholder: name=value1,value2 (repeatable)")
	cmd.Flags().IntVar(&f.stateCap, "state-cap", 1_000_000, "most correlation groups held at once (least recently used are evicted and counted)")
	cmd.Flags().DurationVar(&f.lateness, "lateness", 5*time.Minute, "how late an out-of-order event may arrive and still be correlated")
	cmd.Flags().DurationVar(&f.maxLateness, "max-lateness", 24*time.Hour, "how far the lateness grows when an event comes later than it (an unsorted file); later events are not correlated")
}

func (f *ruleFlags) options() (ruleset.Options, error) {
	o := ruleset.Options{NoBuiltin: f.noBuiltin, Paths: f.paths, Placeholders: map[string][]string{}}
	for _, p := range f.placeholders {
		name, vals, ok := strings.Cut(p, "=")
		if !ok || name == "" {
			return o, exitError{code: 2, msg: fmt.Sprintf("--placeholder %q: want name=value1,value2", p)}
		}
		o.Placeholders[strings.Trim(name, "%")] = strings.Split(vals, ",")
	}
	return o, nil
}

func (f *ruleFlags) config() detect.Config {
	return detect.Config{StateCap: f.stateCap, Lateness: f.lateness, MaxLateness: f.maxLateness}
}

// load builds the engine, printing every rule problem to errw.
func (f *ruleFlags) load(errw io.Writer) (*detect.Engine, int, error) {
	o, err := f.options()
	if err != nil {
		return nil, 0, err
	}
	g, errs := ruleset.Load(o, f.config())
	for _, e := range errs {
		fmt.Fprintln(errw, "vigil:", e)
	}
	return g, len(errs), nil
}

func newScanCmd() *cobra.Command {
	var in inputFlags
	var rf ruleFlags
	var outFmt, failOn, configFile string
	var raw bool
	var deadline time.Duration
	cmd := &cobra.Command{
		Use:   "scan [flags] PATH...",
		Short: "Read cloud logs and print the alerts the rules raise",
		Long: `Read logs like 'vigil normalize', run the builtin rules and any Sigma rules
given with --rules over the normalized events, and print alerts.

With --config, alerts also go to the outputs of the configuration file
(docs/CONFIG.md), each through its spool: the scan then waits until the
outputs have confirmed them, up to the delivery deadline, and exits with
status 4 when some are still unconfirmed (they stay in the spools and go
out with the next run that uses them).`,
		Example: "  vigil scan examples/\n  vigil scan --rules my-rules/ --fail-on high -o json logs/\n  vigil scan --config /etc/vigil/vigil.yaml logs/",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
			if failOn != "" && !detect.ValidLevel(failOn) {
				return exitError{code: 2, msg: fmt.Sprintf("--fail-on %q: want informational, low, medium, high or critical", failOn)}
			}
			w, err := newAlertWriter(outFmt, stdout)
			if err != nil {
				return err
			}
			g, _, err := rf.load(stderr)
			if err != nil {
				return err
			}
			var outs *outputs.Set
			if configFile != "" {
				cfg, err := config.Load(configFile, components.OutputTypes())
				if err != nil {
					return exitError{code: 2, msg: "--config: " + err.Error()}
				}
				if !cmd.Flags().Changed("delivery-deadline") {
					deadline = cfg.DeliveryDeadline
				}
				if outs, err = outputs.Start(cfg); err != nil {
					return exitError{code: 2, msg: err.Error()}
				}
				defer outs.Close()
			}
			r, err := in.reader(stderr, raw)
			if err != nil {
				return err
			}
			var werr error
			failed := false
			out := func(a *detect.Alert) {
				if failOn != "" && detect.LevelAtLeast(a.Rule.Level, failOn) {
					failed = true
				}
				owned := alert.From(a)
				if werr == nil {
					werr = w.Write(owned)
				}
				if outs != nil && werr == nil {
					werr = outs.Send(cmd.Context(), owned)
				}
			}
			enrich, done, err := in.enricher()
			if err != nil {
				return err
			}
			defer done()
			prog := startProgress(stderr, args, r)
			// Events go to the engine in time order across inputs, so that
			// correlations over several sources see them as they happened.
			ingest.ReadMerged(r, args, func(e *event.Event) {
				enrich(e)
				g.Process(e, out)
			})
			g.Flush(out)
			prog.stop()
			if err := w.Close(); werr == nil {
				werr = err
			}
			if werr != nil {
				return exitError{code: 2, msg: "writing output: " + werr.Error()}
			}
			writeScanSummary(stderr, g)
			if outs != nil {
				if err := deliver(cmd.Context(), stderr, outs, deadline); err != nil {
					return err
				}
			}
			if err := in.finish(stderr, r.Stats()); err != nil {
				return err
			}
			if failed {
				return exitError{code: 3, msg: fmt.Sprintf("alerts at or above %s (--fail-on)", failOn)}
			}
			return nil
		},
	}
	in.register(cmd)
	rf.register(cmd)
	cmd.Flags().StringVarP(&outFmt, "output", "o", "", "output: json (default when not a terminal), table (default on a terminal) or ocsf (Detection Finding 2004)")
	cmd.Flags().StringVar(&failOn, "fail-on", "", "exit with status 3 if an alert at or above this level fired")
	cmd.Flags().BoolVar(&raw, "raw", false, "include each event's original record in alerts")
	cmd.Flags().StringVar(&configFile, "config", "", "configuration file (YAML): outputs that alerts are delivered to (docs/CONFIG.md)")
	cmd.Flags().DurationVar(&deadline, "delivery-deadline", 2*time.Minute, "with --config, how long to wait for the outputs to confirm the alerts (overrides delivery_deadline)")
	return cmd
}

// deliver waits for the outputs to confirm every alert, up to deadline,
// and reports each output; alerts left unconfirmed are an error (exit
// status 4): they stay in the spool for the next run.
func deliver(ctx context.Context, w io.Writer, outs *outputs.Set, deadline time.Duration) error {
	if err := outs.Sync(); err != nil {
		return exitError{code: 2, msg: err.Error()}
	}
	dctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	left := outs.Drain(dctx)
	var total int64
	for _, st := range outs.Status() {
		fmt.Fprintf(w, "vigil: output %s: %d sent, %d retried, %d dead-lettered, %d unconfirmed",
			st.Name, st.Stats.Sent, st.Stats.Retried, st.Stats.DeadLettered, left[st.Name])
		if left[st.Name] > 0 && st.LastError != "" {
			fmt.Fprintf(w, " (last error: %s)", st.LastError)
		}
		fmt.Fprintln(w)
		total += left[st.Name]
	}
	if total > 0 {
		return exitError{code: 4, msg: fmt.Sprintf("%d alerts not confirmed by their outputs within %v; they stay in the spools for the next run", total, deadline)}
	}
	return nil
}

// alertLevels sums the alerts and lists them by level, most severe
// first ("none" without alerts).
func alertLevels(st detect.Stats) (int, string) {
	levels := []string{"critical", "high", "medium", "low", "informational"}
	var parts []string
	total := 0
	for _, l := range levels {
		if n := st.Alerts[l]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", l, n))
			total += n
		}
	}
	if len(parts) == 0 {
		parts = []string{"none"}
	}
	return total, strings.Join(parts, ", ")
}

func writeScanSummary(w io.Writer, g *detect.Engine) {
	st := g.Stats()
	total, levels := alertLevels(st)
	fmt.Fprintf(w, "vigil: %d rules loaded (%d idle: no events of their logsource), %d events scanned, %d alerts: %s\n",
		st.RulesLoaded, st.RulesIdle, st.Events, total, levels)
	writeCorrelationSummary(w, st)
}

// writeCorrelationSummary reports the events the engine set aside.
func writeCorrelationSummary(w io.Writer, st detect.Stats) {
	if st.Duplicates > 0 {
		fmt.Fprintf(w, "  %d duplicate CloudTrail events (same eventID) skipped\n", st.Duplicates)
	}
	if st.Late > 0 || st.Evicted > 0 || st.Suppressed > 0 {
		fmt.Fprintf(w, "  correlation: %d events absorbed by a recent alert of their group, %d too late or without time, %d groups evicted at the state cap\n",
			st.Suppressed, st.Late, st.Evicted)
	}
	if st.Reordered > 0 {
		fmt.Fprintf(w, "  correlation: %d events out of time order beyond the lateness, correlated after it grew to %s (--max-lateness bounds it)\n",
			st.Reordered, st.Lateness)
	}
	if st.Untimed > 0 {
		fmt.Fprintf(w, "  correlation: %d events without a time, correlated at the time of the events read before them\n", st.Untimed)
	}
}

// newAlertWriter returns the alert writer of an --output value: json when
// unset and not a terminal, table on a terminal.
func newAlertWriter(name string, w io.Writer) (output.AlertWriter, error) {
	if name == "" {
		name = "json"
		if isTerminal(w) {
			name = "table"
		}
	}
	aw, err := output.NewAlertWriter(name, w)
	if err != nil {
		return nil, exitError{code: 2, msg: err.Error()}
	}
	return aw, nil
}
