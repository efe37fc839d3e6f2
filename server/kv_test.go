package server_test

import (
	"fmt"
	"net"
	"net/rpc"
	"strings"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/internal/poll"
	"github.com/rpcbench/rpcbench/server"
	"github.com/rpcbench/rpcbench/service"
)

// TestKVEveryCodec sets, gets and watches through a served connection
// with every codec: a Set on one connection wakes a Watch on another.
func TestKVEveryCodec(t *testing.T) {
	for _, name := range codecs.Names() {
		t.Run(name, func(t *testing.T) {
			c, err := codecs.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			svc := service.New(nil)
			addr, _ := start(t, c, &server.Server{ConnRPC: svc.ConnServer})
			watcher, setter := dial(t, c, addr), dial(t, c, addr)

			var got service.KeyValue
			if err := setter.Call("KV.Get", &service.KeyValue{Key: "k"}, &got); err == nil || !strings.Contains(err.Error(), "not found") {
				t.Fatalf("KV.Get of a key never set = %v, %v; want a not found error", &got, err)
			}
			if err := setter.Call("KV.Set", &service.KeyValue{Key: "k", Value: "a"}, &got); err != nil || got.GetVersion() != 1 || got.GetValue() != "a" {
				t.Fatalf("first KV.Set = %v, %v; want value a, version 1", &got, err)
			}
			watch := watcher.Go("KV.Watch", &service.WatchRequest{Key: "k", TimeoutMs: 10000}, new(service.KeyValue), nil)
			// The Watch counts from when it arrives, so the Set waits for it.
			waitFor(t, "the watch to arrive", func() bool { return svc.KV.Watching() == 1 })
			if err := setter.Call("KV.Set", &service.KeyValue{Key: "k", Value: "a"}, &got); err != nil || got.GetVersion() != 1 {
				t.Fatalf("KV.Set of the same value = %v, %v; want version 1 still", &got, err)
			}
			if err := setter.Call("KV.Set", &service.KeyValue{Key: "k", Value: "b"}, &got); err != nil || got.GetVersion() != 2 {
				t.Fatalf("KV.Set of a new value = %v, %v; want version 2", &got, err)
			}
			<-watch.Done
			w := watch.Reply.(*service.KeyValue)
			if watch.Error != nil || w.GetKey() != "k" || w.GetVersion() != 2 || w.GetValue() != "b" {
				t.Fatalf("KV.Watch = %v, %v; want key k, value b, version 2", w, watch.Error)
			}
			err = watcher.Call("KV.Watch", &service.WatchRequest{Key: "k", TimeoutMs: 1}, &got)
			if err == nil || !strings.Contains(err.Error(), "timeout") {
				t.Fatalf("KV.Watch with no change in 1ms = %v; want an error containing timeout", err)
			}
			if err := setter.Call("KV.Get", &service.KeyValue{Key: "k"}, &got); err != nil || got.GetVersion() != 2 || got.GetValue() != "b" {
				t.Fatalf("KV.Get = %v, %v; want value b, version 2", &got, err)
			}
		})
	}
}

// TestAbandonedWatchesLeaveNothing opens 10,000 watches over 100
// connections (5,000 over 50 under the race detector), closes the connections, and expects the server's
// goroutines, read through Stats.Read, back where they were.
func TestAbandonedWatchesLeaveNothing(t *testing.T) {
	conns, perConn := 100, 100
	if testing.Short() {
		t.Skip("10,000 watches")
	}
	if raceEnabled {
		conns = 50 // the race detector allows 8128 goroutines
	}
	c, err := codecs.Lookup("msgpack")
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(nil)
	addr, _ := start(t, c, &server.Server{ConnRPC: svc.ConnServer})
	statsConn, err := net.Dial("tcp", addr) // no deadline: the race detector is slow
	if err != nil {
		t.Fatal(err)
	}
	stats := rpc.NewClientWithCodec(c.NewClientCodec(statsConn))
	defer stats.Close()
	goroutines := func() int64 {
		var s service.ServerStats
		if err := stats.Call("Stats.Read", &service.StatsRequest{}, &s); err != nil {
			t.Fatal(err)
		}
		return s.GetGoroutines()
	}
	before := goroutines()

	var clients []*rpc.Client
	for range conns {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		client := rpc.NewClientWithCodec(c.NewClientCodec(conn))
		for i := range perConn {
			// The timeout outlasts waitFor's watchdog: when the watches
			// are not forgotten, the test fails first, and its cleanup
			// still ends.
			client.Go("KV.Watch", &service.WatchRequest{Key: fmt.Sprint("key", i%10), TimeoutMs: 30000}, new(service.KeyValue), make(chan *rpc.Call, 1))
		}
		clients = append(clients, client)
	}
	waitFor(t, "every watch to arrive", func() bool { return svc.KV.Watching() == conns*perConn })
	if during := goroutines(); during < before+int64(conns*perConn) {
		t.Fatalf("%d goroutines with %d watches waiting, %d before: the watches are not where the test thinks", during, conns*perConn, before)
	}
	for _, client := range clients {
		client.Close()
	}
	waitFor(t, "the watches to be forgotten", func() bool { return svc.KV.Watching() == 0 })
	waitFor(t, "the server's goroutines to return to where they were", func() bool { return goroutines() <= before })
}

// TestWatchEndedByHalfCloseSaysSo watches a key and then shuts the
// client's sending half: the watch ends at once, and its reply says that
// the client closed its connection, not a bare "context canceled".
func TestWatchEndedByHalfCloseSaysSo(t *testing.T) {
	c, err := codecs.Lookup("msgpack")
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(nil)
	addr, _ := start(t, c, &server.Server{ConnRPC: svc.ConnServer})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	client := rpc.NewClientWithCodec(c.NewClientCodec(conn))
	defer client.Close()
	watch := client.Go("KV.Watch", &service.WatchRequest{Key: "k"}, new(service.KeyValue), nil)
	waitFor(t, "the watch to arrive", func() bool { return svc.KV.Watching() == 1 })
	conn.(*net.TCPConn).CloseWrite()
	<-watch.Done
	if watch.Error == nil || !strings.Contains(watch.Error.Error(), "client closed its connection") {
		t.Fatalf("KV.Watch after the client's half-close = %v; want an error saying the client closed its connection", watch.Error)
	}
}

// waitFor waits for cond to hold, failing the test after 20 seconds:
// a watchdog, not a timing assertion.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.For(t, 20*time.Second, what, cond)
}
