// Package reverse is the transport for a worker behind NAT: the serving
// side dials out to the calling side and serves calls over the connection
// it made, redialling whenever that connection ends.
package reverse

import (
	"context"
	stdtls "crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/rpcbench/rpcbench/internal/backoff"
	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/internal/connset"
	"github.com/rpcbench/rpcbench/transports/internal/handshake"
	"github.com/rpcbench/rpcbench/transports/internal/login"
	"github.com/rpcbench/rpcbench/transports/internal/redial"
	"github.com/rpcbench/rpcbench/transports/tcp"
	rtls "github.com/rpcbench/rpcbench/transports/tls"
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
// connection through Accept, after a TLS handshake as the client when
// cfg.TLS, and after proving cfg.Token when it is set (see
// transports.Config). When a yielded connection is closed, or a
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
		addr:    addr,
		cfg:     cfg,
		ready:   make(chan net.Conn),
		closed:  make(chan struct{}),
		stopped: make(chan struct{}),
	}
	if cfg.TLS {
		if l.tls, err = rtls.ClientConfig(cfg); err != nil {
			return nil, fmt.Errorf("reverse: %w", err)
		}
	}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	for slot := range max(cfg.Conns, 1) {
		l.wg.Add(1)
		go l.keepDialled(slot)
	}
	return l, nil
}

type listener struct {
	addr    *net.TCPAddr
	cfg     transports.Config
	tls     *stdtls.Config // nil without cfg.TLS
	ready   chan net.Conn  // dialled connections waiting for Accept
	closed  chan struct{}
	stopped chan struct{}   // closed by StopAccepting, and by Close
	ctx     context.Context // ends dials in flight when the listener stops
	cancel  context.CancelFunc
	once    sync.Once
	stop    sync.Once
	wg      sync.WaitGroup // the dialling slots
	conns   connset.Set
}

// keepDialled keeps one connection to the calling half open: it dials,
// hands the connection to Accept, waits for it to be closed, and dials
// again, with redial's backoff.
func (l *listener) keepDialled(slot int) {
	defer l.wg.Done()
	redial.KeepDialling(l.ctx, fmt.Sprintf("reverse: slot %d", slot), l.addr.String(), l.dial, l.cfg.Logf, l.serve)
}

// dial connects to the calling half and runs the TLS handshake and the
// login the configuration asks for, all within handshake.Timeout.
func (l *listener) dial(ctx context.Context) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, handshake.Timeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", l.addr.String())
	if err != nil {
		return nil, err
	}
	deadline, _ := ctx.Deadline()
	c.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if l.tls != nil {
		tc := stdtls.Client(c, l.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, fmt.Errorf("TLS handshake with %s: %w", l.addr, err)
		}
		c = tc
	}
	if len(l.cfg.Token) > 0 {
		if err := login.Prove(c, l.cfg.Token); err != nil {
			c.Close()
			return nil, fmt.Errorf("proving the token to %s: %w", l.addr, err)
		}
	}
	if !stop() {
		c.Close()
		return nil, ctx.Err()
	}
	c.SetDeadline(time.Time{})
	return c, nil
}

// serve hands c to Accept and waits until it is closed; false means the
// listener stopped instead.
func (l *listener) serve(c net.Conn) bool {
	tc, err := l.conns.Add(c)
	if err != nil {
		return false
	}
	select {
	case l.ready <- tc:
	case <-l.stopped:
		tc.Close()
		return false
	}
	select {
	case <-tc.Done():
		return true
	case <-l.stopped:
		return false // the server closes tc once its calls are answered, or Close does
	}
}

// Accept returns the next dialled connection.
func (l *listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case <-l.stopped:
		return nil, net.ErrClosed
	}
}

// StopAccepting stops dialling and leaves open the connections the
// listener yielded (transports.Drainer).
func (l *listener) StopAccepting() error {
	l.stop.Do(func() {
		close(l.stopped)
		l.cancel()
	})
	l.wg.Wait()
	return nil
}

// Close stops dialling and closes the connections the listener yielded.
func (l *listener) Close() error {
	err := net.ErrClosed
	l.once.Do(func() {
		close(l.closed)
		l.StopAccepting()
		l.conns.Close()
		err = nil
	})
	return err
}

// Addr is the calling half's address, which the listener dials.
func (l *listener) Addr() net.Addr { return l.addr }

// Call listens on cfg.Addr (127.0.0.1:0 when empty) for serving halves to
// dial in. With cfg.TLS it is the TLS server (see transports.Config), and
// with cfg.Token each worker must prove the token; both run off the
// accept path within handshake.Timeout, and a dialler that fails or stays
// silent is dropped, logged (through cfg.Logf), and never yielded.
func (Transport) Call(ctx context.Context, cfg transports.Config) (transports.Caller, error) {
	var conf *stdtls.Config
	if cfg.TLS {
		var fp string
		var err error
		if conf, fp, err = rtls.ServerConfig(cfg); err != nil {
			return nil, fmt.Errorf("reverse: %w", err)
		}
		if cfg.CertFile == "" {
			cfg.Printf("reverse: TLS with a self-signed certificate, SHA-256 fingerprint %s", fp)
		}
	}
	raw, err := tcp.Listen(ctx, cfg.Addr)
	if err != nil {
		return nil, err
	}
	var ln net.Listener = raw
	if conf != nil || len(cfg.Token) > 0 {
		token := cfg.Token
		hs := func(c net.Conn) (net.Conn, error) {
			if conf != nil {
				tc := stdtls.Server(c, conf)
				if err := tc.Handshake(); err != nil {
					return nil, fmt.Errorf("TLS: %w", err)
				}
				c = tc
			}
			if len(token) > 0 {
				if err := login.Challenge(c, token); err != nil {
					return nil, err
				}
			}
			return c, nil
		}
		logf := func(format string, args ...any) { cfg.Printf("reverse: "+format, args...) }
		ln = handshake.NewListener(connset.NewListener(raw), hs, logf)
	}
	return newCaller(ln, cfg.Printf), nil
}

// newCaller accepts workers' connections from ln until Close.
func newCaller(ln net.Listener, logf func(string, ...any)) *caller {
	c := &caller{ln: ln, logf: logf, arrived: make(chan struct{}, 1), closed: make(chan struct{})}
	c.wg.Add(1)
	go c.acceptLoop()
	return c
}

type caller struct {
	ln      net.Listener
	logf    func(string, ...any)
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
	// An error other than a closed listener (running out of file
	// descriptors) passes once connections close: back off, as the
	// server does, rather than spin.
	retry := backoff.Backoff{Min: backoff.AcceptMin, Max: backoff.AcceptMax}
	for {
		conn, err := c.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			if !retry.Failing() {
				c.logf("reverse: accept: %v; retrying from %v, backing off up to %v", err, backoff.AcceptMin, backoff.AcceptMax)
			}
			select {
			case <-time.After(retry.Next()):
				continue
			case <-c.closed:
				return
			}
		}
		retry.Reset()
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
