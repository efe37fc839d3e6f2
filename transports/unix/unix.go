// Package unix is the Unix domain socket transport: the serving side
// listens on a socket file, the calling side dials it.
package unix

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/internal/connset"
)

func init() { transports.MustRegister(Transport{}) }

// Transport is a Unix domain stream socket. Config.Addr is the socket's
// path; the serving half makes a fresh one in os.TempDir when it is empty,
// and removes the socket file when its listener closes.
type Transport struct{}

func (Transport) Name() string { return "unix" }

// Serve listens on the socket path cfg.Addr, or on a new path in the
// temporary directory when it is empty.
func (Transport) Serve(ctx context.Context, cfg transports.Config) (net.Listener, error) {
	path := cfg.Addr
	if path == "" {
		path = filepath.Join(os.TempDir(), fmt.Sprintf("rpcbench-%d-%s.sock", os.Getpid(), rand.Text()[:8]))
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	// A listener made by Listen unlinks its socket file on Close; say so
	// here because rpcbench relies on it.
	l.(*net.UnixListener).SetUnlinkOnClose(true)
	return connset.NewListener(l), nil
}

// Call dials the socket path cfg.Addr for each connection.
func (Transport) Call(ctx context.Context, cfg transports.Config) (transports.Caller, error) {
	if cfg.Addr == "" {
		return nil, errors.New("unix: no socket path to dial (Config.Addr is empty)")
	}
	return &caller{addr: &net.UnixAddr{Name: cfg.Addr, Net: "unix"}}, nil
}

type caller struct {
	addr  *net.UnixAddr
	conns connset.Set
}

func (c *caller) Conn(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", c.addr.Name)
	if err != nil {
		return nil, err
	}
	uc, err := c.conns.Add(conn)
	if err != nil {
		return nil, err
	}
	return uc, nil
}

func (c *caller) Addr() net.Addr { return c.addr }

func (c *caller) Close() error {
	c.conns.Close()
	return nil
}
