package pairload_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rpcbench/rpcbench/examples/plugin/pairload"
	"github.com/rpcbench/rpcbench/harness"
	"github.com/rpcbench/rpcbench/stack"
	"github.com/rpcbench/rpcbench/stack/stacktest"
	"github.com/rpcbench/rpcbench/transports"
	_ "github.com/rpcbench/rpcbench/transports/all"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestAPairIsTwoCallsMeasuredAsOne(t *testing.T) {
	wl, err := harness.LookupWorkload("pair")
	if err != nil {
		t.Fatalf("LookupWorkload(pair): %v (have %v)", err, harness.WorkloadNames())
	}
	tr, err := transports.Lookup("tcp")
	if err != nil {
		t.Fatal(err)
	}
	var wire [2]float64
	for i, w := range []harness.Workload{harness.Call{}, wl} {
		r, err := harness.Run(context.Background(), harness.Config{
			Stack: stack.Floor{}, Transport: tr, Payload: stacktest.Payload(t, "bytes:1KiB"),
			Concurrency: 2, Conns: 2, Pipeline: 1, Calls: 500, Timeout: 5 * time.Second, Workload: w,
		})
		if err != nil {
			t.Fatal(err)
		}
		if r.Calls != 500 || r.Errors != 0 {
			t.Fatalf("%s: %d operations, %d errors (%s); want 500, none failed", r.Name, r.Calls, r.Errors, r.FirstError)
		}
		wire[i] = r.PerCall(float64(r.WireBytes))
	}
	// The floor's bytes are exact: a pair moves twice a call's.
	if wire[1] != 2*wire[0] {
		t.Errorf("wire-B/op %.0f for a pair, %.0f for a call; want exactly twice", wire[1], wire[0])
	}
	if err := harness.RegisterWorkload(pairload.Pair{}); err == nil || !strings.Contains(err.Error(), "already registered") {
		t.Errorf("registering pair twice: %v; want already registered", err)
	}
}
