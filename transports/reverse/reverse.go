// Package reverse is the transport for a worker behind NAT: the serving
// side dials out to the calling side and serves calls over the connection
// it made, redialling whenever that connection ends.
package reverse

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/internal/connset"
	"github.com/rpcbench/rpcbench/transports/internal/redial"
	"github.com/rpcbench/rpcbench/transports/tcp"
)

func init() { transports.MustRegister(Transport{}) }

// Transport is reverse TCP: the serving half dials cfg.Addr and keeps
// cfg.Conns connections there; the calling half listens on cfg.Addr.
//
// Nothing but the codec's bytes crosses a connection, so the calling half
// can be any net/rpc client over an accepted connection (net.Listen, then
// rpc.NewClient(conn)), and the serving half any server of a dialled one.
//
// The calling half's Conn yields each connection that arrived exactly
// once, oldest first, and waits for a new one when none is left: a
// connection carries one codec stream, so it cannot be handed to two
// clients. A harness that wants K connections from W workers runs the
// workers with Conns so that their sum reaches K (ceil(K/W) each), or
// spreads its callers over the connections it got by a deadline.
type Transport struct{}

func (Transport) Name() string { return "reverse" }

// Reversed reports that the serving half dials and the calling half
// listens.
func (Transport) Reversed() bool { return true }

// Serve dials cfg.Addr cfg.Conns times (once when 0) and yields each
// connection through Accept. When a yielded connection is closed, or a
// dial fails, its slot dials again after a backoff, until the listener is
// closed. Each attempt is reported through cfg.Logf.
func (Transport) Serve(ctx context.Context, cfg transports.Config) (net.Listener, error) {
	if cfg.Addr == "" {
		return nil, errors.New("reverse: no address to dial (Config.Addr is empty); the serving half dials the calling half's listener")
	}
	addr, err := net.ResolveTCPAddr("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("reverse: %w", err)
	}
	l := &listener{
		addr:   addr,
		cfg:    cfg,
		ready:  make(chan net.Conn),
		closed: make(chan struct{}),
	}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	for slot := range max(cfg.Conns, 1) {
		l.wg.Add(1)
		go l.keepDialled(slot)
	}
	return l, nil
}

type listener struct {
	addr   *net.TCPAddr
	cfg    transports.Config
	ready  chan net.Conn // dialled connections waiting for Accept
	closed chan struct{}
	ctx    context.Context // ends dials in flight and backoffs when the listener closes
	cancel context.CancelFunc
	once   sync.Once
	wg     sync.WaitGroup // the dialling slots
	conns  connset.Set
}

// keepDialled keeps one connection to the calling half open: it dials,
// hands the connection to Accept, waits for it to be closed, and dials
// again, with redial's backoff.
func (l *listener) keepDialled(slot int) {
	defer l.wg.Done()
	redial.Keep(l.ctx, fmt.Sprintf("reverse: slot %d", slot), l.addr.String(), l.cfg.Logf, l.serve)
}

// serve hands c to Accept and waits until it is closed; false means the
// listener closed instead.
func (l *listener) serve(c net.Conn) bool {
	tc, err := l.conns.Add(c)
	if err != nil {
		return false
	}
	select {
	case l.ready <- tc:
	case <-l.closed:
		tc.Close()
		return false
	}
	select {
	case <-tc.Done():
		return true
	case <-l.closed:
		return false // Close closes tc
	}
}

// Accept returns the next dialled connection.
func (l *listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

// Close stops dialling and closes the connections the listener yielded.
func (l *listener) Close() error {
	err := net.ErrClosed
	l.once.Do(func() {
		close(l.closed)
		l.cancel()
		l.conns.Close()
		l.wg.Wait()
		err = nil
	})
	return err
}

// Addr is the calling half's address, which the listener dials.
func (l *listener) Addr() net.Addr { return l.addr }

// Call listens on cfg.Addr (127.0.0.1:0 when empty) for serving halves to
// dial in.
func (Transport) Call(ctx context.Context, cfg transports.Config) (transports.Caller, error) {
	ln, err := tcp.Listen(ctx, cfg.Addr)
	if err != nil {
		return nil, err
	}
	c := &caller{ln: ln, arrived: make(chan struct{}, 1), closed: make(chan struct{})}
	c.wg.Add(1)
	go c.acceptLoop()
	return c, nil
}

type caller struct {
	ln      net.Listener
	mu      sync.Mutex // guards queue
	queue   []net.Conn // arrived, not yet yielded
	arrived chan struct{}
	closed  chan struct{}
	once    sync.Once
	wg      sync.WaitGroup // the accept loop
	conns   connset.Set    // queued and yielded
}

func (c *caller) acceptLoop() {
	defer c.wg.Done()
	for {
		conn, err := c.ln.Accept()
		if err != nil {
			return
		}
		tc, err := c.conns.Add(conn)
		if err != nil {
			return
		}
		c.mu.Lock()
		c.queue = append(c.queue, tc)
		c.mu.Unlock()
		select {
		case c.arrived <- struct{}{}:
		default:
		}
	}
}

// Conn returns the oldest connection that arrived and was not yet
// yielded, waiting for one when there is none. A connection whose worker
// went away while it waited is yielded all the same; its first call fails.
func (c *caller) Conn(ctx context.Context) (net.Conn, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		select {
		case <-c.closed:
			return nil, net.ErrClosed
		default:
		}
		c.mu.Lock()
		if len(c.queue) > 0 {
			conn := c.queue[0]
			c.queue = c.queue[1:]
			more := len(c.queue) > 0
			c.mu.Unlock()
			if more {
				select { // for another waiting Conn
				case c.arrived <- struct{}{}:
				default:
				}
			}
			return conn, nil
		}
		c.mu.Unlock()
		select {
		case <-c.arrived:
		case <-c.closed:
			return nil, net.ErrClosed
		case <-ctx.Done():
			return nil, fmt.Errorf("reverse: no serving half dialled %s: %w", c.ln.Addr(), ctx.Err())
		}
	}
}

// Addr is the address the calling half listens on.
func (c *caller) Addr() net.Addr { return c.ln.Addr() }

// Close stops listening and closes every connection that arrived.
func (c *caller) Close() error {
	err := net.ErrClosed
	c.once.Do(func() {
		close(c.closed)
		err = c.ln.Close()
		c.wg.Wait()
		c.conns.Close()
	})
	return err
}
