package stdlibpeer_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rpcbench/rpcbench/harness"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/stack"
	"github.com/rpcbench/rpcbench/stack/stacktest"
	"github.com/rpcbench/rpcbench/stack/stdlibpeer"
	_ "github.com/rpcbench/rpcbench/transports/all"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var peers = []stack.Stack{stdlibpeer.Gob{}, stdlibpeer.JSON{}}

// serve serves s on a loopback listener, delayed by d, until the test
// ends, and returns a dialer of connections to it.
func serve(t *testing.T, s stack.Stack, d *service.Delay) (stack.Server, func() net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := s.Serve(l, d)
	t.Cleanup(func() { srv.Close() })
	return srv, func() net.Conn {
		t.Helper()
		conn, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
}

func newClient(t *testing.T, s stack.Stack, conn net.Conn, p payload.Payload) stack.Client {
	t.Helper()
	c, err := s.NewClient(conn, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestNames(t *testing.T) {
	for _, tt := range []struct {
		s    stack.Stack
		want string
	}{{stdlibpeer.Gob{}, "peer=stdlib-gob"}, {stdlibpeer.JSON{}, "peer=stdlib-json"}} {
		if got := tt.s.ID().String(); got != tt.want {
			t.Errorf("%T.ID() = %q, want %q", tt.s, got, tt.want)
		}
		if p, err := harness.LookupPeer(tt.want[len("peer="):]); err != nil || p.ID().String() != tt.want {
			t.Errorf("harness.LookupPeer(%q) = %v, %v; want the peer registered", tt.want, p, err)
		}
	}
}

// TestCheckedCalls makes checked calls of every payload kind, so that a
// wrong reply fails, and checks that the check is the payload's own.
func TestCheckedCalls(t *testing.T) {
	errWrong := errors.New("wrong reply")
	for _, s := range peers {
		_, dial := serve(t, s, nil)
		for _, name := range []string{"arith", "bytes:0", "bytes:1KiB", "records:10"} {
			t.Run(s.ID().String()+"/"+name, func(t *testing.T) {
				c := newClient(t, s, dial(), stacktest.Payload(t, name))
				for range 3 {
					if err := c.Call(context.Background(), true); err != nil {
						t.Fatal(err)
					}
				}
				p := stacktest.Payload(t, name)
				p.Check = func(any) error { return errWrong }
				c = newClient(t, s, dial(), p)
				if err := c.Call(context.Background(), false); err != nil {
					t.Fatalf("unchecked call: %v", err)
				}
				if err := c.Call(context.Background(), true); !errors.Is(err, errWrong) {
					t.Fatalf("checked call: %v, want %v", err, errWrong)
				}
			})
		}
	}
}

func TestDelay(t *testing.T) {
	const work = 20 * time.Millisecond
	for _, s := range peers {
		_, dial := serve(t, s, &service.Delay{Work: work})
		c := newClient(t, s, dial(), stacktest.Payload(t, "arith"))
		begin := time.Now()
		if err := c.Call(context.Background(), true); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(begin); took < work {
			t.Errorf("%s: call took %v with %v of server work", s.ID().String(), took, work)
		}
	}
}

// TestServerClose checks that closing the server ends its connections:
// calls fail instead of hanging, and Close returns.
func TestServerClose(t *testing.T) {
	for _, s := range peers {
		srv, dial := serve(t, s, nil)
		c := newClient(t, s, dial(), stacktest.Payload(t, "arith"))
		if err := c.Call(context.Background(), true); err != nil {
			t.Fatal(err)
		}
		if err := srv.Close(); err != nil {
			t.Fatal(err)
		}
		if err := c.Call(context.Background(), true); err == nil {
			t.Fatalf("%s: call after the server closed succeeded", s.ID().String())
		}
	}
}

// TestRun runs each peer through the harness, as rpcbench run does, with
// callers sharing connections and every reply checked.
func TestRun(t *testing.T) {
	for _, s := range peers {
		stacktest.Run(t, s, 4, 500)
	}
}
