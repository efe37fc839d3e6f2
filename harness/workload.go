package harness

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rpcbench/rpcbench/stack"
	"github.com/rpcbench/rpcbench/transports"
)

// A Workload says what the callers of a run do and what they record. The
// driver around it (RunRows) knows none of its insides: it opens the
// connections, asks the workload to Prepare for them, runs the warm-up and
// the measured window through the Prepared workload, reads the process's
// counters and turns each row's Recorder into a Result. A workload knows
// nothing of how a call travels (the stack does) or of the load model
// beyond claiming arrivals from its window's schedule.
//
// Adding a workload is a type with these methods and one
// RegisterWorkload call, from this module or another one (the built-in
// call, watch and duplex are registered the same way, in workloads). What a
// workload needs of the stacks beyond the payload's call, it asks of their
// clients through an optional interface, as the call workload asks for
// stack.Pipeliner and watch for stack.KVClient; a workload that runs on
// some stacks only says so as a Limited one.
type Workload interface {
	// Name is what --workload takes and benchmark names carry as
	// workload=NAME (the default, call, is not written).
	Name() string
	// Rows labels the rows one window records, one Result each, by the
	// dir= their names carry; "" for a workload's only row. Once prepared
	// it may record fewer (a duplex master of workers in other processes
	// records dir=down only).
	Rows() []string
	// Prepare readies the workload for one configuration's windows over
	// the run's connections (s), opening what else it needs; Prepared.Close
	// releases it after the last window.
	Prepare(ctx context.Context, cfg *Config, s *Sides) (Prepared, error)
}

// A Prepared workload is one readied for one configuration.
type Prepared interface {
	// Rows are the rows each window records.
	Rows() []Row
	// Drive makes one window's calls, recording into w's recorders (one
	// per row), and returns when every goroutine it started has ended:
	// when its schedule is over, or ctx ends.
	Drive(ctx context.Context, w *Window)
	// Close releases what Prepare opened.
	Close()
}

// A Row is one row of a prepared workload: how its result is named and
// labelled.
type Row struct {
	// Dir is the row's dir= label; "" for a workload's only row.
	Dir string
	// Config is the configuration the row's name and labels say: the
	// run's own, or, for duplex's dir=up, that of its own callers.
	Config *Config
	// Key is the value of the name's workload= key; "" for none.
	Key string
	// Against is what the other direction of a duplex row carried, when
	// it differs from the row's own load (measure.Result.Against).
	Against string
}

// A NameKeyer is a workload whose workload= key says more than its name
// (duplex: what the other direction carries, when its load differs).
type NameKeyer interface {
	NameKey(cfg *Config) string
}

// row is cfg's row dir of a workload with one configuration.
func (cfg *Config) row(dir string) Row { return Row{Dir: dir, Config: cfg, Key: cfg.workloadKey()} }

// OneRow returns a prepared workload that records one row of cfg's (dir
// labels it; "" for none), drives each window with drive and holds nothing
// to close: what a workload that needs no more than the run's connections
// returns from Prepare.
func OneRow(cfg *Config, dir string, drive func(ctx context.Context, w *Window)) Prepared {
	return oneRow{[]Row{cfg.row(dir)}, drive}
}

type oneRow struct {
	rows  []Row
	drive func(context.Context, *Window)
}

func (r oneRow) Rows() []Row                          { return r.rows }
func (r oneRow) Drive(ctx context.Context, w *Window) { r.drive(ctx, w) }
func (oneRow) Close()                                 {}

// DefaultWorkload is the workload of a Config that names none: call.
func DefaultWorkload() Workload { return Call{} }

// An Adjuster is a workload that sets part of its configurations itself,
// from the plan they come from.
type Adjuster interface {
	Adjust(cfg *Config, p Plan)
}

// A Limited workload runs only on some stacks.
type Limited interface {
	// Supports returns why the workload cannot run on s, or nil.
	Supports(s stack.Stack) error
}

// Supports returns why wl cannot run on s (the floor has no KV store to
// watch), or nil when it can.
func Supports(wl Workload, s stack.Stack) error {
	if l, ok := wl.(Limited); ok {
		return l.Supports(s)
	}
	return nil
}

// Sides are a run's two ends, which a workload's Prepare may open more
// over: where its connections come from and, in process, what serves them.
type Sides struct {
	caller transports.Caller
	served net.Listener // nil against an external server
	server stack.Server // nil against an external server
	pool   *pool        // the run's clients
}

// A Window is what the driver gives a workload for one window: the
// configuration, the clock, the connections, one Recorder per row and the
// load model's schedules.
type Window struct {
	cfg        *Config
	clock      Clock
	pool       *pool
	dur        time.Duration // the window's length (very long when counted in calls)
	start, end time.Time
	budget     *budget
	rows       []*Recorder // by Workload.Rows; nil ones (warm-up) record nothing
	dog        *watchdog
	connBase   int // added to connection indexes the watchdog groups calls by, to keep another pool's apart
}

// Config is the configuration the window measures.
func (w *Window) Config() *Config { return w.cfg }

// Each runs the window's Config.Concurrency callers, as the call workload
// does but one operation at a time and without pipelining: caller i claims
// each arrival from the window's schedule (as soon as it is free in closed
// loop, at its time under Config.Rate), runs op over its client i, and
// records the operation's latency from the arrival's time, or its failure,
// in the window's first row. A connection that breaks is replaced, and an
// operation past Config.Timeout is cut off by closing its connection. It
// returns when the schedule is over or ctx ends. Each is what a workload
// from another module builds on: op says what one operation is.
func (w *Window) Each(ctx context.Context, op func(ctx context.Context, c stack.Client) error) {
	var wg sync.WaitGroup
	s := w.schedule(0)
	for i := range w.cfg.Concurrency {
		wg.Go(func() {
			rec, tr := w.rec(0), w.track(i, func() { w.pool.closeConn(i) })
			var timer Timer
			defer func() {
				if timer != nil {
					timer.Stop()
				}
			}()
			for {
				a, now, ok := s.await(ctx, w.clock, &timer)
				if !ok || !s.sent(a, i, now) {
					return
				}
				c := w.client(i)
				tr.begin(now)
				err := op(ctx, c.Client)
				if cut := tr.end(w.cfg.Timeout); cut != nil {
					err = cut
				}
				switch {
				case err == nil:
					rec.Record(i, a.at, w.clock.Now())
				case ctx.Err() != nil:
					return
				default:
					rec.Fail(err)
					if brokenConn(err) {
						w.pool.recover(ctx, i, c)
					}
				}
			}
		})
	}
	wg.Wait()
	s.finish(w.clock.Now())
}

// rec returns row's recorder.
func (w *Window) rec(row int) *Recorder { return w.rows[row] }

// schedule returns a schedule of the window's arrivals at Config.Rate,
// for the callers of row to share; it records their lateness in row.
func (w *Window) schedule(row int) *schedule {
	return newSchedule(w.start, w.end, w.cfg.Rate, w.budget, w.rows[row])
}

// client returns the client over connection i (of the pool's, modulo).
func (w *Window) client(i int) *client { return w.pool.client(i) }

// track registers a call slot that may hang: cut ends the connection its
// calls travel on, and slots with the same conn share that connection (a
// pool index). See watchdog.
func (w *Window) track(conn int, cut func()) *tracker { return w.dog.add(w.connBase+conn, cut) }

// A tracker is one call slot the watchdog keeps an eye on.
type tracker struct {
	started atomic.Int64 // UnixNano of the call in flight, or 0
	cutOff  atomic.Int32 // why the watchdog cut the call off: a cutReason
	conn    int
	cut     func()
}

// Why a call was cut off.
const (
	notCut        = iota
	timedOut      // the call outlived the timeout
	sharedTimeout // another call on its connection did
)

// begin notes that a call started at now.
func (t *tracker) begin(now time.Time) { t.started.Store(now.UnixNano()) }

// end notes that the call ended and returns the error to report instead
// of its own when the watchdog cut it off for a timeout, else nil.
func (t *tracker) end(timeout time.Duration) error {
	t.started.Store(0)
	if t.cutOff.Load() == notCut {
		return nil // a load, not a swap: the common case costs no locked instruction
	}
	switch t.cutOff.Swap(notCut) {
	case timedOut:
		return fmt.Errorf("%w after %v", errTimeout, timeout)
	case sharedTimeout:
		return fmt.Errorf("%w: another call on its connection timed out after %v, and the connection was closed", errTimeout, timeout)
	}
	return nil
}

// A watchdog cuts off calls outstanding for longer than the timeout (by
// closing their connection, which fails them and every other call on it),
// cuts off every call in flight when the run's context ends, and reports
// progress.
type watchdog struct {
	timeout time.Duration
	mu      sync.Mutex // guards all
	all     []*tracker
}

func (d *watchdog) add(conn int, cut func()) *tracker {
	t := &tracker{conn: conn, cut: cut}
	d.mu.Lock()
	d.all = append(d.all, t)
	d.mu.Unlock()
	return t
}

// expire cuts off the calls that began more than the timeout before now,
// with every other call on their connections, or every call in flight
// when all is set (the run was interrupted: no call is to blame).
func (d *watchdog) expire(now time.Time, all bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var conns []int
	for _, t := range d.all {
		s := t.started.Load()
		if s == 0 {
			continue
		}
		if all {
			t.cut()
		} else if now.Sub(time.Unix(0, s)) > d.timeout && !slices.Contains(conns, t.conn) {
			conns = append(conns, t.conn)
		}
	}
	if len(conns) == 0 {
		return
	}
	// Mark every call on those connections before closing them, so that
	// each failure is reported for what it is.
	var cuts []*tracker
	for _, t := range d.all {
		s := t.started.Load()
		if s == 0 || !slices.Contains(conns, t.conn) {
			continue
		}
		why := int32(sharedTimeout)
		if now.Sub(time.Unix(0, s)) > d.timeout {
			why = timedOut
		}
		t.cutOff.Store(why)
		cuts = append(cuts, t)
	}
	for _, c := range conns {
		for _, t := range cuts {
			if t.conn == c {
				t.cut()
				break
			}
		}
	}
}

// errTimeout is the error of a call that outlived Config.Timeout.
var errTimeout = fmt.Errorf("call timed out")

// checked reports whether call j of a caller verifies its reply: the
// first, then one in every.
func checked(j int64, every int) bool {
	if every <= 0 {
		every = 64
	}
	return j%int64(every) == 0
}

// pipelineOf returns caller i's pipeline over the pool, whose slot k
// calls through pool index idx[k]: the stack's own pipeline when its
// client has one, else stack.Pipelined over the slots' clients. It also
// returns the slots' clients, to replace them if they break.
func (w *Window) pipelineOf(i int, idx []int) (stack.Pipeline, []*client) {
	clients := make([]*client, len(idx))
	plain := make([]stack.Client, len(idx))
	for k, x := range idx {
		clients[k] = w.client(x)
		plain[k] = clients[k].Client
	}
	if pl, ok := plain[0].(stack.Pipeliner); ok && w.cfg.Stack.Shared() {
		return pl.Pipeline(len(idx)), clients
	}
	return stack.Pipelined(plain), clients
}
