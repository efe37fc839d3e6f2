package doctor

import (
	"context"
	"runtime"
	"time"

	"github.com/rpcbench/rpcbench/measure"

	"github.com/rpcbench/rpcbench/internal/precise"
)

// Options sizes a measurement; each zero field means its default, which
// together take a couple of seconds.
type Options struct {
	// Waits is how many waits each timer figure is taken over; 0 means 200.
	Waits int
	// RoundTrips is how many loopback round trips the floor is taken
	// over; 0 means 5000.
	RoundTrips int
	// NoiseWindows is how many times the fixed CPU loop runs, each for
	// about NoiseWindow; 0 means 20 windows of 20ms.
	NoiseWindows int
	NoiseWindow  time.Duration
}

// Quick is a measurement of well under a second, coarser for it.
func Quick() Options {
	return Options{Waits: 50, RoundTrips: 1000, NoiseWindows: 10, NoiseWindow: 10 * time.Millisecond}
}

func (o Options) withDefaults() Options {
	if o.Waits <= 0 {
		o.Waits = 200
	}
	if o.RoundTrips <= 0 {
		o.RoundTrips = 5000
	}
	if o.NoiseWindows <= 1 {
		o.NoiseWindows = 20
	}
	if o.NoiseWindow <= 0 {
		o.NoiseWindow = 20 * time.Millisecond
	}
	return o
}

// A Report is what Measure found. Durations are in nanoseconds in JSON.
type Report struct {
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	// Mechanism is how the precise wait waits: "timerfd" or "go-timer".
	Mechanism string        `json:"precise_mechanism"`
	Elapsed   time.Duration `json:"elapsed_ns"`

	Timers     []Timer   `json:"timers"`
	Loopback   Loopback  `json:"loopback"`
	Steal      Steal     `json:"steal"`
	Frequency  Frequency `json:"frequency"`
	GOMAXPROCS Procs     `json:"gomaxprocs"`
	Counters   Counters  `json:"perf_counters"`
	Noise      Noise     `json:"noise"`
}

// A Verdict says whether a figure is fine for benchmarking, and why not.
type Verdict struct {
	// Level is Ok, Warning or NotShown.
	Level string `json:"verdict"`
	Why   string `json:"why,omitempty"`
}

// The levels of a Verdict.
const (
	Ok       = "ok"
	Warning  = "warning"
	NotShown = "not shown" // the machine does not show the figure
)

// Timer is how late one way of waiting comes back after one duration.
type Timer struct {
	// How is "time.Sleep", "time.Timer" or "precise" (rpcbench's wait).
	How string `json:"how"`
	precise.Lateness
	Verdict
}

// Loopback is the floor: raw length-prefixed TCP echo of a 16-byte
// payload over 127.0.0.1, one caller.
type Loopback struct {
	N   int           `json:"n"`
	P50 time.Duration `json:"p50_ns"`
	P99 time.Duration `json:"p99_ns"`
	Verdict
}

// Steal is the share of CPU time the hypervisor gave to others during the
// measurement, from /proc/stat.
type Steal struct {
	Shown   bool    `json:"shown"`
	Percent float64 `json:"percent"`
	Verdict
}

// Frequency is the CPUs' frequency scaling, from cpufreq in /sys.
type Frequency struct {
	Shown     bool     `json:"shown"`
	Governors []string `json:"governors,omitempty"`
	CurMHz    float64  `json:"cur_mhz,omitempty"` // mean over the CPUs, at the end
	MaxMHz    float64  `json:"max_mhz,omitempty"`
	Verdict
}

// Procs is GOMAXPROCS against the CPUs the process may use.
type Procs struct {
	GOMAXPROCS int `json:"gomaxprocs"`
	NumCPU     int `json:"num_cpu"`
	Verdict
}

// Counters is whether hardware performance counters can be opened
// (perf_event_open of CPU cycles, user space only).
type Counters struct {
	Available bool   `json:"available"`
	Error     string `json:"error,omitempty"`
	Verdict
}

// Noise is the coefficient of variation of a fixed CPU loop's time over
// repeated windows: how much the machine alone moves a figure.
type Noise struct {
	Windows int           `json:"windows"`
	Window  time.Duration `json:"window_ns"`
	CV      float64       `json:"cv_percent"`
	Verdict
}

// Measure takes the figures, one after another, and judges them. It
// returns ctx's error if ctx ends before it is done.
func Measure(ctx context.Context, opts Options) (Report, error) {
	opts = opts.withDefaults()
	start := time.Now()
	r := Report{GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	stat0, statErr := readStat(procStat)
	r.GOMAXPROCS = Procs{GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU()}
	r.Counters = openCounters()
	waits := []struct {
		how  string
		wait func(time.Duration)
	}{
		{"time.Sleep", time.Sleep},
		{"time.Timer", func(d time.Duration) { <-time.NewTimer(d).C }},
		{"precise", precise.Sleep},
	}
	for _, w := range waits {
		for _, d := range []time.Duration{100 * time.Microsecond, time.Millisecond} {
			if err := ctx.Err(); err != nil {
				return r, err
			}
			r.Timers = append(r.Timers, Timer{How: w.how, Lateness: precise.Measure(w.wait, d, opts.Waits)})
		}
	}
	var err error
	if r.Loopback, err = loopback(ctx, opts.RoundTrips); err != nil {
		return r, err
	}
	if r.Noise, err = noise(ctx, opts.NoiseWindows, opts.NoiseWindow); err != nil {
		return r, err
	}
	if stat1, err := readStat(procStat); statErr == nil && err == nil {
		r.Steal = steal(stat0, stat1)
	}
	r.Frequency = readFrequency(sysCPU)
	r.Elapsed = time.Since(start)
	r.judge(precise.Mechanism())
	return r, nil
}

// Brief is the measurement every run takes of its machine before it
// starts (measure.Env.Machine): about a tenth of a second, coarse.
func Brief() Options {
	return Options{Waits: 20, RoundTrips: 500, NoiseWindows: 5, NoiseWindow: 5 * time.Millisecond}
}

// Machine is r's figures as a result's environment records them.
func (r Report) Machine() measure.Machine {
	m := measure.Machine{LoopbackP50: r.Loopback.P50, NoiseCV: r.Noise.CV, PerfCounters: r.Counters.Available, StealPercent: -1}
	for _, t := range r.Timers {
		if t.Wait != 100*time.Microsecond {
			continue
		}
		switch t.How {
		case "time.Timer":
			m.GoTimerLate = t.P50
		case "precise":
			m.PreciseLate = t.P50
		}
	}
	if r.Steal.Shown {
		m.StealPercent = r.Steal.Percent
	}
	warn := func(what string, v Verdict) {
		if v.Level == Warning {
			m.Warnings = append(m.Warnings, what+": "+v.Why)
		}
	}
	for _, t := range r.Timers {
		warn(t.How+" "+t.Wait.String(), t.Verdict)
	}
	warn("loopback floor", r.Loopback.Verdict)
	warn("CPU steal", r.Steal.Verdict)
	warn("CPU frequency", r.Frequency.Verdict)
	warn("GOMAXPROCS", r.GOMAXPROCS.Verdict)
	warn("noise", r.Noise.Verdict)
	return m
}
