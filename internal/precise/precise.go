package precise

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Sleep pauses the calling goroutine for at least d. A d of zero or less
// returns at once.
func Sleep(d time.Duration) { SleepUntil(time.Now().Add(d)) }

// SleepUntil pauses the calling goroutine until t. A t already past
// returns at once.
func SleepUntil(t time.Time) {
	w := get()
	put(w, until(w, t))
}

// SleepContext pauses for at least d, or until ctx ends; it returns ctx's
// error if ctx ended first.
func SleepContext(ctx context.Context, d time.Duration) error {
	return SleepUntilContext(ctx, time.Now().Add(d))
}

// SleepUntilContext pauses until t, or until ctx ends; it returns ctx's
// error if ctx ended first.
func SleepUntilContext(ctx context.Context, t time.Time) error {
	if ctx.Done() == nil {
		SleepUntil(t)
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	w := get()
	interrupted := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		w.interrupt()
		close(interrupted)
	})
	cut := until(w, t)
	if !stop() {
		<-interrupted // w goes back to the pool only once nothing else touches it
		cut = true
	}
	put(w, cut)
	if cut && time.Now().Before(t) {
		return ctx.Err()
	}
	return nil
}

// until waits with w until deadline by time.Now, or returns true early
// when w is interrupted.
func until(w waiter, deadline time.Time) (interrupted bool) {
	for time.Now().Before(deadline) {
		w.arm(deadline)
		if w.wait() {
			return true
		}
	}
	return false
}

// A Timer sends the time on its channel once, after a duration, as a
// time.Timer does, but with this package's precision. Make one with
// NewTimer; the zero Timer is not usable. Its methods are safe for
// concurrent use.
//
// As with time.Timer since Go 1.23, no value sent before a Stop or Reset
// is received after it returns. C has a buffer of one. An armed Timer has
// one goroutine waiting on a pooled timerfd, until it fires or is stopped;
// a Reset while armed moves its deadline without waking it. A stopped or
// fired Timer has no goroutine and holds no file descriptor. So, unlike a
// time.Timer, an armed Timer dropped without Stop lives until it fires.
type Timer struct {
	c chan time.Time

	mu       sync.Mutex    // guards w, deadline, spin and sends on c
	w        waiter        // the armed timer's; nil when stopped or fired
	deadline time.Time     // when w's goroutine sends
	spin     time.Duration // the last of a wait spun (SetSpin)
	spun     atomic.Int64  // ns spun, all told
	changes  atomic.Int64  // Stops and Resets: each ends a spin under way
}

// SetSpin makes the Timer spin for the last margin of its waits from its
// next Reset on, as SpinUntilContext does, on the goroutine that sends on
// C; zero, the default, only sleeps.
func (t *Timer) SetSpin(margin time.Duration) {
	t.mu.Lock()
	t.spin = max(margin, 0)
	t.mu.Unlock()
}

// Spun is how long the Timer has spun so far, all told: CPU burnt on
// purpose, for its user to count and say.
func (t *Timer) Spun() time.Duration { return time.Duration(t.spun.Load()) }

// NewTimer returns a Timer that sends the current time on C after at
// least d.
func NewTimer(d time.Duration) *Timer {
	t := &Timer{c: make(chan time.Time, 1)}
	t.Reset(d)
	return t
}

// C is the channel on which the time is sent when the Timer fires.
func (t *Timer) C() <-chan time.Time { return t.c }

// Stop prevents the Timer from firing. It returns true if the call stops
// the timer, false if it had already fired (and its value was received)
// or been stopped. After Stop returns, C yields nothing until a Reset.
func (t *Timer) Stop() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.changes.Add(1)
	pending := t.w != nil
	if pending {
		t.w.interrupt() // its goroutine sees w changed and sends nothing
		t.w = nil
	}
	return t.drain() || pending
}

// Reset makes the Timer fire after at least d, dropping a value not yet
// received. It returns what Stop would have.
func (t *Timer) Reset(d time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.changes.Add(1)
	t.deadline = time.Now().Add(d)
	pending := t.drain() || t.w != nil
	if t.w != nil {
		t.w.arm(t.deadline.Add(-t.spin)) // the goroutine waits on, for the new deadline
		return pending
	}
	w := get()
	t.w = w
	w.arm(t.deadline.Add(-t.spin))
	go t.wait(w)
	return pending
}

// drain empties C; t.mu is held.
func (t *Timer) drain() bool {
	select {
	case <-t.c:
		return true
	default:
		return false
	}
}

// wait sends on C when w's deadline has passed, and ends when it has sent
// or t was stopped.
func (t *Timer) wait(w waiter) {
	for {
		w.wait()
		now := time.Now()
		t.mu.Lock()
		if deadline := t.deadline; t.w == w && now.Before(deadline) && !now.Before(deadline.Add(-t.spin)) {
			// In the spin: without the lock, so that Stop and Reset
			// need not wait for it; either ends it.
			changes := t.changes.Load()
			t.mu.Unlock()
			if end, ok := spin(now, deadline, func() bool { return t.changes.Load() != changes }); ok {
				t.spun.Add(int64(end.Sub(now)))
				now = end
			}
			t.mu.Lock()
		}
		switch {
		case t.w != w: // stopped: w was interrupted, perhaps after it fired
			t.mu.Unlock()
			put(w, true)
			return
		case now.Before(t.deadline):
			// A Reset moved the deadline on, or another goroutine was
			// spinning: sleep the rest.
			at := t.deadline.Add(-t.spin)
			if !now.Before(at) {
				at = t.deadline
			}
			w.arm(at)
			t.mu.Unlock()
		default:
			t.w = nil
			select {
			case t.c <- now:
			default: // cannot happen: Reset and Stop drain C
			}
			t.mu.Unlock()
			put(w, false)
			return
		}
	}
}

// A waiter blocks one goroutine at a time until a deadline.
type waiter interface {
	// arm sets the deadline of the current or next wait, at once if it
	// is past; another goroutine may call it during a wait.
	arm(deadline time.Time)
	// wait returns once the armed deadline has passed, or early with
	// true when interrupted.
	wait() (interrupted bool)
	// interrupt ends the current or next wait early; another goroutine
	// may call it.
	interrupt()
	// rearm undoes interrupt and disarms, so that the waiter can be used
	// again.
	rearm()
	close()
	// name is the mechanism, as Mechanism reports it.
	name() string
}

// idle holds waiters for reuse: creating a timerfd and registering it with
// the netpoller, then closing it, costs more per wait than the pool does
// (BenchmarkWaiterSetup). Beyond its size, concurrent waits make and close
// their own.
var idle = make(chan waiter, 256)

func get() waiter {
	select {
	case w := <-idle:
		return w
	default:
		return newWaiter()
	}
}

func put(w waiter, interrupted bool) {
	if interrupted {
		w.rearm()
	}
	select {
	case idle <- w:
	default:
		w.close()
	}
}

// Mechanism names how this process waits: "timerfd" on Linux, "go-timer"
// where Go's timers are all there is.
func Mechanism() string {
	w := get()
	defer put(w, false)
	return w.name()
}

// Lateness is how late a run of waits of one duration returned, by
// time.Now: never negative, as no wait returns early.
type Lateness struct {
	Wait time.Duration `json:"wait_ns"`
	N    int           `json:"n"`
	P50  time.Duration `json:"p50_late_ns"`
	P99  time.Duration `json:"p99_late_ns"`
	Max  time.Duration `json:"max_late_ns"`
}

// Measure waits n times for d with wait, one after another, and returns
// how late they returned. Its figures are what the machine did at the
// time, noise included.
func Measure(wait func(time.Duration), d time.Duration, n int) Lateness {
	late := make([]time.Duration, n)
	for i := range late {
		start := time.Now()
		wait(d)
		late[i] = time.Since(start) - d
	}
	return summarize(d, late)
}

// summarize sorts late and takes its percentiles.
func summarize(d time.Duration, late []time.Duration) Lateness {
	slices.Sort(late)
	n := len(late)
	l := Lateness{Wait: d, N: n}
	if n > 0 {
		l.P50, l.P99, l.Max = late[n/2], late[(n*99+99)/100-1], late[n-1]
	}
	return l
}

// Error is how late this package's Sleep returns on this machine: n
// sleeps of d.
func Error(d time.Duration, n int) Lateness { return Measure(Sleep, d, n) }
