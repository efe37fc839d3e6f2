// Package server serves the rpcbench service with one codec on the
// connections a transport's serving half yields: every connection
// concurrently, bad connections logged and dropped, an optional login per
// connection and idle timeout, Accept backing off while file descriptors
// run out, and a graceful shutdown that lets calls in flight finish.
package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"net/rpc"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/transports"
)

// A Server serves calls with one codec. Its zero value is not usable; set
// Codec at least.
type Server struct {
	// Codec decodes requests and encodes replies.
	Codec codecs.Codec
	// RPC dispatches the calls of every connection. When nil, each
	// connection gets its own from ConnRPC.
	RPC *rpc.Server
	// ConnRPC makes the rpc.Server of one connection, given a context
	// that ends when that connection is done with (its ServeCodec
	// returned), so that calls left waiting on it, such as KV.Watch, end
	// with it. nil means one service.New(nil) shared by all connections,
	// through its ConnServer. Ignored when RPC is set.
	ConnRPC func(ctx context.Context) *rpc.Server
	// Logf reports connections that ended on an error; nil means silent.
	Logf func(format string, args ...any)
	// Token, when not empty, is the secret every connection must send in
	// a LoginMethod call before any other call (see LoginMethod).
	Token []byte
	// IdleTimeout, when positive, closes a connection that sends nothing
	// for that long, counted from the last byte it sent or the last reply
	// it got: a connection waiting for a reply is not idle.
	IdleTimeout time.Duration

	inFlight atomic.Int64   // calls read and not yet answered
	wg       sync.WaitGroup // one per served connection

	mu    sync.Mutex // guards l, conns and quit
	l     net.Listener
	conns map[net.Conn]struct{}
	quit  chan struct{} // closed by Shutdown, to end an Accept backoff
}

// Accept backoff while file descriptors run out, as net/http's: a closed
// listener ends Serve, but running out of descriptors passes once other
// connections close, and retrying at once would only spin.
const (
	minAcceptDelay = 5 * time.Millisecond
	maxAcceptDelay = time.Second
)

// Serve serves every connection l yields until l is closed, and then
// returns nil. On a temporary Accept error (too many open files) it waits,
// from 5ms doubling up to 1s, and tries again; other Accept errors end it
// with that error.
func (s *Server) Serve(l net.Listener) error {
	newRPC := s.ConnRPC
	if newRPC == nil {
		newRPC = service.New(nil).ConnServer
	}
	if s.RPC != nil {
		newRPC = func(context.Context) *rpc.Server { return s.RPC }
	}
	var token *[sha256.Size]byte
	if len(s.Token) > 0 {
		sum := sha256.Sum256(s.Token)
		token = &sum
	}
	s.mu.Lock()
	s.l = l
	if s.conns == nil {
		s.conns = make(map[net.Conn]struct{})
	}
	quit := s.quitLocked()
	s.mu.Unlock()
	var delay time.Duration // the Accept backoff; 0 while Accept works
	for {
		conn, err := l.Accept()
		switch {
		case errors.Is(err, net.ErrClosed):
			return nil
		case err != nil && !transports.Temporary(err):
			return err
		case err != nil:
			if delay == 0 {
				delay = minAcceptDelay
				s.logf("accept: %v; retrying from %v, backing off up to %v (logged once until Accept works)", err, minAcceptDelay, maxAcceptDelay)
			} else {
				delay = min(2*delay, maxAcceptDelay)
			}
			select {
			case <-time.After(delay):
			case <-quit:
				return nil
			}
			continue
		}
		delay = 0
		s.mu.Lock()
		s.conns[conn] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(newRPC, conn, token)
	}
}

func (s *Server) quitLocked() chan struct{} {
	if s.quit == nil {
		s.quit = make(chan struct{})
	}
	return s.quit
}

func (s *Server) serveConn(newRPC func(context.Context) *rpc.Server, conn net.Conn, token *[sha256.Size]byte) {
	defer s.wg.Done()
	// The connection's context ends as soon as reading it fails, not when
	// ServeCodec returns: ServeCodec waits for every call in flight, so a
	// Watch still waiting would hold it (and this goroutine) until its
	// timeout. Its reply has nowhere to go anyway.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := newRPC(ctx)
	cc := &countingCodec{s: s, conn: conn, ended: cancel}
	var rwc io.ReadWriteCloser = conn
	if s.IdleTimeout > 0 {
		cc.act = new(activity)
		rwc = &idleConn{Conn: conn, timeout: s.IdleTimeout, act: cc.act}
	}
	cc.ServerCodec = s.Codec.NewServerCodec(rwc)
	if token != nil {
		cc.ServerCodec = &authCodec{ServerCodec: cc.ServerCodec, want: token}
	}
	srv.ServeCodec(cc)
	s.mu.Lock()
	delete(s.conns, conn)
	s.mu.Unlock()
}

func (s *Server) logf(format string, args ...any) {
	if s.Logf != nil {
		s.Logf(format, args...)
	}
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
	if quit := s.quitLocked(); !isClosed(quit) {
		close(quit)
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

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// countingCodec counts calls in flight and logs why a connection ended.
type countingCodec struct {
	rpc.ServerCodec
	s     *Server
	conn  net.Conn
	act   *activity // nil without an idle timeout, which alone needs it
	ended func()    // ends the connection's context once reading fails
}

func (c *countingCodec) ReadRequestHeader(r *rpc.Request) error {
	err := c.ServerCodec.ReadRequestHeader(r)
	switch {
	case err == nil:
		c.s.inFlight.Add(1)
		if c.act != nil {
			c.act.calls.Add(1)
		}
	case !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed):
		// net/rpc drops these silently; a user probing limits wants to know.
		c.s.logf("%s: closing connection: %v", c.conn.RemoteAddr(), err)
	}
	if err != nil {
		c.ended() // net/rpc reads no more after a header error
	}
	return err
}

func (c *countingCodec) WriteResponse(r *rpc.Response, body any) error {
	err := c.ServerCodec.WriteResponse(r, body)
	c.s.inFlight.Add(-1)
	if c.act != nil {
		// answered first: idleConn, seeing no call in flight, must also
		// see this reply.
		c.act.answered.Add(1)
		c.act.calls.Add(-1)
	}
	return err
}
