package report

import (
	"bytes"
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
}

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
		for _, crit := range criteria {
			ranked := slices.Clone(crows)
			slices.SortStableFunc(ranked, func(a, b *format.Row) int {
				switch va, vb := a.Medians[crit.unit], b.Medians[crit.unit]; {
				case va < vb:
					return -1
				case va > vb:
					return 1
				}
				return 0
			})
			best, next := ranked[0], ranked[1]
			p := Pick{Criterion: crit.name, Unit: crit.unit, Winner: name(best), Value: best.Medians[crit.unit],
				RunnerUp: name(next), Runner: next.Medians[crit.unit]}
			if p.Value > 0 {
				p.Margin = p.Runner/p.Value - 1
			}
			p.Significant, p.Why = significance(repetitions(results, best, crit.unit), repetitions(results, next, crit.unit))
			ch.Picks = append(ch.Picks, p)
		}
		out = append(out, ch)
	}
	return out
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
	fmt.Fprintf(b, "| payload | conditions | %s |\n|---|---|%s\n", strings.Join(criteriaNames(), " | "), strings.Repeat("---|", len(criteria)))
	for _, ch := range chs {
		cells := []string{ch.Payload, ch.Conditions}
		for _, p := range ch.Picks {
			cells = append(cells, p.Sentence(func(s string) string { return "**" + s + "**" }))
		}
		fmt.Fprintf(b, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintln(b)
}

func criteriaNames() []string {
	var out []string
	for _, c := range criteria {
		out = append(out, c.name)
	}
	return out
}
