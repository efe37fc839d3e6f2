package netem

import (
	"net"
	"time"
)

// The waits in this file are deadlines, not measured quantities, so they
// use Go's timers (DESIGN 11 asks precision of the waits that are
// measured, in conn.go).

// waitForSpace waits until size more bytes fit the send buffer (an empty
// buffer takes any packet), failing when the conn closes, delivery stops or
// the write deadline passes.
func (c *conn) waitForSpace(size int) error {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		c.mu.Lock()
		closed, err, deadline := c.closed, c.err, c.deadline
		fits := c.queued == 0 || c.queued+size <= sendBuffer
		c.mu.Unlock()
		switch {
		case closed:
			return &net.OpError{Op: "write", Net: "netem", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: net.ErrClosed}
		case err != nil:
			return err
		case !deadline.IsZero() && !time.Now().Before(deadline):
			return timeoutError("write", c)
		case fits:
			return nil
		}
		var expired <-chan time.Time
		if !deadline.IsZero() {
			if timer == nil {
				timer = time.NewTimer(time.Until(deadline)) // not measured: the connection's deadline
			} else {
				timer.Reset(time.Until(deadline))
			}
			expired = timer.C
		}
		select {
		case <-c.space:
		case <-c.changed:
		case <-expired:
		case <-c.quit:
		}
	}
}
