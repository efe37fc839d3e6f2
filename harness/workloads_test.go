package harness_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/harness"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/stack"
	"github.com/rpcbench/rpcbench/stack/grpcpeer"
	"github.com/rpcbench/rpcbench/stack/stdlibpeer"
	"github.com/rpcbench/rpcbench/stack/thriftpeer"
	"github.com/rpcbench/rpcbench/transports"
)

// Short real runs of the watch and duplex workloads, in process: every
// row is there, counts something, and fails nothing.

func msgpackStack(t *testing.T) stack.Stack {
	t.Helper()
	c, err := codecs.Lookup("msgpack")
	if err != nil {
		t.Fatal(err)
	}
	return stack.Codec{Codec: c}
}

func TestWatchRunsForReal(t *testing.T) {
	for _, s := range []stack.Stack{msgpackStack(t), grpcpeer.Unary{}, thriftpeer.Stack{}, stdlibpeer.JSON{}} {
		t.Run(s.ID().String(), func(t *testing.T) {
			cfg := config(t, s, "bytes:16")
			cfg.Workload, cfg.Concurrency, cfg.Conns, cfg.Rate = harness.Watch{}, 20, 2, 500
			cfg.Calls, cfg.Duration, cfg.Warmup = 0, 300*time.Millisecond, 50*time.Millisecond
			rows, err := harness.RunRows(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 {
				t.Fatalf("%d rows; want 1", len(rows))
			}
			r := rows[0]
			if r.Errors != 0 || r.Sets == 0 || r.Calls == 0 || r.Latency.TotalCount() != r.Calls {
				t.Fatalf("%s: %d Sets, %d notifications (%d recorded), %d errors (%s); want some of each, no error", r.Name, r.Sets, r.Calls, r.Latency.TotalCount(), r.Errors, r.FirstError)
			}
			if want := "/rate=500/workload=watch"; !contains(r.Name, "/conc=20/") || !contains(r.Name, want) {
				t.Errorf("name %s; want it to carry %s", r.Name, want)
			}
			t.Logf("%s: %.0f Sets/s, %.0f notifications/s, p50 %v", r.Name, r.SetsPerSec(), r.CallsPerSec(), r.Latency.Quantile(50))
		})
	}
}

func TestWatchLeavesTheFloorOut(t *testing.T) {
	if err := harness.Supports(harness.Watch{}, stack.Floor{}); err == nil {
		t.Error("the floor supports watch; want an error saying it has no KV.Watch")
	}
	if err := harness.Supports(harness.Watch{}, msgpackStack(t)); err != nil {
		t.Errorf("msgpack: %v; want it to watch", err)
	}
}

func TestDuplexRunsForReal(t *testing.T) {
	back, err := payload.Parse("bytes:16")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		transport string
		stack     stack.Stack
	}{
		{"duplex", msgpackStack(t)},
		{"reverse", msgpackStack(t)},
		{"tcp", msgpackStack(t)},
		{"duplex", grpcpeer.Unary{}},
		{"duplex", thriftpeer.Stack{}},
	} {
		t.Run(tt.transport+"/"+tt.stack.ID().String(), func(t *testing.T) {
			cfg := config(t, tt.stack, "bytes:1KiB")
			tr, err := transports.Lookup(tt.transport)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Transport = tr
			cfg.Workload = harness.Duplex{Back: 3, BackPayload: back}
			cfg.Calls = 300
			rows, err := harness.RunRows(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 2 {
				t.Fatalf("%d rows; want dir=down and dir=up", len(rows))
			}
			// Each row is named by its own callers and payload, and says
			// what went the other way.
			for i, want := range []struct {
				dir, name, key string
				conc           int
			}{
				{"down", "/payload=bytes:1KiB/conc=4/", "/workload=duplex-against-bytes:16x3/dir=down", 4},
				{"up", "/payload=bytes:16/conc=3/", "/workload=duplex-against-bytes:1KiBx4/dir=up", 3},
			} {
				r := rows[i]
				if r.Dir != want.dir || !contains(r.Name, want.name) || !strings.HasSuffix(r.Name, want.key) || r.Concurrency != want.conc {
					t.Errorf("row %d: %s (dir %q, conc %d); want dir %s, conc %d, a name carrying %s and ending %s", i, r.Name, r.Dir, r.Concurrency, want.dir, want.conc, want.name, want.key)
				}
				if r.Calls != 300 || r.Errors != 0 {
					t.Errorf("%s: %d calls, %d errors (%s); want 300, none", r.Name, r.Calls, r.Errors, r.FirstError)
				}
			}
		})
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
