// Package tcp is the plain TCP transport, with Nagle's algorithm off on
// both ends.
package tcp

import (
	"context"
	"errors"
	"net"

	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/internal/connset"
)

func init() { transports.MustRegister(Transport{}) }

// Transport is plain TCP: the serving side listens, the calling side dials.
//
// Nagle's algorithm stays off on both ends: Go sets TCP_NODELAY on every
// TCP connection it makes or accepts (see net.TCPConn.SetNoDelay), and the
// tests check that it is still so, since a request that waits for an ACK
// would measure Nagle, not the codec.
type Transport struct{}

func (Transport) Name() string { return "tcp" }

// Serve listens on cfg.Addr (127.0.0.1:0 when empty).
func (Transport) Serve(ctx context.Context, cfg transports.Config) (net.Listener, error) {
	l, err := Listen(ctx, cfg.Addr)
	if err != nil {
		return nil, err
	}
	return connset.NewListener(l), nil
}

// Listen listens for TCP on addr, 127.0.0.1:0 when addr is empty. It is
// for transports that run over TCP (http, tls, reverse).
func Listen(ctx context.Context, addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var lc net.ListenConfig
	return lc.Listen(ctx, "tcp", addr)
}

// Call dials cfg.Addr for each connection.
func (Transport) Call(ctx context.Context, cfg transports.Config) (transports.Caller, error) {
	if cfg.Addr == "" {
		return nil, errors.New("tcp: no address to dial (Config.Addr is empty)")
	}
	addr, err := net.ResolveTCPAddr("tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	return &caller{addr: addr}, nil
}

type caller struct {
	addr  *net.TCPAddr
	conns connset.Set
}

func (c *caller) Conn(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.addr.String())
	if err != nil {
		return nil, err
	}
	tc, err := c.conns.Add(conn)
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
