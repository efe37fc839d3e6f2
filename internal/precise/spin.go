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
	start := time.Now()
	end, ok := spin(start, t, func() bool { return false })
	if !ok {
		return 0, SleepUntilContext(ctx, t)
	}
	return end.Sub(start), nil
}

// spin reads the clock from now until deadline, or until stop says to
// end, and returns the time it read last. It spins nothing, ok false,
// when another goroutine is spinning.
func spin(now, deadline time.Time, stop func() bool) (end time.Time, ok bool) {
	if !spinning.CompareAndSwap(false, true) {
		return now, false
	}
	defer spinning.Store(false)
	for now.Before(deadline) && !stop() {
		now = time.Now()
	}
	return now, true
}

// spinning is set while a goroutine spins.
var spinning atomic.Bool
