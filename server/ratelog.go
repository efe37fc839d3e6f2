package server

import (
	"fmt"
	"sync"
	"time"
)

// A LogLimiter passes log lines on at most once per interval for each
// reason, a reason being the line's format string: a flood of failed
// handshakes or bad frames (one per hostile connection) costs one line a
// second, not one line each. Lines held back are counted, and the count
// follows the last of them in a line of its own once the interval ends:
// "... (and 2999 more like it)".
type LogLimiter struct {
	logf     func(format string, args ...any)
	interval time.Duration

	mu      sync.Mutex // guards reasons and closed
	reasons map[string]*reason
	closed  bool
}

type reason struct {
	last    time.Time   // when a line of this reason was last passed on
	held    int         // lines held back since
	lastMsg string      // the last of them, formatted
	timer   *time.Timer // reports the held lines at the end of the interval
}

// NewLogLimiter passes lines to logf, each reason at most once per
// interval.
func NewLogLimiter(logf func(format string, args ...any), interval time.Duration) *LogLimiter {
	return &LogLimiter{logf: logf, interval: interval, reasons: make(map[string]*reason)}
}

// Logf logs a line, or counts it when its reason logged one less than an
// interval ago.
func (l *LogLimiter) Logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	now := time.Now()
	r := l.reasons[format]
	if r == nil {
		r = new(reason)
		l.reasons[format] = r
	}
	if now.Sub(r.last) >= l.interval && r.held == 0 {
		r.last = now
		l.logf(format, args...)
		return
	}
	r.held++
	r.lastMsg = fmt.Sprintf(format, args...)
	if r.timer == nil {
		r.timer = time.AfterFunc(r.last.Add(l.interval).Sub(now), func() { l.flush(r) })
	}
}

// flush reports r's held lines.
func (l *LogLimiter) flush(r *reason) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r.timer = nil
	if l.closed || r.held == 0 {
		return
	}
	l.report(r)
	r.last = time.Now()
}

// report logs r's held lines; l.mu is held.
func (l *LogLimiter) report(r *reason) {
	if r.held == 1 {
		l.logf("%s", r.lastMsg)
	} else {
		l.logf("%s (and %d more like it)", r.lastMsg, r.held-1)
	}
	r.held = 0
}

// Close reports every count still held, stops the timers, and drops
// later lines.
func (l *LogLimiter) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	l.closed = true
	for _, r := range l.reasons {
		if r.timer != nil {
			r.timer.Stop()
			r.timer = nil
		}
		if r.held > 0 {
			l.report(r)
		}
	}
}
