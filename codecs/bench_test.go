package codecs_test

import (
	"context"
	"net"
	"net/rpc"
	"testing"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/pipe"
)

// BenchmarkCodec measures one codec's round trip, client and server
// together, over the pipe transport (transports/pipe), so that no kernel
// cost hides it: its buffered pipe costs ~0.7 µs a raw round trip where
// net.Pipe's synchronous one costs 2-4 µs, which would swamp the smaller
// codecs' differences.
func BenchmarkCodec(b *testing.B) {
	payloads := []string{"arith", "bytes:16", "bytes:1KiB", "bytes:64KiB", "records:100"}
	for _, name := range codecs.Names() {
		codec, err := codecs.Lookup(name)
		if err != nil {
			b.Fatal(err)
		}
		for _, ps := range payloads {
			p, err := payload.Parse(ps)
			if err != nil {
				b.Fatal(err)
			}
			b.Run("codec="+name+"/payload="+ps, func(b *testing.B) {
				client := pipeClient(b, codec)
				reply := p.NewReply()
				if err := client.Call(p.Method, p.Args, reply); err != nil {
					b.Fatal(err)
				}
				if err := p.Check(reply); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if err := client.Call(p.Method, p.Args, p.NewReply()); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func pipeClient(b *testing.B, codec codecs.Codec) *rpc.Client {
	ctx := context.Background()
	l, caller, err := transports.Pair(ctx, pipe.Transport{}, transports.Config{})
	if err != nil {
		b.Fatal(err)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		defer close(accepted)
		if sc, err := l.Accept(); err == nil {
			accepted <- sc
		}
	}()
	cc, err := caller.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	sc, ok := <-accepted
	if !ok {
		b.Fatal("pipe: the serving half yielded no connection")
	}
	srv := service.NewServer()
	done := make(chan struct{})
	go func() {
		srv.ServeCodec(codec.NewServerCodec(sc))
		close(done)
	}()
	client := rpc.NewClientWithCodec(codec.NewClientCodec(cc))
	b.Cleanup(func() {
		client.Close()
		<-done
		caller.Close()
		l.Close()
	})
	return client
}
