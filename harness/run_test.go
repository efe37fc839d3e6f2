package harness_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/harness"
	"github.com/rpcbench/rpcbench/harness/format"
	"github.com/rpcbench/rpcbench/harness/server"
	"github.com/rpcbench/rpcbench/harness/stack"
)

// The scheduler's figures are tested exactly on a fake clock
// (load_test.go); these runs check that the table says what they mean.

func TestTheOpenLoopTableSaysHowLatencyCounts(t *testing.T) {
	cfg := config(t, stack.Floor{}, "arith")
	cfg.Calls = 0
	cfg.Duration = 100 * time.Millisecond
	cfg.Rate = 2000
	r, err := harness.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	format.Text(&out, format.Run{Results: []*harness.Result{r}})
	if !strings.Contains(out.String(), "coordinated omission corrected") {
		t.Errorf("the open-loop table does not say how latency was counted:\n%s", out.String())
	}
}

func TestTheTableSaysTheGeneratorFellBehind(t *testing.T) {
	cfg := config(t, stack.Floor{}, "arith")
	cfg.Concurrency, cfg.Conns = 1, 1
	cfg.Calls = 0
	cfg.Duration = 100 * time.Millisecond
	cfg.Rate = 1e8 // one caller cannot make a call every 10ns
	r, err := harness.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Late == 0 {
		t.Fatalf("late %d at 100M calls/s from one caller; want the generator to report falling behind", r.Late)
	}
	var out bytes.Buffer
	format.Text(&out, format.Run{Results: []*harness.Result{r}})
	if !strings.Contains(out.String(), "BEHIND SCHEDULE") {
		t.Errorf("the table hides that the generator fell behind:\n%s", out.String())
	}
}

func TestACallPastItsTimeoutFailsWithoutHanging(t *testing.T) {
	// A server that reads everything and never answers.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				io.Copy(io.Discard, conn)
				conn.Close()
			}()
		}
	}()
	cfg := config(t, stack.Floor{}, "arith")
	cfg.External = true
	cfg.TransportConfig.Addr = l.Addr().String()
	cfg.Calls = 0
	cfg.Duration = 300 * time.Millisecond
	cfg.Timeout = 500 * time.Millisecond
	start := time.Now()
	r, err := harness.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Errors == 0 || !strings.Contains(r.FirstError, "timed out") {
		t.Fatalf("errors %d, first %q; want calls that timed out", r.Errors, r.FirstError)
	}
	t.Logf("run against a silent server returned after %v with %d errors", time.Since(start), r.Errors)
}

func TestAnExternalServerReportsItsOwnCosts(t *testing.T) {
	msgpack, err := codecs.Lookup("msgpack")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &server.Server{Codec: msgpack}
	go srv.Serve(l)
	defer srv.Shutdown(context.Background())

	cfg := config(t, stack.Codec{Codec: msgpack}, "bytes:1KiB")
	cfg.External = true
	cfg.TransportConfig.Addr = l.Addr().String()
	r, err := harness.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Server == nil || r.Server.Allocs == 0 || r.Server.CPU == 0 {
		t.Fatalf("server counters %+v; want the server's allocations and CPU over the window", r.Server)
	}
	var out bytes.Buffer
	format.Bench(&out, format.Run{Results: []*harness.Result{r}})
	if !strings.Contains(out.String(), "server-allocs/op") {
		t.Errorf("bench output lacks the server's figures:\n%s", out.String())
	}
}

// countingListener counts the bytes its connections read.
type countingListener struct {
	net.Listener
	read *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	return countedConn{c, l.read}, err
}

type countedConn struct {
	net.Conn
	read *atomic.Int64
}

func (c countedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

func TestARunOutlivesAServerRestart(t *testing.T) {
	first, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := first.Addr().String()
	srv := stack.Floor{}.Serve(first, nil)
	var readBySecond atomic.Int64
	restarted := make(chan stack.Server, 1)
	go func() {
		time.Sleep(300 * time.Millisecond)
		srv.Close() // the server goes away: its connections reset
		time.Sleep(200 * time.Millisecond)
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Error(err)
			restarted <- nil
			return
		}
		restarted <- stack.Floor{}.Serve(countingListener{l, &readBySecond}, nil)
	}()

	cfg := config(t, stack.Floor{}, "arith")
	cfg.External = true
	cfg.TransportConfig.Addr = addr
	cfg.Calls = 0
	cfg.Duration = 1200 * time.Millisecond
	r, err := harness.Run(context.Background(), cfg)
	if second := <-restarted; second != nil {
		second.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	if r.Errors == 0 {
		t.Errorf("no errors across a server restart; want the failed calls counted")
	}
	if readBySecond.Load() == 0 {
		t.Fatalf("the restarted server got no calls: the run did not reconnect (%d calls, %d errors, first %q)", r.Calls, r.Errors, r.FirstError)
	}
	t.Logf("%d calls, %d errors (first: %s), %d bytes to the restarted server", r.Calls, r.Errors, r.FirstError, readBySecond.Load())
}
