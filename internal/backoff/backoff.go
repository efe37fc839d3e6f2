// Package backoff paces retries: capped exponential waits with jitter, so
// that a dialler that keeps failing neither spins nor returns in lockstep
// with others that failed at the same moment. The reverse and duplex
// workers' redials, the harness's reconnecting pool and every accept
// loop (the server's, the reverse transport's) use it.
package backoff

import (
	"math/rand/v2"
	"time"
)

// Defaults: the first wait is about Min, each failure doubles it up to
// Max, and each wait is varied by ±Jitter.
const (
	Min    = 50 * time.Millisecond
	Max    = 5 * time.Second
	Jitter = 0.2
)

// Accept loops retry a failing Accept (out of file descriptors: it passes
// once other connections close) from AcceptMin doubling to AcceptMax, as
// net/http's server does.
const (
	AcceptMin = 5 * time.Millisecond
	AcceptMax = time.Second
)

// Backoff is the wait before the next attempt. The zero value uses the
// defaults. It is not safe for concurrent use: each retrying loop owns one.
type Backoff struct {
	Min, Max time.Duration // 0: the defaults
	next     time.Duration
}

// Next returns how long to wait after one more failure, and doubles the
// wait after it up to Max.
func (b *Backoff) Next() time.Duration {
	lo, hi := b.Min, b.Max
	if lo <= 0 {
		lo = Min
	}
	if hi <= 0 {
		hi = Max
	}
	if b.next < lo {
		b.next = lo
	}
	wait := Vary(b.next)
	b.next = min(2*b.next, hi)
	return wait
}

// Reset starts over from Min: after an attempt that really succeeded.
func (b *Backoff) Reset() { b.next = 0 }

// Failing reports whether Next was called since the last Reset: an
// episode of failures is under way (a loop logs its first failure only).
func (b *Backoff) Failing() bool { return b.next != 0 }

// Vary spreads d by ±Jitter.
func Vary(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (1 - Jitter + 2*Jitter*rand.Float64()))
}
