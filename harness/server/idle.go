package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"time"
)

// waitIdle polls n until it is zero or ctx ends. Polling keeps the call path
// free of any signalling: a shutdown is rare, a call is not.
func waitIdle(ctx context.Context, n *atomic.Int64) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for n.Load() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

// activity is what an idle timeout needs to know of a connection's calls.
type activity struct {
	calls    atomic.Int64 // read and not yet answered
	answered atomic.Int64 // answered so far
}

// idleConn ends a connection that sends nothing for timeout, counted from
// the last byte it sent or the last reply it got, whichever came later: a
// caller waiting for its reply is not silent. It sets a read deadline
// before each Read, which costs a clock read and a timer update per Read
// (and countingCodec two atomic adds per call), but no goroutine, timer or
// allocation of its own.
type idleConn struct {
	net.Conn
	timeout time.Duration
	act     *activity
}

func (c *idleConn) Read(p []byte) (int, error) {
	answered := c.act.answered.Load()
	for {
		if err := c.Conn.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
			return 0, err
		}
		n, err := c.Conn.Read(p)
		if n > 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
			return n, err
		}
		// A reply sent during this wait restarts it, which closes the
		// connection between one and two timeouts after that reply.
		if c.act.calls.Load() == 0 && c.act.answered.Load() == answered {
			return 0, fmt.Errorf("silent for %v: %w", c.timeout, err)
		}
		answered = c.act.answered.Load()
	}
}
