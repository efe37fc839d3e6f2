package report

import (
	"bytes"
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/rpcbench/rpcbench/harness/format"
	"github.com/rpcbench/rpcbench/measure"
)

// A group is the conditions under which the stacks of one chart were
// measured side by side.
type group struct {
	transport   string
	concurrency int
	pipeline    int
	rate        float64
}

func groupOf(r *measure.Result) group {
	return group{format.TransportLabel(r), r.Concurrency, r.Pipeline, r.Rate}
}

func (g group) String() string {
	s := g.transport
	switch {
	case g.concurrency == 1:
		s += ", 1 caller"
	case g.concurrency > 1:
		s += fmt.Sprintf(", %d callers", g.concurrency)
	}
	if g.pipeline > 1 {
		s += fmt.Sprintf(" × %d in flight", g.pipeline)
	}
	if g.rate > 0 {
		s += fmt.Sprintf(", open loop at %g calls/s", g.rate)
	}
	return s
}

func (g group) slug() string {
	s := g.transport
	if g.concurrency > 0 {
		s += fmt.Sprintf("-c%d", g.concurrency)
	}
	if g.pipeline > 1 {
		s += fmt.Sprintf("-p%d", g.pipeline)
	}
	if g.rate > 0 {
		s += fmt.Sprintf("-r%g", g.rate)
	}
	return s
}

// payloadCharts draws one payload's charts: latency percentiles per
// measured group, calls/s against concurrency, allocations and wire bytes
// per stack, where the CPU per call goes (rows with a breakdown), and
// latency against the offered rate in open loop.
func payloadCharts(chartDir, payload string, results []*measure.Result, rows []*format.Row) ([]Chart, error) {
	var charts []Chart
	add := func(kind, slug, title string, draw func() ([]byte, error)) error {
		svg, err := draw()
		if err != nil {
			return fmt.Errorf("report: chart %s: %w", title, err)
		}
		name := fmt.Sprintf("%s/%s-%s-%s.svg", chartDir, kind, fileSafe(payload), fileSafe(slug))
		charts = append(charts, Chart{Name: name, Title: title, SVG: svg})
		return nil
	}
	for _, g := range distinct(rows, func(row *format.Row) group { return groupOf(row.First) }) {
		grows := filter(rows, func(row *format.Row) bool { return groupOf(row.First) == g })
		title := fmt.Sprintf("Latency percentiles, %s (%s)", payload, g)
		if err := add("latency", g.slug(), title, func() ([]byte, error) { return latencyChart(title, results, grows) }); err != nil {
			return nil, err
		}
	}
	closed := filter(rows, func(row *format.Row) bool { return row.First.Rate == 0 })
	for _, g := range distinct(closed, func(row *format.Row) group { g := groupOf(row.First); g.concurrency = 0; return g }) {
		grows := filter(closed, func(row *format.Row) bool { h := groupOf(row.First); h.concurrency = 0; return h == g })
		if len(distinct(grows, func(row *format.Row) int { return row.First.Concurrency })) < 2 {
			continue
		}
		title := fmt.Sprintf("Throughput against callers, %s (%s)", payload, g)
		if err := add("throughput", g.slug(), title, func() ([]byte, error) { return throughputChart(title, grows) }); err != nil {
			return nil, err
		}
	}
	costRows := closed
	if len(costRows) == 0 {
		costRows = rows
	}
	g := groupOf(costRows[0].First)
	title := fmt.Sprintf("Allocations and wire bytes per call, %s (%s)", payload, g)
	costRows = filter(costRows, func(row *format.Row) bool { return groupOf(row.First) == g })
	if err := add("cost", g.slug(), title, func() ([]byte, error) { return costChart(title, costRows) }); err != nil {
		return nil, err
	}
	withBreakdown := explained(rows)
	for _, g := range distinct(withBreakdown, func(row *format.Row) group { return groupOf(row.First) }) {
		grows := filter(withBreakdown, func(row *format.Row) bool { return groupOf(row.First) == g })
		title := fmt.Sprintf("Where the CPU per call goes, %s (%s)", payload, g)
		if err := add("breakdown", g.slug(), title, func() ([]byte, error) { return breakdownChart(title, grows) }); err != nil {
			return nil, err
		}
	}
	open := filter(rows, func(row *format.Row) bool { return row.First.Rate > 0 })
	for _, g := range distinct(open, func(row *format.Row) group { g := groupOf(row.First); g.rate = 0; return g }) {
		grows := filter(open, func(row *format.Row) bool { h := groupOf(row.First); h.rate = 0; return h == g })
		if len(distinct(grows, func(row *format.Row) float64 { return row.First.Rate })) < 2 {
			continue
		}
		title := fmt.Sprintf("Open-loop latency against offered rate, %s (%s)", payload, g)
		if err := add("rate", g.slug(), title, func() ([]byte, error) { return rateChart(title, grows) }); err != nil {
			return nil, err
		}
	}
	return charts, nil
}

// latencyChart draws each stack's latency distribution against the
// percentile on a "number of nines" axis, as HdrHistogram's plots do,
// so that the tail gets as much room as the median.
func latencyChart(title string, results []*measure.Result, rows []*format.Row) ([]byte, error) {
	maxNines, maxNs := 0.0, 0.0
	var curves []plotter.XYs // in ns
	for _, row := range rows {
		var xys plotter.XYs
		for _, p := range spectrum(merged(results, row.First.Name)) {
			xys = append(xys, plotter.XY{X: p[0], Y: p[1]})
			maxNines, maxNs = max(maxNines, p[0]), max(maxNs, p[1])
		}
		curves = append(curves, xys)
	}
	u := latencyUnit(maxNs)
	p := newPlot(title, "percentile", "latency ("+u.name+", log scale)")
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks
	for i, xys := range curves {
		for j := range xys {
			xys[j].Y /= u.ns
		}
		// A marker at each whole nine (0%, 90%, 99% ...) tells the
		// lines apart where colours don't.
		var marks plotter.XYs
		for _, xy := range xys {
			if math.Abs(xy.X-math.Round(xy.X)) < 1e-9 {
				marks = append(marks, xy)
			}
		}
		if err := addSeries(p, stackLabel(rows[i].First.Stack), i, xys, marks); err != nil {
			return nil, err
		}
	}
	// 0% (the fastest call) is left unlabelled: at five nines across,
	// its label ran into 50%'s, which says more.
	var ticks plot.ConstantTicks
	for i, label := range []string{"", "90%", "99%", "99.9%", "99.99%", "99.999%"} {
		if float64(i) <= maxNines+1e-9 {
			ticks = append(ticks, plot.Tick{Value: float64(i), Label: label})
		}
	}
	ticks = append(ticks, plot.Tick{Value: math.Log10(2), Label: "50%"})
	slices.SortFunc(ticks, func(a, b plot.Tick) int { return cmp.Compare(a.Value, b.Value) })
	p.X.Tick.Marker = ticks
	return svg(p, 7*vg.Inch, 4*vg.Inch)
}

// spectrum is h's latency in ns at every twentieth of a nine ([nines,
// ns]: 0 is the fastest call, 1 the 90th percentile, 2 the 99th), up to
// as many nines as its calls can show, five at most.
func spectrum(h *measure.Histogram) [][2]float64 {
	var out [][2]float64
	nines := min(5, math.Log10(float64(max(h.TotalCount(), 1))))
	for i := 0; float64(i)*0.05 <= nines+1e-9; i++ {
		x := float64(i) * 0.05
		out = append(out, [2]float64{x, float64(max(h.Quantile(100*(1-math.Pow(10, -x))), 1))})
	}
	return out
}

// merged is the latency histogram of every repetition of name.
func merged(results []*measure.Result, name string) *measure.Histogram {
	h := measure.NewHistogram()
	for _, r := range results {
		if r.Name == name {
			h.Merge(r.Latency.Histogram)
		}
	}
	return h
}

// throughputChart draws calls/s against the number of callers, one line
// per stack.
func throughputChart(title string, rows []*format.Row) ([]byte, error) {
	p := newPlot(title, "concurrent callers (log scale)", "calls/s")
	p.X.Scale = plot.LogScale{}
	var ticks plot.ConstantTicks
	for i, stack := range distinct(rows, func(row *format.Row) string { return row.First.Stack }) {
		var xys plotter.XYs
		for _, row := range rows {
			if row.First.Stack == stack {
				xys = append(xys, plotter.XY{X: float64(row.First.Concurrency), Y: row.Medians[measure.UnitCallsPerSec]})
			}
		}
		if err := addSeries(p, stackLabel(stack), i, xys, xys); err != nil {
			return nil, err
		}
	}
	for _, c := range distinct(rows, func(row *format.Row) int { return row.First.Concurrency }) {
		ticks = append(ticks, plot.Tick{Value: float64(c), Label: fmt.Sprint(c)})
	}
	p.X.Tick.Marker = ticks
	p.Y.Min = 0
	p.Y.Tick.Marker = plainTicks
	return svg(p, 7*vg.Inch, 4*vg.Inch)
}

// costChart draws allocs/op and wire-B/op per stack side by side, each
// bar labelled with its value.
func costChart(title string, rows []*format.Row) ([]byte, error) {
	var names []string
	for _, row := range rows {
		names = append(names, stackLabel(row.First.Stack))
	}
	bars := func(unit, label string) (*plot.Plot, error) {
		p := newPlot("", "", label)
		p.Title.Text = unit
		var values plotter.Values
		var labels plotter.XYLabels
		for _, row := range slices.Backward(rows) { // the first stack on top
			// A bar's row is its place among the values, not the stack's
			// index in rows, which Backward counts down.
			v := row.Medians[unit]
			labels.XYs = append(labels.XYs, plotter.XY{X: v, Y: float64(len(values))})
			values = append(values, v)
			labels.Labels = append(labels.Labels, compact(v))
		}
		// Bars lie along the value axis, one row per stack: names and
		// value labels are each one line of text in a row of their own,
		// so as many stacks as a run has never crowd them together.
		b, err := plotter.NewBarChart(values, vg.Points(14))
		if err != nil {
			return nil, err
		}
		b.Horizontal = true
		b.Color = seriesColor(0)
		p.Add(b)
		if err := labelBars(p, names, labels); err != nil {
			return nil, err
		}
		p.X.Label.Text, p.Y.Label.Text = p.Y.Label.Text, ""
		p.X.Min = 0
		p.X.Max *= 1.25 // room for the labels
		p.X.Tick.Marker = compactTicks
		return p, nil
	}
	allocs, err := bars(measure.UnitAllocsPerOp, "allocations per call")
	if err != nil {
		return nil, err
	}
	wire, err := bars(measure.UnitWirePerOp, "bytes on the wire per call")
	if err != nil {
		return nil, err
	}
	const w, h = 8 * vg.Inch, 4 * vg.Inch
	c := vgsvg.New(w, h)
	dc := draw.New(c)
	titled := plot.New()
	titled.Title.Text = title
	titled.HideAxes()
	titled.Draw(dc)
	dc.Max.Y -= titled.Title.TextStyle.Height(title) + titled.Title.Padding*2
	// Room at the left for the widest stack name in a fallback font, and
	// between the tiles for the left one's value labels.
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Millimeter * 12, PadTop: vg.Millimeter * 2, PadRight: vg.Millimeter * 4, PadLeft: vg.Millimeter * 4}
	canvases := plot.Align([][]*plot.Plot{{allocs, wire}}, tiles, dc)
	allocs.Draw(canvases[0][0])
	wire.Draw(canvases[0][1])
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return withFontStack(buf.Bytes()), nil
}

// rateChart draws p50 (solid) and p99 (dashed) latency against the
// offered rate, one colour per stack: where the curve bends up, the
// stack has reached its capacity.
func rateChart(title string, rows []*format.Row) ([]byte, error) {
	maxNs := 0.0
	for _, row := range rows {
		maxNs = max(maxNs, row.Medians[measure.UnitP99])
	}
	u := latencyUnit(maxNs)
	p := newPlot(title, "offered rate (calls/s)", "latency ("+u.name+", log scale)")
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks
	var short plotter.XYs // points whose achieved rate fell short of the offered
	for i, stack := range distinct(rows, func(row *format.Row) string { return row.First.Stack }) {
		for j, q := range []string{measure.UnitP50, measure.UnitP99} {
			var xys plotter.XYs
			for _, row := range rows {
				if row.First.Stack == stack && row.Succeeded() {
					xy := plotter.XY{X: row.First.Rate, Y: max(row.Medians[q], 1) / u.ns}
					xys = append(xys, xy)
					if fellShort(row) {
						short = append(short, xy)
					}
				}
			}
			slices.SortFunc(xys, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
			l, s, err := plotter.NewLinePoints(xys)
			if err != nil {
				return nil, err
			}
			l.Color = seriesColor(i)
			l.Dashes = dashes[j]
			s.GlyphStyle = seriesGlyphStyle(i)
			p.Add(l, s)
			p.Legend.Add(stackLabel(stack)+" "+strings.TrimSuffix(q, "-ns"), l, s)
		}
	}
	if len(short) > 0 {
		// A large red ring around each: its latency was measured at a
		// lower rate than the axis says.
		s, err := plotter.NewScatter(short)
		if err != nil {
			return nil, err
		}
		s.GlyphStyle = draw.GlyphStyle{Color: color.RGBA{R: 0xd0, A: 0xff}, Radius: vg.Points(7), Shape: draw.RingGlyph{}}
		p.Add(s)
		p.Legend.Add("achieved < offered rate", s)
	}
	p.X.Min = 0
	p.X.Tick.Marker = plainTicks
	return svg(p, 7*vg.Inch, 4*vg.Inch)
}

// labelBars names the rows of a plot of horizontal bars, the first name
// on top, and writes each bar's label just past its end.
func labelBars(p *plot.Plot, names []string, labels plotter.XYLabels) error {
	l, err := plotter.NewLabels(labels)
	if err != nil {
		return err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].XAlign, l.TextStyle[i].YAlign = draw.XLeft, draw.YCenter
	}
	l.Offset = vg.Point{X: vg.Points(3)}
	p.Add(l)
	p.NominalY(reversed(names)...)
	p.Y.Tick.Length = vg.Points(8) // a gap between each name and its bar, for wider fallback fonts too
	return nil
}

func reversed[T any](s []T) []T {
	s = slices.Clone(s)
	slices.Reverse(s)
	return s
}

// fellShort reports whether the row's achieved rate fell below the rate
// offered (by more than 5%, the measuring's own slack).
func fellShort(row *format.Row) bool {
	return row.First.Rate > 0 && row.Medians[measure.UnitCallsPerSec] < 0.95*row.First.Rate
}

// addSeries adds series i: a line through xys in its colour and dashes,
// and its marker at marks, under one legend entry.
func addSeries(p *plot.Plot, label string, i int, xys, marks plotter.XYs) error {
	l, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	l.Color, l.Dashes = seriesColor(i), seriesDashes(i)
	l.Width = vg.Points(1.2)
	s, err := plotter.NewScatter(marks)
	if err != nil {
		return err
	}
	s.GlyphStyle = seriesGlyphStyle(i)
	p.Add(l, s)
	p.Legend.Add(label, l, s)
	return nil
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, x, y
	p.Add(plotter.NewGrid())
	return p
}

// svg draws p with its legend to the right of the plot, where it cannot
// hide a line.
func svg(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	c := vgsvg.New(w, h)
	dc := draw.New(c)
	// A white ground, so that the legend reads in dark-mode viewers too.
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	// The title spans the whole width, legend included: over the plot
	// alone, a long one ran off the left edge.
	titled := plot.New()
	titled.Title.Text, p.Title.Text = p.Title.Text, ""
	titled.HideAxes()
	titled.Draw(dc)
	dc.Max.Y -= titled.Title.TextStyle.Height(titled.Title.Text) + 2*titled.Title.Padding
	legend := p.Legend
	p.Legend = plot.NewLegend()
	r := legend.Rectangle(dc)
	const gap = 4 * vg.Millimeter
	// Liberation Sans's widths are Arial's and Helvetica's; the slack is
	// for a viewer that falls back to another sans-serif.
	lw := (r.Max.X-r.Min.X)*1.1 + 2*gap
	area := dc
	area.Max.X -= lw
	area.Min.X += vg.Millimeter // the widest name in a fallback font
	p.Draw(area)
	area = dc
	area.Min.X = dc.Max.X - lw + gap
	legend.Top, legend.Left = true, true
	legend.Draw(area)
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return withFontStack(buf.Bytes()), nil
}

// logTicks label 1, 2 and 5 times each power of ten, so that a log axis
// spanning less than a decade still reads.
var logTicks = plot.TickerFunc(func(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		for m := 1.0; m < 10; m++ {
			v := m * math.Pow(10, e)
			if v < min || v > max {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = strconv.FormatFloat(v, 'f', -1, 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
})

// plainTicks are gonum's default ticks labelled without trailing zeros:
// 50000, not 50000.00.
var plainTicks = plot.TickerFunc(func(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = strconv.FormatFloat(t.Value, 'f', -1, 64)
		}
	}
	return ticks
})

// compactTicks are gonum's default ticks labelled as the bars are: 250k,
// not 250000.00.
var compactTicks = plot.TickerFunc(func(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = compact(t.Value)
		}
	}
	return ticks
})

// fileSafe keeps letters, digits, dots and dashes: "bytes:1KiB" becomes
// "bytes-1KiB".
func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '.' || r == '-' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
			return r
		}
		return '-'
	}, s)
}
