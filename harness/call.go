package harness

import (
	"context"
	"sync"
	"time"

	"github.com/rpcbench/rpcbench/stack"
)

// Call is the default workload: each of Config.Concurrency callers makes
// the payload's call, keeping Config.Pipeline of them in flight, and
// records each call's latency: from issue to reply in closed loop, from
// its scheduled send time in open loop.
//
// A caller is one goroutine. With --pipeline N it starts N calls (over
// net/rpc, with Client.Go and one Done channel of capacity N that all its
// calls share), collects each from that channel as it completes and
// starts the next in its slot: no goroutine per call, as the seed makes
// async calls. Stacks without such an API keep N calls in flight their own
// way (stack.Pipeline).
type Call struct{}

func (Call) Name() string   { return "call" }
func (Call) Rows() []string { return []string{""} }

// Prepare needs nothing beyond the run's connections.
func (Call) Prepare(_ context.Context, cfg *Config, _ *Sides) (Prepared, error) {
	return calls{[]Row{cfg.row("")}}, nil
}

// calls is a prepared workload whose one row's callers make the call
// workload's calls.
type calls struct{ rows []Row }

func (r calls) Rows() []Row                        { return r.rows }
func (calls) Drive(ctx context.Context, w *Window) { driveCalls(ctx, w) }
func (calls) Close()                               {}

// driveCalls runs the window's callers, which share one schedule and
// record in row 0.
func driveCalls(ctx context.Context, w *Window) {
	var wg sync.WaitGroup
	s := w.schedule(0)
	for i := range w.cfg.Concurrency {
		wg.Go(func() { newCaller(w, i, s).run(ctx) })
	}
	wg.Wait()
	s.finish(w.clock.Now())
}

// caller is one caller of the call workload and its slots.
type caller struct {
	w     *Window
	i     int
	s     *schedule
	rec   *Recorder
	timer Timer // open loop: wakes the caller for its arrival; made when first needed

	next    arrival // open loop: the arrival claimed and not yet sent,
	claimed bool    // if any

	idx      []int        // by slot: the pool index its calls go through
	trackers []*tracker   // by slot
	from     []time.Time  // by slot: when the call in flight's latency counts from
	calls    int64        // calls started, for checking one in Config.CheckEvery
	broken   map[int]bool // pool indexes whose connection broke
}

func newCaller(w *Window, i int, s *schedule) *caller {
	depth := w.cfg.Pipeline
	c := &caller{w: w, i: i, s: s, rec: w.rec(0),
		idx: make([]int, depth), trackers: make([]*tracker, depth), from: make([]time.Time, depth)}
	for k := range depth {
		c.idx[k] = i
		if !w.cfg.Stack.Shared() {
			c.idx[k] = i*depth + k // a connection per call in flight
		}
		c.trackers[k] = w.track(c.idx[k], func() { w.pool.closeConn(c.idx[k]) })
	}
	return c
}

// run makes calls until the schedule is over or ctx ends. When a
// connection breaks, the caller lets its other calls finish, replaces the
// connection and goes on.
func (c *caller) run(ctx context.Context) {
	defer func() {
		if c.timer != nil {
			c.timer.Stop()
			if st, ok := c.timer.(spinTimer); ok {
				c.rec.Spun(st.Spun())
			}
		}
	}()
	for {
		pl, clients := c.w.pipelineOf(c.i, c.idx)
		over := c.drive(ctx, pl)
		pl.Close()
		for k, broken := range clients {
			if c.broken[c.idx[k]] && ctx.Err() == nil {
				c.w.pool.recover(ctx, c.idx[k], broken)
			}
		}
		clear(c.broken)
		if over || ctx.Err() != nil {
			return
		}
	}
}

// drive keeps the pipeline full until the schedule is over (over), ctx
// ends (over) or a connection breaks; it returns once no call is in
// flight.
func (c *caller) drive(ctx context.Context, pl stack.Pipeline) (over bool) {
	clock := c.w.clock
	free := make([]int, 0, len(c.idx))
	for k := len(c.idx) - 1; k >= 0; k-- {
		free = append(free, k)
	}
	var (
		inflight  int
		reconnect bool
		wakeAt    time.Time // open loop: when the claimed arrival is due, when waiting for it
	)
	for {
		wakeAt = time.Time{}
		if ctx.Err() != nil {
			over = true
		}
		for !over && !reconnect && len(free) > 0 {
			now := clock.Now()
			if !c.claimed {
				a, ok := c.s.claim(now)
				if !ok {
					over = true
					break
				}
				c.next, c.claimed = a, true
			}
			if now.Before(c.next.at) {
				wakeAt = c.next.at
				break
			}
			c.claimed = false
			if !c.s.sent(c.next, c.i, now) {
				over = true
				break
			}
			k := free[len(free)-1]
			free = free[:len(free)-1]
			c.from[k] = c.next.at
			c.trackers[k].begin(now)
			pl.Start(k, checked(c.calls, c.w.cfg.CheckEvery))
			c.calls++
			inflight++
		}
		var wake <-chan time.Time
		if !wakeAt.IsZero() {
			wake = c.wake(wakeAt.Sub(clock.Now()))
		}
		if inflight == 0 && (over || reconnect) {
			return over
		}
		// Wait for a call to complete or, with a slot free, for the
		// claimed arrival; with nothing in flight, only for the arrival. Once
		// over, only for the calls in flight (when ctx ended, the
		// watchdog has cut them off).
		stopped := ctx.Done()
		if over {
			stopped = nil
		}
		k, err, ok := pl.Finish(wake, stopped)
		if !ok {
			continue // the claimed arrival is due, or ctx ended
		}
		end := clock.Now()
		inflight--
		free = append(free, k)
		if cut := c.trackers[k].end(c.w.cfg.Timeout); cut != nil {
			err = cut
		}
		switch {
		case err == nil:
			c.rec.Record(c.i, c.from[k], end)
		case ctx.Err() != nil:
			// Cut off because the run was interrupted: not a failure.
		default:
			c.rec.Fail(err)
			if brokenConn(err) {
				if c.broken == nil {
					c.broken = make(map[int]bool)
				}
				c.broken[c.idx[k]] = true
				reconnect = true
			}
		}
	}
}

// wake returns a channel that is ready after d.
func (c *caller) wake(d time.Duration) <-chan time.Time {
	if c.timer == nil {
		c.timer = c.w.clock.NewTimer(time.Hour)
		if st, ok := c.timer.(spinTimer); ok {
			st.SetSpin(c.s.spin)
		}
		c.timer.Reset(d)
	} else {
		c.timer.Reset(d)
	}
	return c.timer.C()
}
