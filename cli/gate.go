package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/perf/benchunit"

	"github.com/rpcbench/rpcbench/harness/compare"
	"github.com/rpcbench/rpcbench/harness/gate"
	"github.com/rpcbench/rpcbench/harness/profile"
)

const gateSynopsis = `gate --baseline B [flags] NEW

Compares NEW with the baseline B, per benchmark and unit, and exits 0 if
nothing regressed, 1 if something did, 2 if the inputs cannot decide
(a missing or unparsable file, no benchmark in common, too few samples,
no floor to normalise by). B and NEW are Go benchmark files or rpcbench
matrix directories (their bench.txt).

allocs/op, wire-B/op and errors fail on a rise of the median beyond a
small tolerance. Time units (sec/op, p50-sec, cpu-sec/op, ...) fail when
the change is significant (Mann-Whitney U, p <= --alpha) and beyond
--threshold. When both files say they ran in the same environment (the
cpu, gomaxprocs, kernel and go lines match) times are compared raw;
otherwise as ratios to the peer=floor row of the same run, repetition by
repetition, so that an environment that changed (another Go, another
kernel) does not read as a change. The first line says which. Where the
floor itself moved beyond the threshold (another machine), ratios to it
are unreliable either way: its rows' time units are warnings, neither
passed nor failed, and the gate is inconclusive (exit 2) unless an
exact unit regressed; gate raw times of two builds on one machine
instead (scripts/ci-gate.sh --base-ref). Other units (B/op, and ctxsw/op and
rw-syscalls/op with a 25% threshold) are tested like time, on raw values.

Rows pair by exact name; a baseline row whose partner has the same codec
(or peer), transport, payload and conc but another configuration (work=,
pipeline=, rate=, ...) refuses the whole gate, naming the keys (exit 2).

When both inputs are matrix directories made with --profile, each
regressed row is followed by the functions whose CPU (for time) or
allocations (for allocs/op, B/op) per call grew most, and the go tool
pprof -diff_base command that opens the whole difference.

  rpcbench gate --baseline results/baseline results/ci
  rpcbench gate --baseline old.txt --same-machine --threshold 5% --threshold p99-sec=25% --units sec/op,p99-sec new.txt
  rpcbench gate --baseline results/baseline --format markdown results/ci >> "$GITHUB_STEP_SUMMARY"`

// errRegression reports a gate that found a regression; the table has
// been printed.
var errRegression = errors.New("gate: regression")

func gateCmd(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("gate", gateSynopsis, stdout)
	baseline := fs.String("baseline", "", "the baseline: a benchmark file or a matrix directory (required)")
	sel := addSelectionFlags(fs)
	var opts gate.Options
	fs.Float64Var(&opts.Alpha, "alpha", 0.05, "significance level of the U test")
	fs.Func("threshold", "least change of a time unit that fails, in percent (default 10%);\nUNIT=PCT sets one unit's (repeatable: --threshold p99-sec=25%)", func(s string) error {
		return parseThreshold(s, &opts)
	})
	units := fs.String("unit", strings.Join(gate.DefaultUnits(), ","), "comma-separated units to gate (ns/op or sec/op alike), as compare --unit")
	alias(fs, "unit", "units")
	fs.BoolVar(&opts.SameMachine, "same-machine", false, "compare time units raw even when the files' environment lines differ or are missing:\nonly when both ran on one machine")
	format := fs.String("format", "text", "output: text or markdown")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	switch {
	case *baseline == "":
		return usagef("--baseline is required")
	case fs.NArg() != 1:
		return usagef("want one input to gate after the flags, got %d", fs.NArg())
	case *format != "text" && *format != "markdown":
		return usagef("--format %q: want text or markdown", *format)
	case opts.Alpha <= 0 || opts.Alpha >= 1:
		return usagef("--alpha %g: want a level between 0 and 1", opts.Alpha)
	}
	for _, u := range split(*units) {
		_, u = benchunit.Tidy(1, u)
		opts.Units = append(opts.Units, u)
	}
	filter, err := sel.Filter()
	if err != nil {
		return usagef("%v", err)
	}
	opts.Filter = filter
	var files [2]*compare.File
	for i, arg := range []string{*baseline, fs.Arg(0)} {
		f, err := compare.Open(arg)
		if err != nil {
			return inputf("%w", err)
		}
		if err := f.Check(); err != nil {
			return inputf("%v", err)
		}
		files[i] = f
	}
	if err := compare.CheckDistinct(files[:]...); err != nil {
		return inputf("%v", err)
	}
	rep, err := gate.Run(files[0], files[1], opts)
	if err != nil {
		return inputf("%w", err)
	}
	explain(rep, profileDir(*baseline), profileDir(fs.Arg(0)), stderr)
	if *format == "markdown" {
		err = rep.Markdown(stdout)
	} else {
		err = rep.Text(stdout)
	}
	if err != nil {
		return err
	}
	switch rep.Verdict() {
	case gate.Regression:
		return errRegression
	case gate.Warning:
		return errUsage // the summary line said why
	}
	return nil
}

// explain puts under each regressed row what the two runs' profiles
// (matrix --profile) say grew, once per benchmark and explanation: the
// rows of sec/op and p50-sec of one benchmark share their CPU profiles.
func explain(rep *gate.Report, baseDir, newDir string, stderr io.Writer) {
	said := make(map[string]bool)
	for _, row := range rep.Rows {
		if row.Verdict != gate.Regression {
			continue
		}
		lines, err := profile.Explain(baseDir, newDir, row.Name, row.Unit)
		if err != nil {
			fmt.Fprintf(stderr, "rpcbench gate: warning: %s %s: %v\n", row.Name, row.Unit, err)
			continue
		}
		if k := row.Name + "\x00" + strings.Join(lines, "\n"); len(lines) > 0 && !said[k] {
			said[k] = true
			row.Explanation = lines
		}
	}
}

// profileDir is the directory whose profiles/ an input's profiles are in:
// a matrix directory, or the directory of a bench file.
func profileDir(arg string) string {
	if _, path, ok := strings.Cut(arg, "="); ok {
		arg = path
	}
	if fi, err := os.Stat(arg); err == nil && fi.IsDir() {
		return arg
	}
	return filepath.Dir(arg)
}

// parseThreshold reads "10%" (or "10") as the default threshold and
// "UNIT=PCT" as one unit's.
func parseThreshold(s string, opts *gate.Options) error {
	unit, pct, perUnit := strings.Cut(s, "=")
	if !perUnit {
		pct = s
	}
	v, err := strconv.ParseFloat(strings.TrimSuffix(pct, "%"), 64)
	if err != nil || v <= 0 {
		return fmt.Errorf("%q: want a positive percentage such as 10%% or UNIT=PCT such as p99-sec=25%%", s)
	}
	if !perUnit {
		opts.Threshold = v / 100
		return nil
	}
	if opts.Thresholds == nil {
		opts.Thresholds = make(map[string]float64)
	}
	_, unit = benchunit.Tidy(1, unit)
	opts.Thresholds[unit] = v / 100
	return nil
}
