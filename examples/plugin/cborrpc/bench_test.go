package cborrpc_test

import (
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/examples/plugin/cborrpc"
	"github.com/rpcbench/rpcbench/harness"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/stack"
	"github.com/rpcbench/rpcbench/transports"
	_ "github.com/rpcbench/rpcbench/transports/all"
)

// BenchmarkRPC measures the codec under rpcbench's benchmark names, so
// that `go test -bench RPC` output compares and gates (rpcbench compare,
// rpcbench gate, benchstat) against `rpcbench run --format bench`.
func BenchmarkRPC(b *testing.B) {
	tr, err := transports.Lookup("pipe")
	if err != nil {
		b.Fatal(err)
	}
	p, err := payload.Parse("bytes:1KiB")
	if err != nil {
		b.Fatal(err)
	}
	harness.Benchmark(b, harness.Config{
		Stack: stack.Codec{Codec: cborrpc.Codec{}}, Transport: tr, Payload: p,
		Concurrency: 4, Conns: 1, Pipeline: 1, Timeout: 10 * time.Second, CheckEvery: 64,
	})
}
