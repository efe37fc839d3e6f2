package format

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/rpcbench/rpcbench/measure"
)

// A column is one CSV column: its name, with its unit in it (p99_ns), and
// its value in a result.
type column struct {
	name  string
	value func(*measure.Result) string
}

// csvColumns are CSV's columns. The metrics' columns are named by the
// unit table, as the JSON summaries are (calls_per_sec, p50_ns, ...);
// every other unit is in its column's name too, so that no column needs a
// legend.
var csvColumns = []column{
	{"name", func(r *measure.Result) string { return r.Name }},
	{"stack", func(r *measure.Result) string { return measure.Label(r.Stack) }},
	{"transport", func(r *measure.Result) string { return r.Transport }},
	{"net", func(r *measure.Result) string { return r.Net }},
	{"payload", func(r *measure.Result) string { return r.Payload }},
	{"concurrency", func(r *measure.Result) string { return strconv.Itoa(r.Concurrency) }},
	{"conns", func(r *measure.Result) string { return strconv.Itoa(r.Conns) }},
	{"pipeline", func(r *measure.Result) string { return strconv.Itoa(r.Pipeline) }},
	{"rate_per_sec", func(r *measure.Result) string { return decimal(r.Rate, 3) }},
	{"workload", func(r *measure.Result) string { return cmp.Or(r.Workload, "call") }},
	{"dir", func(r *measure.Result) string { return r.Dir }},
	{"against", func(r *measure.Result) string { return r.Against }},
	{"work", func(r *measure.Result) string {
		if r.Delay == "none" {
			return ""
		}
		return r.Delay // the server's think time per call: "sleep 200µs", "busy 1ms, stall 50ms every 1s"
	}},
	{"calls", func(r *measure.Result) string { return strconv.FormatInt(r.Calls, 10) }},
	metricColumn(measure.UnitErrors),
	{"elapsed_ns", func(r *measure.Result) string { return strconv.FormatInt(int64(r.Elapsed), 10) }},
	metricColumn(measure.UnitCallsPerSec),
	metricColumn(measure.UnitP50),
	metricColumn(measure.UnitP90),
	metricColumn(measure.UnitP99),
	metricColumn(measure.UnitP999),
	metricColumn(measure.UnitMax),
	metricColumn(measure.UnitCPUPerOp),
	metricColumn(measure.UnitBytesPerOp),
	metricColumn(measure.UnitAllocsPerOp),
	metricColumn(measure.UnitWirePerOp),
	metricColumn(measure.UnitCtxswPerOp),
	metricColumn(measure.UnitRWPerOp),
	{"late_calls", func(r *measure.Result) string { return strconv.FormatInt(r.Late, 10) }},
	{"queued_calls", func(r *measure.Result) string { return strconv.FormatInt(r.Queued, 10) }},
	{"max_lag_ns", func(r *measure.Result) string { return strconv.FormatInt(int64(r.MaxLag), 10) }},
	{"send_lag_p50_ns", func(r *measure.Result) string { return strconv.FormatInt(int64(r.SendLagP50), 10) }},
	{"send_lag_p99_ns", func(r *measure.Result) string { return strconv.FormatInt(int64(r.SendLagP99), 10) }},
	{"send_lag_max_ns", func(r *measure.Result) string { return strconv.FormatInt(int64(r.SendLagMax), 10) }},
	{"spin_ns", func(r *measure.Result) string { return strconv.FormatInt(int64(r.Spin), 10) }},
	{"timed_out", func(r *measure.Result) string { return strconv.FormatInt(r.TimedOut, 10) }},
	{"reconnects", func(r *measure.Result) string { return strconv.FormatInt(r.Reconnects, 10) }},
	{"recovery_p50_ns", recovery(50)},
	{"recovery_max_ns", recovery(100)},
	{"interrupted", func(r *measure.Result) string { return strconv.FormatBool(r.Interrupted) }},
	{"first_error", func(r *measure.Result) string { return r.FirstError }},
}

// CSV writes one line per result (every repetition, not medians: a
// spreadsheet can take its own), under a header naming each column with
// its unit. Numbers are plain decimals, never exponents or ∞; a figure
// that has no value (the latency of a row with no successful call) is an
// empty field.
func CSV(w io.Writer, run Run) error {
	cw := csv.NewWriter(w)
	rec := make([]string, len(csvColumns))
	for i, c := range csvColumns {
		rec[i] = c.name
	}
	if err := cw.Write(rec); err != nil {
		return err
	}
	for _, r := range run.Results {
		for i, c := range csvColumns {
			rec[i] = c.value(r)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// decimal formats v with at most places decimals and no exponent, and a
// value that is not a number as an empty field.
func decimal(v float64, places int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	p := math.Pow10(places)
	return strconv.FormatFloat(math.Round(v*p)/p, 'f', -1, 64)
}

// metricColumn is the column of the metric of unit, under the unit
// table's name for it: rates to a tenth, costs per call to a thousandth,
// and empty where the row has no value (a figure of successful calls
// without one, a cost per call of no call).
func metricColumn(unit string) column {
	m, _ := measure.MetricOf(unit)
	places := 1
	if m.PerOp() {
		places = 3
	}
	return column{m.Column, func(r *measure.Result) string {
		if m.OfCalls && (r.Calls == 0 || r.Latency == nil) || m.PerOp() && r.Calls == 0 {
			return ""
		}
		return decimal(m.Value(r), places)
	}}
}

// BenchCommented writes Bench's lines and then, as "# " comment lines that
// benchfmt (and so benchstat) ignores, the warnings a reader of the file
// should still see: a generator that fell behind its schedule.
func BenchCommented(w io.Writer, run Run) error {
	if err := Bench(w, run); err != nil {
		return err
	}
	for _, l := range ScheduleWarnings(run) {
		if _, err := fmt.Fprintln(w, "# "+l); err != nil {
			return err
		}
	}
	return nil
}

// recovery is the column of the q-th quantile of a result's recoveries
// from partitions, empty without any.
func recovery(q float64) func(*measure.Result) string {
	return func(r *measure.Result) string {
		d, ok := r.Recovery(q)
		if !ok {
			return ""
		}
		return strconv.FormatInt(int64(d), 10)
	}
}
