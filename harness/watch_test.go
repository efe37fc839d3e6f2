package harness

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/measure"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/stack"
)

// The watch workload's setter and watchers on a clock that moves only
// when they wait: every figure is exact, nothing sleeps.

// fakeKV is a KV store on an automatic fakeClock whose Set takes rtt and wakes the
// key's watchers, and returns only once every watcher still watching is
// waiting again: the watchers read the clock before it moves on.
type fakeKV struct {
	clock *fakeClock
	rtt   time.Duration

	mu       sync.Mutex // guards all below
	cond     *sync.Cond
	live     int // watchers that have not closed their watch
	nwaiting int
	waiting  map[string][]chan string
	sets     int
}

func newFakeKV(clock *fakeClock, rtt time.Duration, watchers int) *fakeKV {
	f := &fakeKV{clock: clock, rtt: rtt, live: watchers, waiting: make(map[string][]chan string)}
	f.cond = sync.NewCond(&f.mu)
	return f
}

func (f *fakeKV) Call(context.Context, bool) error { return errors.New("fakeKV: KV only") }
func (f *fakeKV) Close() error                     { return nil }

func (f *fakeKV) Set(_ context.Context, key, value string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for f.nwaiting < f.live {
		f.cond.Wait()
	}
	f.sets++
	f.clock.add(f.rtt)
	for _, ch := range f.waiting[key] {
		ch <- value
	}
	f.nwaiting -= len(f.waiting[key])
	delete(f.waiting, key)
	for f.nwaiting < f.live {
		f.cond.Wait()
	}
	return nil
}

func (f *fakeKV) Watch(_ context.Context, key string, _ time.Duration) (stack.Watch, error) {
	return &fakeWatch{f: f, key: key, ch: make(chan string, 1)}, nil
}

type fakeWatch struct {
	f   *fakeKV
	key string
	ch  chan string
}

func (w *fakeWatch) Next() (string, error) {
	w.f.mu.Lock()
	w.f.waiting[w.key] = append(w.f.waiting[w.key], w.ch)
	w.f.nwaiting++
	w.f.cond.Broadcast()
	w.f.mu.Unlock()
	return <-w.ch, nil
}

func (w *fakeWatch) Close() error {
	w.f.mu.Lock()
	defer w.f.mu.Unlock()
	w.f.live--
	w.f.cond.Broadcast()
	return nil
}

func TestWatchRecordsOneSamplePerWokenWatcherFromTheSetsSchedule(t *testing.T) {
	for _, tt := range []struct {
		watchers   int
		rate       float64
		window     time.Duration
		sets, each int64 // Sets made, watchers each wakes
	}{
		{watchers: 20, rate: 1000, window: 100 * time.Millisecond, sets: 100, each: 10},
		{watchers: 5, rate: 250, window: time.Second, sets: 250, each: 5},
		{watchers: 1, rate: 10, window: time.Second, sets: 10, each: 1},
	} {
		clock := &fakeClock{now: epoch, auto: true}
		kv := newFakeKV(clock, 50*time.Microsecond, tt.watchers)
		cfg := Config{Stack: fakeStack{}, Concurrency: tt.watchers, Conns: 1, Pipeline: 1, Rate: tt.rate,
			Duration: tt.window, Timeout: time.Hour, Payload: payload.Payload{Name: "fake"}, testClock: clock}
		p := &pool{cfg: &cfg, slots: make([]slot, 1)}
		p.slots[0].cur.Store(&client{Client: kv})
		setter := &pool{cfg: &cfg, slots: make([]slot, 1)}
		setter.slots[0].cur.Store(&client{Client: kv})
		run := &watchRun{rows: []Row{cfg.row("")}, setter: setter, setters: 1} // one setter: the fake clock moves in one goroutine
		d := &driver{cfg: &cfg, clock: clock, pool: p, run: run, rows: run.Rows()}
		// d.drive without its watchdog, as driveFake.
		w := d.window(cfg.Duration, 0, true)
		w.start = clock.Now()
		w.end = w.start.Add(w.dur)
		w.rows[0].begin(w.start)
		run.Drive(t.Context(), w)
		r := &measure.Result{Latency: measure.NewHistogram()}
		w.rows[0].fill(r, clock.Now())

		if r.Sets != tt.sets || r.Calls != tt.sets*tt.each || r.Errors != 0 || r.Late != 0 {
			t.Errorf("%d watchers at %g Sets/s for %v: %d Sets, %d notifications, %d errors (%s), %d late; want %d Sets, %d notifications, none failed or late",
				tt.watchers, tt.rate, tt.window, r.Sets, r.Calls, r.Errors, r.FirstError, r.Late, tt.sets, tt.sets*tt.each)
		}
		want := int64(50 * time.Microsecond)
		if lo, hi := r.Latency.Min(), r.Latency.Max(); !r.Latency.ValuesAreEquivalent(lo, want) || !r.Latency.ValuesAreEquivalent(hi, want) {
			t.Errorf("%d watchers: notification latency %v to %v; want every one 50µs, the Set's round trip from its slot", tt.watchers, time.Duration(lo), time.Duration(hi))
		}
		if kv.live != 0 {
			t.Errorf("%d watchers: %d still watching after the window", tt.watchers, kv.live)
		}
	}
}

func TestANotificationSaysWhenItsSetWasDue(t *testing.T) {
	start := epoch
	tag := "w1"
	for _, tt := range []struct {
		value string
		ok    bool
		from  time.Time
	}{
		{setValue(tag, 0), true, start},
		{setValue(tag, 1500*time.Microsecond), true, start.Add(1500 * time.Microsecond)},
		{setValue("w0", time.Millisecond), false, time.Time{}}, // the warm-up's
		{tag + "/end/3", false, time.Time{}},                   // an end-of-window wake-up
		{"plain", false, time.Time{}},
	} {
		from, ok := notified(tt.value, tag, start)
		if ok != tt.ok || !from.Equal(tt.from) {
			t.Errorf("notified(%q) = %v, %v; want %v, %v", tt.value, from, ok, tt.from, tt.ok)
		}
	}
}
