package harness

import (
	"context"
	"fmt"
	"math"

	"github.com/rpcbench/rpcbench/measure"
)

// A MaxRate is what FindMax found for one configuration.
type MaxRate struct {
	Rate   float64         // the highest rate that held; 0 when none did
	Best   *measure.Result // the probe at Rate
	Probes int
	// Failed is the lowest rate that failed (above Rate, since a lower one
	// that fails ends the search below it), and Why.
	Failed float64
	Why    string
}

// maxProbes bounds a search: doubling from 1 call/s to a million is 20.
const maxProbes = 30

// FindMax searches for the highest open-loop rate at which cfg holds an
// objective, the way fortio's max-QPS search does, with latency corrected
// for coordinated omission: it doubles the rate from start until a probe
// fails, then bisects between the last rate that held and the first that
// did not until they are within 5% (below a start that fails, down to a
// tenth of it). A probe holds when no call failed, the generator kept
// within 10% of the rate (else it did not offer it), and misses, given the
// probe's result, says nothing: it returns why the objective failed, or
// "". probe measures one configuration (Run, or Run with progress). It
// returns every probe's result too.
func FindMax(ctx context.Context, cfg Config, start float64, misses func(*measure.Result) string, probe func(context.Context, Config) (*measure.Result, error)) (MaxRate, []*measure.Result, error) {
	var probes []*measure.Result
	var m MaxRate
	try := func(rate float64) (bool, error) {
		c := cfg
		c.Rate = rate
		r, err := probe(ctx, c)
		if err != nil {
			return false, err
		}
		probes = append(probes, r)
		m.Probes++
		var why string
		switch {
		case r.Errors > 0:
			why = fmt.Sprintf("%d calls failed", r.Errors)
		case r.Calls == 0:
			why = "no call succeeded"
		case r.CallsPerSec() < 0.9*rate:
			why = fmt.Sprintf("only %.0f calls/s were achieved", r.CallsPerSec())
		default:
			why = misses(r)
		}
		if why == "" && rate > m.Rate {
			m.Rate, m.Best = rate, r
		}
		if why != "" && (m.Failed == 0 || rate < m.Failed) {
			m.Failed, m.Why = rate, why
		}
		return why == "", ctx.Err()
	}
	lo, hi := 0.0, 0.0
	for rate := start; m.Probes < maxProbes; rate *= 2 {
		held, err := try(rate)
		if err != nil {
			return m, probes, err
		}
		if !held {
			hi = rate
			break
		}
		lo = rate
	}
	if hi == 0 {
		return m, probes, nil // held at every rate tried: the last is the verdict
	}
	// Below a start that failed, halve at most to a tenth of it: a
	// server that can't hold the objective there is not going to a
	// little lower, and tiny rates make windows without a call.
	for m.Probes < maxProbes && (hi-lo)/hi > 0.05 && (lo > 0 || hi >= start/10) {
		mid := roundRate((lo + hi) / 2)
		if mid <= lo || mid >= hi {
			break
		}
		held, err := try(mid)
		if err != nil {
			return m, probes, err
		}
		if held {
			lo = mid
		} else {
			hi = mid
		}
	}
	return m, probes, nil
}

// roundRate keeps two significant digits, so that probed rates read well
// (12000, not 12187.5).
func roundRate(r float64) float64 {
	if r < 10 {
		return math.Round(r)
	}
	p := math.Pow10(int(math.Floor(math.Log10(r))) - 1)
	return math.Round(r/p) * p
}
