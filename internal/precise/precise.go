package precise

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Sleep pauses the calling goroutine for at least d. A d of zero or less
// returns at once.
func Sleep(d time.Duration) { SleepUntil(time.Now().Add(d)) }

// SleepUntil pauses the calling goroutine until t. A t already past
// returns at once.
func SleepUntil(t time.Time) {
	w := get()
	put(w, w.until(t))
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
	cut := w.until(t)
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

// A Timer sends the time on its channel once, after a duration, as a
// time.Timer does, but with this package's precision. Make one with
// NewTimer; the zero Timer is not usable. Its methods are safe for
// concurrent use.
//
// As with time.Timer since Go 1.23, no value sent before a Stop or Reset
// is received after it returns. C has a buffer of one. An armed Timer has
// one goroutine waiting on a pooled timerfd; a stopped or fired one has
// none and holds no file descriptor.
type Timer struct {
	c chan time.Time

	mu  sync.Mutex // guards cur and sends on c
	cur waiter     // the armed wait; nil when stopped or fired
}

// NewTimer returns a Timer that sends the current time on C after at
// least d.
func NewTimer(d time.Duration) *Timer {
	t := &Timer{c: make(chan time.Time, 1)}
	t.mu.Lock()
	t.arm(d)
	t.mu.Unlock()
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
	return t.stop()
}

// Reset makes the Timer fire after at least d, dropping a value not yet
// received. It returns what Stop would have.
func (t *Timer) Reset(d time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	pending := t.stop()
	t.arm(d)
	return pending
}

// stop disarms t and drains C; t.mu is held.
func (t *Timer) stop() bool {
	pending := t.cur != nil
	if pending {
		t.cur.interrupt() // its goroutine sees cur changed and sends nothing
		t.cur = nil
	}
	select {
	case <-t.c:
		return true
	default:
		return pending
	}
}

// arm starts the goroutine that fires t after d; t.mu is held and t is
// stopped. The goroutine ends when the wait does, fired or interrupted.
func (t *Timer) arm(d time.Duration) {
	deadline := time.Now().Add(d)
	w := get()
	t.cur = w
	go func() {
		interrupted := w.until(deadline)
		now := time.Now()
		t.mu.Lock()
		stopped := t.cur != w // a Stop interrupted w, perhaps after it fired
		if !stopped {
			t.cur = nil
			select {
			case t.c <- now:
			default: // cannot happen: arm is called with C drained
			}
		}
		t.mu.Unlock()
		put(w, interrupted || stopped) // only now: a Stop may interrupt w until cur changes
	}()
}

// A waiter blocks one goroutine at a time until a deadline.
type waiter interface {
	// until returns at or after deadline by time.Now, or early with
	// true when interrupted.
	until(deadline time.Time) (interrupted bool)
	// interrupt ends the current or next call of until early; another
	// goroutine may call it.
	interrupt()
	// rearm undoes interrupt, so that the waiter can be used again.
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
