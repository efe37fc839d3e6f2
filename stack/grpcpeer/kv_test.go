package grpcpeer_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/rpcbench/rpcbench/internal/poll"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/stack/grpcpeer"
)

// serveGRPC serves the gRPC peer and returns it with a ClientConn to it.
func serveGRPC(t *testing.T) (*grpcpeer.Server, *grpc.ClientConn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpcpeer.Serve(l, nil)
	t.Cleanup(func() { srv.Close() })
	conn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	cc, err := grpcpeer.Dial(conn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return srv, cc
}

func TestKVWatchStreamsEveryChange(t *testing.T) {
	srv, cc := serveGRPC(t)
	client := service.NewKVClient(cc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if _, err := client.Get(ctx, &service.KeyValue{Key: "k"}); status.Code(err) != codes.NotFound || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("Get of a key never set = %v; want NotFound", err)
	}
	watch, err := client.Watch(ctx, &service.WatchRequest{Key: "k", TimeoutMs: 10000})
	if err != nil {
		t.Fatal(err)
	}
	watching(t, srv)                                // the stream's handler is on its way
	for i, value := range []string{"a", "a", "b"} { // the repeated a wakes no one
		if got, err := client.Set(ctx, &service.KeyValue{Key: "k", Value: value}); err != nil {
			t.Fatalf("Set %d: %v", i, err)
		} else if value == "b" && got.GetVersion() != 2 {
			t.Fatalf("Set(b) = %v; want version 2", got)
		}
		if value == "a" && i == 0 {
			got, err := watch.Recv()
			if err != nil || got.GetValue() != "a" || got.GetVersion() != 1 {
				t.Fatalf("first change = %v, %v; want a at version 1", got, err)
			}
			watching(t, srv)
		}
	}
	if got, err := watch.Recv(); err != nil || got.GetValue() != "b" || got.GetVersion() != 2 {
		t.Fatalf("second change = %v, %v; want b at version 2", got, err)
	}

	quiet, err := client.Watch(ctx, &service.WatchRequest{Key: "k", TimeoutMs: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := quiet.Recv(); status.Code(err) != codes.DeadlineExceeded || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("a watch with no change for 1ms ended with %v; want DeadlineExceeded, timeout", err)
	}
}

// watching waits for srv's store to hold a watch.
func watching(t *testing.T, srv *grpcpeer.Server) {
	t.Helper()
	poll.For(t, 10*time.Second, "a watch to arrive at the store", func() bool { return srv.KV.Watching() > 0 })
}

func TestDuplexReverseCallsTheClient(t *testing.T) {
	srv, cc := serveGRPC(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	answered := make(chan error, 1)
	go func() { answered <- grpcpeer.AnswerReverse(ctx, cc, nil) }()
	r, err := srv.Reverse(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, payload := range []string{"one", "two"} {
		got, err := r.Call(ctx, &service.EchoRequest{Payload: []byte(payload)})
		if err != nil || string(got.GetPayload()) != payload {
			t.Fatalf("Reverse call = %q, %v; want %q back", got.GetPayload(), err, payload)
		}
	}
	// Unary calls the other way share the connection meanwhile.
	if got, err := service.NewEchoClient(cc).Echo(ctx, &service.EchoRequest{Payload: []byte("up")}); err != nil || string(got.GetPayload()) != "up" {
		t.Fatalf("Echo beside the reverse stream = %v, %v", got, err)
	}
	r.Close()
	if err := <-answered; err != nil {
		t.Fatalf("AnswerReverse after the server ended the stream: %v", err)
	}
}
