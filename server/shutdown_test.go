package server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/rpc"
	"strings"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/internal/pausing"
	"github.com/rpcbench/rpcbench/server"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/transports"
	_ "github.com/rpcbench/rpcbench/transports/all"
)

// Gate holds every Wait call until it is opened.
type Gate struct {
	arrived chan struct{}
	open    chan struct{}
}

func (g *Gate) Wait(args *service.EchoRequest, reply *service.EchoReply) error {
	g.arrived <- struct{}{}
	<-g.open
	reply.Payload = args.GetPayload()
	return nil
}

// TestShutdownFinishesCallsInFlightOverEveryTransport starts a shutdown
// while one call is being served, a second request is half sent, and a
// third connection waits between requests: the first two must be
// answered, the third closed at once, and Shutdown must wait for them.
// Before the fix, stopping the transport's listener closed every
// connection it had yielded, and both calls failed.
func TestShutdownFinishesCallsInFlightOverEveryTransport(t *testing.T) {
	codec, err := codecs.Lookup("gob")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range transports.Names() {
		t.Run(name, func(t *testing.T) {
			tr, err := transports.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			l, caller, err := transports.Pair(ctx, tr, transports.Config{Codec: codec.Name(), Insecure: true, Conns: 3})
			if err != nil {
				t.Fatal(err)
			}
			defer caller.Close()
			gate := &Gate{arrived: make(chan struct{}, 1), open: make(chan struct{})}
			rs := rpc.NewServer()
			if err := rs.Register(gate); err != nil {
				t.Fatal(err)
			}
			service.Register(rs)
			srv := &server.Server{Codec: codec, RPC: rs}
			served := make(chan error, 1)
			go func() { served <- srv.Serve(l) }()

			conn := func() net.Conn {
				c, err := caller.Conn(ctx)
				if err != nil {
					t.Fatal(err)
				}
				c.SetDeadline(time.Now().Add(20 * time.Second))
				return c
			}
			payload := bytes.Repeat([]byte("x"), 1<<20)
			// One call in flight.
			busy := rpc.NewClientWithCodec(codec.NewClientCodec(conn()))
			defer busy.Close()
			inFlight := busy.Go("Gate.Wait", &service.EchoRequest{Payload: payload}, new(service.EchoReply), nil)
			<-gate.arrived
			// One request whose body is half sent.
			pc := pausing.New(conn(), 1<<19)
			halfSent := rpc.NewClientWithCodec(codec.NewClientCodec(pc))
			defer halfSent.Close()
			// Go writes the request before it returns: it waits in the pause.
			arrived := make(chan *rpc.Call, 1)
			go halfSent.Go("Echo.Echo", &service.EchoRequest{Payload: payload}, new(service.EchoReply), arrived)
			<-pc.Paused
			// One connection between requests: a call answered first shows
			// the server has it.
			idle := rpc.NewClientWithCodec(codec.NewClientCodec(conn()))
			defer idle.Close()
			var p service.Product
			if err := idle.Call("Arith.Multiply", &service.Args{A: 6, B: 7}, &p); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "two calls in flight", func() bool { return srv.InFlight() == 2 }) // the call, and the half-sent one whose header is in

			shutdown := make(chan error, 1)
			go func() { shutdown <- srv.Shutdown(ctx) }()
			// The idle connection ends (a call may slip in before the
			// shutdown reaches it); the others do not.
			waitFor(t, "the idle connection to be closed", func() bool { return idle.Call("Arith.Multiply", &service.Args{A: 6, B: 7}, &p) != nil })
			select {
			case err := <-shutdown:
				t.Fatalf("Shutdown returned %v with a call in flight", err)
			default:
			}
			close(pc.Resume)
			close(gate.open)
			<-inFlight.Done
			for what, call := range map[string]*rpc.Call{"the call in flight": inFlight, "the half-sent request": <-arrived} {
				if call.Error != nil {
					t.Errorf("%s failed during the shutdown: %v", what, call.Error)
				} else if got := call.Reply.(*service.EchoReply).GetPayload(); len(got) != len(payload) {
					t.Errorf("%s: reply of %d bytes, want %d", what, len(got), len(payload))
				}
			}
			if err := <-shutdown; err != nil {
				t.Errorf("Shutdown: %v", err)
			}
			if err := <-served; err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
	}
}

// TestShutdownGivesUpAtItsDeadline checks that a call that never ends
// does not hold Shutdown past its context.
func TestShutdownGivesUpAtItsDeadline(t *testing.T) {
	codec, _ := codecs.Lookup("gob")
	gate := &Gate{arrived: make(chan struct{}, 1), open: make(chan struct{})}
	defer close(gate.open)
	rs := rpc.NewServer()
	rs.Register(gate)
	srv := &server.Server{Codec: codec, RPC: rs}
	l := listen(t)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	client := dial(t, codec, l.Addr().String())
	call := client.Go("Gate.Wait", &service.EchoRequest{}, new(service.EchoReply), nil)
	<-gate.arrived
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want context.DeadlineExceeded", err)
	}
	<-call.Done
	if call.Error == nil {
		t.Error("a call cut by the shutdown's deadline succeeded")
	}
	<-served
}

// TestCallsPerConnectionAreCapped sends more calls than MaxCalls on one
// connection while they all block: the server must read only MaxCalls of
// them until one is answered.
func TestCallsPerConnectionAreCapped(t *testing.T) {
	const maxCalls = 4
	codec, _ := codecs.Lookup("gob")
	gate := &Gate{arrived: make(chan struct{}, 100), open: make(chan struct{})}
	rs := rpc.NewServer()
	rs.Register(gate)
	addr, _ := start(t, codec, &server.Server{RPC: rs, MaxCalls: maxCalls})
	client := dial(t, codec, addr)
	opened := false
	defer func() {
		if !opened {
			close(gate.open)
		}
	}()
	// Each request larger than the codec's read buffer, so that the
	// server cannot hold one more, whole, without reading it.
	req := &service.EchoRequest{Payload: bytes.Repeat([]byte("z"), 16<<10)}
	var calls []*rpc.Call
	for range 3 * maxCalls {
		calls = append(calls, client.Go("Gate.Wait", req, new(service.EchoReply), nil))
	}
	for range maxCalls {
		<-gate.arrived
	}
	select {
	case <-gate.arrived:
		t.Fatalf("the server read more than MaxCalls=%d calls with none answered", maxCalls)
	case <-time.After(200 * time.Millisecond):
	}
	close(gate.open)
	opened = true
	for _, c := range calls {
		<-c.Done
		if c.Error != nil {
			t.Error(c.Error)
		}
	}
}

// TestBytesInFlightAreBudgeted checks the server's budget of request
// bytes in flight: a first request fits; a second goes past the limit,
// which one connection may do to finish the request it reads (nothing
// else could free room for it); a third must wait until replies give
// bytes back.
func TestBytesInFlightAreBudgeted(t *testing.T) {
	codec, _ := codecs.Lookup("gob")
	gate := &Gate{arrived: make(chan struct{}, 100), open: make(chan struct{})}
	rs := rpc.NewServer()
	rs.Register(gate)
	addr, _ := start(t, codec, &server.Server{RPC: rs, MaxBytesInFlight: 3 << 19})
	opened := false
	defer func() {
		if !opened {
			close(gate.open)
		}
	}()
	big := &service.EchoRequest{Payload: bytes.Repeat([]byte("x"), 1<<20)}
	var calls []*rpc.Call
	for range 2 {
		calls = append(calls, dial(t, codec, addr).Go("Gate.Wait", big, new(service.EchoReply), nil))
		<-gate.arrived
	}
	calls = append(calls, dial(t, codec, addr).Go("Gate.Wait", big, new(service.EchoReply), nil))
	select {
	case <-gate.arrived:
		t.Fatal("a third 1 MiB call was read with 2 MiB of calls unanswered and a budget of 1.5 MiB")
	case <-time.After(300 * time.Millisecond):
	}
	close(gate.open)
	opened = true
	for _, c := range calls {
		<-c.Done
		if c.Error != nil {
			t.Error(c.Error)
		}
	}
}

// TestUnreadRepliesCloseTheConnection sends calls and never reads: the
// server's reply makes no progress, and the write timeout closes the
// connection.
func TestUnreadRepliesCloseTheConnection(t *testing.T) {
	codec, _ := codecs.Lookup("gob")
	addr, _ := start(t, codec, &server.Server{WriteTimeout: 200 * time.Millisecond, MaxCalls: 8})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(4 << 10)
	cc := codec.NewClientCodec(conn)
	payload := bytes.Repeat([]byte("y"), 256<<10)
	conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	var werr error
	for i := uint64(1); i < 200 && werr == nil; i++ {
		werr = cc.WriteRequest(&rpc.Request{ServiceMethod: "Echo.Echo", Seq: i}, &service.EchoRequest{Payload: payload})
	}
	if werr == nil {
		t.Fatal("the server took 50 MiB of calls whose replies were not read without closing the connection")
	}
	if errors.Is(werr, io.EOF) || strings.Contains(werr.Error(), "i/o timeout") {
		t.Fatalf("writing: %v; want the server to close the connection", werr)
	}
}
