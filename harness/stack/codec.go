package stack

import (
	"context"
	"fmt"
	"net"
	"net/rpc"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/harness/payload"
	"github.com/rpcbench/rpcbench/harness/server"
	"github.com/rpcbench/rpcbench/service"
)

// Codec is the net/rpc stack with one codec.
type Codec struct {
	codecs.Codec
	// Token, when not empty, is sent in a login call on every new
	// connection before anything else, and the stack's own server requires
	// it (server.Server.Token).
	Token []byte
	// MaxMessage is the cap Codec reads under (codecs.Options.MaxMessage),
	// for the max-message key of the benchmark name: the codec cannot
	// say. 0 means the default, frame.DefaultMax.
	MaxMessage int
}

// loginTimeout bounds a login, which NewClient makes without a context; a
// server that does not answer one in this long will not answer calls.
const loginTimeout = 10 * time.Second

func (c Codec) Name() string { return "codec=" + c.Codec.Name() }
func (Codec) Shared() bool   { return true }

func (c Codec) Serve(l net.Listener, d *service.Delay) Server {
	s := &server.Server{Codec: c.Codec, RPC: d.NewServer(), Token: c.Token}
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
			return nil, fmt.Errorf("%s: %w", c.Name(), err)
		}
	}
	return &rpcClient{Client: client, p: p}, nil
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

// closer adapts a function to Server.
type closer func() error

func (f closer) Close() error { return f() }

func (c *rpcClient) ServerStats() (*service.ServerStats, error) {
	var s service.ServerStats
	err := c.Client.Call("Stats.Read", &service.StatsRequest{}, &s)
	return &s, err
}
