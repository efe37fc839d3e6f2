package measure

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Machine is what rpcbench doctor measured of the machine just before a
// run (DESIGN 11): not what the machine is (Env says that) but what it
// does to a benchmark's figures, so that two runs can be told to have come
// from machines that differ in what matters.
type Machine struct {
	// GoTimerLate and PreciseLate are how late a 100µs wait came back,
	// p50, with Go's timer and with rpcbench's precise wait.
	GoTimerLate time.Duration `json:"go_timer_late_p50_ns"`
	PreciseLate time.Duration `json:"precise_late_p50_ns"`
	// LoopbackP50 is the raw TCP floor over 127.0.0.1, one caller.
	LoopbackP50 time.Duration `json:"loopback_p50_ns"`
	// StealPercent is the CPU time the hypervisor gave others; -1 where
	// the machine does not show it.
	StealPercent float64 `json:"steal_percent"`
	// NoiseCV is the coefficient of variation, in percent, of a fixed CPU
	// loop's time over repeated windows.
	NoiseCV      float64 `json:"noise_cv_percent"`
	PerfCounters bool    `json:"perf_counters"`
	// Warnings are the figures doctor warned of, in its words.
	Warnings []string `json:"warnings,omitempty"`
}

// The file configuration keys of a Machine's figures in bench output.
const (
	keyGoTimer  = "machine-go-timer-late-ns"
	keyPrecise  = "machine-precise-late-ns"
	keyLoopback = "machine-loopback-p50-ns"
	keySteal    = "machine-steal-pct"
	keyNoise    = "machine-noise-cv-pct"
	keyCounters = "machine-perf-counters"
)

// Config is m's figures as bench file configuration pairs, key and value.
func (m *Machine) Config() [][2]string {
	ns := func(d time.Duration) string { return strconv.FormatInt(int64(d), 10) }
	pct := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
	pairs := [][2]string{{keyGoTimer, ns(m.GoTimerLate)}, {keyPrecise, ns(m.PreciseLate)}, {keyLoopback, ns(m.LoopbackP50)}}
	if m.StealPercent >= 0 {
		pairs = append(pairs, [2]string{keySteal, pct(m.StealPercent)})
	}
	return append(pairs, [2]string{keyNoise, pct(m.NoiseCV)}, [2]string{keyCounters, strconv.FormatBool(m.PerfCounters)})
}

// MachineDiffs names the machine figures in which two bench files'
// configurations (key to value, as Config wrote them) differ in what
// matters to a comparison: a wait's lateness or the loopback floor by more
// than twice (and a microsecond), CPU steal or noise by more than twice
// (and 5 points), hardware counters on one side only. A figure either
// side lacks is not compared.
func MachineDiffs(base, new map[string]string) []string {
	var diffs []string
	for _, f := range []struct {
		key, what string
		floor     float64 // differences below it never count
		show      func(float64) string
	}{
		{keyGoTimer, "Go's timer lateness", 1000, showNs},
		{keyPrecise, "the precise wait's lateness", 1000, showNs},
		{keyLoopback, "the loopback floor", 1000, showNs},
		{keySteal, "CPU steal", 5, showPct},
		{keyNoise, "noise", 5, showPct},
	} {
		a, errA := strconv.ParseFloat(base[f.key], 64)
		b, errB := strconv.ParseFloat(new[f.key], 64)
		if errA != nil || errB != nil {
			continue
		}
		if lo, hi := math.Min(a, b), math.Max(a, b); hi-lo > f.floor && hi > 2*lo {
			diffs = append(diffs, fmt.Sprintf("%s: baseline %s, new %s", f.what, f.show(a), f.show(b)))
		}
	}
	if a, b := base[keyCounters], new[keyCounters]; a != "" && b != "" && a != b {
		diffs = append(diffs, fmt.Sprintf("hardware counters: baseline %s, new %s", a, b))
	}
	return diffs
}

func showNs(v float64) string  { return time.Duration(v).Round(100 * time.Nanosecond).String() }
func showPct(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "%" }
