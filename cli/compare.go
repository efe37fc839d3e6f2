package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/rpcbench/rpcbench/harness/compare"
	"github.com/rpcbench/rpcbench/measure"
)

const compareSynopsis = `compare [flags] OLD NEW [MORE...]

Prints benchstat's table: per benchmark and unit, each input's median ±
its 95% confidence interval, and each input after the first compared with
the first (Mann-Whitney U test; "~" means no significant change). Inputs
are Go benchmark files (rpcbench run --format bench, go test -bench) or
rpcbench matrix directories (their bench.txt); LABEL=PATH names a column.
A row of OLD whose partner in NEW has the same codec (or peer), transport,
payload and conc but another configuration (work=, pipeline=, rate=, ...)
is refused, naming the keys that differ (exit 2).

  rpcbench compare old.txt new.txt
  rpcbench compare --codec msgpack --unit sec/op,allocs/op results/baseline results/new
  rpcbench compare --filter '/payload:"records:100" -/peer:grpc' old.txt new.txt`

func compareCmd(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("compare", compareSynopsis, stdout)
	sel := addSelectionFlags(fs)
	units := fs.String("unit", "", "comma-separated units to show (ns/op or sec/op alike)")
	alpha := fs.Float64("alpha", 0.05, "significance level: a change shows when p <= alpha")
	format := fs.String("format", "text", "output: text, csv or markdown")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	sel.Units = split(*units)
	if fs.NArg() == 0 {
		return usagef("want at least one input (OLD NEW to compare)")
	}
	write := map[string]func(*compare.Comparison, io.Writer) error{
		"text":     (*compare.Comparison).Text,
		"csv":      (*compare.Comparison).CSV,
		"markdown": (*compare.Comparison).Markdown,
	}[*format]
	if write == nil {
		return usagef("--format %q: want text, csv or markdown", *format)
	}
	if *alpha <= 0 || *alpha >= 1 {
		return usagef("--alpha %g: want a level between 0 and 1", *alpha)
	}
	filter, err := sel.Filter()
	if err != nil {
		return usagef("%v", err)
	}
	var files []*compare.File
	before := 0 // values in the inputs, before selection
	for _, arg := range fs.Args() {
		f, err := compare.Open(arg)
		if err != nil {
			return inputf("%w", err)
		}
		if err := f.Check(); err != nil {
			return usagef("%v", err)
		}
		files = append(files, f.Select(filter))
		before += countValues(f)
	}
	if err := compare.CheckDistinct(files...); err != nil {
		return inputf("%v", err)
	}
	if after := countValues(files...); after == 0 && before > 0 {
		msg := selectionFlags(fs) + ": no result in the inputs matches"
		if *units != "" {
			msg += " (their units: " + strings.Join(unitsOf(fs.Args()), ", ") + ")"
		}
		return usagef("%s", msg)
	}
	for _, f := range files[1:] {
		if err := compare.CheckPairing(files[0], f); err != nil {
			return inputf("%w", err)
		}
		if diffs := measure.MachineDiffs(files[0].Config(), f.Config()); len(diffs) > 0 {
			fmt.Fprintf(stderr, "rpcbench compare: %s and %s came from machines that differ in what timing depends on (rpcbench doctor measured each before its run): %s\n",
				files[0].Label, f.Label, strings.Join(diffs, "; "))
		}
	}
	return write(compare.Compare(files, compare.Options{Alpha: *alpha}), stdout)
}

// addSelectionFlags adds the flags that narrow compare's and gate's
// inputs.
func addSelectionFlags(fs *flag.FlagSet) *compare.Selection {
	s := new(compare.Selection)
	list := func(p *[]string) func(string) error {
		return func(v string) error { *p = append(*p, split(v)...); return nil }
	}
	fs.StringVar(&s.Expr, "filter", "", "keep the results matching this benchproc filter, e.g. '/codec:msgpack -/payload:arith'\n(see https://pkg.go.dev/golang.org/x/perf/benchproc/syntax)")
	fs.Func("codec", "comma-separated codecs to keep (the /codec= name key)", list(&s.Codecs))
	fs.Func("transport", "comma-separated transports to keep", list(&s.Transports))
	fs.Func("payload", "comma-separated payloads to keep, e.g. bytes:1KiB", list(&s.Payloads))
	return s
}

// countValues counts the measurements in files.
func countValues(files ...*compare.File) int {
	n := 0
	for _, f := range files {
		for _, r := range f.Results {
			n += len(r.Values)
		}
	}
	return n
}

// selectionFlags names the selection flags given, with their values, for
// a message that says they matched nothing.
func selectionFlags(fs *flag.FlagSet) string {
	var given []string
	fs.Visit(func(f *flag.Flag) {
		if slices.Contains([]string{"filter", "codec", "transport", "payload", "unit"}, f.Name) {
			if v := f.Value.String(); v != "" {
				given = append(given, fmt.Sprintf("--%s %s", f.Name, v))
			} else {
				given = append(given, "--"+f.Name) // a Func flag keeps no value
			}
		}
	})
	return strings.Join(given, " ")
}

// unitsOf lists the units the inputs at paths measure, as written.
func unitsOf(paths []string) []string {
	var units []string
	for _, p := range paths {
		f, err := compare.Open(p)
		if err != nil {
			continue
		}
		for _, r := range f.Results {
			for _, v := range r.Values {
				if !slices.Contains(units, v.Unit) {
					units = append(units, v.Unit)
				}
			}
		}
	}
	return units
}
