package grpcpeer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/stack"
)

// kv serves service.KV over gRPC: Set and Get unary, Watch as the natural
// gRPC watch, a server stream of every change.
type kv struct {
	service.UnimplementedKVServer
	store *service.KVStore
	d     *service.Delay
}

func (k kv) Set(_ context.Context, in *service.KeyValue) (*service.KeyValue, error) {
	k.d.Wait()
	got, err := k.store.Set(in.GetKey(), in.GetValue())
	if err != nil {
		return nil, status.Error(codes.ResourceExhausted, err.Error())
	}
	return got, nil
}

func (k kv) Get(_ context.Context, in *service.KeyValue) (*service.KeyValue, error) {
	k.d.Wait()
	got, err := k.store.Get(in.GetKey())
	if err != nil {
		return nil, status.Error(codes.NotFound, err.Error())
	}
	return got, nil
}

// Watch sends every change of the key from the moment the stream opens,
// the latest value when several came while a send was in progress. With
// timeout_ms set, the stream ends with DeadlineExceeded ("timeout") once
// no change has come for that long; it also ends when the client cancels.
func (k kv) Watch(in *service.WatchRequest, s grpc.ServerStreamingServer[service.KeyValue]) error {
	k.d.Wait()
	if in.GetTimeoutMs() < 0 {
		return status.Errorf(codes.InvalidArgument, "kv: watch of key %q: negative timeout_ms %d", in.GetKey(), in.GetTimeoutMs())
	}
	timeout := service.WatchTimeout(in.GetTimeoutMs())
	after := k.store.Version(in.GetKey())
	for {
		ctx, cancel := s.Context(), context.CancelFunc(func() {})
		if timeout > 0 {
			ctx, cancel = context.WithTimeoutCause(ctx, timeout, service.ErrWatchTimeout)
		}
		got, err := k.store.Next(ctx, in.GetKey(), after)
		timedOut := errors.Is(context.Cause(ctx), service.ErrWatchTimeout)
		cancel()
		switch {
		case timedOut:
			return status.Errorf(codes.DeadlineExceeded, "kv: watch of key %q: no change for %v: %v", in.GetKey(), timeout, service.ErrWatchTimeout)
		case err != nil:
			return status.FromContextError(err).Err()
		}
		if err := s.Send(got); err != nil {
			return err
		}
		after = got.GetVersion()
	}
}

// duplexServer hands every Duplex.Reverse stream a client opens to
// Server.Reverse, and holds it open until the client or the Reverse ends it.
type duplexServer struct {
	service.UnimplementedDuplexServer
	ready   chan<- *Reverse
	stopped <-chan struct{}
}

func (d duplexServer) Reverse(s grpc.BidiStreamingServer[service.EchoReply, service.EchoRequest]) error {
	r := &Reverse{s: s, closed: make(chan struct{})}
	select {
	case d.ready <- r:
	case <-s.Context().Done():
		return status.FromContextError(s.Context().Err()).Err()
	case <-d.stopped:
		return nil
	}
	select {
	case <-s.Context().Done():
	case <-r.closed:
	case <-d.stopped:
	}
	return nil
}

// Reverse is one Duplex.Reverse stream seen from the server: the way a
// gRPC server calls its client (the worker→master direction of the duplex
// workload). A stream carries one call at a time.
type Reverse struct {
	s      grpc.BidiStreamingServer[service.EchoReply, service.EchoRequest]
	mu     sync.Mutex // one call at a time
	once   sync.Once
	closed chan struct{} // closed by Close: the handler returns, ending the stream
}

// Reverse returns the next Duplex.Reverse stream a client opened, waiting
// for one until ctx ends.
func (s *Server) Reverse(ctx context.Context) (*Reverse, error) {
	select {
	case r := <-s.reverse:
		return r, nil
	case <-s.done:
		return nil, grpc.ErrServerStopped
	case <-ctx.Done():
		return nil, fmt.Errorf("grpc: no client opened a Duplex.Reverse stream: %w", ctx.Err())
	}
}

// Call sends req to the client and returns its answer. ctx is checked
// before the call; once sent, a call ends with the client's answer or the
// stream's end.
func (r *Reverse) Call(ctx context.Context, req *service.EchoRequest) (*service.EchoReply, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := r.s.Send(req); err != nil {
		return nil, err
	}
	reply, err := r.s.Recv()
	if err == io.EOF {
		return nil, errors.New("grpc: the client ended its Duplex.Reverse stream")
	}
	return reply, err
}

// Close ends the stream.
func (r *Reverse) Close() error {
	r.once.Do(func() { close(r.closed) })
	return nil
}

// AnswerReverse opens a Duplex.Reverse stream on cc and answers each
// request the server sends with its payload, each after d's delay, until
// ctx ends or the server ends the stream; it returns nil then.
func AnswerReverse(ctx context.Context, cc *grpc.ClientConn, d *service.Delay) error {
	s, err := service.NewDuplexClient(cc).Reverse(ctx)
	if err != nil {
		return err
	}
	for {
		req, err := s.Recv()
		if err == io.EOF || status.Code(err) == codes.Canceled {
			return nil
		}
		if err != nil {
			return err
		}
		d.Wait()
		if err := s.Send(echoBytes(req)); err != nil {
			return err
		}
	}
}

// WatchStyle: a watcher opens one server stream and receives every change
// on it, the natural gRPC watch; it reopens the stream only when it ends.
func (Unary) WatchStyle() string { return "server-streaming KV.Watch" }

func (c *client) Set(ctx context.Context, key, value string) error {
	_, err := service.NewKVClient(c.cc).Set(ctx, &service.KeyValue{Key: key, Value: value})
	return err
}

func (c *client) Watch(ctx context.Context, key string, timeout time.Duration) (stack.Watch, error) {
	ctx, cancel := context.WithCancel(ctx)
	s, err := service.NewKVClient(c.cc).Watch(ctx, &service.WatchRequest{Key: key, TimeoutMs: timeout.Milliseconds()})
	if err != nil {
		cancel()
		return nil, err
	}
	return &streamWatch{s: s, cancel: cancel}, nil
}

// streamWatch is one KV.Watch server stream.
type streamWatch struct {
	s      grpc.ServerStreamingClient[service.KeyValue]
	cancel context.CancelFunc
}

func (w *streamWatch) Next() (string, error) {
	kv, err := w.s.Recv()
	if err == io.EOF {
		return "", errors.New("grpc: the server ended the KV.Watch stream")
	}
	if err != nil {
		return "", err
	}
	return kv.GetValue(), nil
}

func (w *streamWatch) Close() error {
	w.cancel()
	return nil
}

// AnswerReverse answers the Duplex.Reverse calls the server makes over c's
// connection, as the package's AnswerReverse, until ctx ends.
func (c *client) AnswerReverse(ctx context.Context, d *service.Delay) error {
	return AnswerReverse(ctx, c.cc, d)
}

// Caller returns a stack.Client whose calls go over r to the client that
// opened it: p's Echo.Echo call, the duplex workload's way back. Closing
// it ends the stream.
func (r *Reverse) Caller(p payload.Payload) (stack.Client, error) {
	req, ok := p.Args.(*service.EchoRequest)
	if !ok || p.Method != "Echo.Echo" {
		return nil, fmt.Errorf("grpc: Duplex.Reverse carries Echo.Echo only, and payload %s calls %s (give a bytes:N payload)", p.Name, p.Method)
	}
	return &reverseClient{r: r, req: req, check: p.Check}, nil
}

type reverseClient struct {
	r     *Reverse
	req   *service.EchoRequest
	check func(reply any) error
}

func (c *reverseClient) Call(ctx context.Context, check bool) error {
	reply, err := c.r.Call(ctx, c.req)
	if err != nil || !check {
		return err
	}
	return c.check(reply)
}

func (c *reverseClient) Close() error { return c.r.Close() }
