package cli

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/rpcbench/rpcbench/harness/compare"
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
	fs := newFlagSet("compare", compareSynopsis, stderr)
	sel := addSelectionFlags(fs)
	units := fs.String("unit", "", "comma-separated units to show (ns/op or sec/op alike)")
	alpha := fs.Float64("alpha", 0.05, "significance level: a change shows when p <= alpha")
	format := fs.String("format", "text", "output: text, csv or markdown")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	sel.Units = split(*units)
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "rpcbench compare: want at least one input (OLD NEW to compare)")
		fs.Usage()
		return errUsage
	}
	write := map[string]func(*compare.Comparison, io.Writer) error{
		"text":     (*compare.Comparison).Text,
		"csv":      (*compare.Comparison).CSV,
		"markdown": (*compare.Comparison).Markdown,
	}[*format]
	if write == nil {
		return fmt.Errorf("compare: --format %q: want text, csv or markdown", *format)
	}
	if *alpha <= 0 || *alpha >= 1 {
		return fmt.Errorf("compare: --alpha %g: want a level between 0 and 1", *alpha)
	}
	filter, err := sel.Filter()
	if err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	var files []*compare.File
	for _, arg := range fs.Args() {
		f, err := compare.Open(arg)
		if err != nil {
			return fmt.Errorf("compare: %w", err)
		}
		// As benchstat does: say which lines were skipped, and go on.
		for _, e := range f.SyntaxErrors {
			fmt.Fprintln(stderr, e)
		}
		files = append(files, f.Select(filter))
	}
	for _, f := range files[1:] {
		if err := compare.CheckPairing(files[0], f); err != nil {
			fmt.Fprintf(stderr, "rpcbench compare: %v\n", err)
			return errUsage
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
