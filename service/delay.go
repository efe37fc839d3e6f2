package service

import (
	"fmt"
	"strings"
	"time"

	"github.com/rpcbench/rpcbench/internal/precise"
)

// A Delay models what a real service does besides answering: every call
// first waits out a stall in progress, then works for Work. The native
// peers apply the same Delay, so comparisons stay fair.
type Delay struct {
	// Work is the think time added to every call.
	Work time.Duration
	// Busy spends Work spinning on the CPU instead of sleeping.
	Busy bool
	// Every StallEvery, all calls pause for StallFor (a GC or failover
	// pause). Zero StallEvery means no stalls.
	StallEvery, StallFor time.Duration
	// Epoch is when the first stall period starts; the zero time means the
	// Unix epoch, which keeps processes that share a Delay in phase.
	Epoch time.Time

	// now and sleep are swapped by tests; sleep is precise.Sleep, as
	// Go's timers come back a millisecond late below a millisecond.
	now   func() time.Time
	sleep func(time.Duration)
}

// ParseStall parses PERIOD:DUR, as in --stall 1s:50ms.
func ParseStall(s string) (every, dur time.Duration, err error) {
	p, d, ok := strings.Cut(s, ":")
	if ok {
		every, err = time.ParseDuration(p)
	}
	if ok && err == nil {
		dur, err = time.ParseDuration(d)
	}
	if !ok || err != nil || every <= 0 || dur <= 0 || dur >= every {
		return 0, 0, fmt.Errorf("stall %q: want PERIOD:DURATION with 0 < DURATION < PERIOD, e.g. 1s:50ms", s)
	}
	return every, dur, nil
}

// Wait delays one call as d says. A nil Delay waits for nothing.
func (d *Delay) Wait() {
	if d == nil {
		return
	}
	now, sleep := time.Now, precise.Sleep
	if d.now != nil {
		now, sleep = d.now, d.sleep
	}
	if d.StallEvery > 0 {
		epoch := d.Epoch
		if epoch.IsZero() {
			epoch = time.Unix(0, 0) // time.Time{} is too far back: Sub would saturate
		}
		phase := now().Sub(epoch) % d.StallEvery
		if phase < d.StallFor {
			sleep(d.StallFor - phase)
		}
	}
	switch {
	case d.Work <= 0:
	case d.Busy:
		for end := now().Add(d.Work); now().Before(end); {
		}
	default:
		sleep(d.Work)
	}
}

// String describes d for results and tables: "none", "sleep 1ms",
// "busy 100µs, stall 50ms every 1s".
func (d *Delay) String() string {
	if d == nil || (d.Work <= 0 && d.StallEvery <= 0) {
		return "none"
	}
	var parts []string
	if d.Work > 0 {
		how := "sleep"
		if d.Busy {
			how = "busy"
		}
		parts = append(parts, how+" "+d.Work.String())
	}
	if d.StallEvery > 0 {
		parts = append(parts, fmt.Sprintf("stall %v every %v", d.StallFor, d.StallEvery))
	}
	return strings.Join(parts, ", ")
}
