package codectest

import (
	"net/rpc"
	"testing"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/service"
)

// fuzzCalls are the calls whose encodings seed every codec's corpus.
var fuzzCalls = []struct {
	method      string
	args, reply any
}{
	{"Arith.Multiply", &service.Args{A: 6, B: 7}, &service.Product{Value: 42}},
	{"Arith.Divide", &service.Args{A: 7, B: 2}, &service.Quotient{Quo: 3, Rem: 1}},
	{"Echo.Echo", &service.EchoRequest{Payload: []byte("hello")}, &service.EchoReply{Payload: []byte("hello")}},
	{"Echo.Records", sampleBatch(), sampleBatch()},
	{"Nope.Nope", &service.Args{}, &service.Product{}},
}

// maxFuzzAlloc bounds what decoding an input of n bytes may allocate: a
// length that the input claims but does not carry must cost nothing.
func maxFuzzAlloc(n int) uint64 { return 16<<20 + 64*uint64(n) }

// FuzzServer fuzzes c's server codec with arbitrary request streams. It
// seeds the corpus with c's own encodings of every method, whole and cut;
// it fails on a panic or on an allocation out of proportion to the input.
func FuzzServer(f *testing.F, c codecs.Codec) {
	var stream []byte
	for i, fc := range fuzzCalls {
		req := Request(c, uint64(i), fc.method, fc.args)
		f.Add(req)
		f.Add(req[:len(req)/2])
		stream = append(stream, req...)
	}
	f.Add(stream)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAlloc(t, len(data), func() {
			sc := c.NewServerCodec(&bufferRWC{in: data})
			defer sc.Close()
			for {
				var req rpc.Request
				if err := sc.ReadRequestHeader(&req); err != nil {
					return
				}
				args, reply := argsFor(req.ServiceMethod)
				if err := sc.ReadRequestBody(args); err != nil {
					sc.WriteResponse(&rpc.Response{ServiceMethod: req.ServiceMethod, Seq: req.Seq, Error: err.Error()}, struct{}{})
					continue
				}
				sc.WriteResponse(&rpc.Response{ServiceMethod: req.ServiceMethod, Seq: req.Seq}, reply)
			}
		})
	})
}

// FuzzClient fuzzes c's client codec with arbitrary reply streams to the
// calls in its seed corpus, which it seeds with c's own replies.
func FuzzClient(f *testing.F, c codecs.Codec) {
	for i, fc := range fuzzCalls {
		resp := Response(c, uint64(i), fc.method, fc.args, fc.reply, "")
		f.Add(resp)
		f.Add(resp[:len(resp)/2])
		f.Add(Response(c, uint64(i), fc.method, fc.args, struct{}{}, "failed: "+fc.method))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAlloc(t, len(data), func() {
			rw := &bufferRWC{in: data}
			cc := c.NewClientCodec(rw)
			defer cc.Close()
			for i, fc := range fuzzCalls {
				if err := cc.WriteRequest(&rpc.Request{ServiceMethod: fc.method, Seq: uint64(i)}, fc.args); err != nil {
					t.Fatalf("encoding request %d: %v", i, err)
				}
			}
			for {
				var resp rpc.Response
				if err := cc.ReadResponseHeader(&resp); err != nil {
					return
				}
				var reply any
				if resp.Seq < uint64(len(fuzzCalls)) && resp.Error == "" {
					_, reply = argsFor(fuzzCalls[resp.Seq].method)
				}
				if err := cc.ReadResponseBody(reply); err != nil {
					return
				}
			}
		})
	})
}

// argsFor returns empty argument and reply values for a method, or nils for
// a method the service doesn't have (net/rpc then discards the body).
func argsFor(method string) (args, reply any) {
	args, reply, _ = service.Values(method)
	return args, reply
}

func checkAlloc(t *testing.T, n int, fn func()) {
	if got := Allocated(fn); got > maxFuzzAlloc(n) {
		t.Fatalf("decoding %d bytes allocated %d bytes; the limit is %d", n, got, maxFuzzAlloc(n))
	}
}
