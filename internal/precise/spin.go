package precise

import (
	"context"
	"sync/atomic"
	"time"
)

// SpinUntilContext waits until t, or until ctx ends, as SleepUntilContext
// does, but sleeps only until margin before t and spins the rest on the
// calling goroutine, reading the clock in a loop: the sleep's own lateness
// (tens of microseconds from an idle CPU, whose wake-up is the machine's
// and not the timer's) then falls inside the margin, and the wait ends
// within a clock read of t. spun is how long it spun, CPU burnt on
// purpose, which the caller is to count and say (DESIGN 11).
//
// One goroutine of the process spins at a time: a wait that finds another
// spinning sleeps to t instead, so that spinning never takes more than one
// CPU, however many goroutines wait. A margin of zero or less only sleeps.
func SpinUntilContext(ctx context.Context, t time.Time, margin time.Duration) (spun time.Duration, err error) {
	if margin <= 0 {
		return 0, SleepUntilContext(ctx, t)
	}
	if err := SleepUntilContext(ctx, t.Add(-margin)); err != nil {
		return 0, err
	}
	if !spinning.CompareAndSwap(false, true) {
		return 0, SleepUntilContext(ctx, t)
	}
	defer spinning.Store(false)
	start := time.Now()
	now := start
	for now.Before(t) {
		now = time.Now()
	}
	return now.Sub(start), nil
}

// spinning is set while a goroutine spins.
var spinning atomic.Bool
