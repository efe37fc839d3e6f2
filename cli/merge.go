package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/rpcbench/rpcbench/harness/merge"
	"github.com/rpcbench/rpcbench/measure"
)

const mergeSynopsis = `merge [--format text|json|bench] [-o OUT] FILE...

Combines the results of load processes that measured one server at the
same time (rpcbench run --format json, matrix's results.json, or
--hdr-log interval logs) into one result, exactly: rows with the same
configuration name add their HDR histograms bucket by bucket and sum their
calls, errors and counters; calls/s is over the union of their windows.
Rows that differ stay separate. A file that is truncated, not rpcbench
output, or recorded with other histogram settings is an error (exit 2).

  rpcbench merge load-0.json load-1.json
  rpcbench merge --format json -o merged.json results/load-*.json`

func mergeCmd(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("merge", mergeSynopsis, stdout)
	formatName := fs.String("format", "text", "output: text, bench (Go benchmark lines for benchstat) or json")
	out := fs.String("o", "", "write the output to this file instead of stdout")
	wide := addWideFlag(fs)
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if !slices.Contains([]string{"text", "bench", "json"}, *formatName) {
		return usagef("--format %q: want text, bench or json", *formatName)
	}
	if fs.NArg() == 0 {
		return usagef("no files to merge (rpcbench merge A.json B.json ...)")
	}
	var inputs []merge.Input
	for _, name := range fs.Args() {
		in, err := merge.Read(name)
		if err != nil {
			return inputf("%w", err)
		}
		inputs = append(inputs, in)
	}
	run, err := merge.Merge(inputs)
	if err != nil {
		return inputf("%w", err)
	}
	switch span := merge.Windows(inputs); {
	case span.Inputs < 2:
	case span.Together == 0:
		fmt.Fprintf(stderr, "rpcbench merge: warning: the %d inputs' windows do not overlap: their calls/s is over %v, most of which some of them were idle (start them with one --start-at)\n", span.Inputs, span.Union.Round(time.Millisecond))
	default:
		fmt.Fprintf(stderr, "rpcbench merge: %d load processes measured together for %v of the %v from the first start to the last end\n", span.Inputs, span.Together.Round(time.Millisecond), span.Union.Round(time.Millisecond))
	}
	run.Wide = *wide
	if err := writeRun(stdout, *out, *formatName, run); err != nil {
		return err
	}
	if slices.ContainsFunc(run.Results, func(r *measure.Result) bool { return r.Errors > 0 }) {
		return fmt.Errorf("merge: %w", errRunFailed) // as the load processes' own runs did
	}
	return nil
}
