// Package redial keeps a dialled connection up for the transports whose
// serving half dials out (reverse, duplex): it dials, hands the connection
// over until it is done with, and dials again, backing off while dials fail.
package redial

import (
	"context"
	"math/rand/v2"
	"net"
	"time"
)

// Redial backoff: the first retry waits about MinBackoff, each failure
// doubles the wait up to MaxBackoff, and a successful dial starts over.
// Each wait is varied by ±Jitter so that workers that lost the caller
// together do not return together.
const (
	MinBackoff = 50 * time.Millisecond
	MaxBackoff = 5 * time.Second
	Jitter     = 0.2
)

// Keep dials addr over TCP and passes each connection to use, which
// returns once that connection is done with: true to dial again, false to
// stop. After a connection ends it waits about MinBackoff before dialling
// again; after a failed dial, the backoff above. It returns when ctx ends
// (which also ends a dial in flight) or when use returns false. Every
// attempt and every failure is reported through logf, prefixed with name
// ("reverse: slot 0"); a nil logf is silent.
func Keep(ctx context.Context, name, addr string, logf func(format string, args ...any), use func(net.Conn) bool) {
	printf := func(format string, args ...any) {
		if logf != nil {
			logf(format, args...)
		}
	}
	backoff := MinBackoff
	for attempt := 1; ; attempt++ {
		printf("%s dialling %s (attempt %d)", name, addr, attempt)
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			attempt, backoff = 0, MinBackoff
			if !use(c) {
				return
			}
		} else {
			printf("%s: %v", name, err)
		}
		wait := Vary(backoff)
		if err != nil {
			backoff = Next(backoff)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
}

// Next is the wait after one more failed dial than d's.
func Next(d time.Duration) time.Duration { return min(2*d, MaxBackoff) }

// Vary spreads d by ±Jitter.
func Vary(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (1 - Jitter + 2*Jitter*rand.Float64()))
}
