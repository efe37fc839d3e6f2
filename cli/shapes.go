package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/rpcbench/rpcbench/harness"
	"github.com/rpcbench/rpcbench/harness/format"
	"github.com/rpcbench/rpcbench/measure"
)

// shapeFlags are the load shapes and verdicts run and matrix share:
// --rate (one rate, a list, or a range), --find-max and --fail-on.
type shapeFlags struct {
	rates   rateShape
	findMax objective
	failOn  thresholds
	// found are the find-max verdicts, one per configuration searched;
	// missed counts those where no rate held the objective.
	found  []string
	missed int
}

const rateUsage = `open loop: send calls on a fixed schedule, latency counted from each call's scheduled time
(coordinated omission corrected); 0, the default, is closed loop (each caller sends when its last call returns).
Several rates step through in one run, one row each: 5000,10000,20000 or a range 1000:50000:step=5000`

const findMaxUsage = `search for the highest open-loop rate (calls/s) that holds an objective such as 'p99<2ms'
(latency corrected for coordinated omission): double from --rate (1000 if not given) until it fails,
then bisect to within 5%; every probe is a row, and the verdict follows the table; exit 99 if no rate held`

const failOnUsage = `fail (exit 99) when a threshold is broken: comma-separated [SELECTOR:]METRIC OP VALUE,
e.g. 'p99<5ms,errors=0,calls/s>20000' or 'codec=msgpack:p99<5ms' (SELECTOR: key=value pairs of the
row's name, joined by '/'); METRIC: `

// addShapeFlags defines --rate, --find-max and --fail-on; --rate's first
// value also lands in *rate, which the rest of the flags' checks read.
func addShapeFlags(fs *flag.FlagSet, rate *float64) *shapeFlags {
	s := &shapeFlags{rates: rateShape{first: rate}}
	fs.Var(&s.rates, "rate", rateUsage)
	fs.Var(&s.findMax, "find-max", findMaxUsage)
	fs.Var(&s.failOn, "fail-on", failOnUsage+strings.Join(thresholdMetricNames(), ", "))
	return s
}

// rateShape is --rate: one rate, a list, or a range with a step.
type rateShape struct {
	rates []float64
	text  string
	first *float64
}

// maxSteps bounds a range's rates: a typo must not queue a day of runs.
const maxSteps = 1000

func (r *rateShape) String() string { return r.text }

func (r *rateShape) Set(s string) error {
	rates, err := parseRates(s)
	if err != nil {
		return err
	}
	r.text, r.rates = s, rates
	if r.first != nil {
		*r.first = rates[0]
	}
	return nil
}

// parseRates reads "5000", "5000,10000,20000" or "1000:50000:step=5000".
func parseRates(s string) ([]float64, error) {
	num := func(v string) (float64, error) {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
			return 0, fmt.Errorf("rate %q: want a number of calls/s, 0 or more", v)
		}
		return f, nil
	}
	if from, rest, ok := strings.Cut(s, ":"); ok {
		to, step, ok := strings.Cut(rest, ":")
		step, hasStep := strings.CutPrefix(step, "step=")
		if !ok || !hasStep {
			return nil, fmt.Errorf("%q: want a range FROM:TO:step=STEP, e.g. 1000:50000:step=5000", s)
		}
		lo, err := num(from)
		if err != nil {
			return nil, err
		}
		hi, err := num(to)
		if err != nil {
			return nil, err
		}
		st, err := num(step)
		switch {
		case err != nil || st == 0:
			return nil, fmt.Errorf("%q: step %q: want a positive number of calls/s", s, step)
		case hi < lo || lo == 0:
			return nil, fmt.Errorf("%q: want 0 < FROM <= TO", s)
		case (hi-lo)/st >= maxSteps:
			return nil, fmt.Errorf("%q: %.0f steps; at most %d", s, (hi-lo)/st+1, maxSteps)
		}
		var rates []float64
		for i := 0; lo+float64(i)*st <= hi*(1+1e-9); i++ {
			rates = append(rates, lo+float64(i)*st)
		}
		return rates, nil
	}
	var rates []float64
	for _, v := range strings.Split(s, ",") {
		f, err := num(v)
		if err != nil {
			return nil, err
		}
		rates = append(rates, f)
	}
	return rates, nil
}

// steps are --rate's rates for a harness.Plan to step through; none
// with --find-max, which chooses its own.
func (s *shapeFlags) steps() []float64 {
	if s.findMax.t != nil {
		return nil
	}
	return s.rates.rates
}

// objective is --find-max's: one threshold with no selector.
type objective struct{ t *threshold }

func (o *objective) String() string {
	if o.t == nil {
		return ""
	}
	return o.t.text
}

func (o *objective) Set(s string) error {
	if strings.Contains(s, ",") {
		return fmt.Errorf("%q: --find-max takes one objective, such as p99<20ms; errors are always checked (a probe with a failed call fails), and --fail-on takes a list", s)
	}
	t, err := parseFailOn(s)
	switch {
	case err != nil:
		return err
	case len(t.selector) > 0:
		return fmt.Errorf("%q: the objective applies to each configuration searched; give it without a selector", s)
	case slices.Contains([]string{measure.UnitErrors, measure.UnitCallsPerSec, measure.UnitNsPerOp}, t.metric.Unit):
		return fmt.Errorf("%q: want an objective on latency or cost, such as p99<2ms: errors are always checked, and the rate is what is searched", s)
	}
	o.t = &t
	return nil
}

// runAll measures cfgs count times, stepping through --rate's rates, or
// searching each configuration's highest rate for --find-max.
func (s *shapeFlags) runAll(ctx context.Context, cfgs []harness.Config, count int, progress func(run, runs int, name string, p harness.Progress)) ([]*measure.Result, error) {
	if s.findMax.t == nil {
		return harness.RunAll(ctx, cfgs, count, progress)
	}
	return s.searchAll(ctx, cfgs, func(ctx context.Context, i int, c harness.Config) (*measure.Result, error) {
		if progress != nil {
			c.Progress = func(p harness.Progress) { progress(i, len(cfgs), c.Name(), p) }
		}
		return harness.Run(ctx, c)
	})
}

// searchAll searches each configuration's highest rate for --find-max,
// measuring a probe of the i-th configuration with probe.
func (s *shapeFlags) searchAll(ctx context.Context, cfgs []harness.Config, probe func(ctx context.Context, i int, c harness.Config) (*measure.Result, error)) ([]*measure.Result, error) {
	var all []*measure.Result
	for i, cfg := range cfgs {
		start := 1000.0
		if len(s.rates.rates) > 0 && s.rates.rates[0] > 0 {
			start = s.rates.rates[0]
		}
		best, probes, err := harness.FindMax(ctx, cfg, start, s.findMax.t.misses, func(ctx context.Context, c harness.Config) (*measure.Result, error) {
			return probe(ctx, i, c)
		})
		all = append(all, probes...)
		if err != nil {
			return all, fmt.Errorf("%s: %w", cfg.Name(), err)
		}
		s.found = append(s.found, maxRateVerdict(best, cfg, *s.findMax.t))
		if best.Rate == 0 {
			s.missed++
		}
		if err := ctx.Err(); err != nil {
			return all, err
		}
	}
	return all, nil
}

// maxRateVerdict says find-max's verdict m for cfg, whose objective was obj.
func maxRateVerdict(m harness.MaxRate, cfg harness.Config, obj threshold) string {
	cfg.Rate = 0
	if m.Rate == 0 {
		return fmt.Sprintf("find-max: %s: no rate held %s (at %g calls/s, the lowest tried, %s; %d probes)", cfg.Name(), obj.text, m.Failed, m.Why, m.Probes)
	}
	v, _ := obj.value(format.Rows([]*measure.Result{m.Best})[0])
	s := fmt.Sprintf("find-max: %s: %g calls/s is the highest rate that held %s (%s was %s", cfg.Name(), m.Rate, obj.text, obj.name, obj.format(v))
	if m.Failed > 0 {
		s += fmt.Sprintf("; at %g calls/s %s", m.Failed, m.Why)
	} else {
		s += "; it held at every rate tried"
	}
	return s + fmt.Sprintf("; %d probes)", m.Probes)
}

// misses says why a probe's result r fails obj, or "" when it holds.
func (obj threshold) misses(r *measure.Result) string {
	v, ok := obj.value(format.Rows([]*measure.Result{r})[0])
	switch {
	case !ok:
		return "no call succeeded"
	case !obj.holds(v):
		return fmt.Sprintf("%s was %s", obj.name, obj.format(v))
	}
	return ""
}

// verdicts is where the verdicts go: after the table, unless stdout
// carries a format a program reads (csv, json, bench), when they go to
// stderr so that the output stays parsable.
func (f *loadFlags) verdicts(stdout, stderr io.Writer) io.Writer {
	if f.format == "text" || f.format == "markdown" || f.out != "" {
		return stdout
	}
	return stderr
}

// report prints the find-max verdicts and the --fail-on verdict after the
// table, and returns errThresholdsBroken when a threshold broke.
func (s *shapeFlags) report(w io.Writer, v verdict) error {
	for _, l := range s.found {
		fmt.Fprintln(w, l)
	}
	err := v.report(w)
	if s.missed > 0 {
		// An objective no rate held is a broken threshold: exit 99.
		return errThresholdsBroken
	}
	return err
}
