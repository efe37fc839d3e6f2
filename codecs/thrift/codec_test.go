package thrift_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net/rpc"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/thrift/lib/go/thrift"
	"google.golang.org/protobuf/proto"

	"github.com/rpcbench/rpcbench/codecs/codectest"
	thriftcodec "github.com/rpcbench/rpcbench/codecs/thrift"
	"github.com/rpcbench/rpcbench/service"
)

// frameOf builds one framed Thrift message with the protocol of codec c.
// Besides p, build gets rawLen, which writes a string or binary length as
// the protocol would, so that a length can claim more than follows it.
func frameOf(c thriftcodec.Codec, build func(p thrift.TProtocol, rawLen func(int32))) []byte {
	ctx := context.Background()
	buf := thrift.NewTMemoryBuffer()
	factory := protocols[0].factory
	if c.Compact {
		factory = protocols[1].factory
	}
	p := factory.GetProtocol(buf)
	build(p, func(n int32) {
		if c.Compact {
			buf.Write(binary.AppendUvarint(nil, uint64(uint32(n))))
		} else {
			p.WriteI32(ctx, n)
		}
	})
	p.Flush(ctx)
	return append(binary.BigEndian.AppendUint32(nil, uint32(buf.Len())), buf.Bytes()...)
}

// call writes a CALL message's header and the start of its argument.
func call(p thrift.TProtocol, name string) {
	ctx := context.Background()
	p.WriteMessageBegin(ctx, name, thrift.CALL, 1)
	p.WriteStructBegin(ctx, "")
	p.WriteFieldBegin(ctx, "", thrift.STRUCT, 1)
	p.WriteStructBegin(ctx, "")
}

// reply writes a REPLY message's header and the start of its result.
func reply(p thrift.TProtocol, seqid int32) {
	ctx := context.Background()
	p.WriteMessageBegin(ctx, "Records", thrift.REPLY, seqid)
	p.WriteStructBegin(ctx, "")
	p.WriteFieldBegin(ctx, "", thrift.STRUCT, 0)
	p.WriteStructBegin(ctx, "")
}

// hostileBodies continue a message that call or reply began, with lengths
// and counts that claim far more than the frame holds: 50 million, under the
// library's own limit (100 MB), so that only the codec's check stands
// between the claim and an allocation.
var hostileBodies = []struct {
	name string
	want string // in the error
	body func(p thrift.TProtocol, rawLen func(int32))
}{
	{"a list of records", "list of 50000000 elements", func(p thrift.TProtocol, _ func(int32)) {
		p.WriteFieldBegin(context.Background(), "", thrift.LIST, 1)
		p.WriteListBegin(context.Background(), thrift.STRUCT, 50_000_000)
	}},
	{"a map of counters", "map of 50000000 elements", func(p thrift.TProtocol, _ func(int32)) {
		ctx := context.Background()
		p.WriteFieldBegin(ctx, "", thrift.LIST, 1)
		p.WriteListBegin(ctx, thrift.STRUCT, 1)
		p.WriteStructBegin(ctx, "")
		p.WriteFieldBegin(ctx, "", thrift.MAP, 6)
		p.WriteMapBegin(ctx, thrift.STRING, thrift.I64, 50_000_000)
	}},
	{"a record's name", "string of 50000000 bytes", func(p thrift.TProtocol, rawLen func(int32)) {
		ctx := context.Background()
		p.WriteFieldBegin(ctx, "", thrift.LIST, 1)
		p.WriteListBegin(ctx, thrift.STRUCT, 1)
		p.WriteStructBegin(ctx, "")
		p.WriteFieldBegin(ctx, "", thrift.STRING, 2)
		rawLen(50_000_000)
	}},
	{"a negative string length", "string of", func(p thrift.TProtocol, rawLen func(int32)) {
		ctx := context.Background()
		p.WriteFieldBegin(ctx, "", thrift.LIST, 1)
		p.WriteListBegin(ctx, thrift.STRUCT, 1)
		p.WriteStructBegin(ctx, "")
		p.WriteFieldBegin(ctx, "", thrift.STRING, 2)
		rawLen(-1)
	}},
	{"a list of tags in a field that is skipped", "list of 50000000 elements", func(p thrift.TProtocol, _ func(int32)) {
		p.WriteFieldBegin(context.Background(), "", thrift.LIST, 9)
		p.WriteListBegin(context.Background(), thrift.STRING, 50_000_000)
	}},
}

// TestHostileRequest: a request whose lengths claim more than its frame
// holds fails that call, without allocating for the claim, and the next
// request on the connection is read as usual.
func TestHostileRequest(t *testing.T) {
	for _, p := range protocols {
		valid := frameOf(p.codec, func(pr thrift.TProtocol, _ func(int32)) {
			call(pr, "Echo:Records")
			closeCall(pr)
		})
		for _, h := range hostileBodies {
			t.Run(p.name+"/"+h.name, func(t *testing.T) {
				bad := frameOf(p.codec, func(pr thrift.TProtocol, rawLen func(int32)) {
					call(pr, "Echo:Records")
					h.body(pr, rawLen)
				})
				sc := p.codec.NewServerCodec(&rwc{in: append(bad, valid...)})
				var req rpc.Request
				if err := sc.ReadRequestHeader(&req); err != nil || req.ServiceMethod != "Echo.Records" {
					t.Fatalf("ReadRequestHeader = %q, %v; want Echo.Records", req.ServiceMethod, err)
				}
				var err error
				alloc := codectest.Allocated(func() { err = sc.ReadRequestBody(new(service.RecordBatch)) })
				if err == nil || !strings.Contains(err.Error(), h.want) {
					t.Fatalf("ReadRequestBody error = %v; want one that says %q", err, h.want)
				}
				if alloc > 64<<10 {
					t.Errorf("ReadRequestBody allocated %d bytes for a %d-byte frame", alloc, len(bad))
				}
				if err := sc.ReadRequestHeader(&req); err != nil {
					t.Fatalf("the next request's header: %v; want it read", err)
				}
				if err := sc.ReadRequestBody(new(service.RecordBatch)); err != nil {
					t.Fatalf("the next request's body: %v; want it read", err)
				}
			})
		}
	}
}

// closeCall ends what call began, with an empty batch as the argument.
func closeCall(p thrift.TProtocol) {
	ctx := context.Background()
	p.WriteFieldStop(ctx)
	p.WriteStructEnd(ctx)
	p.WriteFieldEnd(ctx)
	p.WriteFieldStop(ctx)
	p.WriteStructEnd(ctx)
	p.WriteMessageEnd(ctx)
}

// TestHostileReply: the same claims in a reply fail that call only.
func TestHostileReply(t *testing.T) {
	for _, p := range protocols {
		valid := frameOf(p.codec, func(pr thrift.TProtocol, _ func(int32)) {
			reply(pr, 2)
			closeCall(pr)
		})
		for _, h := range hostileBodies {
			t.Run(p.name+"/"+h.name, func(t *testing.T) {
				bad := frameOf(p.codec, func(pr thrift.TProtocol, rawLen func(int32)) {
					reply(pr, 1)
					h.body(pr, rawLen)
				})
				cc := p.codec.NewClientCodec(&rwc{in: append(bad, valid...)})
				for seq := range uint64(3) {
					if err := cc.WriteRequest(&rpc.Request{ServiceMethod: "Echo.Records", Seq: seq}, &service.RecordBatch{}); err != nil {
						t.Fatal(err)
					}
				}
				var resp rpc.Response
				if err := cc.ReadResponseHeader(&resp); err != nil || resp.Seq != 1 {
					t.Fatalf("ReadResponseHeader = seq %d, %v; want seq 1", resp.Seq, err)
				}
				var err error
				alloc := codectest.Allocated(func() { err = cc.ReadResponseBody(new(service.RecordBatch)) })
				if err == nil || !strings.Contains(err.Error(), h.want) {
					t.Fatalf("ReadResponseBody error = %v; want one that says %q", err, h.want)
				}
				if alloc > 64<<10 {
					t.Errorf("ReadResponseBody allocated %d bytes for a %d-byte frame", alloc, len(bad))
				}
				if err := cc.ReadResponseHeader(&resp); err != nil || resp.Seq != 2 {
					t.Fatalf("the next reply's header = seq %d, %v; want seq 2", resp.Seq, err)
				}
				if err := cc.ReadResponseBody(new(service.RecordBatch)); err != nil {
					t.Fatalf("the next reply's body: %v; want it read", err)
				}
			})
		}
	}
}

// TestBrokenFrames: a frame that can't be read ends the connection, with
// an error that says why, and costs only the bytes that arrived.
func TestBrokenFrames(t *testing.T) {
	for _, p := range protocols {
		notCall := frameOf(p.codec, func(pr thrift.TProtocol, _ func(int32)) {
			reply(pr, 1)
			closeCall(pr)
		})
		tests := []struct {
			name  string
			input []byte
			want  string
		}{
			{"a frame over the cap", []byte{0xff, 0xff, 0xff, 0xff, 0x80}, "thrift: message of 4294967295 bytes exceeds limit 67108864"},
			{"a frame that claims 60 MiB and ends", append([]byte{0x03, 0xc0, 0, 0}, "0123456789"...), io.ErrUnexpectedEOF.Error()},
			{"a frame that is not a Thrift message", append([]byte{0, 0, 0, 5}, "hello"...), "reading message header"},
			{"a message that is not a call", notCall, "has message type 2, want CALL"},
		}
		for _, tt := range tests {
			t.Run(p.name+"/"+tt.name, func(t *testing.T) {
				sc := p.codec.NewServerCodec(&rwc{in: tt.input})
				var err error
				alloc := codectest.Allocated(func() { err = sc.ReadRequestHeader(new(rpc.Request)) })
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("ReadRequestHeader error = %v; want one that says %q", err, tt.want)
				}
				if alloc > 1<<20 { // frame.Read's first chunk: a little, where the claim is 60 MiB
					t.Errorf("ReadRequestHeader allocated %d bytes for %d bytes of input", alloc, len(tt.input))
				}
			})
		}
	}
}

// TestNotTStruct: a value without Thrift's methods fails its call with an
// error naming the method and the type.
func TestNotTStruct(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			cc := p.codec.NewClientCodec(&rwc{})
			err := cc.WriteRequest(&rpc.Request{ServiceMethod: "Foo.Bar", Seq: 1}, map[string]any{"a": 1})
			if err == nil || !strings.Contains(err.Error(), "Foo.Bar") || !strings.Contains(err.Error(), "map[string]interface {}") {
				t.Fatalf("WriteRequest of a map = %v; want an error naming Foo.Bar and the type", err)
			}
			request := frameOf(p.codec, func(pr thrift.TProtocol, _ func(int32)) {
				call(pr, "Foo:Bar")
				closeCall(pr)
			})
			sc := p.codec.NewServerCodec(&rwc{in: request})
			if err := sc.ReadRequestHeader(new(rpc.Request)); err != nil {
				t.Fatal(err)
			}
			var v any
			err = sc.ReadRequestBody(&v)
			if err == nil || !strings.Contains(err.Error(), "Foo.Bar") || !strings.Contains(err.Error(), "*interface {}") {
				t.Fatalf("ReadRequestBody into a *any = %v; want an error naming Foo.Bar and the type", err)
			}
		})
	}
}

// TestCodecAllocations: the codecs reuse their buffers and protocols and
// the message names they have read, so a whole call, client and server,
// allocates only what the argument and the reply hold: nothing for Arith's
// numbers, a copy of the payload each way for a 1 KiB Echo (the frame
// buffer it was read from is reused for the next frame).
func TestCodecAllocations(t *testing.T) {
	payload := bytes.Repeat([]byte{'x'}, 1024)
	calls := []struct {
		name, method string
		args, reply  thrift.TStruct
		allocs       float64
	}{
		{"Arith.Multiply", "Arith.Multiply", &service.Args{A: 6, B: 7}, &service.Product{Value: 42}, 0},
		{"Echo.Echo of 1 KiB", "Echo.Echo", &service.EchoRequest{Payload: payload}, &service.EchoReply{Payload: payload}, 2},
	}
	for _, p := range protocols {
		for _, c := range calls {
			t.Run(p.name+"/"+c.name, func(t *testing.T) {
				client := p.codec.NewClientCodec(&loop{b: codectest.Response(p.codec, 1, c.method, c.args, c.reply, "")})
				server := p.codec.NewServerCodec(&loop{b: codectest.Request(p.codec, 1, c.method, c.args)})
				argsRead := reflect.New(reflect.TypeOf(c.args).Elem()).Interface()
				replyRead := reflect.New(reflect.TypeOf(c.reply).Elem()).Interface()
				var (
					req         rpc.Request
					resp        rpc.Response
					clientCall  = rpc.Request{ServiceMethod: c.method, Seq: 1}
					serverReply rpc.Response
				)
				n := testing.AllocsPerRun(100, func() {
					mustNot(t, client.WriteRequest(&clientCall, c.args))
					mustNot(t, server.ReadRequestHeader(&req))
					mustNot(t, server.ReadRequestBody(argsRead))
					serverReply = rpc.Response{ServiceMethod: req.ServiceMethod, Seq: req.Seq}
					mustNot(t, server.WriteResponse(&serverReply, c.reply))
					mustNot(t, client.ReadResponseHeader(&resp))
					mustNot(t, client.ReadResponseBody(replyRead))
				})
				if n != c.allocs || !proto.Equal(replyRead.(proto.Message), c.reply.(proto.Message)) {
					t.Fatalf("a call through both codecs: %v allocations, reply %v; want %v, %v", n, replyRead, c.allocs, c.reply)
				}
			})
		}
	}
}

func mustNot(t *testing.T, err error) {
	if err != nil {
		t.Fatal(err)
	}
}

// loop reads b over and over and discards what is written.
type loop struct {
	b   []byte
	off int
}

func (l *loop) Read(p []byte) (int, error) {
	n := copy(p, l.b[l.off:])
	l.off = (l.off + n) % len(l.b)
	return n, nil
}

func (l *loop) Write(p []byte) (int, error) { return len(p), nil }
func (l *loop) Close() error                { return nil }

// TestPayloadsOutliveTheFrame: a binary value read from a frame is a copy,
// not a view of the frame buffer, which the next message overwrites.
func TestPayloadsOutliveTheFrame(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			first, second := []byte("first payload"), []byte("SECOND PAYLOAD")
			replies := append(
				codectest.Response(p.codec, 0, "Echo.Echo", &service.EchoRequest{}, &service.EchoReply{Payload: first}, ""),
				codectest.Response(p.codec, 1, "Echo.Echo", &service.EchoRequest{}, &service.EchoReply{Payload: second}, "")...)
			cc := p.codec.NewClientCodec(&rwc{in: replies})
			got := make([]service.EchoReply, 2)
			for seq := range uint64(2) {
				mustNot(t, cc.WriteRequest(&rpc.Request{ServiceMethod: "Echo.Echo", Seq: seq}, &service.EchoRequest{}))
			}
			for i := range got {
				mustNot(t, cc.ReadResponseHeader(new(rpc.Response)))
				mustNot(t, cc.ReadResponseBody(&got[i]))
			}
			if string(got[0].Payload) != string(first) || string(got[1].Payload) != string(second) {
				t.Fatalf("payloads %q, %q; want %q, %q", got[0].Payload, got[1].Payload, first, second)
			}
		})
	}
}

// TestCapBoundsReadsOnly: a capped server writes a reply over its own cap
// (codecs.Options: the cap is the reader's), and a client with the default
// cap reads it.
func TestCapBoundsReadsOnly(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			capped := p.codec
			capped.MaxMessage = 1 << 10
			server := &rwc{in: codectest.Request(capped, 5, "Echo.Echo", &service.EchoRequest{})}
			sc := capped.NewServerCodec(server)
			var req rpc.Request
			mustNot(t, sc.ReadRequestHeader(&req))
			mustNot(t, sc.ReadRequestBody(new(service.EchoRequest)))
			big := &service.EchoReply{Payload: make([]byte, 2<<10)}
			mustNot(t, sc.WriteResponse(&rpc.Response{ServiceMethod: req.ServiceMethod, Seq: req.Seq}, big))

			cc := p.codec.NewClientCodec(&rwc{in: server.out})
			mustNot(t, cc.WriteRequest(&rpc.Request{ServiceMethod: "Echo.Echo", Seq: 5}, &service.EchoRequest{}))
			var resp rpc.Response
			mustNot(t, cc.ReadResponseHeader(&resp))
			var got service.EchoReply
			mustNot(t, cc.ReadResponseBody(&got))
			if resp.Seq != 5 || resp.Error != "" || len(got.Payload) != len(big.Payload) {
				t.Fatalf("reply = seq %d, error %q, %d bytes; want seq 5 and the %d bytes", resp.Seq, resp.Error, len(got.Payload), len(big.Payload))
			}
		})
	}
}
