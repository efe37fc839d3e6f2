package harness

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/rpcbench/rpcbench/measure"
)

// Benchmark measures cfg as a Go benchmark of b.N calls, under the name
// and with the units that rpcbench run --format bench gives it, so that a
// team's own go test -bench output compares and gates (rpcbench compare,
// rpcbench gate, benchstat) against rpcbench's, and against a baseline
// of its own. Call it from a function named BenchmarkRPC, whose name is
// the first part of every rpcbench benchmark name:
//
//	func BenchmarkRPC(b *testing.B) {
//		tcp, _ := transports.Lookup("tcp")
//		p, _ := payload.Parse("bytes:1KiB")
//		harness.Benchmark(b, harness.Config{
//			Stack: stack.Codec{Codec: mycodec.Codec{}}, Transport: tcp, Payload: p,
//			Concurrency: 16, Conns: 4, Pipeline: 1, Timeout: 10 * time.Second,
//		})
//	}
//
// go test -bench RPC then prints BenchmarkRPC/codec=mycodec/transport=tcp/
// payload=bytes:1KiB/conc=16/conns=4-8 with ns/op, calls/s, p50-ns ...
// allocs/op, as rpcbench does. Each of the workload's rows is a
// sub-benchmark of its own. cfg.Calls and cfg.Duration are set from b.N.
// go test prints allocs/op and B/op as whole numbers; they are rounded to
// them, where rpcbench writes fractions.
func Benchmark(b *testing.B, cfg Config) {
	b.Helper()
	if b.Name() != "BenchmarkRPC" {
		b.Fatalf("harness.Benchmark called from %s: call it from func BenchmarkRPC, so that names match rpcbench's (RPC/...)", b.Name())
	}
	for row, dir := range cfg.workload().Rows() {
		b.Run(strings.TrimPrefix(cfg.name(dir, cfg.workloadKey()), "RPC/"), func(b *testing.B) {
			b.ReportAllocs() // so that go test prints B/op and allocs/op, which are overridden below
			cfg := cfg
			cfg.Calls, cfg.Duration = int64(b.N), 0
			rows, err := RunRows(context.Background(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			r := rows[row]
			if r.Errors > 0 {
				b.Fatalf("%d calls failed; first: %s", r.Errors, r.FirstError)
			}
			// These override what the testing package measured itself
			// (ns/op, B/op and allocs/op of the whole b.N loop, set-up
			// included) with the measured window's.
			for _, v := range r.BenchValues() {
				if v.Unit == measure.UnitAllocsPerOp || v.Unit == measure.UnitBytesPerOp {
					// go test prints these two as integers, truncated:
					// round, so that they stay within the gate's
					// tolerance of rpcbench's fractional figures.
					v.Value = math.Round(v.Value)
				}
				b.ReportMetric(v.Value, v.Unit)
			}
		})
	}
}
