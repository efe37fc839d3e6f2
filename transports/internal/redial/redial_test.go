package redial

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestBackoffGrowsWhileConnectionsServeNothing dials a peer that accepts
// and closes at once: the backoff must grow as if the dials had failed
// (before, each successful dial started it over and such a peer drew a
// connection every 50ms), and start over once a connection serves.
func TestBackoffGrowsWhileConnectionsServeNothing(t *testing.T) {
	for _, tc := range []struct {
		name      string
		serve     bool
		atMost    int64
		atLeast   int64
		something string
	}{
		// 50+100+200+400+800 ms (±20%) fills 1.5s: 5 or 6 dials.
		{name: "closed at once", serve: false, atMost: 7},
		// Each connection writes a byte: about 1.5s/50ms dials.
		{name: "served", serve: true, atLeast: 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
			defer cancel()
			var dials atomic.Int64
			dial := func(context.Context) (net.Conn, error) {
				dials.Add(1)
				a, b := net.Pipe()
				go func() { b.Read(make([]byte, 1)); b.Close() }()
				return a, nil
			}
			KeepDialling(ctx, "test", "pipe", dial, nil, func(c net.Conn) bool {
				if tc.serve {
					c.Write([]byte{1})
				}
				c.Close()
				return true
			})
			n := dials.Load()
			if tc.atMost > 0 && n > tc.atMost {
				t.Errorf("%d dials in 1.5s to a peer whose connections serve nothing; want at most %d", n, tc.atMost)
			}
			if n < tc.atLeast {
				t.Errorf("%d dials in 1.5s with connections that serve; want at least %d (the backoff should start over)", n, tc.atLeast)
			}
		})
	}
}
