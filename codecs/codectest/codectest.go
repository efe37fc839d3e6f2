// Package codectest is the conformance suite every rpcbench codec passes,
// in the manner of golang.org/x/net/nettest: one battery of behaviour
// tests run against any codecs.Codec. A team with a codec in its own
// module runs it in its own go test, as the built-in codecs do:
//
//	func TestConformance(t *testing.T) {
//		codectest.Run(t, func(maxMessage int) codecs.Codec { return mycodec.Codec{MaxMessage: maxMessage} })
//	}
//
// and fuzzes its decoders with FuzzServer and FuzzClient. Each test runs
// under a watchdog: a hung codec fails its test, and the connections the
// test opened are closed, instead of hanging the run.
package codectest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/rpc"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/codecs/hostile"
	"github.com/rpcbench/rpcbench/internal/watchdog"
	"github.com/rpcbench/rpcbench/service"
)

// hangLimit is how long one conformance test may run before its watchdog
// declares the codec hung, fails the test and closes its connections.
const hangLimit = 60 * time.Second

// Run runs the conformance suite. newCodec returns the codec under test with
// a message cap of maxMessage bytes (0 meaning the codec's default).
func Run(t *testing.T, newCodec func(maxMessage int) codecs.Codec) {
	tests := []struct {
		name string
		fn   func(*testing.T, func(int) codecs.Codec)
	}{
		{"every method answers correctly", testMethods},
		{"unknown service and method fail the call only", testUnknown},
		{"concurrent calls get their own replies", testConcurrent},
		{"replies with every field zero come back whole", testZeroReplies},
		{"payloads up to the cap pass and over it fail", testCap},
		{"the cap bounds what a codec reads, not what it writes", testCapReadsOnly},
		{"a truncated request ends only its connection", testTruncatedRequest},
		{"a truncated reply fails the call", testTruncatedReply},
		{"garbage ends only its connection", testGarbage},
		{"close ends pending and later calls", testClose},
		{"messages that lie about lengths or nest deep cost little", testHostile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Registered first, so it runs after every other cleanup has
			// stopped what the test started.
			ignore := goleak.IgnoreCurrent()
			t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
			arm(t)
			tt.fn(t, newCodec)
		})
	}
}

// Calls runs every method of the service over c and checks the replies and
// errors; the matrix tests run it over every transport.
func Calls(t *testing.T, c *rpc.Client) {
	t.Helper()
	var p service.Product
	if err := c.Call("Arith.Multiply", &service.Args{A: 6, B: 7}, &p); err != nil || p.GetValue() != 42 {
		t.Fatalf("Arith.Multiply(6, 7) = %d, %v; want 42", p.GetValue(), err)
	}
	p.Reset()
	if err := c.Call("Arith.Multiply", &service.Args{A: -3, B: 1 << 40}, &p); err != nil || p.GetValue() != -3<<40 {
		t.Fatalf("Arith.Multiply(-3, 1<<40) = %d, %v; want %d", p.GetValue(), err, int64(-3<<40))
	}
	var q service.Quotient
	if err := c.Call("Arith.Divide", &service.Args{A: 7, B: 2}, &q); err != nil || q.GetQuo() != 3 || q.GetRem() != 1 {
		t.Fatalf("Arith.Divide(7, 2) = %d r %d, %v; want 3 r 1", q.GetQuo(), q.GetRem(), err)
	}
	err := c.Call("Arith.Divide", &service.Args{A: 7, B: 0}, new(service.Quotient))
	if err == nil || !strings.Contains(err.Error(), "division by zero") {
		t.Fatalf("Arith.Divide(7, 0) error = %v; want one that says division by zero", err)
	}
	var se rpc.ServerError
	if !errors.As(err, &se) {
		t.Fatalf("Arith.Divide(7, 0) error %v is a %T, want rpc.ServerError: the connection must survive a failed call", err, err)
	}
	for _, n := range []int{0, 1, 16, 1 << 10, 64 << 10} {
		req := &service.EchoRequest{Payload: pattern(n)}
		var reply service.EchoReply
		if err := c.Call("Echo.Echo", req, &reply); err != nil || !bytes.Equal(reply.GetPayload(), req.Payload) {
			t.Fatalf("Echo.Echo of %d bytes = %d bytes, %v; want the same bytes back", n, len(reply.GetPayload()), err)
		}
	}
	batch := sampleBatch()
	var got service.RecordBatch
	if err := c.Call("Echo.Records", batch, &got); err != nil || !proto.Equal(&got, batch) {
		t.Fatalf("Echo.Records = %v, %v; want %v", &got, err, batch)
	}
}

func testMethods(t *testing.T, newCodec func(int) codecs.Codec) {
	s := startServer(t, newCodec(0))
	Calls(t, s.client(t, newCodec(0)))
}

func testUnknown(t *testing.T, newCodec func(int) codecs.Codec) {
	s := startServer(t, newCodec(0))
	c := s.client(t, newCodec(0))
	for _, method := range []string{"Nope.Multiply", "Arith.Nope"} {
		err := c.Call(method, &service.Args{A: 1, B: 2}, new(service.Product))
		var se rpc.ServerError
		if !errors.As(err, &se) {
			t.Errorf("Call(%q) error = %v (%T); want an rpc.ServerError from the server", method, err, err)
		}
	}
	var p service.Product
	if err := c.Call("Arith.Multiply", &service.Args{A: 6, B: 7}, &p); err != nil || p.GetValue() != 42 {
		t.Fatalf("after unknown methods, Arith.Multiply = %d, %v; want 42 on the same connection", p.GetValue(), err)
	}
}

func testConcurrent(t *testing.T, newCodec func(int) codecs.Codec) {
	const goroutines, calls = 8, 500
	s := startServer(t, newCodec(0))
	c := s.client(t, newCodec(0))
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			done := make(chan *rpc.Call, calls)
			for i := range calls {
				c.Go("Arith.Multiply", &service.Args{A: int64(g + 1), B: int64(i)}, new(service.Product), done)
			}
			for range calls {
				call := <-done
				args := call.Args.(*service.Args)
				if got := call.Reply.(*service.Product).GetValue(); call.Error != nil || got != args.A*args.B {
					errs <- fmt.Errorf("Multiply(%d, %d) = %d, %v: reply went to the wrong call", args.A, args.B, got, call.Error)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func testCap(t *testing.T, newCodec func(int) codecs.Codec) {
	const limit = 256 << 10
	s := startServer(t, newCodec(limit))
	big := newCodec(0)

	c := s.client(t, big)
	// Three quarters of the cap leaves room for base64 (json) and framing.
	under := &service.EchoRequest{Payload: pattern((limit - 1<<10) * 3 / 4)}
	var reply service.EchoReply
	if err := c.Call("Echo.Echo", under, &reply); err != nil || !bytes.Equal(reply.GetPayload(), under.Payload) {
		t.Fatalf("Echo.Echo of %d bytes under a %d-byte cap = %d bytes, %v; want it echoed", len(under.Payload), limit, len(reply.GetPayload()), err)
	}
	over := &service.EchoRequest{Payload: pattern(limit + 1)}
	if err := c.Call("Echo.Echo", over, new(service.EchoReply)); err == nil {
		t.Fatalf("Echo.Echo of %d bytes past a %d-byte server cap succeeded; want an error", len(over.Payload), limit)
	}
	s.checkServing(t, big)

	// A reply over the client's own cap fails the call on the client.
	small := s.client(t, newCodec(limit))
	if err := small.Call("Echo.Echo", over, new(service.EchoReply)); err == nil {
		t.Fatalf("Echo.Echo of %d bytes through a client capped at %d succeeded; want an error", len(over.Payload), limit)
	}
	s.checkServing(t, big)
}

// testCapReadsOnly holds every codec to codecs.Options' one rule: the cap
// is the reader's, so a capped codec writes a message over its cap (the
// peer refuses it or not by its own cap) and a peer with room reads it.
func testCapReadsOnly(t *testing.T, newCodec func(int) codecs.Codec) {
	const limit = 64 << 10
	capped, roomy := newCodec(limit), newCodec(0)
	args := &service.EchoRequest{Payload: pattern(2 * limit)}
	var rw bufferRWC
	if err := capped.NewClientCodec(&rw).WriteRequest(&rpc.Request{ServiceMethod: "Echo.Echo", Seq: 1}, args); err != nil {
		t.Fatalf("a client capped at %d bytes writing a %d-byte request: %v; want it written", limit, len(args.Payload), err)
	}
	if len(rw.out) <= limit {
		t.Fatalf("a %d-byte payload encoded to %d bytes, not over the %d-byte cap", len(args.Payload), len(rw.out), limit)
	}
	sc := roomy.NewServerCodec(&bufferRWC{in: rw.out})
	var req rpc.Request
	got := new(service.EchoRequest)
	if err := sc.ReadRequestHeader(&req); err != nil {
		t.Fatalf("a server with the default cap reading it: %v", err)
	}
	if err := sc.ReadRequestBody(got); err != nil || !bytes.Equal(got.Payload, args.Payload) {
		t.Fatalf("a server with the default cap reading it: %d bytes, %v; want the %d bytes", len(got.Payload), err, len(args.Payload))
	}

	reply := &service.EchoReply{Payload: args.Payload}
	out := bufferRWC{in: Request(roomy, 2, "Echo.Echo", &service.EchoRequest{})}
	csc := capped.NewServerCodec(&out)
	defer csc.Close()
	if err := csc.ReadRequestHeader(&req); err != nil {
		t.Fatal(err)
	}
	if err := csc.ReadRequestBody(new(service.EchoRequest)); err != nil {
		t.Fatal(err)
	}
	if err := csc.WriteResponse(&rpc.Response{ServiceMethod: req.ServiceMethod, Seq: req.Seq}, reply); err != nil {
		t.Fatalf("a server capped at %d bytes writing a %d-byte reply: %v; want it written", limit, len(reply.Payload), err)
	}
	if len(out.out) <= limit {
		t.Fatalf("a %d-byte reply encoded to %d bytes, not over the %d-byte cap", len(reply.Payload), len(out.out), limit)
	}
}

// testHostile feeds the server codec each lie and the deep message of the
// codec's own description (hostile.Describer), alone on a connection: each
// must fail that connection, allocating in proportion to the bytes sent,
// not to what they claim, and without exhausting the stack.
func testHostile(t *testing.T, newCodec func(int) codecs.Codec) {
	c := newCodec(0)
	d, ok := c.(hostile.Describer)
	if !ok {
		// Required, not skipped: a skip is silent in go test, and the
		// attack suite refuses such a codec anyway.
		t.Fatalf("%s does not describe its wire format: implement hostile.Describer (Hostile() hostile.Format, as examples/plugin/cborrpc/hostile.go does) so that its hostile-input cases can run", c.Name())
	}
	f := d.Hostile()
	cases := make(map[string][]byte)
	maps.Copy(cases, f.Lies)
	if f.Deep != nil {
		cases["nesting 100,000 levels deep"] = f.Deep
	}
	if f.Prefix != nil {
		cases["a message claiming 4 GiB"] = f.Prefix(hostile.Huge)
	}
	for _, what := range slices.Sorted(maps.Keys(cases)) {
		in := cases[what]
		var failed bool
		got := Allocated(func() {
			sc := c.NewServerCodec(&bufferRWC{in: in})
			defer sc.Close()
			for {
				var req rpc.Request
				if err := sc.ReadRequestHeader(&req); err != nil {
					failed = !errors.Is(err, io.EOF)
					return
				}
				args, _ := argsFor(req.ServiceMethod)
				if err := sc.ReadRequestBody(args); err != nil {
					failed = true
					return
				}
			}
		})
		if !failed {
			t.Errorf("%s: %d bytes that lie about %s were read as whole requests", c.Name(), len(in), what)
		}
		if limit := maxFuzzAlloc(len(in)); got > limit {
			t.Errorf("%s: reading %d bytes that lie about %s allocated %d bytes; the limit is %d", c.Name(), len(in), what, got, limit)
		}
	}
}

func testTruncatedRequest(t *testing.T, newCodec func(int) codecs.Codec) {
	c := newCodec(0)
	s := startServer(t, c)
	req := Request(c, 0, "Echo.Echo", &service.EchoRequest{Payload: pattern(100)})
	for _, cut := range []int{1, len(req) / 2, len(req) - 1} {
		// Held open mid-message: the server must still serve others.
		held := s.dialRaw(t)
		mustWrite(t, held, req[:cut])
		s.checkServing(t, c)

		// Closed mid-message: the server must close its end.
		held.(*net.TCPConn).CloseWrite()
		expectClosed(t, held)
		s.checkServing(t, c)
	}
}

func testTruncatedReply(t *testing.T, newCodec func(int) codecs.Codec) {
	c := newCodec(0)
	reply := Response(c, 0, "Arith.Multiply", &service.Args{A: 6, B: 7}, &service.Product{Value: 42}, "")
	for _, cut := range []int{0, 1, len(reply) / 2, len(reply) - 1} {
		l := listen(t)
		go func() {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			track(t, conn)
			defer conn.Close()
			conn.Read(make([]byte, 4096)) // the request, or enough of it
			conn.Write(reply[:cut])
		}()
		conn := dial(t, l.Addr().String())
		client := rpc.NewClientWithCodec(c.NewClientCodec(conn))
		err := client.Call("Arith.Multiply", &service.Args{A: 6, B: 7}, new(service.Product))
		client.Close()
		if err == nil {
			t.Fatalf("a reply cut to %d of %d bytes gave no error", cut, len(reply))
		}
	}
}

func testGarbage(t *testing.T, newCodec func(int) codecs.Codec) {
	c := newCodec(0)
	s := startServer(t, c)
	junk := [][]byte{
		[]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		bytes.Repeat([]byte{0}, 4096),
		bytes.Repeat([]byte{0xff}, 4096),
		[]byte("\x7f\xff\xff\xf0hello"),
	}
	for _, j := range junk {
		conn := s.dialRaw(t)
		mustWrite(t, conn, j)
		s.checkServing(t, c)
		conn.Close()
	}
}

func testClose(t *testing.T, newCodec func(int) codecs.Codec) {
	c := newCodec(0)

	// A call pending when the server goes away fails.
	l := listen(t)
	accepted := make(chan net.Conn, 1)
	go func() {
		conn, err := l.Accept()
		if err == nil {
			track(t, conn)
			accepted <- conn
		}
	}()
	conn := dial(t, l.Addr().String())
	client := rpc.NewClientWithCodec(c.NewClientCodec(conn))
	call := client.Go("Arith.Multiply", &service.Args{A: 6, B: 7}, new(service.Product), nil)
	server := <-accepted
	server.Close()
	if err := (<-call.Done).Error; err == nil {
		t.Fatal("a call pending when the server closed got no error")
	}

	// Calls after Close fail with rpc.ErrShutdown, and so does a second Close.
	client.Close()
	if err := client.Call("Arith.Multiply", &service.Args{A: 6, B: 7}, new(service.Product)); !errors.Is(err, rpc.ErrShutdown) {
		t.Fatalf("Call after Close = %v; want rpc.ErrShutdown", err)
	}
	if err := client.Close(); !errors.Is(err, rpc.ErrShutdown) {
		t.Fatalf("second Close = %v; want rpc.ErrShutdown", err)
	}

	// Closing the server's end of a connection fails the calls on it.
	s := startServer(t, c)
	served := s.client(t, c)
	if err := served.Call("Arith.Multiply", &service.Args{A: 6, B: 7}, new(service.Product)); err != nil {
		t.Fatal(err)
	}
	s.closeConns()
	if err := served.Call("Arith.Multiply", &service.Args{A: 6, B: 7}, new(service.Product)); err == nil {
		t.Fatal("a call after the server closed the connection succeeded")
	}
}

// dogs holds each running test's watchdog, by its *testing.T, so that
// the helpers that open connections (listen, dial, startServer) have them
// closed when it fires.
var dogs sync.Map

// arm arms t's watchdog, which fails t after hangLimit and closes the
// connections the helpers opened for it.
func arm(t *testing.T) {
	dogs.Store(t, watchdog.Arm(t, hangLimit, "codectest"))
	t.Cleanup(func() { dogs.Delete(t) })
}

// track has c closed when t's watchdog fires.
func track(t testing.TB, c io.Closer) {
	if w, ok := dogs.Load(t); ok {
		w.(*watchdog.Watchdog).Track(c)
	}
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*13 + 5)
	}
	return b
}

func sampleBatch() *service.RecordBatch {
	return &service.RecordBatch{Records: []*service.Record{
		{Id: 1, Name: "one", Score: 1.5, Flag: true, Tags: []string{"a", "b"}, Counters: map[string]int64{"x": 1, "y": -2}, Timestamp: 1700000000},
		{Id: -2, Name: "", Score: -0.125},
		{Id: 1 << 62, Name: "ünïcode ✓", Tags: []string{""}, Counters: map[string]int64{"": 0}},
	}}
}
