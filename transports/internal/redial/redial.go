// Package redial keeps a dialled connection up for the transports whose
// serving half dials out (reverse, duplex): it dials, hands the connection
// over until it is done with, and dials again, backing off while dials fail.
package redial

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"time"

	"github.com/rpcbench/rpcbench/internal/backoff"
)

// Redial backoff is package backoff's (which the harness's pool redials
// with too): the first retry waits about backoff.Min, each failure
// doubles the wait up to backoff.Max, and a connection that served
// something (wrote a byte: a reply, for a serving half) starts over. A
// dial that succeeds but whose connection ends before serving anything (a
// peer that accepts and closes at once, a failed handshake or login)
// counts as a failure, so that such a peer draws a few connections a
// minute, not hundreds. Each wait is varied by ±backoff.Jitter so that
// workers that lost the caller together do not return together.

// Keep dials addr over TCP and passes each connection to use, which
// returns once that connection is done with: true to dial again, false to
// stop. After a connection that served something ends it waits about
// backoff.Min before dialling again; otherwise, the backoff above. It
// returns when ctx ends (which also ends a dial in flight) or when use
// returns false. Every attempt and every failure is reported through
// logf, prefixed with name ("reverse: slot 0"); a nil logf is silent.
func Keep(ctx context.Context, name, addr string, logf func(format string, args ...any), use func(net.Conn) bool) {
	dial := func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}
	KeepDialling(ctx, name, addr, dial, logf, use)
}

// KeepDialling is Keep with dial making each connection (a TLS handshake
// or a login after the TCP dial, say); addr is for the log.
func KeepDialling(ctx context.Context, name, addr string, dial func(context.Context) (net.Conn, error), logf func(format string, args ...any), use func(net.Conn) bool) {
	printf := func(format string, args ...any) {
		if logf != nil {
			logf(format, args...)
		}
	}
	var retry backoff.Backoff
	for attempt := 1; ; attempt++ {
		printf("%s dialling %s (attempt %d)", name, addr, attempt)
		c, err := dial(ctx)
		served := false
		if err == nil {
			sc := &servingConn{Conn: c}
			if !use(sc) {
				return
			}
			served = sc.served.Load()
		} else {
			printf("%s: %v", name, err)
		}
		if served {
			attempt = 0
			retry.Reset()
		}
		t := time.NewTimer(retry.Next())
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
}

// servingConn notes whether a connection wrote anything.
type servingConn struct {
	net.Conn
	served atomic.Bool
}

func (c *servingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if n > 0 && !c.served.Load() {
		c.served.Store(true)
	}
	return n, err
}

// CloseWrite keeps the inner connection's half-close reachable.
func (c *servingConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}
