package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/rpcbench/rpcbench/harness/report"
)

const reportSynopsis = `report -o REPORT.md RESULTS...

Writes REPORT.md from the results of rpcbench matrix runs (each RESULTS is
a results.json file or a directory holding one): how they were produced,
per-payload tables with ratios to the floor and to gRPC, and SVG charts
under charts/ beside REPORT.md, linked by relative paths. The same
results give byte-identical files, so the report is regenerated, not
edited. Results of an interrupted run are refused unless
--allow-interrupted.

With --gate-validation DIR (what scripts/gate-validate.sh wrote, holding
its summary.json) the report also shows the gate's false-alarm and
detection rates.

  rpcbench report -o results/REPORT.md results/baseline results/openloop-*`

func reportCmd(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("report", reportSynopsis, stdout)
	out := fs.String("o", "", "the report to write (required)")
	charts := fs.String("charts", report.ChartDir, "directory for the SVG charts, relative to the report's")
	gateDir := fs.String("gate-validation", "", "a directory scripts/gate-validate.sh wrote: show the gate's false-alarm and detection rates")
	allowInterrupted := fs.Bool("allow-interrupted", false, "report results of a run cut short by a signal (marked so in the report);\nwithout it they are refused: their last rows may rest on part of a window")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if *out == "" || fs.NArg() == 0 {
		return usagef("want -o REPORT.md and at least one results directory, e.g. report -o REPORT.md results/NAME")
	}
	var inputs []report.Input
	for _, path := range fs.Args() {
		in, err := report.Open(path)
		if err != nil {
			return inputf("%w", err)
		}
		if in.Run.Interrupted && !*allowInterrupted {
			return inputf("%s: the run was interrupted, so its last rows may rest on part of a window: measure it again, or give --allow-interrupted to report it marked as such", path)
		}
		inputs = append(inputs, in)
	}
	var opts []report.Option
	if *gateDir != "" {
		v, err := report.ReadGateValidation(*gateDir)
		if err != nil {
			return inputf("--gate-validation: %w", err)
		}
		opts = append(opts, report.WithGateValidation(*gateDir, v))
	}
	rep, err := report.New("rpcbench report "+strings.Join(args, " "), inputs, *charts, opts...)
	if err != nil {
		return err
	}
	if err := rep.WriteFiles(*out); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s and %d charts\n", *out, len(rep.Charts))
	return nil
}
