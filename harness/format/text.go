package format

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/rpcbench/rpcbench/harness"
	"github.com/rpcbench/rpcbench/harness/stack"
)

// A Row is one configuration's figures: the median over its repetitions.
type Row struct {
	First   *harness.Result // the first repetition, for its labels
	Count   int
	Medians map[string]float64 // by Metric.Unit
	// Spreads are, by Metric.Unit, the largest distance from the median
	// to any repetition, as a fraction of the median (0 for one).
	Spreads map[string]float64
	Errors  int64 // summed: errors are never averaged away
}

// Rows groups results by configuration, in first-seen order.
func Rows(results []*harness.Result) []*Row {
	var rows []*Row
	byName := make(map[string][]*harness.Result)
	for _, r := range results {
		if _, ok := byName[r.Name]; !ok {
			rows = append(rows, &Row{First: r})
		}
		byName[r.Name] = append(byName[r.Name], r)
	}
	for _, row := range rows {
		reps := byName[row.First.Name]
		row.Count = len(reps)
		row.Medians = make(map[string]float64, len(Metrics))
		row.Spreads = make(map[string]float64, len(Metrics))
		for _, m := range Metrics {
			vals := make([]float64, len(reps))
			for i, r := range reps {
				vals[i] = m.Value(r)
			}
			med := median(vals)
			row.Medians[m.Unit] = med
			if med != 0 { // median sorted vals: the ends are the extremes
				row.Spreads[m.Unit] = max(vals[len(vals)-1]-med, med-vals[0]) / med
			}
		}
		for _, r := range reps {
			row.Errors += r.Errors
		}
	}
	return rows
}

func median(v []float64) float64 {
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// Reference finds the row of stack (stack.FloorID.String()) measured under the
// same conditions as row, or nil: the row ratios divide by.
func Reference(rows []*Row, row *Row, stack string) *Row {
	a := row.First
	for _, o := range rows {
		b := o.First
		if b.Stack == stack && b.Transport == a.Transport && b.Net == a.Net && b.Payload == a.Payload &&
			b.Concurrency == a.Concurrency && b.Pipeline == a.Pipeline && b.Rate == a.Rate {
			return o
		}
	}
	return nil
}

// Text writes an aligned table of the results' medians, with the p50 as a
// multiple of the floor's and calls/s as a multiple of gRPC's, and a line
// for any configuration that had errors or fell behind its schedule.
func Text(w io.Writer, run Run) error {
	rows := Rows(run.Results)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "stack\ttransport\tpayload\tconc\tcalls/s\tp50\tp90\tp99\tp99.9\tmax\tallocs/op\tB/op\tcpu/op\twire-B/op\tp50 ×floor\tcalls/s ×grpc\terrors\t")
	for _, row := range rows {
		r, m := row.First, row.Medians
		// With repetitions, each figure carries its spread: ±3%.
		f := func(unit, s string) string {
			if row.Count < 2 {
				return s
			}
			return fmt.Sprintf("%s ±%.0f%%", s, 100*row.Spreads[unit])
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t\n",
			stack.Label(r.Stack), TransportLabel(r), r.Payload, Callers(r),
			f("calls/s", fmt.Sprintf("%.0f", m["calls/s"])), f("p50-ns", dur(m["p50-ns"])), f("p90-ns", dur(m["p90-ns"])),
			f("p99-ns", dur(m["p99-ns"])), f("p99.9-ns", dur(m["p99.9-ns"])), f("max-ns", dur(m["max-ns"])),
			f("allocs/op", fmt.Sprintf("%.1f", m["allocs/op"])), f("B/op", fmt.Sprintf("%.0f", m["B/op"])),
			f("cpu-ns/op", dur(m["cpu-ns/op"])), f("wire-B/op", fmt.Sprintf("%.0f", m["wire-B/op"])),
			Ratio(row, Reference(rows, row, stack.FloorID.String()), "p50-ns"),
			Ratio(row, Reference(rows, row, stack.GRPCID.String()), "calls/s"),
			row.Errors)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return notes(w, run, rows)
}

// notes says what the table can't: repetitions, open-loop correction,
// errors and a generator that fell behind.
func notes(w io.Writer, run Run, rows []*Row) error {
	var lines []string
	if len(rows) > 0 {
		first := rows[0]
		if first.Count > 1 {
			lines = append(lines, fmt.Sprintf("medians of %d repetitions; ± is the farthest repetition from the median", first.Count))
		}
		if r := first.First; r.Rate > 0 {
			lines = append(lines, fmt.Sprintf("open loop at %g calls/s: latency counts from each call's scheduled send time (coordinated omission corrected)", r.Rate))
		}
		if d := first.First.Delay; d != "" && d != "none" {
			lines = append(lines, "server delay per call: "+d)
		}
	}
	for _, row := range rows {
		r := row.First
		if row.Errors > 0 {
			lines = append(lines, fmt.Sprintf("ERRORS: %s: %d calls failed; first: %s", r.Name, row.Errors, r.FirstError))
		}
		if s := r.Server; s != nil {
			lines = append(lines, fmt.Sprintf("server process (%s): %.1f allocs/op, %.0f B/op, %s cpu/op; the table's figures are the calling process's",
				r.Name, r.PerCall(float64(s.Allocs)), r.PerCall(float64(s.AllocB)), dur(r.PerCall(float64(s.CPU)))))
		}
		if r.Late > 0 {
			lines = append(lines, fmt.Sprintf("BEHIND SCHEDULE: %s: %d calls started over %v late (worst %v): callers were held up by earlier calls or by the CPU, so less than the rate was offered; their latency still counts from the schedule (more --concurrency offers the rate better)", r.Name, r.Late, harness.LateSlack, r.MaxLag))
		}
	}
	for _, l := range lines {
		if _, err := fmt.Fprintln(w, l); err != nil {
			return err
		}
	}
	return nil
}

// TransportLabel names the transport with its network profile: "tcp+wan".
func TransportLabel(r *harness.Result) string {
	if r.Net != "" {
		return r.Transport + "+" + r.Net
	}
	return r.Transport
}

// Ratio formats row's median of unit over ref's, or "-" with no reference.
func Ratio(row, ref *Row, unit string) string {
	if ref == nil || ref.Medians[unit] == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", row.Medians[unit]/ref.Medians[unit])
}

// dur formats nanoseconds with three significant digits.
func dur(ns float64) string {
	d := time.Duration(ns)
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%.0fns", ns)
	case d < time.Millisecond:
		return fmt.Sprintf("%.3gµs", ns/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.3gms", ns/1e6)
	}
	return fmt.Sprintf("%.3gs", ns/1e9)
}

// Callers is the concurrency, with the pipeline depth when there is one:
// "16", "16×8".
func Callers(r *harness.Result) string {
	if r.Pipeline > 1 {
		return fmt.Sprintf("%d×%d", r.Concurrency, r.Pipeline)
	}
	return fmt.Sprint(r.Concurrency)
}
