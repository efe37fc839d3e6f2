package harness

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/rpcbench/rpcbench/measure"
)

// The load model: when callers act. In closed loop a caller sends as soon
// as it can. In open loop (Config.Rate) the window has one schedule of
// arrivals, arrival i at start + i/rate, whatever the replies do (k6's
// constant-arrival-rate executor, wrk2): each free caller claims the next
// arrival, waits for its time and sends it, and latency counts from that
// time, so that a stalled server cannot hide its stall by holding the
// generator back (coordinated omission). An arrival whose time has passed
// before any caller was free to claim it is queued: the load offered
// outran the callers (more --concurrency or --pipeline). One a caller
// claimed in time but sent late was late: the generator itself (its timer,
// the machine's CPU). Both wait in the send lag, which the recorder keeps
// as a histogram: the generator's measure of itself.

// An arrival is one call of the schedule.
type arrival struct {
	at     time.Time // when it is due; latency counts from here
	queued bool      // it was overdue when claimed: no caller was free
}

// A schedule is one window's arrivals, shared by the callers of one row.
type schedule struct {
	start, end time.Time
	interval   time.Duration // open loop: between arrivals; 0 in closed loop
	budget     *budget       // calls left in a window counted in calls; nil when timed
	next       atomic.Int64  // open loop: the next arrival nobody has claimed
	spin       time.Duration // open loop: the last of a wait spun, not slept
	rec        *Recorder
}

// The generator spins for the last microseconds before an arrival (DESIGN
// 11): a precise sleep wakes tens of microseconds late from an idle CPU
// (on the 2-core machine the watch setter's send lag was 65µs at p50),
// which the send lag would count and every latency with it. The spin is at
// most maxSpin per arrival, and at most spinShare of one CPU at the
// schedule's rate; the recorder counts it and the result leaves it out of
// the CPU figures. Only one goroutine spins at a time.
const (
	maxSpin   = 200 * time.Microsecond
	spinShare = 0.05
)

// spinFor is the spin before each arrival at rate arrivals/s.
func spinFor(rate float64) time.Duration {
	if rate <= 0 {
		return 0
	}
	return min(maxSpin, time.Duration(spinShare*float64(time.Second)/rate))
}

// newSchedule returns the schedule of a window from start to end at rate
// calls/s (closed loop when rate is 0), that records its lateness in rec.
func newSchedule(start, end time.Time, rate float64, b *budget, rec *Recorder) *schedule {
	s := &schedule{start: start, end: end, budget: b, rec: rec}
	if rate > 0 {
		s.interval = time.Duration(float64(time.Second) / rate)
		s.spin = spinFor(rate)
	}
	return s
}

// open reports whether the schedule is an open loop's.
func (s *schedule) open() bool { return s.interval > 0 }

// claim takes the next arrival for a caller that is free at now; ok is
// false when the schedule is over (the window ended, or its calls are
// all taken). In closed loop the arrival is now.
func (s *schedule) claim(now time.Time) (a arrival, ok bool) {
	if !s.open() {
		if !now.Before(s.end) || !s.budget.take() {
			return arrival{}, false
		}
		return arrival{at: now}, true
	}
	if !now.Before(s.end) {
		return arrival{}, false // what is left was never sent: finish counts it
	}
	i := s.next.Add(1) - 1
	if total := s.budget.total(); total > 0 && i >= total {
		return arrival{}, false
	}
	at := s.start.Add(time.Duration(i) * s.interval)
	if !at.Before(s.end) {
		return arrival{}, false
	}
	a = arrival{at: at, queued: now.Sub(at) > measure.LateSlack}
	if a.queued {
		s.rec.Queued(1)
	}
	return a, true
}

// sent notes that a's call was handed to its connection at now, and
// reports false, sending nothing, when now is past the window's end.
func (s *schedule) sent(a arrival, shard int, now time.Time) bool {
	if !s.open() {
		return true
	}
	lag := now.Sub(a.at)
	if !now.Before(s.end) {
		s.rec.Late(lag) // claimed in time, woken after the window: never sent
		return false
	}
	s.rec.SendLag(shard, lag)
	if !a.queued && lag > measure.LateSlack {
		s.rec.Late(lag)
	}
	return true
}

// await claims the next arrival for a caller that is free and waits
// until it is due, with *timer (made when first needed, on clock); it
// returns the arrival and the time it was woken, or false when the
// schedule is over or ctx ends first.
func (s *schedule) await(ctx context.Context, clock Clock, timer *Timer) (arrival, time.Time, bool) {
	now := clock.Now()
	a, ok := s.claim(now)
	if !ok {
		return arrival{}, now, false
	}
	if wait := a.at.Sub(now); wait > 0 {
		if sl, ok := clock.(sleeper); ok {
			// The waiting goroutine reads the timer itself: one hand-off
			// fewer than a timer's channel, for the waits nothing else
			// needs to interrupt.
			spun, err := sl.SleepUntil(ctx, a.at, s.spin)
			s.rec.Spun(spun)
			if err != nil {
				return arrival{}, now, false
			}
			return a, clock.Now(), true
		}
		if *timer == nil {
			*timer = clock.NewTimer(wait)
		} else {
			(*timer).Reset(wait)
		}
		select {
		case <-(*timer).C():
		case <-ctx.Done():
			return arrival{}, now, false
		}
		now = clock.Now()
	}
	return a, now, true
}

// finish counts the arrivals due before now (or the window's end, if
// sooner) that no caller claimed: queued, never sent. An interrupted
// window's later arrivals were never due.
func (s *schedule) finish(now time.Time) {
	if !s.open() {
		return
	}
	if now.After(s.end) {
		now = s.end
	}
	due := int64((now.Sub(s.start) + s.interval - 1) / s.interval)
	if total := s.budget.total(); total > 0 {
		due = min(due, total)
	}
	if left := due - s.next.Load(); left > 0 {
		s.rec.Queued(left)
	}
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
