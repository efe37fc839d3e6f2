package doctor

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/stack"
)

// loopback times n round trips of the floor stack (stack.Floor) with a
// 16-byte payload, one caller over 127.0.0.1, after a short warm-up.
func loopback(ctx context.Context, n int) (Loopback, error) {
	p, err := payload.Parse("bytes:16")
	if err != nil {
		return Loopback{}, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Loopback{}, fmt.Errorf("loopback floor: %w", err)
	}
	srv := stack.Floor{}.Serve(l, nil)
	defer srv.Close()
	conn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		return Loopback{}, fmt.Errorf("loopback floor: %w", err)
	}
	c, err := stack.Floor{}.NewClient(conn, p)
	if err != nil {
		conn.Close()
		return Loopback{}, err
	}
	defer c.Close()
	h := hdrhistogram.New(1, int64(10*time.Second), 3)
	for i := range n + n/10 {
		if err := ctx.Err(); err != nil {
			return Loopback{}, err
		}
		start := time.Now()
		if err := c.Call(ctx, false); err != nil {
			return Loopback{}, fmt.Errorf("loopback floor: %w", err)
		}
		if i >= n/10 { // the first tenth warms up
			h.RecordValue(int64(time.Since(start)))
		}
	}
	return Loopback{N: int(h.TotalCount()), P50: time.Duration(h.ValueAtQuantile(50)), P99: time.Duration(h.ValueAtQuantile(99))}, nil
}
