package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rpcbench/rpcbench/harness/stack"
	"github.com/rpcbench/rpcbench/transports"
)

// Run measures one configuration: it starts the server (unless External),
// opens the connections, warms up, and measures one window.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	caller, stop, err := connectSides(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	defer stop()

	p, err := newPool(ctx, &cfg, caller)
	if err != nil {
		return nil, err
	}
	defer p.close()

	d := newDriver(&cfg, p)
	if cfg.Warmup > 0 {
		d.run(ctx, cfg.Warmup, 0, nil)
	}
	r := cfg.newResult()
	server := serverStats(&cfg, p.client(0).Client)
	before := readCounters()
	p.wire.Store(0)
	d.run(ctx, cfg.Duration, cfg.Calls, r)
	own := readCounters().sub(before)
	r.Allocs, r.AllocB, r.CPU = own.allocs, own.allocBytes, own.cpu
	r.WireBytes = p.wire.Load()
	r.Server = server()
	if err := ctx.Err(); err != nil && r.Calls == 0 {
		return nil, err
	}
	return r, nil
}

// serverStats reads an external server's totals now, if it answers
// Stats.Read, and returns a function that reads them again and returns the
// difference (nil when they can't be read).
func serverStats(cfg *Config, c stack.Client) func() *ServerCounters {
	sr, ok := c.(stack.StatsReader)
	if !cfg.External || !ok {
		return func() *ServerCounters { return nil }
	}
	before, err := sr.ServerStats()
	return func() *ServerCounters {
		after, err2 := sr.ServerStats()
		if err != nil || err2 != nil {
			return nil
		}
		d := countersOf(after).sub(countersOf(before))
		return &ServerCounters{Allocs: d.allocs, AllocB: d.allocBytes, CPU: d.cpu}
	}
}

// connectSides starts the in-process server, when there is one, and the
// calling half; stop ends both.
func connectSides(ctx context.Context, cfg *Config) (transports.Caller, func(), error) {
	tcfg := cfg.TransportConfig
	if cfg.External {
		caller, err := cfg.Transport.Call(ctx, tcfg)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", cfg.Transport.Name(), err)
		}
		return caller, func() { caller.Close() }, nil
	}
	tcfg.Conns = cfg.conns() // a serving half that dials opens as many as the callers use
	if tcfg.CAFile == "" {
		// The in-process server's certificate is self-signed: there is
		// nothing to verify it against, and the handshake still happens.
		tcfg.Insecure = true
	}
	l, caller, err := transports.Pair(ctx, cfg.Transport, tcfg)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", cfg.Transport.Name(), err)
	}
	srv := cfg.Stack.Serve(l, cfg.Delay)
	return caller, func() {
		caller.Close()
		srv.Close()
	}, nil
}

func (cfg *Config) newResult() *Result {
	return &Result{
		Name:        cfg.Name(),
		Stack:       cfg.Stack.Name(),
		Transport:   cfg.Transport.Name(),
		Net:         cfg.Net,
		Payload:     cfg.Payload.Name,
		Concurrency: cfg.Concurrency,
		Conns:       cfg.conns(),
		Pipeline:    cfg.Pipeline,
		Rate:        cfg.Rate,
		Delay:       cfg.Delay.String(),
		Latency:     NewHistogram(),
	}
}

// Name is the configuration's benchmark name (without the "Benchmark"
// prefix and the GOMAXPROCS suffix): key=value parts, the optional ones
// only when they differ from their defaults.
func (cfg *Config) Name() string {
	parts := []string{"RPC", cfg.Stack.Name(), "transport=" + cfg.Transport.Name()}
	if cfg.Net != "" {
		parts = append(parts, "net="+cfg.Net)
	}
	parts = append(parts, "payload="+cfg.Payload.Name, fmt.Sprintf("conc=%d", cfg.Concurrency))
	if cfg.Conns != cfg.Concurrency && cfg.Stack.Shared() {
		parts = append(parts, fmt.Sprintf("conns=%d", cfg.conns()))
	}
	if cfg.Pipeline > 1 {
		parts = append(parts, fmt.Sprintf("pipeline=%d", cfg.Pipeline))
	}
	if cfg.Rate > 0 {
		parts = append(parts, fmt.Sprintf("rate=%g", cfg.Rate))
	}
	return strings.Join(parts, "/")
}

// countingConn counts the bytes read and written on the calling side.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// errTimeout is the error of a call that outlived Config.Timeout.
var errTimeout = errors.New("call timed out")

// driver runs the callers over the pool's clients.
type driver struct {
	cfg  *Config
	pool *pool
	// started[i] is when caller i's outstanding call began, in UnixNano,
	// or 0; the watchdog closes the connection of a call past its timeout.
	started  []atomic.Int64
	timedOut []atomic.Bool
}

func newDriver(cfg *Config, p *pool) *driver {
	n := cfg.callers()
	return &driver{cfg: cfg, pool: p, started: make([]atomic.Int64, n), timedOut: make([]atomic.Bool, n)}
}

// shard is one lock-protected part of the latency record: callers record
// into shard i%len(shards), so that they rarely contend and a run with
// thousands of callers doesn't hold thousands of histograms.
type shard struct {
	mu sync.Mutex // guards h
	h  *Histogram
}

// run drives calls for dur, or until calls calls have been made when calls
// is positive, and records them into r when r is not nil.
func (d *driver) run(ctx context.Context, dur time.Duration, calls int64, r *Result) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n := d.cfg.callers()
	shards := make([]shard, min(n, 64))
	for i := range shards {
		shards[i].h = NewHistogram()
	}
	var (
		tickets          atomic.Int64 // calls taken, when counting calls
		done, errs, late atomic.Int64
		maxLag           atomic.Int64
		firstErr         atomic.Pointer[error]
		wg               sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(dur)
	if calls > 0 {
		deadline = start.Add(100 * 365 * 24 * time.Hour)
	}
	checkEvery := int64(d.cfg.CheckEvery)
	if checkEvery <= 0 {
		checkEvery = 64
	}
	interval := time.Duration(0)
	if d.cfg.Rate > 0 {
		interval = time.Duration(float64(time.Second) * float64(n) / d.cfg.Rate)
	}
	for i := range n {
		sh := &shards[i%len(shards)]
		wg.Go(func() {
			// Open loop: caller i sends at start + (j*n + i)/rate.
			next := start.Add(time.Duration(float64(time.Second) * float64(i) / max(d.cfg.Rate, 1)))
			for j := int64(0); ctx.Err() == nil; j++ {
				if calls > 0 && tickets.Add(1) > calls {
					return
				}
				issued := time.Now()
				if interval > 0 {
					if !next.Before(deadline) {
						return // the schedule ends with the window; don't sleep past it
					}
					if wait := next.Sub(issued); wait > 0 {
						time.Sleep(wait)
					} else if -wait > LateSlack {
						late.Add(1)
						for lag := int64(-wait); ; {
							old := maxLag.Load()
							if lag <= old || maxLag.CompareAndSwap(old, lag) {
								break
							}
						}
					}
					issued = next // latency counts from the schedule
					next = next.Add(interval)
				}
				if !issued.Before(deadline) {
					return
				}
				if interval > 0 && !time.Now().Before(deadline) {
					// Behind schedule at the end: what was never sent is late too.
					late.Add(int64(deadline.Sub(issued)/interval) + 1)
					return
				}
				client := d.pool.client(i)
				d.started[i].Store(time.Now().UnixNano())
				err := client.Call(ctx, j%checkEvery == 0)
				d.started[i].Store(0)
				end := time.Now()
				if d.timedOut[i].Swap(false) {
					err = fmt.Errorf("%w after %v", errTimeout, d.cfg.Timeout)
				}
				if err != nil && brokenConn(err) && ctx.Err() == nil {
					d.pool.recover(ctx, i, client)
				}
				if r == nil {
					continue
				}
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, &err)
					continue
				}
				done.Add(1)
				sh.mu.Lock()
				sh.h.Record(end.Sub(issued))
				sh.mu.Unlock()
			}
		})
	}
	stopWatch := d.watch(ctx, start, dur, calls, &done)
	wg.Wait()
	stopWatch()
	if r == nil {
		return
	}
	r.Elapsed = time.Since(start)
	r.WindowStart, r.WindowEnd = start.Round(0), start.Round(0).Add(r.Elapsed) // wall clock, for merge
	r.Calls = done.Load()
	r.Errors = errs.Load()
	if e := firstErr.Load(); e != nil {
		r.FirstError = (*e).Error()
	}
	r.Late = late.Load()
	r.MaxLag = time.Duration(maxLag.Load())
	for i := range shards {
		r.Latency.Merge(shards[i].h.Histogram)
	}
}

// watch runs until stop is called: it reports progress and closes the
// connection of any call outstanding for longer than the timeout, failing
// it and every other call on that connection.
func (d *driver) watch(ctx context.Context, start time.Time, dur time.Duration, calls int64, done *atomic.Int64) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tick.C:
				d.expire(now)
				if p := d.cfg.Progress; p != nil {
					if calls > 0 {
						p(min(float64(done.Load())/float64(calls), 1))
					} else {
						p(min(float64(now.Sub(start))/float64(dur), 1))
					}
				}
			}
		}
	}()
	return func() {
		cancel()
		<-finished
	}
}

func (d *driver) expire(now time.Time) {
	for i := range d.started {
		s := d.started[i].Load()
		if s != 0 && now.Sub(time.Unix(0, s)) > d.cfg.Timeout {
			d.timedOut[i].Store(true)
			d.pool.closeConn(i)
		}
	}
}

// RunAll measures every configuration count times, round-robin (all of
// them once, then again), so that drift on a noisy machine spreads evenly
// over them. progress, when set, hears which run is under way and how far
// along it is.
func RunAll(ctx context.Context, cfgs []Config, count int, progress func(run, runs int, name string, done float64)) ([]*Result, error) {
	var results []*Result
	runs := len(cfgs) * count
	for rep := range count {
		for i, cfg := range cfgs {
			n := rep*len(cfgs) + i
			if progress != nil {
				cfg.Progress = func(done float64) { progress(n, runs, cfg.Name(), done) }
			}
			r, err := Run(ctx, cfg)
			if err != nil {
				return results, fmt.Errorf("%s: %w", cfg.Name(), err)
			}
			results = append(results, r)
		}
	}
	return results, nil
}
