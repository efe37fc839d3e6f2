package report

import (
	"bytes"
	"fmt"
	"strings"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/rpcbench/rpcbench/harness/format"
	"github.com/rpcbench/rpcbench/measure"
)

// workloadSections writes the sections of the watch and duplex workloads,
// when the results have them: their tables, a notification-latency chart
// and a duplex chart of both directions with and without a bulk transfer.
func workloadSections(b *bytes.Buffer, chartDir string, results []*measure.Result, rows []*format.Row) ([]Chart, error) {
	var charts []Chart
	watch := filter(rows, func(row *format.Row) bool { return row.First.Workload == "watch" })
	if len(watch) > 0 {
		fmt.Fprintf(b, "## Watch: long-poll notifications\n\n")
		fmt.Fprintf(b, "Watchers keep a KV.Watch blocked each (%d to a key), re-arming it as it returns, while one setter changes the keys in turn on a fixed schedule. Latency is notification latency: from each Set's scheduled send time to each woken watcher's reply, one sample per woken watcher; the costs are per notification. gRPC watches with one server stream per watcher, the others long-poll.\n\n", measure.WatchersPerKey)
		watchTable(b, watch)
		for _, g := range distinct(watch, func(row *format.Row) group { return groupOf(row.First) }) {
			grows := filter(watch, func(row *format.Row) bool { return groupOf(row.First) == g })
			title := fmt.Sprintf("Notification latency (%s, %d watchers, %g Sets/s)", g.transport, g.concurrency, g.rate)
			svg, err := latencyChart(title, results, grows)
			if err != nil {
				return nil, fmt.Errorf("report: chart %s: %w", title, err)
			}
			c := Chart{Name: fmt.Sprintf("%s/watch-%s.svg", chartDir, fileSafe(g.slug())), Title: title, SVG: svg}
			fmt.Fprintf(b, "![%s](%s)\n\n", c.Title, c.Name)
			charts = append(charts, c)
		}
	}
	duplex := filter(rows, func(row *format.Row) bool { return row.First.Workload == "duplex" })
	if len(duplex) > 0 {
		fmt.Fprintf(b, "## Duplex: calls both ways\n\n")
		fmt.Fprintf(b, "Master→worker (down) and worker→master (up) callers at once, each direction its own row. Over `duplex` both directions share one connection (yamux streams); over `reverse` the worker dials twice, one connection each way. *against* is what the other direction carried when it differs from the row's own load: a bulk transfer one way shows what head-of-line blocking does to small calls the other way. The process's costs are shared out between the two rows by their calls.\n\n")
		duplexTable(b, duplex)
		for _, tr := range distinct(duplex, func(row *format.Row) string { return format.TransportLabel(row.First) }) {
			trows := filter(duplex, func(row *format.Row) bool { return format.TransportLabel(row.First) == tr })
			title := fmt.Sprintf("Duplex p99 latency by direction, with and without a bulk transfer (%s)", tr)
			svg, err := duplexChart(title, trows)
			if err != nil {
				return nil, fmt.Errorf("report: chart %s: %w", title, err)
			}
			c := Chart{Name: fmt.Sprintf("%s/duplex-%s.svg", chartDir, fileSafe(tr)), Title: title, SVG: svg}
			fmt.Fprintf(b, "![%s](%s)\n\n", c.Title, c.Name)
			charts = append(charts, c)
		}
	}
	return charts, nil
}

func watchTable(b *bytes.Buffer, rows []*format.Row) {
	cols := []string{"stack", "transport", "watchers", "Sets/s", "notifications/s", "p50", "p99", "p99.9", "max", "cpu/notification", "allocs/notification", "B/notification", "wire-B/notification", "Sets' send lag p50 / p99"}
	fmt.Fprintf(b, "| %s |\n|---|---|%s\n", strings.Join(cols, " | "), strings.Repeat("---:|", len(cols)-2))
	for _, row := range rows {
		r, m := row.First, row.Medians
		fmt.Fprintf(b, "| %s |\n", strings.Join([]string{
			stackLabel(r.Stack), format.TransportLabel(r), format.Callers(r),
			fmt.Sprintf("%.0f", r.SetsPerSec()), fmt.Sprintf("%.0f", m[measure.UnitCallsPerSec]),
			duration(m[measure.UnitP50]), duration(m[measure.UnitP99]), duration(m[measure.UnitP999]), duration(m[measure.UnitMax]), duration(m[measure.UnitCPUPerOp]),
			fmt.Sprintf("%.1f", m[measure.UnitAllocsPerOp]), fmt.Sprintf("%.0f", m[measure.UnitBytesPerOp]), fmt.Sprintf("%.0f", m[measure.UnitWirePerOp]), sendLagCell(r),
		}, " | "))
	}
	fmt.Fprintln(b)
}

func duplexTable(b *bytes.Buffer, rows []*format.Row) {
	cols := append([]string{"stack", "transport", "dir", "payload", "callers", "against"}, columnHeads()...)
	fmt.Fprintf(b, "| %s |\n|---|---|---|---|%s\n", strings.Join(cols, " | "), strings.Repeat("---:|", len(cols)-4))
	for _, row := range rows {
		r := row.First
		against := r.Against
		if against == "" {
			against = "the same"
		}
		cells := append([]string{stackLabel(r.Stack), format.TransportLabel(r), r.Dir, r.Payload, format.Callers(r), against}, columnCells(row)...)
		fmt.Fprintf(b, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintln(b)
}

// duplexChart draws, per stack, the p99 latency of each direction: both
// directions carrying the same load, and, where the results have one, a
// run with a bulk transfer one way (the rows with an "against"), whose
// small calls show the head-of-line blocking.
func duplexChart(title string, rows []*format.Row) ([]byte, error) {
	stacks := distinct(rows, func(row *format.Row) string { return row.First.Stack })
	type series struct {
		label string
		keep  func(r *measure.Result) bool
	}
	// The bulk direction is the one with the larger payload: its row's
	// "against" names the smaller one, and the small calls' row the bulk.
	bulk := func(r *measure.Result) bool { return r.Against != "" && !smallerLoad(r) }
	small := func(r *measure.Result) bool { return r.Against != "" && smallerLoad(r) }
	all := []series{
		{"down, same load both ways", func(r *measure.Result) bool { return r.Against == "" && r.Dir == "down" }},
		{"up, same load both ways", func(r *measure.Result) bool { return r.Against == "" && r.Dir == "up" }},
		{"bulk transfer", bulk},
		{"small calls against the bulk", small},
	}
	p := newPlot(title, "", "p99 latency (ms)")
	var names []string
	for _, s := range stacks {
		names = append(names, stackLabel(s))
	}
	type bars struct {
		label  string
		color  int
		values plotter.Values
	}
	var drawn []bars
	for i, s := range all {
		var values plotter.Values
		any := false
		for _, st := range stacks {
			v := 0.0
			for _, row := range rows {
				if row.First.Stack == st && s.keep(row.First) {
					v = row.Medians[measure.UnitP99] / 1e6
					any = true
				}
			}
			values = append(values, v)
		}
		if any {
			drawn = append(drawn, bars{s.label, i, values})
		}
	}
	const width = 7
	for k, b := range drawn {
		bc, err := plotter.NewBarChart(b.values, vg.Points(width))
		if err != nil {
			return nil, err
		}
		bc.Color = plotutil.Color(b.color)
		// The series side by side, centred on their stack.
		bc.Offset = vg.Points((float64(k) - float64(len(drawn)-1)/2) * width)
		p.Add(bc)
		p.Legend.Add(b.label, bc)
	}
	p.NominalX(names...)
	p.Y.Min = 0
	p.Y.Tick.Marker = plainTicks
	p.X.Tick.Label.Rotation = 0.5
	p.X.Tick.Label.XAlign = -1
	return svg(p, 10*vg.Inch, 4*vg.Inch)
}

// smallerLoad reports whether a duplex row carried the smaller payload of
// its run: its "against" (the other direction's) names a larger one.
func smallerLoad(r *measure.Result) bool {
	other := r.Against[:max(0, strings.LastIndex(r.Against, "x"))]
	return payloadBytes(other) > payloadBytes(r.Payload)
}

// payloadBytes orders payload names by size: the bytes of bytes:N, else
// 0 (records:N and arith are never a bulk transfer here).
func payloadBytes(name string) int {
	n, ok := strings.CutPrefix(name, "bytes:")
	if !ok {
		return 0
	}
	size, _ := measure.ParseSize(n)
	return size
}
