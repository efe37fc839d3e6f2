// Package format writes measured results for people (an aligned table),
// for benchstat (Go benchmark lines) and for programs (JSON).
package format

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"

	"golang.org/x/perf/benchfmt"

	"github.com/rpcbench/rpcbench/harness"
)

// Run is one invocation's results with the environment they came from:
// the JSON document rpcbench writes and reads back.
type Run struct {
	Env     harness.Env       `json:"env"`
	Results []*harness.Result `json:"results"`
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
// harness.Result.BenchValues, as harness.Benchmark reports them, so that
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
	if slices.ContainsFunc(run.Results, func(r *harness.Result) bool { return r.Interrupted }) {
		pairs = append(pairs, [2]string{"interrupted", "true"})
	}
	cfg := make([]benchfmt.Config, len(pairs))
	for i, p := range pairs {
		cfg[i] = benchfmt.Config{Key: p[0], Value: []byte(p[1]), File: true}
	}
	return cfg
}

// A Metric is one figure of a result, under its benchmark unit.
type Metric = harness.Metric

// Metrics are the figures every result reports (harness.Metrics).
var Metrics = harness.Metrics
