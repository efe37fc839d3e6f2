package harness_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/harness"
	"github.com/rpcbench/rpcbench/measure"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/stack"
	"github.com/rpcbench/rpcbench/stack/grpcpeer"
	"github.com/rpcbench/rpcbench/transports"
	_ "github.com/rpcbench/rpcbench/transports/all"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func config(t *testing.T, s stack.Stack, p string) harness.Config {
	t.Helper()
	pl, err := payload.Parse(p)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := transports.Lookup("tcp")
	if err != nil {
		t.Fatal(err)
	}
	return harness.Config{
		Stack: s, Transport: tr, Payload: pl,
		Concurrency: 4, Conns: 2, Pipeline: 1,
		Calls: 2000, Timeout: 5 * time.Second, CheckEvery: 1,
	}
}

func TestRunCountsEveryCall(t *testing.T) {
	gob, err := codecs.Lookup("msgpack")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []stack.Stack{stack.Codec{Codec: gob}, stack.Floor{}, stack.FloorMux{}, grpcpeer.Unary{}} {
		for _, tt := range []struct {
			payload  string
			pipeline int
		}{{"arith", 1}, {"bytes:1KiB", 1}, {"records:10", 1}, {"bytes:1KiB", 8}} {
			p := tt.payload
			t.Run(fmt.Sprintf("%s/%s/pipeline=%d", s.ID(), p, tt.pipeline), func(t *testing.T) {
				cfg := config(t, s, p)
				cfg.Pipeline = tt.pipeline
				r, err := harness.Run(context.Background(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				if r.Errors != 0 || r.Calls != 2000 || r.Latency.TotalCount() != 2000 {
					t.Fatalf("calls %d, errors %d (%s), recorded %d; want 2000 calls recorded and no error", r.Calls, r.Errors, r.FirstError, r.Latency.TotalCount())
				}
				if r.WireBytes < 2000*2 {
					t.Fatalf("wire bytes %d for 2000 calls: the calling side's connections were not counted", r.WireBytes)
				}
				b, err := json.Marshal(r)
				if err != nil {
					t.Fatal(err)
				}
				var back measure.Result
				if err := json.Unmarshal(b, &back); err != nil {
					t.Fatal(err)
				}
				if back.Latency.TotalCount() != 2000 || back.Latency.Quantile(50) != r.Latency.Quantile(50) {
					t.Fatalf("histogram did not survive JSON: %d calls, p50 %v; want 2000, %v", back.Latency.TotalCount(), back.Latency.Quantile(50), r.Latency.Quantile(50))
				}
				t.Logf("%s: %.0f calls/s p50 %v p99 %v allocs/op %.1f wire-B/op %.0f", r.Name, r.CallsPerSec(), r.Latency.Quantile(50), r.Latency.Quantile(99), r.PerCall(float64(r.Allocs)), r.PerCall(float64(r.WireBytes)))
			})
		}
	}
}

// prepared is a workload that needs setting up: it counts its Prepare and
// done calls and makes the call workload's calls.
type prepared struct{ prepares, dones *int }

func (prepared) Name() string   { return "prepared" }
func (prepared) Rows() []string { return []string{""} }

func (prepared) Drive(ctx context.Context, w *harness.Window) { harness.Call{}.Drive(ctx, w) }

func (p prepared) Prepare(context.Context, *harness.Config) (harness.Workload, func(), error) {
	*p.prepares++
	return p, func() { *p.dones++ }, nil
}

func TestAWorkloadIsPreparedOnceAndEndedAfterItsWindows(t *testing.T) {
	var prepares, dones int
	cfg := config(t, stack.Floor{}, "arith")
	cfg.Calls, cfg.Warmup = 100, 10*time.Millisecond
	cfg.Workload = prepared{&prepares, &dones}
	r, err := harness.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if prepares != 1 || dones != 1 {
		t.Errorf("prepared %d times, ended %d; want once each, for the warm-up and the window together", prepares, dones)
	}
	if r.Calls != 100 || !strings.HasSuffix(r.Name, "/workload=prepared") {
		t.Errorf("%s: %d calls; want 100 under workload=prepared", r.Name, r.Calls)
	}
}
