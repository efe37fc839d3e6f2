package gate

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/rpcbench/rpcbench/measure"
	"golang.org/x/perf/benchmath"
)

// decide compares one benchmark's unit; nil means the row is not
// compared: the floors are the yardstick, not the code under test, and
// their tiny figures (a few dozen B/op of runtime noise) would only cry wolf.
// moved holds the floors' time units that moved beyond the threshold: a
// ratio to such a floor may look better or worse than the code is, so it
// decides nothing, in either direction (a warning: the gate is
// inconclusive unless something else regressed).
func decide(name, unit string, a, b *indexed, moved map[key]float64, opts Options) *Row {
	if isFloor(name) {
		return nil
	}
	row := &Row{Name: name, Unit: unit}
	old, cur := a.values[key{name, unit}], b.values[key{name, unit}]
	if tol, ok := exact[unit]; ok {
		if t, ok := opts.Thresholds[unit]; ok {
			tol.rel = t
		}
		decideExact(row, old, cur, tol, opts.Alpha)
		return row
	}
	if isTime(unit) && !opts.SameMachine {
		floor, ok := floorName(name)
		fa, fb := a.values[key{floor, unit}], b.values[key{floor, unit}]
		if !ok || fa == nil || fb == nil {
			row.Verdict = Warning
			row.Old, row.New, row.Change = math.NaN(), math.NaN(), math.NaN()
			row.Why = fmt.Sprintf("the environments differ and there is no %s row with the same transport, payload and concurrency in both files to divide %s by: measure the floor (--peers floor), or pass --same-machine if both ran on one machine", FloorStack(), unit)
			return row
		}
		old, cur = ratios(old, fa), ratios(cur, fb)
		row.Ratio = true
	}
	decideStat(row, old, cur, threshold(unit, opts), opts.Alpha)
	if floor, _ := floorName(name); row.Ratio {
		if c, ok := moved[key{floor, unit}]; ok {
			row.Verdict = Warning
			row.Why = fmt.Sprintf("undecided: the floor it is divided by moved %+.1f%%, so the ratio can show a change that is not there, or hide one", 100*c)
		}
	}
	return row
}

// decideExact fails a rise of the median beyond the tolerance. Exact
// units all count costs, so lower is better. A count that is the same in
// every repetition is compared as it is. One that varies between
// repetitions is exact in what the calls do but not in what the runtime
// does around them over a window (a sync.Pool emptied by a GC, a
// goroutine's stack grown, the tail of a window's background work), which
// moved msgpack's allocs/op from 9.5 to 11 across windows of one build:
// there, when the samples are enough for the U test, a rise must also be
// significant, as for time.
func decideExact(row *Row, old, cur []float64, tol tolerance, alpha float64) {
	row.Old, row.New = median(old), median(cur)
	row.Change = change(row.Old, row.New)
	limit := max(tol.abs, tol.rel*row.Old)
	d := row.New - row.Old
	if math.Abs(d) > limit && (varies(old) || varies(cur)) {
		th := &benchmath.Thresholds{CompareAlpha: alpha}
		c := benchmath.AssumeNothing.Compare(
			benchmath.NewSample(append([]float64(nil), old...), th),
			benchmath.NewSample(append([]float64(nil), cur...), th))
		if len(c.Warnings) == 0 {
			row.Tested, row.Comparison = true, c
			if c.P > alpha {
				return // within the repetitions' own spread
			}
		}
	}
	switch {
	case d > limit:
		row.Verdict = Regression
		row.Why = fmt.Sprintf("%s rose by %.4g, beyond the tolerance of %.4g", row.Unit, d, limit)
		if row.Tested {
			row.Why += fmt.Sprintf(", p=%.3f < %g", row.Comparison.P, alpha)
		}
	case -d > limit:
		row.Verdict = Improved
	}
}

// varies reports whether the samples are not all the same.
func varies(v []float64) bool {
	return slices.ContainsFunc(v, func(x float64) bool { return x != v[0] })
}

// decideStat fails a change that the U test finds significant at alpha
// and that goes beyond threshold in the unit's bad direction. A test
// that could not reach significance with so few samples, whatever they
// were, is a warning.
func decideStat(row *Row, old, cur []float64, threshold, alpha float64) {
	th := &benchmath.Thresholds{CompareAlpha: alpha}
	so := benchmath.NewSample(append([]float64(nil), old...), th)
	sn := benchmath.NewSample(append([]float64(nil), cur...), th)
	row.Old, row.New = median(so.Values), median(sn.Values)
	row.Change = change(row.Old, row.New)
	row.Tested = true
	row.Comparison = benchmath.AssumeNothing.Compare(so, sn)
	row.Warnings = row.Comparison.Warnings
	if len(old) > 0 && !varies(slices.Concat(old, cur)) {
		// Every repetition of both runs gave the same figure: nothing
		// changed, though the U test cannot rank ties ("all samples are
		// equal").
		row.Warnings = nil
		return
	}
	// As benchmath's FormatDelta: significant unless P > alpha.
	significant := row.Comparison.P <= alpha
	worse, better := row.Change > threshold, row.Change < -threshold
	if higherIsBetter(row.Unit) {
		// A drop to 1-threshold of the baseline counts.
		worse, better = row.Change < -threshold, row.Change > threshold
	}
	switch {
	case significant && worse:
		row.Verdict = Regression
		row.Why = fmt.Sprintf("%s changed %+.1f%%, beyond the %.4g%% threshold, p=%.3f < %g", row.Unit, 100*row.Change, 100*threshold, row.Comparison.P, alpha)
	case significant && better:
		row.Verdict = Improved
	case len(row.Warnings) > 0:
		row.Verdict = Warning
	}
}

// isTime reports whether unit measures time or a rate, which depend on
// the machine's speed.
func isTime(unit string) bool {
	return strings.Contains(unit, "sec") || strings.HasSuffix(unit, "/s")
}

// higherIsBetter reports whether unit is a rate (calls/s, B/s), where a
// drop is the regression.
func higherIsBetter(unit string) bool { return strings.HasSuffix(unit, "/s") }

// floorName returns the name of the floor row measured under the same
// conditions as name: the stack key (codec= or peer=) replaced by the
// floor's, and conns= dropped, since the floor has one caller per
// connection and its name says nothing of sharing. ok is false for a
// name with no stack key, such as plain go test output.
func floorName(name string) (floor string, ok bool) {
	n := measure.ParseName(name)
	_, ok = n.Stack()
	parts := n.Parts
	n.Parts = nil
	for _, p := range parts {
		switch _, err := measure.ParseID(p.String()); {
		case err == nil:
			n.Add(measure.KindPeer.Key(), measure.FloorID().Name)
		case p.Key != "conns":
			n.Parts = append(n.Parts, p)
		}
	}
	return n.String(), ok
}

// ratios divides each repetition by the same repetition of the floor:
// with -count N, rpcbench measures every configuration once per round,
// so the i-th values of a row and of its floor were measured moments
// apart, under the same load.
func ratios(values, floor []float64) []float64 {
	var out []float64
	for i := range min(len(values), len(floor)) {
		if floor[i] != 0 {
			out = append(out, values[i]/floor[i])
		}
	}
	return out
}

func median(v []float64) float64 {
	s := benchmath.NewSample(append([]float64(nil), v...), &benchmath.DefaultThresholds)
	n := len(s.Values)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return s.Values[n/2]
	}
	return (s.Values[n/2-1] + s.Values[n/2]) / 2
}

func change(old, cur float64) float64 {
	switch {
	case old == cur:
		return 0
	case old == 0:
		return math.Inf(1)
	}
	return cur/old - 1
}

// isFloor reports whether name is a floor's row (peer=floor, peer=floor-mux).
func isFloor(name string) bool {
	id, _ := measure.ParseName(name).Stack()
	return id == measure.FloorID() || id == measure.FloorMuxID()
}
