package cli

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/internal/poll"
)

// The workloads compose with the other flags, and a stack a workload
// cannot run on is left out with a note, not a silent gap.
func TestWorkloadsComposeAndSayWhatTheyLeaveOut(t *testing.T) {
	if testing.Short() {
		t.Skip("measures two short runs")
	}
	var stdout, stderr bytes.Buffer
	args := []string{"run", "--workload", "watch,duplex", "--codec", "msgpack", "--peers", "floor",
		"--watchers", "20", "--rate", "200", "--concurrency", "2", "--back-concurrency", "1", "--back-payload", "bytes:16",
		"--duration", "200ms", "--warmup", "0s", "--format", "bench"}
	if err := run(context.Background(), &stdout, &stderr, args); err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, stderr.String())
	}
	for _, want := range []string{
		"BenchmarkRPC/codec=msgpack/transport=tcp/payload=bytes:1KiB/conc=20/conns=4/rate=200/workload=watch",
		"BenchmarkRPC/codec=msgpack/transport=tcp/payload=bytes:1KiB/conc=2/rate=200/workload=duplex-against-bytes:16x1/dir=down",
		"BenchmarkRPC/codec=msgpack/transport=tcp/payload=bytes:16/conc=1/rate=200/workload=duplex-against-bytes:1KiBx2/dir=up",
		"BenchmarkRPC/peer=floor/transport=tcp/payload=bytes:16/conc=1/rate=200/workload=duplex-against-bytes:1KiBx2/dir=up",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("no line for %s in:\n%s", want, stdout.String())
		}
	}
	if note := "note: workload watch: peer=floor: left out: peer=floor has no KV.Watch to wait in"; !strings.Contains(stderr.String(), note) {
		t.Errorf("stderr lacks %q:\n%s", note, stderr.String())
	}
}

// A duplex worker whose master leaves before the worker's window ends
// (here 1s of calls down against 30s of calls up) ends its dir=up window
// there: marked interrupted, calls/s over the time the master was there,
// and the calls the master's going cut off not counted as failures.
func TestADuplexWorkerWhoseMasterLeavesSaysSo(t *testing.T) {
	if testing.Short() {
		t.Skip("a master and a worker for a second")
	}
	addr := freePort(t)
	masterDone := make(chan error, 1)
	go func() {
		var stdout, stderr bytes.Buffer
		masterDone <- run(context.Background(), &stdout, &stderr, []string{"run", "--workload", "duplex", "--transport", "duplex",
			"--listen", addr, "--codec", "msgpack", "--peers", "none", "--concurrency", "2", "--conns", "2", "--duration", "1s", "--warmup", "100ms"})
	}()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var stdout, stderr syncBuffer
	workerDone := make(chan error, 1)
	go func() {
		workerDone <- run(ctx, &stdout, &stderr, []string{"serve", "--codec", "msgpack", "--transport", "duplex", "--addr", addr,
			"--back-concurrency", "2", "--back-payload", "bytes:16", "--back-duration", "30s"})
	}()
	if err := <-masterDone; err != nil {
		t.Fatalf("master: %v", err)
	}
	poll.Until(t, 20*time.Second, func() error {
		if !strings.Contains(stdout.String(), "msgpack up") {
			return fmt.Errorf("the worker printed no row once its master left:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		}
		return nil
	})
	stop()
	if err := <-workerDone; err != nil {
		t.Errorf("worker: %v", err)
	}
	var row string
	for _, l := range strings.Split(stdout.String(), "\n") {
		if strings.Contains(l, "msgpack up") {
			row = strings.TrimSpace(l)
		}
	}
	if !strings.HasPrefix(row, "msgpack up*") || !strings.HasSuffix(row, " 0") || !strings.Contains(stdout.String(), "INTERRUPTED") {
		t.Errorf("want the worker's row marked interrupted, with no failed call:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "the window ended after") {
		t.Errorf("the worker did not say its window ended early:\n%s", stderr.String())
	}
}
