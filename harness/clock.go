package harness

import "time"

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

// realClock is the system's clock.
type realClock struct{}

func (realClock) Now() time.Time                 { return time.Now() }
func (realClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ *time.Timer }

func (t realTimer) C() <-chan time.Time { return t.Timer.C }
