package measure

import (
	"math"
	"strconv"

	"golang.org/x/perf/benchfmt"
)

// A Metric is one figure of a result, under its benchmark unit.
type Metric struct {
	Unit  string
	Value func(*Result) float64
}

// Metrics are the figures every result reports, in DESIGN 6's names.
// Units follow golang.org/x/perf/benchunit: a "-ns" suffix tidies to
// seconds, "B" in the numerator scales in binary, "/op" is per call.
func Metrics() []Metric {
	return []Metric{
		{"ns/op", func(r *Result) float64 { return r.PerCall(float64(r.Elapsed)) }},
		{"calls/s", (*Result).CallsPerSec},
		{"p50-ns", quantile(50)},
		{"p90-ns", quantile(90)},
		{"p99-ns", quantile(99)},
		{"p99.9-ns", quantile(99.9)},
		{"max-ns", func(r *Result) float64 { return float64(r.Latency.Max()) }},
		{"cpu-ns/op", func(r *Result) float64 { return r.PerCall(float64(r.CPU)) }},
		{"wire-B/op", func(r *Result) float64 { return r.PerCall(float64(r.WireBytes)) }},
		{"B/op", func(r *Result) float64 { return r.PerCall(float64(r.AllocB)) }},
		{"allocs/op", func(r *Result) float64 { return r.PerCall(float64(r.Allocs)) }},
		{"ctxsw/op", func(r *Result) float64 { return r.PerCall(float64(r.CtxSwitches)) }},
		{"rw-syscalls/op", func(r *Result) float64 { return r.PerCall(float64(r.RWSyscalls)) }},
		{"errors", func(r *Result) float64 { return float64(r.Errors) }},
	}
}

// ServerMetrics are the figures of a server in another process
// (Result.Server), reported when it answered Stats.Read.
func ServerMetrics() []Metric {
	return []Metric{
		{"server-cpu-ns/op", func(r *Result) float64 { return r.PerCall(float64(r.Server.CPU)) }},
		{"server-B/op", func(r *Result) float64 { return r.PerCall(float64(r.Server.AllocB)) }},
		{"server-allocs/op", func(r *Result) float64 { return r.PerCall(float64(r.Server.Allocs)) }},
		{"server-ctxsw/op", func(r *Result) float64 { return r.PerCall(float64(r.Server.CtxSwitches)) }},
		{"server-rw-syscalls/op", func(r *Result) float64 { return r.PerCall(float64(r.Server.RWSyscalls)) }},
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

// MetricOf returns the metric whose benchmark unit is unit ("p50-ns").
func MetricOf(unit string) (Metric, bool) {
	for _, m := range append(Metrics(), ServerMetrics()...) {
		if m.Unit == unit {
			return m, true
		}
	}
	return Metric{}, false
}
