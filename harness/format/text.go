package format

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rpcbench/rpcbench/measure"
)

// A Row is one configuration's figures: the median over its repetitions.
type Row struct {
	First   *measure.Result // the first repetition, for its labels
	Count   int
	Medians map[string]float64 // by Metric.Unit
	// Spreads are, by Metric.Unit, the largest distance from the median
	// to any repetition, as a fraction of the median (0 for one).
	Spreads map[string]float64
	Errors  int64 // summed: errors are never averaged away
	// Calls are the successful calls the row rests on, summed over its
	// repetitions; MinCalls the fewest of any one repetition, which is
	// what each repetition's percentiles rest on.
	Calls, MinCalls int64
	// Interrupted: a repetition's window was cut short by a signal.
	Interrupted bool
}

// Succeeded reports whether any call of the row succeeded: without one,
// its latencies and rate describe failures and print as "-".
func (row *Row) Succeeded() bool { return row.Calls > 0 }

// Rows groups results by configuration, in first-seen order.
func Rows(results []*measure.Result) []*Row {
	var rows []*Row
	byName := make(map[string][]*measure.Result)
	for _, r := range results {
		if _, ok := byName[r.Name]; !ok {
			rows = append(rows, &Row{First: r})
		}
		byName[r.Name] = append(byName[r.Name], r)
	}
	for _, row := range rows {
		reps := byName[row.First.Name]
		row.Count = len(reps)
		metrics := measure.Metrics()
		row.Medians = make(map[string]float64, len(metrics))
		row.Spreads = make(map[string]float64, len(metrics))
		for _, m := range metrics {
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
		row.MinCalls = reps[0].Calls
		for _, r := range reps {
			row.Errors += r.Errors
			row.Calls += r.Calls
			row.Interrupted = row.Interrupted || r.Interrupted
			row.MinCalls = min(row.MinCalls, r.Calls)
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

// Reference finds the row of stack (measure.FloorID().String()) measured under the
// same conditions as row, or nil: the row ratios divide by.
func Reference(rows []*Row, row *Row, stack string) *Row {
	a := row.First
	for _, o := range rows {
		b := o.First
		if b.Stack == stack && b.Transport == a.Transport && b.Net == a.Net && b.Payload == a.Payload &&
			b.Concurrency == a.Concurrency && b.Pipeline == a.Pipeline && b.Rate == a.Rate &&
			b.Workload == a.Workload && b.Dir == a.Dir {
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
	fmt.Fprintln(tw, "stack\ttransport\tpayload\tconc\tcalls\tcalls/s\tp50\tp90\tp99\tp99.9\tmax\tallocs/op\tB/op\tcpu/op\twire-B/op\tp50 ×floor\tcalls/s ×grpc\terrors\t")
	for _, row := range rows {
		r, m := row.First, row.Medians
		label := StackLabel(r)
		if row.Interrupted {
			label += "*" // its window was cut short
		}
		// With repetitions, each figure carries its spread: ±3%. A row
		// with no successful call has no latency or rate to speak of.
		// A figure that broke a --fail-on threshold is marked ✗.
		broken := run.Broken[r.Name]
		mark := func(unit, s string) string {
			if slices.Contains(broken, unit) {
				return s + " ✗"
			}
			return s
		}
		f := func(unit, s string) string {
			switch {
			case !row.Succeeded() && slices.Contains(successUnits, unit):
				return mark(unit, "-")
			case row.Count < 2:
				return mark(unit, s)
			}
			return mark(unit, fmt.Sprintf("%s ±%.0f%%", s, 100*row.Spreads[unit]))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
			label, TransportLabel(r), r.Payload, Callers(r), row.Calls,
			f("calls/s", fmt.Sprintf("%.0f", m["calls/s"])), f("p50-ns", dur(m["p50-ns"])), f("p90-ns", dur(m["p90-ns"])),
			f("p99-ns", dur(m["p99-ns"])), f("p99.9-ns", dur(m["p99.9-ns"])), f("max-ns", dur(m["max-ns"])),
			f("allocs/op", fmt.Sprintf("%.1f", m["allocs/op"])), f("B/op", fmt.Sprintf("%.0f", m["B/op"])),
			f("cpu-ns/op", dur(m["cpu-ns/op"])), f("wire-B/op", fmt.Sprintf("%.0f", m["wire-B/op"])),
			Ratio(row, Reference(rows, row, measure.FloorID().String()), "p50-ns"),
			Ratio(row, Reference(rows, row, measure.GRPCID().String()), "calls/s"),
			mark("errors", strconv.FormatInt(row.Errors, 10)))
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
	if run.Interrupted {
		lines = append(lines, "INTERRUPTED: these are the rows finished before the signal; a row marked * was cut short")
	}
	if len(rows) > 0 {
		first := rows[0]
		if first.Count > 1 {
			lines = append(lines, fmt.Sprintf("medians of %d repetitions; ± is the farthest repetition from the median", first.Count))
		}
		if rates := openLoopRates(rows); len(rates) > 0 {
			lines = append(lines, fmt.Sprintf("open loop at %s calls/s: latency counts from each call's scheduled send time (coordinated omission corrected)", strings.Join(rates, ", ")))
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
		if r.LatencyOnly {
			lines = append(lines, fmt.Sprintf("latency only: %s: an HdrHistogram interval log holds latencies alone; errors and per-call costs are unknown and shown as 0", r.Name))
		}
		if r.Processes > 1 {
			lines = append(lines, fmt.Sprintf("merged: %s: %d load processes, histograms added; calls/s over the union of their windows, %s to %s",
				r.Name, r.Processes, r.WindowStart.UTC().Format("15:04:05.000"), r.WindowEnd.UTC().Format("15:04:05.000")))
			if r.Server != nil && r.Server.Summed {
				lines = append(lines, fmt.Sprintf("server figures (%s): the sum of what each load process read from its server over its own window, since some results do not say which server process they read: if the %d processes shared one server, each counted the others' calls too, and per-call server figures are up to %d times too high",
					r.Name, r.Processes, r.Processes))
			}
		}
		if s := r.Server; s != nil {
			lines = append(lines, fmt.Sprintf("server process (%s): %.1f allocs/op, %.0f B/op, %s cpu/op; the table's figures are the calling process's",
				r.Name, r.PerCall(float64(s.Allocs)), r.PerCall(float64(s.AllocB)), dur(r.PerCall(float64(s.CPU)))))
		}
		if r.Workload == "watch" {
			lines = append(lines, fmt.Sprintf("watch: %s: %.0f Sets/s woke %.0f notifications/s (%.1f per Set); calls/s and latency are notifications', from each Set's scheduled time to each woken watcher's reply, and the costs are per notification",
				r.Name, r.SetsPerSec(), r.CallsPerSec(), float64(r.Calls)/float64(max(r.Sets, 1))))
		}
		if few := FewCalls(row); few != "" {
			lines = append(lines, fmt.Sprintf("few calls: %s: %s", r.Name, few))
		}
	}
	lines = append(lines, ScheduleWarnings(run)...)
	if len(run.Hosts) > 1 {
		var hosts []string
		for _, h := range run.Hosts {
			hosts = append(hosts, cmp.Or(h.Host, "unknown"))
		}
		lines = append(lines, fmt.Sprintf("load processes on: %s", strings.Join(hosts, ", ")))
	}
	for _, l := range lines {
		if _, err := fmt.Fprintln(w, l); err != nil {
			return err
		}
	}
	return nil
}

// StackLabel names the stack as tables do, with the direction of a
// duplex row: "msgpack", "peer=grpc", "msgpack up".
func StackLabel(r *measure.Result) string {
	if r.Dir != "" {
		return measure.Label(r.Stack) + " " + r.Dir
	}
	return measure.Label(r.Stack)
}

// openLoopRates are the rows' distinct open-loop rates, in order.
func openLoopRates(rows []*Row) []string {
	var rates []string
	for _, row := range rows {
		if s := rate(row.First.Rate); row.First.Rate > 0 && !slices.Contains(rates, s) {
			rates = append(rates, s)
		}
	}
	return rates
}

// rate formats calls/s without an exponent: 100000000, not 1e+08.
func rate(r float64) string { return strconv.FormatFloat(math.Round(r*100)/100, 'f', -1, 64) }

// percent formats a share with two significant digits at most, and
// never as an exponent: 3.1%, 42%, 100%.
func percent(f float64) string {
	p := 100 * min(f, 1)
	if p >= 10 {
		return fmt.Sprintf("%.0f%%", p)
	}
	return fmt.Sprintf("%.1f%%", p)
}

// TransportLabel names the transport with its network profile: "tcp+wan".
func TransportLabel(r *measure.Result) string {
	if r.Net != "" {
		return r.Transport + "+" + r.Net
	}
	return r.Transport
}

// successUnits are the figures that only successful calls give meaning:
// "-" in a row where none succeeded, never "0ns", and no per-call cost
// that divides the failures' work by one call (allocs/op 229014.0).
var successUnits = []string{"calls/s", "p50-ns", "p90-ns", "p99-ns", "p99.9-ns", "max-ns", "allocs/op", "B/op", "cpu-ns/op", "wire-B/op"}

// minBeyond is how many calls must lie beyond a percentile for it to be
// one: with fewer, "p99.9" is only one of the few slowest calls.
const minBeyond = 10

// FewCalls says which of the row's percentiles rest on too few calls to
// mean what their names say ("p99.9 from 76 calls"), or "" when all hold.
// It counts the fewest calls of any repetition, since each repetition's
// percentiles are computed from its own calls.
func FewCalls(row *Row) string {
	n := row.MinCalls
	if n <= 0 {
		return ""
	}
	var weak []string
	for _, q := range []struct {
		name string
		q    float64
	}{{"p90", 0.9}, {"p99", 0.99}, {"p99.9", 0.999}} {
		if float64(n)*(1-q.q) < minBeyond {
			weak = append(weak, q.name)
		}
	}
	if len(weak) == 0 {
		return ""
	}
	return fmt.Sprintf("%s from %d calls (under %d beyond each: the slowest few calls, not percentiles)",
		strings.Join(weak, ", "), n, minBeyond)
}

// ScheduleWarnings are the open-loop notes, with rounded figures: each
// open-loop result's send lag (the generator's measure of itself, from
// each call's scheduled time to its hand-off to the connection), and a
// warning naming the cause when the schedule was not kept: arrivals that
// found no caller free (queued: raise --concurrency or --pipeline), or
// calls the generator itself sent late (its timer or the machine's CPU).
// The text table prints them, and bench output carries them as comments.
func ScheduleWarnings(run Run) []string {
	var lines []string
	for _, r := range run.Results {
		call, calls, callers := "call", "calls", "--concurrency or --pipeline"
		scheduled := max(r.Rate*r.Elapsed.Seconds(), float64(r.Calls+r.Errors), 1)
		if r.Workload == "watch" {
			// The schedule is the setters': its calls are Sets.
			call, calls, callers = "Set", "Sets", "nothing: the setters are fixed; a lower --rate"
			scheduled = max(r.Rate*r.Elapsed.Seconds(), float64(r.Sets), 1)
		}
		if r.SendLag != nil && r.SendLag.TotalCount() > 0 {
			lines = append(lines, fmt.Sprintf("send lag: %s: p50 %s, p99 %s, max %s, from each %s's scheduled time to its hand-off to the connection",
				r.Name, dur(float64(r.SendLagP50)), dur(float64(r.SendLagP99)), dur(float64(r.SendLagMax)), call))
		}
		if r.Queued > 0 {
			lines = append(lines, fmt.Sprintf("behind schedule: %s: %d %s (%s of the schedule) found no caller free for over %v, worst send lag %s: less than %s %s/s was offered; raise %s (latency still counts from the schedule)",
				r.Name, r.Queued, calls, percent(float64(r.Queued)/scheduled), measure.LateSlack, dur(float64(r.MaxLag)), rate(r.Rate), calls, callers))
		}
		if r.Late > 0 {
			lines = append(lines, fmt.Sprintf("behind schedule: %s: the generator sent %d %s (%s of the schedule) over %v after their time with a caller free: its timer or this machine's CPU, not the server (rpcbench doctor measures both)",
				r.Name, r.Late, calls, percent(float64(r.Late)/scheduled), measure.LateSlack))
		}
	}
	return lines
}

// Ratio formats row's median of unit over ref's, or "-" with no reference.
func Ratio(row, ref *Row, unit string) string {
	if ref == nil || ref.Medians[unit] == 0 || !row.Succeeded() || !ref.Succeeded() {
		return "-"
	}
	return fmt.Sprintf("%.2f", row.Medians[unit]/ref.Medians[unit])
}

// dur formats nanoseconds with three significant digits.
func dur(ns float64) string {
	d := time.Duration(ns)
	switch {
	case math.IsNaN(ns) || math.IsInf(ns, 0):
		return "-"
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
func Callers(r *measure.Result) string {
	if r.Pipeline > 1 {
		return fmt.Sprintf("%d×%d", r.Concurrency, r.Pipeline)
	}
	return fmt.Sprint(r.Concurrency)
}
