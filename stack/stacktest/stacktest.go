// Package stacktest checks a stack the way rpcbench run uses it: through
// the harness, over a real transport, with every reply checked.
package stacktest

import (
	"context"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/harness"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/stack"
	"github.com/rpcbench/rpcbench/transports"
)

// Payloads are the payloads Run measures: the three of the default matrix.
func Payloads() []string { return []string{"arith", "bytes:1KiB", "records:100"} }

// Payload parses s (payload.Parse), failing t on an error.
func Payload(t testing.TB, s string) payload.Payload {
	t.Helper()
	p, err := payload.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Run makes calls calls through s over tcp for each of Payloads, four
// callers sharing two connections with pipeline calls each in flight,
// every reply checked, and fails the subtest unless every call succeeded.
func Run(t *testing.T, s stack.Stack, pipeline int, calls int64) {
	tr, err := transports.Lookup("tcp")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range Payloads() {
		t.Run(s.ID().String()+"/"+name, func(t *testing.T) {
			r, err := harness.Run(context.Background(), harness.Config{
				Stack: s, Transport: tr, Payload: Payload(t, name),
				Concurrency: 4, Conns: 2, Pipeline: pipeline,
				Calls: calls, Timeout: 5 * time.Second, CheckEvery: 1,
			})
			if err != nil {
				t.Fatal(err)
			}
			if r.Calls != calls || r.Errors != 0 {
				t.Fatalf("calls %d, errors %d (%s); want %d calls and no error", r.Calls, r.Errors, r.FirstError, calls)
			}
			t.Logf("%s: allocs/op %.1f B/op %.0f wire-B/op %.0f", r.Name, r.PerCall(float64(r.Allocs)), r.PerCall(float64(r.AllocB)), r.PerCall(float64(r.WireBytes)))
		})
	}
}
