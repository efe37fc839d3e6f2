package harness

import "github.com/rpcbench/rpcbench/measure"

// progress fills p with the window's record so far. With latency it also
// merges the record's histograms for the p99, which costs a pass over
// every shard and second: the watchdog asks for it about once a second.
func (r *Recorder) progress(p *Progress, latency bool) {
	if r == nil {
		return
	}
	p.Calls, p.Errors = r.callsSoFar(), r.errs.Load()
	if !latency {
		return
	}
	h := measure.NewHistogram()
	r.mu.Lock()
	for _, iv := range r.intervals {
		if iv != nil {
			h.Merge(iv.Histogram)
		}
	}
	r.mu.Unlock()
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		h.Merge(s.cur.Histogram)
		s.mu.Unlock()
	}
	p.P99 = h.Quantile(99)
}
