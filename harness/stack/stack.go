// Package stack names the ways a benchmark makes calls: a codec over
// net/rpc, a native peer (gRPC, Thrift), or the floor (raw echo of the
// same bytes). The harness drives them all through the same interface.
package stack

import (
	"context"
	"net"

	"github.com/rpcbench/rpcbench/harness/payload"
	"github.com/rpcbench/rpcbench/service"
)

// A Stack serves the service and calls it, over connections a transport
// makes.
type Stack interface {
	// Name labels results, in benchmark key=value form: "codec=msgpack",
	// "peer=grpc", "peer=floor".
	Name() string
	// Shared reports whether several callers may share one connection.
	Shared() bool
	// Serve serves calls on the connections l yields, each delayed as d
	// says, until the returned Server is closed.
	Serve(l net.Listener, d *service.Delay) Server
	// NewClient returns a client that makes p's call over conn.
	NewClient(conn net.Conn, p payload.Payload) (Client, error)
}

// A Server is a running serving side.
type Server interface {
	// Close stops serving, closes the connections and waits for them.
	Close() error
}

// A Client makes one payload's call. Call is safe for concurrent use when
// the stack is Shared.
type Client interface {
	// Call makes one call; check asks it to verify the reply.
	Call(ctx context.Context, check bool) error
	Close() error
}

// A StatsReader asks the server it calls for the server process's running
// totals (rpcbench serve answers Stats.Read), so that a run against a server
// in another process can report the server's own costs.
type StatsReader interface {
	ServerStats() (*service.ServerStats, error)
}
