// Package format writes measured results for people (an aligned table),
// for benchstat (Go benchmark lines) and for programs (JSON).
package format

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/rpcbench/rpcbench/harness"
)

// Run is one invocation's results with the environment they came from:
// the JSON document rpcbench writes and reads back.
type Run struct {
	Env harness.Env `json:"env"`
	// Hosts are the environments of the load processes a merged run came
	// from, one per input; empty for a run that one process measured.
	Hosts   []harness.Env     `json:"hosts,omitempty"`
	Results []*harness.Result `json:"results"`
}

// A Summary is what most readers of a result want, precomputed so that
// `jq '.results[].p99_ns'` answers without an HDR decoder. Reading JSON
// ignores it: it is recomputed from the histogram and counters, the only
// figures that merge exactly.
type Summary struct {
	CallsPerSec float64 `json:"calls_per_sec"`
	P50         int64   `json:"p50_ns"`
	P90         int64   `json:"p90_ns"`
	P99         int64   `json:"p99_ns"`
	P999        int64   `json:"p999_ns"`
	Max         int64   `json:"max_ns"`
}

// Summarize computes r's summary.
func Summarize(r *harness.Result) Summary {
	var s Summary
	if r.Elapsed > 0 {
		s.CallsPerSec = r.CallsPerSec()
	}
	if h := r.Latency; h != nil && h.Histogram != nil {
		s.P50, s.P90, s.P99, s.P999 = int64(h.Quantile(50)), int64(h.Quantile(90)), int64(h.Quantile(99)), int64(h.Quantile(99.9))
		s.Max = h.Max()
	}
	return s
}

// MarshalJSON writes run with every result's Summary beside its fields.
func (run Run) MarshalJSON() ([]byte, error) {
	type summarized struct {
		*harness.Result
		Summary
	}
	doc := struct {
		Env     harness.Env   `json:"env"`
		Hosts   []harness.Env `json:"hosts,omitempty"`
		Results []summarized  `json:"results"`
	}{Env: run.Env, Hosts: run.Hosts, Results: make([]summarized, len(run.Results))}
	for i, r := range run.Results {
		doc.Results[i] = summarized{r, Summarize(r)}
	}
	return json.Marshal(doc)
}

// JSON writes run as indented JSON.
func JSON(w io.Writer, run Run) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(run)
}

// ReadJSON reads what JSON wrote.
func ReadJSON(r io.Reader) (Run, error) {
	var run Run
	err := json.NewDecoder(r).Decode(&run)
	return run, err
}

// Bench writes run in the Go benchmark format, one line per result, with
// the environment as configuration lines, so that benchstat reads it
// without help. Units follow golang.org/x/perf/benchunit: "-ns" suffixes
// tidy to seconds, "B" in the numerator scales in binary.
func Bench(w io.Writer, run Run) error {
	e := run.Env
	fmt.Fprintf(w, "goos: %s\ngoarch: %s\npkg: github.com/rpcbench/rpcbench\ncpu: %s\n", e.GOOS, e.GOARCH, e.CPU)
	fmt.Fprintf(w, "go-version: %s\nkernel: %s\nrpcbench-version: %s\n", e.GoVersion, e.Kernel, e.Version)
	for _, r := range run.Results {
		fmt.Fprintf(w, "Benchmark%s-%d\t%d", r.Name, e.GOMAXPROCS, r.Calls)
		for _, m := range Metrics {
			fmt.Fprintf(w, "\t%s %s", formatValue(m.Value(r)), m.Unit)
		}
		if s := r.Server; s != nil {
			fmt.Fprintf(w, "\t%s server-cpu-ns/op\t%s server-B/op\t%s server-allocs/op",
				formatValue(r.PerCall(float64(s.CPU))), formatValue(r.PerCall(float64(s.AllocB))), formatValue(r.PerCall(float64(s.Allocs))))
		}
		fmt.Fprintln(w)
	}
	return nil
}

func formatValue(v float64) string {
	s := fmt.Sprintf("%.4g", v)
	if strings.ContainsAny(s, "e") {
		return fmt.Sprintf("%.0f", v)
	}
	return s
}

// A Metric is one figure of a result, under its benchmark unit.
type Metric struct {
	Unit  string
	Value func(*harness.Result) float64
}

// Metrics are the figures every result reports, in DESIGN 6's names.
var Metrics = []Metric{
	{"ns/op", func(r *harness.Result) float64 { return r.PerCall(float64(r.Elapsed)) }},
	{"calls/s", (*harness.Result).CallsPerSec},
	{"p50-ns", quantile(50)},
	{"p90-ns", quantile(90)},
	{"p99-ns", quantile(99)},
	{"p99.9-ns", quantile(99.9)},
	{"max-ns", func(r *harness.Result) float64 { return float64(r.Latency.Max()) }},
	{"cpu-ns/op", func(r *harness.Result) float64 { return r.PerCall(float64(r.CPU)) }},
	{"wire-B/op", func(r *harness.Result) float64 { return r.PerCall(float64(r.WireBytes)) }},
	{"B/op", func(r *harness.Result) float64 { return r.PerCall(float64(r.AllocB)) }},
	{"allocs/op", func(r *harness.Result) float64 { return r.PerCall(float64(r.Allocs)) }},
	{"errors", func(r *harness.Result) float64 { return float64(r.Errors) }},
}

func quantile(q float64) func(*harness.Result) float64 {
	return func(r *harness.Result) float64 { return float64(r.Latency.Quantile(q)) }
}
