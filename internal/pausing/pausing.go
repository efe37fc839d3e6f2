// Package pausing is a connection for tests that sends the first part of
// what it writes and then waits: a request whose body is still arriving
// when something happens to the server (a shutdown, a signal).
package pausing

import (
	"net"
	"sync"
)

// Conn writes the first n bytes written to it, closes Paused, and waits
// for Resume to be closed before writing the rest.
type Conn struct {
	net.Conn
	Paused chan struct{} // closed when the first n bytes are written
	Resume chan struct{} // the test closes it to let the rest go

	n       int
	written int
	once    sync.Once
}

// New pauses c after its first n bytes.
func New(c net.Conn, n int) *Conn {
	return &Conn{Conn: c, n: n, Paused: make(chan struct{}), Resume: make(chan struct{})}
}

func (c *Conn) Write(p []byte) (int, error) {
	if c.written < c.n && c.written+len(p) > c.n {
		k := c.n - c.written
		m, err := c.Conn.Write(p[:k])
		c.written += m
		if err != nil {
			return m, err
		}
		c.once.Do(func() { close(c.Paused) })
		<-c.Resume
		m2, err := c.Conn.Write(p[k:])
		c.written += m2
		return m + m2, err
	}
	m, err := c.Conn.Write(p)
	c.written += m
	return m, err
}
