package doctor

import (
	"fmt"
	"strings"
	"time"
)

// Thresholds of the verdicts. They say when a figure is worth a second
// look, not that a result is wrong.
const (
	// A wait is late when its p50 is beyond a tenth of the wait (at
	// least lateP50) or its p99 beyond the wait (at least lateP99).
	lateP50 = 100 * time.Microsecond
	lateP99 = time.Millisecond
	// A loopback round trip beyond this is a slow or busy machine (a
	// quiet 2-core VM takes about 20µs).
	slowLoopback = 100 * time.Microsecond
	maxSteal     = 1.0 // percent
	maxNoise     = 3.0 // percent CV
)

// judge gives each figure its verdict; mechanism is how the precise wait
// waits (precise.Mechanism).
func (r *Report) judge(mechanism string) {
	r.Mechanism = mechanism
	for i := range r.Timers {
		r.Timers[i].Verdict = judgeTimer(r.Timers[i], mechanism)
	}
	r.Loopback.Verdict = ok()
	if r.Loopback.P50 > slowLoopback {
		r.Loopback.Verdict = warning("slow: compare results as ratios to the floor")
	}
	switch {
	case !r.Steal.Shown:
		r.Steal.Verdict = Verdict{NotShown, "no /proc/stat with a steal column"}
	case r.Steal.Percent > maxSteal:
		r.Steal.Verdict = warning("neighbours take CPU time: results vary")
	default:
		r.Steal.Verdict = ok()
	}
	r.Frequency.Verdict = judgeFrequency(r.Frequency)
	r.GOMAXPROCS.Verdict = ok()
	if r.GOMAXPROCS.GOMAXPROCS < 2 {
		r.GOMAXPROCS.Verdict = warning("one P: callers and server take turns")
	}
	r.Counters.Verdict = ok()
	if !r.Counters.Available {
		r.Counters.Verdict = Verdict{NotShown, r.Counters.Error}
	}
	r.Noise.Verdict = ok()
	if r.Noise.CV > maxNoise {
		r.Noise.Verdict = warning("changes under ~%.0f%% between runs are noise", 2*r.Noise.CV)
	}
}

func judgeTimer(t Timer, mechanism string) Verdict {
	late := t.P50 > max(t.Wait/10, lateP50) || t.P99 > max(t.Wait, lateP99)
	switch {
	case !late:
		return ok()
	case t.How != "precise":
		return warning("golang/go#44343 (not rpcbench's)")
	case mechanism != "timerfd":
		return warning("no timerfd: so late are rpcbench's waits")
	}
	return warning("so late are --rate, --work, --stall, --net")
}

func judgeFrequency(f Frequency) Verdict {
	if !f.Shown {
		return Verdict{NotShown, "no cpufreq in /sys (a VM?)"}
	}
	var scaling []string
	for _, g := range f.Governors {
		if g != "performance" {
			scaling = append(scaling, g)
		}
	}
	if len(scaling) > 0 {
		return warning("governor %s scales with load", strings.Join(scaling, ", "))
	}
	return ok()
}

func ok() Verdict { return Verdict{Level: Ok} }

func warning(format string, a ...any) Verdict {
	return Verdict{Level: Warning, Why: fmt.Sprintf(format, a...)}
}
