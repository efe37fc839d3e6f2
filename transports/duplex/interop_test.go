package duplex_test

import (
	"context"
	"io"
	"net"
	"net/rpc"
	"net/rpc/jsonrpc"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/server"
	"github.com/rpcbench/rpcbench/transports/duplex"
)

// The foreign side of these tests is a program with only the standard
// library's net/rpc (gob, and net/rpc/jsonrpc) and yamux: its own types,
// which match the service's by field name as gob and encoding/json do,
// and a service of its own for rpcbench to call back.

type args struct{ A, B int64 }

type product struct{ Value int64 }

// Greeter is the foreign side's service.
type Greeter struct{}

func (Greeter) Greet(name *string, reply *string) error {
	*reply = "hello, " + *name
	return nil
}

// stdlib is one of the standard library's two net/rpc wire formats.
type stdlib struct {
	codec  string // rpcbench's codec for the same wire
	client func(io.ReadWriteCloser) *rpc.Client
	serve  func(*rpc.Server, io.ReadWriteCloser)
}

var stdlibs = []stdlib{
	{"gob", rpc.NewClient, (*rpc.Server).ServeConn},
	{"json", jsonrpc.NewClient, func(s *rpc.Server, c io.ReadWriteCloser) { s.ServeCodec(jsonrpc.NewServerCodec(c)) }},
}

// quiet is yamux's default configuration, silenced: the foreign side's.
func quiet() *yamux.Config {
	c := yamux.DefaultConfig()
	c.LogOutput = io.Discard
	return c
}

// serveForeign serves Greeter, with the standard library, on every stream
// sess accepts, until the session ends.
func serveForeign(t *testing.T, std stdlib, sess *yamux.Session) {
	srv := rpc.NewServer()
	if err := srv.Register(Greeter{}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			st, err := sess.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { std.serve(srv, st) })
		}
	})
	t.Cleanup(func() {
		sess.Close()
		wg.Wait()
	})
}

// serveRPCBench serves the rpcbench service with codec on every stream l
// accepts, until the test ends.
func serveRPCBench(t *testing.T, codec string, l net.Listener) {
	c, err := codecs.Lookup(codec)
	if err != nil {
		t.Fatal(err)
	}
	srv := &server.Server{Codec: c}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Shutdown(context.Background())
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
}

// multiplyForeign calls rpcbench's Arith.Multiply from the foreign side.
func multiplyForeign(t *testing.T, std stdlib, st net.Conn) {
	t.Helper()
	client := std.client(st)
	defer client.Close()
	var p product
	if err := client.Call("Arith.Multiply", &args{6, 7}, &p); err != nil || p.Value != 42 {
		t.Fatalf("foreign side: Arith.Multiply(6, 7) = %d, %v; want 42", p.Value, err)
	}
}

// greetFromRPCBench calls the foreign side's Greeter.Greet over a stream
// the rpcbench End opens, with rpcbench's codec.
func greetFromRPCBench(t *testing.T, std stdlib, e *duplex.End) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := e.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := codecs.Lookup(std.codec)
	if err != nil {
		t.Fatal(err)
	}
	client := rpc.NewClientWithCodec(c.NewClientCodec(st))
	defer client.Close()
	name, reply := "rpcbench", ""
	if err := client.Call("Greeter.Greet", &name, &reply); err != nil || reply != "hello, rpcbench" {
		t.Fatalf("rpcbench: Greeter.Greet = %q, %v; want hello, rpcbench", reply, err)
	}
}

// TestForeignMasterOfAWorker: a standard-library master calls an rpcbench
// worker and is called back by it; when the master drops the connection,
// the worker dials again and both directions work again.
func TestForeignMasterOfAWorker(t *testing.T) {
	for _, std := range stdlibs {
		t.Run(std.codec, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			worker, err := duplex.Dial(ln.Addr().String(), duplex.Options{Logf: t.Logf})
			if err != nil {
				t.Fatal(err)
			}
			serveRPCBench(t, std.codec, worker) // closes worker at the end

			for round := range 2 {
				conn, err := ln.Accept()
				if err != nil {
					t.Fatal(err)
				}
				conn.SetDeadline(time.Now().Add(20 * time.Second)) // a watchdog
				sess, err := yamux.Server(conn, quiet())
				if err != nil {
					t.Fatal(err)
				}
				serveForeign(t, std, sess)
				st, err := sess.Open()
				if err != nil {
					t.Fatal(err)
				}
				multiplyForeign(t, std, st)
				greetFromRPCBench(t, std, worker)
				t.Logf("round %d: both directions answered", round)
				sess.Close() // the master drops the worker; it must come back
				conn.Close()
			}
		})
	}
}

// TestForeignWorkerOfAMaster: a standard-library worker dials an rpcbench
// master, is called by it, and calls it.
func TestForeignWorkerOfAMaster(t *testing.T) {
	for _, std := range stdlibs {
		t.Run(std.codec, func(t *testing.T) {
			master, err := duplex.Listen(context.Background(), "", duplex.Options{Logf: t.Logf})
			if err != nil {
				t.Fatal(err)
			}
			serveRPCBench(t, std.codec, master) // closes master at the end

			conn, err := net.Dial("tcp", master.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			conn.SetDeadline(time.Now().Add(20 * time.Second)) // a watchdog
			sess, err := yamux.Client(conn, quiet())
			if err != nil {
				t.Fatal(err)
			}
			serveForeign(t, std, sess)
			greetFromRPCBench(t, std, master)
			st, err := sess.Open()
			if err != nil {
				t.Fatal(err)
			}
			multiplyForeign(t, std, st)
		})
	}
}
