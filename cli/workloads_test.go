package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
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
