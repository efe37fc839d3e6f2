package report

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/perf/benchmath"

	"github.com/rpcbench/rpcbench/harness/format"
	"github.com/rpcbench/rpcbench/measure"
)

// A Choice is what "Which codec, which transport" says of one payload
// under one set of conditions: the best stack on each criterion.
type Choice struct {
	Payload    string `json:"payload"`
	Conditions string `json:"conditions"` // "tcp, 16 callers"
	Picks      []Pick `json:"picks"`
	// Libraries are the formats measured through more than one library:
	// the picks take each format at its fastest, and these say what the
	// library alone moved.
	Libraries []LibraryGap `json:"libraries,omitempty"`
}

// A LibraryGap compares two codecs of one wire format under the same
// conditions: the format's fastest (lowest median p50) and another.
type LibraryGap struct {
	Format         string  `json:"format"`
	Fastest        string  `json:"fastest"`
	FastestLibrary string  `json:"fastest_library"`
	Other          string  `json:"other"`
	OtherLibrary   string  `json:"other_library"`
	Ratios         []Ratio `json:"ratios"`
}

// A Ratio is the fastest codec's median figure over the other's.
type Ratio struct {
	Unit  string  `json:"unit"` // "calls/s"
	Value float64 `json:"value"`
}

// gapUnits are the figures a LibraryGap compares: the criteria's, and
// calls/s, what a team sizing servers reads first.
var gapUnits = []string{"calls/s", "p50-ns", "allocs/op", "wire-B/op"}

// A Pick is the stack that did best on one criterion, the runner-up, and
// whether the difference outlasts the repetitions' own spread.
type Pick struct {
	Criterion string  `json:"criterion"` // "fastest"
	Unit      string  `json:"unit"`      // "p50-ns"
	Winner    string  `json:"winner"`
	Value     float64 `json:"value"`
	RunnerUp  string  `json:"runner_up,omitempty"`
	Runner    float64 `json:"runner_value,omitempty"`
	// Margin is how much more the runner-up costs, as a fraction of the
	// winner's figure.
	Margin      float64 `json:"margin,omitempty"`
	Significant bool    `json:"significant"`
	Why         string  `json:"why"` // "p=0.008, 5+5 repetitions"
}

// criteria are what a stack is chosen by, each lower-is-better.
var criteria = []struct{ name, unit string }{
	{"fastest", measure.UnitP50},
	{"leanest", measure.UnitAllocsPerOp},
	{"smallest on the wire", measure.UnitWirePerOp},
}

// alpha is the significance level, the gate's default.
const alpha = 0.05

// choices picks, for each payload and closed-loop conditions, the best
// of the stacks measured side by side (codecs and the peers a team
// could adopt; the floors carry bytes, not calls) by each criterion.
// Stacks over different transports under the same conditions compete
// too: that is which transport.
func choices(results []*measure.Result, rows []*format.Row) []Choice {
	cands := filter(rows, func(row *format.Row) bool {
		r := row.First
		return r.Workload == "" && r.Rate == 0 && row.Succeeded() &&
			r.Stack != measure.FloorID().String() && r.Stack != measure.FloorMuxID().String()
	})
	type cond struct {
		payload, net   string
		conc, pipeline int
	}
	condOf := func(row *format.Row) cond {
		r := row.First
		return cond{r.Payload, r.Net, r.Concurrency, r.Pipeline}
	}
	var out []Choice
	for _, c := range distinct(cands, condOf) {
		crows := filter(cands, func(row *format.Row) bool { return condOf(row) == c })
		if len(crows) < 2 {
			continue
		}
		transports := distinct(crows, func(row *format.Row) string { return format.TransportLabel(row.First) })
		name := func(row *format.Row) string {
			if len(transports) > 1 {
				return stackLabel(row.First.Stack) + " over " + format.TransportLabel(row.First)
			}
			return stackLabel(row.First.Stack)
		}
		g := groupOf(crows[0].First)
		if len(transports) > 1 {
			g.transport = "any transport"
		}
		ch := Choice{Payload: c.payload, Conditions: g.String()}
		// A format competes at its fastest library over each transport:
		// the format is the choice, the library is said apart.
		sameFormat := func(row *format.Row) formatKey {
			return formatKey{formatOf(row.First), format.TransportLabel(row.First)}
		}
		var fastest []*format.Row
		for _, k := range distinct(crows, sameFormat) {
			frows := filter(crows, func(row *format.Row) bool { return sameFormat(row) == k })
			slices.SortStableFunc(frows, byMedian("p50-ns"))
			fastest = append(fastest, frows[0])
			for _, other := range frows[1:] {
				ch.Libraries = append(ch.Libraries, libraryGap(k.format, frows[0], other))
			}
		}
		for _, crit := range criteria {
			if len(fastest) < 2 {
				break // one format: its libraries are all there is to say
			}
			ranked := slices.Clone(fastest)
			slices.SortStableFunc(ranked, byMedian(crit.unit))
			best, next := ranked[0], ranked[1]
			p := Pick{Criterion: crit.name, Unit: crit.unit, Winner: name(best), Value: best.Medians[crit.unit],
				RunnerUp: name(next), Runner: next.Medians[crit.unit]}
			if p.Value > 0 {
				p.Margin = p.Runner/p.Value - 1
			}
			p.Significant, p.Why = significance(repetitions(results, best, crit.unit), repetitions(results, next, crit.unit))
			ch.Picks = append(ch.Picks, p)
		}
		if len(ch.Picks) > 0 || len(ch.Libraries) > 0 {
			out = append(out, ch)
		}
	}
	return out
}

// formatKey is a wire format over a transport.
type formatKey struct{ format, transport string }

// byMedian orders rows by their median figure in unit, lowest first.
func byMedian(unit string) func(a, b *format.Row) int {
	return func(a, b *format.Row) int { return cmp.Compare(a.Medians[unit], b.Medians[unit]) }
}

// formatOf is the wire format r's row speaks, as the run recorded it: a
// peer's row, or one from before results recorded formats, is a format
// of its own.
func formatOf(r *measure.Result) string {
	if r.Format != "" {
		return r.Format
	}
	return r.Stack
}

// libraryGap compares other with fastest, two rows of format.
func libraryGap(format string, fastest, other *format.Row) LibraryGap {
	gap := LibraryGap{
		Format:  format,
		Fastest: stackLabel(fastest.First.Stack), FastestLibrary: fastest.First.Library,
		Other: stackLabel(other.First.Stack), OtherLibrary: other.First.Library,
	}
	for _, unit := range gapUnits {
		if o := other.Medians[unit]; o > 0 {
			gap.Ratios = append(gap.Ratios, Ratio{unit, fastest.Medians[unit] / o})
		}
	}
	return gap
}

// Sentence is the gap as one line: "json: json (goccy/go-json) vs
// json-segmentio (segmentio/encoding): calls/s ×1.44, p50 ×0.69, ...".
func (g LibraryGap) Sentence(bold func(string) string) string {
	var ratios []string
	for _, r := range g.Ratios {
		ratios = append(ratios, fmt.Sprintf("%s ×%.2f", strings.TrimSuffix(r.Unit, "-ns"), r.Value))
	}
	return fmt.Sprintf("%s: %s (%s) vs %s (%s): %s", bold(g.Format), g.Fastest, shortModule(g.FastestLibrary),
		g.Other, shortModule(g.OtherLibrary), strings.Join(ratios, ", "))
}

// shortModule is a library's module path without the host most share.
func shortModule(path string) string {
	if path == "" {
		return "library unknown"
	}
	return strings.TrimPrefix(path, "github.com/")
}

// repetitions are unit's figures in every repetition of row.
func repetitions(results []*measure.Result, row *format.Row, unit string) []float64 {
	m, ok := measure.MetricOf(unit)
	if !ok {
		panic("report: no metric " + unit) // the units chosen are this package's own
	}
	var vs []float64
	for _, r := range results {
		if r.Name == row.First.Name {
			vs = append(vs, m.Value(r))
		}
	}
	return vs
}

// significance says whether a and b differ beyond their repetitions'
// spread: a Mann-Whitney U test as the gate makes it (benchmath, alpha
// 0.05), except that figures the same in each of several repetitions (a
// count such as wire bytes) differ exactly when they differ.
func significance(a, b []float64) (bool, string) {
	n := fmt.Sprintf("%d+%d repetitions", len(a), len(b))
	if len(a) > 1 && len(b) > 1 && !varies(a) && !varies(b) {
		return a[0] != b[0], "exact"
	}
	th := &benchmath.Thresholds{CompareAlpha: alpha}
	c := benchmath.AssumeNothing.Compare(benchmath.NewSample(slices.Clone(a), th), benchmath.NewSample(slices.Clone(b), th))
	if len(c.Warnings) > 0 {
		return false, n + ": too few to tell"
	}
	return c.P <= alpha, fmt.Sprintf("p=%.3f, %s", c.P, n)
}

func varies(v []float64) bool {
	return slices.ContainsFunc(v, func(x float64) bool { return x != v[0] })
}

// figure formats a criterion's value: "68.2µs", "9.2 allocs", "65 B".
func figure(unit string, v float64) string {
	switch unit {
	case measure.UnitP50:
		return duration(v)
	case measure.UnitAllocsPerOp:
		return fmt.Sprintf("%.1f allocs", v)
	}
	return fmt.Sprintf("%.0f B", v)
}

// Sentence is a pick as one cell: "**thrift** 68.2µs; then msgpack
// +4.0%, not significant (p=0.100, 5+5 repetitions)".
func (p Pick) Sentence(bold func(string) string) string {
	s := bold(p.Winner) + " " + figure(p.Unit, p.Value)
	if p.RunnerUp == "" {
		return s
	}
	if p.Runner == p.Value {
		return fmt.Sprintf("%s; tied with %s (%s)", s, p.RunnerUp, p.Why)
	}
	verdict := "not significant"
	if p.Significant {
		verdict = "significant"
	}
	return fmt.Sprintf("%s; then %s %+.1f%%, %s (%s)", s, p.RunnerUp, 100*p.Margin, verdict, p.Why)
}

// whichStack writes "Which codec, which transport", the section that
// opens REPORT.md.
func whichStack(b *bytes.Buffer, chs []Choice) {
	if len(chs) == 0 {
		return
	}
	fmt.Fprintf(b, "## Which codec, which transport\n\n")
	fmt.Fprintf(b, "Generated from the results below: for each payload and closed-loop conditions, the stack that did best by each measure among the codecs and peers measured side by side (the floors carry bytes, not calls, and are left out), then the runner-up, how much more it costs, and whether the difference outlasts the repetitions' spread (Mann-Whitney U, golang.org/x/perf/benchmath, α = %g, as the gate tests: it needs 4 repetitions of each to ever reach significance; a figure the same in every repetition is exact). Fastest is the lowest median p50; leanest the fewest allocations per call; smallest on the wire the fewest bytes read and written per call.\n\n", alpha)
	if slices.ContainsFunc(chs, func(ch Choice) bool { return len(ch.Picks) > 0 }) {
		fmt.Fprintf(b, "| payload | conditions | %s |\n|---|---|%s\n", strings.Join(criteriaNames(), " | "), strings.Repeat("---|", len(criteria)))
		for _, ch := range chs {
			if len(ch.Picks) == 0 {
				continue // one format measured: only its libraries below
			}
			cells := []string{ch.Payload, ch.Conditions}
			for _, p := range ch.Picks {
				cells = append(cells, p.Sentence(func(s string) string { return "**" + s + "**" }))
			}
			fmt.Fprintf(b, "| %s |\n", strings.Join(cells, " | "))
		}
		fmt.Fprintln(b)
	}
	var gaps []string
	for _, ch := range chs {
		for _, g := range ch.Libraries {
			gaps = append(gaps, fmt.Sprintf("- %s, %s: %s\n", ch.Payload, ch.Conditions, g.Sentence(func(s string) string { return "**" + s + "**" })))
		}
	}
	if len(gaps) == 0 {
		return
	}
	fmt.Fprintf(b, "A format competes above at its fastest library: of the codecs that write its bytes (a variant such as msgpack-msgp writes msgpack's), the one with the lowest median p50. What the library alone moves, the fastest's median figure over the other's under the same conditions (calls/s ×2.00: twice the calls; p50 ×0.50: half the latency):\n\n%s\n", strings.Join(gaps, ""))
}

func criteriaNames() []string {
	var out []string
	for _, c := range criteria {
		out = append(out, c.name)
	}
	return out
}
