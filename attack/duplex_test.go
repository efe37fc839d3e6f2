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
