package measure

import (
	"fmt"
	"math"
	"time"
)

// Check returns an error naming the first figure of r that no honest run
// writes: a count, duration or cost below zero, a rate that is not a
// finite figure, successful calls that disagree with the latency
// histogram's samples, or a window that ends before it starts. Readers of
// results (merge, report) check each result they read with it, before
// they use it.
func Check(r *Result) error {
	if r.Latency == nil || r.Latency.Histogram == nil {
		return fmt.Errorf("%s: no latency histogram", r.Name)
	}
	if math.IsNaN(r.Rate) || math.IsInf(r.Rate, 0) || r.Rate < 0 {
		return fmt.Errorf("%s: rate %v: want a finite figure, not negative", r.Name, r.Rate)
	}
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"calls", r.Calls}, {"errors", r.Errors}, {"late", r.Late}, {"queued", r.Queued}, {"sets", r.Sets},
		{"wire_bytes", r.WireBytes}, {"elapsed_ns", int64(r.Elapsed)}, {"cpu_ns", int64(r.CPU)},
		{"max_lag_ns", int64(r.MaxLag)}, {"latency's smallest sample", r.Latency.Min()},
		{"processes", int64(r.Processes)},
	} {
		if f.v < 0 {
			return fmt.Errorf("%s: %s %d: want a figure not below zero", r.Name, f.name, f.v)
		}
	}
	if n := r.Latency.TotalCount(); n != r.Calls {
		return fmt.Errorf("%s: calls %d disagree with the latency histogram's %d samples", r.Name, r.Calls, n)
	}
	if r.WindowEnd.Before(r.WindowStart) {
		return fmt.Errorf("%s: window ends at %s, before it starts at %s", r.Name, r.WindowEnd.Format(time.RFC3339Nano), r.WindowStart.Format(time.RFC3339Nano))
	}
	return nil
}
