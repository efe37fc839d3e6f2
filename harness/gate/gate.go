// Package gate decides whether a benchmark run regressed from a
// baseline, per benchmark and unit, in a way that a CI job can act on
// without crying wolf.
//
// Units fall in three kinds:
//
//   - exact units (allocs/op, wire-B/op, errors) count things the code
//     does; they fail on a rise of the median beyond a small tolerance,
//     which must also be significant when the repetitions differ among
//     themselves (allocs/op counted process-wide over a window).
//   - time units (sec/op, p50-sec and the other percentiles, cpu-sec/op,
//     calls/s: anything in seconds or per second) fail only when the
//     change is statistically significant (Mann-Whitney U test from
//     golang.org/x/perf/benchmath) and beyond a threshold. When both runs
//     were measured in the same environment (EnvKeys: CPU model,
//     GOMAXPROCS, kernel, Go version match), raw values are compared, so
//     a run that is slower is never read as faster. Across environments
//     raw times say more about the machines than the code, so each
//     repetition is divided by the same repetition of the floor
//     (peer=floor, the raw TCP echo measured in the same run under the
//     same transport, payload and concurrency): a machine twice as slow
//     slows codec and floor alike and the ratio stays put. A floor that
//     itself moved beyond the threshold is reported, and the time units
//     of the rows divided by it are warnings, neither passed nor failed:
//     a ratio to it can then hide, invent or invert a change, whichever
//     way it points.
//   - all other units, B/op, ctxsw/op and rw-syscalls/op among them, are
//     decided as time units are but on raw values: context switches and
//     system calls per call are counts, but they count what the scheduler
//     and the kernel did, which varies run to run; and bytes allocated per call do not depend on the
//     machine's speed, but rpcbench counts them process-wide over a
//     window, where GC timing and buffer growth make them vary run to
//     run, so a tolerance small enough to catch a real rise would fire on
//     noise.
//
// Rows pair by exact name. A baseline row whose partner has the same
// identity keys but another configuration (compare.IdentityKeys) refuses
// the whole comparison: see compare.MismatchError.
//
// A comparison that cannot decide (too few samples for the U test to
// ever reach significance, no floor to normalise by) is a warning, never
// a pass.
package gate

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"

	"github.com/rpcbench/rpcbench/harness/compare"
	"github.com/rpcbench/rpcbench/measure"
)

// Options configure the gate; the zero value gates DefaultUnits at alpha
// 0.05 and a 10% threshold (DefaultThresholds for the noisy counts), time
// raw when the environments match and as ratios to the floor otherwise.
type Options struct {
	// Alpha is the U test's significance level; 0 means 0.05.
	Alpha float64
	// Threshold is the least relative change of a time or other
	// statistical unit that counts (0.10 for 10%); 0 means 0.10.
	Threshold float64
	// Thresholds override Threshold per unit (tidied: "p99-sec"). For an
	// exact unit the value replaces its relative tolerance.
	Thresholds map[string]float64
	// Units are the tidied units to gate; nil means DefaultUnits.
	Units []string
	// SameMachine compares time units raw whatever the environments say:
	// for files whose environment lines are missing or were edited, when
	// the user knows both ran on one machine.
	SameMachine bool
	// Filter selects the benchmarks and units to gate; nil keeps all.
	// The floor rows time is divided by are found whatever it selects.
	Filter *benchproc.Filter
}

// DefaultUnits are gated unless Options.Units says otherwise: the tail
// percentiles (p99-sec and beyond) move by tens of percent between
// honest runs on a shared machine, and calls/s is the reciprocal of
// sec/op in a closed loop, so they are left out.
func DefaultUnits() []string {
	var units []string
	for _, u := range []string{measure.UnitNsPerOp, measure.UnitP50, measure.UnitCPUPerOp, measure.UnitAllocsPerOp,
		measure.UnitBytesPerOp, measure.UnitWirePerOp, measure.UnitCtxswPerOp, measure.UnitRWPerOp, measure.UnitErrors} {
		m, _ := measure.MetricOf(u)
		units = append(units, m.Tidy())
	}
	return units
}

// DefaultThresholds are the per-unit thresholds used unless
// Options.Thresholds says otherwise. Context switches and read/write
// system calls per call depend on when the scheduler happened to park a
// goroutine and whether a read found its bytes already there: between
// honest runs they move by more than time does, so they need a larger
// change, as well as significance, to fail.
func DefaultThresholds() map[string]float64 {
	return map[string]float64{measure.UnitCtxswPerOp: 0.25, measure.UnitRWPerOp: 0.25}
}

// tolerance is how far an exact unit's median may rise before it fails:
// the larger of abs and rel times the baseline.
type tolerance struct{ abs, rel float64 }

// exact are the exact units. rpcbench measures allocs/op and wire-B/op
// over a window, process-wide, so they are averages that the runtime's
// own work blurs: net/rpc's server starts a goroutine per call, which
// allocates only when no finished one is free to reuse, and that depends
// on timing. Two builds of identical code in different places on disk,
// whose layouts (and so timings) differ, moved thrift-compact's allocs/op
// by 0.56. The tolerance is three quarters of an allocation (one more
// allocation per call fails), and a byte or 0.5% of the wire bytes.
var exact = map[string]tolerance{
	measure.UnitAllocsPerOp: {abs: 0.75, rel: 0.01},
	measure.UnitWirePerOp:   {abs: 1, rel: 0.005},
	measure.UnitErrors:      {},
}

// FloorStack is the name key of the rows time is divided by.
func FloorStack() string { return measure.FloorID().String() }

// A Verdict is the gate's decision on one benchmark and unit.
type Verdict int

const (
	OK Verdict = iota
	Improved
	Warning
	Regression
)

func (v Verdict) String() string {
	return [...]string{"ok", "improved", "warning", "REGRESSION"}[v]
}

// A Row is one benchmark and unit compared.
type Row struct {
	Name string // without the GOMAXPROCS suffix when a file has one throughout
	Unit string
	// Ratio reports that Old and New are medians of per-repetition
	// ratios to the floor rather than of raw values.
	Ratio    bool
	Old, New float64 // medians
	Change   float64 // New/Old - 1
	// Tested reports whether Comparison holds a U test; exact units and
	// rows that could not be compared have none.
	Tested     bool
	Comparison benchmath.Comparison
	Verdict    Verdict
	// Why explains a regression, an improvement or a warning.
	Why string
	// Warnings are benchmath's, shown with the row.
	Warnings []error
	// Explanation is printed under the row: for a regression, what the
	// profiles of the two runs say grew (see harness/profile).
	Explanation []string
}

// A Report is every comparison the gate made, and what it could not
// compare.
type Report struct {
	// Raw reports that time units were compared raw, not as ratios to
	// the floor.
	Raw bool
	// Method says how time was compared and why, in one line: the first
	// thing a reader needs to trust the rest.
	Method string
	// FloorMoved warns of floors that moved beyond the threshold between
	// the runs, when time was compared as ratios to them.
	FloorMoved []string
	Rows       []*Row
	// OnlyOld and OnlyNew are the gated benchmarks only one side has.
	OnlyOld, OnlyNew []string
	// Notes say how the figures were made.
	Notes []string
}

// Counts returns how many rows got each verdict.
func (r *Report) Counts() map[Verdict]int {
	n := make(map[Verdict]int)
	for _, row := range r.Rows {
		n[row.Verdict]++
	}
	return n
}

// Verdict is the report's overall verdict: Regression if any row
// regressed, else Warning if any row could not be decided, else OK.
func (r *Report) Verdict() Verdict {
	n := r.Counts()
	switch {
	case n[Regression] > 0:
		return Regression
	case n[Warning] > 0:
		return Warning
	}
	return OK
}

// A NoCommonError reports inputs with no gated benchmark and unit in
// common: nothing could be decided.
type NoCommonError struct{ Old, New string }

func (e *NoCommonError) Error() string {
	return fmt.Sprintf("%s and %s have no gated benchmark and unit in common", e.Old, e.New)
}

// Run compares run with baseline.
func Run(baseline, run *compare.File, opts Options) (*Report, error) {
	if opts.Alpha == 0 {
		opts.Alpha = benchmath.DefaultThresholds.CompareAlpha
	}
	if opts.Threshold == 0 {
		opts.Threshold = 0.10
	}
	if opts.Units == nil {
		opts.Units = DefaultUnits()
	}
	a, b := index(baseline, opts), index(run, opts)
	if m := compare.Mismatches(a.gatedNames(), b.names); len(m) > 0 {
		return nil, &compare.MismatchError{OldLabel: baseline.Label, NewLabel: run.Label, Mismatches: m}
	}
	rep := newReport(a, b, opts)
	envA, envB := environment(baseline, a.procs), environment(run, b.procs)
	rep.Method, rep.Raw = method(envA, envB, opts)
	for _, side := range []struct {
		label string
		env   map[string]string
	}{{"baseline", envA}, {"new run", envB}} {
		if side.env["interrupted"] == "true" {
			rep.Notes = append(rep.Notes, fmt.Sprintf("the %s was interrupted (interrupted: true): its last round may lack some rows, and those rows have fewer samples", side.label))
		}
	}
	if diffs := measure.MachineDiffs(envA, envB); len(diffs) > 0 {
		rep.Notes = append(rep.Notes, "the machines differ in what timing depends on (rpcbench doctor measured each before its run): "+strings.Join(diffs, "; "))
	}
	opts.SameMachine = rep.Raw
	var moved map[key]float64
	if !rep.Raw {
		moved = floorsMoved(a, b, opts)
		rep.FloorMoved = movedWarnings(a.names, moved, opts)
	}
	for _, name := range b.names {
		if !a.gated[name] {
			continue
		}
		for _, unit := range opts.Units {
			if a.selected[key{name, unit}] && b.selected[key{name, unit}] {
				if row := decide(name, unit, a, b, moved, opts); row != nil {
					rep.Rows = append(rep.Rows, row)
				}
			}
		}
	}
	if len(rep.Rows) == 0 {
		return nil, &NoCommonError{baseline.Label, run.Label}
	}
	return rep, nil
}

func newReport(a, b *indexed, opts Options) *Report {
	rep := new(Report)
	for _, n := range a.names {
		if a.gated[n] && !b.gated[n] {
			rep.OnlyOld = append(rep.OnlyOld, n)
		}
	}
	for _, n := range b.names {
		if b.gated[n] && !a.gated[n] {
			rep.OnlyNew = append(rep.OnlyNew, n)
		}
	}
	if a.procs != b.procs {
		rep.Notes = append(rep.Notes, fmt.Sprintf("GOMAXPROCS differs: baseline %s, new %s; benchmarks matched by name without it", procsOrNone(a.procs), procsOrNone(b.procs)))
	}
	return rep
}

// method decides whether time is compared raw and says so.
func method(envA, envB map[string]string, opts Options) (line string, raw bool) {
	if opts.SameMachine {
		return "time compared raw: --same-machine says both ran on one machine", true
	}
	differ, missing := envDiffs(envA, envB)
	ratios := fmt.Sprintf("time compared as ratios to the in-run %s (×floor), repetition by repetition", FloorStack())
	switch {
	case len(differ) > 0:
		return fmt.Sprintf("%s: the environments differ (%s)", ratios, strings.Join(differ, "; ")), false
	case len(missing) > 0:
		return fmt.Sprintf("%s: nothing says both ran in one environment (no %s line)", ratios, strings.Join(missing, ", ")), false
	}
	return fmt.Sprintf("time compared raw: same environment (%s match)", strings.Join(EnvKeys(), ", ")), true
}

// floorsMoved returns the change of each floor's time unit that moved
// beyond the threshold between the runs: a row divided by a floor that
// slowed by 40% looks 30% faster than it is.
func floorsMoved(a, b *indexed, opts Options) map[key]float64 {
	moved := make(map[key]float64)
	for _, name := range a.names {
		if !isFloor(name) {
			continue
		}
		for _, unit := range opts.Units {
			k := key{name, unit}
			old, cur := a.values[k], b.values[k]
			if !isTime(unit) || old == nil || cur == nil {
				continue
			}
			if c := change(median(old), median(cur)); math.Abs(c) > threshold(unit, opts) {
				moved[k] = c
			}
		}
	}
	return moved
}

// movedWarnings says which floors moved, one line per floor.
func movedWarnings(names []string, moved map[key]float64, opts Options) []string {
	var out []string
	for _, name := range names {
		var units []string
		for _, unit := range opts.Units {
			if c, ok := moved[key{name, unit}]; ok {
				units = append(units, fmt.Sprintf("%s %+.1f%%", unit, 100*c))
			}
		}
		if len(units) > 0 {
			out = append(out, fmt.Sprintf("WARNING: the floor itself moved beyond the threshold: %s %s; ratios to it can hide, invent or invert a change, so its rows' time units are left undecided: gate raw times of two builds run on one machine (scripts/ci-gate.sh --base-ref), or --same-machine if both ran on one", name, strings.Join(units, ", ")))
		}
	}
	return out
}

// threshold is unit's threshold: Options.Thresholds, DefaultThresholds,
// then Options.Threshold.
func threshold(unit string, opts Options) float64 {
	if t, ok := opts.Thresholds[unit]; ok {
		return t
	}
	if t, ok := DefaultThresholds()[unit]; ok {
		return t
	}
	return opts.Threshold
}

func procsOrNone(p string) string {
	if p == "" {
		return "none"
	}
	return strings.TrimPrefix(p, "-")
}

type key struct{ name, unit string }

// gatedNames are the names with a selected unit, in order.
func (x *indexed) gatedNames() []string {
	var out []string
	for _, n := range x.names {
		if x.gated[n] {
			out = append(out, n)
		}
	}
	return out
}

// indexed is one file's series by name and unit.
type indexed struct {
	names    []string // in order of first appearance
	values   map[key][]float64
	selected map[key]bool    // kept by the filter
	gated    map[string]bool // has a selected unit
	procs    string          // the GOMAXPROCS suffix stripped from every name, or ""
}

func index(f *compare.File, opts Options) *indexed {
	x := &indexed{values: make(map[key][]float64), selected: make(map[key]bool), gated: make(map[string]bool)}
	x.procs = commonProcs(f.Results)
	seen := make(map[string]bool)
	for _, r := range f.Results {
		name := strings.TrimSuffix(string(r.Name), x.procs)
		if !seen[name] {
			seen[name] = true
			x.names = append(x.names, name)
		}
		var m benchproc.Match
		if opts.Filter != nil {
			m, _ = opts.Filter.Match(r)
		}
		for i, v := range r.Values {
			k := key{name, v.Unit}
			x.values[k] = append(x.values[k], v.Value)
			if (opts.Filter == nil || m.Test(i)) && slices.Contains(opts.Units, v.Unit) {
				x.selected[k] = true
				x.gated[name] = true
			}
		}
	}
	return x
}

// commonProcs returns the GOMAXPROCS suffix ("-2") that every result's
// name ends in, or "". Matching names without it lets a baseline from a
// 2-core machine gate a run on a 4-core runner; a file that mixes
// suffixes (go test -cpu 1,2) keeps them, since they are different
// benchmarks.
func commonProcs(results []*benchfmt.Result) string {
	common := ""
	for i, r := range results {
		_, parts := r.Name.Parts()
		p := ""
		if len(parts) > 0 && strings.HasPrefix(string(parts[len(parts)-1]), "-") {
			p = string(parts[len(parts)-1])
		}
		if i == 0 {
			common = p
		} else if p != common {
			return ""
		}
	}
	return common
}
