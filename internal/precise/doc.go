// Package precise waits for a duration or until an instant without coming
// back late by the millisecond that Go's own timers add on Linux.
//
// When a Go process is idle its runtime waits in epoll_wait, whose timeout
// is whole milliseconds, so time.Sleep(10µs) and a 100µs time.Timer return
// about a millisecond late (golang/go#44343). A benchmark that schedules,
// delays or emulates with them measures its own timer. On Linux this
// package arms a timerfd (CLOCK_MONOTONIC) for the deadline and reads it
// through Go's netpoller, an os.File over the non-blocking fd: the
// goroutine parks like one reading a socket, with no spinning and no locked
// thread, and wakes tens of microseconds after the deadline. A caller that
// must be on time to the microsecond can ask for the last of a wait to be
// spun instead (SpinUntilContext, Timer.SetSpin), and count what it spun. Elsewhere it
// falls back to Go's timers; Mechanism and Error say which is in use and
// how late it is on this machine.
//
// A wait never returns before its deadline by time.Now. Sleep and Timer
// take their timerfds from a small pool, so a wait costs no file
// descriptor of its own.
package precise
