package thriftpeer

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/apache/thrift/lib/go/thrift"

	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/service/thriftgen"
	"github.com/rpcbench/rpcbench/stack"
)

// NewKVClient returns Thrift's generated KV client over conn, speaking
// what the peer serves (framed, binary, multiplexed as "KV"), and the
// transport to close when done.
func NewKVClient(conn net.Conn) (*thriftgen.KVClient, thrift.TTransport) {
	tc, t := newTClient(conn, "KV")
	return thriftgen.NewKVClient(tc), t
}

func (h handler) Set(_ context.Context, req *thriftgen.KeyValue) (*thriftgen.KeyValue, error) {
	h.d.Wait()
	if req == nil {
		return nil, errNoArgument
	}
	got, err := h.kv.Set(req.Key, req.Value)
	if err != nil {
		return nil, err
	}
	return toKeyValue(got), nil
}

func (h handler) Get(_ context.Context, req *thriftgen.KeyValue) (*thriftgen.KeyValue, error) {
	h.d.Wait()
	if req == nil {
		return nil, errNoArgument
	}
	got, err := h.kv.Get(req.Key)
	if err != nil {
		return nil, err
	}
	return toKeyValue(got), nil
}

// Watch blocks until the key changes. Its ctx is the generated
// processor's, which Thrift cancels when the connection closes (it checks
// every thrift.ServerConnectivityCheckInterval, 5ms): the watch then ends
// with ErrAbandonRequest, and no reply is written to the closed connection.
func (h handler) Watch(ctx context.Context, req *thriftgen.WatchRequest) (*thriftgen.KeyValue, error) {
	h.d.Wait()
	if req == nil {
		return nil, errNoArgument
	}
	got, err := h.kv.Watch(ctx, req.Key, service.WatchTimeout(req.TimeoutMs))
	switch {
	case err == nil:
		return toKeyValue(got), nil
	case ctx.Err() != nil && !errors.Is(err, service.ErrWatchTimeout):
		return nil, thrift.ErrAbandonRequest
	}
	return nil, err
}

func toKeyValue(kv *service.KeyValue) *thriftgen.KeyValue {
	return &thriftgen.KeyValue{Key: kv.GetKey(), Value: kv.GetValue(), Version: int64(kv.GetVersion())}
}

// WatchStyle: each Next is one blocking KV.Watch call on the watcher's own
// connection (a Thrift connection carries one call at a time).
func (Stack) WatchStyle() string { return "long-poll KV.Watch (blocking)" }

func (c *client) Set(ctx context.Context, key, value string) error {
	_, err := c.kv.Set(ctx, &thriftgen.KeyValue{Key: key, Value: value})
	return err
}

func (c *client) Watch(ctx context.Context, key string, timeout time.Duration) (stack.Watch, error) {
	return &thriftWatch{ctx: ctx, kv: c.kv, req: &thriftgen.WatchRequest{Key: key, TimeoutMs: timeout.Milliseconds()}}, nil
}

// thriftWatch long-polls: one KV.Watch call per change.
type thriftWatch struct {
	ctx context.Context
	kv  *thriftgen.KVClient
	req *thriftgen.WatchRequest
}

func (w *thriftWatch) Next() (string, error) {
	kv, err := w.kv.Watch(w.ctx, w.req)
	if err != nil {
		return "", err
	}
	return kv.GetValue(), nil
}

func (w *thriftWatch) Close() error { return nil }
