package report

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/rpcbench/rpcbench/harness/format"
	"github.com/rpcbench/rpcbench/measure"
)

// The rows of a misbehaving network (Result.Net set) have a section of
// their own, "Bad networks", apart from the loopback tables: the tails
// against the loss rate (rows whose custom profile sets loss= alone, or
// nothing but latency: the 0% point), how long calls take to recover when
// a partitioned link comes back (rows with recoveries), and each named
// profile's p50 and p99 per transport.

// netKey returns the value of key in a custom network profile's name
// ("custom:latency=1ms,loss=1%,seed=1"), and whether it is there.
func netKey(net, key string) (string, bool) {
	items, ok := strings.CutPrefix(net, "custom:")
	if !ok {
		return "", false
	}
	for _, item := range strings.Split(items, ",") {
		if k, v, _ := strings.Cut(item, "="); k == key {
			return v, true
		}
	}
	return "", false
}

// lossOf is the loss rate in percent of a row on a custom profile without
// partitions, and false for any other row.
func lossOf(r *measure.Result) (float64, bool) {
	if _, part := netKey(r.Net, "partition"); part || !strings.HasPrefix(r.Net, "custom:") {
		return 0, false
	}
	v, ok := netKey(r.Net, "loss")
	if !ok {
		return 0, true
	}
	loss, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
	return loss, err == nil
}

func networkSection(b *bytes.Buffer, chartDir string, rows []*format.Row) ([]Chart, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	fmt.Fprintf(b, "## Bad networks\n\n")
	fmt.Fprintf(b, "The network is rpcbench's own emulation on every connection, both ways (`--net`, transports/netem): this kernel has no `sch_netem`. A lost segment of a stream is delivered after a retransmission timeout as Linux's TCP sets it (at least 200 ms, 1 s before the first round-trip sample, doubling when lost again), and the connection's later bytes wait behind it; a partitioned link delivers nothing until it comes back. QUIC's own loss recovery over UDP is not emulated: each quic stream is delayed as a TCP connection would be, so quic rows show QUIC's costs, not its recovery. Measured by `scripts/networks.sh`.\n\n")
	var charts []Chart
	lossRows := filter(rows, func(row *format.Row) bool { _, ok := lossOf(row.First); return ok })
	if len(lossRows) > 0 {
		c, err := lossSection(b, chartDir, lossRows)
		if err != nil {
			return nil, err
		}
		charts = append(charts, c...)
	}
	recoverySection(b, filter(rows, func(row *format.Row) bool {
		return len(row.First.Recoveries) > 0 || row.First.Unrecovered > 0
	}))
	profileSection(b, filter(rows, func(row *format.Row) bool { return !strings.HasPrefix(row.First.Net, "custom:") }))
	return charts, nil
}

// lossSection tabulates p99 and p99.9 against the loss rate, one row per
// stack and transport, says what the figures show, and charts them.
func lossSection(b *bytes.Buffer, chartDir string, rows []*format.Row) ([]Chart, error) {
	losses := distinct(rows, func(row *format.Row) float64 { l, _ := lossOf(row.First); return l })
	slices.Sort(losses)
	type line struct{ stack, transport string }
	lines := distinct(rows, func(row *format.Row) line { return line{row.First.Stack, row.First.Transport} })
	at := func(l line, loss float64) *format.Row {
		i := slices.IndexFunc(rows, func(row *format.Row) bool {
			got, _ := lossOf(row.First)
			return row.First.Stack == l.stack && row.First.Transport == l.transport && got == loss
		})
		if i < 0 {
			return nil
		}
		return rows[i]
	}
	fmt.Fprintf(b, "### Tails against the loss rate\n\n")
	cols := []string{"stack", "transport", "callers"}
	for _, loss := range losses {
		cols = append(cols, fmt.Sprintf("p99 at %g%%", loss), fmt.Sprintf("p99.9 at %g%%", loss))
	}
	fmt.Fprintf(b, "| %s |\n|---|---|%s\n", strings.Join(cols, " | "), strings.Repeat("---:|", len(cols)-2))
	for _, l := range lines {
		first := at(l, losses[0])
		if first == nil {
			continue
		}
		cells := []string{stackLabel(l.stack), l.transport, format.Callers(first.First)}
		for _, loss := range losses {
			if row := at(l, loss); row != nil && row.Succeeded() {
				cells = append(cells, duration(row.Medians[measure.UnitP99]), duration(row.Medians[measure.UnitP999]))
			} else {
				cells = append(cells, "-", "-")
			}
		}
		fmt.Fprintf(b, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintln(b)
	// What it shows: the first line's tails at no loss and at the most,
	// and how far apart the transports are at the most loss.
	most := losses[len(losses)-1]
	if l := lines[0]; at(l, losses[0]) != nil && at(l, most) != nil && most > 0 {
		base, worst := at(l, losses[0]), at(l, most)
		var p999 []float64
		for _, l := range lines {
			if row := at(l, most); row != nil && row.Succeeded() {
				p999 = append(p999, row.Medians[measure.UnitP999])
			}
		}
		fmt.Fprintf(b, "%s over %s: p99 %s and p99.9 %s without loss, %s and %s at %g%%, while p50 stays at %s: a lost segment costs a retransmission timeout, not a little more latency, so loss shows in the tail long before the median. At %g%% loss the p99.9 of every stack and transport here lies between %s and %s: what a call waits for is TCP's timer, which no codec or multiplexer changes.\n\n",
			stackLabel(l.stack), l.transport, duration(base.Medians[measure.UnitP99]), duration(base.Medians[measure.UnitP999]),
			duration(worst.Medians[measure.UnitP99]), duration(worst.Medians[measure.UnitP999]), most, duration(worst.Medians[measure.UnitP50]),
			most, duration(slices.Min(p999)), duration(slices.Max(p999)))
	}
	svg, err := lossChart("p99.9 against the loss rate", lines, losses, func(l line, loss float64) (float64, bool) {
		row := at(l, loss)
		if row == nil || !row.Succeeded() {
			return 0, false
		}
		return row.Medians[measure.UnitP999], true
	}, func(l line) string { return stackLabel(l.stack) + " " + l.transport })
	if err != nil {
		return nil, err
	}
	c := Chart{Name: chartDir + "/networks-loss.svg", Title: "p99.9 against the loss rate", SVG: svg}
	fmt.Fprintf(b, "![%s](%s)\n\n", c.Title, c.Name)
	return []Chart{c}, nil
}

// lossChart draws value against the loss rate (a log axis, 0% at its
// left end) for each line.
func lossChart[L comparable](title string, lines []L, losses []float64, value func(L, float64) (float64, bool), label func(L) string) ([]byte, error) {
	maxNs := 0.0
	for _, l := range lines {
		for _, loss := range losses {
			if v, ok := value(l, loss); ok {
				maxNs = max(maxNs, v)
			}
		}
	}
	u := latencyUnit(maxNs)
	p := newPlot(title, "packets lost (%)", "p99.9 ("+u.name+", log scale)")
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks
	for i, l := range lines {
		var xys plotter.XYs
		for _, loss := range losses {
			if v, ok := value(l, loss); ok {
				xys = append(xys, plotter.XY{X: loss, Y: max(v, 1) / u.ns})
			}
		}
		slices.SortFunc(xys, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
		if len(xys) == 0 {
			continue
		}
		if err := addSeries(p, label(l), i, xys, xys); err != nil {
			return nil, err
		}
	}
	p.X.Min, p.X.Tick.Marker = 0, plainTicks
	return svg(p, 7*vg.Inch, 4*vg.Inch)
}

// recoverySection tabulates how long calls took to succeed again after
// each partition, and what failed meanwhile.
func recoverySection(b *bytes.Buffer, rows []*format.Row) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "### Recovery after a partition\n\n")
	fmt.Fprintf(b, "From each time the link came back to the first call that succeeded after it; the calls in flight meanwhile wait for a retransmission, or fail on the call timeout (timed out), and a broken connection is replaced (reconnects).\n\n")
	fmt.Fprintf(b, "| stack | transport | callers | partitions | recovery p50 | recovery max | never recovered | calls/s | p99.9 | errors | timed out | reconnects |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	var p50s []float64
	for _, row := range rows {
		r := row.First
		p50, _ := r.Recovery(50)
		mx, _ := r.Recovery(100)
		p50s = append(p50s, float64(p50))
		fmt.Fprintf(b, "| %s | %s | %s | %d | %s | %s | %d | %.0f | %s | %d | %d | %d |\n",
			stackLabel(r.Stack), r.Transport, format.Callers(r), len(r.Recoveries)+r.Unrecovered,
			duration(float64(p50)), duration(float64(mx)), r.Unrecovered, row.Medians[measure.UnitCallsPerSec], duration(row.Medians[measure.UnitP999]),
			row.Errors, r.TimedOut, r.Reconnects)
	}
	if part, ok := netKey(rows[0].First.Net, "partition"); ok {
		every, down, _ := strings.Cut(part, ":")
		fmt.Fprintf(b, "\nWith the link down for %s every %s, calls resumed a median %s after it came back (the least of any row %s, the most %s): the wait of the retransmission timer, backed off while the link was down.",
			down, every, duration(median(p50s)), duration(slices.Min(p50s)), duration(slices.Max(p50s)))
		if !slices.ContainsFunc(rows, func(row *format.Row) bool { return row.Errors > 0 || row.First.Reconnects > 0 }) {
			fmt.Fprintf(b, " No call failed and no connection was replaced: a partition shorter than the call timeout only delays the calls of every stack and transport here.")
		}
		fmt.Fprintln(b)
	}
	fmt.Fprintln(b)
}

// profileSection tabulates, for each named profile, each stack's p50 and
// p99 over each transport at the most callers measured.
func profileSection(b *bytes.Buffer, rows []*format.Row) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "### Named profiles\n\n")
	transports := distinct(rows, func(row *format.Row) string { return row.First.Transport })
	for _, net := range distinct(rows, func(row *format.Row) string { return row.First.Net }) {
		nrows := filter(rows, func(row *format.Row) bool { return row.First.Net == net })
		conc := slices.Max(distinct(nrows, func(row *format.Row) int { return row.First.Concurrency }))
		nrows = filter(nrows, func(row *format.Row) bool { return row.First.Concurrency == conc })
		fmt.Fprintf(b, "`--net %s`, %d callers, p50 / p99:\n\n", net, conc)
		cols := append([]string{"stack"}, transports...)
		fmt.Fprintf(b, "| %s |\n|---|%s\n", strings.Join(cols, " | "), strings.Repeat("---:|", len(cols)-1))
		for _, stack := range distinct(nrows, func(row *format.Row) string { return row.First.Stack }) {
			cells := []string{stackLabel(stack)}
			for _, tr := range transports {
				i := slices.IndexFunc(nrows, func(row *format.Row) bool { return row.First.Stack == stack && row.First.Transport == tr })
				if i < 0 || !nrows[i].Succeeded() {
					cells = append(cells, "-")
					continue
				}
				cells = append(cells, duration(nrows[i].Medians[measure.UnitP50])+" / "+duration(nrows[i].Medians[measure.UnitP99]))
			}
			fmt.Fprintf(b, "| %s |\n", strings.Join(cells, " | "))
		}
		fmt.Fprintln(b)
	}
}
