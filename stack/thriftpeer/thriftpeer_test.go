package thriftpeer_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/apache/thrift/lib/go/thrift"
	"go.uber.org/goleak"

	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/service/thriftgen"
	"github.com/rpcbench/rpcbench/stack"
	"github.com/rpcbench/rpcbench/stack/stacktest"
	"github.com/rpcbench/rpcbench/stack/thriftpeer"
	_ "github.com/rpcbench/rpcbench/transports/all"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// serve serves the peer on a loopback listener, delayed by d, until the
// test ends, and returns a dialer of connections to it.
func serve(t *testing.T, d *service.Delay) (stack.Server, func() net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := thriftpeer.Stack{}.Serve(l, d)
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

func newClient(t *testing.T, conn net.Conn, p payload.Payload) stack.Client {
	t.Helper()
	c, err := thriftpeer.Stack{}.NewClient(conn, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestRoundTrip(t *testing.T) {
	_, dial := serve(t, nil)
	for _, name := range []string{"arith", "bytes:1KiB", "records:10"} {
		t.Run(name, func(t *testing.T) {
			c := newClient(t, dial(), stacktest.Payload(t, name))
			for range 3 {
				if err := c.Call(context.Background(), true); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestCheckUsesPayloadCheck proves that check=true consults the payload's
// Check, and check=false skips it.
func TestCheckUsesPayloadCheck(t *testing.T) {
	errWrong := errors.New("wrong reply")
	_, dial := serve(t, nil)
	for _, name := range []string{"arith", "bytes:1KiB", "records:10"} {
		t.Run(name, func(t *testing.T) {
			p := stacktest.Payload(t, name)
			p.Check = func(any) error { return errWrong }
			c := newClient(t, dial(), p)
			if err := c.Call(context.Background(), false); err != nil {
				t.Fatalf("unchecked call: %v", err)
			}
			if err := c.Call(context.Background(), true); !errors.Is(err, errWrong) {
				t.Fatalf("checked call: %v, want %v", err, errWrong)
			}
		})
	}
}

func TestRejectsUnknownMethod(t *testing.T) {
	p := stacktest.Payload(t, "arith")
	p.Method = "Arith.Divide"
	conn, peer := net.Pipe()
	defer peer.Close()
	if c, err := (thriftpeer.Stack{}).NewClient(conn, p); err == nil || !strings.Contains(err.Error(), "Arith.Divide") {
		if c != nil {
			c.Close()
		}
		t.Errorf("NewClient for Arith.Divide: %v, want an error naming the method", err)
	}
	conn.Close()
}

func TestDivideByZero(t *testing.T) {
	_, dial := serve(t, nil)
	tc, _ := thriftpeer.NewTClient(dial(), "Arith")
	arith := thriftgen.NewArithClient(tc)
	ctx := context.Background()
	q, err := arith.Divide(ctx, &thriftgen.Args_{A: 7, B: 2})
	if err != nil || q.GetQuo() != 3 || q.GetRem() != 1 {
		t.Fatalf("Divide(7, 2) = %v, %v; want quo 3 rem 1", q, err)
	}
	if _, err := arith.Divide(ctx, &thriftgen.Args_{A: 1}); err == nil || !strings.Contains(err.Error(), "division by zero") {
		t.Fatalf("Divide(1, 0) error %v, want division by zero", err)
	}
	if p, err := arith.Multiply(ctx, &thriftgen.Args_{A: 6, B: 7}); err != nil || p.GetValue() != 42 {
		t.Fatalf("Multiply(6, 7) after an error = %v, %v; want 42", p, err)
	}
}

// TestUnknownMethodKeepsConnection checks that a call to a method the
// service lacks fails and the connection still serves the next call.
func TestUnknownMethodKeepsConnection(t *testing.T) {
	_, dial := serve(t, nil)
	tc, _ := thriftpeer.NewTClient(dial(), "Arith")
	ctx := context.Background()
	args := &thriftgen.ArithMultiplyArgs{Req: &thriftgen.Args_{A: 6, B: 7}}
	var ae thrift.TApplicationException
	if _, err := tc.Call(ctx, "Power", args, thriftgen.NewArithMultiplyResult()); !errors.As(err, &ae) || ae.TypeId() != thrift.UNKNOWN_METHOD {
		t.Fatalf("call of Arith.Power: %v, want an unknown method exception", err)
	}
	if p, err := thriftgen.NewArithClient(tc).Multiply(ctx, args.Req); err != nil || p.GetValue() != 42 {
		t.Fatalf("Multiply(6, 7) after an unknown method = %v, %v; want 42", p, err)
	}
}

func TestDelay(t *testing.T) {
	const work = 20 * time.Millisecond
	_, dial := serve(t, &service.Delay{Work: work})
	c := newClient(t, dial(), stacktest.Payload(t, "arith"))
	begin := time.Now()
	if err := c.Call(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(begin); took < work {
		t.Fatalf("call took %v with %v of server work", took, work)
	}
}

// TestServerClose checks that closing the server ends its connections:
// calls fail instead of hanging.
func TestServerClose(t *testing.T) {
	srv, dial := serve(t, nil)
	c := newClient(t, dial(), stacktest.Payload(t, "arith"))
	if err := c.Call(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Call(context.Background(), true); err == nil {
		t.Fatal("call after the server closed succeeded")
	}
}

func TestRun(t *testing.T) { stacktest.Run(t, thriftpeer.Stack{}, 1, 2000) }
