//go:build !linux || precise_gotimer

package precise

// newWaiter returns Go's timer: this build has no timerfd.
func newWaiter() waiter { return newGoTimer() }
