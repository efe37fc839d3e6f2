package attack_test

import (
	"fmt"
	"net"
	"net/rpc"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/service"
)

// TestAbandonedWatchesLeaveServeAsItWas opens 10,000 KV.Watch calls over
// 100 connections to a real `rpcbench serve`, closes the connections with
// the watches still waiting, and expects the process's goroutines, read
// through Stats.Read, back where they started: serve forgets a watcher
// whose connection closed at once, not at its timeout.
func TestAbandonedWatchesLeaveServeAsItWas(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 watches")
	}
	const conns, perConn = 100, 100
	srv := serve(t, nil, "msgpack")
	defer srv.shutdown(t)
	c, err := codecs.Lookup("msgpack")
	if err != nil {
		t.Fatal(err)
	}
	before, err := srv.goroutines(nil)
	if err != nil {
		t.Fatal(err)
	}
	var clients []*rpc.Client
	defer func() {
		for _, client := range clients {
			client.Close()
		}
	}()
	for range conns {
		conn, err := net.DialTimeout("tcp", srv.addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		client := rpc.NewClientWithCodec(c.NewClientCodec(conn))
		clients = append(clients, client)
		for i := range perConn {
			// The timeout outlasts the test's watchdog: only the closed
			// connection can end these watches in time.
			client.Go("KV.Watch", &service.WatchRequest{Key: fmt.Sprint("abandoned/", i%10), TimeoutMs: 120_000}, new(service.KeyValue), make(chan *rpc.Call, 1))
		}
	}
	during := eventually(t, "every watch to be waiting", func(n int) bool { return n >= before+conns*perConn }, srv)
	for _, client := range clients {
		client.Close()
	}
	clients = nil
	after := eventually(t, "the goroutines to come back", func(n int) bool { return n <= before }, srv)
	t.Logf("serve's goroutines: %d before, %d with %d watches waiting, %d once their connections closed", before, during, conns*perConn, after)
}

// eventually asks srv for its goroutine count until ok holds, failing t
// after 30s (a watchdog for a loaded machine, not a timing assertion), and
// returns the last count.
func eventually(t *testing.T, what string, ok func(int) bool, srv *server) int {
	t.Helper()
	var n int
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var err error
		if n, err = srv.goroutines(nil); err != nil {
			t.Fatal(err)
		}
		if ok(n) {
			return n
		}
		if time.Now().After(end) {
			t.Fatalf("gave up waiting for %s: serve has %d goroutines", what, n)
		}
	}
}
