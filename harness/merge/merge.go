// Package merge combines the results of load processes that measured one
// server at the same time into one run, exactly as if one process had
// made every call: histograms add bucket by bucket, never percentiles
// averaged (see measure.Result.Merge).
package merge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/rpcbench/rpcbench/harness/format"
	"github.com/rpcbench/rpcbench/harness/hdrlog"
	"github.com/rpcbench/rpcbench/measure"
)

// An Input is one load process's results and the file they came from.
type Input struct {
	File string
	Run  format.Run
}

// An UnusableError is input that cannot be merged: unreadable, truncated,
// not rpcbench output, or recorded with other histogram settings. It
// names the file.
type UnusableError struct {
	File string
	Err  error
}

func (e *UnusableError) Error() string { return e.File + ": " + e.Err.Error() }
func (e *UnusableError) Unwrap() error { return e.Err }

func unusable(file, msg string, args ...any) error {
	return &UnusableError{File: file, Err: fmt.Errorf(msg, args...)}
}

// Read reads one input file: the JSON that rpcbench run --format json and
// matrix write, or an HdrHistogram interval log (--hdr-log), told apart by
// their first character.
func Read(file string) (Input, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the file is named once, by UnusableError
		}
		return Input{}, &UnusableError{File: file, Err: err}
	}
	in := Input{File: file}
	text := bytes.TrimSpace(data)
	switch {
	case len(text) == 0:
		return in, unusable(file, "empty file, not rpcbench output")
	case text[0] == '{':
		in.Run, err = readJSON(file, text)
	case text[0] == '#' || text[0] == '"' || bytes.HasPrefix(text, []byte("Tag=")):
		in.Run.Results, err = hdrlog.Read(bytes.NewReader(text))
		if err != nil {
			err = unusable(file, "reading it as an HdrHistogram interval log: %v", err)
		}
	default:
		err = unusable(file, "not rpcbench output: neither rpcbench JSON (--format json) nor an HdrHistogram interval log (--hdr-log)")
	}
	if err == nil {
		for i, r := range in.Run.Results {
			if err := measure.Check(r); err != nil {
				return in, unusable(file, "result %d: %v", i+1, err)
			}
		}
	}
	return in, err
}

func readJSON(file string, text []byte) (format.Run, error) {
	var run format.Run
	if err := json.Unmarshal(text, &run); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) || strings.Contains(err.Error(), "unexpected end of JSON input") {
			return run, unusable(file, "truncated or malformed JSON: %v", err)
		}
		return run, unusable(file, "damaged, or not rpcbench output: %v", err)
	}
	var keys struct{ Env, Results json.RawMessage }
	if json.Unmarshal(text, &keys) != nil || keys.Env == nil || run.Results == nil {
		return run, unusable(file, "not rpcbench output: JSON without rpcbench's \"env\" and \"results\"")
	}
	for i, r := range run.Results {
		if r == nil || r.Name == "" || r.Latency == nil || r.Latency.Histogram == nil {
			return run, unusable(file, "result %d has no name or no latency histogram: not rpcbench output, or cut short", i+1)
		}
	}
	return run, nil
}

// Merge combines inputs into one run. Results with the same configuration
// name in different inputs are merged: the first of that name in each
// input together, then the second (a --count repetition) and so on, since
// processes started together reach their n-th repetition together. A
// result that only one input has stays as it is. The environment is the
// first input's, with fields that differ between hosts listing every
// value, and Hosts lists every input's environment.
func Merge(inputs []Input) (format.Run, error) {
	type key struct {
		name string
		rep  int
	}
	type window struct {
		name       string
		start, end time.Time
		calls, max int64
		mean       float64
	}
	var (
		out    format.Run
		merged = make(map[key]*measure.Result)
		from   = make(map[key]string) // which file the merged result started from
		given  = make(map[window]string)
	)
	for _, in := range inputs {
		for _, r := range in.Run.Results {
			// Two processes never measure the same window to the
			// nanosecond with the same latencies: a second copy would
			// count its calls twice.
			w := window{r.Name, r.WindowStart, r.WindowEnd, r.Calls, r.Latency.Max(), r.Latency.Mean()}
			if other, ok := given[w]; ok && !r.WindowStart.IsZero() {
				return out, unusable(in.File, "%s: the same result as in %s (the same window, calls and latencies): given twice", r.Name, other)
			}
			given[w] = in.File
		}
	}
	for _, in := range inputs {
		seen := make(map[string]int)
		for _, r := range in.Run.Results {
			k := key{r.Name, seen[r.Name]}
			seen[r.Name]++
			m, ok := merged[k]
			if !ok {
				merged[k], from[k] = clone(r), in.File
				out.Results = append(out.Results, merged[k])
				continue
			}
			if err := m.Merge(r); err != nil {
				return out, unusable(in.File, "cannot be added to %s's: %v", from[k], err)
			}
		}
		if len(in.Run.Hosts) > 0 {
			out.Hosts = append(out.Hosts, in.Run.Hosts...)
		} else if in.Run.Env.GOOS != "" { // an interval log says nothing of its host
			out.Hosts = append(out.Hosts, in.Run.Env)
		}
	}
	out.Env = combineEnv(out.Hosts)
	if len(inputs) == 1 && len(inputs[0].Run.Hosts) == 0 {
		out.Env, out.Hosts = inputs[0].Run.Env, nil
	}
	return out, nil
}

// clone copies r deeply enough that merging into the copy leaves r as it
// was.
func clone(r *measure.Result) *measure.Result {
	c := *r
	c.Latency = &measure.Histogram{Histogram: r.Latency.Clone()}
	if r.Server != nil {
		s := *r.Server
		s.Instances = slices.Clone(s.Instances)
		c.Server = &s
	}
	c.Intervals = slices.Clone(r.Intervals)
	return &c
}

// combineEnv describes the hosts as one environment: fields they agree on
// as they are, fields that differ as every distinct value joined by " | ",
// so that the configuration lines of the bench format do not claim one
// machine where there were several.
func combineEnv(hosts []measure.Env) measure.Env {
	if len(hosts) == 0 {
		return measure.Env{}
	}
	env := hosts[0]
	env.Args = nil
	join := func(get func(measure.Env) string) string {
		var vals []string
		for _, h := range hosts {
			if v := get(h); v != "" && !slices.Contains(vals, v) {
				vals = append(vals, v)
			}
		}
		return strings.Join(vals, " | ")
	}
	env.Host = join(func(e measure.Env) string { return e.Host })
	env.GoVersion = join(func(e measure.Env) string { return e.GoVersion })
	env.GOOS = join(func(e measure.Env) string { return e.GOOS })
	env.GOARCH = join(func(e measure.Env) string { return e.GOARCH })
	env.CPU = join(func(e measure.Env) string { return e.CPU })
	env.Kernel = join(func(e measure.Env) string { return e.Kernel })
	env.Version = join(func(e measure.Env) string { return e.Version })
	for _, h := range hosts {
		if !h.Date.IsZero() && (env.Date.IsZero() || h.Date.Before(env.Date)) {
			env.Date = h.Date
		}
	}
	return env
}

// Span is how the inputs' measured windows lie: Together is how long every
// input was measuring at once, Union from the first start to the last end.
// It tells a person whether a shared --start-at did its job.
type Span struct {
	Inputs          int
	Together, Union time.Duration
}

// Windows compares the inputs' windows, each input's from its first
// result's start to its last result's end. Inputs without windows (older
// files) are left out.
func Windows(inputs []Input) Span {
	var s Span
	var first, last, commonStart, commonEnd time.Time
	for _, in := range inputs {
		var start, end time.Time
		for _, r := range in.Run.Results {
			if r.WindowStart.IsZero() {
				continue
			}
			if start.IsZero() || r.WindowStart.Before(start) {
				start = r.WindowStart
			}
			if r.WindowEnd.After(end) {
				end = r.WindowEnd
			}
		}
		if start.IsZero() {
			continue
		}
		if s.Inputs == 0 {
			first, last, commonStart, commonEnd = start, end, start, end
		}
		s.Inputs++
		first, last = measure.Earliest(first, start), measure.Latest(last, end)
		commonStart, commonEnd = measure.Latest(commonStart, start), measure.Earliest(commonEnd, end)
	}
	s.Union = last.Sub(first)
	s.Together = max(commonEnd.Sub(commonStart), 0)
	return s
}
