package attack_test

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/internal/pausing"
	"github.com/rpcbench/rpcbench/internal/poll"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/transports"
	_ "github.com/rpcbench/rpcbench/transports/all"
)

// slowReader reads at about rate bytes a second (0: as fast as it
// can): a client on a slow link.
type slowReader struct {
	net.Conn
	rate float64
	read atomic.Int64 // bytes read so far
}

func (c *slowReader) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p[:min(len(p), 256<<10)])
	c.read.Add(int64(n))
	if c.rate > 0 {
		time.Sleep(time.Duration(float64(n) / c.rate * float64(time.Second))) // sleeps on purpose: the slow link
	}
	return n, err
}

// TestSIGTERMLetsCallsInFlightFinish starts serve over each transport,
// has a 20 MB Echo read back slowly and a request half sent, and sends
// SIGTERM in the middle of both: both calls must complete, and serve
// then exit 0. Before, serve closed every connection at once (the
// transports' listeners closed what they had yielded) and both failed.
func TestSIGTERMLetsCallsInFlightFinish(t *testing.T) {
	codec, err := codecs.Lookup("gob")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tcp", "unix", "http", "tls", "reverse"} {
		t.Run(name, func(t *testing.T) {
			tr, err := transports.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cfg := transports.Config{Codec: codec.Name(), Insecure: true}
			args := []string{"--transport", name}
			var srv *server
			var caller transports.Caller
			if transports.IsReversed(tr) {
				if caller, err = tr.Call(ctx, cfg); err != nil {
					t.Fatal(err)
				}
				srv = serve(t, nil, codec.Name(), append(args, "--addr", caller.Addr().String(), "--conns", "2")...)
			} else {
				if name == "unix" {
					args = append(args, "--addr", filepath.Join(t.TempDir(), "s.sock"))
				}
				srv = serve(t, nil, codec.Name(), args...)
				cfg.Addr = srv.addr
				if caller, err = tr.Call(ctx, cfg); err != nil {
					t.Fatal(err)
				}
			}
			defer caller.Close()
			dial := func() net.Conn {
				c, err := caller.Conn(ctx)
				if err != nil {
					t.Fatal(err)
				}
				c.SetDeadline(time.Now().Add(25 * time.Second))
				return c
			}
			// About 2s to read 20 MB back at 10 MB/s, within serve's 5s
			// grace on a loaded machine.
			big := bytes.Repeat([]byte("e"), 20<<20)
			slowConn := &slowReader{Conn: dial(), rate: 10e6}
			slow := rpc.NewClientWithCodec(codec.NewClientCodec(slowConn))
			defer slow.Close()
			echo := slow.Go("Echo.Echo", &service.EchoRequest{Payload: big}, new(service.EchoReply), nil)

			hw := pausing.New(dial(), 512<<10)
			half := rpc.NewClientWithCodec(codec.NewClientCodec(hw))
			defer half.Close()
			halfDone := make(chan *rpc.Call, 1)
			go half.Go("Echo.Echo", &service.EchoRequest{Payload: big[:1<<20]}, new(service.EchoReply), halfDone)
			<-hw.Paused

			poll.For(t, 10*time.Second, "the reply to be on its way", func() bool { return slowConn.read.Load() > 0 })
			began := time.Now()
			srv.cmd.Process.Signal(syscall.SIGTERM)
			poll.For(t, 10*time.Second, "serve to say it is shutting down", func() bool { return strings.Contains(srv.stderr.String(), "shutting down") })
			close(hw.Resume)
			for what, call := range map[string]*rpc.Call{"the 20 MB Echo read slowly": <-echo.Done, "the request whose body was arriving": <-halfDone} {
				if call.Error != nil {
					t.Errorf("%s failed after SIGTERM: %v\nserver's log:\n%s", what, call.Error, srv.stderr)
				} else if n, want := len(call.Reply.(*service.EchoReply).GetPayload()), len(call.Args.(*service.EchoRequest).GetPayload()); n != want {
					t.Errorf("%s: %d bytes back, want %d", what, n, want)
				}
			}
			t.Logf("%s: calls completed %v after SIGTERM", name, time.Since(began).Round(time.Millisecond))
			if err := srv.wait(t, 10*time.Second); err != nil {
				t.Errorf("serve after SIGTERM: %v, want exit status 0\n%s", err, srv.stderr)
			}
		})
	}
}

// TestAClientThatNeverReadsIsBounded writes Echo requests of 1 MiB and
// reads nothing, up to 1 GiB or until the server stops taking them: the
// server must stop reading (its memory and goroutines stay bounded) and
// answer other clients all the while. Before, it read everything,
// starting a goroutine per call and holding every reply.
func TestAClientThatNeverReadsIsBounded(t *testing.T) {
	const (
		budget     = 1 << 30
		maxRSS     = 300 << 20
		stallAfter = 3 * time.Second
	)
	codec, err := codecs.Lookup("gob")
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, nil, "gob")
	idle, err := srv.goroutines(nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.resetPeak(t)
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var written int64
	for range 4 { // four such clients
		c, err := net.Dial("tcp", srv.addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		wg.Go(func() {
			cc := codec.NewClientCodec(writeDeadlined{c, stallAfter})
			req := &service.EchoRequest{Payload: bytes.Repeat([]byte("n"), 1<<20)}
			var n int64
			for seq := uint64(1); n < budget/4; seq++ {
				if err := cc.WriteRequest(&rpc.Request{ServiceMethod: "Echo.Echo", Seq: seq}, req); err != nil {
					break
				}
				n += 1 << 20
			}
			mu.Lock()
			written += n
			mu.Unlock()
		})
	}
	// Meanwhile, others get answers.
	for range 3 {
		srv.assertServing(t, nil, "while clients were writing calls and reading no replies")
	}
	wg.Wait()
	n, err := srv.goroutines(nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := srv.usage()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("4 clients wrote %d MiB of calls without reading; server peak RSS %d MiB, %d goroutines (%d idle)", written>>20, u.PeakRSS>>20, n, idle)
	if u.PeakRSS > maxRSS {
		t.Errorf("server's memory peaked at %d MiB, want under %d MiB", u.PeakRSS>>20, maxRSS>>20)
	}
	if n > idle+4*130 {
		t.Errorf("server has %d goroutines (idle: %d): not bounded by the cap on calls per connection", n, idle)
	}
	srv.assertServing(t, nil, "after clients wrote calls and read no replies")
	for _, c := range conns {
		c.Close()
	}
	conns = nil
	srv.assertIdle(t, idle)
	srv.shutdown(t)
}

// writeDeadlined gives each write d to finish: the server stopping
// reading shows as a write that does not.
type writeDeadlined struct {
	net.Conn
	d time.Duration
}

func (c writeDeadlined) Write(p []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.d))
	return c.Conn.Write(p)
}

// TestGobTypeDefinitionsAreBounded sends type definitions and nothing
// else, each in a message of its own (so the cap on message size does
// not bound them): the server must end the connection with an error that
// says why, and keep its memory. Before, it kept every definition.
func TestGobTypeDefinitionsAreBounded(t *testing.T) {
	const n = 1500
	var defs []byte
	var buf bytes.Buffer
	enc := gob.NewEncoder(&buf)
	for i := range n {
		typ := reflect.StructOf([]reflect.StructField{{Name: fmt.Sprintf("T%07d", i), Type: reflect.TypeFor[int64]()}})
		buf.Reset()
		if err := enc.EncodeValue(reflect.New(typ).Elem()); err != nil {
			t.Fatal(err)
		}
		msgs := gobMessages(buf.Bytes())
		def := msgs[0] // the definition; the value follows
		defs = append(append(defs, gobUint(uint64(len(def)))...), def...)
	}
	srv := serve(t, nil, "gob")
	srv.resetPeak(t)
	c, err := net.Dial("tcp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	_, werr := c.Write(defs)
	_, rerr := c.Read(make([]byte, 1))
	if !errors.Is(rerr, io.EOF) && !errors.Is(rerr, syscall.ECONNRESET) {
		t.Errorf("after %d type definitions: write %v, read %v; want the server to close the connection", n, werr, rerr)
	}
	err = poll.Within(10*time.Second, func() error {
		if log := srv.stderr.String(); !strings.Contains(log, "at most 1024 types") {
			return fmt.Errorf("server's log does not say why it closed the connection:\n%s", log)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	u, _ := srv.usage()
	t.Logf("after %d type definitions: peak RSS %d MiB", n, u.PeakRSS>>20)
	srv.assertServing(t, nil, "after a flood of type definitions")
	srv.shutdown(t)
}

// TestUnixSocketEdges: a socket file left by a server killed with SIGKILL
// is replaced by the next; a live server's socket is not taken over; and
// the socket's mode is 0600 unless --socket-mode says otherwise.
func TestUnixSocketEdges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rpcbench.sock")
	first := serve(t, nil, "gob", "--transport", "unix", "--addr", path)
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode = %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	second := start(t, nil, "serve", "--codec", "gob", "--transport", "unix", "--addr", path)
	if err := second.wait(t, 10*time.Second); err == nil || !strings.Contains(second.stderr.String(), "live server") {
		t.Errorf("a second serve on a live socket: %v, stderr %q; want it refused", err, second.stderr)
	}
	first.cmd.Process.Kill()
	<-first.exited
	third := serve(t, nil, "gob", "--transport", "unix", "--addr", path, "--socket-mode", "0660")
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o660 {
		t.Errorf("socket mode with --socket-mode 0660 = %v (%v)", fi.Mode().Perm(), err)
	}
	third.assertServing(t, nil, "on a socket left by a killed server")
	third.shutdown(t)
}

// TestServeSurvivesItsLogReaderAndEndsOnSIGHUP runs serve with its log
// going to a pipe whose reader has gone (serve 2>&1 | head -2), logs a
// line by a bad connection, and checks serve still answers; then SIGHUP
// must end it cleanly, as SIGTERM does.
func TestServeSurvivesItsLogReaderAndEndsOnSIGHUP(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cmd := exec.Command(bin, "serve", "--codec", "gob", "--addr", addr)
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer cmd.Process.Kill() // the goroutine above then ends
	// Read the first lines, as head -2 does, then go away.
	buf := make([]byte, 4096)
	r.SetReadDeadline(time.Now().Add(10 * time.Second))
	r.Read(buf)
	r.Close()
	srv := &server{proc: &proc{cmd: cmd, stdout: newOutput(1), stderr: newOutput(1), exited: make(chan struct{})}, codec: "gob", transport: "tcp", addr: addr}
	for range 3 { // bad connections: a log line each
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		// A gob count that claims 16 bytes of length: refused at once.
		c.Write(bytes.Repeat([]byte{0xf0}, 64))
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		c.Read(make([]byte, 1))
		c.Close()
	}
	time.Sleep(1500 * time.Millisecond) // sleeps on purpose: past the log limiter's second
	select {
	case err := <-exited:
		t.Fatalf("serve died when its log reader went away: %v", err)
	default:
	}
	if out, err := srv.call(nil, "Arith.Multiply", `{"a":6,"b":7}`); err != nil || out != `{"value":42}` {
		t.Errorf("call after the log reader went away: %q, %v", out, err)
	}
	cmd.Process.Signal(syscall.SIGHUP)
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("serve after SIGHUP: %v, want exit status 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("serve still running 10s after SIGHUP")
	}
}

// gobUint encodes n as gob encodes an unsigned integer: one byte below
// 128, else the negated count of the big-endian bytes that follow.
func gobUint(n uint64) []byte {
	if n < 128 {
		return []byte{byte(n)}
	}
	var b []byte
	for ; n > 0; n >>= 8 {
		b = append([]byte{byte(n)}, b...)
	}
	return append([]byte{byte(-len(b))}, b...)
}

// gobMessages splits a gob stream into its messages' bodies.
func gobMessages(b []byte) [][]byte {
	var msgs [][]byte
	for len(b) > 0 {
		n, w := uint64(b[0]), 1
		if n >= 128 {
			w = 1 + int(-int8(b[0]))
			n = 0
			for _, c := range b[1:w] {
				n = n<<8 | uint64(c)
			}
		}
		msgs = append(msgs, b[w:w+int(n)])
		b = b[w+int(n):]
	}
	return msgs
}
