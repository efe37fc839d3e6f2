// Package compare reads Go benchmark files (rpcbench's and plain
// `go test -bench` output alike) and summarises and compares them as
// benchstat does: per benchmark and unit, the median with its confidence
// interval, and a Mann-Whitney U test of each input against the first.
// It is a thin layer over golang.org/x/perf's benchfmt (reading),
// benchproc (filters), benchmath (statistics) and benchunit (scaling), so
// that its numbers are benchstat's numbers.
package compare

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchproc"
)

// A File is one input's benchmark results, in the order it lists them.
type File struct {
	// Label names the input in tables: its path, or LABEL of LABEL=PATH.
	Label   string
	Results []*benchfmt.Result
	Units   benchfmt.UnitMetadataMap
	// SyntaxErrors are the lines that start like a benchmark result but
	// don't parse; each prints as file:line: message.
	SyntaxErrors []*benchfmt.SyntaxError
}

// Config is f's file configuration lines ("key: value" above the
// results: the environment), as its first result carries them.
func (f *File) Config() map[string]string {
	cfg := make(map[string]string)
	if len(f.Results) > 0 {
		for _, c := range f.Results[0].Config {
			if c.File {
				cfg[c.Key] = string(c.Value)
			}
		}
	}
	return cfg
}

// BenchFile is the file read from a directory written by rpcbench matrix.
const BenchFile = "bench.txt"

// Open reads arg, which is PATH or LABEL=PATH, where PATH is a benchmark
// file or a directory holding one named BenchFile.
func Open(arg string) (*File, error) {
	label, path, ok := strings.Cut(arg, "=")
	if !ok {
		label, path = arg, arg
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, BenchFile)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	file, err := Read(f, path)
	if err != nil {
		return nil, err
	}
	file.Label = label
	return file, nil
}

// Read reads benchmark results from r; name is the file name that labels
// the results and positions syntax errors.
func Read(r io.Reader, name string) (*File, error) {
	file := &File{Label: name}
	rd := benchfmt.NewReader(r, name)
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			file.SyntaxErrors = append(file.SyntaxErrors, rec)
		case *benchfmt.Result:
			// The reader reuses its Result.
			file.Results = append(file.Results, rec.Clone())
		}
	}
	if err := rd.Err(); err != nil {
		return nil, err
	}
	file.Units = rd.Units()
	if len(file.Results) == 0 && len(file.SyntaxErrors) == 0 {
		return nil, fmt.Errorf("%s: no benchmark results: want Go benchmark lines (rpcbench run --format bench, go test -bench) or a matrix directory, not rpcbench's JSON or CSV", name)
	}
	return file, nil
}

// Check returns an error naming the file, line and value of the first
// thing in f that no honest benchmark run writes: a line that starts like
// a result but does not parse (one cut short, say), an iteration count
// below 1, or a NaN, infinite or negative figure. compare and gate check
// their inputs with it before using them.
func (f *File) Check() error {
	if len(f.SyntaxErrors) > 0 {
		return fmt.Errorf("%w (%d unparsable benchmark lines in all)", f.SyntaxErrors[0], len(f.SyntaxErrors))
	}
	for _, r := range f.Results {
		file, line := r.Pos()
		if r.Iters < 1 {
			return fmt.Errorf("%s:%d: %s: %d iterations, want at least 1", file, line, r.Name, r.Iters)
		}
		for _, v := range r.Values {
			if math.IsNaN(v.Value) || math.IsInf(v.Value, 0) || v.Value < 0 {
				value, unit := v.Value, v.Unit
				if v.OrigUnit != "" { // as the file writes it
					value, unit = v.OrigValue, v.OrigUnit
				}
				return fmt.Errorf("%s:%d: %s: %v %s, want a finite figure, not negative", file, line, r.Name, value, unit)
			}
		}
	}
	return nil
}

// Select returns the results of f that filter keeps, with only the
// measurements it keeps, leaving f as it was.
func (f *File) Select(filter *benchproc.Filter) *File {
	out := *f
	out.Results = nil
	for _, r := range f.Results {
		r = r.Clone()
		if ok, _ := filter.Apply(r); ok {
			out.Results = append(out.Results, r)
		}
	}
	return &out
}

// A Series is one benchmark's values in one unit, in the order the file
// lists them: with -count N, Values[i] is the i-th repetition.
type Series struct {
	Name   string
	Unit   string
	Values []float64
}

// Series groups f's results by benchmark name and unit, in order of first
// appearance.
func (f *File) Series() []*Series {
	type key struct{ name, unit string }
	var out []*Series
	index := make(map[key]*Series)
	for _, r := range f.Results {
		for _, v := range r.Values {
			k := key{string(r.Name), v.Unit}
			s := index[k]
			if s == nil {
				s = &Series{Name: k.name, Unit: k.unit}
				index[k] = s
				out = append(out, s)
			}
			s.Values = append(s.Values, v.Value)
		}
	}
	return out
}

// A Selection narrows inputs to some benchmarks and units. Each list
// keeps results matching any of its values; the lists and Expr must all
// match.
type Selection struct {
	// Expr is a filter in benchproc syntax ("/codec:msgpack .unit:sec/op");
	// see golang.org/x/perf/benchproc/syntax. Empty keeps everything.
	Expr       string
	Codecs     []string // the name key /codec
	Transports []string // the name key /transport
	Payloads   []string // the name key /payload
	Units      []string // units as written (ns/op) or tidied (sec/op)
}

// Filter compiles s into one benchproc filter.
func (s Selection) Filter() (*benchproc.Filter, error) {
	terms := []string{"*"}
	if s.Expr != "" {
		terms = append(terms, "("+s.Expr+")")
	}
	for _, l := range []struct {
		key    string
		values []string
	}{{"/codec", s.Codecs}, {"/transport", s.Transports}, {"/payload", s.Payloads}, {".unit", s.Units}} {
		if len(l.values) == 0 {
			continue
		}
		quoted := make([]string, len(l.values))
		for i, v := range l.values {
			// Quoted, because payload names hold colons.
			quoted[i] = fmt.Sprintf("%q", v)
		}
		terms = append(terms, fmt.Sprintf("%s:(%s)", l.key, strings.Join(quoted, " OR ")))
	}
	f, err := benchproc.NewFilter(strings.Join(terms, " "))
	if err != nil {
		return nil, fmt.Errorf("filter: %w", err)
	}
	return f, nil
}

// CheckDistinct returns an error naming two of files that hold the same
// results, value for value: one file given twice (under two names, or a
// copy), never two runs, whose times always differ somewhere.
func CheckDistinct(files ...*File) error {
	for i, a := range files {
		for _, b := range files[i+1:] {
			if sameResults(a, b) {
				return fmt.Errorf("%s and %s hold the same results, value for value: the same run given twice", a.Label, b.Label)
			}
		}
	}
	return nil
}

func sameResults(a, b *File) bool {
	return len(a.Results) > 0 && slices.EqualFunc(a.Results, b.Results, func(x, y *benchfmt.Result) bool {
		return string(x.Name) == string(y.Name) && x.Iters == y.Iters && slices.Equal(x.Values, y.Values)
	})
}
