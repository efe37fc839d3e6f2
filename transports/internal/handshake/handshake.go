// Package handshake runs a per-connection handshake (TLS, network
// emulation) on a listener's connections off the Accept path, so that one
// slow or hostile peer cannot hold up the peers behind it.
package handshake

import (
	"net"
	"sync"
	"time"

	"github.com/rpcbench/rpcbench/transports"
)

// Timeout bounds one handshake. A peer that has not finished by then is
// dropped; a real one on a slow link finishes in a few round trips.
const Timeout = 10 * time.Second

// Func turns a freshly accepted connection into one ready to use, or fails.
type Func func(net.Conn) (net.Conn, error)

// Listener yields the connections of an inner listener whose handshake
// succeeded.
type Listener struct {
	inner net.Listener
	hs    Func
	logf  func(string, ...any)

	ready   chan net.Conn
	passing chan error // an Accept error that passes by itself (EMFILE), handed on once
	failed  chan error // the inner listener's Accept error that ended the loop
	closed  chan struct{}
	stopped chan struct{} // closed by StopAccepting, and by Close
	once    sync.Once
	stop    sync.Once
	wg      sync.WaitGroup // the accept loop and handshakes in flight
}

// NewListener accepts from inner and runs hs on each connection in a
// goroutine of its own, with Timeout as the connection's deadline; logf
// (which may be nil) hears of each failed handshake. Closing the Listener
// closes inner, which must close the connections it yielded (every
// transport's listener does), so that handshakes in flight end too.
func NewListener(inner net.Listener, hs Func, logf func(string, ...any)) *Listener {
	l := &Listener{
		inner:   inner,
		hs:      hs,
		logf:    logf,
		ready:   make(chan net.Conn),
		passing: make(chan error),
		failed:  make(chan error, 1),
		closed:  make(chan struct{}),
		stopped: make(chan struct{}),
	}
	l.wg.Add(1)
	go l.acceptLoop()
	return l
}

func (l *Listener) acceptLoop() {
	defer l.wg.Done()
	for {
		c, err := l.inner.Accept()
		if transports.Temporary(err) {
			// Hand it to the next Accept, whose caller backs off (running
			// out of file descriptors passes when connections close); the
			// unbuffered hand-over paces this loop to that caller.
			select {
			case l.passing <- err:
				continue
			case <-l.stopped:
				return
			}
		}
		if err != nil {
			l.failed <- err
			return
		}
		l.wg.Add(1)
		go l.handshake(c)
	}
}

func (l *Listener) handshake(c net.Conn) {
	defer l.wg.Done()
	c.SetDeadline(time.Now().Add(Timeout))
	hc, err := l.hs(c)
	if err != nil {
		c.Close()
		select {
		case <-l.stopped: // failures caused by Close are not news
		default:
			if l.logf != nil {
				l.logf("handshake with %s failed: %v", c.RemoteAddr(), err)
			}
		}
		return
	}
	hc.SetDeadline(time.Time{})
	select {
	case l.ready <- hc:
	case <-l.stopped:
		hc.Close()
	}
}

// Accept returns the next connection whose handshake succeeded.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case err := <-l.passing:
		return nil, err
	case err := <-l.failed:
		l.failed <- err // for the next Accept
		return nil, err
	case <-l.stopped:
		return nil, net.ErrClosed
	}
}

// StopAccepting stops the inner listener (transports.Drainer) and drops
// the handshakes in flight, leaving open the connections already yielded.
func (l *Listener) StopAccepting() error {
	var err error
	l.stop.Do(func() {
		close(l.stopped)
		err = transports.StopAccepting(l.inner)
	})
	return err
}

// Close closes the inner listener and its connections and waits for the
// handshakes in flight to end.
func (l *Listener) Close() error {
	err := net.ErrClosed
	l.once.Do(func() {
		l.stop.Do(func() { close(l.stopped) })
		close(l.closed)
		err = l.inner.Close()
		l.wg.Wait()
	})
	return err
}

// Addr is the inner listener's address.
func (l *Listener) Addr() net.Addr { return l.inner.Addr() }

// Unwrap returns the inner listener.
func (l *Listener) Unwrap() net.Listener { return l.inner }
