// Package pipe is the in-memory transport: both halves live in one process
// and meet by name, so a run measures the codec and net/rpc without the
// kernel. It cannot reach another process.
package pipe

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"

	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/internal/connset"
)

func init() { transports.MustRegister(Transport{}) }

// Transport connects the halves with an in-memory buffered pipe.
// Config.Addr is a name the serving half registers in a table of this
// process and the calling half looks up; empty means a fresh name
// ("pipe-1", "pipe-2", ...). Connections support deadlines and CloseWrite.
type Transport struct{}

func (Transport) Name() string { return "pipe" }

// InProcessOnly: a pipe's two ends are in one process (transports.InProcess).
func (Transport) InProcessOnly() {}

// listeners is the process-wide table the halves meet through.
var listeners = struct {
	sync.Mutex // guards byName and last
	byName     map[string]*listener
	last       int
}{byName: make(map[string]*listener)}

// Serve registers a listener called cfg.Addr, or a fresh name when it is
// empty. A name already serving is an error.
func (Transport) Serve(ctx context.Context, cfg transports.Config) (net.Listener, error) {
	listeners.Lock()
	defer listeners.Unlock()
	name := cfg.Addr
	if name == "" {
		listeners.last++
		name = "pipe-" + strconv.Itoa(listeners.last)
	}
	if _, ok := listeners.byName[name]; ok {
		return nil, fmt.Errorf("pipe: a listener called %q is already serving in this process", name)
	}
	l := &listener{
		addr:     addr(name),
		incoming: make(chan net.Conn),
		closed:   make(chan struct{}),
	}
	listeners.byName[name] = l
	return l, nil
}

// Call returns a caller that reaches the listener called cfg.Addr, which
// must be serving in this process when Conn is called.
func (Transport) Call(ctx context.Context, cfg transports.Config) (transports.Caller, error) {
	if cfg.Addr == "" {
		return nil, fmt.Errorf("pipe: no listener name to call (Config.Addr is empty)")
	}
	return &caller{addr: addr(cfg.Addr)}, nil
}

// addr is a pipe listener's name.
type addr string

func (addr) Network() string  { return "pipe" }
func (a addr) String() string { return string(a) }

type listener struct {
	addr     addr
	incoming chan net.Conn // the serving ends of new pipes, handed over by callers
	closed   chan struct{}
	once     sync.Once
	conns    connset.Set
}

func (l *listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.incoming:
		tc, err := l.conns.Add(c)
		if err != nil {
			return nil, err
		}
		return tc, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

// StopAccepting unregisters the name, so that it can serve again, and
// leaves the connections the listener yielded open (transports.Drainer).
func (l *listener) StopAccepting() error {
	l.once.Do(func() {
		listeners.Lock()
		delete(listeners.byName, string(l.addr))
		listeners.Unlock()
		close(l.closed)
	})
	return nil
}

// Close unregisters the name and closes the connections the listener
// yielded.
func (l *listener) Close() error {
	l.StopAccepting()
	l.conns.Close()
	return nil
}

func (l *listener) Addr() net.Addr { return l.addr }

type caller struct {
	addr  addr
	conns connset.Set
}

func (c *caller) Conn(ctx context.Context) (net.Conn, error) {
	// A select picks at random among ready cases, so a cancelled context
	// is checked first: a waiting Accept must not win over it.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	listeners.Lock()
	l := listeners.byName[string(c.addr)]
	listeners.Unlock()
	if l == nil {
		return nil, fmt.Errorf("pipe: no listener called %q in this process (pipe connects halves of one process only)", c.addr)
	}
	client, server := newPipe(c.addr)
	select {
	case l.incoming <- server:
	case <-l.closed:
		client.Close()
		server.Close()
		return nil, fmt.Errorf("pipe: listener %q closed", c.addr)
	case <-ctx.Done():
		client.Close()
		server.Close()
		return nil, ctx.Err()
	}
	tc, err := c.conns.Add(client)
	if err != nil {
		return nil, err
	}
	return tc, nil
}

func (c *caller) Addr() net.Addr { return c.addr }

func (c *caller) Close() error {
	c.conns.Close()
	return nil
}
