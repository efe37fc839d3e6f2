// Package grpcpeer is the gRPC peer the benchmarks compare against: grpc-go
// serving and calling the service with the same protobuf messages, either
// unary (peer=grpc) or over one bidirectional stream per caller
// (peer=grpc-stream), to show what a stream saves per call.
package grpcpeer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/rpcbench/rpcbench/codecs/frame"
	"github.com/rpcbench/rpcbench/measure"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/stack"
)

// Unary is grpc-go with one unary RPC per call. HTTP/2 multiplexes calls,
// so callers share connections.
type Unary struct{}

func (Unary) ID() measure.StackID { return measure.GRPCID() }
func (Unary) Shared() bool        { return true }

func (Unary) Serve(l net.Listener, d *service.Delay) stack.Server { return Serve(l, d) }

func (Unary) NewClient(conn net.Conn, p payload.Payload) (stack.Client, error) {
	return newClient(conn, p, func(cc *grpc.ClientConn) (func(context.Context) (any, error), error) {
		switch p.Method {
		case "Arith.Multiply":
			return unary(service.NewArithClient(cc).Multiply, p)
		case "Echo.Echo":
			return unary(service.NewEchoClient(cc).Echo, p)
		case "Echo.Records":
			return unary(service.NewEchoClient(cc).Records, p)
		}
		return nil, fmt.Errorf("grpc: payload %s calls %s, which the gRPC peer doesn't serve", p.Name, p.Method)
	})
}

// Stream is grpc-go with one bidirectional stream per client, one Send and
// one Recv per call. A stream has one caller at a time, so connections are
// not shared.
type Stream struct{}

func (Stream) ID() measure.StackID { return measure.PeerID("grpc-stream") }
func (Stream) Shared() bool        { return false }

func (Stream) Serve(l net.Listener, d *service.Delay) stack.Server { return Serve(l, d) }

func (Stream) NewClient(conn net.Conn, p payload.Payload) (stack.Client, error) {
	return newClient(conn, p, func(cc *grpc.ClientConn) (func(context.Context) (any, error), error) {
		switch p.Method {
		case "Arith.Multiply":
			return stream(service.NewArithClient(cc).MultiplyStream, p)
		case "Echo.Echo":
			return stream(service.NewEchoClient(cc).EchoStream, p)
		case "Echo.Records":
			return stream(service.NewEchoClient(cc).RecordsStream, p)
		}
		return nil, fmt.Errorf("grpc-stream: payload %s calls %s, which the gRPC peer doesn't stream", p.Name, p.Method)
	})
}

// newClient dials a client over conn and has pick choose the call that
// p's method makes through it.
func newClient(conn net.Conn, p payload.Payload, pick func(*grpc.ClientConn) (func(context.Context) (any, error), error)) (stack.Client, error) {
	cc, err := Dial(conn)
	if err != nil {
		return nil, err
	}
	call, err := pick(cc)
	if err != nil {
		cc.Close()
		return nil, err
	}
	return &client{cc: cc, call: call, check: p.Check}, nil
}

// errRedial fails grpc's attempts to reconnect: the harness made the one
// connection a client may use, and counts its bytes.
var errRedial = errors.New("grpc: the client's connection is gone and is not redialled")

// Dial returns a ClientConn over conn alone, for the service's clients
// (service.NewKVClient, service.NewDuplexClient). The passthrough target
// keeps grpc from resolving names; the dialer hands over conn once.
func Dial(conn net.Conn) (*grpc.ClientConn, error) {
	var used atomic.Bool
	dialer := func(context.Context, string) (net.Conn, error) {
		if used.Swap(true) {
			return nil, errRedial
		}
		return conn, nil
	}
	return grpc.NewClient("passthrough:///rpcbench",
		grpc.WithContextDialer(dialer),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		// grpc's default cap is 4 MiB; the codecs accept up to frame.DefaultMax.
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(frame.DefaultMax)))
}

// unary returns a call of method with p's argument.
func unary[Req, Reply any](method func(context.Context, *Req, ...grpc.CallOption) (*Reply, error), p payload.Payload) (func(context.Context) (any, error), error) {
	args, ok := p.Args.(*Req)
	if !ok {
		return nil, fmt.Errorf("grpc: payload %s has argument %T, want %T", p.Name, p.Args, args)
	}
	return func(ctx context.Context) (any, error) { return method(ctx, args) }, nil
}

// stream opens a stream with open and returns a call that sends p's
// argument on it and receives the reply. The stream lives until the
// ClientConn is closed.
func stream[Req, Reply any](open func(context.Context, ...grpc.CallOption) (grpc.BidiStreamingClient[Req, Reply], error), p payload.Payload) (func(context.Context) (any, error), error) {
	args, ok := p.Args.(*Req)
	if !ok {
		return nil, fmt.Errorf("grpc-stream: payload %s has argument %T, want %T", p.Name, p.Args, args)
	}
	s, err := open(context.Background())
	if err != nil {
		return nil, err
	}
	return func(context.Context) (any, error) {
		// Send reports a failure the server caused as io.EOF; Recv has
		// the status.
		if err := s.Send(args); err != nil && err != io.EOF {
			return nil, err
		}
		reply, err := s.Recv()
		if err == io.EOF {
			return nil, errors.New("grpc-stream: the server ended the stream")
		}
		return reply, err
	}, nil
}

type client struct {
	cc    *grpc.ClientConn
	call  func(context.Context) (any, error)
	check func(reply any) error
}

func (c *client) Call(ctx context.Context, check bool) error {
	reply, err := c.call(ctx)
	if err != nil || !check {
		return err
	}
	return c.check(reply)
}

func (c *client) Close() error { return c.cc.Close() }

// stopGrace bounds how long Close lets calls in flight finish before it
// cuts them off.
const stopGrace = time.Second

// Serve serves the service on the connections l yields, each call delayed
// as d says: Arith, Echo, KV (one store for all connections) and Duplex.
func Serve(l net.Listener, d *service.Delay) *Server {
	s := grpc.NewServer(grpc.MaxRecvMsgSize(frame.DefaultMax))
	service.RegisterArithServer(s, arith{d: d})
	service.RegisterEchoServer(s, echo{d: d})
	srv := &Server{s: s, done: make(chan struct{}), KV: service.NewKVStore(), reverse: make(chan *Reverse)}
	service.RegisterKVServer(s, kv{store: srv.KV, d: d})
	service.RegisterDuplexServer(s, duplexServer{ready: srv.reverse, stopped: srv.done})
	go func() {
		srv.err = s.Serve(l)
		close(srv.done)
	}()
	return srv
}

// Server is the gRPC peer's serving side.
type Server struct {
	// KV is the store the KV service serves.
	KV *service.KVStore

	s       *grpc.Server
	done    chan struct{} // closed when Serve has returned err
	err     error
	reverse chan *Reverse // Duplex.Reverse streams clients opened, for Server.Reverse
}

func (s *Server) Close() error {
	stopped := make(chan struct{})
	go func() {
		s.s.GracefulStop()
		close(stopped)
	}()
	t := time.NewTimer(stopGrace)
	defer t.Stop()
	select {
	case <-stopped:
	case <-t.C:
		s.s.Stop() // makes GracefulStop return
		<-stopped
	}
	<-s.done
	if errors.Is(s.err, grpc.ErrServerStopped) {
		return nil
	}
	return s.err
}

// arith and echo serve the service as package service does, each call
// delayed by d first; the streams answer each message in turn.
type arith struct {
	service.UnimplementedArithServer
	d *service.Delay
}

func (a arith) Multiply(_ context.Context, in *service.Args) (*service.Product, error) {
	a.d.Wait()
	return multiply(in), nil
}

func (a arith) Divide(_ context.Context, in *service.Args) (*service.Quotient, error) {
	a.d.Wait()
	if in.GetB() == 0 {
		return nil, status.Error(codes.InvalidArgument, service.ErrDivisionByZero.Error())
	}
	return &service.Quotient{Quo: in.GetA() / in.GetB(), Rem: in.GetA() % in.GetB()}, nil
}

func (a arith) MultiplyStream(s service.Arith_MultiplyStreamServer) error {
	return serveStream(s, a.d, multiply)
}

type echo struct {
	service.UnimplementedEchoServer
	d *service.Delay
}

func (e echo) Echo(_ context.Context, in *service.EchoRequest) (*service.EchoReply, error) {
	e.d.Wait()
	return echoBytes(in), nil
}

func (e echo) Records(_ context.Context, in *service.RecordBatch) (*service.RecordBatch, error) {
	e.d.Wait()
	return records(in), nil
}

func (e echo) EchoStream(s service.Echo_EchoStreamServer) error {
	return serveStream(s, e.d, echoBytes)
}

func (e echo) RecordsStream(s service.Echo_RecordsStreamServer) error {
	return serveStream(s, e.d, records)
}

func multiply(in *service.Args) *service.Product {
	return &service.Product{Value: in.GetA() * in.GetB()}
}

func echoBytes(in *service.EchoRequest) *service.EchoReply {
	return &service.EchoReply{Payload: in.GetPayload()}
}

func records(in *service.RecordBatch) *service.RecordBatch {
	return &service.RecordBatch{Records: in.GetRecords()}
}

// serveStream answers every message on s with f, after d's delay, until
// the client ends the stream.
func serveStream[Req, Reply any](s grpc.BidiStreamingServer[Req, Reply], d *service.Delay, f func(*Req) *Reply) error {
	for {
		in, err := s.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		d.Wait()
		if err := s.Send(f(in)); err != nil {
			return err
		}
	}
}
