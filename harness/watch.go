package harness

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rpcbench/rpcbench/measure"
	"github.com/rpcbench/rpcbench/stack"
)

// Watch is the seed's long-poll workload (DESIGN 8): Config.Concurrency
// watchers (rpcbench's --watchers) keep a watch blocked on a key each,
// spread over Config.Conns connections as callers are, and re-arm it as it
// returns; one setter changes the watched keys on a fixed schedule of
// Config.Rate Sets/s (closed loop, as fast as they can, when Rate is 0),
// each Set waking every watcher of its key. The setter is WatchSetters
// goroutines on connections of their own, taking the schedule's slots in
// turn, so that one slow Set does not hold back the next.
//
// Its row's latency is notification latency: from a Set's scheduled send
// time to each woken watcher's reply, one sample per woken watcher, so
// that a slow server cannot hide behind the setter's schedule. Calls are
// notifications; Result.Sets counts the Sets, and every per-call cost is
// per notification. A watcher away re-arming when its key changes wakes on
// the key's next change (or, streaming, gets the latest value at once):
// its sample then counts from the Set it saw, never an older one.
//
// Every watcher of the window carries the window's tag in the values it
// waits for: a Set's value is TAG/OFFSET, OFFSET its scheduled time's
// distance from the window's start in nanoseconds, so a notification says
// when its Set was due without any state shared with the setter, and a
// value of another window (the warm-up's, or another process's) is not
// counted. Once the schedule is over the setter wakes every key until
// the watchers have all gone, with values that count for nothing.
type Watch struct{}

func (Watch) Name() string   { return "watch" }
func (Watch) Rows() []string { return []string{""} }

// Adjust gives the watch its callers, Plan.Watchers, and its rate, the
// configuration's or WatchRate.
func (Watch) Adjust(cfg *Config, p Plan) {
	cfg.Concurrency = p.Watchers
	if cfg.Rate == 0 {
		cfg.Rate = WatchRate
	}
}

// WatchSetters is how many goroutines, each on a connection of its own,
// share the setter's schedule.
const WatchSetters = 4

// Supports says whether s can watch: the floors have no KV store, and
// gRPC's bidirectional-stream peer measures streamed calls only.
func (Watch) Supports(s stack.Stack) error {
	if _, ok := s.(stack.KVStack); !ok {
		return fmt.Errorf("%s has no KV.Watch to wait in", s.ID())
	}
	return nil
}

// Prepare opens the setters' connections, apart from the watchers'.
func (wl Watch) Prepare(ctx context.Context, cfg *Config, s *Sides) (Prepared, error) {
	if err := wl.Supports(cfg.Stack); err != nil {
		return nil, err
	}
	scfg := *cfg
	scfg.Concurrency, scfg.Conns, scfg.Pipeline = WatchSetters, WatchSetters, 1
	setter, err := newPool(ctx, &scfg, s.caller)
	if err != nil {
		return nil, fmt.Errorf("the setters' connections: %w", err)
	}
	return &watchRun{rows: []Row{cfg.row("")}, setter: setter, setters: WatchSetters}, nil
}

// watchRun is a prepared Watch.
type watchRun struct {
	rows    []Row
	setter  *pool // setter i calls over its client i
	setters int
	sets    atomic.Int64 // Sets claimed: Set j changes key j mod keys
}

func (r *watchRun) Rows() []Row { return r.rows }
func (r *watchRun) Close()      { r.setter.close() }

func (r *watchRun) Drive(ctx context.Context, w *Window) {
	n := w.cfg.Concurrency
	keys := watchKeys(n)
	tag := strconv.FormatInt(w.start.UnixNano(), 36)
	// The server gives up on a watch before the watchdog would cut it off:
	// a key left unchanged that long is re-armed, not failed.
	serverTimeout := w.cfg.Timeout / 2
	var (
		done     atomic.Bool // the schedule is over: watchers leave
		watchers sync.WaitGroup
	)
	for i := range n {
		watchers.Go(func() { watchKey(ctx, w, i, keyName(i%keys), tag, serverTimeout, &done) })
	}
	var setters sync.WaitGroup
	sched := w.schedule(0)
	for i := range r.setters {
		setters.Go(func() { r.set(ctx, w, sched, i, keys, tag) })
	}
	setters.Wait()
	sched.finish(w.clock.Now())
	done.Store(true)
	r.wakeAll(ctx, w, keys, tag, &watchers)
	w.pool.wire.Add(r.setter.wire.Swap(0))
}

// watchKeys is how many keys n watchers watch.
func watchKeys(n int) int { return max(1, (n+measure.WatchersPerKey-1)/measure.WatchersPerKey) }

// keyName names key k.
func keyName(k int) string { return "watch/" + strconv.Itoa(k) }

// set makes setter i's Sets: each claims the schedule's next Set j and,
// once it is due, changes key j mod keys to a value that says when the Set
// was due.
func (r *watchRun) set(ctx context.Context, w *Window, sched *schedule, i, keys int, tag string) {
	rec, clock := w.rec(0), w.clock
	tr := w.track(-1-i, func() { r.setter.closeConn(i) })
	var timer Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for ctx.Err() == nil {
		a, now, ok := sched.await(ctx, clock, &timer)
		if !ok {
			return
		}
		if !sched.sent(a, i, now) {
			return
		}
		j, at := r.sets.Add(1)-1, a.at
		c := r.setter.client(i)
		kv := c.Client.(stack.KVClient)
		tr.begin(now)
		err := kv.Set(ctx, keyName(int(j%int64(keys))), setValue(tag, at.Sub(w.start)))
		if cut := tr.end(w.cfg.Timeout); cut != nil {
			err = cut
		}
		switch {
		case err == nil:
			rec.RecordSet()
		case ctx.Err() != nil:
		default:
			rec.Fail(fmt.Errorf("KV.Set: %w", err))
			if brokenConn(err) {
				r.setter.recover(ctx, i, c)
			}
		}
	}
}

// wakeAll changes every key, again and again, until every watcher has
// seen done and gone: a watcher re-arming as the first wake-up passed
// gets the next.
func (r *watchRun) wakeAll(ctx context.Context, w *Window, keys int, tag string, watchers *sync.WaitGroup) {
	gone := make(chan struct{})
	go func() {
		watchers.Wait()
		close(gone)
	}()
	timer := w.clock.NewTimer(0)
	defer timer.Stop()
	for round := 0; ; round++ {
		select {
		case <-gone:
			return
		case <-ctx.Done():
			<-gone // the watchdog cuts the watches off
			return
		case <-timer.C():
		}
		kv := r.setter.client(0).Client.(stack.KVClient)
		for k := range keys {
			// An error here ends nothing: the watchdog bounds the watches.
			_ = kv.Set(ctx, keyName(k), tag+"/end/"+strconv.Itoa(round))
		}
		timer.Reset(wakeEvery)
	}
}

// wakeEvery is how often the end of a window wakes the keys again.
const wakeEvery = 5 * time.Millisecond

// setValue is the value of a Set due offset after the window's start.
func setValue(tag string, offset time.Duration) string {
	return tag + "/" + strconv.FormatInt(int64(offset), 10)
}

// notified returns when the Set that wrote value was due, for a value of
// the window tagged tag that started at start; ok is false for any other
// value (another window's, an end-of-window wake-up).
func notified(value, tag string, start time.Time) (from time.Time, ok bool) {
	t, off, found := strings.Cut(value, "/")
	if !found || t != tag {
		return time.Time{}, false
	}
	ns, err := strconv.ParseInt(off, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return start.Add(time.Duration(ns)), true
}

// watchKey is watcher i: it watches key over client i until done, recording
// one sample per notification of this window.
func watchKey(ctx context.Context, w *Window, i int, key, tag string, serverTimeout time.Duration, done *atomic.Bool) {
	rec, clock := w.rec(0), w.clock
	conn := i % len(w.pool.slots)
	tr := w.track(conn, func() { w.pool.closeConn(conn) })
	for !done.Load() && ctx.Err() == nil {
		c := w.client(i)
		watch, err := c.Client.(stack.KVClient).Watch(ctx, key, serverTimeout)
		for err == nil {
			tr.begin(clock.Now())
			var value string
			value, err = watch.Next()
			end := clock.Now()
			if cut := tr.end(w.cfg.Timeout); cut != nil {
				err = cut
			}
			if err != nil {
				break
			}
			if from, ok := notified(value, tag, w.start); ok {
				rec.Record(i, from, end)
			}
			// The other watchers this Set woke see their notification
			// before this one re-arms: re-arming is the generator's
			// work, not the notification's, and on a busy CPU it would
			// stand in front of theirs (on the 2-core machine, p99
			// 512-742µs without this yield, 277-342µs with it).
			runtime.Gosched()
			if done.Load() {
				break
			}
		}
		if watch != nil {
			watch.Close()
		}
		switch {
		case err == nil, done.Load() && ctx.Err() == nil && !errors.Is(err, errTimeout):
			// Left after its last notification, or woken at the end.
		case ctx.Err() != nil:
			// Cut off because the run was interrupted: not a failure.
		case isWatchTimeout(err):
			// The key did not change for serverTimeout: re-arm.
		default:
			rec.Fail(fmt.Errorf("KV.Watch: %w", err))
			if brokenConn(err) {
				w.pool.recover(ctx, i, c)
			}
		}
	}
}

// isWatchTimeout reports whether err is the server giving up on a watch
// whose key did not change (its text contains "timeout", in every codec),
// not the watchdog cutting off a call that hung.
func isWatchTimeout(err error) bool {
	return !errors.Is(err, errTimeout) && strings.Contains(err.Error(), "timeout")
}
