package harness

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rpcbench/rpcbench/harness/stack"
)

// A Workload says what the callers of a run do and what they record. The
// driver around it (Run) knows none of its insides: it opens the
// connections, runs the warm-up and the measured window, reads the
// process's counters and turns each Recorder into a Result. The workload
// knows nothing of how a call travels (the stack does) or of the load
// model beyond asking its pacers when to act.
//
// Adding a workload is one file in this package: a type with these three
// methods and a line in workloads. For example:
//
//   - watch: Rows is one row. Drive starts Config.Watchers goroutines,
//     each blocked in KV.Watch over w.client(i) and re-armed as it
//     returns, and one setter that asks w.pacer(0, 0, 1) when to send
//     each KV.Set (open loop at Config.Rate). The setter notes each Set's
//     scheduled time under the value it writes; each woken watcher calls
//     w.rec(0).Record(i, scheduled, now) for the value it got: one sample
//     per woken watcher, from the Set's schedule.
//   - duplex: Rows is {"down", "up"}, which benchmark names carry as
//     dir=down and dir=up. Drive runs the master→worker callers as call
//     does, recording into w.rec(0), and the worker→master callers over
//     the connections the worker opened, recording into w.rec(1); each
//     row gets its own pacers (w.pacer(row, i, n)).
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
	// returns when every goroutine it started has ended: when its pacers
	// say stop, or ctx ends.
	Drive(ctx context.Context, w *Window)
}

// DefaultWorkload is the workload of a Config that names none.
var DefaultWorkload Workload = Call{}

// workloads are the workloads --workload takes. Adding one is one line here.
var workloads = []Workload{Call{}}

// WorkloadNames lists the workloads --workload accepts.
func WorkloadNames() []string {
	names := make([]string, len(workloads))
	for i, w := range workloads {
		names[i] = w.Name()
	}
	return names
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
// load model's pacers.
type Window struct {
	cfg        *Config
	clock      Clock
	pool       *pool
	start, end time.Time
	budget     *budget
	rows       []*Recorder // by Workload.Rows; nil ones (warm-up) record nothing
	dog        *watchdog
}

// rec returns row's recorder.
func (w *Window) rec(row int) *Recorder { return w.rows[row] }

// pacer returns the pacer of caller i of n that share the rate (Config.Rate)
// and record lateness in row.
func (w *Window) pacer(row, i, n int) *pacer {
	return newPacer(w.start, w.end, w.cfg.Rate, i, n, w.budget, w.rows[row])
}

// client returns the client over connection i (of the pool's, modulo).
func (w *Window) client(i int) *client { return w.pool.client(i) }

// track registers a call that may hang: cut ends the connection it
// travels on. See watchdog.
func (w *Window) track(cut func()) *tracker { return w.dog.add(cut) }

// A tracker is one call slot the watchdog keeps an eye on.
type tracker struct {
	started  atomic.Int64 // UnixNano of the call in flight, or 0
	timedOut atomic.Bool
	cut      func()
}

// begin notes that a call started at now.
func (t *tracker) begin(now time.Time) { t.started.Store(now.UnixNano()) }

// end notes that the call ended and reports whether the watchdog cut it
// off for outliving the timeout.
func (t *tracker) end() (timedOut bool) {
	t.started.Store(0)
	return t.timedOut.Swap(false)
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

func (d *watchdog) add(cut func()) *tracker {
	t := &tracker{cut: cut}
	d.mu.Lock()
	d.all = append(d.all, t)
	d.mu.Unlock()
	return t
}

// expire cuts off the calls that began more than the timeout before now,
// or every call in flight when all is set.
func (d *watchdog) expire(now time.Time, all bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, t := range d.all {
		s := t.started.Load()
		if s != 0 && (all || now.Sub(time.Unix(0, s)) > d.timeout) {
			if !all {
				t.timedOut.Store(true)
			}
			t.cut()
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
