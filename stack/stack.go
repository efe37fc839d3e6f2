// Package stack names the ways a benchmark makes calls: a codec over
// net/rpc, a native peer (gRPC, Thrift), or the floor (raw echo of the
// same bytes). The harness drives them all through the same interface.
package stack

import (
	"context"
	"net"
	"time"

	"github.com/rpcbench/rpcbench/measure"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/service"
)

// A Stack serves the service and calls it, over connections a transport
// makes.
type Stack interface {
	// ID is the stack's identity, which labels its results.
	ID() measure.StackID
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

// A Pipeliner is a Client that keeps several calls in flight from one
// goroutine, the way its library does it best (net/rpc: Client.Go with one
// Done channel per caller; floor-mux: request ids). A Client without it is
// pipelined by Pipelined, with one connection or goroutine per call in
// flight.
type Pipeliner interface {
	Client
	// Pipeline returns one caller's pipeline of depth calls over the client.
	Pipeline(depth int) Pipeline
}

// A Pipeline is one caller's calls in flight, numbered by slot 0..depth-1.
// It is used by one goroutine: Start a call in a free slot, then Finish
// the calls as they complete, and Start again. No goroutine is made per
// call.
type Pipeline interface {
	// Start sends the call of a free slot and returns without waiting for
	// its reply; check asks for the reply to be verified.
	Start(slot int, check bool)
	// Finish waits for a call in flight to complete and returns its slot
	// and error. If wake or stop is ready first, it returns ok == false
	// and nothing completes (nil channels never are). With no call in
	// flight it only waits for wake or stop.
	Finish(wake <-chan time.Time, stop <-chan struct{}) (slot int, err error, ok bool)
	// Close ends what the pipeline started for itself; it does not close
	// the clients.
	Close()
}

// A StatsReader asks the server it calls for the server process's running
// totals (rpcbench serve answers Stats.Read), so that a run against a server
// in another process can report the server's own costs. ServerStats obeys
// ctx: a server that does not answer does not hold up the run.
type StatsReader interface {
	ServerStats(ctx context.Context) (*service.ServerStats, error)
}
