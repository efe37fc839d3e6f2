package cli

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rpcbench/rpcbench/harness/format"
	"github.com/rpcbench/rpcbench/measure"
)

// errThresholdsBroken reports a run that broke a --fail-on threshold; the
// table and the broken thresholds have been printed. Main exits 99
// (the exit table, cli/exit.go), as k6 does, so that a script tells it from a failed run.
var errThresholdsBroken = errors.New("thresholds broken")

// thresholdMetricNames are the names --fail-on and --find-max know: the
// unit table's, which the text table heads its columns with.
func thresholdMetricNames() []string {
	var names []string
	for _, m := range measure.Metrics() {
		names = append(names, m.Name())
	}
	return names
}

// A threshold is one --fail-on expression: [SELECTOR:]METRIC OP VALUE,
// e.g. "p99<5ms", "errors=0", "codec=msgpack:calls/s>20000". The selector's
// key=value pairs, joined by '/', must all be segments of a row's
// benchmark name for the threshold to apply to it; with none it applies
// to every row.
type threshold struct {
	text     string
	selector []string
	name     string // as written: "p99"
	metric   measure.Metric
	op       string
	want     float64 // ns for durations
}

// failOnOps are the comparisons, longest first so that "<=" is not read as "<".
var failOnOps = []string{"<=", ">=", "==", "!=", "<", ">", "="}

func parseFailOn(s string) (threshold, error) {
	t := threshold{text: strings.TrimSpace(s)}
	expr := t.text
	if i := strings.LastIndex(expr, ":"); i >= 0 {
		for _, kv := range strings.Split(expr[:i], "/") {
			if k, v, ok := strings.Cut(kv, "="); !ok || k == "" || v == "" {
				return t, fmt.Errorf("%q: selector %q: want key=value pairs joined by '/', e.g. codec=msgpack/transport=tcp", t.text, expr[:i])
			}
			t.selector = append(t.selector, kv)
		}
		expr = expr[i+1:]
	}
	i, op := -1, ""
	for _, o := range failOnOps {
		if j := strings.Index(expr, o); j >= 0 && (i < 0 || j < i) {
			i, op = j, o
		}
	}
	if i < 0 {
		return t, fmt.Errorf("%q: want METRIC OP VALUE with OP one of < <= > >= = !=, e.g. p99<5ms", t.text)
	}
	t.name, t.op = strings.TrimSpace(expr[:i]), op
	if t.op == "==" {
		t.op = "="
	}
	m, ok := measure.MetricNamed(t.name)
	if !ok {
		return t, fmt.Errorf("%q: unknown metric %q: want one of %s", t.text, t.name, strings.Join(thresholdMetricNames(), ", "))
	}
	t.metric = m
	v := strings.TrimSpace(expr[i+len(op):])
	if m.Nanoseconds() {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return t, fmt.Errorf("%q: %s wants a duration such as 5ms or 250µs, not %q", t.text, t.name, v)
		}
		t.want = float64(d)
	} else {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
			return t, fmt.Errorf("%q: %s wants a number, not %q", t.text, t.name, v)
		}
		t.want = f
	}
	return t, nil
}

// holds reports whether got satisfies the threshold.
func (t threshold) holds(got float64) bool {
	switch t.op {
	case "<":
		return got < t.want
	case "<=":
		return got <= t.want
	case ">":
		return got > t.want
	case ">=":
		return got >= t.want
	case "!=":
		return got != t.want
	}
	return got == t.want
}

// applies reports whether the threshold's selector picks the result.
func (t threshold) applies(r *measure.Result) bool {
	segs := strings.Split(r.Name, "/")
	for _, kv := range t.selector {
		if !slices.Contains(segs, kv) {
			return false
		}
	}
	return true
}

// value is the row's figure for the threshold, and whether it has one: a
// row with no successful call has no latency or rate.
func (t threshold) value(row *format.Row) (float64, bool) {
	if t.metric.Unit == measure.UnitErrors {
		return float64(row.Errors), true
	}
	if !row.Succeeded() && t.metric.OfCalls {
		return 0, false
	}
	return row.Medians[t.metric.Unit], true
}

// format writes v in the threshold's units.
func (t threshold) format(v float64) string {
	if t.metric.Nanoseconds() {
		return roundDuration(time.Duration(v)).String()
	}
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// roundDuration keeps three significant digits: 7.21ms, not 7.213447ms.
func roundDuration(d time.Duration) time.Duration {
	for unit := time.Duration(1); unit < time.Hour; unit *= 10 {
		if d < 1000*unit {
			return d.Round(unit)
		}
	}
	return d
}

// thresholds are --fail-on's expressions: a flag.Value, so that a bad one
// is a usage error naming it before anything runs. The flag may be given
// more than once; each adds its comma-separated expressions.
type thresholds []threshold

func (ts *thresholds) String() string {
	var s []string
	for _, t := range *ts {
		s = append(s, t.text)
	}
	return strings.Join(s, ",")
}

func (ts *thresholds) Set(s string) error {
	for _, e := range split(s) {
		t, err := parseFailOn(e)
		if err != nil {
			return err
		}
		*ts = append(*ts, t)
	}
	if len(*ts) == 0 {
		return fmt.Errorf("%q: no threshold in it", s)
	}
	return nil
}

// A breach is a threshold a row broke, or one that matched no row (row
// nil).
type breach struct {
	t   threshold
	row *format.Row
	got string
}

func (b breach) String() string {
	if b.row == nil {
		return fmt.Sprintf("FAILED %s: no row matches %s", b.t.text, strings.Join(b.t.selector, "/"))
	}
	return fmt.Sprintf("FAILED %s: %s: %s %s", b.t.text, b.row.First.Name, b.t.name, b.got)
}

// check evaluates every threshold on every row it applies to (the
// medians of its repetitions, errors summed).
func (ts thresholds) check(rows []*format.Row) (broken []breach, checked int) {
	for _, t := range ts {
		matched := false
		for _, row := range rows {
			if !t.applies(row.First) {
				continue
			}
			matched = true
			checked++
			v, ok := t.value(row)
			switch {
			case !ok:
				broken = append(broken, breach{t, row, "has no value: no call succeeded"})
			case !t.holds(v):
				broken = append(broken, breach{t, row, "was " + t.format(v)})
			}
		}
		if !matched {
			broken = append(broken, breach{t: t})
		}
	}
	return broken, checked
}

// A verdict is the thresholds checked against a run's rows, once: the
// table marks the figures that broke, and the lines after it say how.
type verdict struct {
	ts      thresholds
	broken  []breach
	checked int
}

func (ts thresholds) judge(results []*measure.Result) verdict {
	v := verdict{ts: ts}
	if len(ts) > 0 {
		v.broken, v.checked = ts.check(format.Rows(results))
	}
	return v
}

// marks returns, by benchmark name, the units of the figures that broke
// a threshold, for the table to mark (format.Run.Broken).
func (v verdict) marks() map[string][]string {
	if len(v.broken) == 0 {
		return nil
	}
	marks := make(map[string][]string)
	for _, b := range v.broken {
		if b.row != nil {
			marks[b.row.First.Name] = append(marks[b.row.First.Name], b.t.metric.Unit)
		}
	}
	return marks
}

// report prints the verdict, one line per broken threshold, and returns
// errThresholdsBroken when any broke.
func (v verdict) report(w io.Writer) error {
	if len(v.ts) == 0 {
		return nil
	}
	for _, b := range v.broken {
		fmt.Fprintln(w, b)
	}
	if len(v.broken) > 0 {
		fmt.Fprintf(w, "thresholds: %d of %d checks broken (--fail-on %s)\n", len(v.broken), max(v.checked, len(v.broken)), v.ts.String())
		return errThresholdsBroken
	}
	fmt.Fprintf(w, "thresholds: all %d checks held (--fail-on %s)\n", v.checked, v.ts.String())
	return nil
}
