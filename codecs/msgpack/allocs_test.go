package msgpack_test

import (
	"io"
	"net"
	"net/rpc"
	"strings"
	"sync"
	"testing"

	"github.com/rpcbench/rpcbench/codecs/msgpack"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/service"
)

// roundTripAllocs returns the allocations of one call of p, client and
// server together, over net.Pipe with the given codecs.
func roundTripAllocs(t *testing.T, p payload.Payload, client func(io.ReadWriteCloser) *rpc.Client, serve func(*rpc.Server, io.ReadWriteCloser)) float64 {
	c, s := net.Pipe()
	var wg sync.WaitGroup
	wg.Go(func() { serve(service.NewServer(), s) })
	cl := client(c)
	defer func() {
		cl.Close()
		wg.Wait()
	}()
	call := func() any {
		reply := p.NewReply()
		if err := cl.Call(p.Method, p.Args, reply); err != nil {
			t.Fatal(err)
		}
		return reply
	}
	// The first call also fills buffers and type caches.
	if err := p.Check(call()); err != nil {
		t.Fatal(err)
	}
	return testing.AllocsPerRun(500, func() { call() })
}

// The codec costs at most two allocations per call more than net/rpc's own
// gob on byte payloads (the brief's budget), no more than gob on records,
// and the numbers are logged for every payload.
func TestAllocsVersusGob(t *testing.T) {
	for _, name := range payload.Examples() {
		p, err := payload.Parse(name)
		if err != nil {
			t.Fatal(err)
		}
		gob := roundTripAllocs(t, p, rpc.NewClient, (*rpc.Server).ServeConn)
		mp := roundTripAllocs(t, p,
			func(c io.ReadWriteCloser) *rpc.Client { return rpc.NewClientWithCodec(msgpack.NewClientCodec(c)) },
			func(s *rpc.Server, c io.ReadWriteCloser) { s.ServeCodec(msgpack.NewServerCodec(c)) })
		t.Logf("%-12s gob %6.1f allocs/call, msgpack %6.1f", name, gob, mp)
		if strings.HasPrefix(name, "bytes:") && mp > gob+2 {
			t.Errorf("%s: msgpack %.1f allocs per call, gob %.1f; want at most gob+2", name, mp, gob)
		}
		if strings.HasPrefix(name, "records:") && mp > gob {
			t.Errorf("%s: msgpack %.1f allocs per call, gob %.1f; want no more than gob", name, mp, gob)
		}
	}
}
