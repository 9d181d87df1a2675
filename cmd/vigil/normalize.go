package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/enrich/geoip"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/output"
	"github.com/vigilsec/vigil/internal/output/ocsf"
)

// inputFlags are the flags of every command that reads logs.
type inputFlags struct {
	geoip  []string
	format string
	quiet  bool
	strict bool
}

func (f *inputFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.format, "format", "", "read every record as this format (default: detect per file and record); see 'vigil formats'")
	cmd.Flags().BoolVarP(&f.quiet, "quiet", "q", false, "do not print each bad record, only the summary")
	cmd.Flags().BoolVar(&f.strict, "strict", false, "exit non-zero if any record was skipped")
	cmd.Flags().StringArrayVar(&f.geoip, "geoip", nil, "MaxMind-format database (.mmdb: country, city or ASN) to fill src_country and src_asn (repeatable)")
}

// enricher returns the event enrichment the flags ask for (a no-op
// without --geoip) and a function to release it.
func (f *inputFlags) enricher() (func(*event.Event), func(), error) {
	if len(f.geoip) == 0 {
		return func(*event.Event) {}, func() {}, nil
	}
	db, err := geoip.Open(f.geoip...)
	if err != nil {
		return nil, nil, exitError{code: 2, msg: err.Error()}
	}
	return db.Enrich, func() { db.Close() }, nil
}

// reader builds an ingest.Reader from the flags, printing problems to errw.
func (f *inputFlags) reader(errw io.Writer, keepRaw bool) (*ingest.Reader, error) {
	s := ingest.Settings{Formats: components.Formats(), KeepRaw: keepRaw}
	if f.format != "" {
		s.Force = components.Format(f.format)
		if s.Force == nil {
			return nil, exitError{code: 2, msg: fmt.Sprintf("unknown format %q (known: %s)", f.format, strings.Join(formatNames(), ", "))}
		}
	}
	if !f.quiet {
		s.OnProblem = func(p ingest.Problem) { fmt.Fprintln(errw, "vigil:", p.Error()) }
	}
	return ingest.NewReader(s), nil
}

// finish prints the summary and decides the exit status.
func (f *inputFlags) finish(errw io.Writer, st *ingest.Stats) error {
	st.WriteSummary(errw)
	if st.Records == 0 && st.Ignored["cloudtrail-digest"] == 0 {
		return exitError{code: 1, msg: "nothing could be read"}
	}
	if f.strict && st.SkippedTotal() > 0 {
		return exitError{code: 1, msg: fmt.Sprintf("%d records skipped (--strict)", st.SkippedTotal())}
	}
	return nil
}

func formatNames() []string {
	var n []string
	for _, f := range components.Formats() {
		n = append(n, f.Name())
	}
	sort.Strings(n)
	return n
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newNormalizeCmd() *cobra.Command {
	var in inputFlags
	var outFmt string
	var raw bool
	cmd := &cobra.Command{
		Use:   "normalize [flags] PATH...",
		Short: "Read cloud logs and print them as normalized events",
		Long: `Read files, directories (recursively), gzip files and standard input ("-"),
detect each record's format, and print one normalized event per record
(flow logs and findings may give several).`,
		Example: "  vigil normalize examples/\n  zcat trail.json.gz | vigil normalize -o table -",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
			w, err := newWriter(outFmt, stdout, raw)
			if err != nil {
				return err
			}
			r, err := in.reader(stderr, raw || outFmt == "ocsf")
			if err != nil {
				return err
			}
			enrich, done, err := in.enricher()
			if err != nil {
				return err
			}
			defer done()
			var werr error
			r.ReadPaths(args, func(e *event.Event) {
				enrich(e)
				if werr == nil {
					werr = w.Write(e)
				}
			})
			if err := w.Close(); werr == nil {
				werr = err
			}
			if werr != nil {
				return exitError{code: 2, msg: "writing output: " + werr.Error()}
			}
			return in.finish(stderr, r.Stats())
		},
	}
	in.register(cmd)
	cmd.Flags().StringVarP(&outFmt, "output", "o", "", "output: json (default when not a terminal), table (default on a terminal) or ocsf")
	cmd.Flags().BoolVar(&raw, "raw", false, "include each event's original record as \"raw\"")
	return cmd
}

func newWriter(name string, w io.Writer, raw bool) (output.Writer, error) {
	if name == "" {
		name = "json"
		if isTerminal(w) {
			name = "table"
		}
	}
	switch name {
	case "json":
		return output.NewJSON(w, raw), nil
	case "table":
		return output.NewTable(w), nil
	case "ocsf":
		return ocsf.New(w), nil
	}
	return nil, exitError{code: 2, msg: fmt.Sprintf("unknown output %q (json, table or ocsf)", name)}
}

func newFormatsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "formats",
		Short: "List the log formats vigil reads",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			for _, f := range components.Formats() {
				fmt.Fprintf(cmd.OutOrStdout(), "%-16s %s\n", f.Name(), f.Doc())
			}
		},
	}
}
