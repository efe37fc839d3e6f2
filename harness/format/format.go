// Package format writes measured results for people (an aligned text
// table, a Markdown one), for spreadsheets (CSV), for benchstat (Go
// benchmark lines) and for programs (JSON). Every metric is headed,
// named and spelled as measure's unit table says (measure.Metrics).
package format

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
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

// MarshalJSON writes run with every result's summary beside its fields:
// the figures of successful calls that have a column in the unit table
// (calls_per_sec, p50_ns, ...), precomputed so that
// `jq '.results[].p99_ns'` answers without an HDR decoder. Reading JSON
// ignores them: they are recomputed from the histogram and counters, the
// only figures that merge exactly.
func (run Run) MarshalJSON() ([]byte, error) {
	doc := struct {
		Env         measure.Env       `json:"env"`
		Hosts       []measure.Env     `json:"hosts,omitempty"`
		Results     []json.RawMessage `json:"results"`
		Interrupted bool              `json:"interrupted,omitempty"`
	}{Env: run.Env, Hosts: run.Hosts, Results: make([]json.RawMessage, len(run.Results)), Interrupted: run.Interrupted}
	for i, r := range run.Results {
		obj, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		if doc.Results[i], err = appendSummary(obj, r); err != nil {
			return nil, err
		}
	}
	return json.Marshal(doc)
}

// appendSummary adds r's summary fields to obj, r's JSON object; a figure
// r has no value of (no histogram, no window) is 0.
func appendSummary(obj []byte, r *measure.Result) ([]byte, error) {
	obj = bytes.TrimSuffix(obj, []byte("}"))
	for _, m := range measure.Metrics() {
		if !m.OfCalls || m.Column == "" {
			continue
		}
		v := 0.0
		if r.Latency != nil && r.Latency.Histogram != nil || !m.Nanoseconds() {
			v = m.Value(r)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			v = 0
		}
		field, err := json.Marshal(map[string]float64{m.Column: v})
		if err != nil {
			return nil, err
		}
		if len(obj) > 1 {
			obj = append(obj, ',')
		}
		obj = append(obj, field[1:len(field)-1]...)
	}
	return append(obj, '}'), nil
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
