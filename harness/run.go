package harness

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/rpcbench/rpcbench/harness/stack"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/transports"
)

// Run measures one configuration whose workload records one row (call,
// watch); RunRows measures any.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	rows, err := RunRows(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if len(rows) != 1 {
		return nil, fmt.Errorf("harness: workload %s records %d rows; use RunRows", cfg.workload().Name(), len(rows))
	}
	return rows[0], nil
}

// RunRows measures one configuration: it starts the server (unless
// External), opens the connections, warms up, and measures one window,
// returning a Result for each row the workload records.
func RunRows(ctx context.Context, cfg Config) ([]*Result, error) {
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

	d := &driver{cfg: &cfg, clock: cfg.clock(), pool: p}
	if cfg.Warmup > 0 {
		d.window(ctx, cfg.Warmup, 0, false)
	}
	server := serverStats(ctx, &cfg, p.client(0).Client)
	before := readCounters()
	p.wire.Store(0)
	results := d.window(ctx, cfg.Duration, cfg.Calls, true)
	own := readCounters().sub(before)
	srv := server()
	for _, r := range results {
		// Process-wide figures: every row of the window shares them.
		r.Allocs, r.AllocB, r.CPU = own.allocs, own.allocBytes, own.cpu
		r.CtxSwitches, r.RWSyscalls = own.ctxSwitches, own.rwSyscalls
		r.WireBytes = p.wire.Load()
		r.Server = srv
		r.Interrupted = ctx.Err() != nil
	}
	if err := ctx.Err(); err != nil && results[0].Calls == 0 {
		return nil, err
	}
	return results, nil
}

// driver runs a configuration's windows: it gives the workload a Window,
// keeps the watchdog, and turns the recorders into results.
type driver struct {
	cfg   *Config
	clock Clock
	pool  *pool
}

// window drives the workload for dur, or until calls calls have been
// made when calls is positive, and returns its rows' results when record
// is set.
func (d *driver) window(ctx context.Context, dur time.Duration, calls int64, record bool) []*Result {
	wl := d.cfg.workload()
	start := d.clock.Now()
	end := start.Add(dur)
	if calls > 0 {
		end = start.Add(100 * 365 * 24 * time.Hour)
	}
	w := &Window{cfg: d.cfg, clock: d.clock, pool: d.pool, start: start, end: end,
		budget: newBudget(calls), rows: make([]*Recorder, len(wl.Rows())), dog: &watchdog{timeout: d.cfg.Timeout}}
	if record {
		for i := range w.rows {
			w.rows[i] = newRecorder(start, d.cfg.callers())
		}
	}
	stopWatch := d.watch(ctx, w, calls)
	wl.Drive(ctx, w)
	stopWatch()
	if !record {
		return nil
	}
	stopped := d.clock.Now()
	results := make([]*Result, len(w.rows))
	for i, dir := range wl.Rows() {
		results[i] = d.cfg.newResult(dir)
		w.rows[i].fill(results[i], stopped)
	}
	return results
}

// watch runs the window's watchdog until stop is called: about ten times
// a second it cuts off calls past the timeout and reports progress; when
// ctx ends it cuts off every call in flight, so that an interrupted run
// ends at once.
func (d *driver) watch(ctx context.Context, w *Window, calls int64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := d.clock.NewTimer(watchEvery)
		defer tick.Stop()
		interrupted := ctx.Done()
		for {
			select {
			case <-done:
				return
			case <-interrupted:
				w.dog.expire(d.clock.Now(), true)
				interrupted = nil
			case now := <-tick.C():
				tick.Reset(watchEvery)
				w.dog.expire(now, false)
				if p := d.cfg.Progress; p != nil {
					if calls > 0 {
						p(min(float64(w.rows[0].callsSoFar())/float64(calls), 1))
					} else {
						p(min(float64(now.Sub(w.start))/float64(w.end.Sub(w.start)), 1))
					}
				}
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// watchEvery is how often the watchdog looks.
const watchEvery = 100 * time.Millisecond

// serverStats reads an external server's totals now, if it answers
// Stats.Read, and returns a function that reads them again and returns the
// difference (nil when they can't be read). Each read waits at most the
// call timeout, and no longer than ctx.
func serverStats(ctx context.Context, cfg *Config, c stack.Client) func() *ServerCounters {
	sr, ok := c.(stack.StatsReader)
	if !cfg.External || !ok {
		return func() *ServerCounters { return nil }
	}
	read := func() (*service.ServerStats, error) {
		ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
		defer cancel()
		return sr.ServerStats(ctx)
	}
	before, err := read()
	if err != nil {
		return func() *ServerCounters { return nil }
	}
	return func() *ServerCounters {
		if ctx.Err() != nil {
			return nil
		}
		after, err := read()
		if err != nil {
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

func (cfg *Config) newResult(dir string) *Result {
	return &Result{
		Name:        cfg.name(dir),
		Stack:       cfg.Stack.ID().String(),
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
			rows, err := RunRows(ctx, cfg)
			if err != nil {
				return results, fmt.Errorf("%s: %w", cfg.Name(), err)
			}
			results = append(results, rows...)
			if err := ctx.Err(); err != nil {
				return results, err // interrupted: what finished stands
			}
		}
	}
	return results, nil
}
