// Package stdlibpeer measures the standard library's own net/rpc codecs,
// unchanged, as peers: net/rpc's gob (rpc.ServeConn, rpc.NewClient) and
// net/rpc/jsonrpc, serving the same service. Beside rpcbench's codecs of
// the same wire formats they show what a team gets with no rpcbench code
// at all, and so what rpcbench's hardening (message caps, bounded
// allocation, panics contained) costs per call.
package stdlibpeer

import (
	"net"
	"net/rpc"
	"net/rpc/jsonrpc"

	"github.com/rpcbench/rpcbench/measure"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/stack"
)

// Gob is net/rpc with its built-in gob codec.
type Gob struct{}

func (Gob) ID() measure.StackID { return measure.PeerID("stdlib-gob") }
func (Gob) Shared() bool        { return true }

func (Gob) Serve(l net.Listener, d *service.Delay) stack.Server {
	srv := d.NewServer()
	// net/rpc has no way to stop a server: stack.ServeEach keeps the
	// connections so that Close can end them.
	return stack.ServeEach(l, func(conn net.Conn) { srv.ServeConn(conn) })
}

func (Gob) NewClient(conn net.Conn, p payload.Payload) (stack.Client, error) {
	return stack.NewRPCClient(rpc.NewClient(conn), p), nil
}

// JSON is net/rpc with net/rpc/jsonrpc's codec.
type JSON struct{}

func (JSON) ID() measure.StackID { return measure.PeerID("stdlib-json") }
func (JSON) Shared() bool        { return true }

func (JSON) Serve(l net.Listener, d *service.Delay) stack.Server {
	srv := d.NewServer()
	return stack.ServeEach(l, func(conn net.Conn) { srv.ServeCodec(jsonrpc.NewServerCodec(conn)) })
}

func (JSON) NewClient(conn net.Conn, p payload.Payload) (stack.Client, error) {
	return stack.NewRPCClient(jsonrpc.NewClient(conn), p), nil
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
