// Package quic is net/rpc over QUIC (RFC 9000) with
// github.com/quic-go/quic-go: TLS 1.3 as the tls transport sets it up,
// over UDP, and every net/rpc connection one bidirectional stream of a
// shared QUIC connection.
//
// Connections and streams. The calling half dials one QUIC connection, on
// its first Conn, and opens one stream on it for every Conn after that:
// --conns N is N streams of one QUIC connection, sharing its UDP socket,
// its congestion window and its loss recovery, but each with its own
// ordering, so that a lost packet delays only the streams whose bytes it
// carried (no head-of-line blocking between net/rpc connections, which is
// what QUIC offers over N streams of yamux on one TCP connection). When
// the QUIC connection ends (idle timeout, the server gone) the next Conn
// dials a new one. The serving half yields every stream that any client's
// connection opens.
//
// On the wire a stream carries one byte, StreamOpener, then the codec's
// bytes and nothing else. QUIC tells the other side about a stream only
// when its first bytes arrive, and a serving half must yield a stream
// before the client speaks (a server that greets, or a test that accepts
// first), so the opening side sends that byte at once. A foreign program
// needs a QUIC library, the ALPN protocol "rpcbench" (ALPN), and that byte.
//
// Bounds, each a field of Options with its default: the streams one QUIC
// connection may have open at once (the peer cannot open more: QUIC's own
// stream limit), the bytes one stream and one connection may buffer
// unread (QUIC's flow-control windows, which the peer must respect), the
// QUIC connections the serving half holds at once, handshaking or not
// (beyond it new ones are refused), how long a handshake may take, and how
// long a connection may stay silent before it is dropped. A peer can
// therefore make the serving half hold at most about MaxConns ×
// ConnWindow bytes of unread data.
package quic

import (
	"context"
	stdtls "crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	quicgo "github.com/quic-go/quic-go"

	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/tls"
)

func init() { transports.MustRegister(Transport{}) }

// The serving half's listener drains (Server.Shutdown).
var _ transports.Drainer = (*Listener)(nil)

// ALPN is the TLS application protocol both halves insist on, so that a
// QUIC peer for something else (HTTP/3) fails at the handshake.
const ALPN = "rpcbench"

// StreamOpener is the byte that opens every stream (see the package doc).
const StreamOpener byte = 0x00

// The defaults of Options.
const (
	DefaultMaxStreams       = 1024
	DefaultStreamWindow     = 1 << 20
	DefaultConnWindow       = 16 << 20
	DefaultMaxConns         = 256
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultIdleTimeout      = 30 * time.Second
)

// Options bound what a peer can make one side hold. Zero fields mean the
// defaults.
type Options struct {
	// MaxStreams is how many streams the peer may have open at once on
	// one QUIC connection (QUIC's MAX_STREAMS): a calling half's Conn
	// beyond it waits until one closes. 0 means DefaultMaxStreams.
	MaxStreams int
	// StreamWindow is the most bytes one stream buffers that were
	// received and not read yet: its receive window grows up to it, and a
	// sender that does not stop at it is in protocol violation. 0 means
	// DefaultStreamWindow, 1 MiB.
	StreamWindow int
	// ConnWindow is the same for all the streams of one QUIC connection
	// together. 0 means DefaultConnWindow, 16 MiB.
	ConnWindow int
	// MaxConns is how many QUIC connections the serving half holds at
	// once, those still handshaking included; it refuses more
	// (CONNECTION_REFUSED). 0 means DefaultMaxConns.
	MaxConns int
	// HandshakeTimeout ends a handshake that has heard nothing from the
	// peer this long, or that is not done in twice this long. 0 means
	// DefaultHandshakeTimeout, 10s.
	HandshakeTimeout time.Duration
	// IdleTimeout ends a connection that has heard nothing from its peer
	// this long; both sides send a keep-alive at a third of it, so a live
	// but quiet connection stays up. 0 means DefaultIdleTimeout, 30s.
	IdleTimeout time.Duration
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// config is the quic-go configuration of either half.
func (o Options) config() *quicgo.Config {
	idle := orDefault(o.IdleTimeout, DefaultIdleTimeout)
	window := uint64(orDefault(o.StreamWindow, DefaultStreamWindow))
	connWindow := uint64(orDefault(o.ConnWindow, DefaultConnWindow))
	return &quicgo.Config{
		HandshakeIdleTimeout:           orDefault(o.HandshakeTimeout, DefaultHandshakeTimeout),
		MaxIdleTimeout:                 idle,
		KeepAlivePeriod:                idle / 3,
		InitialStreamReceiveWindow:     min(window, 512<<10),
		MaxStreamReceiveWindow:         window,
		InitialConnectionReceiveWindow: min(connWindow, 1<<20),
		MaxConnectionReceiveWindow:     connWindow,
		MaxIncomingStreams:             int64(orDefault(o.MaxStreams, DefaultMaxStreams)),
		MaxIncomingUniStreams:          -1, // net/rpc has no use for them
	}
}

// Transport is QUIC with the default Options; a Transport with other
// Options bounds its halves by them. See transports.Config for the
// certificate fields, used as the tls transport uses them.
type Transport struct{ Options Options }

func (Transport) Name() string { return "quic" }

// Serve listens on UDP cfg.Addr (127.0.0.1:0 when empty) with cfg.CertFile
// and cfg.KeyFile, or a self-signed certificate whose fingerprint it
// reports through cfg.Logf, and, with cfg.ClientCAFile, requires client
// certificates signed by those CAs.
func (t Transport) Serve(ctx context.Context, cfg transports.Config) (net.Listener, error) {
	conf, fp, err := tls.ServerConfig(cfg)
	if err != nil {
		return nil, err
	}
	conf.NextProtos = []string{ALPN}
	addr := cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, "udp", addr)
	if err != nil {
		return nil, fmt.Errorf("quic: %w", err)
	}
	l := &Listener{accepted: make(chan net.Conn)}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.stopping, l.stopAccepting = context.WithCancel(l.ctx)
	maxConns := int64(orDefault(t.Options.MaxConns, DefaultMaxConns))
	l.tr = &quicgo.Transport{
		Conn: pc,
		// Counts every connection from its first packet to its end,
		// handshakes included, and refuses those beyond MaxConns.
		ConnContext: func(ctx context.Context, info *quicgo.ClientInfo) (context.Context, error) {
			if l.live.Add(1) > maxConns {
				l.live.Add(-1)
				return nil, fmt.Errorf("quic: %d connections already, the most is %d; refusing %s", maxConns, maxConns, info.RemoteAddr)
			}
			context.AfterFunc(ctx, func() { l.live.Add(-1) })
			return ctx, nil
		},
	}
	if l.ln, err = l.tr.Listen(conf, t.Options.config()); err != nil {
		l.tr.Close()
		pc.Close()
		return nil, fmt.Errorf("quic: %w", err)
	}
	if cfg.CertFile == "" {
		cfg.Printf("quic: serving on %s with a self-signed certificate, SHA-256 fingerprint %s", l.Addr(), fp)
	}
	l.fingerprint = fp
	l.wg.Go(l.acceptConns)
	return l, nil
}

// Listener is the serving half: it accepts QUIC connections and yields
// their streams.
type Listener struct {
	tr          *quicgo.Transport
	ln          *quicgo.Listener
	fingerprint string
	live        atomic.Int64 // QUIC connections from first packet to end

	ctx    context.Context // ends at Close: every connection closes
	cancel context.CancelFunc
	// stopping ends at StopAccepting or Close: no new connections or
	// streams, while those yielded carry on until Close.
	stopping      context.Context
	stopAccepting context.CancelFunc
	wg            sync.WaitGroup // the accept loops

	accepted chan net.Conn // streams, for Accept

	once sync.Once
}

// Fingerprint is the SHA-256 fingerprint of the listener's certificate, in
// the form `openssl x509 -fingerprint -sha256` prints.
func (l *Listener) Fingerprint() string { return l.fingerprint }

func (l *Listener) acceptConns() {
	for {
		qc, err := l.ln.Accept(l.stopping)
		if err != nil {
			return // the listener closed, or stopped accepting
		}
		l.wg.Go(func() { l.acceptStreams(qc) })
	}
}

// acceptStreams yields qc's streams until qc ends or the listener stops
// accepting, then keeps qc, and the streams it yielded, until qc ends or
// the listener closes.
func (l *Listener) acceptStreams(qc *quicgo.Conn) {
	for {
		st, err := qc.AcceptStream(l.stopping)
		if err != nil {
			break
		}
		s := newStream(st, qc, false)
		select {
		case l.accepted <- s:
			continue
		case <-l.stopping.Done():
			s.Close()
		}
		break
	}
	select {
	case <-l.ctx.Done():
		closeWhenQuiet(qc)
	case <-qc.Context().Done():
	}
}

// How a closing serving half lets a connection's last bytes go.
const (
	// closeLinger bounds the wait, as a socket's linger does.
	closeLinger = time.Second
	// minQuiet is the least silence that says nothing is left to send:
	// over QUIC's largest default ACK delay (25ms), so that the
	// acknowledgements owed to the peer have gone too.
	minQuiet = 50 * time.Millisecond
	// quietCheck is how often the silence is checked.
	quietCheck = 5 * time.Millisecond
)

// closeWhenQuiet closes qc (CONNECTION_CLOSE, so the client's streams end
// at once) once it has sent nothing for three probe timeouts, and at least
// minQuiet, or after closeLinger. Closing a QUIC connection drops what it
// has not delivered yet, unlike a socket's close: a server that wrote its
// last reply and closed the stream would lose the reply's unacknowledged
// packets, and quic-go says nothing of acknowledgements. A connection
// with data unacknowledged keeps sending (retransmissions, probes), so a
// silence that long means the peer has it all.
func closeWhenQuiet(qc *quicgo.Conn) {
	defer qc.CloseWithError(0, "server closed")
	giveUp := time.Now().Add(closeLinger)
	tick := time.NewTicker(quietCheck)
	defer tick.Stop()
	sent, quietSince := qc.ConnectionStats().BytesSent, time.Now()
	for time.Now().Before(giveUp) {
		select {
		case <-qc.Context().Done():
			return
		case <-tick.C:
		}
		st := qc.ConnectionStats()
		if st.BytesSent != sent {
			sent, quietSince = st.BytesSent, time.Now()
			continue
		}
		if time.Since(quietSince) >= max(3*(st.SmoothedRTT+4*st.MeanDeviation), minQuiet) {
			return
		}
	}
}

// Accept returns the next stream a client opened.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case s := <-l.accepted:
		return s, nil
	case <-l.stopping.Done():
		return nil, net.ErrClosed
	}
}

func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// StopAccepting refuses new connections and streams and leaves those
// yielded open until Close (transports.Drainer).
func (l *Listener) StopAccepting() error {
	l.stopAccepting()
	return l.ln.Close() // established connections stay up
}

// Close closes every QUIC connection, and with them every stream, once
// each has delivered what was written to it (see closeWhenQuiet), then
// the UDP socket, and waits for the accept loops.
func (l *Listener) Close() error {
	err := net.ErrClosed
	l.once.Do(func() {
		l.StopAccepting()
		l.cancel() // each acceptStreams closes its connection
		l.wg.Wait()
		l.tr.Close()
		err = l.tr.Conn.Close()
	})
	return err
}

// Call returns a calling half that dials cfg.Addr when first asked for a
// connection, verifying the server as the tls transport does.
func (t Transport) Call(ctx context.Context, cfg transports.Config) (transports.Caller, error) {
	conf, err := tls.ClientConfig(cfg)
	if err != nil {
		return nil, err
	}
	conf.NextProtos = []string{ALPN}
	addr, err := net.ResolveUDPAddr("udp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("quic: %w", err)
	}
	pc, err := net.ListenUDP("udp", nil)
	if err != nil {
		return nil, fmt.Errorf("quic: %w", err)
	}
	c := &caller{addr: addr, tls: conf, conf: t.Options.config(), tr: &quicgo.Transport{Conn: pc}, dialing: make(chan struct{}, 1)}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c, nil
}

type caller struct {
	addr *net.UDPAddr
	tls  *stdtls.Config
	conf *quicgo.Config
	tr   *quicgo.Transport

	ctx    context.Context // ends at Close
	cancel context.CancelFunc

	dialing chan struct{} // holds a token while one Conn dials or checks qc
	qc      *quicgo.Conn  // guarded by dialing; nil before the first dial
	once    sync.Once
}

// Conn opens a stream on the QUIC connection, dialling it first when there
// is none or it ended, and sends the stream's opening byte.
func (c *caller) Conn(ctx context.Context) (net.Conn, error) {
	if err := ctx.Err(); err != nil { // a select below could pick another ready case
		return nil, fmt.Errorf("quic: connecting to %s: %w", c.addr, err)
	}
	qc, err := c.connection(ctx)
	if err != nil {
		return nil, err
	}
	st, err := qc.OpenStreamSync(ctx)
	if err != nil {
		return nil, fmt.Errorf("quic: opening a stream to %s: %w", c.addr, c.closedOr(err))
	}
	s := newStream(st, qc, true)
	if _, err := st.Write([]byte{StreamOpener}); err != nil {
		s.Close()
		return nil, fmt.Errorf("quic: opening a stream to %s: %w", c.addr, c.closedOr(err))
	}
	return s, nil
}

func (c *caller) connection(ctx context.Context) (*quicgo.Conn, error) {
	select {
	case c.dialing <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("quic: connecting to %s: %w", c.addr, ctx.Err())
	case <-c.ctx.Done():
		return nil, net.ErrClosed // Close holds the token for good
	}
	defer func() { <-c.dialing }()
	if c.ctx.Err() != nil {
		return nil, net.ErrClosed
	}
	if c.qc != nil && c.qc.Context().Err() == nil {
		return c.qc, nil
	}
	dctx, stop := mergeCancel(ctx, c.ctx)
	defer stop()
	qc, err := c.tr.Dial(dctx, c.addr, c.tls, c.conf)
	if err != nil {
		return nil, fmt.Errorf("quic: connecting to %s: %w", c.addr, c.closedOr(err))
	}
	c.qc = qc
	return qc, nil
}

// mergeCancel is ctx, also cancelled when other ends.
func mergeCancel(ctx, other context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(other, cancel)
	return ctx, func() { stop(); cancel() }
}

// closedOr is net.ErrClosed once the caller is closed, err otherwise.
func (c *caller) closedOr(err error) error {
	if c.ctx.Err() != nil {
		return net.ErrClosed
	}
	return err
}

func (c *caller) Addr() net.Addr { return c.addr }

// Close closes the QUIC connection, and with it every stream yielded, and
// the UDP socket.
func (c *caller) Close() error {
	err := net.ErrClosed
	c.once.Do(func() {
		c.cancel()
		c.dialing <- struct{}{} // waits for a dial in progress, which the cancel ends
		if c.qc != nil {
			c.qc.CloseWithError(0, "client closed")
		}
		c.tr.Close()
		err = c.tr.Conn.Close()
	})
	return err
}

// stream is a QUIC stream as a net.Conn: the connection's addresses, and
// a Close that closes both directions (quic-go's only ends the sending
// one).
type stream struct {
	*quicgo.Stream
	qc *quicgo.Conn

	// opened is false on the serving side until the opening byte has been
	// read; omu is held while reading it.
	opened atomic.Bool
	omu    sync.Mutex

	closed atomic.Bool
	once   sync.Once
}

// aLongTimeAgo is a deadline that has passed: it fails blocked calls now.
var aLongTimeAgo = time.Unix(1, 0)

func newStream(st *quicgo.Stream, qc *quicgo.Conn, opened bool) *stream {
	s := &stream{Stream: st, qc: qc}
	s.opened.Store(opened)
	return s
}

func (s *stream) LocalAddr() net.Addr  { return s.qc.LocalAddr() }
func (s *stream) RemoteAddr() net.Addr { return s.qc.RemoteAddr() }

func (s *stream) Read(p []byte) (int, error) {
	if s.closed.Load() {
		return 0, s.opError("read", net.ErrClosed)
	}
	if !s.opened.Load() {
		if err := s.readOpener(); err != nil {
			return 0, s.opError("read", err)
		}
	}
	n, err := s.Stream.Read(p)
	return n, s.opError("read", err)
}

// readOpener reads and checks the stream's first byte, once; a Read that
// times out inside it leaves it for the next.
func (s *stream) readOpener() error {
	s.omu.Lock()
	defer s.omu.Unlock()
	if s.opened.Load() {
		return nil
	}
	var b [1]byte
	if _, err := s.Stream.Read(b[:]); err != nil {
		return err
	}
	if b[0] != StreamOpener {
		s.Stream.CancelRead(0)
		s.Stream.CancelWrite(0)
		return fmt.Errorf("quic: stream %d opens with byte %#x, not %#x: not an rpcbench stream", s.StreamID(), b[0], StreamOpener)
	}
	s.opened.Store(true)
	return nil
}

func (s *stream) Write(p []byte) (int, error) {
	if s.closed.Load() {
		return 0, s.opError("write", net.ErrClosed)
	}
	n, err := s.Stream.Write(p)
	return n, s.opError("write", err)
}

// opError reports err as the net package does, net.ErrClosed once the
// stream is closed; nil and io.EOF pass as they are.
func (s *stream) opError(op string, err error) error {
	if err == nil || err == io.EOF { // io.EOF unwrapped, as readers compare it
		return err
	}
	if s.closed.Load() {
		err = net.ErrClosed
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return err
	}
	return &net.OpError{Op: op, Net: "quic", Source: s.LocalAddr(), Addr: s.RemoteAddr(), Err: err}
}

// CloseWrite half-closes the stream: the other side reads EOF and can
// still reply.
func (s *stream) CloseWrite() error { return s.Stream.Close() }

// Close sends FIN after what was written, as a socket's close does, and
// stops reading: Reads blocked or to come fail with net.ErrClosed, and the
// peer is told to stop sending.
func (s *stream) Close() error {
	err := s.opError("close", net.ErrClosed)
	s.once.Do(func() {
		s.closed.Store(true)
		s.Stream.SetWriteDeadline(aLongTimeAgo) // ends a Write blocked on flow control
		s.Stream.CancelRead(0)
		// An error means the peer stopped reading (it closed its end,
		// STOP_SENDING) or the connection ended: the stream is closed
		// either way, which is all Close promises.
		s.Stream.Close()
		err = nil
	})
	return err
}
