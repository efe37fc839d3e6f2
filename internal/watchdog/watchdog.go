// Package watchdog is the conformance suites' guard against a hung
// implementation, in the manner of nettest's timeoutWrapper: a test that
// outlives its limit fails, and what it registered is closed, which
// unblocks a correct implementation and lets the run go on to the next
// test instead of hanging CI. codectest and transporttest both arm it.
package watchdog

import (
	"io"
	"sync"
	"testing"
	"time"
)

// A Watchdog watches one test.
type Watchdog struct {
	mu      sync.Mutex // guards closers and fired
	closers []io.Closer
	fired   bool
}

// Arm starts a watchdog on t: if t is still running after limit, t fails
// with a message naming what, and everything tracked is closed. The
// watchdog is disarmed when t ends.
func Arm(t testing.TB, limit time.Duration, what string) *Watchdog {
	w := new(Watchdog)
	timer := time.AfterFunc(limit, func() {
		t.Errorf("%s: still running after %v; closing what the test started", what, limit)
		w.fire()
	})
	t.Cleanup(func() { timer.Stop() })
	return w
}

// Track has c closed when the watchdog fires; at once if it has fired.
func (w *Watchdog) Track(c io.Closer) {
	w.mu.Lock()
	fired := w.fired
	if !fired {
		w.closers = append(w.closers, c)
	}
	w.mu.Unlock()
	if fired {
		c.Close()
	}
}

// TrackFunc is Track for a function.
func (w *Watchdog) TrackFunc(stop func()) { w.Track(closer(stop)) }

func (w *Watchdog) fire() {
	w.mu.Lock()
	w.fired = true
	closers := w.closers
	w.closers = nil
	w.mu.Unlock()
	for _, c := range closers {
		c.Close()
	}
}

type closer func()

func (f closer) Close() error { f(); return nil }
