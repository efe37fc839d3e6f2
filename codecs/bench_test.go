package codecs_test

import (
	"net"
	"net/rpc"
	"testing"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/harness/payload"
	"github.com/rpcbench/rpcbench/service"
)

// BenchmarkCodec measures one codec's round trip, client and server
// together, over an in-memory pipe so that no kernel cost hides it.
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
	cc, sc := net.Pipe()
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
	})
	return client
}
