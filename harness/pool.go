package harness

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/rpc"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rpcbench/rpcbench/internal/backoff"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/stack"
	"github.com/rpcbench/rpcbench/transports"
)

// pool holds the run's clients, one per connection, and replaces a client
// whose connection broke with one over a new connection, so that a run
// outlives a server restart (reverse workers redial) or a reset.
type pool struct {
	cfg    *Config
	caller transports.Caller
	wire   atomic.Int64 // bytes read and written on every connection
	// reconnects counts the broken connections recover replaced.
	reconnects atomic.Int64

	slots []slot
}

type slot struct {
	mu      sync.Mutex // serialises reconnecting; guards backoff
	cur     atomic.Pointer[client]
	backoff backoff.Backoff
}

// client is one stack client and the connection it calls over.
type client struct {
	stack.Client
	conn net.Conn
	// first keeps the first bytes the server sent: what a failed first
	// call shows, and whether the connection ever carried a reply.
	first *FirstBytes
}

// newPool opens the connections and makes one call over each, so that a
// server that cannot answer (another codec, another transport, a wrong
// token) stops the run at once with the likely cause, instead of failing
// every call of the window.
func newPool(ctx context.Context, cfg *Config, caller transports.Caller) (*pool, error) {
	// All the connections share one deadline: a reverse listener that
	// one silent dialer reached must not wait the timeout once per
	// connection still missing. The first calls have their own.
	dialCtx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	p := &pool{cfg: cfg, caller: caller, slots: make([]slot, cfg.conns())}
	for i := range p.slots {
		if err := p.connect(dialCtx, &p.slots[i]); err != nil {
			p.close()
			return nil, fmt.Errorf("connection %d of %d over %s to %s: %w", i+1, len(p.slots), cfg.Transport.Name(), caller.Addr(), err)
		}
	}
	if err := p.probe(ctx); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

// probe makes the first call on every connection at once, each within the
// call timeout, and explains the first that fails with the connection
// (another codec, a silent or hanging-up server); an error the server sent
// back, or a wrong reply, is left for the window to count.
func (p *pool) probe(ctx context.Context) error {
	errs := make([]error, len(p.slots))
	var wg sync.WaitGroup
	for i := range p.slots {
		c := p.slots[i].cur.Load()
		wg.Go(func() {
			done := make(chan error, 1)
			var failed int
			go func() {
				var err error
				failed, err = firstCalls(ctx, c)
				done <- err
			}()
			timer := time.NewTimer(p.cfg.Timeout) // not measured: the first calls' timeout
			defer timer.Stop()
			var err error
			select {
			case err = <-done:
			case <-timer.C:
				c.conn.Close() // unblocks the call
				<-done
				err = fmt.Errorf("%w after %v", errTimeout, p.cfg.Timeout)
			case <-ctx.Done():
				c.conn.Close()
				<-done
				err = ctx.Err()
			}
			// The server answering with its own error, or with a reply the
			// check refuses, speaks the codec: the window counts those,
			// unless it answered every first call so.
			switch {
			case err != nil && brokenConn(err) && !p.cfg.External:
				errs[i] = ownServerError(p.cfg, err)
			case err != nil && brokenConn(err):
				errs[i] = FirstCallError(p.caller.Addr().String(), p.cfg.Stack.ID().Name, c.first.Bytes(), p.cfg.Timeout, err)
			case err != nil && ctx.Err() == nil:
				errs[i] = EveryCallFailedError(p.caller.Addr().String(), failed, err)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	var first error
	failed := 0
	for _, err := range errs {
		if err != nil {
			first = cmp.Or(first, err)
			failed++
		}
	}
	if failed > 1 {
		return fmt.Errorf("%w (the first call failed on %d of %d connections)", first, failed, len(errs))
	}
	return first
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
	first := &FirstBytes{Conn: conn}
	counted := &countingConn{Conn: first, n: &p.wire}
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
	s.cur.Store(&client{Client: c, conn: counted, first: first})
	return nil
}

// client returns caller i's client; an atomic load keeps the call path
// free of locks.
func (p *pool) client(i int) *client { return p.slots[i%len(p.slots)].cur.Load() }

// recover replaces caller i's client when it is still broken, the one
// that failed; callers sharing it find it replaced already. It pauses
// before dialling, with the reverse worker's capped exponential backoff
// (package backoff), which starts over only when the broken connection had
// carried replies: a server that accepts and then drops every connection
// is redialled ever more slowly, not in a tight loop. When no new connection
// comes, the broken client stays, failing fast, and the next error tries
// again.
func (p *pool) recover(ctx context.Context, i int, broken *client) {
	s := &p.slots[i%len(p.slots)]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur.Load() != broken {
		return
	}
	broken.Close()
	if len(broken.first.Bytes()) > 0 {
		// It carried replies: a server that went away, not one that
		// hangs up on every connection.
		s.backoff.Reset()
	}
	select {
	case <-ctx.Done():
		return
	case <-time.After(s.backoff.Next()): // not measured: a reconnect's backoff
	}
	if p.connect(ctx, s) == nil {
		p.reconnects.Add(1)
	}
}

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
