// Package tcp is the plain TCP transport, with Nagle's algorithm off on
// both ends.
package tcp

import (
	"context"
	"net"
	"sync"

	"github.com/rpcbench/rpcbench/transports"
)

func init() { transports.Register(Transport{}) }

// Transport is plain TCP: the serving side listens, the calling side dials.
type Transport struct{}

func (Transport) Name() string { return "tcp" }

// Serve listens on cfg.Addr (127.0.0.1:0 when empty).
func (Transport) Serve(ctx context.Context, cfg transports.Config) (net.Listener, error) {
	addr := cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &listener{Listener: l, conns: make(map[net.Conn]struct{})}, nil
}

// Call dials cfg.Addr for each connection.
func (Transport) Call(ctx context.Context, cfg transports.Config) (transports.Caller, error) {
	addr, err := net.ResolveTCPAddr("tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	return &caller{addr: addr}, nil
}

// listener tracks the connections it yields so that Close ends them too.
type listener struct {
	net.Listener
	mu    sync.Mutex // guards conns
	conns map[net.Conn]struct{}
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	c.(*net.TCPConn).SetNoDelay(true)
	l.mu.Lock()
	l.conns[c] = struct{}{}
	l.mu.Unlock()
	return c, nil
}

func (l *listener) Close() error {
	err := l.Listener.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		c.Close()
	}
	return err
}

type caller struct {
	addr *net.TCPAddr
}

func (c *caller) Conn(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.addr.String())
	if err != nil {
		return nil, err
	}
	conn.(*net.TCPConn).SetNoDelay(true)
	return conn, nil
}

func (c *caller) Addr() net.Addr { return c.addr }
func (c *caller) Close() error   { return nil }
