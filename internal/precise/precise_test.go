package precise

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A *Timer is what the harness's Clock hands out (harness.Timer).
var _ interface {
	C() <-chan time.Time
	Stop() bool
	Reset(time.Duration) bool
} = (*Timer)(nil)

// Durations from below the runtime's millisecond to above it.
var durations = []time.Duration{0, time.Microsecond, 10 * time.Microsecond, 100 * time.Microsecond, time.Millisecond, 3 * time.Millisecond}

// notEarly fails t if less than d has passed since start.
func notEarly(t *testing.T, what string, start time.Time, d time.Duration) {
	t.Helper()
	if got := time.Since(start); got < d {
		t.Errorf("%s returned after %v, before %v", what, got, d)
	}
}

func TestWaitsNeverReturnEarly(t *testing.T) {
	for _, d := range durations {
		t.Run(d.String(), func(t *testing.T) {
			for range 5 {
				start := time.Now()
				Sleep(d)
				notEarly(t, "Sleep", start, d)

				start = time.Now()
				SleepUntil(start.Add(d))
				notEarly(t, "SleepUntil", start, d)

				start = time.Now()
				if err := SleepContext(context.Background(), d); err != nil {
					t.Fatal(err)
				}
				notEarly(t, "SleepContext", start, d)

				ctx, cancel := context.WithCancel(context.Background())
				start = time.Now()
				err := SleepContext(ctx, d)
				cancel()
				if err != nil {
					t.Fatal(err)
				}
				notEarly(t, "SleepContext with a live context", start, d)

				start = time.Now()
				tm := NewTimer(d)
				fired := <-tm.C()
				notEarly(t, "Timer", start, d)
				if fired.Sub(start) < d {
					t.Errorf("Timer sent %v, %v after it was made, before %v", fired, fired.Sub(start), d)
				}
			}
		})
	}
}

func TestSleepUntilThePastReturnsAtOnce(t *testing.T) {
	SleepUntil(time.Now().Add(-time.Hour))
	if err := SleepUntilContext(context.Background(), time.Time{}); err != nil {
		t.Fatal(err)
	}
}

func TestSleepContextEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := SleepContext(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled context: got %v, want %v", err, context.Canceled)
	}

	ctx, cancel = context.WithCancel(context.Background())
	go func() {
		Sleep(time.Millisecond)
		cancel()
	}()
	if err := SleepContext(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("a context cancelled during the wait: got %v, want %v", err, context.Canceled)
	}

	ctx, cancel = context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if err := SleepContext(ctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a context past its deadline: got %v, want %v", err, context.DeadlineExceeded)
	}
	// The interrupted waiters went back to the pool: they must wait in full.
	for range 2 * cap(idle) {
		start := time.Now()
		Sleep(10 * time.Microsecond)
		notEarly(t, "Sleep after interrupted waits", start, 10*time.Microsecond)
	}
}

func TestTimerStopPreventsFiring(t *testing.T) {
	tm := NewTimer(5 * time.Millisecond)
	if !tm.Stop() {
		t.Error("Stop of an armed timer returned false")
	}
	if tm.Stop() {
		t.Error("a second Stop returned true")
	}
	Sleep(20 * time.Millisecond)
	select {
	case v := <-tm.C():
		t.Fatalf("a stopped timer sent %v", v)
	default:
	}
}

func TestTimerStopAfterFiring(t *testing.T) {
	tm := NewTimer(0)
	<-tm.C()
	if tm.Stop() {
		t.Error("Stop after the value was received returned true")
	}

	tm = NewTimer(0)
	for len(tm.C()) == 0 {
		Sleep(100 * time.Microsecond)
	}
	if !tm.Stop() {
		t.Error("Stop with the value not yet received returned false, as time.Timer's would not")
	}
	if len(tm.C()) != 0 {
		t.Error("Stop left a stale value in C")
	}
}

func TestTimerReset(t *testing.T) {
	t.Run("reschedules an armed timer", func(t *testing.T) {
		tm := NewTimer(time.Hour)
		start := time.Now()
		if !tm.Reset(time.Millisecond) {
			t.Error("Reset of an armed timer returned false")
		}
		<-tm.C()
		notEarly(t, "Timer after Reset", start, time.Millisecond)
	})
	t.Run("moves an armed timer's deadline later", func(t *testing.T) {
		tm := NewTimer(100 * time.Microsecond)
		start := time.Now()
		if !tm.Reset(5 * time.Millisecond) {
			t.Error("Reset of an armed timer returned false")
		}
		<-tm.C()
		notEarly(t, "Timer after Reset", start, 5*time.Millisecond)
	})
	t.Run("rearms a fired timer", func(t *testing.T) {
		tm := NewTimer(0)
		<-tm.C()
		start := time.Now()
		if tm.Reset(100 * time.Microsecond) {
			t.Error("Reset of a fired, received timer returned true")
		}
		<-tm.C()
		notEarly(t, "Timer after Reset", start, 100*time.Microsecond)
	})
	t.Run("drops a value not received", func(t *testing.T) {
		tm := NewTimer(0)
		for len(tm.C()) == 0 {
			Sleep(100 * time.Microsecond)
		}
		if !tm.Reset(time.Hour) {
			t.Error("Reset with the value not yet received returned false")
		}
		select {
		case v := <-tm.C():
			t.Errorf("after Reset, C gave the stale value %v", v)
		default:
		}
		tm.Stop()
	})
}

// Stops and resets racing timers that fire must leave no waiter in the
// pool that returns early, and no goroutine behind (TestMain).
func TestTimersRacingStopAndFire(t *testing.T) {
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			tm := NewTimer(0)
			for range 200 {
				d := time.Duration(rand.IntN(30)) * time.Microsecond
				if rand.IntN(2) == 0 {
					tm.Stop()
					Sleep(d)
				}
				tm.Reset(d)
			}
			tm.Stop()
		})
	}
	wg.Wait()
	for range 2 * cap(idle) {
		start := time.Now()
		Sleep(10 * time.Microsecond)
		notEarly(t, "Sleep after racing timers", start, 10*time.Microsecond)
	}
}

func TestMechanism(t *testing.T) {
	if m := Mechanism(); m != "timerfd" && m != "go-timer" {
		t.Errorf("Mechanism() = %q", m)
	}
	l := Error(10*time.Microsecond, 10)
	if l.N != 10 || l.Wait != 10*time.Microsecond || l.P50 < 0 || l.P50 > l.P99 || l.P99 > l.Max {
		t.Errorf("Error(10µs, 10) = %+v", l)
	}
}

func TestSummarize(t *testing.T) {
	late := make([]time.Duration, 100)
	for i := range late {
		late[i] = time.Duration(100 - i) // reversed: summarize sorts
	}
	got := summarize(time.Millisecond, late)
	want := Lateness{Wait: time.Millisecond, N: 100, P50: 51, P99: 99, Max: 100}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got := summarize(0, nil); got != (Lateness{}) {
		t.Errorf("no samples: got %+v", got)
	}
}

func TestSpinUntilEndsAtItsDeadline(t *testing.T) {
	deadline := time.Now().Add(2 * time.Millisecond)
	spun, err := SpinUntilContext(context.Background(), deadline, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if now.Before(deadline) {
		t.Fatalf("returned %v before its deadline", deadline.Sub(now))
	}
	// It slept until a millisecond before the deadline at the earliest,
	// so it cannot have spun longer than since then.
	if most := now.Sub(deadline.Add(-time.Millisecond)); spun < 0 || spun > most {
		t.Errorf("spun %v, more than the %v since its sleep could end", spun, most)
	}
}

func TestSpinUntilSpinsOneAtATime(t *testing.T) {
	spinning.Store(true) // as if another goroutine spun
	defer spinning.Store(false)
	deadline := time.Now().Add(time.Millisecond)
	spun, err := SpinUntilContext(context.Background(), deadline, time.Millisecond)
	if err != nil || spun != 0 {
		t.Fatalf("with another goroutine spinning: spun %v, err %v; want it to sleep, spinning 0", spun, err)
	}
	if time.Now().Before(deadline) {
		t.Fatal("returned before its deadline")
	}
}

func TestSpinUntilEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := SpinUntilContext(ctx, time.Now().Add(time.Hour), time.Millisecond); err != context.Canceled {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}

func TestASpinningTimerFiresAtItsDeadline(t *testing.T) {
	tm := NewTimer(time.Hour)
	tm.SetSpin(time.Millisecond)
	for range 5 {
		before := tm.Spun()
		start := time.Now()
		tm.Reset(2 * time.Millisecond)
		fired := <-tm.C()
		if d := fired.Sub(start); d < 2*time.Millisecond {
			t.Fatalf("fired after %v, before its 2ms", d)
		}
		// It spins from no earlier than the margin before its deadline
		// until it fires, the time it sends. How long that is depends on
		// the machine (a spinning goroutine preempted on a loaded one
		// spins on once it runs again), but never before the margin.
		if spun, most := tm.Spun()-before, fired.Sub(start)-time.Millisecond; spun < 0 || spun > most {
			t.Fatalf("spun %v in a wait that fired %v after it was set: it spun before the last 1ms", spun, fired.Sub(start))
		}
	}
	tm.Stop()
}

func TestASpinningTimerStopsAndMovesInItsSpin(t *testing.T) {
	tm := NewTimer(time.Hour)
	tm.SetSpin(time.Hour) // every wait is all spin
	tm.Reset(50 * time.Millisecond)
	tm.Reset(time.Hour) // moved on while spinning: it must not fire at 50ms
	select {
	case <-tm.C():
		t.Fatal("fired at its old deadline after a Reset moved it")
	case <-time.After(100 * time.Millisecond): // sleeps on purpose: the old deadline passes
	}
	if !tm.Stop() {
		t.Error("Stop of an armed timer returned false")
	}
}
