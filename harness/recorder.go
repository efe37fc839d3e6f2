package harness

import (
	"errors"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/cpu"

	"github.com/rpcbench/rpcbench/measure"
)

// A Recorder keeps one row's record of a window: a latency histogram, one
// histogram per second of the window (Result.Intervals), and counts of
// calls, failures and lateness. Workloads record into it from many
// goroutines; a nil Recorder (the warm-up's) records nothing.
type Recorder struct {
	start  time.Time // the window's start: intervals count from it
	shards []recShard

	errs, late, maxLag atomic.Int64
	timedOut           atomic.Int64 // failures that were the call timeout's
	queued             atomic.Int64 // open loop: arrivals no caller was free for
	lags               []lagShard   // open loop: the send lag; nil in closed loop
	sets               atomic.Int64 // watch: Sets made
	spun               atomic.Int64 // open loop: the generator's spin, in ns
	firstErr           atomic.Pointer[error]

	// ends are the instants the emulated link comes back from a
	// partition during the window (--net partition=), and firstAfter[i]
	// the UnixNano of the first success after ends[i] (0: none yet).
	ends       []time.Time
	firstAfter []atomic.Int64

	mu        sync.Mutex           // guards intervals
	intervals []*measure.Histogram // by second since start; nil where none ended
}

// recShard is one lock-protected part of the record: callers record into
// shard i%len(shards), so that they rarely contend and a run with
// thousands of callers doesn't hold thousands of histograms. A shard holds
// only the second under way, and hands it to the recorder when the next
// one begins, so memory grows with the window's seconds, not with
// shards × seconds.
type recShard struct {
	mu    sync.Mutex // guards calls, sec and cur
	calls int64      // successes recorded here
	sec   int        // the second cur holds
	cur   *measure.Histogram
	_     cpu.CacheLinePad // callers on other CPUs write to other cache lines
}

// maxShards bounds the shards a recorder splits into.
const maxShards = 64

// A lagShard is one lock-protected part of the send lag's histogram.
type lagShard struct {
	mu sync.Mutex // guards h
	h  *measure.Histogram
	_  cpu.CacheLinePad // as recShard's
}

// maxLagShards bounds the send lag's shards: one call in each records
// there, against two samples (latency, its second) in the latency shards.
const maxLagShards = 8

// newRecorder returns a recorder for callers callers over a window of
// about dur, keeping the send lag too when open (an open loop). It makes
// its histograms now, the window's seconds' included, so that recording
// allocates nothing a window's figures would count (a histogram is about
// 220 KB); begin starts it.
func newRecorder(callers int, dur time.Duration, open bool) *Recorder {
	r := &Recorder{shards: make([]recShard, max(1, min(callers, maxShards)))}
	for i := range r.shards {
		r.shards[i].cur = measure.NewHistogram()
	}
	if open {
		r.lags = make([]lagShard, max(1, min(callers, maxLagShards)))
		for i := range r.lags {
			r.lags[i].h = measure.NewHistogram()
		}
	}
	secs := int(min(dur, time.Hour)/time.Second) + 1
	r.intervals = make([]*measure.Histogram, secs)
	for i := range r.intervals {
		r.intervals[i] = measure.NewHistogram()
	}
	return r
}

// begin starts the record at start, the window's start.
func (r *Recorder) begin(start time.Time) {
	if r != nil {
		r.start = start
	}
}

// watchRecovery makes the record time the first success after each of
// ends, the instants an emulated link comes back from a partition.
func (r *Recorder) watchRecovery(ends []time.Time) {
	if r == nil || len(ends) == 0 {
		return
	}
	r.ends = ends
	r.firstAfter = make([]atomic.Int64, len(ends))
}

// recovered notes a success that ended at end for the partition before it.
func (r *Recorder) recovered(end time.Time) {
	i := sort.Search(len(r.ends), func(i int) bool { return r.ends[i].After(end) }) - 1
	if i < 0 {
		return
	}
	at := &r.firstAfter[i]
	for {
		old := at.Load()
		if (old != 0 && old <= end.UnixNano()) || at.CompareAndSwap(old, end.UnixNano()) {
			return
		}
	}
}

// Record counts one success: a sample of end - from, in shard shard's part
// of the record (any number; callers pass their own index).
func (r *Recorder) Record(shard int, from, end time.Time) {
	if r == nil {
		return
	}
	if r.ends != nil {
		r.recovered(end)
	}
	sec := max(0, int(end.Sub(r.start)/time.Second))
	s := &r.shards[shard%len(r.shards)]
	s.mu.Lock()
	s.calls++ // here, not in a counter every caller shares
	switch {
	case sec == s.sec:
	case sec > s.sec:
		// The next second began: hand over the last one.
		if s.cur.TotalCount() > 0 {
			r.mergeInterval(s.sec, s.cur)
			s.cur.Reset()
		}
		s.sec = sec
	default:
		// A straggler from a second this shard has handed over (its
		// caller read the clock before another's): record it there.
		s.mu.Unlock()
		r.mu.Lock()
		r.interval(sec).Record(end.Sub(from))
		r.mu.Unlock()
		return
	}
	s.cur.Record(end.Sub(from))
	s.mu.Unlock()
}

func (r *Recorder) mergeInterval(sec int, h *measure.Histogram) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.interval(sec).Merge(h.Histogram)
}

// interval returns second sec's histogram, made when first needed; r.mu
// is held.
func (r *Recorder) interval(sec int) *measure.Histogram {
	for len(r.intervals) <= sec {
		r.intervals = append(r.intervals, nil)
	}
	if r.intervals[sec] == nil {
		r.intervals[sec] = measure.NewHistogram()
	}
	return r.intervals[sec]
}

// Fail counts one failure; the first is kept.
func (r *Recorder) Fail(err error) {
	if r == nil {
		return
	}
	r.errs.Add(1)
	if errors.Is(err, errTimeout) {
		r.timedOut.Add(1)
	}
	r.firstErr.CompareAndSwap(nil, &err)
}

// RecordSet counts one KV.Set of the watch workload's setter: the cause
// of the notifications recorded as calls.
func (r *Recorder) RecordSet() {
	if r != nil {
		r.sets.Add(1)
	}
}

// Late counts one call sent lag after its scheduled time.
func (r *Recorder) Late(lag time.Duration) {
	if r == nil {
		return
	}
	r.late.Add(1)
	r.noteLag(lag)
}

// noteLag keeps the worst lag.
func (r *Recorder) noteLag(lag time.Duration) {
	for {
		old := r.maxLag.Load()
		if int64(lag) <= old || r.maxLag.CompareAndSwap(old, int64(lag)) {
			return
		}
	}
}

// Queued counts n arrivals that found no caller free when they were due.
func (r *Recorder) Queued(n int64) {
	if r != nil {
		r.queued.Add(n)
	}
}

// SendLag records how long after its scheduled time a call was handed to
// its connection, in shard shard's part of the record, and keeps the worst.
func (r *Recorder) SendLag(shard int, lag time.Duration) {
	if r == nil || r.lags == nil {
		return
	}
	s := &r.lags[shard%len(r.lags)]
	s.mu.Lock()
	s.h.Record(lag)
	s.mu.Unlock()
	r.noteLag(lag)
}

// Spun counts d of the generator's spinning before an arrival.
func (r *Recorder) Spun(d time.Duration) {
	if r != nil && d > 0 {
		r.spun.Add(int64(d))
	}
}

// callsSoFar is the successes recorded until now.
func (r *Recorder) callsSoFar() int64 {
	if r == nil {
		return 0
	}
	var n int64
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		n += s.calls
		s.mu.Unlock()
	}
	return n
}

// fill writes the record into res, for a window that ended at end.
func (r *Recorder) fill(res *measure.Result, end time.Time) {
	for i := range r.shards {
		s := &r.shards[i]
		if s.cur.TotalCount() > 0 {
			r.mergeInterval(s.sec, s.cur)
		}
	}
	res.WindowStart, res.WindowEnd = r.start, end
	res.Elapsed = end.Sub(r.start)
	res.Calls = r.callsSoFar()
	res.Errors = r.errs.Load()
	if e := r.firstErr.Load(); e != nil {
		res.FirstError = (*e).Error()
	}
	res.Late = r.late.Load()
	res.TimedOut = r.timedOut.Load()
	for i, e := range r.ends {
		if !e.Before(end) {
			break // the link came back after the window
		}
		if at := r.firstAfter[i].Load(); at != 0 {
			res.Recoveries = append(res.Recoveries, time.Unix(0, at).Sub(e))
		} else {
			res.Unrecovered++
		}
	}
	res.Queued = r.queued.Load()
	if r.lags != nil {
		res.SendLag = measure.NewHistogram()
		for i := range r.lags {
			res.SendLag.Merge(r.lags[i].h.Histogram)
		}
		res.SummarizeSendLag()
	}
	res.Sets = r.sets.Load()
	res.Spin = time.Duration(r.spun.Load())
	res.MaxLag = time.Duration(r.maxLag.Load())
	res.Intervals = res.Intervals[:0]
	for sec, h := range r.intervals {
		if h == nil || h.TotalCount() == 0 {
			continue
		}
		res.Latency.Merge(h.Histogram)
		res.Intervals = append(res.Intervals, measure.Interval{Start: r.start.Add(time.Duration(sec) * time.Second), Latency: h})
	}
}
