package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/rpcbench/rpcbench/harness/report"
	"github.com/rpcbench/rpcbench/internal/outfile"
)

const reportSynopsis = `report -o REPORT.md [--html report.html] RESULTS...

Writes REPORT.md from the results of rpcbench matrix runs (each RESULTS is
a results.json file or a directory holding one): how they were produced,
per-payload tables with ratios to the floor and to gRPC, and SVG charts
under charts/ beside REPORT.md, linked by relative paths. The same
results give byte-identical files, so the report is regenerated, not
edited. Results of an interrupted run are refused unless
--allow-interrupted.

With --html FILE, also (or, without -o, only) one self-contained HTML page
that opens offline: sortable tables, latency percentile spectra, latency
over time, throughput against callers, where the CPU per call goes, the
open-loop send lag and "Which codec, which transport", with each figure
on hover and a toggle that hides the peers.

With --breakdowns DIR (what matrix --profile wrote) the rows of the
configurations it measured show where their CPU per call goes, from its
profiled repetitions, without its other figures pooled with the rest.

With --gate-validation DIR (what scripts/gate-validate.sh wrote, holding
its summary.json) the report also shows the gate's false-alarm and
detection rates.

  rpcbench report -o results/REPORT.md results/baseline results/openloop-*`

func reportCmd(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("report", reportSynopsis, stdout)
	out := fs.String("o", "", "the report to write (REPORT.md)")
	htmlOut := fs.String("html", "", "also write the report as one self-contained HTML page to this file")
	charts := fs.String("charts", report.ChartDir, "directory for the SVG charts, relative to the report's")
	breakdowns := fs.String("breakdowns", "", "comma-separated results of matrix --profile runs to take where the CPU per call goes from,\nfor the rows of the same configurations, without pooling their other figures")
	gateDir := fs.String("gate-validation", "", "a directory scripts/gate-validate.sh wrote: show the gate's false-alarm and detection rates")
	allowInterrupted := fs.Bool("allow-interrupted", false, "report results of a run cut short by a signal (marked so in the report);\nwithout it they are refused: their last rows may rest on part of a window")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if *out == "" && *htmlOut == "" || fs.NArg() == 0 {
		return usagef("want -o REPORT.md (or --html FILE) and at least one results directory, e.g. report -o REPORT.md results/NAME")
	}
	// Both outputs are checked before anything is read, and written whole
	// (internal/outfile): a failure leaves what was there.
	var md, page *outfile.File
	for _, o := range []struct {
		flag, path string
		f          **outfile.File
	}{{"-o", *out, &md}, {"--html", *htmlOut, &page}} {
		if o.path == "" {
			continue
		}
		f, err := outfile.Create(o.path, stdout)
		if err != nil {
			return usagef("%s %q: %v", o.flag, o.path, err)
		}
		defer f.Discard()
		*o.f = f
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
	for _, path := range split(*breakdowns) {
		in, err := report.Open(path)
		if err != nil {
			return fmt.Errorf("report: --breakdowns: %w", err)
		}
		opts = append(opts, report.WithBreakdowns(in))
	}
	if *gateDir != "" {
		v, err := report.ReadGateValidation(*gateDir)
		if err != nil {
			return inputf("--gate-validation: %w", err)
		}
		opts = append(opts, report.WithGateValidation(*gateDir, v))
	}
	command := "rpcbench report " + strings.Join(args, " ")
	if md != nil {
		rep, err := report.New(command, inputs, *charts, opts...)
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
	}
	if page != nil {
		if err := report.HTML(page, command, inputs, opts...); err != nil {
			return fmt.Errorf("report: --html: %w", err)
		}
		if err := page.Commit(); err != nil {
			return fmt.Errorf("report: --html: %w", err)
		}
		fmt.Fprintf(stdout, "wrote %s\n", *htmlOut)
	}
	return nil
}
