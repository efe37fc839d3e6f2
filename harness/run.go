package harness

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sync/atomic"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/measure"
	"github.com/rpcbench/rpcbench/stack"
	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/netem"
)

// Run measures one configuration whose workload records one row (call,
// watch); RunRows measures any.
func Run(ctx context.Context, cfg Config) (*measure.Result, error) {
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
func RunRows(ctx context.Context, cfg Config) ([]*measure.Result, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	sides, stop, err := connectSides(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	defer stop()

	p, err := newPool(ctx, &cfg, sides.caller)
	if err != nil {
		return nil, err
	}
	defer p.close()

	sides.pool = p
	run, err := cfg.workload().Prepare(ctx, &cfg, sides)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.workload().Name(), err)
	}
	defer run.Close()
	d := &driver{cfg: &cfg, clock: cfg.clock(), pool: p, rows: run.Rows(), run: run}
	if cfg.Warmup > 0 {
		d.drive(ctx, d.window(cfg.Warmup, 0, false))
	}
	server := serverStats(ctx, cfg.Timeout, serverReaders(&cfg, p))
	w := d.window(cfg.Duration, cfg.Calls, true)
	before := readTotals()
	p.wire.Store(0)
	results := d.drive(ctx, w)
	own := readTotals().Sub(before)
	srv := server()
	// The generator's spin is its own, not the stack's: out of the CPU.
	for _, r := range results {
		own.CPU -= r.Spin
	}
	own.CPU = max(own.CPU, 0)
	for _, r := range results {
		// Process-wide figures: every row of the window shares them.
		r.Allocs, r.AllocB, r.CPU = own.Allocs, own.AllocB, own.CPU
		r.CtxSwitches, r.RWSyscalls = own.CtxSwitches, own.RWSyscalls
		r.WireBytes = p.wire.Load()
		r.Server = srv
		r.Interrupted = ctx.Err() != nil
	}
	shareOut(results)
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
	run   Prepared
	rows  []Row // run's
}

// window prepares a window of dur, or of calls calls when calls is
// positive, with recorders when record is set; drive runs it. The two are
// apart so that what the recorders allocate up front is not counted in
// the window's allocations.
func (d *driver) window(dur time.Duration, calls int64, record bool) *Window {
	w := &Window{cfg: d.cfg, clock: d.clock, pool: d.pool, dur: dur,
		budget: newBudget(calls), rows: make([]*Recorder, len(d.rows)), dog: &watchdog{timeout: d.cfg.Timeout}}
	if calls > 0 {
		w.dur = 100 * 365 * 24 * time.Hour
	}
	if record {
		for i, row := range d.rows {
			w.rows[i] = newRecorder(row.Config.Concurrency, dur, row.Config.Rate > 0)
		}
	}
	return w
}

// drive runs the workload through w from now, and returns its rows'
// results when it records them.
func (d *driver) drive(ctx context.Context, w *Window) []*measure.Result {
	w.start = d.clock.Now()
	w.end = w.start.Add(w.dur)
	// The window's last calls may end up to a timeout past its end.
	ends := d.partitionEnds(w.start, w.end.Add(d.cfg.Timeout))
	for _, r := range w.rows {
		r.begin(w.start)
		r.watchRecovery(ends)
	}
	reconnects := d.pool.reconnects.Load()
	stopWatch := d.watch(ctx, w, w.budget.total())
	d.run.Drive(ctx, w)
	stopWatch()
	if w.rows[0] == nil {
		return nil
	}
	stopped := d.clock.Now()
	results := make([]*measure.Result, len(w.rows))
	for i, row := range d.rows {
		results[i] = row.newResult()
		w.rows[i].fill(results[i], stopped)
		results[i].Reconnects = d.pool.reconnects.Load() - reconnects
	}
	return results
}

// partitionEnds are the instants in the window from start to end at which
// the emulated network (Config.Net) comes back from a partition, at most
// maxPartitions of them; none without partitions.
func (d *driver) partitionEnds(start, end time.Time) []time.Time {
	if d.cfg.Net == "" {
		return nil
	}
	p, err := netem.Parse(d.cfg.Net)
	if err != nil || p.PartitionEvery <= 0 {
		return nil
	}
	if last := start.Add(maxPartitions * p.PartitionEvery); end.After(last) {
		end = last // a window counted in calls ends a century away
	}
	return p.PartitionEnds(start, end)
}

// maxPartitions bounds the partitions a window times recoveries from.
const maxPartitions = 10_000

// watch runs the window's watchdog until stop is called: about ten times
// a second it cuts off calls past the timeout and reports progress (the
// phase, and the window's calls, errors and, once a second, p99); when
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
		var last Progress // the figures, the latency refreshed every tenth tick
		for n := 0; ; n++ {
			select {
			case <-done:
				return
			case <-interrupted:
				w.dog.expire(d.clock.Now(), true)
				interrupted = nil
			case now := <-tick.C():
				tick.Reset(watchEvery)
				w.dog.expire(now, false)
				report := d.cfg.Progress
				if report == nil {
					continue
				}
				last.Warmup = w.rows[0] == nil // the warm-up records nothing
				w.rows[0].progress(&last, n%10 == 0)
				p := last
				if calls > 0 {
					p.Done = min(float64(p.Calls)/float64(calls), 1) // progress counted them
				} else {
					p.Done = min(float64(now.Sub(w.start))/float64(w.end.Sub(w.start)), 1)
				}
				report(p)
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

// serverReaders returns what to read an external server's figures
// through. When the serving side dials (reverse), each connection may come
// from a different worker, so every connection's server is read
// (serverStats counts each process once, whatever the connections it
// dialled). Otherwise every connection reaches the same server, and
// connection 0 speaks for it.
func serverReaders(cfg *Config, p *pool) []stack.StatsReader {
	if !cfg.External {
		return nil
	}
	n := 1
	if transports.IsReversed(cfg.Transport) {
		n = len(p.slots)
	}
	var readers []stack.StatsReader
	for i := range n {
		if sr, ok := p.slots[i].cur.Load().Client.(stack.StatsReader); ok {
			readers = append(readers, sr)
		}
	}
	return readers
}

// serverStats reads the servers' totals now and returns a function that
// reads them again and returns the window's figures: each server process's
// difference, summed over the processes; nil when there are none, or when
// any can't be read (a partial sum would mislead). Readers that reach the
// same process (a reverse worker that dialled several connections) say so
// by its Instance, and it is read and counted once; a server too old to
// give one is counted once per reader, as there is no telling. Each round
// of reads waits at most the call timeout, and no longer than ctx.
func serverStats(ctx context.Context, timeout time.Duration, readers []stack.StatsReader) func() *measure.ServerCounters {
	none := func() *measure.ServerCounters { return nil }
	type server struct {
		reader stack.StatsReader
		id     string
		start  measure.Totals
	}
	var servers []server
	readCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, sr := range readers {
		s, err := sr.ServerStats(readCtx)
		if err != nil {
			return none
		}
		id := s.GetInstance()
		if id != "" && slices.ContainsFunc(servers, func(sv server) bool { return sv.id == id }) {
			continue
		}
		servers = append(servers, server{sr, id, totalsOf(s)})
	}
	if len(servers) == 0 {
		return none
	}
	return func() *measure.ServerCounters {
		if ctx.Err() != nil {
			return nil
		}
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		insts := make([]measure.ServerInstance, len(servers))
		for i, sv := range servers {
			s, err := sv.reader.ServerStats(ctx)
			if err != nil || s.GetInstance() != sv.id {
				// Another process answering now has no start to
				// subtract from.
				return nil
			}
			insts[i] = measure.ServerInstance{ID: sv.id, Start: sv.start, End: totalsOf(s)}
		}
		return measure.ServerCountersOf(insts)
	}
}

// connectSides starts the in-process server, when there is one, and the
// calling half; stop ends both.
func connectSides(ctx context.Context, cfg *Config) (*Sides, func(), error) {
	tcfg := cfg.TransportConfig
	if cfg.External {
		caller, err := cfg.Transport.Call(ctx, tcfg)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", cfg.Transport.Name(), err)
		}
		return &Sides{caller: caller}, func() { caller.Close() }, nil
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
	return &Sides{caller: caller, served: l, server: srv}, func() {
		caller.Close()
		srv.Close()
	}, nil
}

// newResult is the empty result of row, named and labelled.
func (row Row) newResult() *measure.Result {
	cfg := row.Config
	var id codecs.Identity
	if s, ok := cfg.Stack.(interface{ Identity() codecs.Identity }); ok {
		id = s.Identity()
	}
	return &measure.Result{
		Format:      id.Format,
		Library:     id.Library,
		Name:        cfg.name(row.Dir, row.Key),
		Stack:       cfg.Stack.ID().String(),
		Transport:   cfg.Transport.Name(),
		Net:         cfg.Net,
		Payload:     cfg.Payload.Name,
		Concurrency: cfg.Concurrency,
		Conns:       cfg.conns(),
		Pipeline:    cfg.Pipeline,
		Rate:        cfg.Rate,
		Delay:       cfg.Delay.String(),
		Latency:     measure.NewHistogram(),
		Workload:    cfg.workloadName(),
		Dir:         row.Dir,
		Against:     row.Against,
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
func RunAll(ctx context.Context, cfgs []Config, count int, progress func(run, runs int, name string, p Progress)) ([]*measure.Result, error) {
	var results []*measure.Result
	runs := len(cfgs) * count
	for rep := range count {
		for i, cfg := range cfgs {
			n := rep*len(cfgs) + i
			if progress != nil {
				cfg.Progress = func(p Progress) { progress(n, runs, cfg.Name(), p) }
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
