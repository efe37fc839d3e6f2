package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/rpc"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rpcbench/rpcbench/harness/payload"
	"github.com/rpcbench/rpcbench/harness/stack"
	"github.com/rpcbench/rpcbench/transports"
)

// pool holds the run's clients, one per connection, and replaces a client
// whose connection broke with one over a new connection, so that a run
// outlives a server restart (reverse workers redial) or a reset.
type pool struct {
	cfg    *Config
	caller transports.Caller
	wire   atomic.Int64 // bytes read and written on every connection

	slots []slot
}

type slot struct {
	mu  sync.Mutex // serialises reconnecting
	cur atomic.Pointer[client]
}

// client is one stack client and the connection it calls over.
type client struct {
	stack.Client
	conn net.Conn
}

func newPool(ctx context.Context, cfg *Config, caller transports.Caller) (*pool, error) {
	// All the connections share one deadline: a reverse listener that
	// one silent dialer reached must not wait the timeout once per
	// connection still missing.
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	p := &pool{cfg: cfg, caller: caller, slots: make([]slot, cfg.conns())}
	for i := range p.slots {
		if err := p.connect(ctx, &p.slots[i]); err != nil {
			p.close()
			return nil, fmt.Errorf("connection %d of %d over %s to %s: %w", i+1, len(p.slots), cfg.Transport.Name(), caller.Addr(), err)
		}
	}
	return p, nil
}

// connect gives s a client over a new connection, waiting at most the call
// timeout for one.
func (p *pool) connect(ctx context.Context, s *slot) error {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	conn, err := p.caller.Conn(ctx)
	if err != nil {
		return err
	}
	counted := &countingConn{Conn: conn, n: &p.wire}
	// NewClient may call the server (a login) and has no context of its
	// own: the connection's deadline and the run's context bound it by
	// closing the connection under it.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	c, err := p.cfg.Stack.NewClient(counted, p.cfg.Payload)
	if !stop() { // ctx ended first, and the connection is closed
		if err == nil {
			c.Close()
			err = context.Cause(ctx)
		} else {
			err = fmt.Errorf("%w: %v", context.Cause(ctx), err)
		}
	}
	if err != nil {
		conn.Close()
		return err
	}
	s.cur.Store(&client{Client: c, conn: counted})
	return nil
}

// client returns caller i's client; an atomic load keeps the call path
// free of locks.
func (p *pool) client(i int) *client { return p.slots[i%len(p.slots)].cur.Load() }

// recover replaces caller i's client when it is still broken, the one
// that failed; callers sharing it find it replaced already. When no new
// connection comes, the broken client stays, failing fast, and the next
// error tries again.
func (p *pool) recover(ctx context.Context, i int, broken *client) {
	s := &p.slots[i%len(p.slots)]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur.Load() != broken {
		return
	}
	broken.Close()
	if err := p.connect(ctx, s); err != nil {
		// Nothing to connect to yet: pace the retries rather than spin.
		select {
		case <-ctx.Done():
		case <-time.After(min(retryPause, p.cfg.Timeout)):
		}
	}
}

// retryPause is the least time between a failed reconnection and the next.
const retryPause = 100 * time.Millisecond

// closeConn ends caller i's connection, failing its calls: how a call past
// its timeout is cut off.
func (p *pool) closeConn(i int) { p.client(i).conn.Close() }

func (p *pool) close() {
	for i := range p.slots {
		if c := p.slots[i].cur.Load(); c != nil {
			c.Close()
		}
	}
}

// brokenConn reports whether err says the connection, not the call, failed:
// anything but an error the server sent back or a wrong reply.
func brokenConn(err error) bool {
	var se rpc.ServerError
	return !errors.As(err, &se) && !errors.Is(err, payload.ErrWrongReply)
}
