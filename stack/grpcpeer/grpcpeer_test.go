package grpcpeer_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/stack"
	"github.com/rpcbench/rpcbench/stack/grpcpeer"
	"github.com/rpcbench/rpcbench/stack/stacktest"
	_ "github.com/rpcbench/rpcbench/transports/all"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var stacks = []stack.Stack{grpcpeer.Unary{}, grpcpeer.Stream{}}

// start serves s on a loopback listener and returns a client for p over a
// fresh connection to it; cleanup closes both.
func start(t *testing.T, s stack.Stack, d *service.Delay, p payload.Payload) (stack.Client, stack.Server) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := s.Serve(l, d)
	t.Cleanup(func() { srv.Close() })
	conn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.NewClient(conn, p)
	if err != nil {
		conn.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, srv
}

func TestRoundTrip(t *testing.T) {
	for _, s := range stacks {
		for _, name := range []string{"arith", "bytes:1KiB", "records:10"} {
			t.Run(s.ID().String()+"/"+name, func(t *testing.T) {
				c, _ := start(t, s, nil, stacktest.Payload(t, name))
				for range 3 {
					if err := c.Call(context.Background(), true); err != nil {
						t.Fatal(err)
					}
				}
			})
		}
	}
}

// TestCheckUsesPayloadCheck proves that check=true consults the payload's
// Check, and check=false skips it.
func TestCheckUsesPayloadCheck(t *testing.T) {
	errWrong := errors.New("wrong reply")
	for _, s := range stacks {
		t.Run(s.ID().String(), func(t *testing.T) {
			p := stacktest.Payload(t, "arith")
			p.Check = func(any) error { return errWrong }
			c, _ := start(t, s, nil, p)
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
	for _, s := range stacks {
		p := stacktest.Payload(t, "arith")
		p.Method = "Arith.Divide"
		conn, _ := net.Pipe()
		if c, err := s.NewClient(conn, p); err == nil || !strings.Contains(err.Error(), "Arith.Divide") {
			if c != nil {
				c.Close()
			}
			t.Errorf("%s: NewClient for Arith.Divide: %v, want an error naming the method", s.ID().String(), err)
		}
		conn.Close()
	}
}

func TestDivideByZero(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpcpeer.Unary{}.Serve(l, nil)
	defer srv.Close()
	cc, err := grpc.NewClient("passthrough:///"+l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	arith := service.NewArithClient(cc)
	q, err := arith.Divide(context.Background(), &service.Args{A: 7, B: 2})
	if err != nil || q.GetQuo() != 3 || q.GetRem() != 1 {
		t.Fatalf("Divide(7, 2) = %v, %v; want quo 3 rem 1", q, err)
	}
	if _, err := arith.Divide(context.Background(), &service.Args{A: 1}); err == nil || !strings.Contains(err.Error(), "division by zero") {
		t.Fatalf("Divide(1, 0) error %v, want division by zero", err)
	}
}

func TestDelay(t *testing.T) {
	const work = 20 * time.Millisecond
	for _, s := range stacks {
		t.Run(s.ID().String(), func(t *testing.T) {
			c, _ := start(t, s, &service.Delay{Work: work}, stacktest.Payload(t, "arith"))
			begin := time.Now()
			if err := c.Call(context.Background(), true); err != nil {
				t.Fatal(err)
			}
			if took := time.Since(begin); took < work {
				t.Fatalf("call took %v with %v of server work", took, work)
			}
		})
	}
}

// TestLostConnection checks that a client whose connection is gone fails
// its calls rather than hanging or dialling a connection of its own.
func TestLostConnection(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.ID().String(), func(t *testing.T) {
			c, srv := start(t, s, nil, stacktest.Payload(t, "arith"))
			if err := c.Call(context.Background(), true); err != nil {
				t.Fatal(err)
			}
			srv.Close()
			for i := range 2 {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				err := c.Call(ctx, true)
				late := ctx.Err()
				cancel()
				if err == nil || late != nil {
					t.Fatalf("call %d after the server closed: %v (context %v), want a prompt error", i+1, err, late)
				}
			}
		})
	}
}

func TestRun(t *testing.T) {
	for _, s := range stacks {
		stacktest.Run(t, s, 1, 2000)
	}
}
