package harness

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/measure"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/stack"
)

// The scheduler, the recorder and the call workload's callers, on a fake
// clock: every figure below is exact, and nothing sleeps.

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// fakeClock is a Clock whose time moves only when a test (or a fake
// server) advances it or, when auto, when a timer is set: the time then
// jumps to the timer's deadline and the timer fires at once, so that
// whoever waits for the time never waits for real (the watch setter).
type fakeClock struct {
	mu     sync.Mutex // guards now and timers
	now    time.Time
	timers []*fakeTimer
	auto   bool
}

// add moves the time on by d.
func (c *fakeClock) add(d time.Duration) { c.advance(c.Now().Add(max(d, 0))) }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	t := &fakeTimer{c: c, ch: make(chan time.Time, 1)}
	c.mu.Lock()
	c.timers = append(c.timers, t)
	c.mu.Unlock()
	t.Reset(d)
	return t
}

// next returns the earliest armed timer's time.
func (c *fakeClock) next() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var at time.Time
	for _, t := range c.timers {
		if t.armed && (at.IsZero() || t.when.Before(at)) {
			at = t.when
		}
	}
	return at, !at.IsZero()
}

// advance moves the time to to (never back) and fires the timers due.
func (c *fakeClock) advance(to time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if to.After(c.now) {
		c.now = to
	}
	for _, t := range c.timers {
		if t.armed && !t.when.After(c.now) {
			t.armed = false
			t.ch <- c.now
		}
	}
}

// fakeTimer has the semantics of a Go 1.23 time.Timer: Stop and Reset
// drop a value not yet received.
type fakeTimer struct {
	c     *fakeClock
	ch    chan time.Time
	when  time.Time // guarded by c.mu
	armed bool      // guarded by c.mu
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.armed
	t.armed = false
	select {
	case <-t.ch:
	default:
	}
	return was
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	was := t.Stop()
	t.c.mu.Lock()
	t.when, t.armed = t.c.now.Add(d), true
	to := time.Time{} // fires at once when d <= 0
	if t.c.auto {
		to = t.when
	}
	t.c.mu.Unlock()
	t.c.advance(to)
	return was
}

// fakeServer answers a call started at t at done(t): a pipelined client
// whose Finish moves the fake clock to the next event, the next reply or
// the caller's wake-up, whichever comes first.
type fakeServer struct {
	clock *fakeClock
	done  func(start time.Time) time.Time

	mu       sync.Mutex
	inflight map[int]time.Time // by slot: when the reply arrives
	most     int               // the most calls in flight at once
	starts   []time.Time
}

func (s *fakeServer) Call(context.Context, bool) error {
	return errors.New("fakeServer: pipelined only")
}
func (s *fakeServer) Close() error                { return nil }
func (s *fakeServer) Pipeline(int) stack.Pipeline { return fakePipe{s} }

// fakePipe is the fakeServer's pipeline.
type fakePipe struct{ *fakeServer }

func (fakePipe) Close() {}

func (s *fakeServer) Start(slot int, _ bool) {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight == nil {
		s.inflight = make(map[int]time.Time)
	}
	if _, busy := s.inflight[slot]; busy {
		panic(fmt.Sprintf("slot %d started while in flight", slot))
	}
	s.inflight[slot] = s.done(now)
	s.most = max(s.most, len(s.inflight))
	s.starts = append(s.starts, now)
}

func (s *fakeServer) Finish(wake <-chan time.Time, _ <-chan struct{}) (int, error, bool) {
	s.mu.Lock()
	slot, at := -1, time.Time{}
	for k, t := range s.inflight {
		if slot < 0 || t.Before(at) || (t.Equal(at) && k < slot) {
			slot, at = k, t
		}
	}
	s.mu.Unlock()
	if wakeAt, ok := s.clock.next(); wake != nil && ok && (slot < 0 || wakeAt.Before(at)) {
		s.clock.advance(wakeAt)
		<-wake
		return 0, nil, false
	}
	if slot < 0 {
		panic("Finish with nothing in flight and nothing to wake for")
	}
	s.clock.advance(at)
	s.mu.Lock()
	delete(s.inflight, slot)
	s.mu.Unlock()
	return slot, nil, true
}

// fakeStack is a shared stack whose one client is a fakeServer.
type fakeStack struct{ stack.Stack }

func (fakeStack) Shared() bool { return true }

// driveFake runs the call workload over s for one window of cfg's on the
// fake clock and returns its result.
func driveFake(t *testing.T, cfg Config, s *fakeServer) *measure.Result {
	t.Helper()
	p := &pool{cfg: &cfg, slots: make([]slot, 1)}
	p.slots[0].cur.Store(&client{Client: s})
	cfg.Stack = fakeStack{}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 1
	}
	if cfg.Pipeline == 0 {
		cfg.Pipeline = 1
	}
	cfg.Payload = payload.Payload{Name: "fake"}
	cfg.Timeout = time.Hour
	cfg.testClock = s.clock
	d := &driver{cfg: &cfg, clock: s.clock, pool: p, rows: []Row{cfg.row("")}}
	// d.drive without its watchdog, whose timer would be one more event
	// on the fake clock.
	w := d.window(cfg.Duration, cfg.Calls, true)
	w.start = s.clock.Now()
	w.end = w.start.Add(w.dur)
	w.rows[0].begin(w.start)
	driveCalls(t.Context(), w)
	r := &measure.Result{Latency: measure.NewHistogram()}
	w.rows[0].fill(r, s.clock.Now())
	return r
}

// near reports whether d is want to the histogram's precision (3
// significant digits).
func near(d, want time.Duration) bool { return d >= want && d-want <= want/1000 }

func constant(d time.Duration) func(time.Time) time.Time {
	return func(t time.Time) time.Time { return t.Add(d) }
}

func TestAClosedLoopCallerSendsAsSoonAsItsCallReturns(t *testing.T) {
	for _, depth := range []int{1, 4} {
		t.Run(fmt.Sprintf("pipeline=%d", depth), func(t *testing.T) {
			clock := &fakeClock{now: epoch}
			s := &fakeServer{clock: clock, done: constant(100 * time.Microsecond)}
			r := driveFake(t, Config{Duration: time.Second, Pipeline: depth}, s)
			want := int64(10_000 * depth) // a call every 100µs in each slot
			if r.Calls != want || r.Errors != 0 || r.Late != 0 {
				t.Errorf("calls %d, errors %d, late %d; want %d calls, no error, none late", r.Calls, r.Errors, r.Late, want)
			}
			if s.most != depth {
				t.Errorf("at most %d calls in flight; want %d", s.most, depth)
			}
			if p50, max := r.Latency.Quantile(50), time.Duration(r.Latency.Max()); !near(p50, 100*time.Microsecond) || !near(max, 100*time.Microsecond) {
				t.Errorf("p50 %v, max %v; want every call at 100µs", p50, time.Duration(max))
			}
			if !r.WindowStart.Equal(epoch) || !r.WindowEnd.Equal(epoch.Add(time.Second)) || r.Elapsed != time.Second {
				t.Errorf("window %v to %v (%v); want the fake clock's second from %v", r.WindowStart, r.WindowEnd, r.Elapsed, epoch)
			}
		})
	}
}

func TestACountedWindowMakesExactlyItsCalls(t *testing.T) {
	clock := &fakeClock{now: epoch}
	s := &fakeServer{clock: clock, done: constant(time.Millisecond)}
	r := driveFake(t, Config{Calls: 37, Pipeline: 8}, s)
	if r.Calls != 37 || len(s.starts) != 37 {
		t.Errorf("%d calls recorded, %d started; want 37", r.Calls, len(s.starts))
	}
}

func TestOpenLoopCountsStallsFromTheSchedule(t *testing.T) {
	// 1000 calls/s from one caller; the server answers in 100µs, except
	// that it is stalled from 500ms to 600ms: a call arriving then is
	// answered 100µs after the stall.
	clock := &fakeClock{now: epoch}
	stallFrom, stallTo := epoch.Add(500*time.Millisecond), epoch.Add(600*time.Millisecond)
	s := &fakeServer{clock: clock, done: func(t time.Time) time.Time {
		if !t.Before(stallFrom) && t.Before(stallTo) {
			t = stallTo
		}
		return t.Add(100 * time.Microsecond)
	}}
	r := driveFake(t, Config{Duration: time.Second, Rate: 1000}, s)
	if r.Calls != 1000 {
		t.Fatalf("%d calls; want the schedule's 1000", r.Calls)
	}
	// The call sent at 500ms waits out the stall: 100.1ms from its slot.
	// The 99 slots behind it are sent as it returns, each 100µs after the
	// last, and count from their slots, not from when they were sent.
	if max := time.Duration(r.Latency.Max()); max < 100*time.Millisecond || max > 100_200*time.Microsecond {
		t.Errorf("max %v; want the stalled call's 100.1ms from its schedule", max)
	}
	if p50 := r.Latency.Quantile(50); !near(p50, 100*time.Microsecond) {
		t.Errorf("p50 %v; want 100µs outside the stall", p50)
	}
	if q := r.Latency.Quantile(90.05); q < time.Millisecond {
		t.Errorf("p90.05 %v; want over 1ms: the 100 calls held up by the stall, and more behind them", q)
	}
	if r.Queued < 98 || r.Late != 0 || r.MaxLag < 98*time.Millisecond {
		t.Errorf("queued %d, late %d, max lag %v; want the calls behind the stall queued (the one caller was busy), none late", r.Queued, r.Late, r.MaxLag)
	}
}

func TestAGeneratorBehindScheduleSaysSo(t *testing.T) {
	// 10,000 calls/s asked of one caller whose calls take 1ms: it sends
	// one call a millisecond, 100 in the window, and the other 900 slots
	// of the window are never sent.
	clock := &fakeClock{now: epoch}
	s := &fakeServer{clock: clock, done: constant(time.Millisecond)}
	r := driveFake(t, Config{Duration: 100 * time.Millisecond, Rate: 10_000}, s)
	if r.Calls != 100 {
		t.Errorf("%d calls; want 100", r.Calls)
	}
	// Sent at k ms for arrival k, due at k/10 ms: queued (over 1ms
	// behind when claimed) from k = 2 on, 98 of them, and the 900 never
	// claimed; the generator itself was never late.
	if r.Queued != 998 || r.Late != 0 || r.MaxLag != 99*time.Millisecond-9900*time.Microsecond {
		t.Errorf("queued %d, late %d, max lag %v; want 998, 0 and 89.1ms", r.Queued, r.Late, r.MaxLag)
	}
}

func TestTheScheduleIsTheWindowsNotACallers(t *testing.T) {
	// 1000 arrivals/s over 5ms: arrival i at i ms, whichever caller claims
	// it. A caller free at 2.5ms claims the arrival due at 2ms (overdue by
	// less than LateSlack: not queued); one free at 4.5ms claims the one
	// due at 3ms, queued; the window ends at 5ms, and the arrival at 4ms
	// was never claimed.
	ms := time.Millisecond
	rec := newRecorder(1, time.Second, true)
	s := newSchedule(epoch, epoch.Add(5*ms), 1000, nil, rec)
	claims := []struct {
		now    time.Duration
		at     time.Duration
		queued bool
	}{{0, 0, false}, {0, ms, false}, {2500 * time.Microsecond, 2 * ms, false}, {4500 * time.Microsecond, 3 * ms, true}}
	for _, c := range claims {
		a, ok := s.claim(epoch.Add(c.now))
		if !ok || a.at.Sub(epoch) != c.at || a.queued != c.queued {
			t.Errorf("free at %v: claimed %v (queued %v, ok %v); want the arrival at %v (queued %v)", c.now, a.at.Sub(epoch), a.queued, ok, c.at, c.queued)
		}
	}
	if got := rec.queued.Load(); got != 1 {
		t.Errorf("%d queued after the claims; want 1", got)
	}
	s.finish(epoch.Add(time.Second))
	if got := rec.queued.Load(); got != 2 {
		t.Errorf("%d queued after the window; want 2 (the arrival at 4ms was never claimed)", got)
	}
	if _, ok := s.claim(epoch.Add(5 * ms)); ok {
		t.Error("claimed an arrival once the window ended")
	}
}

func TestTheSendLagSaysWhoWasLate(t *testing.T) {
	ms := time.Millisecond
	rec := newRecorder(1, time.Second, true)
	rec.begin(epoch)
	s := newSchedule(epoch, epoch.Add(time.Second), 1000, nil, rec)
	a, _ := s.claim(epoch)
	s.sent(a, 0, epoch.Add(3*ms)) // claimed in time, sent 3ms late: the generator
	b, _ := s.claim(epoch.Add(5 * ms))
	s.sent(b, 0, epoch.Add(5*ms)) // due at 1ms, no caller free until 5ms: queued
	c, _ := s.claim(epoch.Add(2 * ms))
	s.sent(c, 0, epoch.Add(2*ms+50*time.Microsecond)) // in time, within LateSlack
	res := &measure.Result{Latency: measure.NewHistogram()}
	rec.fill(res, epoch.Add(time.Second))
	if res.Late != 1 || res.Queued != 1 || res.MaxLag != 4*ms {
		t.Errorf("late %d, queued %d, max lag %v; want 1, 1, 4ms", res.Late, res.Queued, res.MaxLag)
	}
	if res.SendLag.TotalCount() != 3 || !near(res.SendLagP50, 3*ms) || !near(res.SendLagMax, 4*ms) {
		t.Errorf("send lag: %d samples, p50 %v, max %v; want 3, 3ms, 4ms", res.SendLag.TotalCount(), res.SendLagP50, res.SendLagMax)
	}
}

func TestAClosedLoopScheduleSendsNowUntilItsBudgetIsSpent(t *testing.T) {
	end := epoch.Add(time.Second)
	s := newSchedule(epoch, end, 0, newBudget(2), nil)
	for i, now := range []time.Time{epoch, epoch.Add(time.Millisecond)} {
		if a, ok := s.claim(now); !ok || !a.at.Equal(now) {
			t.Errorf("claim %d at %v: an arrival at %v (ok %v); want one now", i, now.Sub(epoch), a.at.Sub(epoch), ok)
		}
	}
	if _, ok := s.claim(epoch.Add(2 * time.Millisecond)); ok {
		t.Error("claimed past a spent budget of 2")
	}
	if _, ok := newSchedule(epoch, end, 0, nil, nil).claim(end); ok {
		t.Error("claimed at the window's end")
	}
}

func TestRecorderSplitsTheWindowIntoSeconds(t *testing.T) {
	r := newRecorder(4, 2*time.Second, false)
	r.begin(epoch)
	at := func(d time.Duration) time.Time { return epoch.Add(d) }
	samples := []struct {
		shard    int
		from, to time.Duration
	}{
		{0, 0, 10 * time.Millisecond},
		{1, 900 * time.Millisecond, 1100 * time.Millisecond},
		{0, 1200 * time.Millisecond, 1300 * time.Millisecond},
		{0, 999 * time.Millisecond, 999*time.Millisecond + 5*time.Microsecond}, // a straggler: shard 0 moved on
		{2, 3 * time.Second, 3*time.Second + time.Millisecond},
	}
	for _, s := range samples {
		r.Record(s.shard, at(s.from), at(s.to))
	}
	r.Fail(errors.New("first"))
	r.Fail(errors.New("second"))
	res := &measure.Result{Latency: measure.NewHistogram()}
	r.fill(res, at(3500*time.Millisecond))

	type interval struct {
		start time.Duration
		count int64
	}
	var got []interval
	for _, iv := range res.Intervals {
		got = append(got, interval{iv.Start.Sub(epoch), iv.Latency.TotalCount()})
	}
	want := []interval{{0, 2}, {time.Second, 2}, {3 * time.Second, 1}}
	if !slices.Equal(got, want) {
		t.Errorf("intervals %v; want %v (by the second each call ended in)", got, want)
	}
	if res.Calls != 5 || res.Latency.TotalCount() != 5 || res.Errors != 2 || res.FirstError != "first" {
		t.Errorf("calls %d, recorded %d, errors %d, first %q; want 5, 5, 2, \"first\"", res.Calls, res.Latency.TotalCount(), res.Errors, res.FirstError)
	}
	if res.Elapsed != 3500*time.Millisecond {
		t.Errorf("elapsed %v; want 3.5s", res.Elapsed)
	}
}

func TestANilRecorderRecordsNothing(t *testing.T) {
	var r *Recorder
	r.Record(0, epoch, epoch)
	r.Fail(errors.New("x"))
	r.Late(time.Second)
	r.Queued(3)
	r.SendLag(0, time.Second)
	if r.callsSoFar() != 0 {
		t.Fatal("a nil recorder counted")
	}
}

func TestTheWatchdogCutsOffCallsPastTheTimeout(t *testing.T) {
	d := &watchdog{timeout: time.Second}
	var cut []int
	// Slots 0 and 1 share connection 7; slot 2 has connection 8 alone.
	conns := []int{7, 7, 8}
	trackers := make([]*tracker, len(conns))
	for i, c := range conns {
		trackers[i] = d.add(c, func() { cut = append(cut, c) })
	}
	trackers[0].begin(epoch)
	trackers[1].begin(epoch.Add(500 * time.Millisecond))
	trackers[2].begin(epoch.Add(500 * time.Millisecond))
	d.expire(epoch.Add(1200*time.Millisecond), false)
	if !slices.Equal(cut, []int{7}) {
		t.Errorf("cut connections %v; want only 7, whose call began 1.2s ago", cut)
	}
	for i, want := range []string{"call timed out after 1s", "call timed out: another call on its connection timed out after 1s", ""} {
		got := ""
		if err := trackers[i].end(d.timeout); err != nil {
			got = err.Error()
		}
		if !strings.HasPrefix(got, want) || (want == "" && got != "") {
			t.Errorf("slot %d: %q; want %q", i, got, want)
		}
	}
	cut = nil
	trackers[2].begin(epoch)
	d.expire(epoch, true)
	if !slices.Equal(cut, []int{8}) || trackers[2].end(d.timeout) != nil {
		t.Errorf("interrupted: cut %v; want the one call in flight, not reported as timed out", cut)
	}
}

// fakeStats is a server process's running totals, read through one
// connection: each read returns the next of reads.
type fakeStats struct {
	reads []*service.ServerStats
	err   error
}

func (f *fakeStats) ServerStats(context.Context) (*service.ServerStats, error) {
	if f.err != nil {
		return nil, f.err
	}
	s := f.reads[0]
	f.reads = f.reads[1:]
	return s, nil
}

func TestServerFiguresCountEachServerProcessOnce(t *testing.T) {
	// reads returns a server process's two reads through one connection:
	// totals that start at base and grow by 700 allocations, 7000 bytes,
	// 70 µs of CPU, 5 switches and 9 system calls over the window.
	reads := func(id string, base int64) *fakeStats {
		return &fakeStats{reads: []*service.ServerStats{
			{Instance: id, Allocs: base, AllocBytes: 10 * base, CpuNs: 100 * base, CtxSwitches: uint64(base), RwSyscalls: uint64(base)},
			{Instance: id, Allocs: base + 700, AllocBytes: 10*base + 7000, CpuNs: 100*base + 70_000, CtxSwitches: uint64(base) + 5, RwSyscalls: uint64(base) + 9},
		}}
	}
	once := func(n int) *measure.ServerCounters {
		return &measure.ServerCounters{Allocs: 700 * uint64(n), AllocB: 7000 * uint64(n), CPU: 70_000 * time.Duration(n), CtxSwitches: 5 * uint64(n), RWSyscalls: 9 * uint64(n), Servers: n}
	}
	for _, tt := range []struct {
		name    string
		readers []stack.StatsReader
		want    *measure.ServerCounters
	}{
		{"three workers, one connection each, add up", []stack.StatsReader{reads("a", 1000), reads("b", 2000), reads("c", 3000)}, once(3)},
		{"one worker over three connections counts once", []stack.StatsReader{reads("a", 1000), reads("a", 1000), reads("a", 1000)}, once(1)},
		{"two workers over four connections count twice", []stack.StatsReader{reads("a", 1000), reads("b", 2000), reads("a", 1000), reads("b", 2000)}, once(2)},
		{"servers too old to say count once per connection", []stack.StatsReader{reads("", 1000), reads("", 1000)}, once(2)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := serverStats(t.Context(), time.Second, tt.readers)()
			if got == nil {
				t.Fatal("no server counters")
			}
			if len(got.Instances) != tt.want.Servers {
				t.Errorf("%d instances %+v; want one per server process, %d", len(got.Instances), got.Instances, tt.want.Servers)
			}
			got.Instances = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("server counters %+v; want %+v", got, tt.want)
			}
		})
	}
}

func TestServerFiguresAreNoneWhenAnotherProcessAnswers(t *testing.T) {
	readers := []stack.StatsReader{&fakeStats{reads: []*service.ServerStats{{Instance: "a", Allocs: 1}, {Instance: "b", Allocs: 2}}}}
	if got := serverStats(t.Context(), time.Second, readers)(); got != nil {
		t.Fatalf("server counters %+v from two processes' totals; want none", got)
	}
}

func TestServerFiguresAreNoneWhenAWorkerCannotSay(t *testing.T) {
	readers := []stack.StatsReader{
		&fakeStats{reads: []*service.ServerStats{{Allocs: 1}, {Allocs: 2}}},
		&fakeStats{err: errors.New("Stats.Read: context deadline exceeded")},
	}
	if got := serverStats(t.Context(), time.Second, readers)(); got != nil {
		t.Fatalf("server counters %+v with one worker silent; want none rather than a partial sum", got)
	}
}
