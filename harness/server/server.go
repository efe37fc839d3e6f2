// Package server serves the rpcbench service with one codec on the
// connections a transport's serving half yields: every connection
// concurrently, bad connections logged and dropped, and a graceful shutdown
// that lets calls in flight finish.
package server

import (
	"context"
	"errors"
	"io"
	"net"
	"net/rpc"
	"sync"
	"sync/atomic"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/service"
)

// A Server serves calls with one codec. Its zero value is not usable; set
// Codec at least.
type Server struct {
	// Codec decodes requests and encodes replies.
	Codec codecs.Codec
	// RPC dispatches calls; nil means service.NewServer().
	RPC *rpc.Server
	// Logf reports connections that ended on an error; nil means silent.
	Logf func(format string, args ...any)

	inFlight atomic.Int64   // calls read and not yet answered
	wg       sync.WaitGroup // one per served connection

	mu    sync.Mutex // guards l and conns
	l     net.Listener
	conns map[net.Conn]struct{}
}

// Serve serves every connection l yields until l is closed, and then
// returns nil; other Accept errors end it with that error.
func (s *Server) Serve(l net.Listener) error {
	srv := s.RPC
	if srv == nil {
		srv = service.NewServer()
	}
	s.mu.Lock()
	s.l = l
	if s.conns == nil {
		s.conns = make(map[net.Conn]struct{})
	}
	s.mu.Unlock()
	for {
		conn, err := l.Accept()
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		if err != nil {
			return err
		}
		s.mu.Lock()
		s.conns[conn] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(srv, conn)
	}
}

func (s *Server) serveConn(srv *rpc.Server, conn net.Conn) {
	defer s.wg.Done()
	srv.ServeCodec(&countingCodec{ServerCodec: s.Codec.NewServerCodec(conn), s: s, conn: conn})
	s.mu.Lock()
	delete(s.conns, conn)
	s.mu.Unlock()
}

// InFlight returns how many calls have been read and not yet answered.
func (s *Server) InFlight() int64 { return s.inFlight.Load() }

// Shutdown stops accepting, waits for calls in flight to be answered until
// ctx ends, then closes every connection and waits for their goroutines.
// It returns ctx's error when calls were still in flight.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.l != nil {
		s.l.Close()
	}
	s.mu.Unlock()
	err := waitIdle(ctx, &s.inFlight)
	s.mu.Lock()
	for conn := range s.conns {
		conn.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// countingCodec counts calls in flight and logs why a connection ended.
type countingCodec struct {
	rpc.ServerCodec
	s    *Server
	conn net.Conn
}

func (c *countingCodec) ReadRequestHeader(r *rpc.Request) error {
	err := c.ServerCodec.ReadRequestHeader(r)
	switch {
	case err == nil:
		c.s.inFlight.Add(1)
	case c.s.Logf != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed):
		// net/rpc drops these silently; a user probing limits wants to know.
		c.s.Logf("%s: closing connection: %v", c.conn.RemoteAddr(), err)
	}
	return err
}

func (c *countingCodec) WriteResponse(r *rpc.Response, body any) error {
	defer c.s.inFlight.Add(-1)
	return c.ServerCodec.WriteResponse(r, body)
}
