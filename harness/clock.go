package harness

import (
	"context"
	"time"

	"github.com/rpcbench/rpcbench/internal/precise"
)

// A Clock is where the driver gets the time and waits for it: the real
// one in a run, a fake one in tests, so that scheduling and recording are
// tested without sleeping (grpc-go's benchmark/latency swaps now and sleep
// the same way).
type Clock interface {
	Now() time.Time
	// NewTimer returns a timer that fires once, after d.
	NewTimer(d time.Duration) Timer
}

// A Timer is a time.Timer behind an interface.
type Timer interface {
	C() <-chan time.Time
	// Stop prevents the timer from firing, as time.Timer's does.
	Stop() bool
	// Reset makes the timer fire after d, as time.Timer's does.
	Reset(d time.Duration) bool
}

// realClock is the system's clock, whose timers are precise (DESIGN 11):
// Go's own fire about a millisecond late below a millisecond, which an
// open loop's schedule and the watch setter's would measure instead of
// the system.
type realClock struct{}

// Now reads the monotonic clock only: the start's wall-clock time plus
// the monotonic time since (time.Since reads one clock where time.Now
// reads two, and a call's two time stamps are a good part of the
// harness's own cost per call: BenchmarkOverhead). A run's times do not
// follow the wall clock's steps, which would only falsify its durations.
func (realClock) Now() time.Time { return clockBase.Add(time.Since(clockBase)) }

// clockBase is the instant realClock's times count from.
var clockBase = time.Now()

func (realClock) NewTimer(d time.Duration) Timer { return precise.NewTimer(d) }

// SleepUntil waits until t, or ctx's end, on the goroutine that asks,
// spinning for the last spin of it (precise.SpinUntilContext).
func (realClock) SleepUntil(ctx context.Context, t time.Time, spin time.Duration) (spun time.Duration, err error) {
	return precise.SpinUntilContext(ctx, t, spin)
}

// A spinTimer is a Timer that spins for the last of its waits, as the
// real clock's do (precise.Timer.SetSpin), and says how long it spun.
type spinTimer interface {
	SetSpin(margin time.Duration)
	Spun() time.Duration
}

// A sleeper is a Clock that can wait on the caller's own goroutine, and
// spin for the last spin of the wait, returning how long it spun.
type sleeper interface {
	SleepUntil(ctx context.Context, t time.Time, spin time.Duration) (spun time.Duration, err error)
}
