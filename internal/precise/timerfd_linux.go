//go:build !precise_gotimer

package precise

import (
	"errors"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// newWaiter returns a timerfd, or Go's timer if the process cannot have
// one (out of file descriptors): slower to wake, but never early.
func newWaiter() waiter {
	if t, err := newTimerfd(); err == nil {
		return t
	}
	return newGoTimer()
}

// timerfd is a Linux timer file read through the netpoller, so that a
// waiting goroutine parks like one reading a socket.
type timerfd struct {
	f      *os.File
	fd     int // f's, for timerfd_settime
	buf    [8]byte
	broken atomic.Bool // a system call failed: wait like Go's timers instead
}

func newTimerfd() (*timerfd, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("timerfd_create", err)
	}
	f := os.NewFile(uintptr(fd), "timerfd")
	// A deadline can be set only on a file the netpoller took; without
	// it a read would block a thread and could not be interrupted.
	if err := f.SetReadDeadline(time.Time{}); err != nil {
		f.Close()
		return nil, err
	}
	return &timerfd{f: f, fd: fd}, nil
}

// arm sets the timer relative to now: CLOCK_MONOTONIC is the clock Go's
// time.Now measures durations with, so the expiry is no earlier than the
// deadline. Arming resets the count of expiries not yet read, so one left
// from a former deadline is never taken for this one.
func (t *timerfd) arm(deadline time.Time) {
	// An it_value of zero would disarm the timer: a past deadline is 1ns.
	d := max(time.Until(deadline), time.Nanosecond)
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(d))}
	if err := unix.TimerfdSettime(t.fd, 0, &spec, nil); err != nil {
		t.broken.Store(true)
	}
}

func (t *timerfd) wait() bool {
	if !t.broken.Load() {
		_, err := t.f.Read(t.buf[:])
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return true
		}
		if err == nil {
			return false
		}
		t.broken.Store(true)
	}
	// Only a bug (a closed fd) gets here. The callers check the deadline
	// and wait again: they come back late, never early and never
	// spinning (nor interrupted).
	time.Sleep(time.Millisecond)
	return false
}

// interrupt sets a deadline already past, which wakes the read through
// the netpoller, or makes the next one return at once.
func (t *timerfd) interrupt() { t.f.SetReadDeadline(time.Unix(1, 0)) }

// rearm clears the read deadline and disarms the timer.
func (t *timerfd) rearm() {
	t.f.SetReadDeadline(time.Time{})
	unix.TimerfdSettime(t.fd, 0, &unix.ItimerSpec{}, nil)
}

func (t *timerfd) close()       { t.f.Close() }
func (t *timerfd) name() string { return "timerfd" }
