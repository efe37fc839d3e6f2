// Package httpconnect is the http transport: net/rpc's HandleHTTP scheme,
// an HTTP CONNECT handshake after which the codec runs on the hijacked
// stream, so RPC can share a port and a mux with other HTTP handlers.
package httpconnect

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/rpc"
	"strings"
	"sync"
	"time"

	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/internal/connset"
	"github.com/rpcbench/rpcbench/transports/internal/handshake"
	"github.com/rpcbench/rpcbench/transports/tcp"
)

func init() { transports.MustRegister(Transport{}) }

// connected is the status line net/rpc's server answers a CONNECT with.
const connected = "200 Connected to Go RPC"

// Path is where the endpoint for codec lives: net/rpc's own path for gob
// (and for an empty name), so that rpc.DialHTTP and rpc.HandleHTTP are
// peers, and /_rpcbench_/CODEC for the others, so that a client of one
// codec reaching a server of another gets 404, not garbage.
func Path(codec string) string {
	if codec == "" || codec == "gob" {
		return rpc.DefaultRPCPath
	}
	return "/_rpcbench_/" + codec
}

// Transport is HTTP CONNECT over TCP, at Path(Config.Codec).
type Transport struct{}

func (Transport) Name() string { return "http" }

// Handler is the serving half as an http.Handler that can be mounted in
// any mux at Path(), and a net.Listener whose Accept yields the
// connections it hijacked, for an rpc.Server (or any server) to serve.
type Handler struct {
	codec, path string
	ready       chan net.Conn
	closed      chan struct{} // closed by StopAccepting, and by Close
	once        sync.Once
	conns       connset.Set
}

// NewHandler returns the endpoint for codec.
func NewHandler(codec string) *Handler {
	return &Handler{
		codec:  codec,
		path:   Path(codec),
		ready:  make(chan net.Conn),
		closed: make(chan struct{}),
	}
}

// Path is the path the handler answers on.
func (h *Handler) Path() string { return h.path }

// ServeHTTP answers a CONNECT to Path() as net/rpc does, and hands the
// hijacked connection to Accept. Any other method or path gets an error
// status with a body that says what would have worked.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case <-h.closed:
		http.Error(w, "rpcbench: this RPC endpoint is closed", http.StatusServiceUnavailable)
		return
	default:
	}
	if r.Method != http.MethodConnect {
		w.Header().Set("Allow", http.MethodConnect)
		http.Error(w, fmt.Sprintf("rpcbench: %s %s: this endpoint speaks %s net/rpc after CONNECT %s HTTP/1.0", r.Method, r.URL.Path, h.name(), h.path), http.StatusMethodNotAllowed)
		return
	}
	if r.URL.Path != h.path {
		http.Error(w, fmt.Sprintf("rpcbench: no RPC endpoint at %s; this server speaks %s at CONNECT %s", r.URL.Path, h.name(), h.path), http.StatusNotFound)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "rpcbench: cannot hijack the connection: "+err.Error(), http.StatusInternalServerError)
		return
	}
	// The deadline the server set for reading the request must not cut
	// the RPC stream short.
	conn.SetDeadline(time.Time{})
	if _, err := io.WriteString(conn, "HTTP/1.0 "+connected+"\n\n"); err != nil {
		conn.Close()
		return
	}
	tc, err := h.conns.Add(withBuffered(conn, brw.Reader))
	if err != nil {
		return
	}
	select {
	case h.ready <- tc:
	case <-h.closed:
		tc.Close()
	}
}

func (h *Handler) name() string {
	if h.codec == "" {
		return "gob"
	}
	return h.codec
}

// Accept returns the next hijacked connection.
func (h *Handler) Accept() (net.Conn, error) {
	select {
	case c := <-h.ready:
		return c, nil
	case <-h.closed:
		return nil, net.ErrClosed
	}
}

// StopAccepting stops yielding connections and leaves open those
// yielded (transports.Drainer); the handler then answers 503 Service
// Unavailable.
func (h *Handler) StopAccepting() error {
	h.once.Do(func() { close(h.closed) })
	return nil
}

// Close stops yielding connections and closes those yielded; the handler
// then answers 503 Service Unavailable.
func (h *Handler) Close() error {
	h.StopAccepting()
	h.conns.Close()
	return nil
}

// Addr is the handler's path: it does not know the server it is mounted in.
func (h *Handler) Addr() net.Addr { return pathAddr(h.path) }

type pathAddr string

func (pathAddr) Network() string  { return "http" }
func (a pathAddr) String() string { return string(a) }

// withBuffered returns c, reading first what br already took from it.
func withBuffered(c net.Conn, br *bufio.Reader) net.Conn {
	if br.Buffered() == 0 {
		return c
	}
	return &bufferedConn{Conn: c, r: io.MultiReader(io.LimitReader(br, int64(br.Buffered())), c)}
}

type bufferedConn struct {
	net.Conn
	r io.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// Serve listens on cfg.Addr (127.0.0.1:0 when empty) with an http.Server
// whose only handler is NewHandler(cfg.Codec).
func (Transport) Serve(ctx context.Context, cfg transports.Config) (net.Listener, error) {
	ln, err := tcp.Listen(ctx, cfg.Addr)
	if err != nil {
		return nil, err
	}
	l := &listener{
		Handler: NewHandler(cfg.Codec),
		addr:    ln.Addr(),
		done:    make(chan struct{}),
	}
	// A client that never finishes its request, or parks a keep-alive
	// connection after a plain GET, must not hold a goroutine and a
	// socket for ever.
	idle := cfg.IdleTimeout
	if idle <= 0 {
		idle = handshake.Timeout
	}
	l.srv = &http.Server{
		Handler:           l.Handler,
		ReadHeaderTimeout: handshake.Timeout,
		IdleTimeout:       idle,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          log.New(logWriter(cfg.Printf), "", 0),
	}
	go func() {
		defer close(l.done)
		if err := l.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			cfg.Printf("http: serving on %s: %v", l.addr, err)
		}
		l.Handler.StopAccepting() // so that Accept does not wait for ever
	}()
	return l, nil
}

// maxHeaderBytes caps a request's header: a CONNECT needs a line.
const maxHeaderBytes = 64 << 10

// logWriter hands the http.Server's own log lines (TLS and header
// errors) to the transport's Logf, which serve rate-limits.
type logWriter func(format string, args ...any)

func (w logWriter) Write(p []byte) (int, error) {
	w("http: %s", strings.TrimSpace(string(p)))
	return len(p), nil
}

type listener struct {
	*Handler
	srv      *http.Server
	addr     net.Addr
	done     chan struct{}  // closed when srv.Serve has returned
	draining sync.WaitGroup // the srv.Shutdown that StopAccepting started
}

func (l *listener) Addr() net.Addr { return l.addr }

// StopAccepting closes the server's listener and its idle keep-alive
// connections, and leaves open the connections the handler yielded
// (transports.Drainer): http.Server does not track hijacked ones.
func (l *listener) StopAccepting() error {
	l.Handler.StopAccepting()
	l.draining.Add(1)
	go func() {
		defer l.draining.Done()
		// Requests still being read end within ReadHeaderTimeout, or at
		// Close, which ends this Shutdown too.
		l.srv.Shutdown(context.Background())
	}()
	<-l.done
	return nil
}

// Close closes the server, its listener and the connections it yielded.
func (l *listener) Close() error {
	err := l.srv.Close()
	<-l.done
	l.draining.Wait()
	l.Handler.Close()
	return err
}

// Call dials cfg.Addr for each connection and sends CONNECT
// Path(cfg.Codec).
func (Transport) Call(ctx context.Context, cfg transports.Config) (transports.Caller, error) {
	if cfg.Addr == "" {
		return nil, errors.New("http: no address to dial (Config.Addr is empty)")
	}
	addr, err := net.ResolveTCPAddr("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("http: %w", err)
	}
	return &caller{addr: addr, path: Path(cfg.Codec)}, nil
}

type caller struct {
	addr  *net.TCPAddr
	path  string
	conns connset.Set
}

// Conn dials and completes the CONNECT handshake, within ctx and at most
// handshake.Timeout.
func (c *caller) Conn(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.addr.String())
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(handshake.Timeout))
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	hc, err := connect(conn, c.path)
	if !stop() && err == nil {
		err = ctx.Err()
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("http: CONNECT %s at %s: %w", c.path, c.addr, err)
	}
	conn.SetDeadline(time.Time{})
	tc, err := c.conns.Add(hc)
	if err != nil {
		return nil, err
	}
	return tc, nil
}

// connect sends the CONNECT request on conn and reads the answer, as
// net/rpc's DialHTTPPath does.
func connect(conn net.Conn, path string) (net.Conn, error) {
	if _, err := io.WriteString(conn, "CONNECT "+path+" HTTP/1.0\n\n"); err != nil {
		return nil, err
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		return nil, err
	}
	if resp.Status != connected {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		return nil, fmt.Errorf("server answered %q: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return withBuffered(conn, br), nil
}

func (c *caller) Addr() net.Addr { return c.addr }

func (c *caller) Close() error {
	c.conns.Close()
	return nil
}
