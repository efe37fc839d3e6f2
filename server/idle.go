package server

import (
	"context"
	"sync/atomic"
	"time"
)

// waitIdle polls n until it is zero or ctx ends. Polling keeps the call path
// free of any signalling: a shutdown is rare, a call is not.
func waitIdle(ctx context.Context, n *atomic.Int64) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for n.Load() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}
