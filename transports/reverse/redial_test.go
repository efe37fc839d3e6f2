package reverse_test

import (
	"context"
	"fmt"
	"net"
	"net/rpc"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/internal/poll"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/reverse"
	"github.com/rpcbench/rpcbench/transports/transporttest"
)

// reconnectBound is the longest a worker may take to come back once the
// calling side listens again: one capped backoff with jitter, plus slack
// for a loaded machine.
const reconnectBound = 5*time.Second*12/10 + 5*time.Second

// worker serves the service over every connection the reverse serving
// half dials to addr, with gob from the standard library, until the test
// ends.
func worker(t *testing.T, addr string, conns int, logf func(string, ...any)) {
	t.Helper()
	l, err := reverse.Transport{}.Serve(context.Background(), transports.Config{Addr: addr, Conns: conns, Logf: logf})
	if err != nil {
		t.Fatal(err)
	}
	transporttest.ServeGob(t, l)
}

// multiply calls Arith.Multiply over c with the standard library's gob
// client and checks the product.
func multiply(t *testing.T, c net.Conn) {
	t.Helper()
	client := rpc.NewClient(c)
	defer client.Close()
	var p service.Product
	if err := client.Call("Arith.Multiply", &service.Args{A: 6, B: 7}, &p); err != nil {
		t.Fatalf("Arith.Multiply: %v", err)
	}
	if p.Value != 42 {
		t.Fatalf("Arith.Multiply(6, 7) = %d, want 42", p.Value)
	}
}

func TestStdlibClientOnAPlainListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	worker(t, ln.Addr().String(), 1, nil)
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	multiply(t, c)
}

func TestRedialsAfterTheCallingEndDrops(t *testing.T) {
	caller, err := reverse.Transport{}.Call(context.Background(), transports.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()
	worker(t, caller.Addr().String(), 1, nil)
	for i := range 3 {
		t.Run(fmt.Sprintf("connection %d", i), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), reconnectBound)
			defer cancel()
			c, err := caller.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			multiply(t, c) // closes c, so the worker dials again
		})
	}
}

func TestKeepsConnsConnectionsDialled(t *testing.T) {
	caller, err := reverse.Transport{}.Call(context.Background(), transports.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()
	worker(t, caller.Addr().String(), 3, nil)
	var conns []net.Conn
	for range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), reconnectBound)
		c, err := caller.Conn(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	// A fourth cannot come while the three are open.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if c, err := caller.Conn(ctx); err == nil {
		c.Close()
		t.Fatal("a worker with Conns 3 dialled a fourth connection")
	}
	for _, c := range conns {
		multiply(t, c)
	}
}

// logLines collects Logf output.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logLines) count(substr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range l.lines {
		if strings.Contains(line, substr) {
			n++
		}
	}
	return n
}

func TestReconnectsWhenTheCallingSideComesBack(t *testing.T) {
	for _, away := range []bool{false, true} {
		t.Run(fmt.Sprintf("away until a dial fails: %v", away), func(t *testing.T) {
			first, err := reverse.Transport{}.Call(context.Background(), transports.Config{})
			if err != nil {
				t.Fatal(err)
			}
			addr := first.Addr().String()
			var log logLines
			worker(t, addr, 1, log.logf)
			ctx, cancel := context.WithTimeout(context.Background(), reconnectBound)
			defer cancel()
			c, err := first.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			multiply(t, c)
			first.Close()

			if away {
				poll.For(t, reconnectBound, "a failed dial logged while the calling side is away", func() bool { return log.count("connection refused") > 0 })
			}
			second, err := reverse.Transport{}.Call(context.Background(), transports.Config{Addr: addr})
			if err != nil {
				t.Fatalf("listening again on %s: %v", addr, err)
			}
			defer second.Close()
			c, err = second.Conn(ctx)
			if err != nil {
				t.Fatalf("worker did not come back within %v: %v", reconnectBound, err)
			}
			multiply(t, c)
			if n := log.count("dialling"); n < 2 {
				t.Errorf("%d dial attempts logged, want one per attempt", n)
			}
		})
	}
}
