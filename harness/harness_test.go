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
// Close calls and makes the call workload's calls.
type prepared struct{ prepares, dones *int }

func (prepared) Name() string   { return "prepared" }
func (prepared) Rows() []string { return []string{""} }

func (p prepared) Prepare(ctx context.Context, cfg *harness.Config, s *harness.Sides) (harness.Prepared, error) {
	*p.prepares++
	run, err := harness.Call{}.Prepare(ctx, cfg, s)
	return closing{run, func() { *p.dones++ }}, err
}

// closing is a prepared workload with more to do on Close.
type closing struct {
	harness.Prepared
	close func()
}

func (c closing) Close() {
	c.close()
	c.Prepared.Close()
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

// twice is a workload as a module outside this one writes it: each
// operation is two calls in a row, through Window.Each.
type twice struct{}

func (twice) Name() string   { return "twice" }
func (twice) Rows() []string { return []string{""} }
func (twice) Prepare(_ context.Context, cfg *harness.Config, _ *harness.Sides) (harness.Prepared, error) {
	return harness.OneRow(cfg, "", func(ctx context.Context, w *harness.Window) {
		w.Each(ctx, func(ctx context.Context, c stack.Client) error {
			if err := c.Call(ctx, true); err != nil {
				return err
			}
			return c.Call(ctx, true)
		})
	}), nil
}

func TestAWorkloadFromOutsideRunsThroughEach(t *testing.T) {
	for _, s := range []stack.Stack{stack.Floor{}, msgpackStack(t)} {
		cfg := config(t, s, "arith")
		cfg.Concurrency, cfg.Conns, cfg.Calls = 3, 2, 300
		cfg.Workload = twice{}
		r, err := harness.Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if r.Calls != 300 || r.Errors != 0 || !strings.HasSuffix(r.Name, "/workload=twice") || r.Workload != "twice" {
			t.Errorf("%s: %d operations, %d errors (%s), workload %q; want 300 under workload=twice, none failed", r.Name, r.Calls, r.Errors, r.FirstError, r.Workload)
		}
	}
}

func TestRegisteringAWorkloadOrPeerChecksItsName(t *testing.T) {
	for _, w := range []harness.Workload{harness.Call{}, named("a/b"), named(""), named("x=y")} {
		if err := harness.RegisterWorkload(w); err == nil {
			t.Errorf("RegisterWorkload(%q) = nil; want an error (taken, or not a name)", w.Name())
		}
	}
	if err := harness.RegisterPeer(stack.Floor{}); err == nil {
		t.Error("RegisterPeer(the floor) = nil; want an error: it is already registered")
	}
	if err := harness.RegisterPeer(msgpackStack(t)); err == nil {
		t.Error("RegisterPeer(a codec's stack) = nil; want an error: a peer has a peer's ID")
	}
}

// named is the twice workload under another name.
type named string

func (n named) Name() string { return string(n) }
func (named) Rows() []string { return []string{""} }
func (named) Prepare(ctx context.Context, cfg *harness.Config, s *harness.Sides) (harness.Prepared, error) {
	return twice{}.Prepare(ctx, cfg, s)
}
