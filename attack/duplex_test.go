package attack_test

import (
	"net"
	"strings"
	"testing"
	"time"
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
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // the master listens there next
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
	for end := time.Now().Add(30 * time.Second); !strings.Contains(worker.stdout.String(), up); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("the worker printed no %q row:\n%s\nstderr:\n%s", up, worker.stdout, worker.stderr)
		}
	}
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
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		worker := serve(t, nil, "msgpack", "--transport", "duplex", "--addr", l.Addr().String())
		defer worker.shutdown(t)
		l.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
		conn, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		worker.resetPeak(t)
		pingFlood(t, conn, flood)
		worker.assertMemory(t, "after a ping flood")
		conn.Close()
	})
	t.Run("master", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close() // the master listens there next
		p := start(t, nil, "run", "--workload", "duplex", "--transport", "duplex", "--listen", addr,
			"--codec", "msgpack", "--peers", "none", "--duration", "30s", "--warmup", "0s", "--format", "bench")
		master := &server{proc: p}
		var conn net.Conn
		for end := time.Now().Add(10 * time.Second); conn == nil; time.Sleep(20 * time.Millisecond) {
			if conn, err = net.DialTimeout("tcp", addr, time.Second); err != nil && time.Now().After(end) {
				t.Fatalf("the master never listened on %s: %v\nstderr:\n%s", addr, err, p.stderr)
			}
		}
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
