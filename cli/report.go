package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/rpcbench/rpcbench/harness/report"
	"github.com/rpcbench/rpcbench/internal/outfile"
)

const reportSynopsis = `report -o REPORT.md RESULTS...

Writes REPORT.md from the results of rpcbench matrix runs (each RESULTS is
a results.json file or a directory holding one): how they were produced,
per-payload tables with ratios to the floor and to gRPC, and SVG charts
under charts/ beside REPORT.md, linked by relative paths. The same
results give byte-identical files, so the report is regenerated, not
edited.

With --gate-validation DIR (what scripts/gate-validate.sh wrote, holding
its summary.json) the report also shows the gate's false-alarm and
detection rates.

  rpcbench report -o results/REPORT.md results/baseline results/openloop-*`

func reportCmd(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("report", reportSynopsis, stderr)
	out := fs.String("o", "", "the report to write (required)")
	charts := fs.String("charts", report.ChartDir, "directory for the SVG charts, relative to the report's")
	gateDir := fs.String("gate-validation", "", "a directory scripts/gate-validate.sh wrote: show the gate's false-alarm and detection rates")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if *out == "" || fs.NArg() == 0 {
		return usagef("want -o REPORT.md and at least one results directory, e.g. report -o REPORT.md results/NAME")
	}
	md, err := outfile.Create(*out, stdout)
	if err != nil {
		return usagef("-o %q: %v", *out, err)
	}
	defer md.Discard()
	var inputs []report.Input
	for _, path := range fs.Args() {
		in, err := report.Open(path)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		inputs = append(inputs, in)
	}
	var opts []report.Option
	if *gateDir != "" {
		v, err := report.ReadGateValidation(*gateDir)
		if err != nil {
			return fmt.Errorf("report: --gate-validation: %w", err)
		}
		opts = append(opts, report.WithGateValidation(*gateDir, v))
	}
	rep, err := report.New("rpcbench report "+strings.Join(args, " "), inputs, *charts, opts...)
	if err != nil {
		return err
	}
	if err := rep.WriteCharts(md.Name()); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if _, err := md.Write(rep.Markdown); err != nil {
		return fmt.Errorf("report: writing %s: %w", *out, err)
	}
	if err := md.Commit(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s and %d charts\n", *out, len(rep.Charts))
	return nil
}
