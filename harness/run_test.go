package harness_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/harness"
	"github.com/rpcbench/rpcbench/harness/format"
	"github.com/rpcbench/rpcbench/measure"
	"github.com/rpcbench/rpcbench/server"
	"github.com/rpcbench/rpcbench/stack"
	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/netem"
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
	format.Text(&out, format.Run{Results: []*measure.Result{r}})
	if !strings.Contains(out.String(), "coordinated omission corrected") {
		t.Errorf("the open-loop table does not say how latency was counted:\n%s", out.String())
	}
}

func TestTheGeneratorsSpinIsCountedAndSaid(t *testing.T) {
	cfg := config(t, stack.Floor{}, "arith")
	cfg.Concurrency, cfg.Conns = 2, 2
	cfg.Calls = 0
	cfg.Duration = 300 * time.Millisecond
	cfg.Rate = 200 // 60 arrivals, each with up to 200µs spun before it
	r, err := harness.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// A wake later than the whole margin spins nothing, but not all 60.
	if most := 60 * 200 * time.Microsecond; r.Spin <= 0 || r.Spin > most+time.Millisecond {
		t.Fatalf("spun %v over 60 arrivals at 200/s; want some, at most %v", r.Spin, most)
	}
	var out bytes.Buffer
	format.Text(&out, format.Run{Results: []*measure.Result{r}})
	if !strings.Contains(out.String(), " of a CPU") {
		t.Errorf("the table does not say what the generator spun:\n%s", out.String())
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
	if r.Queued == 0 {
		t.Fatalf("queued %d at 100M calls/s from one caller; want the arrivals it had no caller for counted", r.Queued)
	}
	var out bytes.Buffer
	format.Text(&out, format.Run{Results: []*measure.Result{r}})
	if !strings.Contains(out.String(), "behind schedule: ") {
		t.Errorf("the table hides that the generator fell behind:\n%s", out.String())
	}
}

func TestACallPastItsTimeoutFailsWithoutHanging(t *testing.T) {
	// A server that reads everything and never answers.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stack.ServeEach(l, func(conn net.Conn) { io.Copy(io.Discard, conn) }).Close()
	cfg := config(t, stack.Floor{}, "arith")
	cfg.External = true
	cfg.TransportConfig.Addr = l.Addr().String()
	cfg.Calls = 0
	cfg.Duration = 300 * time.Millisecond
	cfg.Timeout = 500 * time.Millisecond
	start := time.Now()
	_, err = harness.Run(context.Background(), cfg)
	// The first call on each connection finds the server silent: the run
	// stops there, saying so, instead of timing out every call.
	if err == nil || !strings.Contains(err.Error(), "sent nothing back to a floor request within 500ms") {
		t.Fatalf("run against a silent server: %v; want the first call's timeout explained", err)
	}
	t.Logf("run against a silent server returned after %v: %v", time.Since(start), err)
}

func TestAnExternalServerReportsItsOwnCosts(t *testing.T) {
	msgpack, err := codecs.Lookup("msgpack")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config(t, stack.Codec{Codec: msgpack}, "bytes:1KiB")
	cfg.External = true
	cfg.TransportConfig.Addr = serveOnLoopback(t, &server.Server{Codec: msgpack})
	r, err := harness.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Server == nil || r.Server.Allocs == 0 || r.Server.CPU == 0 {
		t.Fatalf("server counters %+v; want the server's allocations and CPU over the window", r.Server)
	}
	var out bytes.Buffer
	format.Bench(&out, format.Run{Results: []*measure.Result{r}})
	if r.Server.CtxSwitches == 0 || r.Server.RWSyscalls == 0 {
		t.Errorf("server counters %+v; want its context switches and system calls over the window", r.Server)
	}
	if !strings.Contains(out.String(), "server-allocs/op") || !strings.Contains(out.String(), "server-ctxsw/op") {
		t.Errorf("bench output lacks the server's figures:\n%s", out.String())
	}
}

func TestAReverseWorkerOverSeveralConnectionsCountsOnce(t *testing.T) {
	msgpack, err := codecs.Lookup("msgpack")
	if err != nil {
		t.Fatal(err)
	}
	reverse, err := transports.Lookup("reverse")
	if err != nil {
		t.Fatal(err)
	}
	// Find a free port for the calling side to listen on.
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := free.Addr().String()
	free.Close()

	// One worker process (this one) that dials the run three times.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l, err := reverse.Serve(ctx, transports.Config{Addr: addr, Conns: 3})
	if err != nil {
		t.Fatal(err)
	}
	srv := &server.Server{Codec: msgpack}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	defer func() {
		srv.Shutdown(context.Background())
		cancel()
		<-served
	}()

	cfg := config(t, stack.Codec{Codec: msgpack}, "bytes:16")
	cfg.Transport = reverse
	cfg.External = true
	cfg.TransportConfig.Addr = addr
	cfg.Concurrency, cfg.Conns = 3, 3
	r, err := harness.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Server == nil || r.Server.Servers != 1 || len(r.Server.Instances) != 1 || r.Server.Instances[0].ID == "" {
		t.Fatalf("server counters %+v; want one server process, read once though it dialled three connections", r.Server)
	}
	if in := r.Server.Instances[0]; r.Server.Allocs != in.End.Allocs-in.Start.Allocs || r.Server.Allocs == 0 {
		t.Errorf("server allocations %d; want its one difference, %d", r.Server.Allocs, in.End.Allocs-in.Start.Allocs)
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
	// The restart follows the run: the server goes away once the window
	// has calls, and comes back once the run has counted them failing.
	inWindow, failing, ran := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var windowOnce, failingOnce sync.Once
	restarted := make(chan stack.Server, 1)
	go func() {
		select {
		case <-inWindow:
		case <-ran:
			srv.Close()
			restarted <- nil
			return
		}
		srv.Close() // the server goes away: its connections reset
		select {
		case <-failing:
		case <-ran:
			restarted <- nil
			return
		}
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
	cfg.Progress = func(p harness.Progress) {
		if !p.Warmup && p.Calls > 0 {
			windowOnce.Do(func() { close(inWindow) })
		}
		if !p.Warmup && p.Errors > 0 {
			failingOnce.Do(func() { close(failing) })
		}
	}
	r, err := harness.Run(context.Background(), cfg)
	close(ran)
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

// silentServer accepts connections and reads what they send, never
// replying; accepted receives each connection's first bytes.
func silentServer(t *testing.T) (addr string, read <-chan struct{}) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan struct{}, 1)
	srv := stack.ServeEach(l, func(conn net.Conn) {
		buf := make([]byte, 4096)
		for {
			if _, err := conn.Read(buf); err != nil {
				return
			}
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	})
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String(), ch
}

func TestARunAgainstASilentServerEndsWithinItsTimeout(t *testing.T) {
	msgpack, err := codecs.Lookup("msgpack")
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := silentServer(t)
	cfg := config(t, stack.Codec{Codec: msgpack}, "bytes:16")
	cfg.External = true
	cfg.TransportConfig.Addr = addr
	cfg.Calls, cfg.Duration, cfg.Timeout = 0, 300*time.Millisecond, 500*time.Millisecond
	done := make(chan error, 1)
	go func() {
		// The first call on each connection waits one timeout, and the
		// run stops there, saying why.
		_, err := harness.Run(context.Background(), cfg)
		if err == nil || !strings.Contains(err.Error(), "sent nothing back to a msgpack request within 500ms") {
			err = fmt.Errorf("Run: %v; want the silent first call explained", err)
		} else {
			err = nil
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(cfg.Duration + 2*cfg.Timeout + 10*time.Second):
		t.Fatal("Run against a server that never replies outlived its duration and timeouts")
	}
}

func TestARunAgainstASilentServerObeysItsContext(t *testing.T) {
	msgpack, err := codecs.Lookup("msgpack")
	if err != nil {
		t.Fatal(err)
	}
	// msgpack waits first in Stats.Read, before the window; the floor
	// has no Stats.Read and waits in its calls.
	for _, s := range []stack.Stack{stack.Codec{Codec: msgpack}, stack.Floor{}} {
		t.Run(s.ID().String(), func(t *testing.T) {
			addr, read := silentServer(t)
			cfg := config(t, s, "bytes:16")
			cfg.External = true
			cfg.TransportConfig.Addr = addr
			cfg.Calls, cfg.Duration, cfg.Timeout = 0, time.Hour, time.Hour
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := harness.Run(ctx, cfg)
				done <- err
			}()
			<-read // a call is waiting for its reply
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("Run: %v; want it to end with the context", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Run against a server that never replies ignored its context")
			}
		})
	}
}

func TestASilentReverseDialerCostsOneTimeout(t *testing.T) {
	reverse, err := transports.Lookup("reverse")
	if err != nil {
		t.Fatal(err)
	}
	// Find a free port for the calling side to listen on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	cfg := config(t, stack.Floor{}, "bytes:16")
	cfg.Transport = reverse
	cfg.External = true
	cfg.TransportConfig.Addr = addr
	cfg.Calls, cfg.Duration, cfg.Timeout = 0, 300*time.Millisecond, 2*time.Second
	done := make(chan error, 1)
	go func() {
		_, err := harness.Run(context.Background(), cfg)
		done <- err
	}()
	// One dialer that connects and says nothing, where the run wants
	// four connections.
	var conn net.Conn
	for conn == nil {
		if conn, err = net.Dial("tcp", addr); err != nil {
			select {
			case err := <-done:
				t.Fatalf("Run ended before the dialer connected: %v", err)
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	defer conn.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Run with one silent dialer of four: no error")
		}
		t.Logf("Run: %v", err)
	case <-time.After(cfg.Timeout*2 + cfg.Timeout/4):
		// Waiting a timeout per missing connection would take three.
		t.Fatal("Run waited for the missing reverse connections more than once")
	}
}

func TestAnInterruptedRunKeepsWhatItMeasuredAndSaysSo(t *testing.T) {
	cfg := config(t, stack.FloorMux{}, "bytes:16")
	cfg.Calls, cfg.Duration = 0, time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg.Progress = func(harness.Progress) { cancel() } // the first report, a tenth of a second in
	r, err := harness.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Interrupted || r.Calls == 0 || r.Errors != 0 {
		t.Fatalf("interrupted %v, calls %d, errors %d (%s); want the calls made before the interrupt, none failed, marked interrupted",
			r.Interrupted, r.Calls, r.Errors, r.FirstError)
	}
}

func TestALoginToASilentServerEndsWithinTheTimeout(t *testing.T) {
	msgpack, err := codecs.Lookup("msgpack")
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := silentServer(t)
	cfg := config(t, stack.Codec{Codec: msgpack, Token: []byte("0123456789abcdef")}, "bytes:16")
	cfg.External = true
	cfg.TransportConfig.Addr = addr
	cfg.Timeout = 500 * time.Millisecond
	done := make(chan error, 1)
	go func() {
		_, err := harness.Run(context.Background(), cfg)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Run logged in to a server that never replies")
		}
		t.Logf("Run: %v", err)
	case <-time.After(5 * time.Second): // the login's own limit is 10s
		t.Fatal("a login to a server that never replies outlived the run's timeout")
	}
}

// A server that refuses every call (here: it wants a login the run has no
// token for) stops the run after its first calls, with the server's error
// and what to do, instead of counting failures for a whole window.
func TestARunWhoseFirstCallsAllFailStops(t *testing.T) {
	msgpack, err := codecs.Lookup("msgpack")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config(t, stack.Codec{Codec: msgpack}, "bytes:16")
	cfg.External = true
	cfg.TransportConfig.Addr = serveOnLoopback(t, &server.Server{Codec: msgpack, Token: []byte("a token of sixteen bytes")})
	cfg.Calls = 0
	cfg.Duration = time.Hour
	r, err := harness.Run(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "unauthenticated") || !strings.Contains(err.Error(), "--token-file") {
		t.Fatalf("Run: %v (result %v); want the first calls' error and a hint naming --token-file", err, r)
	}
	t.Log(err)
}

// rpcbench's own server speaks the codec: when it closes the connection
// on the first call, the message says which limit, not "another codec".
func TestOwnServerClosingOnTheFirstCallNamesMaxMessage(t *testing.T) {
	gob, err := codecs.New("gob", codecs.Options{MaxMessage: 10})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config(t, stack.Codec{Codec: gob}, "bytes:1KiB")
	cfg.MaxMessage = 10
	_, err = harness.Run(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "own in-process server did not answer the first gob call: is the bytes:1KiB request or its reply larger than --max-message 10 bytes?") || strings.Contains(err.Error(), "another codec") {
		t.Fatalf("Run: %v; want the in-process server's closing explained by --max-message", err)
	}
}

// serveOnLoopback serves srv on a loopback port until the test ends and
// returns its address.
func serveOnLoopback(t *testing.T, srv *server.Server) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return l.Addr().String()
}

// Over a link that partitions, each return of the link within the window
// is timed to the first call that succeeds after it, or counted as never
// recovered: none is lost or counted twice.
func TestRecoveryIsTimedFromEachPartitionsEnd(t *testing.T) {
	p, err := netem.Parse("custom:latency=50us,partition=400ms:100ms")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config(t, stack.Floor{}, "arith")
	cfg.Transport, cfg.Net = netem.Wrap(cfg.Transport, p), p.Name
	cfg.Concurrency, cfg.Conns, cfg.Calls, cfg.Duration = 2, 2, 0, 1500*time.Millisecond
	r, err := harness.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ends := p.PartitionEnds(r.WindowStart, r.WindowEnd)
	if len(ends) < 3 || len(r.Recoveries)+r.Unrecovered != len(ends) {
		t.Fatalf("%d recoveries and %d unrecovered for the %d returns of the link in the window; want one each, and at least 3", len(r.Recoveries), r.Unrecovered, len(ends))
	}
	for i, d := range r.Recoveries {
		if d <= 0 {
			t.Errorf("recovery %d took %v; want the first success after the link came back", i, d)
		}
	}
	var out bytes.Buffer
	format.Text(&out, format.Run{Results: []*measure.Result{r}})
	if !strings.Contains(out.String(), "recovery: ") || !strings.Contains(out.String(), "emulated loss: ") {
		t.Errorf("the table does not say how calls recovered, or how the network's loss is emulated:\n%s", out.String())
	}
}
