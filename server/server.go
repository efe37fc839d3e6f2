// Package server serves the rpcbench service with one codec on the
// connections a transport's serving half yields: every connection
// concurrently, bad connections logged and dropped, an optional login per
// connection and idle timeout, bounded calls and bytes in flight per
// connection and in all, Accept backing off while file descriptors run
// out, and a graceful shutdown that lets calls in flight finish.
package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/internal/backoff"
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
	// WriteTimeout closes a connection whose reply makes no progress for
	// that long: a client that sends calls and reads no replies is idle.
	// 0 means IdleTimeout when it is set, else DefaultWriteTimeout.
	WriteTimeout time.Duration
	// MaxCalls caps the calls a connection may have outstanding (read and
	// not yet answered); past it the server stops reading that connection
	// until replies drain. 0 means DefaultMaxCalls.
	MaxCalls int
	// MaxConnBytes caps the request bytes one connection may hold in
	// flight while it has calls to answer (one request larger than this
	// is still read, alone). 0 means DefaultMaxConnBytes.
	MaxConnBytes int64
	// MaxBytesInFlight caps the request bytes read from all connections
	// and not yet answered; past it connections wait to read, except one
	// that has no call outstanding, which may finish the request it is
	// reading. 0 means DefaultMaxBytesInFlight.
	MaxBytesInFlight int64
	// MaxReplyBytes caps the bytes of replies being encoded and written,
	// over all connections, each reply estimated by its protobuf size
	// before it is encoded. Past it a large reply waits to be encoded
	// until others are written (a client that does not read its replies
	// holds its share only until the write timeout closes it); a small
	// one (under 64 KiB) never waits. 0 means DefaultMaxReplyBytes.
	MaxReplyBytes int64
	// AllowGC lets any connection ask Stats.Read for a garbage collection
	// (rate-limited by the service). Without it only a logged-in
	// connection may (with Token); others get an error.
	AllowGC bool

	inFlight atomic.Int64   // calls read and not yet answered
	wg       sync.WaitGroup // one per served connection
	bg       sync.WaitGroup // memory release after a large budget drained
	budget   budget
	replies  replyBudget
	retained atomic.Int64 // codec state kept for the connections (servedConn.Retain)
	logins   loginDelays
	once     sync.Once
	freeing  atomic.Bool // a memory release runs
	lastFree atomic.Int64

	mu       sync.Mutex // guards l, conns, draining and quit
	l        net.Listener
	conns    map[*servedConn]struct{}
	draining bool
	quit     chan struct{} // closed by Shutdown, to end an Accept backoff
}

// init sets the budget from the fields, once.
func (s *Server) init() {
	s.once.Do(func() {
		s.budget = budget{
			limit:        orDefault(s.MaxBytesInFlight, DefaultMaxBytesInFlight),
			connLimit:    orDefault(s.MaxConnBytes, DefaultMaxConnBytes),
			maxCalls:     orDefault(int64(s.MaxCalls), DefaultMaxCalls),
			onHighWater:  s.releaseMemory,
			highWaterMin: releaseAbove,
		}
		s.replies.limit = orDefault(s.MaxReplyBytes, DefaultMaxReplyBytes)
	})
}

func orDefault(v, d int64) int64 {
	if v > 0 {
		return v
	}
	return d
}

// releaseAbove is how many request bytes in flight make the server hand
// memory back to the system once they are all answered: the heap they
// used is garbage, but the runtime keeps it mapped for minutes.
const releaseAbove = 32 << 20

// releaseMemory returns freed memory to the system, at most once a
// second, in a goroutine that Shutdown waits for.
func (s *Server) releaseMemory() {
	now := time.Now().UnixNano()
	if now-s.lastFree.Load() < int64(time.Second) || !s.freeing.CompareAndSwap(false, true) {
		return
	}
	s.lastFree.Store(now)
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		defer s.freeing.Store(false)
		debug.FreeOSMemory()
	}()
}

// Serve serves every connection l yields until l is closed, and then
// returns nil. On a temporary Accept error (too many open files: it
// passes once other connections close) it waits, from 5ms doubling up to
// 1s, and tries again; other Accept errors end it with that error.
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
	s.init()
	s.mu.Lock()
	s.l = l
	if s.conns == nil {
		s.conns = make(map[*servedConn]struct{})
	}
	quit := s.quitLocked()
	s.mu.Unlock()
	retry := backoff.Backoff{Min: backoff.AcceptMin, Max: backoff.AcceptMax}
	for {
		conn, err := l.Accept()
		switch {
		case errors.Is(err, net.ErrClosed):
			return nil
		case err != nil && !transports.Temporary(err):
			return err
		case err != nil:
			if !retry.Failing() {
				s.logf("accept: %v; retrying from %v, backing off up to %v (logged once until Accept works)", err, backoff.AcceptMin, backoff.AcceptMax)
			}
			select {
			case <-time.After(retry.Next()):
			case <-quit:
				return nil
			}
			continue
		}
		retry.Reset()
		sc := newServedConn(s, conn)
		s.mu.Lock()
		if s.draining {
			s.mu.Unlock()
			conn.Close()
			continue
		}
		s.conns[sc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(newRPC, sc, token)
	}
}

func (s *Server) quitLocked() chan struct{} {
	if s.quit == nil {
		s.quit = make(chan struct{})
	}
	return s.quit
}

func (s *Server) serveConn(newRPC func(context.Context) *rpc.Server, conn *servedConn, token *[sha256.Size]byte) {
	defer s.wg.Done()
	// The connection's context ends as soon as reading it fails, not when
	// ServeCodec returns: ServeCodec waits for every call in flight, so a
	// Watch still waiting would hold it (and this goroutine) until its
	// timeout. Its reply has nowhere to go anyway.
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(errServed)
	srv := newRPC(ctx)
	cc := &countingCodec{s: s, conn: conn, ended: func(err error) { cancel(connEnded(err)) }}
	cc.ServerCodec = s.Codec.NewServerCodec(conn)
	if token != nil {
		cc.ServerCodec = &authCodec{ServerCodec: cc.ServerCodec, want: token, s: s, conn: conn}
		cc.authed = true // authCodec lets only a logged-in connection's calls through
	}
	srv.ServeCodec(cc) // which ends with cc.Close
	conn.Close()       // a codec that failed to close it still gives its budget back
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

// Shutdown stops accepting and lets every connection finish: one waiting
// between requests is closed at once; one reading a request reads it to
// the end, and one with calls in flight answers them, and each is then
// closed. When ctx ends first, Shutdown closes the connections left and
// returns ctx's error, without waiting for handlers still running. It closes the listener last, since a transport's
// listener closes the connections it yielded (see transports.Drainer).
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.draining = true
	l := s.l
	if quit := s.quitLocked(); !isClosed(quit) {
		close(quit)
	}
	conns := make([]*servedConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	if l != nil {
		transports.StopAccepting(l)
	}
	for _, c := range conns {
		c.startDrain()
	}
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		// net/rpc waits for the handlers of a closed connection to
		// return; one stuck in the service must not hold the process, so
		// Shutdown does not wait for them past its deadline.
	}
	if l != nil {
		l.Close()
	}
	s.bg.Wait()
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

// countingCodec counts calls in flight, tells the connection where each
// request begins and ends, and logs why a connection ended.
type countingCodec struct {
	rpc.ServerCodec
	s       *Server
	conn    *servedConn
	authed  bool        // calls that reach it come from a logged-in connection
	seq     uint64      // the request being read
	ended   func(error) // ends the connection's context once reading fails, saying why
	readErr error       // why reading ended
}

func (c *countingCodec) ReadRequestHeader(r *rpc.Request) error {
	err := c.conn.beginRequest()
	if err == nil {
		err = c.ServerCodec.ReadRequestHeader(r)
		c.conn.endHeader()
	}
	switch {
	case err == nil:
		c.s.inFlight.Add(1)
		c.seq = r.Seq
	case !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed):
		// net/rpc drops these silently; a user probing limits wants to know.
		c.s.logf("%s: closing connection: %v", c.conn.RemoteAddr(), err)
	}
	if err != nil {
		c.readErr = err
		c.ended(err) // net/rpc reads no more after a header error
	}
	return err
}

// Lingering: how long, and for how many bytes, a connection the server
// ended goes on being read once its replies are out.
const (
	lingerFor   = time.Second
	lingerBytes = 1 << 20
)

// Close is where net/rpc ends a connection, once every reply is out.
func (c *countingCodec) Close() error {
	linger(c.conn, c.readErr)
	return c.ServerCodec.Close()
}

// linger readies conn, whose reading ended with readErr, for its close. When the
// server ended it (a request refused, a stream it cannot decode) while
// the client may still be sending, closing at once with requests unread
// would make the kernel reset the connection, and the reset can overtake
// the error reply already written: the client would never learn why. So
// the server first ends its sending half, then reads and drops what the
// client still sends, for at most lingerFor and lingerBytes (HTTP servers'
// lingering close). A client that closed, or one silent past the idle
// timeout, is closed at once.
func linger(conn *servedConn, readErr error) {
	if readErr == nil || errors.Is(readErr, io.EOF) || errors.Is(readErr, net.ErrClosed) || errors.Is(readErr, os.ErrDeadlineExceeded) {
		return
	}
	conn.giveBack() // it reads no more requests: lingering holds none of the budget
	cw, ok := conn.Conn.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil || conn.Conn.SetReadDeadline(time.Now().Add(lingerFor)) != nil {
		return
	}
	io.CopyN(io.Discard, conn.Conn, lingerBytes) // ends at the client's close, the deadline or Shutdown's close
}

// errServed ends a connection's context once ServeCodec has returned.
var errServed = errors.New("the connection was closed")

// connEnded says why a connection's calls still waiting (KV.Watch) end,
// given the error that ended reading it.
func connEnded(err error) error {
	switch {
	case errors.Is(err, io.EOF):
		return errors.New("the client closed its connection (or its sending half) with the call waiting")
	case errors.Is(err, net.ErrClosed):
		return errors.New("the server closed the connection with the call waiting")
	}
	return fmt.Errorf("the connection ended with the call waiting: %w", err)
}

// errGCRefused is what Stats.Read{gc: true} gets from a connection that
// may not force a collection: any client could otherwise slow the server
// down at will.
var errGCRefused = errors.New("Stats.Read: gc refused: the server allows it only after a login, or when started with --allow-gc")

func (c *countingCodec) ReadRequestBody(x any) error {
	err := c.ServerCodec.ReadRequestBody(x)
	// Counted once the body is in, so that the cap on calls never stops
	// the read of a request already begun.
	c.conn.calls.Add(1)
	c.conn.endBody(c.seq)
	if req, ok := x.(*service.StatsRequest); ok && err == nil && req.GetGc() && !c.authed && !c.s.AllowGC {
		return errGCRefused
	}
	return err
}

func (c *countingCodec) WriteResponse(r *rpc.Response, body any) error {
	size := replySize(body)
	err := c.s.replies.acquire(size, c.conn.closed)
	if err == nil {
		err = c.ServerCodec.WriteResponse(r, body)
		c.s.replies.release(size)
	}
	c.s.inFlight.Add(-1)
	// answered first: the idle timeout, seeing no call in flight, must
	// also see this reply.
	c.conn.answered.Add(1)
	c.conn.calls.Add(-1)
	c.conn.answer(r.Seq)
	return err
}
