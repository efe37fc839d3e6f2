package stack

import (
	"context"
	"fmt"
	"net"
	"net/rpc"
	"slices"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/measure"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/server"
	"github.com/rpcbench/rpcbench/service"
)

// Codec is the net/rpc stack with one codec. Its Name is the codec's
// ("msgpack"), so that it stands in for the codec anywhere; its ID labels
// results ("codec=msgpack").
type Codec struct {
	codecs.Codec
	// Token, when not empty, is sent in a login call on every new
	// connection before anything else, and the stack's own server requires
	// it (server.Server.Token).
	Token []byte
}

// loginTimeout bounds a login, which NewClient makes without a context; a
// server that does not answer one in this long will not answer calls.
const loginTimeout = 10 * time.Second

func (c Codec) ID() measure.StackID { return measure.CodecID(c.Codec.Name()) }

// Identity is the wire format the codec speaks and the library it
// speaks it through.
func (c Codec) Identity() codecs.Identity {
	id, _ := codecs.Identify(c.Name())
	return id
}

func (Codec) Shared() bool { return true }

// LogsIn reports whether every connection logs in first (Token), which
// benchmark names say with /auth.
func (c Codec) LogsIn() bool { return len(c.Token) > 0 }

func (c Codec) Serve(l net.Listener, d *service.Delay) Server {
	// Each connection gets its own rpc.Server over one shared service, so
	// that the KV watches a connection leaves waiting end when it closes.
	s := &server.Server{Codec: c.Codec, ConnRPC: service.New(d).ConnServer, Token: c.Token}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	return closer(func() error {
		l.Close()
		s.Shutdown(context.Background())
		return <-done
	})
}

func (c Codec) NewClient(conn net.Conn, p payload.Payload) (Client, error) {
	client := rpc.NewClientWithCodec(c.NewClientCodec(conn))
	if len(c.Token) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), loginTimeout)
		defer cancel()
		if err := server.Login(ctx, client, c.Token); err != nil {
			client.Close()
			return nil, fmt.Errorf("%s: %w", c.ID(), err)
		}
	}
	return &rpcClient{Client: client, p: p}, nil
}

// NewRPCClient returns a Client that makes p's call over client, as the
// codecs' stack does (Call, and Pipeline with net/rpc's own async calls):
// the standard library's peers (stdlibpeer) use it, so that they and the
// codecs differ only in the codec.
func NewRPCClient(client *rpc.Client, p payload.Payload) Client {
	return &rpcClient{Client: client, p: p}
}

type rpcClient struct {
	*rpc.Client
	p payload.Payload
}

// Call makes the call through Client.Go, as net/rpc's own Call does; the
// harness bounds it by closing the connection, not with ctx, which would
// cost allocations on every call.
func (c *rpcClient) Call(_ context.Context, check bool) error {
	reply := c.p.NewReply()
	if err := c.Client.Call(c.p.Method, c.p.Args, reply); err != nil {
		return err
	}
	if check {
		return c.p.Check(reply)
	}
	return nil
}

// Pipeline keeps depth calls in flight the way net/rpc's own async calls
// work: Start issues a call with Client.Go, every call of the caller
// sharing one Done channel of capacity depth (so Go never blocks on it),
// and Finish collects whichever call completes first from that channel.
// No goroutine is made per call.
func (c *rpcClient) Pipeline(depth int) Pipeline {
	return &rpcPipeline{c: c, done: make(chan *rpc.Call, depth), calls: make([]*rpc.Call, depth), check: make([]bool, depth)}
}

type rpcPipeline struct {
	c     *rpcClient
	done  chan *rpc.Call // every call's Done
	calls []*rpc.Call    // by slot, while in flight
	check []bool         // by slot
}

func (p *rpcPipeline) Start(slot int, check bool) {
	p.check[slot] = check
	p.calls[slot] = p.c.Go(p.c.p.Method, p.c.p.Args, p.c.p.NewReply(), p.done)
}

func (p *rpcPipeline) Finish(wake <-chan time.Time, stop <-chan struct{}) (int, error, bool) {
	var call *rpc.Call
	select {
	case call = <-p.done:
	case <-wake:
		return 0, nil, false
	case <-stop:
		return 0, nil, false
	}
	slot := slices.Index(p.calls, call) // depth is small: a scan beats a map
	p.calls[slot] = nil
	err := call.Error
	if err == nil && p.check[slot] {
		err = p.c.p.Check(call.Reply)
	}
	return slot, err, true
}

func (p *rpcPipeline) Close() {}

// closer adapts a function to Server.
type closer func() error

func (f closer) Close() error { return f() }

// ServerStats calls Stats.Read, giving up when ctx ends: net/rpc's Call
// has no deadline of its own, and a server that accepts and never replies
// must not hold the run (the call stays pending until the connection
// closes).
func (c *rpcClient) ServerStats(ctx context.Context) (*service.ServerStats, error) {
	var s service.ServerStats
	call := c.Client.Go("Stats.Read", &service.StatsRequest{}, &s, make(chan *rpc.Call, 1))
	select {
	case <-call.Done:
		return &s, call.Error
	case <-ctx.Done():
		return nil, fmt.Errorf("Stats.Read: %w", context.Cause(ctx))
	}
}

// WatchStyle: each Next is one KV.Watch call, re-armed by the watcher.
func (Codec) WatchStyle() string { return "long-poll KV.Watch" }

func (c *rpcClient) Set(_ context.Context, key, value string) error {
	return c.Client.Call("KV.Set", &service.KeyValue{Key: key, Value: value}, new(service.KeyValue))
}

func (c *rpcClient) Watch(_ context.Context, key string, timeout time.Duration) (Watch, error) {
	return &rpcWatch{c: c.Client, req: &service.WatchRequest{Key: key, TimeoutMs: timeout.Milliseconds()}}, nil
}

// rpcWatch long-polls: one KV.Watch call per change. The harness bounds
// a call by closing the connection, as it does Call's.
type rpcWatch struct {
	c   *rpc.Client
	req *service.WatchRequest
}

func (w *rpcWatch) Next() (string, error) {
	var kv service.KeyValue
	if err := w.c.Call("KV.Watch", w.req, &kv); err != nil {
		return "", err
	}
	return kv.GetValue(), nil
}

func (w *rpcWatch) Close() error { return nil }
