package report

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/rpcbench/rpcbench/harness/format"
	"github.com/rpcbench/rpcbench/measure"
)

// WithBreakdowns takes where the CPU per call goes from runs of their own
// (matrix --profile) for the rows of the same configurations, without
// pooling their other figures with the report's: a profiled run taken on
// another day would move the medians of every row it shares.
func WithBreakdowns(runs ...Input) Option {
	return func(o *options) { o.breakdowns = append(o.breakdowns, runs...) }
}

func applyOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// breakdownSources are the results the report's rows take breakdowns
// from: its own and WithBreakdowns's.
func (o options) breakdownSources(results []*measure.Result) []*measure.Result {
	for _, in := range o.breakdowns {
		results = append(slices.Clip(results), in.Run.Results...)
	}
	return results
}

// breakdownNote names the runs the breakdowns come from, under the
// provenance table.
func (o options) breakdownNote(b *bytes.Buffer) {
	if len(o.breakdowns) == 0 {
		return
	}
	var paths []string
	for _, in := range o.breakdowns {
		paths = append(paths, in.Path)
	}
	fmt.Fprintf(b, "Where the CPU per call goes is taken from %s, run with --profile on its own (listed above); its other figures are not pooled with these.\n\n", strings.Join(paths, ", "))
}

// withBreakdowns gives each row the breakdown of any of its
// repetitions: a configuration pooled from a matrix and a --profile run
// of it keeps the profiled run's breakdown whichever came first. The
// row's First becomes a copy, so the results stay as they were read.
func withBreakdowns(results []*measure.Result, rows []*format.Row) []*format.Row {
	for _, row := range rows {
		if row.First.Breakdown != nil {
			continue
		}
		for _, r := range results {
			if r.Name == row.First.Name && r.Breakdown != nil {
				first := *row.First
				first.Breakdown = r.Breakdown
				row.First = &first
				break
			}
		}
	}
	return rows
}

// explained are the rows that carry a breakdown (run --explain, matrix
// --profile).
func explained(rows []*format.Row) []*format.Row {
	return filter(rows, func(row *format.Row) bool { return row.First.Breakdown != nil })
}

// breakdownTable writes each explained row's CPU per call by category,
// in µs and as a share, the floor's rows among them.
func breakdownTable(b *bytes.Buffer, rows []*format.Row) {
	rows = explained(rows)
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "Where the CPU per call goes, from a CPU profile of a repetition of its own (so that profiling never touches the figures above), in µs per call and as a share; the categories add up to the profile's CPU per call, beside the process's cpu/op in that repetition:\n\n")
	cols := []string{"stack", "callers", "profiled", "cpu/op"}
	for _, c := range measure.Categories() {
		cols = append(cols, c.Label)
	}
	fmt.Fprintf(b, "| %s |\n|---|---:|%s\n", strings.Join(cols, " | "), strings.Repeat("---:|", len(cols)-2))
	for _, row := range rows {
		bd := row.First.Breakdown
		cells := []string{stackLabel(row.First.Stack), format.Callers(row.First), duration(bd.Total()), duration(float64(bd.CPU))}
		for _, c := range measure.Categories() {
			cells = append(cells, fmt.Sprintf("%.2f (%.0f%%)", bd.PerCall[c.Key]/1e3, 100*bd.Share(c.Key)))
		}
		fmt.Fprintf(b, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintln(b)
}

// breakdownChart stacks each row's categories into one bar, one bar per
// stack, the floor's among them, each labelled with its total.
func breakdownChart(title string, rows []*format.Row) ([]byte, error) {
	p := newPlot(title, "", "CPU per call (µs)")
	p.X.Label.Text, p.Y.Label.Text = p.Y.Label.Text, ""
	var names []string
	var totals plotter.XYLabels
	for i, row := range rows {
		names = append(names, stackLabel(row.First.Stack))
		t := row.First.Breakdown.Total() / 1e3
		totals.XYs = append(totals.XYs, plotter.XY{X: t, Y: float64(len(rows) - 1 - i)})
		totals.Labels = append(totals.Labels, trim3(t))
	}
	var below *plotter.BarChart
	for i, c := range measure.Categories() {
		var values plotter.Values
		for _, row := range reversed(rows) { // the first stack on top
			values = append(values, row.First.Breakdown.PerCall[c.Key]/1e3)
		}
		bars, err := plotter.NewBarChart(values, vg.Points(14))
		if err != nil {
			return nil, err
		}
		bars.Horizontal, bars.Color, bars.LineStyle.Width = true, seriesColor(i), 0
		if below != nil {
			bars.StackOn(below)
		}
		below = bars
		p.Add(bars)
		p.Legend.Add(c.Label, bars)
	}
	if err := labelBars(p, names, totals); err != nil {
		return nil, err
	}
	p.X.Min = 0
	p.X.Max *= 1.15
	p.X.Tick.Marker = plainTicks
	// A row a bar, and room for the legend's nine categories.
	return svg(p, 8*vg.Inch, vg.Length(max(3, 1.2+0.3*float64(len(rows))))*vg.Inch)
}
