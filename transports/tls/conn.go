package tls

import (
	stdtls "crypto/tls"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

// conn keeps write deadlines above crypto/tls, whose connection is corrupt
// for good once a Write times out inside it (tls.Conn.SetWriteDeadline
// says so; nettest.TestConn, run by transporttest, wrote on after a
// timeout and got "bad record MAC"). A Write with no deadline is the
// tls.Conn's own, so calls cost what they did. A Write under a deadline
// runs in a goroutine of the conn's and stops waiting when the deadline
// passes; the record then finishes in the background, as a socket's send
// buffer would take it, and the next Write waits for it first. Close ends
// a write left running and waits for it.
type conn struct {
	*stdtls.Conn

	wmu sync.Mutex // held by one Write at a time

	mu       sync.Mutex     // guards the fields below
	deadline time.Time      // the write deadline
	direct   bool           // a Write without deadline is inside the tls.Conn
	pending  chan writeDone // the result of a Write that timed out and still runs; nil if none
	closed   bool

	changed chan struct{} // the deadline changed, or the conn closed (capacity 1)
	quit    chan struct{} // closed by Close
}

type writeDone struct {
	n   int
	err error
}

func newConn(c *stdtls.Conn) *conn {
	return &conn{Conn: c, changed: make(chan struct{}, 1), quit: make(chan struct{})}
}

func (c *conn) timeout() error {
	return &net.OpError{Op: "write", Net: "tls", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: os.ErrDeadlineExceeded}
}

func (c *conn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	pending := c.pending
	c.mu.Unlock()
	if pending != nil {
		r, ok := c.wait(pending)
		if !ok {
			return 0, c.waitError()
		}
		c.mu.Lock()
		c.pending = nil
		c.mu.Unlock()
		if r.err != nil {
			return 0, r.err
		}
	}
	c.mu.Lock()
	deadline := c.deadline
	if deadline.IsZero() {
		c.direct = true
		c.mu.Unlock()
		n, err := c.Conn.Write(p)
		c.mu.Lock()
		c.direct = false
		reset := !c.deadline.IsZero() // SetWriteDeadline passed it down meanwhile
		c.mu.Unlock()
		if reset {
			c.Conn.SetWriteDeadline(time.Time{}) // deadlines live above the tls.Conn
		}
		return n, err
	}
	c.mu.Unlock()
	if !time.Now().Before(deadline) {
		return 0, c.timeout()
	}
	done := make(chan writeDone, 1)
	buf := append([]byte(nil), p...) // the write may outlive this call
	go func() {
		n, err := c.Conn.Write(buf)
		done <- writeDone{n, err}
	}()
	r, ok := c.wait(done)
	if !ok {
		c.mu.Lock()
		closed := c.closed
		if !closed {
			c.pending = done // Close, or the next Write, waits for it
		}
		c.mu.Unlock()
		if closed {
			<-done // the tls.Conn is closed: the write ends at once
		}
		return 0, c.waitError()
	}
	return r.n, r.err
}

// waitError is why wait gave up: the conn closed, or the deadline passed.
func (c *conn) waitError() error {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return &net.OpError{Op: "write", Net: "tls", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: net.ErrClosed}
	}
	return c.timeout()
}

// wait waits for a write's result until the write deadline passes (as it
// stands, however often it changes) or the conn closes.
func (c *conn) wait(done <-chan writeDone) (writeDone, bool) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		c.mu.Lock()
		deadline := c.deadline
		c.mu.Unlock()
		var expired <-chan time.Time
		if !deadline.IsZero() {
			if !time.Now().Before(deadline) {
				select {
				case r := <-done:
					return r, true
				default:
					return writeDone{}, false
				}
			}
			timer.Reset(time.Until(deadline))
			expired = timer.C
		}
		select {
		case r := <-done:
			return r, true
		case <-expired:
		case <-c.changed:
		case <-c.quit:
			return writeDone{}, false
		}
	}
}

func (c *conn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// SetWriteDeadline sets the deadline Write honours above the tls.Conn. A
// Write already inside the tls.Conn without a deadline can only be stopped
// there: it gets the deadline too, and if it times out the connection is
// done for, as crypto/tls has it.
func (c *conn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	direct := c.direct
	c.mu.Unlock()
	select {
	case c.changed <- struct{}{}:
	default:
	}
	if direct || t.IsZero() {
		// Clearing is always safe, and clears a deadline set on the
		// connection beneath before it was wrapped (the handshake's).
		return c.Conn.SetWriteDeadline(t)
	}
	return nil
}

// Close closes the tls.Conn, which ends a write left running, and waits
// for that write's goroutine.
func (c *conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return net.ErrClosed
	}
	c.closed = true
	pending := c.pending
	c.mu.Unlock()
	close(c.quit)
	err := c.Conn.Close()
	if err != nil && strings.Contains(err.Error(), "but connection was closed anyway") {
		// crypto/tls closed the connection but could not send its
		// close_notify (the peer had gone, or a slow emulated link
		// was still flushing). A socket's close does not report bytes
		// it could not deliver either, and the caller has nothing left
		// to do: the connection is closed.
		err = nil
	}
	if pending != nil {
		<-pending
	}
	return err
}
