// Package connset keeps the connections one half of a transport has yielded
// and still holds open, so that closing the half closes them too.
package connset

import (
	"errors"
	"net"
	"sync"
)

// A Set holds the open connections yielded through Add. The zero value is
// an empty, open set.
type Set struct {
	mu     sync.Mutex // guards conns and closed
	conns  map[*Conn]struct{}
	closed bool
}

// Add wraps c so that closing it removes it from s, and adds it. When s is
// already closed, Add closes c and returns net.ErrClosed, so that a
// connection arriving during shutdown is not leaked.
func (s *Set) Add(c net.Conn) (*Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.Close()
		return nil, net.ErrClosed
	}
	if s.conns == nil {
		s.conns = make(map[*Conn]struct{})
	}
	w := &Conn{Conn: c, set: s, done: make(chan struct{})}
	s.conns[w] = struct{}{}
	return w, nil
}

// Close closes every connection in s; connections added later are closed
// at once.
func (s *Set) Close() {
	s.mu.Lock()
	s.closed = true
	conns := s.conns
	s.conns = nil
	s.mu.Unlock()
	// Close outside the lock: Conn.Close takes it to deregister.
	for c := range conns {
		c.Close()
	}
}

// Len reports how many connections s holds open.
func (s *Set) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Conn is a connection held in a Set.
type Conn struct {
	net.Conn
	set  *Set
	once sync.Once
	done chan struct{} // closed by Close
}

// Close closes the connection and removes it from its set.
func (c *Conn) Close() error {
	err := net.ErrClosed
	c.once.Do(func() {
		err = c.Conn.Close()
		c.set.mu.Lock()
		delete(c.set.conns, c)
		c.set.mu.Unlock()
		close(c.done)
	})
	return err
}

// Done is closed once Close has been called.
func (c *Conn) Done() <-chan struct{} { return c.done }

// CloseWrite shuts down the writing side of the connection, where the
// underlying connection can (TCP, Unix, TLS); otherwise it returns
// errors.ErrUnsupported.
func (c *Conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// Listener is a net.Listener whose Close also closes the connections it
// yielded that are still open, as Transport.Serve promises.
type Listener struct {
	net.Listener
	conns Set
}

// NewListener tracks the connections l yields.
func NewListener(l net.Listener) *Listener { return &Listener{Listener: l} }

// Accept returns the inner listener's next connection, tracked.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc, err := l.conns.Add(c)
	if err != nil {
		return nil, err
	}
	return tc, nil
}

// StopAccepting closes the inner listener and leaves the connections it
// yielded open (transports.Drainer): a graceful shutdown closes each once
// its calls are answered, then calls Close for any left.
func (l *Listener) StopAccepting() error {
	err := l.Listener.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil // stopped already
	}
	return err
}

// Close stops the listener, then closes its connections.
func (l *Listener) Close() error {
	err := l.Listener.Close()
	l.conns.Close()
	return err
}
