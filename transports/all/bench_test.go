package all_test

import (
	"fmt"
	"io"
	"net/rpc"
	"testing"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/transports"
)

var sizes = []struct {
	name string
	n    int
}{{"16B", 16}, {"64KiB", 64 << 10}}

// BenchmarkTransport measures one round trip of size bytes on each
// transport's raw connection, then an Echo.Echo call of that payload with
// gob on top, so that what a transport adds to a codec's cost shows.
func BenchmarkTransport(b *testing.B) {
	gob, err := codecs.Lookup("gob")
	if err != nil {
		b.Fatal(err)
	}
	for _, tname := range transports.Names() {
		tr, err := transports.Lookup(tname)
		if err != nil {
			b.Fatal(err)
		}
		for _, size := range sizes {
			b.Run(fmt.Sprintf("transport=%s/size=%s", tname, size.name), func(b *testing.B) {
				benchmarkRaw(b, tr, size.n)
			})
			b.Run(fmt.Sprintf("transport=%s/codec=gob/size=%s", tname, size.name), func(b *testing.B) {
				benchmarkCall(b, tr, gob, size.n)
			})
		}
	}
}

func benchmarkRaw(b *testing.B, tr transports.Transport, size int) {
	l, caller, err := transports.Pair(b.Context(), tr, config(""))
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	defer caller.Close()
	echoed := make(chan error, 1)
	go func() {
		s, err := l.Accept()
		if err != nil {
			echoed <- err
			return
		}
		defer s.Close()
		buf := make([]byte, size)
		for {
			if _, err := io.ReadFull(s, buf); err != nil {
				echoed <- nil // the client hung up
				return
			}
			if _, err := s.Write(buf); err != nil {
				echoed <- err
				return
			}
		}
	}()
	c, err := caller.Conn(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	msg, reply := make([]byte, size), make([]byte, size)
	b.SetBytes(int64(2 * size))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, reply); err != nil {
			b.Fatal(err)
		}
	}
	c.Close()
	if err := <-echoed; err != nil {
		b.Fatal(err)
	}
}

func benchmarkCall(b *testing.B, tr transports.Transport, codec codecs.Codec, size int) {
	s := serve(b, tr, codec)
	client := rpc.NewClientWithCodec(codec.NewClientCodec(s.conn(b)))
	defer client.Close()
	req := &service.EchoRequest{Payload: make([]byte, size)}
	b.SetBytes(int64(2 * size))
	b.ReportAllocs()
	for b.Loop() {
		var reply service.EchoReply
		if err := client.Call("Echo.Echo", req, &reply); err != nil {
			b.Fatal(err)
		}
	}
}
