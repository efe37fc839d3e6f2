// Package format writes measured results for people (an aligned table),
// for benchstat (Go benchmark lines) and for programs (JSON).
package format

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/rpcbench/rpcbench/measure"
	"golang.org/x/perf/benchfmt"
)

// Run is one invocation's results with the environment they came from:
// the JSON document rpcbench writes and reads back.
type Run struct {
	Env measure.Env `json:"env"`
	// Hosts are the environments of the load processes a merged run came
	// from, one per input; empty for a run that one process measured.
	Hosts   []measure.Env     `json:"hosts,omitempty"`
	Results []*measure.Result `json:"results"`
	// Interrupted says the run was cut short (SIGINT): the results are the
	// rows finished by then, the last perhaps over part of its window.
	Interrupted bool `json:"interrupted,omitempty"`
	// Broken are the figures that broke a threshold (run --fail-on): by
	// benchmark name, the units (Metric.Unit, or "errors") the text table
	// marks with ✗. The verdicts themselves are printed after the table.
	Broken map[string][]string `json:"-"`
	// Wide asks the text table for every column, however wide; without
	// it the table fits TableWidth characters.
	Wide bool `json:"-"`
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
func Summarize(r *measure.Result) Summary {
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
		*measure.Result
		Summary
	}
	doc := struct {
		Env         measure.Env   `json:"env"`
		Hosts       []measure.Env `json:"hosts,omitempty"`
		Results     []summarized  `json:"results"`
		Interrupted bool          `json:"interrupted,omitempty"`
	}{Env: run.Env, Hosts: run.Hosts, Results: make([]summarized, len(run.Results)), Interrupted: run.Interrupted}
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

// Bench writes run in the Go benchmark format with golang.org/x/perf's
// benchfmt writer: the environment as file configuration lines (goos,
// goarch, cpu, go, kernel, gomaxprocs, rpcbench, and interrupted: true for
// a run stopped early), then one line per result, named by
// harness.Config.Name with go test's GOMAXPROCS suffix and valued by
// measure.Result.BenchValues, as harness.Benchmark reports them, so that
// benchstat, rpcbench compare and gate pair the two.
func Bench(w io.Writer, run Run) error {
	bw := benchfmt.NewWriter(w)
	cfg := EnvConfig(run)
	for _, r := range run.Results {
		name := r.Name
		if p := run.Env.GOMAXPROCS; p != 1 {
			// go test leaves the suffix out at GOMAXPROCS=1; so do we.
			name += fmt.Sprintf("-%d", p)
		}
		res := &benchfmt.Result{Config: cfg, Name: benchfmt.Name(name), Iters: int(r.Calls), Values: r.BenchValues()}
		if err := bw.Write(res); err != nil {
			return err
		}
	}
	return nil
}

// EnvConfig is run's environment as benchfmt file configuration.
func EnvConfig(run Run) []benchfmt.Config {
	e := run.Env
	pairs := [][2]string{
		{"goos", e.GOOS}, {"goarch", e.GOARCH}, {"cpu", e.CPU}, {"go", e.GoVersion},
		{"kernel", e.Kernel}, {"gomaxprocs", strconv.Itoa(e.GOMAXPROCS)}, {"rpcbench", e.Version},
	}
	if e.Machine != nil {
		pairs = append(pairs, e.Machine.Config()...)
	}
	if run.Interrupted || slices.ContainsFunc(run.Results, func(r *measure.Result) bool { return r.Interrupted }) {
		pairs = append(pairs, [2]string{"interrupted", "true"})
	}
	cfg := make([]benchfmt.Config, len(pairs))
	for i, p := range pairs {
		cfg[i] = benchfmt.Config{Key: p[0], Value: []byte(p[1]), File: true}
	}
	return cfg
}

// A Metric is one figure of a result, under its benchmark unit.
type Metric = measure.Metric
