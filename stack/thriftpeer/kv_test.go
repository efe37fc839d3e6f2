package thriftpeer_test

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/internal/poll"
	"github.com/rpcbench/rpcbench/service/thriftgen"
	"github.com/rpcbench/rpcbench/stack/thriftpeer"
)

func TestKV(t *testing.T) {
	srv, dial := serve(t, nil)
	store := thriftpeer.KVStore(srv)
	setter, st := thriftpeer.NewKVClient(dial())
	defer st.Close()
	watcher, wt := thriftpeer.NewKVClient(dial())
	defer wt.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if _, err := setter.Get(ctx, &thriftgen.KeyValue{Key: "k"}); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("Get of a key never set = %v; want not found", err)
	}
	type result struct {
		kv  *thriftgen.KeyValue
		err error
	}
	woken := make(chan result, 1)
	go func() {
		kv, err := watcher.Watch(ctx, &thriftgen.WatchRequest{Key: "k", TimeoutMs: 10000})
		woken <- result{kv, err}
	}()
	for store.Watching() == 0 {
		runtime.Gosched()
	}
	if got, err := setter.Set(ctx, &thriftgen.KeyValue{Key: "k", Value: "v"}); err != nil || got.Version != 1 {
		t.Fatalf("Set = %v, %v; want version 1", got, err)
	}
	if r := <-woken; r.err != nil || r.kv.Value != "v" || r.kv.Version != 1 {
		t.Fatalf("Watch = %v, %v; want v at version 1", r.kv, r.err)
	}
	if _, err := watcher.Watch(ctx, &thriftgen.WatchRequest{Key: "k", TimeoutMs: 1}); err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("Watch with no change = %v; want a timeout", err)
	}
}

// TestKVWatchEndsWithItsConnection: Thrift's connectivity check cancels
// a watch whose connection closed, and the store forgets it.
func TestKVWatchEndsWithItsConnection(t *testing.T) {
	srv, dial := serve(t, nil)
	store := thriftpeer.KVStore(srv)
	watcher, wt := thriftpeer.NewKVClient(dial())
	go watcher.Watch(context.Background(), &thriftgen.WatchRequest{Key: "k"})
	poll.For(t, 10*time.Second, "the watch to arrive", func() bool { return store.Watching() == 1 })
	wt.Close()
	poll.For(t, 10*time.Second, "the watch to end with its connection", func() bool { return store.Watching() == 0 })
}
