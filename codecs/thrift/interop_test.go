package thrift_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/rpc"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/thrift/lib/go/thrift"

	"github.com/rpcbench/rpcbench/codecs/codectest"
	thriftcodec "github.com/rpcbench/rpcbench/codecs/thrift"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/service/thriftgen"
)

// strict is the configuration of the Apache Thrift peers: strict binary
// protocol both ways, as the codec speaks it.
var strict = &thrift.TConfiguration{
	TBinaryStrictRead:  thrift.BoolPtr(true),
	TBinaryStrictWrite: thrift.BoolPtr(true),
	ConnectTimeout:     10 * time.Second,
	SocketTimeout:      10 * time.Second,
}

// protocols pairs each codec with the Apache Thrift protocol it speaks.
var protocols = []struct {
	name    string
	codec   thriftcodec.Codec
	factory thrift.TProtocolFactory
}{
	{"binary", thriftcodec.Codec{}, thrift.NewTBinaryProtocolFactoryConf(strict)},
	{"compact", thriftcodec.Codec{Compact: true}, thrift.NewTCompactProtocolFactoryConf(strict)},
}

// thriftBatch and serviceBatch are the same records; each map has one key
// so that the bytes written do not depend on map order.
func thriftBatch() *thriftgen.RecordBatch {
	return &thriftgen.RecordBatch{Records: []*thriftgen.Record{
		{ID: 1, Name: "one", Score: 1.5, Flag: true, Tags: []string{"a", "b"}, Counters: map[string]int64{"x": -1}, Timestamp: 1700000000},
		{ID: -2, Name: "", Score: -0.125},
	}}
}

func serviceBatch() *service.RecordBatch {
	return &service.RecordBatch{Records: []*service.Record{
		{Id: 1, Name: "one", Score: 1.5, Flag: true, Tags: []string{"a", "b"}, Counters: map[string]int64{"x": -1}, Timestamp: 1700000000},
		{Id: -2, Name: "", Score: -0.125},
	}}
}

// TestThriftClientCallsRPCBench: Apache Thrift's generated clients, with a
// multiplexed protocol over a framed socket, call a net/rpc server that
// uses the codec.
func TestThriftClientCallsRPCBench(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			addr := serveRPCBench(t, p.codec)
			sock := thrift.NewTSocketConf(addr, strict)
			trans := thrift.NewTFramedTransportConf(sock, strict)
			if err := trans.Open(); err != nil {
				t.Fatal(err)
			}
			defer trans.Close()
			proto := p.factory.GetProtocol(trans)
			client := func(service string) thrift.TClient {
				return thrift.NewTStandardClient(proto, thrift.NewTMultiplexedProtocol(proto, service))
			}
			arith := thriftgen.NewArithClient(client("Arith"))
			echo := thriftgen.NewEchoClient(client("Echo"))
			ctx := context.Background()

			if got, err := arith.Multiply(ctx, &thriftgen.Args_{A: 6, B: 7}); err != nil || got.GetValue() != 42 {
				t.Fatalf("Multiply(6, 7) = %v, %v; want 42", got, err)
			}
			if got, err := arith.Divide(ctx, &thriftgen.Args_{A: 7, B: 2}); err != nil || got.GetQuo() != 3 || got.GetRem() != 1 {
				t.Fatalf("Divide(7, 2) = %v, %v; want 3 r 1", got, err)
			}
			_, err := arith.Divide(ctx, &thriftgen.Args_{A: 7, B: 0})
			var exc thrift.TApplicationException
			if !errors.As(err, &exc) || exc.TypeId() != thrift.INTERNAL_ERROR || !strings.Contains(exc.Error(), "division by zero") {
				t.Fatalf("Divide(7, 0) error = %v (%T); want a TApplicationException of type INTERNAL_ERROR saying division by zero", err, err)
			}
			payload := []byte("\x00hello\xff")
			if got, err := echo.Echo(ctx, &thriftgen.EchoRequest{Payload: payload}); err != nil || !bytes.Equal(got.GetPayload(), payload) {
				t.Fatalf("Echo(%q) = %v, %v; want it back", payload, got, err)
			}
			if got, err := echo.Records(ctx, thriftBatch()); err != nil || !got.Equals(thriftBatch()) {
				t.Fatalf("Records = %v, %v; want %v", got, err, thriftBatch())
			}

			nope := thriftgen.NewArithClient(client("Nope"))
			_, err = nope.Multiply(ctx, &thriftgen.Args_{A: 6, B: 7})
			if !errors.As(err, &exc) || exc.TypeId() != thrift.UNKNOWN_METHOD {
				t.Fatalf("Nope:Multiply error = %v (%T); want a TApplicationException of type UNKNOWN_METHOD", err, err)
			}
			if got, err := arith.Multiply(ctx, &thriftgen.Args_{A: -3, B: 5}); err != nil || got.GetValue() != -15 {
				t.Fatalf("after an unknown service, Multiply(-3, 5) = %v, %v; want -15 on the same connection", got, err)
			}
		})
	}
}

// serveRPCBench serves the service with codec on a loopback listener until
// the test ends, and returns its address.
func serveRPCBench(t *testing.T, codec thriftcodec.Codec) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := service.NewServer()
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { srv.ServeCodec(codec.NewServerCodec(conn)) })
		}
	})
	t.Cleanup(func() {
		l.Close()
		wg.Wait() // each connection ends when its client closes it
	})
	return l.Addr().String()
}

// TestRPCBenchCallsThriftServer: a net/rpc client using the codec calls
// Apache Thrift's own server, multiplexed processor and generated
// processors.
func TestRPCBenchCallsThriftServer(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			addr := serveThrift(t, p.factory)
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			client := rpc.NewClientWithCodec(p.codec.NewClientCodec(conn))
			defer client.Close()

			codectest.Calls(t, client)

			err = client.Call("Arith.Nope", &service.Args{}, new(service.Product))
			var se rpc.ServerError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), "Nope") {
				t.Fatalf("Arith.Nope error = %v (%T); want the Thrift server's unknown method error", err, err)
			}
			var prod service.Product
			if err := client.Call("Arith.Multiply", &service.Args{A: 6, B: 7}, &prod); err != nil || prod.GetValue() != 42 {
				t.Fatalf("after an unknown method, Arith.Multiply = %d, %v; want 42 on the same connection", prod.GetValue(), err)
			}
		})
	}
}

// serveThrift serves the service with Apache Thrift's simple server until
// the test ends, and returns its address.
func serveThrift(t *testing.T, factory thrift.TProtocolFactory) string {
	socket, err := thrift.NewTServerSocket("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := socket.Listen(); err != nil {
		t.Fatal(err)
	}
	server := thrift.NewTSimpleServer4(newProcessor(), socket, thrift.NewTFramedTransportFactoryConf(thrift.NewTTransportFactory(), strict), factory)
	served := make(chan error, 1)
	go func() { served <- server.Serve() }()
	t.Cleanup(func() {
		server.Stop() // waits for connections, which the test's clients close first
		if err := <-served; err != nil {
			t.Errorf("Thrift server: %v", err)
		}
	})
	return socket.Addr().String()
}

func newProcessor() *thrift.TMultiplexedProcessor {
	p := thrift.NewTMultiplexedProcessor()
	p.RegisterProcessor("Arith", thriftgen.NewArithProcessor(handler{}))
	p.RegisterProcessor("Echo", thriftgen.NewEchoProcessor(handler{}))
	return p
}

// handler implements the service for Apache Thrift's server.
type handler struct{}

func (handler) Multiply(_ context.Context, req *thriftgen.Args_) (*thriftgen.Product, error) {
	return &thriftgen.Product{Value: req.A * req.B}, nil
}

func (handler) Divide(_ context.Context, req *thriftgen.Args_) (*thriftgen.Quotient, error) {
	if req.B == 0 {
		return nil, service.ErrDivisionByZero
	}
	return &thriftgen.Quotient{Quo: req.A / req.B, Rem: req.A % req.B}, nil
}

func (handler) Echo(_ context.Context, req *thriftgen.EchoRequest) (*thriftgen.EchoReply, error) {
	return &thriftgen.EchoReply{Payload: req.Payload}, nil
}

func (handler) Records(_ context.Context, req *thriftgen.RecordBatch) (*thriftgen.RecordBatch, error) {
	return req, nil
}

// TestSameBytesAsThrift: for the same call and values, the codec's client
// writes exactly the request Apache Thrift's generated client writes, and
// the codec's server exactly the reply Thrift's processor writes.
func TestSameBytesAsThrift(t *testing.T) {
	ctx := context.Background()
	calls := []struct {
		method string
		args   any
		thrift func(*thriftgen.ArithClient, *thriftgen.EchoClient) error
	}{
		{"Arith.Multiply", &service.Args{A: 6, B: 7}, func(a *thriftgen.ArithClient, _ *thriftgen.EchoClient) error {
			_, err := a.Multiply(ctx, &thriftgen.Args_{A: 6, B: 7})
			return err
		}},
		{"Arith.Divide", &service.Args{A: -7, B: 2}, func(a *thriftgen.ArithClient, _ *thriftgen.EchoClient) error {
			_, err := a.Divide(ctx, &thriftgen.Args_{A: -7, B: 2})
			return err
		}},
		{"Echo.Echo", &service.EchoRequest{Payload: []byte("\x00payload\xff")}, func(_ *thriftgen.ArithClient, e *thriftgen.EchoClient) error {
			_, err := e.Echo(ctx, &thriftgen.EchoRequest{Payload: []byte("\x00payload\xff")})
			return err
		}},
		{"Echo.Records", serviceBatch(), func(_ *thriftgen.ArithClient, e *thriftgen.EchoClient) error {
			_, err := e.Records(ctx, thriftBatch())
			return err
		}},
	}
	for _, p := range protocols {
		for _, c := range calls {
			t.Run(p.name+"/"+c.method, func(t *testing.T) {
				// Apache Thrift's client numbers its first call 1.
				var sent sink
				proto := p.factory.GetProtocol(thrift.NewTFramedTransportConf(&sent, strict))
				client := func(service string) thrift.TClient {
					return thrift.NewTStandardClient(proto, thrift.NewTMultiplexedProtocol(proto, service))
				}
				c.thrift(thriftgen.NewArithClient(client("Arith")), thriftgen.NewEchoClient(client("Echo"))) // no reply to read: fails after sending
				var ours rwc
				if err := p.codec.NewClientCodec(&ours).WriteRequest(&rpc.Request{ServiceMethod: c.method, Seq: 1}, c.args); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(ours.out, sent.Bytes()) {
					t.Fatalf("request\n got % x\nwant % x (Apache Thrift's client)", ours.out, sent.Bytes())
				}

				var replied sink
				in := p.factory.GetProtocol(thrift.NewTFramedTransportConf(memory(sent.Bytes()), strict))
				out := p.factory.GetProtocol(thrift.NewTFramedTransportConf(&replied, strict))
				if ok, err := newProcessor().Process(ctx, in, out); !ok || err != nil {
					t.Fatalf("Apache Thrift's processor: %v", err)
				}
				server := rwc{in: sent.Bytes()}
				service.NewServer().ServeCodec(p.codec.NewServerCodec(&server))
				if !bytes.Equal(server.out, replied.Bytes()) {
					t.Fatalf("reply\n got % x\nwant % x (Apache Thrift's processor)", server.out, replied.Bytes())
				}
			})
		}
	}
}

func memory(b []byte) *thrift.TMemoryBuffer {
	m := thrift.NewTMemoryBuffer()
	m.Write(b)
	return m
}

// sink is a Thrift transport that keeps what is written and has nothing to
// read.
type sink struct{ bytes.Buffer }

func (s *sink) Read([]byte) (int, error)    { return 0, io.EOF }
func (s *sink) Close() error                { return nil }
func (s *sink) Flush(context.Context) error { return nil }
func (s *sink) RemainingBytes() uint64      { return 0 }
func (s *sink) Open() error                 { return nil }
func (s *sink) IsOpen() bool                { return true }

// rwc reads from in and keeps what is written in out.
type rwc struct {
	in  []byte
	out []byte
}

func (b *rwc) Read(p []byte) (int, error) {
	if len(b.in) == 0 {
		return 0, io.EOF
	}
	n := copy(p, b.in)
	b.in = b.in[n:]
	return n, nil
}

func (b *rwc) Write(p []byte) (int, error) {
	b.out = append(b.out, p...)
	return len(p), nil
}

func (b *rwc) Close() error { return nil }
