package harness

import (
	"sync/atomic"
	"time"

	"github.com/rpcbench/rpcbench/measure"
)

// The scheduler: when each caller acts. In closed loop a caller sends as
// soon as it can; in open loop (Config.Rate) on a fixed schedule, so that
// latency counts from when a call should have been sent and a stalled
// server cannot hide its stall by holding the generator back (coordinated
// omission, corrected as wrk2 does).

// A step is what a pacer tells its caller to do next.
type step int

const (
	send step = iota // send a call now
	wait             // wait until the time given, then ask again
	stop             // the window is over: send nothing more
)

// A pacer schedules one caller's calls. It is used by that caller alone.
type pacer struct {
	end      time.Time     // no call is sent at or after end
	interval time.Duration // open loop: time between this caller's calls; 0 in closed loop
	next     time.Time     // open loop: this caller's next slot
	budget   *budget       // calls left in a window counted in calls; nil when timed
	rec      *Recorder     // hears of calls sent late
}

// newPacer returns the pacer of caller i of n that share the window's rate
// (open loop when rate > 0): caller i sends at start + (j*n + i)/rate, so
// that the callers' slots interleave evenly.
func newPacer(start, end time.Time, rate float64, i, n int, b *budget, rec *Recorder) *pacer {
	p := &pacer{end: end, budget: b, rec: rec}
	if rate > 0 {
		p.interval = time.Duration(float64(time.Second) * float64(n) / rate)
		p.next = start.Add(time.Duration(float64(time.Second) * float64(i) / rate))
	}
	return p
}

// due says what the caller does at now. With send, from is the time the
// call's latency counts from: now in closed loop, its slot in open loop.
// With wait, from is when to ask again.
func (p *pacer) due(now time.Time) (from time.Time, s step) {
	if p.interval == 0 {
		if !now.Before(p.end) || !p.budget.take() {
			return time.Time{}, stop
		}
		return now, send
	}
	if !p.next.Before(p.end) {
		return time.Time{}, stop // the schedule ends with the window
	}
	if now.Before(p.next) {
		return p.next, wait
	}
	if !now.Before(p.end) {
		// Behind schedule at the end: what was never sent is late too.
		p.rec.Missed(int64(p.end.Sub(p.next)-1)/int64(p.interval) + 1)
		return time.Time{}, stop
	}
	if !p.budget.take() {
		return time.Time{}, stop
	}
	if lag := now.Sub(p.next); lag > measure.LateSlack {
		p.rec.Late(lag)
	}
	from = p.next
	p.next = p.next.Add(p.interval)
	return from, send
}

// A budget is the calls a window counted in calls has left, shared by its
// callers. A nil budget never runs out.
type budget struct {
	calls int64 // at the start
	left  atomic.Int64
}

func newBudget(calls int64) *budget {
	if calls <= 0 {
		return nil
	}
	b := &budget{calls: calls}
	b.left.Store(calls)
	return b
}

// total is the calls the window is counted in, or 0 when it is timed.
func (b *budget) total() int64 {
	if b == nil {
		return 0
	}
	return b.calls
}

func (b *budget) take() bool { return b == nil || b.left.Add(-1) >= 0 }
