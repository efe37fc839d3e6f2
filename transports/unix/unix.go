// Package unix is the Unix domain socket transport: the serving side
// listens on a socket file, the calling side dials it.
package unix

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

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
// temporary directory when it is empty. The socket file gets
// cfg.SocketMode (0600 when 0) before anyone can connect: it is bound in
// a private directory beside the path, given its mode there, and renamed
// into place. A socket file left at the path by a server that died
// (nothing answers a connection to it) is replaced; a live one is an
// error, and so is a path that is not a socket.
func (Transport) Serve(ctx context.Context, cfg transports.Config) (net.Listener, error) {
	path := cfg.Addr
	if path == "" {
		path = filepath.Join(os.TempDir(), fmt.Sprintf("rpcbench-%d-%s.sock", os.Getpid(), rand.Text()[:8]))
	}
	mode := cfg.SocketMode.Perm()
	if mode == 0 {
		mode = DefaultSocketMode
	}
	if err := removeStale(ctx, path); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(filepath.Dir(path), ".rpcbench-sock-")
	if err != nil {
		return nil, fmt.Errorf("unix: making a private directory beside %s: %w", path, err)
	}
	defer os.RemoveAll(dir)
	private := filepath.Join(dir, "s")
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "unix", private)
	if err != nil {
		return nil, err
	}
	ul := l.(*net.UnixListener)
	// The socket moves; its Close must unlink where it ends up, not where
	// it was bound.
	ul.SetUnlinkOnClose(false)
	if err := os.Chmod(private, mode); err != nil {
		l.Close()
		return nil, fmt.Errorf("unix: setting mode %#o on socket %s: %w", mode, path, err)
	}
	if err := os.Rename(private, path); err != nil {
		l.Close()
		return nil, fmt.Errorf("unix: moving socket into place at %s: %w", path, err)
	}
	return connset.NewListener(&listener{UnixListener: ul, path: path}), nil
}

// DefaultSocketMode is the socket file's mode when Config.SocketMode is
// 0: only the owner may connect.
const DefaultSocketMode os.FileMode = 0o600

// listener unlinks its socket file when it stops listening.
type listener struct {
	*net.UnixListener
	path string
	once sync.Once
}

func (l *listener) Addr() net.Addr { return &net.UnixAddr{Name: l.path, Net: "unix"} }

func (l *listener) Close() error {
	err := l.UnixListener.Close()
	l.once.Do(func() { os.Remove(l.path) })
	return err
}

// removeStale removes a socket file at path that no server listens on
// any more (a server killed by SIGKILL leaves its file), so that a new
// server can take the path; a live socket, or a file that is not a
// socket, is an error. Nothing at path is fine.
func removeStale(ctx context.Context, path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("unix: %w", err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("unix: %s exists and is not a socket (%v); refusing to replace it", path, fi.Mode().Type())
	}
	d := net.Dialer{Timeout: time.Second}
	c, err := d.DialContext(ctx, "unix", path)
	if err == nil {
		c.Close()
		return fmt.Errorf("unix: %s: a live server is listening on this socket", path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("unix: %s: cannot tell whether the socket is stale: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("unix: removing stale socket %s: %w", path, err)
	}
	return nil
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
