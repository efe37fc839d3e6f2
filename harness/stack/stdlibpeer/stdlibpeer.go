// Package stdlibpeer measures the standard library's own net/rpc codecs,
// unchanged, as peers: net/rpc's gob (rpc.ServeConn, rpc.NewClient) and
// net/rpc/jsonrpc, serving the same service. Beside rpcbench's codecs of
// the same wire formats they show what a team gets with no rpcbench code
// at all, and so what rpcbench's hardening (message caps, bounded
// allocation, panics contained) costs per call.
package stdlibpeer

import (
	"io"
	"net"
	"net/rpc"
	"net/rpc/jsonrpc"
	"sync"

	"github.com/rpcbench/rpcbench/harness/payload"
	"github.com/rpcbench/rpcbench/harness/stack"
	"github.com/rpcbench/rpcbench/service"
)

// Gob is net/rpc with its built-in gob codec.
type Gob struct{}

func (Gob) ID() stack.ID { return stack.PeerID("stdlib-gob") }
func (Gob) Shared() bool { return true }

func (Gob) Serve(l net.Listener, d *service.Delay) stack.Server {
	srv := d.NewServer()
	return serve(l, srv.ServeConn)
}

func (Gob) NewClient(conn net.Conn, p payload.Payload) (stack.Client, error) {
	return stack.NewRPCClient(rpc.NewClient(conn), p), nil
}

// JSON is net/rpc with net/rpc/jsonrpc's codec.
type JSON struct{}

func (JSON) ID() stack.ID { return stack.PeerID("stdlib-json") }
func (JSON) Shared() bool { return true }

func (JSON) Serve(l net.Listener, d *service.Delay) stack.Server {
	srv := d.NewServer()
	return serve(l, func(conn io.ReadWriteCloser) { srv.ServeCodec(jsonrpc.NewServerCodec(conn)) })
}

func (JSON) NewClient(conn net.Conn, p payload.Payload) (stack.Client, error) {
	return stack.NewRPCClient(jsonrpc.NewClient(conn), p), nil
}

// server accepts connections and serves each with serveConn, as
// rpc.Server.Accept does, but keeps them so that Close can end them:
// net/rpc has no way to stop a server.
type server struct {
	l  net.Listener
	wg sync.WaitGroup // the accept loop and one per connection

	mu    sync.Mutex // guards conns
	conns map[net.Conn]struct{}
}

// serve runs serveConn, which returns when its connection is done, on
// every connection l yields until the returned server is closed.
func serve(l net.Listener, serveConn func(io.ReadWriteCloser)) *server {
	s := &server{l: l, conns: make(map[net.Conn]struct{})}
	s.wg.Go(func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[conn] = struct{}{}
			s.mu.Unlock()
			s.wg.Go(func() {
				serveConn(conn) // closes conn when the caller goes away
				s.mu.Lock()
				delete(s.conns, conn)
				s.mu.Unlock()
			})
		}
	})
	return s
}

// Close stops accepting, closes every connection and waits for their
// goroutines: closing a connection ends net/rpc's read loop on it.
func (s *server) Close() error {
	err := s.l.Close()
	s.mu.Lock()
	for conn := range s.conns {
		conn.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// WatchStyle: as the codecs, one KV.Watch call per change; but net/rpc's
// own server has no per-connection context, so a watch whose connection
// closes waits out its timeout on the server.
func (Gob) WatchStyle() string {
	return "long-poll KV.Watch (abandoned watches wait out their timeout)"
}

// WatchStyle: see Gob's.
func (JSON) WatchStyle() string {
	return "long-poll KV.Watch (abandoned watches wait out their timeout)"
}
