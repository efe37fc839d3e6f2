package harness

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rpcbench/rpcbench/stack"
	"github.com/rpcbench/rpcbench/transports"
)

// A Workload says what the callers of a run do and what they record. The
// driver around it (Run) knows none of its insides: it opens the
// connections, runs the warm-up and the measured window, reads the
// process's counters and turns each Recorder into a Result. The workload
// knows nothing of how a call travels (the stack does) or of the load
// model beyond claiming arrivals from its schedule.
//
// Adding a workload is one file in this package: a type with these three
// methods and a line in workloads. What a workload needs of the stacks
// beyond the payload's call, it asks of their clients through an optional
// interface, as the call workload asks for stack.Pipeliner:
//
//   - Watch (watch.go) asks for stack.KVClient (Set, and a Watch whose
//     Next waits for the key's next change), which the stacks that can
//     watch declare by being a stack.KVStack; the others are left out of
//     it (Limited, Supports). Its Prepare opens the setter's connection.
//   - Duplex (duplex.go) is a Preparer: Prepare serves the master's side
//     of the way back and opens the worker's clients over it, and Drive
//     runs the call workload both ways, one row each (dir=down, dir=up),
//     the up row named by its own configuration (rowConfigs).
//
// Calls that may hang register with w.track so that the run's timeout and
// its context can cut them off.
type Workload interface {
	// Name is what --workload takes and benchmark names carry as
	// workload=NAME (the default, call, is not written).
	Name() string
	// Rows names the rows one window records, one Result each, by the
	// dir= label their names carry; "" for a workload's only row.
	Rows() []string
	// Drive makes one window's calls, recording into w's recorders, and
	// returns when every goroutine it started has ended: when its
	// schedule is over, or ctx ends.
	Drive(ctx context.Context, w *Window)
}

// A Preparer is a Workload that needs more than the run's connections.
// RunRows calls Prepare once, after the connections are open and before
// the warm-up, measures with the workload it returns (of the same Name,
// holding what Prepare opened; its Rows may be fewer, as a duplex master
// of workers in other processes records only dir=down), and calls done
// after the last window.
type Preparer interface {
	Prepare(ctx context.Context, cfg *Config) (run Workload, done func(), err error)
}

// DefaultWorkload is the workload of a Config that names none: call.
func DefaultWorkload() Workload { return Call{} }

// workloads are the workloads --workload takes. Adding one is one line here.
var workloads = []Workload{Call{}, Watch{}, Duplex{}}

// WorkloadNames lists the workloads --workload accepts.
func WorkloadNames() []string {
	names := make([]string, len(workloads))
	for i, w := range workloads {
		names[i] = w.Name()
	}
	return names
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

// A rowConfigs workload records rows of different configurations (duplex:
// dir=up has its own callers and payload), which their names and results
// say.
type rowConfigs interface {
	rowConfig(row int, cfg *Config) *Config
}

// rowConfig returns the configuration row row of wl records.
func (cfg *Config) rowConfig(wl Workload, row int) *Config {
	if rc, ok := wl.(rowConfigs); ok {
		return rc.rowConfig(row, cfg)
	}
	return cfg
}

// sides are a run's two ends: where its connections come from and, in
// process, what serves them.
type sides struct {
	caller transports.Caller
	served net.Listener // nil against an external server
	server stack.Server // nil against an external server
	pool   *pool        // the run's clients
}

// LookupWorkload returns the workload called name.
func LookupWorkload(name string) (Workload, error) {
	for _, w := range workloads {
		if w.Name() == name {
			return w, nil
		}
	}
	return nil, fmt.Errorf("unknown workload %q (have %s)", name, strings.Join(WorkloadNames(), ", "))
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
