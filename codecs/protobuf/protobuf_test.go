package protobuf_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"net"
	"net/rpc"
	"runtime"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/codecs/codectest"
	"github.com/rpcbench/rpcbench/codecs/protobuf"
	"github.com/rpcbench/rpcbench/service"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) {
	codectest.Run(t, func(n int) codecs.Codec { return protobuf.Codec{MaxMessage: n} })
}

func FuzzDecodeRequest(f *testing.F)  { codectest.FuzzServer(f, protobuf.Codec{}) }
func FuzzDecodeResponse(f *testing.F) { codectest.FuzzClient(f, protobuf.Codec{}) }

// TestStream records what a client and a server exchange over loopback TCP
// and decodes it with proto.Unmarshal alone, as another library would.
func TestStream(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		conn, err := l.Accept()
		if err == nil {
			service.NewServer().ServeCodec(protobuf.NewServerCodec(conn))
		}
	})
	conn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{Conn: conn}
	client := rpc.NewClientWithCodec(protobuf.NewClientCodec(rec))
	var p service.Product
	if err := client.Call("Arith.Multiply", &service.Args{A: 6, B: 7}, &p); err != nil || p.Value != 42 {
		t.Fatalf("Arith.Multiply = %d, %v; want 42", p.Value, err)
	}
	if err := client.Call("Arith.Divide", &service.Args{A: 1}, new(service.Quotient)); err == nil {
		t.Fatal("Arith.Divide by zero succeeded")
	}
	client.Close()

	// The client's reading goroutine may still be returning from its Read.
	rec.mu.Lock()
	written, read := bytes.Clone(rec.written.Bytes()), bytes.Clone(rec.read.Bytes())
	rec.mu.Unlock()
	requests, responses := frames(t, written), frames(t, read)
	if len(requests) != 2 || len(responses) != 2 {
		t.Fatalf("got %d request and %d response frames; want 2 and 2", len(requests), len(responses))
	}
	for i, want := range []string{"Arith.Multiply", "Arith.Divide"} {
		if f := requests[i]; f.Seq != uint64(i) || f.Method != want {
			t.Errorf("request %d: seq %d method %q; want seq %d method %q", i, f.Seq, f.Method, i, want)
		}
	}
	var args service.Args
	if err := proto.Unmarshal(requests[0].Body, &args); err != nil || args.A != 6 || args.B != 7 {
		t.Errorf("request 0 body = %v, %v; want a:6 b:7", &args, err)
	}
	var product service.Product
	if err := proto.Unmarshal(responses[0].Body, &product); err != nil || product.Value != 42 || responses[0].Error != "" || responses[0].Seq != 0 {
		t.Errorf("response 0 = %v with body %v, %v; want seq 0 and value 42", responses[0], &product, err)
	}
	if f := responses[1]; f.Seq != 1 || f.Error != "division by zero" || len(f.Body) != 0 {
		t.Errorf("response 1 = %v; want seq 1, error \"division by zero\" and no body", f)
	}
}

// TestGeneric sends an untyped argument and reads the reply untyped, as
// rpcbench call does for a method it doesn't know.
func TestGeneric(t *testing.T) {
	in := map[string]any{"name": "x", "n": 1.5, "list": []any{true, nil}}
	var rw pipe
	cc := protobuf.NewClientCodec(&rw)
	if err := cc.WriteRequest(&rpc.Request{ServiceMethod: "Foreign.Probe", Seq: 3}, in); err != nil {
		t.Fatal(err)
	}
	sc := protobuf.NewServerCodec(&rw)
	var req rpc.Request
	if err := sc.ReadRequestHeader(&req); err != nil {
		t.Fatal(err)
	}
	var got any
	if err := sc.ReadRequestBody(&got); err != nil {
		t.Fatal(err)
	}
	if m, ok := got.(map[string]any); !ok || m["name"] != "x" || m["n"] != 1.5 || len(m["list"].([]any)) != 2 {
		t.Fatalf("decoded %#v; want %#v", got, in)
	}
	if err := cc.WriteRequest(&rpc.Request{ServiceMethod: "Foreign.Probe", Seq: 4}, make(chan int)); err == nil || !strings.Contains(err.Error(), "chan int") {
		t.Fatalf("WriteRequest of a chan = %v; want an error naming chan int", err)
	}
}

// TestErrorText checks that an error text which isn't UTF-8, as one quoting
// bad input may be, still makes a valid frame.
func TestErrorText(t *testing.T) {
	var rw pipe
	sc := protobuf.NewServerCodec(&rw)
	if err := sc.WriteResponse(&rpc.Response{Seq: 1, Error: "bad \xff input"}, struct{}{}); err != nil {
		t.Fatal(err)
	}
	if f := frames(t, rw.Bytes()); len(f) != 1 || f[0].Error != "bad \uFFFD input" {
		t.Fatalf("frames = %v; want one with error %q", f, "bad \uFFFD input")
	}
}

// TestEncoding checks that the codec's encoder (protoc-gen-go-vtproto's for
// the service's messages) writes proto.Marshal's bytes. Maps have at most one
// entry: both encoders write entries in map order.
func TestEncoding(t *testing.T) {
	withUnknown := &service.Args{A: 1}
	// Field 9 is unknown to Args; both encoders write it back last.
	if err := proto.Unmarshal([]byte{0x48, 0x05, 0x10, 0x02}, withUnknown); err != nil {
		t.Fatal(err)
	}
	for _, m := range []proto.Message{
		&service.Args{A: 6, B: 7},
		&service.Args{A: -1, B: math.MinInt64},
		&service.Args{},
		withUnknown,
		&service.Product{Value: math.MaxInt64},
		&service.Quotient{Quo: -3, Rem: 1},
		&service.EchoRequest{Payload: bytes.Repeat([]byte{0, 0xff}, 200)},
		&service.EchoReply{Payload: []byte{}},
		&service.RecordBatch{Records: []*service.Record{
			{Id: 1, Name: "one", Score: 1.5, Flag: true, Tags: []string{"a", "", "ünïcode ✓"}, Counters: map[string]int64{"x": -2}, Timestamp: 1700000000},
			{},
			{Score: math.Inf(-1), Counters: map[string]int64{"": 0}},
			{Name: strings.Repeat("n", 300), Counters: map[string]int64{strings.Repeat("k", 200): 1 << 62}},
		}},
		&service.RecordBatch{},
		structpb.NewStringValue("generic"),
	} {
		want, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var rw pipe
		if err := protobuf.NewClientCodec(&rw).WriteRequest(&rpc.Request{ServiceMethod: "Echo.Echo"}, m); err != nil {
			t.Fatalf("WriteRequest(%v): %v", m, err)
		}
		if f := frames(t, rw.Bytes()); len(f) != 1 || !bytes.Equal(f[0].Body, want) {
			t.Errorf("%T %v: codec wrote body %x; proto.Marshal writes %x", m, m, f[0].Body, want)
		}
	}
}

// TestEncodeAllocs checks that encoding a batch of records, maps and all,
// allocates nothing once the codec's buffers have grown.
func TestEncodeAllocs(t *testing.T) {
	batch := &service.RecordBatch{}
	for i := range 100 {
		batch.Records = append(batch.Records, &service.Record{
			Id: int64(i), Name: "record", Tags: []string{"a", "b"}, Counters: map[string]int64{"reads": 1, "writes": 2},
		})
	}
	cc := protobuf.NewClientCodec(discard{})
	req := &rpc.Request{ServiceMethod: "Echo.Records"}
	if n := testing.AllocsPerRun(10, func() {
		if err := cc.WriteRequest(req, batch); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("WriteRequest of %d records allocated %v times; want 0", len(batch.Records), n)
	}
}

// TestInvalidUTF8 checks the one thing the encoder lets through that
// proto.Marshal refuses, a string that isn't UTF-8: the server refuses it,
// failing that call only.
func TestInvalidUTF8(t *testing.T) {
	cc, sc := net.Pipe()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { service.NewServer().ServeCodec(protobuf.NewServerCodec(sc)) })
	client := rpc.NewClientWithCodec(protobuf.NewClientCodec(cc))
	defer client.Close()
	bad := &service.RecordBatch{Records: []*service.Record{{Name: "bad \xff name"}}}
	if err := client.Call("Echo.Records", bad, new(service.RecordBatch)); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Fatalf("Echo.Records of a name that isn't UTF-8 = %v; want an error about UTF-8", err)
	}
	var p service.Product
	if err := client.Call("Arith.Multiply", &service.Args{A: 6, B: 7}, &p); err != nil || p.Value != 42 {
		t.Fatalf("the next call: %d, %v; want 42", p.Value, err)
	}
}

func TestHostile(t *testing.T) {
	t.Run("a length over the cap ends the stream with both numbers", func(t *testing.T) {
		cc := protobuf.Codec{MaxMessage: 1 << 20}.NewClientCodec(&pipe{Buffer: *bytes.NewBuffer([]byte{0x00, 0x10, 0x00, 0x01, 'x'})})
		err := cc.ReadResponseHeader(new(rpc.Response))
		if err == nil || !strings.Contains(err.Error(), "1048577") || !strings.Contains(err.Error(), "1048576") {
			t.Fatalf("ReadResponseHeader = %v; want an error naming 1048577 and the cap 1048576", err)
		}
	})
	t.Run("a length of 60 MiB followed by 10 bytes allocates little", func(t *testing.T) {
		in := binary.BigEndian.AppendUint32(nil, 60<<20)
		sc := protobuf.NewServerCodec(&pipe{Buffer: *bytes.NewBuffer(append(in, make([]byte, 10)...))})
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err := sc.ReadRequestHeader(new(rpc.Request))
		runtime.ReadMemStats(&after)
		if err != io.ErrUnexpectedEOF {
			t.Errorf("ReadRequestHeader = %v; want io.ErrUnexpectedEOF", err)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
			t.Fatalf("reading 14 bytes that claim 60 MiB allocated %d bytes", got)
		}
	})
	t.Run("a body that fails to decode fails the call only", func(t *testing.T) {
		f, _ := proto.Marshal(&service.Frame{Seq: 1, Method: "Arith.Multiply", Body: []byte{0x0a, 0xff}})
		g, _ := proto.Marshal(&service.Frame{Seq: 2, Method: "Arith.Multiply"})
		var in []byte
		for _, b := range [][]byte{f, g} {
			in = append(binary.BigEndian.AppendUint32(in, uint32(len(b))), b...)
		}
		sc := protobuf.NewServerCodec(&pipe{Buffer: *bytes.NewBuffer(in)})
		var req rpc.Request
		if err := sc.ReadRequestHeader(&req); err != nil {
			t.Fatal(err)
		}
		if err := sc.ReadRequestBody(new(service.Args)); err == nil {
			t.Fatal("a body with a truncated field decoded")
		}
		if err := sc.ReadRequestHeader(&req); err != nil || req.Seq != 2 {
			t.Fatalf("the next request: seq %d, %v; want seq 2", req.Seq, err)
		}
	})
}

// frames decodes a stream of length-prefixed Frames with proto.Unmarshal.
func frames(t *testing.T, b []byte) []*service.Frame {
	t.Helper()
	var out []*service.Frame
	for len(b) > 0 {
		if len(b) < 4 {
			t.Fatalf("%d bytes left after the last frame", len(b))
		}
		n := binary.BigEndian.Uint32(b)
		if uint32(len(b)-4) < n {
			t.Fatalf("frame of %d bytes with %d left", n, len(b)-4)
		}
		f := new(service.Frame)
		if err := proto.Unmarshal(b[4:4+n], f); err != nil {
			t.Fatalf("proto.Unmarshal of a frame: %v", err)
		}
		out = append(out, f)
		b = b[4+n:]
	}
	return out
}

// recorder records what passes through a connection.
type recorder struct {
	net.Conn
	mu            sync.Mutex // guards written and read
	written, read bytes.Buffer
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	r.written.Write(p)
	r.mu.Unlock()
	return r.Conn.Write(p)
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.mu.Lock()
	r.read.Write(p[:n])
	r.mu.Unlock()
	return n, err
}

// discard is a connection that drops what is written to it.
type discard struct{}

func (discard) Read([]byte) (int, error)    { return 0, io.EOF }
func (discard) Write(p []byte) (int, error) { return len(p), nil }
func (discard) Close() error                { return nil }

// pipe is a buffer that one codec writes and another reads.
type pipe struct{ bytes.Buffer }

func (*pipe) Close() error { return nil }
