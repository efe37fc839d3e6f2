// Package duplex is the reverse link carrying calls both ways (DESIGN 4):
// a worker dials its master, as with the reverse transport (same redial
// and backoff), and runs one github.com/hashicorp/yamux session on that
// connection, the dialling side as yamux.Client, the accepting side as
// yamux.Server. Every yamux stream is one net/rpc connection with the
// chosen codec and nothing before it: the side that opened a stream calls
// over it, the side that accepted it serves it. So the master opens
// streams to call the worker, the worker opens streams to call the master,
// and each side serves every stream it accepts.
//
// Both sides are an End: a net.Listener of the streams the other side
// opens (serve them with any net/rpc server) and an Open that opens a
// stream to call the other side over. Listen makes the master's End,
// Dial the worker's. A foreign program with yamux and the standard
// library's net/rpc can be either side.
package duplex

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/rpcbench/rpcbench/internal/backoff"
	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/internal/handshake"
	"github.com/rpcbench/rpcbench/transports/internal/login"
	"github.com/rpcbench/rpcbench/transports/internal/redial"
	"github.com/rpcbench/rpcbench/transports/tcp"
)

func init() { transports.Register(Transport{}) }

// An End is the serving half's listener, and so drains (Server.Shutdown).
var _ transports.Drainer = (*End)(nil)

// Defaults of Options' bounds: with them a master holds at most
// DefaultMaxSessions × (DefaultMaxStreams + acceptBacklog) × 256 KiB =
// 512 MiB of yamux's buffers, a worker 32 MiB.
const (
	// DefaultMaxStreams is how many streams opened by the other side one
	// session serves at once when Options.MaxStreams is 0.
	DefaultMaxStreams = 64
	// DefaultMaxSessions is how many workers a master serves at once when
	// Options.MaxSessions is 0.
	DefaultMaxSessions = 16
)

// Options bound what one side spends on the other. The zero value is
// usable.
type Options struct {
	// MaxStreams caps the streams opened by the other side that one
	// session has handed to Accept and that are not closed yet. Beyond it
	// the side stops accepting: further streams wait in yamux's accept
	// backlog (acceptBacklog), and streams beyond that are reset, so a
	// flood of streams costs at most (MaxStreams + acceptBacklog) streams
	// of at most maxStreamWindow buffered bytes each: the bound on the
	// bytes a session buffers. 0 means DefaultMaxStreams.
	MaxStreams int
	// MaxSessions caps the workers a master serves at once; a worker
	// that dials in beyond it is disconnected at once. 0 means
	// DefaultMaxSessions. A worker has one session.
	MaxSessions int
	// Token, when not empty, is the secret a worker proves it holds, as a
	// reverse worker does (transports.Config.Token), before its session
	// starts: a master drops a worker that fails or stays silent for
	// handshake.Timeout.
	Token []byte
	// Logf reports sessions that start and end, redials, and yamux's own
	// warnings (a backlog reset). nil means silent.
	Logf func(format string, args ...any)
}

// The yamux settings. They are local limits, not wire options: a foreign
// side running yamux.DefaultConfig() talks to this one unchanged.
const (
	// maxStreamWindow is the most a stream buffers of what the other side
	// sent and nobody has read yet: the receive window it grants. A peer
	// that never reads a stream stops our writer after this many bytes,
	// and we hold no more than this for a stream we do not read. It is
	// yamux's default and its minimum (VerifyConfig refuses less), set
	// here so that the bound is written down.
	maxStreamWindow = 256 << 10
	// acceptBacklog is how many streams the other side opened wait for
	// Accept; yamux resets those beyond it. It also bounds how many of
	// our own opens wait for the other side's acknowledgement.
	acceptBacklog = 64
	// streamOpenTimeout ends a session whose peer leaves a stream we
	// opened unacknowledged this long (yamux's default): a peer that
	// stopped accepting altogether is dead to us.
	streamOpenTimeout = 75 * time.Second
	// streamCloseTimeout drops a stream we closed whose peer never closes
	// its end, and resets it, so that a peer cannot keep closed streams
	// (and their buffers) alive on our side. It is also how soon a peer
	// still writing to a stream we gave up on (a server refusing an
	// endless request) gets an error: yamux v0.1.2 cannot reset a stream
	// at once, as closing a TCP socket with unread data does, and a
	// stream's Close only says we write no more, so until then the
	// peer's writes just wait for a window we never open. A peer that
	// closes a stream in turn, as net/rpc does once it reads EOF, does so
	// well within it. yamux's default is 5 minutes.
	streamCloseTimeout = 5 * time.Second
	// keepAliveInterval pings an idle session (yamux's default), so that
	// a master or worker that vanished without closing the connection
	// (power loss, a NAT that forgot the mapping) ends the session and
	// the worker redials.
	keepAliveInterval = 30 * time.Second
	// connectionWriteTimeout ends a session whose connection accepts no
	// bytes for this long (yamux's default): a peer that never reads the
	// connection at all cannot hold our writers forever.
	connectionWriteTimeout = 10 * time.Second
)

// config returns the yamux configuration of one session.
func config(logf func(string, ...any)) *yamux.Config {
	c := yamux.DefaultConfig()
	c.MaxStreamWindowSize = maxStreamWindow
	c.AcceptBacklog = acceptBacklog
	c.StreamOpenTimeout = streamOpenTimeout
	c.StreamCloseTimeout = streamCloseTimeout
	c.EnableKeepAlive, c.KeepAliveInterval = true, keepAliveInterval
	c.ConnectionWriteTimeout = connectionWriteTimeout
	c.LogOutput = nil
	c.Logger = log.New(logWriter(logf), "duplex: ", 0)
	return c
}

// logWriter passes yamux's log lines to logf, dropping them when it is nil.
type logWriter func(string, ...any)

func (w logWriter) Write(p []byte) (int, error) {
	if w != nil {
		w("%s", trimNewline(p))
	}
	return len(p), nil
}

func trimNewline(p []byte) []byte {
	if n := len(p); n > 0 && p[n-1] == '\n' {
		return p[:n-1]
	}
	return p
}

// An End is one side of duplex links, master or worker. It is the
// net.Listener of the streams the other side opens, each yielded by
// Accept as a connection to serve, and it opens streams with Open to call
// the other side over. StopAccepting stops taking new streams and
// sessions while those already taken finish (transports.Drainer); Close
// ends everything: its sessions, its streams, and its listening or
// redialling.
type End struct {
	opts   Options
	addr   net.Addr     // what the master listens on, which the worker dials
	ln     net.Listener // the master's, for workers; nil on a worker
	ctx    context.Context
	cancel context.CancelFunc // ends the End: its sessions and its loops
	// stopping ends when the End stops accepting (StopAccepting or
	// Close): the master's accept loop and the worker's redial loop end,
	// each session refuses further streams, and Accept returns
	// net.ErrClosed, while the sessions stay up for the streams already
	// yielded, and for Open.
	stopping      context.Context
	stopAccepting context.CancelFunc
	wg            sync.WaitGroup // those loops, and each session's goroutines

	accepted chan net.Conn // streams the other side opened, for Accept

	mu       sync.Mutex // guards sessions, next and changed
	sessions []*yamux.Session
	next     int           // the session the next Open uses, round robin
	changed  chan struct{} // closed and replaced when a session arrives
	closeErr error
	once     sync.Once
}

func newEnd(addr net.Addr, opts Options) *End {
	if opts.MaxStreams <= 0 {
		opts.MaxStreams = DefaultMaxStreams
	}
	if opts.MaxSessions <= 0 {
		opts.MaxSessions = DefaultMaxSessions
	}
	e := &End{opts: opts, addr: addr, accepted: make(chan net.Conn), changed: make(chan struct{})}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.stopping, e.stopAccepting = context.WithCancel(e.ctx)
	return e
}

func (e *End) logf(format string, args ...any) {
	if e.opts.Logf != nil {
		e.opts.Logf(format, args...)
	}
}

// Listen makes the master's End: it listens on addr (127.0.0.1:0 when
// empty) for workers, runs a yamux server session on each connection that
// arrives, serves (through Accept) the streams every worker opens, and
// opens streams to its workers in turn.
func Listen(ctx context.Context, addr string, opts Options) (*End, error) {
	ln, err := tcp.Listen(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("duplex: %w", err)
	}
	e := newEnd(ln.Addr(), opts)
	e.ln = ln
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		var workers atomic.Int64 // connected, logging in included
		for {
			conn, err := ln.Accept()
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil {
				// Out of descriptors or an aborted connection: both pass.
				e.logf("duplex: accepting workers on %s: %v", ln.Addr(), err)
				select {
				case <-time.After(backoff.Min): // not measured: a pause before accepting again
				case <-e.stopping.Done():
				}
				continue
			}
			if n := workers.Add(1); n > int64(e.opts.MaxSessions) {
				workers.Add(-1)
				conn.Close()
				e.logf("duplex: worker %s refused: %d workers connected already, the most a master serves (MaxSessions)", conn.RemoteAddr(), n-1)
				continue
			}
			e.wg.Add(1)
			go func() {
				defer e.wg.Done()
				defer workers.Add(-1)
				if err := e.login(conn, login.Challenge); err != nil {
					conn.Close()
					e.logf("duplex: worker %s dropped: %v", conn.RemoteAddr(), err)
					return
				}
				pc := newPingConn(conn)
				sess, err := yamux.Server(pc, config(e.opts.Logf))
				if err != nil { // only for an invalid configuration
					pc.Close()
					e.logf("duplex: %v", err)
					return
				}
				e.logf("duplex: worker %s connected", conn.RemoteAddr())
				e.run(sess)
				e.logf("duplex: worker %s gone", conn.RemoteAddr())
			}()
		}
	}()
	return e, nil
}

// Dial makes a worker's End: it dials the master at addr and runs a
// yamux client session on the connection, serves (through Accept) the
// streams the master opens, and opens streams to the master. When the
// connection ends it dials again, with the reverse transport's capped
// exponential backoff and jitter, until Close.
func Dial(addr string, opts Options) (*End, error) {
	if addr == "" {
		return nil, errors.New("duplex: no master to dial (the address is empty); the worker dials the master's listener")
	}
	a, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("duplex: %w", err)
	}
	e := newEnd(a, opts)
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		// Redialling ends when the End stops accepting: a new session
		// would only refuse the master's streams. The session up then
		// lasts until Close, or until the master ends it.
		// The login is part of the dial, so that a master that refuses
		// it draws the backoff of a failed dial.
		dial := func(ctx context.Context) (net.Conn, error) {
			var d net.Dialer
			conn, err := d.DialContext(ctx, "tcp", a.String())
			if err != nil {
				return nil, err
			}
			if err := e.login(conn, login.Prove); err != nil {
				conn.Close()
				return nil, fmt.Errorf("logging in to master %s: %w", a, err)
			}
			return conn, nil
		}
		redial.KeepDialling(e.stopping, "duplex: worker", a.String(), dial, e.opts.Logf, func(conn net.Conn) bool {
			pc := newPingConn(conn)
			sess, err := yamux.Client(pc, config(e.opts.Logf))
			if err != nil { // only for an invalid configuration
				pc.Close()
				e.logf("duplex: %v", err)
				return false
			}
			e.logf("duplex: worker connected to master %s", a)
			e.run(sess)
			e.logf("duplex: worker lost master %s", a)
			return e.stopping.Err() == nil
		})
	}()
	return e, nil
}

// login runs a side of the worker's login on conn (login.Challenge on
// the master, login.Prove on the worker) when the End has a token, within
// handshake.Timeout or until the End closes.
func (e *End) login(conn net.Conn, side func(net.Conn, []byte) error) error {
	if len(e.opts.Token) == 0 {
		return nil
	}
	conn.SetDeadline(time.Now().Add(handshake.Timeout))
	stop := context.AfterFunc(e.ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := side(conn, e.opts.Token); err != nil {
		return err
	}
	return conn.SetDeadline(time.Time{})
}

// run serves one session until it ends: it makes the session available to
// Open, hands the streams the other side opens to Accept, at most
// MaxStreams of them unclosed at once, and forgets the session when it
// ends. Closing the End closes the session. Once the End stops
// accepting, the session sends the other side a go-away, so that yamux
// refuses (resets) the streams it opens from then on and its Open fails
// at once, and closes those already waiting in the backlog; the streams
// already yielded, and the session, carry on until Close.
func (e *End) run(sess *yamux.Session) {
	if err := e.answers(sess); err != nil {
		sess.Close()
		e.logf("duplex: dropping the session with %s: %v", sess.RemoteAddr(), err)
		return
	}
	if !e.add(sess) {
		sess.Close()
		return
	}
	defer e.remove(sess)
	stop := context.AfterFunc(e.ctx, func() { sess.Close() })
	defer stop()
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		select {
		case <-e.stopping.Done():
			if e.ctx.Err() == nil {
				sess.GoAway() // an error means the session is ending anyway
			}
		case <-sess.CloseChan():
		}
	}()
	slots := make(chan struct{}, e.opts.MaxStreams)
	for {
		// Wait for a free slot before accepting: while the cap is
		// reached, new streams queue in yamux's backlog, then get reset.
		select {
		case slots <- struct{}{}:
		case <-sess.CloseChan():
			return
		}
		st, err := sess.AcceptStream()
		if err != nil {
			return // the session ended
		}
		c := newStream(st, func() { <-slots })
		if e.stopping.Err() != nil {
			c.Close() // opened before the go-away reached the other side
			continue
		}
		select {
		case e.accepted <- c:
		case <-e.stopping.Done():
			c.Close()
		case <-sess.CloseChan():
			c.Close()
			return
		}
	}
}

// answerWithin is how soon the other side must answer a ping for its
// session to be used: a peer that connects and then says nothing (a
// master's first worker, say) must not take the calls meant for the
// workers that follow it.
const answerWithin = 5 * time.Second

// answers pings the other side of sess and waits for the answer, at most
// answerWithin or until the End closes.
func (e *End) answers(sess *yamux.Session) error {
	pinged := make(chan error, 1)
	go func() { // ends when sess answers or closes
		_, err := sess.Ping()
		pinged <- err
	}()
	t := time.NewTimer(answerWithin) // not measured: how long a new session may take to answer a ping
	defer t.Stop()
	select {
	case err := <-pinged:
		return err
	case <-t.C:
		return fmt.Errorf("it answered no ping within %v", answerWithin)
	case <-e.ctx.Done():
		return net.ErrClosed
	}
}

// add makes sess available to Open; false means the End is closed or
// no longer accepts sessions.
func (e *End) add(sess *yamux.Session) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopping.Err() != nil {
		return false
	}
	e.sessions = append(e.sessions, sess)
	close(e.changed)
	e.changed = make(chan struct{})
	return true
}

func (e *End) remove(sess *yamux.Session) {
	sess.Close()
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, s := range e.sessions {
		if s == sess {
			e.sessions = append(e.sessions[:i], e.sessions[i+1:]...)
			break
		}
	}
}

// Accept returns the next stream the other side opened, a connection to
// serve calls on. It returns net.ErrClosed once the End stops accepting
// or is closed.
func (e *End) Accept() (net.Conn, error) {
	if e.stopping.Err() != nil {
		return nil, net.ErrClosed
	}
	select {
	case c := <-e.accepted:
		return c, nil
	case <-e.stopping.Done():
		return nil, net.ErrClosed
	}
}

// StopAccepting stops the End taking anything new while leaving what it
// has alone (transports.Drainer): Accept returns net.ErrClosed, the
// master stops listening for workers and a worker stops redialling, and
// each session tells the other side to open no more streams (yamux's
// go-away, which makes the other side's Open fail at once) and closes
// the streams it had not yielded yet. The streams already yielded, and
// the sessions under them, stay up until Close, so that a server shutting
// down answers the calls it has read; Open still works.
func (e *End) StopAccepting() error {
	e.mu.Lock() // orders it with add, so that no session slips in after
	e.stopAccepting()
	e.mu.Unlock()
	if e.ln != nil {
		e.ln.Close() // the accept loop sees net.ErrClosed and ends
	}
	return nil
}

// Open opens a stream to call the other side over: on the master, to the
// next worker in turn; on a worker, to its master. It waits for a session
// when there is none (a worker redialling, a master with no worker yet)
// until ctx ends. Opening itself does not wait for the other side, except
// when acceptBacklog streams it opened are still unacknowledged.
func (e *End) Open(ctx context.Context) (net.Conn, error) {
	refused := 0 // sessions whose other side said go away
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("duplex: opening a stream to %s: %w", e.addr, err)
		}
		e.mu.Lock()
		if e.ctx.Err() != nil {
			e.mu.Unlock()
			return nil, net.ErrClosed
		}
		var sess *yamux.Session
		n := len(e.sessions)
		if n > 0 {
			sess = e.sessions[e.next%n]
			e.next++
		}
		changed := e.changed
		e.mu.Unlock()
		if sess != nil {
			st, err := sess.OpenStream()
			if err == nil {
				return newStream(st, nil), nil
			}
			if e.ctx.Err() != nil {
				return nil, net.ErrClosed
			}
			if errors.Is(err, yamux.ErrRemoteGoAway) && refused < n {
				refused++ // that side is draining; another may not be
				continue
			}
			if !sess.IsClosed() { // every side said go away, or stream ids ran out
				return nil, fmt.Errorf("duplex: opening a stream to %s: %w", e.addr, err)
			}
			e.remove(sess) // it ended under us; try another, or wait for one
			continue
		}
		select {
		case <-changed:
		case <-e.ctx.Done():
			return nil, net.ErrClosed
		case <-ctx.Done():
			return nil, fmt.Errorf("duplex: no session to %s to open a stream on: %w", e.addr, ctx.Err())
		}
	}
}

// Conn is Open: an End is the duplex transport's transports.Caller.
func (e *End) Conn(ctx context.Context) (net.Conn, error) { return e.Open(ctx) }

// Sessions returns how many sessions the End has: the master's workers,
// or 1 for a connected worker.
func (e *End) Sessions() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.sessions)
}

// Addr is the master's address: what the master listens on and the
// worker dials.
func (e *End) Addr() net.Addr { return e.addr }

// Close stops listening or redialling, closes every session (and so every
// stream, opened or accepted), and waits for the End's goroutines.
func (e *End) Close() error {
	err := net.ErrClosed
	e.once.Do(func() {
		e.StopAccepting()
		e.mu.Lock()
		e.cancel()
		sessions := e.sessions
		e.mu.Unlock()
		for _, s := range sessions {
			s.Close()
		}
		e.wg.Wait()
		err = nil
	})
	return err
}

// stream is a yamux stream with a net.Conn's full Close: yamux's own Close
// only half-closes (it sends FIN and keeps reading), which would leave a
// net/rpc reader waiting on a connection its owner closed.
type stream struct {
	*yamux.Stream
	release func() // frees the session's slot of an accepted stream; nil for an opened one

	closed   atomic.Bool
	once     sync.Once
	deadline atomic.Pointer[time.Time] // the write deadline, which yamux checks only while blocked
}

func newStream(st *yamux.Stream, release func()) *stream {
	return &stream{Stream: st, release: release}
}

func (s *stream) Read(p []byte) (int, error) {
	if s.closed.Load() {
		return 0, net.ErrClosed
	}
	n, err := s.Stream.Read(p)
	if err != nil && s.closed.Load() {
		return n, net.ErrClosed
	}
	return n, deadlineErr(err)
}

func (s *stream) Write(p []byte) (int, error) {
	if s.closed.Load() {
		return 0, net.ErrClosed
	}
	if d := s.deadline.Load(); d != nil && !d.IsZero() && !time.Now().Before(*d) {
		return 0, os.ErrDeadlineExceeded
	}
	n, err := s.Stream.Write(p)
	return n, deadlineErr(err)
}

// deadlineErr reports yamux's deadline error as the standard one, as a
// net.Conn's callers test for it.
func deadlineErr(err error) error {
	if errors.Is(err, yamux.ErrTimeout) {
		return os.ErrDeadlineExceeded
	}
	return err
}

func (s *stream) SetDeadline(t time.Time) error {
	s.SetReadDeadline(t)
	return s.SetWriteDeadline(t)
}

func (s *stream) SetWriteDeadline(t time.Time) error {
	s.deadline.Store(&t)
	return s.Stream.SetWriteDeadline(t)
}

// CloseWrite half-closes the stream: the other side reads EOF, and this
// side can still read its reply, for streamCloseTimeout, after which the
// stream is reset.
func (s *stream) CloseWrite() error { return s.Stream.Close() }

// Close closes the stream both ways: it sends FIN, and Reads blocked or
// to come return net.ErrClosed. The stream leaves the session when the
// other side closes its end too, or after streamCloseTimeout.
func (s *stream) Close() error {
	err := net.ErrClosed
	s.once.Do(func() {
		s.closed.Store(true)
		err = s.Stream.Close()
		s.Stream.SetReadDeadline(time.Now()) // wakes a blocked Read
		if s.release != nil {
			s.release()
		}
	})
	return err
}

// Transport is the duplex transport in the transports registry, for a
// worker's serving half and a master's calling half: Serve is Dial, whose
// listener yields the streams the master opens; Call is Listen, whose
// Conn opens a stream to a worker. A Caller it returns is the master's
// *End: type-assert it to serve the streams workers open, too.
// cfg.Conns is ignored: a worker keeps one session, over which the master
// opens as many streams as it wants.
type Transport struct{}

func (Transport) Name() string { return "duplex" }

// Reversed reports that the serving half (the worker) dials and the
// calling half (the master) listens.
func (Transport) Reversed() bool { return true }

// Serve dials the master at cfg.Addr (see Dial).
func (Transport) Serve(ctx context.Context, cfg transports.Config) (net.Listener, error) {
	return Dial(cfg.Addr, options(cfg))
}

// Call listens on cfg.Addr for workers (see Listen).
func (Transport) Call(ctx context.Context, cfg transports.Config) (transports.Caller, error) {
	return Listen(ctx, cfg.Addr, options(cfg))
}

func options(cfg transports.Config) Options {
	return Options{MaxStreams: cfg.MaxStreams, MaxSessions: cfg.MaxSessions, Token: cfg.Token, Logf: cfg.Logf}
}
