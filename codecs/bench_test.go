package codecs_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/rpc"
	"reflect"
	"testing"
	"time"

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
// codecs' differences. Beside each round trip, op=encode and op=decode
// measure one request message alone, written by the client codec and read
// by the server codec, with no connection: where a format has codecs by
// more than one library (json and json-segmentio, msgpack and
// msgpack-msgp), the library's own cost.
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
			b.Run("codec="+name+"/payload="+ps+"/op=encode", func(b *testing.B) { benchEncode(b, codec, p) })
			b.Run("codec="+name+"/payload="+ps+"/op=decode", func(b *testing.B) { benchDecode(b, codec, p) })
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
				defer cpuPerOp(b)()
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

// benchEncode measures the client codec writing p's request.
func benchEncode(b *testing.B, codec codecs.Codec, p payload.Payload) {
	cc := codec.NewClientCodec(&stream{discard: true})
	req := rpc.Request{ServiceMethod: p.Method, Seq: 1}
	b.ReportAllocs()
	defer cpuPerOp(b)()
	for b.Loop() {
		if err := cc.WriteRequest(&req, p.Args); err != nil {
			b.Fatal(err)
		}
	}
}

// benchDecode measures the server codec reading p's request, header and
// body, into a new argument as net/rpc's server does. The stream is the
// client codec's first request, then its second over and over: the first
// may carry what a stream sends once (gob's types). A server codec may
// keep a request's state until it answers it (JSON-RPC its id), so every
// answerEvery requests are answered, with the clock and the CPU count
// stopped, as net/rpc would: otherwise that state would grow all along
// and the benchmark would time its growth.
func benchDecode(b *testing.B, codec codecs.Codec, p payload.Payload) {
	w := &stream{}
	cc := codec.NewClientCodec(w)
	var msgs [2][]byte
	for i := range msgs {
		if err := cc.WriteRequest(&rpc.Request{ServiceMethod: p.Method, Seq: 1}, p.Args); err != nil {
			b.Fatal(err)
		}
		msgs[i] = bytes.Clone(w.out.Bytes())
		w.out.Reset()
	}
	sc := codec.NewServerCodec(&stream{in: msgs[0], again: msgs[1], discard: true})
	defer sc.Close()
	argType := reflect.TypeOf(p.Args).Elem()
	read := make([]rpc.Request, 0, answerEvery)
	readOne := func() {
		var req rpc.Request
		if err := sc.ReadRequestHeader(&req); err != nil {
			b.Fatal(err)
		}
		if err := sc.ReadRequestBody(reflect.New(argType).Interface()); err != nil {
			b.Fatal(err)
		}
		read = append(read, req)
	}
	answer := func() {
		for _, req := range read {
			resp := rpc.Response{ServiceMethod: req.ServiceMethod, Seq: req.Seq, Error: "answered"}
			if err := sc.WriteResponse(&resp, struct{}{}); err != nil {
				b.Fatal(err)
			}
		}
		read = read[:0]
	}
	readOne() // the first message
	answer()
	b.ReportAllocs()
	var cpu time.Duration
	b.ResetTimer()
	start := service.ReadStats().CpuNs
	for i := range b.N {
		readOne()
		if len(read) == answerEvery || i == b.N-1 {
			b.StopTimer()
			cpu += time.Duration(service.ReadStats().CpuNs - start)
			answer()
			start = service.ReadStats().CpuNs
			b.StartTimer()
		}
	}
	b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
}

// answerEvery is how many requests benchDecode reads between answering them.
const answerEvery = 4096

// cpuPerOp starts counting the process's CPU time; the function it returns
// reports it per op as cpu-ns/op. On a machine that other work shares,
// ns/op counts the time others ran too; CPU time mostly does not.
func cpuPerOp(b *testing.B) func() {
	start := service.ReadStats().CpuNs
	return func() { b.ReportMetric(float64(service.ReadStats().CpuNs-start)/float64(b.N), "cpu-ns/op") }
}

// stream is a connection with no peer: it keeps what is written to it
// (or discards it) and reads in, then again over and over.
type stream struct {
	discard   bool
	out       bytes.Buffer
	in, again []byte
}

func (s *stream) Write(p []byte) (int, error) {
	if s.discard {
		return len(p), nil
	}
	return s.out.Write(p)
}

func (s *stream) Read(p []byte) (int, error) {
	if len(s.in) == 0 {
		if len(s.again) == 0 {
			return 0, io.EOF
		}
		s.in = s.again
	}
	n := copy(p, s.in)
	s.in = s.in[n:]
	return n, nil
}

func (s *stream) Close() error { return nil }
