package measure

import (
	"math"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchunit"
)

// The metrics' benchmark units: each metric's one spelling, from which the
// table below derives every other name it goes by.
const (
	UnitNsPerOp     = "ns/op"
	UnitCallsPerSec = "calls/s"
	UnitP50         = "p50-ns"
	UnitP90         = "p90-ns"
	UnitP99         = "p99-ns"
	UnitP999        = "p99.9-ns"
	UnitMax         = "max-ns"
	UnitCPUPerOp    = "cpu-ns/op"
	UnitWirePerOp   = "wire-B/op"
	UnitBytesPerOp  = "B/op"
	UnitAllocsPerOp = "allocs/op"
	UnitCtxswPerOp  = "ctxsw/op"
	UnitRWPerOp     = "rw-syscalls/op"
	UnitErrors      = "errors"
)

// A Metric is one figure of a result and every name it goes by. Its unit
// is its identity; Name, Column and Tidy are the other spellings, so that
// the text table, CSV, JSON, bench lines, --fail-on and the gate never
// spell a metric themselves.
type Metric struct {
	// Unit is its benchmark unit, in golang.org/x/perf/benchunit's terms
	// (a "-ns" suffix tidies to seconds, "B" scales in binary, "/op" is
	// per call), and the key of a row's medians.
	Unit string
	// Column is its CSV column, with its unit in it ("p50_ns"); for a
	// figure of successful calls (OfCalls), also its field in JSON
	// results. Empty for a figure neither writes.
	Column string
	// OfCalls marks a figure of successful calls, their latency or rate:
	// a row where none succeeded has no value of it.
	OfCalls bool
	Value   func(*Result) float64
}

// Name is how the text table heads the metric and --fail-on names it: its
// unit without "-ns" ("p50", "cpu/op", "calls/s").
func (m Metric) Name() string { return strings.Replace(m.Unit, "-ns", "", 1) }

// Tidy is its unit as benchstat, compare and gate write it: "p50-sec".
func (m Metric) Tidy() string {
	_, u := benchunit.Tidy(1, m.Unit)
	return u
}

// Nanoseconds reports whether its values are durations in nanoseconds.
func (m Metric) Nanoseconds() bool {
	return strings.HasSuffix(m.Unit, "-ns") || strings.Contains(m.Unit, "ns/")
}

// PerOp reports whether it is a cost per call.
func (m Metric) PerOp() bool { return strings.HasSuffix(m.Unit, "/op") }

// Metrics are the figures every result reports, in DESIGN 6's names and
// in the order of its bench lines.
func Metrics() []Metric {
	return []Metric{
		{UnitNsPerOp, "", true, func(r *Result) float64 { return r.PerCall(float64(r.Elapsed)) }},
		{UnitCallsPerSec, "calls_per_sec", true, (*Result).CallsPerSec},
		{UnitP50, "p50_ns", true, quantile(50)},
		{UnitP90, "p90_ns", true, quantile(90)},
		{UnitP99, "p99_ns", true, quantile(99)},
		{UnitP999, "p999_ns", true, quantile(99.9)},
		{UnitMax, "max_ns", true, func(r *Result) float64 { return float64(r.Latency.Max()) }},
		{UnitCPUPerOp, "cpu_ns_per_op", false, func(r *Result) float64 { return r.PerCall(float64(r.CPU)) }},
		{UnitWirePerOp, "wire_bytes_per_op", false, func(r *Result) float64 { return r.PerCall(float64(r.WireBytes)) }},
		{UnitBytesPerOp, "alloc_bytes_per_op", false, func(r *Result) float64 { return r.PerCall(float64(r.AllocB)) }},
		{UnitAllocsPerOp, "allocs_per_op", false, func(r *Result) float64 { return r.PerCall(float64(r.Allocs)) }},
		{UnitCtxswPerOp, "ctx_switches_per_op", false, func(r *Result) float64 { return r.PerCall(float64(r.CtxSwitches)) }},
		{UnitRWPerOp, "rw_syscalls_per_op", false, func(r *Result) float64 { return r.PerCall(float64(r.RWSyscalls)) }},
		{UnitErrors, "errors", false, func(r *Result) float64 { return float64(r.Errors) }},
	}
}

// ServerMetrics are the figures of a server in another process
// (Result.Server), reported when it answered Stats.Read: a "server-"
// unit for each of the caller's process counters.
func ServerMetrics() []Metric {
	return []Metric{
		{"server-" + UnitCPUPerOp, "", false, func(r *Result) float64 { return r.PerCall(float64(r.Server.CPU)) }},
		{"server-" + UnitBytesPerOp, "", false, func(r *Result) float64 { return r.PerCall(float64(r.Server.AllocB)) }},
		{"server-" + UnitAllocsPerOp, "", false, func(r *Result) float64 { return r.PerCall(float64(r.Server.Allocs)) }},
		{"server-" + UnitCtxswPerOp, "", false, func(r *Result) float64 { return r.PerCall(float64(r.Server.CtxSwitches)) }},
		{"server-" + UnitRWPerOp, "", false, func(r *Result) float64 { return r.PerCall(float64(r.Server.RWSyscalls)) }},
	}
}

func quantile(q float64) func(*Result) float64 {
	return func(r *Result) float64 { return float64(r.Latency.Quantile(q)) }
}

// BenchValues are r's figures as benchmark values, the server's included
// when there are any: what rpcbench's bench lines and Benchmark report,
// in the same units and order. Values keep four significant digits, and
// none below the unit, which is all a benchmark line needs.
func (r *Result) BenchValues() []benchfmt.Value {
	ms := Metrics()
	if r.Server != nil {
		ms = append(ms, ServerMetrics()...)
	}
	vals := make([]benchfmt.Value, len(ms))
	for i, m := range ms {
		vals[i] = benchfmt.Value{Value: round(m.Value(r)), Unit: m.Unit}
	}
	return vals
}

func round(v float64) float64 {
	if math.Abs(v) >= 1e4 || math.IsNaN(v) || math.IsInf(v, 0) {
		return math.Round(v)
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 4, 64), 64)
	return r
}

// MetricOf returns the metric whose benchmark unit is unit ("p50-ns"),
// the server's included.
func MetricOf(unit string) (Metric, bool) {
	for _, m := range append(Metrics(), ServerMetrics()...) {
		if m.Unit == unit {
			return m, true
		}
	}
	return Metric{}, false
}

// MetricNamed returns the metric of Metrics that name names, as Name
// writes it or without its dot ("p99.9" or "p999").
func MetricNamed(name string) (Metric, bool) {
	for _, m := range Metrics() {
		if name == m.Name() || name == strings.ReplaceAll(m.Name(), ".", "") {
			return m, true
		}
	}
	return Metric{}, false
}
