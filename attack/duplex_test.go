package attack_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/internal/poll"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/transports/duplex"
)

// TestADuplexMasterAndWorkerCallEachOther runs the duplex workload across
// two processes: `run --workload duplex --listen` is the master and calls
// down, `serve --transport duplex --back-concurrency` is the worker and
// calls up over the same connection; each prints its direction's row,
// and neither fails a call.
func TestADuplexMasterAndWorkerCallEachOther(t *testing.T) {
	if testing.Short() {
		t.Skip("two processes for seconds")
	}
	addr := freeAddr(t)
	master := start(t, nil, "run", "--workload", "duplex", "--transport", "duplex", "--listen", addr,
		"--codec", "msgpack", "--peers", "none", "--concurrency", "4", "--conns", "4", "--duration", "2s", "--warmup", "200ms", "--format", "bench")
	worker := serve(t, nil, "msgpack", "--transport", "duplex", "--addr", addr,
		"--back-concurrency", "2", "--back-payload", "bytes:16", "--back-duration", "1s")
	if err := master.wait(t, 60*time.Second); err != nil {
		t.Fatalf("master: %v\nstdout:\n%s\nstderr:\n%s", err, master.stdout, master.stderr)
	}
	const down = "BenchmarkRPC/codec=msgpack/transport=duplex/payload=bytes:1KiB/conc=4/workload=duplex/dir=down"
	if !strings.Contains(master.stdout.String(), down) {
		t.Errorf("the master printed no %s row:\n%s", down, master.stdout)
	}
	// The worker prints its table once its callers are done.
	const up = "msgpack up"
	poll.Until(t, 30*time.Second, func() error {
		if !strings.Contains(worker.stdout.String(), up) {
			return fmt.Errorf("the worker printed no %q row:\n%s\nstderr:\n%s", up, worker.stdout, worker.stderr)
		}
		return nil
	})
	for _, line := range strings.Split(worker.stdout.String(), "\n") {
		if strings.Contains(line, up) && !strings.HasSuffix(strings.TrimSpace(line), " 0") {
			t.Errorf("the worker's calls failed: %s\nstderr:\n%s", line, worker.stderr)
		}
	}
	worker.shutdown(t)
}

// TestAPingFloodIsBounded sends yamux pings as fast as the connection
// takes them, reading no answer, to a duplex worker (serve, which dials
// the test) and to a duplex master (run --listen, which the test dials):
// neither may answer each ping from a goroutine of its own, so the
// process's memory stays under maxRSS.
func TestAPingFloodIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("seconds of flood per side")
	}
	const flood = 3 * time.Second
	t.Run("worker", func(t *testing.T) {
		worker, conn := startWorker(t)
		defer worker.shutdown(t)
		worker.resetPeak(t)
		pingFlood(t, conn, flood)
		worker.assertMemory(t, "after a ping flood")
		conn.Close()
	})
	t.Run("master", func(t *testing.T) {
		master, _, conn := startMaster(t, callingForever...)
		master.resetPeak(t)
		pingFlood(t, conn, flood)
		master.assertMemory(t, "after a ping flood")
		conn.Close()
	})
}

// pingFlood writes yamux ping requests (SYN) to conn for d, reading
// nothing, and logs how many it sent.
func pingFlood(t *testing.T, conn net.Conn, d time.Duration) {
	t.Helper()
	const batch = 4096
	frames := make([]byte, 0, batch*12)
	for i := range batch {
		frames = append(frames, 0, 2, 0, 1, 0, 0, 0, 0, byte(i>>24), byte(i>>16), byte(i>>8), byte(i))
	}
	sent := 0
	for end := time.Now().Add(d); time.Now().Before(end); sent += batch {
		conn.SetWriteDeadline(end)
		if _, err := conn.Write(frames); err != nil {
			break // the peer stopped reading, or closed
		}
	}
	t.Logf("sent about %d pings in %v", sent, d)
}

// assertMemory checks that the process is alive and has not held more
// than maxRSS since the last resetPeak.
func (s *server) assertMemory(t *testing.T, when string) {
	t.Helper()
	if !s.alive() {
		t.Fatalf("process died %s: %v\nstderr:\n%s", when, s.err, s.stderr)
	}
	u, err := s.usage()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("resident memory %s: %d MiB, peak %d MiB", when, u.RSS>>20, u.PeakRSS>>20)
	if u.PeakRSS > maxRSS {
		t.Errorf("resident memory peaked at %d MiB %s, want under %d MiB", u.PeakRSS>>20, when, maxRSS>>20)
	}
}

// TestAStreamFloodWithUnfinishedRequestsIsBounded opens 1,300 yamux
// streams, each with the first 256 KiB (a stream's whole window) of a
// 1 MiB request, on a duplex master (run --listen, which serves the
// streams its workers open) and on a duplex worker (serve, which serves
// the streams its master opens), and then tries 40 more sessions on the
// master: each side serves a bounded number of streams and the master a
// bounded number of workers, so memory stays under maxRSS.
func TestAStreamFloodWithUnfinishedRequestsIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("hundreds of MiB of streams")
	}
	const streams, sessions = 1300, 40
	codec, err := codecs.Lookup("msgpack")
	if err != nil {
		t.Fatal(err)
	}
	var req bufConn
	if err := codec.NewClientCodec(&req).WriteRequest(&rpc.Request{ServiceMethod: "Echo.Echo", Seq: 1}, &service.EchoRequest{Payload: make([]byte, 1<<20)}); err != nil {
		t.Fatal(err)
	}
	unfinished := req.Bytes()[:256<<10]
	flood := func(t *testing.T, sess *yamux.Session) {
		for range streams {
			st, err := sess.OpenStream()
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			st.SetWriteDeadline(time.Now().Add(2 * time.Second))
			st.Write(unfinished) // fails for a stream the side reset
		}
		time.Sleep(time.Second) // sleeps on purpose: the flood's effect is what the side does with it over time; nothing reports when it is done
	}
	t.Run("worker", func(t *testing.T) {
		worker, conn := startWorker(t)
		defer worker.shutdown(t)
		sess, err := yamux.Server(conn, hostileYamux())
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		worker.resetPeak(t)
		flood(t, sess)
		worker.assertMemory(t, "after a flood of streams with unfinished requests")
	})
	t.Run("master", func(t *testing.T) {
		master, addr, conn := startMaster(t, callingForever...)
		master.resetPeak(t)
		first := hostileSession(t, conn)
		var more []*yamux.Session
		for range sessions {
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			more = append(more, hostileSession(t, conn))
		}
		time.Sleep(answerWithin) // sleeps on purpose: the master must have disconnected the extra sessions within answerWithin
		refused := 0
		for _, sess := range more {
			if sess.IsClosed() {
				refused++
			}
		}
		if want := 1 + sessions - duplex.DefaultMaxSessions; refused < want {
			t.Errorf("the master disconnected %d of %d more workers, want at least %d (it serves %d)", refused, sessions, want, duplex.DefaultMaxSessions)
		}
		t.Logf("of %d more workers, the master disconnected %d", sessions, refused)
		flood(t, first)
		master.assertMemory(t, "after a flood of workers, and of streams with unfinished requests")
	})
}

// startWorker starts a duplex worker (serve) and returns it with the
// connection it dialled to the test.
func startWorker(t *testing.T) (*server, net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	worker := serve(t, nil, "msgpack", "--transport", "duplex", "--addr", l.Addr().String())
	l.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
	conn, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return worker, conn
}

// startMaster starts a duplex master (run --listen) with the flags args
// and returns it with its address and a first connection to it.
func startMaster(t *testing.T, args ...string) (*server, string, net.Conn) {
	t.Helper()
	addr := freeAddr(t)
	p := start(t, nil, append([]string{"run", "--workload", "duplex", "--transport", "duplex", "--listen", addr,
		"--codec", "msgpack", "--peers", "none", "--warmup", "0s", "--format", "bench"}, args...)...)
	var c net.Conn
	poll.Until(t, 10*time.Second, func() (err error) {
		if c, err = net.DialTimeout("tcp", addr, time.Second); err != nil {
			return fmt.Errorf("the master never listened on %s: %v\nstderr:\n%s", addr, err, p.stderr)
		}
		return nil
	})
	t.Cleanup(func() { c.Close() })
	return &server{proc: p}, addr, c
}

// callingForever are a master's flags for the attacks: it calls for 30s
// and waits a minute for a reply (the test's workers never answer).
var callingForever = []string{"--duration", "30s", "--timeout", "1m"}

// hostileSession runs a hostile worker's yamux session on conn to a
// master, closed when t ends.
func hostileSession(t *testing.T, conn net.Conn) *yamux.Session {
	t.Helper()
	sess, err := yamux.Client(conn, hostileYamux())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.Close() })
	return sess
}

// hostileYamux is a yamux configuration for a peer that opens streams
// without waiting for them to be accepted, and never gives up on them.
func hostileYamux() *yamux.Config {
	c := yamux.DefaultConfig()
	c.LogOutput = io.Discard
	c.AcceptBacklog = 1 << 16
	c.StreamOpenTimeout = 0
	c.EnableKeepAlive = false
	return c
}

// bufConn is a connection that keeps what is written, for a codec to
// encode into.
type bufConn struct{ bytes.Buffer }

func (*bufConn) Close() error { return nil }

// TestASilentFirstWorkerIsPassedOver has a peer that connects to a duplex
// master first and then says nothing, and a real worker after it: the
// master passes the silent one over and runs with the real one.
func TestASilentFirstWorkerIsPassedOver(t *testing.T) {
	if testing.Short() {
		t.Skip("two processes for seconds")
	}
	master, addr, silent := startMaster(t, "--duration", "1s")
	defer silent.Close()
	worker := serve(t, nil, "msgpack", "--transport", "duplex", "--addr", addr)
	defer worker.shutdown(t)
	if err := master.wait(t, 60*time.Second); err != nil {
		t.Fatalf("master: %v\nstdout:\n%s\nstderr:\n%s", err, master.stdout, master.stderr)
	}
	if !strings.Contains(master.stdout.String(), "dir=down") {
		t.Errorf("the master printed no dir=down row:\n%s", master.stdout)
	}
}
