//go:build !precise_gotimer

package precise

import (
	"errors"
	"os"
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
	f   *os.File
	fd  int // f's, for timerfd_settime
	buf [8]byte
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

// until arms the timer relative to now: CLOCK_MONOTONIC is the clock Go's
// time.Now measures durations with, so the expiry is no earlier than the
// deadline. The loop is the guarantee all the same.
func (t *timerfd) until(deadline time.Time) bool {
	for d := time.Until(deadline); d > 0; d = time.Until(deadline) {
		spec := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(d))}
		err := unix.TimerfdSettime(t.fd, 0, &spec, nil)
		if err == nil {
			_, err = t.f.Read(t.buf[:])
		}
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			return true
		case err != nil:
			// Only a bug (a closed fd) gets here; finish the wait
			// late rather than early or never.
			time.Sleep(time.Until(deadline))
			return false
		}
	}
	return false
}

// interrupt sets a deadline already past, which wakes the read through
// the netpoller, or makes the next one return at once.
func (t *timerfd) interrupt() { t.f.SetReadDeadline(time.Unix(1, 0)) }

// rearm clears the deadline and disarms the timer; arming again resets the
// expiry count, so an expiry left unread is never taken for the next one.
func (t *timerfd) rearm() {
	t.f.SetReadDeadline(time.Time{})
	unix.TimerfdSettime(t.fd, 0, &unix.ItimerSpec{}, nil)
}

func (t *timerfd) close()       { t.f.Close() }
func (t *timerfd) name() string { return "timerfd" }
