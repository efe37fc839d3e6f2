package harness_test

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/harness"
	"github.com/rpcbench/rpcbench/server"
	"github.com/rpcbench/rpcbench/stack"
)

// serveCodec serves the service with the named codec on a loopback
// listener until the test ends, handing it the connections that accept
// lets through; the others are closed at once. It returns the address and
// the number of connections that arrived.
func serveCodec(t *testing.T, name string, accept func(n int64, c net.Conn) bool) (string, *atomic.Int64) {
	t.Helper()
	c, err := codecs.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var arrived atomic.Int64
	srv := &server.Server{Codec: c}
	gated := &gateListener{Listener: l, arrived: &arrived, accept: accept}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(gated)
	}()
	t.Cleanup(func() {
		l.Close()
		srv.Shutdown(context.Background())
		<-done
	})
	return l.Addr().String(), &arrived
}

// serveBytes answers every connection with reply and closes it once the
// client has sent something.
func serveBytes(t *testing.T, reply string) (string, *atomic.Int64) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var arrived atomic.Int64
	srv := stack.ServeEach(l, func(c net.Conn) {
		arrived.Add(1)
		c.Read(make([]byte, 1))
		c.Write([]byte(reply))
	})
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String(), &arrived
}

type gateListener struct {
	net.Listener
	arrived *atomic.Int64
	accept  func(n int64, c net.Conn) bool
}

func (l *gateListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.accept(l.arrived.Add(1), c) {
			return c, nil
		}
		c.Close()
	}
}

func TestAServerOfAnotherCodecStopsTheRunAtOnce(t *testing.T) {
	tests := []struct{ client, server, want string }{
		// rpcbench's servers hang up on a stream they can't decode.
		{"json", "msgpack", "closed the connection without answering a json request: is it serving another codec"},
		{"msgpack", "gob", "closed the connection without answering a msgpack request: is it serving another codec"},
		// Servers that answer something else: the first bytes show what.
		{"json", "raw:\x93\x01\xa5error\xc0", `did not answer a json request: is it serving another codec? (its reply began with 0x9301a56572726f72c0; the call failed with:`},
		{"gob", "raw:HTTP/1.1 400 Bad Request\r\n\r\n", `did not answer a gob request: is it serving another codec? (its reply began with "HTTP/1.1 400 Bad"...;`},
	}
	for _, tt := range tests {
		t.Run(tt.client+"-to-"+tt.server, func(t *testing.T) {
			var addr string
			var arrived *atomic.Int64
			if reply, ok := strings.CutPrefix(tt.server, "raw:"); ok {
				addr, arrived = serveBytes(t, reply)
			} else {
				addr, arrived = serveCodec(t, tt.server, func(int64, net.Conn) bool { return true })
			}
			c, err := codecs.Lookup(tt.client)
			if err != nil {
				t.Fatal(err)
			}
			cfg := config(t, stack.Codec{Codec: c}, "arith")
			cfg.External = true
			cfg.TransportConfig.Addr = addr
			cfg.Timeout = 2 * time.Second
			_, err = harness.Run(context.Background(), cfg)
			if want := "the server at " + addr + " " + tt.want; err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("%s run against a %s server: %v\nwant an error containing %q", tt.client, tt.server, err, want)
			}
			t.Log(err)
			if n := arrived.Load(); n != int64(cfg.Conns) {
				t.Errorf("%d connections reached the server; want the run to stop after its first %d", n, cfg.Conns)
			}
		})
	}
}

func TestRedialsBackOffFromAServerThatDropsEveryConnection(t *testing.T) {
	// The first connection is served for 200ms (the first call passes),
	// every later one is closed as soon as it arrives: redialling without
	// a pause would make thousands of connections in the window.
	addr, arrived := serveCodec(t, "gob", func(n int64, c net.Conn) bool {
		c.SetDeadline(time.Now().Add(200 * time.Millisecond))
		return n == 1
	})
	gob, err := codecs.Lookup("gob")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config(t, stack.Codec{Codec: gob}, "arith")
	cfg.External = true
	cfg.TransportConfig.Addr = addr
	cfg.Concurrency, cfg.Conns = 1, 1
	cfg.Calls, cfg.Duration = 0, 1500*time.Millisecond
	r, err := harness.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// 50ms doubling: about 50+100+200+400+800 ms of pauses fit in 1.5s.
	if n := arrived.Load(); n > 12 {
		t.Errorf("%d connections in a %v window against a server that drops them: redials don't back off", n, cfg.Duration)
	}
	if r.Errors == 0 {
		t.Errorf("no errors recorded against a server that drops every connection")
	}
}
