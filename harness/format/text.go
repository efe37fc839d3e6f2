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
// for any configuration that had errors or fell behind its schedule. It
// fits TableWidth characters unless run.Wide: see fitText.
func Text(w io.Writer, run Run) error {
	rows := Rows(run.Results)
	cols, above, left := fitText(run, tableColumns(run, rows, true))
	for _, l := range above {
		fmt.Fprintln(w, l)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	for i := -1; i < len(rows); i++ {
		for _, c := range cols {
			if i < 0 {
				fmt.Fprint(tw, c.head+"\t")
			} else {
				fmt.Fprint(tw, c.cells[i]+"\t")
			}
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(left) > 0 {
		fmt.Fprintf(w, "--wide adds %s\n", strings.Join(left, ", "))
	}
	if err := explain(w, rows); err != nil {
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
		if slices.ContainsFunc(run.Results, func(r *measure.Result) bool {
			return strings.Contains(r.Net, "loss=") || strings.Contains(r.Net, "partition=")
		}) {
			lines = append(lines, "emulated loss: a lost segment arrives after a retransmission timeout as Linux's TCP sets it (at least 200ms, doubling when lost again) and the connection's later bytes wait behind it, so loss shows in the tail (p99, p99.9), not the median; a partition delivers nothing until the link comes back (quic streams are delayed as TCP connections: QUIC's own recovery is not emulated)")
		}
	}
	short := shortNames(run.Results)
	watch := &note{head: "watch", why: "calls/s and latency are notifications', from each Set's scheduled time to each woken watcher's reply, and the costs are per notification"}
	few := &note{head: "few calls", why: fmt.Sprintf("under %d calls beyond each: the slowest few calls, not percentiles", minBeyond)}
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
			watch.add(fmt.Sprintf("%.0f Sets/s woke %.0f notifications/s (%.1f per Set)",
				r.SetsPerSec(), r.CallsPerSec(), float64(r.Calls)/float64(max(r.Sets, 1))), short(r.Name))
		}
		if f := FewCalls(row); f != "" {
			few.add(f, short(r.Name))
		}
	}
	recovery := &note{head: "recovery", why: "from each time the emulated link came back from a partition to the first call that succeeded after it"}
	for _, r := range run.Results {
		if s := recoveryOf(r); s != "" {
			recovery.add(s, short(r.Name))
		}
	}
	for _, n := range append([]*note{watch, few, recovery}, scheduleNotes(run, short)...) {
		if l := n.line(); l != "" {
			lines = append(lines, l)
		}
	}
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
		unit string
		q    float64
	}{{measure.UnitP90, 0.9}, {measure.UnitP99, 0.99}, {measure.UnitP999, 0.999}} {
		if float64(n)*(1-q.q) < minBeyond {
			weak = append(weak, name(q.unit))
		}
	}
	if len(weak) == 0 {
		return ""
	}
	return fmt.Sprintf("%s from %d calls", strings.Join(weak, ", "), n)
}

// A note is one kind of remark on some rows, said once under the table:
// what it means, and by row what it found.
type note struct {
	head, why string
	says      []string            // what was found, in first-seen order
	rows      map[string][]string // by what was found: the rows' names
}

// add notes that row found says.
func (n *note) add(says, row string) {
	if n.rows == nil {
		n.rows = make(map[string][]string)
	}
	if _, ok := n.rows[says]; !ok {
		n.says = append(n.says, says)
	}
	n.rows[says] = append(n.rows[says], row)
}

// line is the note's one line, or "" when no row found anything.
func (n *note) line() string {
	if len(n.says) == 0 {
		return ""
	}
	var parts []string
	for _, s := range n.says {
		parts = append(parts, strings.Join(slices.Compact(n.rows[s]), ", ")+": "+s)
	}
	return fmt.Sprintf("%s: %s (%s)", n.head, strings.Join(parts, "; "), n.why)
}

// shortNames returns a function that names a result by the parts of its
// benchmark name that not every result shares, so that a note can list
// rows without repeating what the table says they have in common.
func shortNames(results []*measure.Result) func(string) string {
	count := make(map[string]int)
	names := make(map[string]bool)
	for _, r := range results {
		if names[r.Name] {
			continue
		}
		names[r.Name] = true
		for _, p := range strings.Split(r.Name, "/") {
			count[p]++
		}
	}
	return func(name string) string {
		var kept []string
		for _, p := range strings.Split(name, "/") {
			if count[p] < len(names) {
				kept = append(kept, p)
			}
		}
		if len(kept) == 0 {
			return name
		}
		return strings.Join(kept, "/")
	}
}

// recoveryOf says how r's calls held up on a link that partitions or
// loses: recoveries, calls that timed out and reconnects; "" for none.
func recoveryOf(r *measure.Result) string {
	var parts []string
	if p50, ok := r.Recovery(50); ok {
		mx, _ := r.Recovery(100)
		parts = append(parts, fmt.Sprintf("%d partitions, recovered in p50 %s, max %s", len(r.Recoveries)+r.Unrecovered, dur(float64(p50)), dur(float64(mx))))
	}
	if r.Unrecovered > 0 {
		parts = append(parts, fmt.Sprintf("%d never recovered in the window", r.Unrecovered))
	}
	if r.TimedOut > 0 {
		parts = append(parts, fmt.Sprintf("%d calls timed out", r.TimedOut))
	}
	if r.Reconnects > 0 {
		parts = append(parts, fmt.Sprintf("%d reconnects", r.Reconnects))
	}
	return strings.Join(parts, ", ")
}

// scheduleNotes are the open-loop notes of run's rows, each row named by
// short: its send lag, the arrivals that found no caller free (queued) and
// the calls the generator itself sent late.
func scheduleNotes(run Run, short func(string) string) []*note {
	lag := &note{head: "send lag", why: "from each call's scheduled time to its hand-off to the connection: the generator's measure of itself (at low rates it spins the last microseconds before each send; cpu/op leaves that out)"}
	queued := &note{head: "behind schedule", why: fmt.Sprintf("these arrivals found no caller free for over %v, so less than the rate was offered: raise --concurrency, --pipeline or --max-inflight; latency still counts from the schedule", measure.LateSlack)}
	late := &note{head: "generator late", why: fmt.Sprintf("sent over %v after their time with a caller free: the generator's timer or this machine's CPU, not the server (rpcbench doctor measures both)", measure.LateSlack)}
	for _, r := range run.Results {
		what, scheduled := "calls", max(r.Rate*r.Elapsed.Seconds(), float64(r.Calls+r.Errors), 1)
		if r.Workload == "watch" {
			// The schedule is the setters': its calls are Sets.
			what, scheduled = "Sets", max(r.Rate*r.Elapsed.Seconds(), float64(r.Sets), 1)
		}
		if r.SendLag != nil && r.SendLag.TotalCount() > 0 {
			s := fmt.Sprintf("p50 %s, p99 %s, max %s", dur(float64(r.SendLagP50)), dur(float64(r.SendLagP99)), dur(float64(r.SendLagMax)))
			if r.Spin > 0 && r.Elapsed > 0 {
				share := percent(r.Spin.Seconds() / r.Elapsed.Seconds())
				if share == "0.0%" {
					share = "under 0.1%"
				}
				s += ", spinning " + share + " of a CPU"
			}
			lag.add(s, short(r.Name))
		}
		if r.Queued > 0 {
			queued.add(fmt.Sprintf("%d %s queued (%s of the schedule), worst send lag %s, at %s %s/s", r.Queued, what, percent(float64(r.Queued)/scheduled), dur(float64(r.MaxLag)), rate(r.Rate), what), short(r.Name))
		}
		if r.Late > 0 {
			late.add(fmt.Sprintf("%d %s late (%s of the schedule)", r.Late, what, percent(float64(r.Late)/scheduled)), short(r.Name))
		}
	}
	if slices.ContainsFunc(run.Results, func(r *measure.Result) bool { return r.Queued > 0 && r.Workload == "watch" }) {
		queued.why += "; a watch row's setters are fixed, so only a lower --rate helps"
	}
	return []*note{lag, queued, late}
}

// ScheduleWarnings are the open-loop notes of the text table, one line
// each: the send lag, and a warning naming the cause when the schedule
// was not kept. Bench output carries them as comments.
func ScheduleWarnings(run Run) []string {
	var lines []string
	for _, n := range scheduleNotes(run, func(name string) string { return name }) {
		if l := n.line(); l != "" {
			lines = append(lines, l)
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
