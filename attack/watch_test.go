package attack_test

import (
	"fmt"
	"net"
	"net/rpc"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/internal/poll"
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
	return eventuallyWithin(t, 30*time.Second, what, ok, srv)
}

// eventuallyWithin is eventually with a watchdog of d.
func eventuallyWithin(t *testing.T, d time.Duration, what string, ok func(int) bool, srv *server) int {
	t.Helper()
	var n int
	poll.Until(t, d, func() error {
		var err error
		if n, err = srv.goroutines(nil); err == nil && !ok(n) {
			err = fmt.Errorf("gave up waiting for %s: serve has %d goroutines", what, n)
		}
		return err
	})
	return n
}

// TestWatchesAtTheCallLimitEndWithTheirConnection fills connections with
// exactly serve's per-connection call limit of KV.Watch calls that never
// time out, then closes them: serve stops reading a connection at its
// limit, and must still see it close, so that the watches end at once and
// the goroutines come back, for every codec over tcp and for unix and tls.
func TestWatchesAtTheCallLimitEndWithTheirConnection(t *testing.T) {
	if testing.Short() {
		t.Skip("thousands of watches per codec")
	}
	const conns, perConn = 40, 128 // 128: serve's default call limit
	type tc struct{ codec, transport string }
	var cases []tc
	for _, name := range codecs.Names() {
		cases = append(cases, tc{name, "tcp"})
	}
	cases = append(cases, tc{"msgpack", "unix"}, tc{"msgpack", "tls"}, tc{"json", "unix"})
	for _, c := range cases {
		t.Run(c.codec+"/"+c.transport, func(t *testing.T) {
			args := []string{"--transport", c.transport}
			if c.transport == "unix" {
				args = append(args, "--addr", t.TempDir()+"/s.sock")
			}
			srv := serve(t, nil, c.codec, args...)
			defer srv.shutdown(t)
			codec, err := codecs.Lookup(c.codec)
			if err != nil {
				t.Fatal(err)
			}
			before, err := srv.goroutines(nil)
			if err != nil {
				t.Fatal(err)
			}
			srv.resetPeak(t)
			var clients []*rpc.Client
			defer func() {
				for _, client := range clients {
					client.Close()
				}
			}()
			for range conns {
				conn, err := srv.dialRaw()
				if err != nil {
					t.Fatal(err)
				}
				client := rpc.NewClientWithCodec(codec.NewClientCodec(conn))
				clients = append(clients, client)
				for i := range perConn {
					client.Go("KV.Watch", &service.WatchRequest{Key: fmt.Sprint("limit/", i%10)}, new(service.KeyValue), make(chan *rpc.Call, 1))
				}
			}
			during := eventuallyWithin(t, 30*time.Second, "every watch to be waiting", func(n int) bool { return n >= before+conns*perConn }, srv)
			for _, client := range clients {
				client.Close()
			}
			clients = nil
			after := eventuallyWithin(t, 10*time.Second, "the goroutines to come back", func(n int) bool { return n <= before }, srv)
			t.Logf("serve's goroutines: %d before, %d with %d watches at the call limit, %d once their connections closed", before, during, conns*perConn, after)
			srv.assertServing(t, nil, "after the watches' connections closed")
		})
	}
}
