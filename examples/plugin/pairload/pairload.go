// Package pairload is a workload from another module: each operation is
// two calls in a row on one connection, a request that needs a second
// round trip before it can answer (look up, then fetch). Its latency is
// the pair's, from the operation's scheduled time in open loop. It shows
// what a workload needs: a harness.Workload (Name, Rows, Prepare), what it
// does per operation through harness.Window.Each, and one
// harness.RegisterWorkload call; nothing in rpcbench changes.
//
//	go run ./cmd/rpcbench run --workload pair --codec msgpack
package pairload

import (
	"context"

	"github.com/rpcbench/rpcbench/harness"
	"github.com/rpcbench/rpcbench/stack"
)

func init() {
	if err := harness.RegisterWorkload(Pair{}); err != nil {
		panic(err)
	}
}

// Pair is the pair workload.
type Pair struct{}

func (Pair) Name() string   { return "pair" }
func (Pair) Rows() []string { return []string{""} }

// Prepare needs nothing beyond the run's connections.
func (Pair) Prepare(_ context.Context, cfg *harness.Config, _ *harness.Sides) (harness.Prepared, error) {
	return harness.OneRow(cfg, "", func(ctx context.Context, w *harness.Window) {
		w.Each(ctx, func(ctx context.Context, c stack.Client) error {
			if err := c.Call(ctx, false); err != nil {
				return err
			}
			return c.Call(ctx, true)
		})
	}), nil
}
