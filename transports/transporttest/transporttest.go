// Package transporttest is the conformance suite every transport passes,
// in the manner of golang.org/x/net/nettest: one Run over any transport,
// with a watchdog so that a hung implementation fails instead of hanging.
// Beside its own cases (both halves, many connections, half-close, closing
// either half) it runs nettest.TestConn on the connections both halves
// yield. A team with a transport in its own module runs it in its own
// go test, as the built-in transports do:
//
//	func TestConformance(t *testing.T) {
//		transporttest.Run(t, mytransport.Transport{}, transports.Config{})
//	}
package transporttest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/net/nettest"

	"github.com/rpcbench/rpcbench/internal/watchdog"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/netem"
)

// Watchdog bounds each test; when it fires the test fails and both halves
// are closed, which unblocks a correct implementation.
const Watchdog = 30 * time.Second

// emulated is the network profile Run repeats the tests under: lan's
// latency, bandwidth and MTU.
const emulated = "lan"

// Run tests tr with cfg (Addr left empty lets each half pick its own),
// first as it is and then under emulated network conditions. Each test
// starts both halves with transports.Pair, setting cfg.Conns to the number
// of connections it uses, and Run checks at the end that no goroutine was
// left behind.
func Run(t *testing.T, tr transports.Transport, cfg transports.Config) {
	t.Helper()
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	profile, err := netem.Parse(emulated)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("net=none", func(t *testing.T) { run(t, tr, cfg) })
	t.Run("net=emulated", func(t *testing.T) { run(t, netem.Wrap(tr, profile), cfg) })
}

func run(t *testing.T, tr transports.Transport, cfg transports.Config) {
	tests := []struct {
		name  string
		conns int
		test  func(*testing.T, *pair)
	}{
		{"bytes cross both ways", 1, testExchange},
		{"many connections carry their own bytes", 24, testManyConns},
		{"large transfers cross both ways at once", 1, testLarge},
		{"half-close delivers EOF and keeps the other direction", 1, testHalfClose},
		{"closing one end ends reads at the other", 1, testClose},
		{"closing the serving half closes its connections", 1, testCloseListener},
		{"closing the calling half closes its connections", 1, testCloseCaller},
		{"deadlines time out reads and writes", 1, testDeadlines},
		{"Conn honours a cancelled context", 1, testConnContext},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := cfg
			cfg.Conns = tt.conns
			p := start(t, tr, cfg)
			defer p.stop()
			watchdog.Arm(t, Watchdog, tr.Name()).TrackFunc(p.stop)
			tt.test(t, p)
		})
	}
	// nettest's battery, with either end as the one it tests most (c1:
	// deadlines, racing reads and writes, close during a blocked call).
	for _, end := range []struct {
		name         string
		servingFirst bool
	}{{"calling", false}, {"serving", true}} {
		t.Run("the "+end.name+" end behaves as a net.Conn", func(t *testing.T) {
			nettest.TestConn(t, makePipe(t, tr, cfg, end.servingFirst))
		})
	}
}

// makePipe returns nettest's factory over tr: each pipe is both ends of one
// connection of a fresh pair of halves, the serving end first when
// servingFirst. Stopping it closes both halves, and with them the ends.
func makePipe(t *testing.T, tr transports.Transport, cfg transports.Config, servingFirst bool) nettest.MakePipe {
	cfg.Conns = 1
	return func() (c1, c2 net.Conn, stop func(), err error) {
		ctx, cancel := context.WithTimeout(context.Background(), Watchdog)
		defer cancel()
		l, c, err := transports.Pair(ctx, tr, cfg)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: starting both halves: %w", tr.Name(), err)
		}
		type accepted struct {
			conn net.Conn
			err  error
		}
		acc := make(chan accepted, 1)
		go func() {
			conn, err := l.Accept()
			acc <- accepted{conn, err}
		}()
		stop = func() {
			c.Close()
			l.Close()
		}
		client, err := c.Conn(ctx)
		if err != nil {
			stop()
			<-acc
			return nil, nil, nil, fmt.Errorf("%s: calling half: Conn: %w", tr.Name(), err)
		}
		a := <-acc
		if a.err != nil {
			client.Close()
			stop()
			return nil, nil, nil, fmt.Errorf("%s: serving half: Accept: %w", tr.Name(), a.err)
		}
		stop = func() {
			client.Close()
			a.conn.Close()
			c.Close()
			l.Close()
		}
		if servingFirst {
			return a.conn, client, stop, nil
		}
		return client, a.conn, stop, nil
	}
}

// pair is a running serving half and calling half.
type pair struct {
	l        net.Listener
	c        transports.Caller
	accepted chan net.Conn // the serving half's connections, as Accept yields them
	loop     sync.WaitGroup
	once     sync.Once
}

func start(t *testing.T, tr transports.Transport, cfg transports.Config) *pair {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Watchdog)
	defer cancel()
	l, c, err := transports.Pair(ctx, tr, cfg)
	if err != nil {
		t.Fatalf("%s: starting both halves: %v", tr.Name(), err)
	}
	p := &pair{l: l, c: c, accepted: make(chan net.Conn, 64)}
	p.loop.Add(1)
	go func() {
		defer p.loop.Done()
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			p.accepted <- conn
		}
	}()
	return p
}

// stop closes both halves, waits for the accept loop, and closes
// connections nobody took.
func (p *pair) stop() {
	p.once.Do(func() {
		p.c.Close()
		p.l.Close()
		p.loop.Wait()
		close(p.accepted)
		for c := range p.accepted {
			c.Close()
		}
	})
}

// dial returns a connection from the calling half.
func (p *pair) dial(t *testing.T) net.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Watchdog)
	defer cancel()
	c, err := p.c.Conn(ctx)
	if err != nil {
		t.Fatalf("calling half: Conn: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// accept returns the serving half's next connection.
func (p *pair) accept(t *testing.T) net.Conn {
	t.Helper()
	select {
	case c, ok := <-p.accepted:
		if !ok {
			t.Fatal("serving half: closed before yielding a connection")
		}
		t.Cleanup(func() { c.Close() })
		return c
	case <-time.After(Watchdog):
		t.Fatal("serving half: no connection arrived")
		return nil
	}
}

// pairConns returns both ends of one connection.
func (p *pair) pairConns(t *testing.T) (client, server net.Conn) {
	t.Helper()
	return p.dial(t), p.accept(t)
}

func send(t *testing.T, w net.Conn, msg string) {
	t.Helper()
	if _, err := io.WriteString(w, msg); err != nil {
		t.Fatalf("writing %q: %v", msg, err)
	}
}

func expect(t *testing.T, r net.Conn, want string) {
	t.Helper()
	got := make([]byte, len(want))
	if _, err := io.ReadFull(r, got); err != nil {
		t.Fatalf("reading %q: %v (got %q)", want, err, got)
	}
	if string(got) != want {
		t.Fatalf("read %q, want %q", got, want)
	}
}

// expectError waits for a Read on c to fail, as it must once either end
// is closed.
func expectError(t *testing.T, c net.Conn, what string) {
	t.Helper()
	var buf [16]byte
	n, err := c.Read(buf[:])
	if err == nil {
		t.Fatalf("%s: Read returned %d bytes %q, want an error", what, n, buf[:n])
	}
}

func testExchange(t *testing.T, p *pair) {
	client, server := p.pairConns(t)
	send(t, client, "ping from the calling half")
	expect(t, server, "ping from the calling half")
	send(t, server, "pong from the serving half")
	expect(t, client, "pong from the serving half")
}

func testManyConns(t *testing.T, p *pair) {
	const n = 24
	go func() {
		for range n {
			s, ok := <-p.accepted
			if !ok {
				return
			}
			go func() {
				defer s.Close()
				io.Copy(s, s)
			}()
		}
	}()
	// Dial one at a time, then talk on all at once: connection set-up may
	// be costly (TLS, or network emulation's clock sync, which fails when
	// a crowd of handshakes makes it measure more latency than it should
	// add).
	conns := make([]net.Conn, n)
	for i := range conns {
		conns[i] = p.dial(t)
	}
	errs := make(chan error, n)
	for i, c := range conns {
		go func() {
			errs <- func() error {
				defer c.Close()
				msg := fmt.Sprintf("message on connection %d", i)
				for range 10 {
					if _, err := io.WriteString(c, msg); err != nil {
						return fmt.Errorf("conn %d: write: %w", i, err)
					}
					got := make([]byte, len(msg))
					if _, err := io.ReadFull(c, got); err != nil {
						return fmt.Errorf("conn %d: read: %w", i, err)
					}
					if string(got) != msg {
						return fmt.Errorf("conn %d: echoed %q, want %q", i, got, msg)
					}
				}
				return nil
			}()
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func testLarge(t *testing.T, p *pair) {
	const size = 1 << 20
	client, server := p.pairConns(t)
	echoed := make(chan error, 1)
	go func() {
		_, err := io.CopyN(server, server, size)
		echoed <- err
	}()
	data := make([]byte, size)
	rng := rand.NewChaCha8([32]byte{1})
	rng.Read(data)
	wrote := make(chan error, 1)
	go func() {
		_, err := client.Write(data)
		wrote <- err
	}()
	got := make([]byte, size)
	if _, err := io.ReadFull(client, got); err != nil {
		t.Fatalf("reading the echo: %v", err)
	}
	if err := <-wrote; err != nil {
		t.Fatalf("writing %d bytes: %v", size, err)
	}
	if err := <-echoed; err != nil {
		t.Fatalf("serving half echoing: %v", err)
	}
	if i := firstDiff(got, data); i >= 0 {
		t.Fatalf("echoed bytes differ from byte %d of %d", i, size)
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

func testHalfClose(t *testing.T, p *pair) {
	client, server := p.pairConns(t)
	cw, ok := client.(interface{ CloseWrite() error })
	if !ok {
		t.Skipf("connection %T has no CloseWrite", client)
	}
	send(t, client, "request")
	if err := cw.CloseWrite(); errors.Is(err, errors.ErrUnsupported) {
		t.Skipf("connection %T cannot half-close: %v", client, err)
	} else if err != nil {
		t.Fatalf("CloseWrite: %v", err)
	}
	got, err := io.ReadAll(server)
	if err != nil || string(got) != "request" {
		t.Fatalf("serving half read %q, %v; want %q then EOF", got, err, "request")
	}
	send(t, server, "reply after EOF")
	server.Close()
	got, err = io.ReadAll(client)
	if err != nil || string(got) != "reply after EOF" {
		t.Fatalf("calling half read %q, %v; want %q then EOF", got, err, "reply after EOF")
	}
}

func testClose(t *testing.T, p *pair) {
	t.Run("calling end", func(t *testing.T) {
		client, server := p.pairConns(t)
		if err := client.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		expectError(t, server, "serving end after the calling end closed")
		if _, err := client.Write([]byte("x")); err == nil {
			t.Error("Write on a closed connection succeeded")
		}
		expectError(t, client, "calling end after its own Close")
	})
	t.Run("serving end", func(t *testing.T) {
		client, server := p.pairConns(t)
		if err := server.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		expectError(t, client, "calling end after the serving end closed")
		if _, err := server.Write([]byte("x")); err == nil {
			t.Error("Write on a closed connection succeeded")
		}
	})
}

// pendingRead starts a Read on c and returns where its error will arrive.
func pendingRead(c net.Conn) <-chan error {
	done := make(chan error, 1)
	go func() {
		var buf [16]byte
		_, err := c.Read(buf[:])
		done <- err
	}()
	return done
}

func waitRead(t *testing.T, done <-chan error, what string) {
	t.Helper()
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("%s: Read returned no error", what)
		}
	case <-time.After(Watchdog):
		t.Fatalf("%s: Read still blocked", what)
	}
}

func testCloseListener(t *testing.T, p *pair) {
	client, server := p.pairConns(t)
	serverRead := pendingRead(server)
	clientRead := pendingRead(client)
	if err := p.l.Close(); err != nil {
		t.Fatalf("closing the serving half: %v", err)
	}
	waitRead(t, serverRead, "serving end's pending Read")
	waitRead(t, clientRead, "calling end's pending Read")
	if c, err := p.l.Accept(); err == nil {
		c.Close()
		t.Error("Accept after Close yielded a connection")
	}
}

func testCloseCaller(t *testing.T, p *pair) {
	client, _ := p.pairConns(t)
	clientRead := pendingRead(client)
	if err := p.c.Close(); err != nil {
		t.Fatalf("closing the calling half: %v", err)
	}
	waitRead(t, clientRead, "calling end's pending Read")
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if c, err := p.c.Conn(ctx); err == nil {
		c.Close()
		t.Error("Conn after Close yielded a connection")
	}
}

func testDeadlines(t *testing.T, p *pair) {
	client, server := p.pairConns(t)
	for _, end := range []struct {
		name string
		c    net.Conn
	}{{"calling", client}, {"serving", server}} {
		end.c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		var buf [1]byte
		_, err := end.c.Read(buf[:])
		var ne net.Error
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("%s end: Read past its deadline returned %v, want a timeout (os.ErrDeadlineExceeded)", end.name, err)
		}
		end.c.SetReadDeadline(time.Time{})
	}
	// A read that timed out with nothing read leaves the stream usable.
	send(t, client, "after the timeout")
	expect(t, server, "after the timeout")
	send(t, server, "reply")
	expect(t, client, "reply")

	client.SetWriteDeadline(time.Now().Add(-time.Second))
	if _, err := client.Write([]byte("late")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Write past its deadline returned %v, want os.ErrDeadlineExceeded", err)
	}
}

func testConnContext(t *testing.T, p *pair) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c, err := p.c.Conn(ctx)
	if err == nil {
		c.Close()
		t.Fatal("Conn with a cancelled context yielded a connection")
	}
	// The calling half still works.
	client, server := p.pairConns(t)
	send(t, client, "still here")
	expect(t, server, "still here")
}

// ServeGob serves the rpcbench service with the standard library's gob
// codec (rpc.Server.ServeConn) on every connection l yields, until the test
// ends: the stdlib peer that interop tests of a transport talk to.
func ServeGob(t *testing.T, l net.Listener) {
	srv := service.NewServer()
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { srv.ServeConn(c) }) // closes c when the caller goes away
		}
	})
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
	})
}
