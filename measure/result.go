package measure

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// A Result is what one measured window of one configuration showed.
// Results serialise to JSON and merge (see Merge), so that load spread over
// several processes or hosts adds up exactly.
type Result struct {
	// Name is the benchmark name, in Go benchmark key=value form:
	// "RPC/codec=msgpack/transport=tcp/payload=bytes:1KiB/conc=16".
	Name  string `json:"name"`
	Stack string `json:"stack"`
	// Format and Library say what a codec's row speaks and through which
	// module: "msgpack" and "github.com/tinylib/msgp" for msgpack-msgp.
	// Empty for peers and floors, and in results from before they were
	// recorded.
	Format      string  `json:"format,omitempty"`
	Library     string  `json:"library,omitempty"`
	Transport   string  `json:"transport"`
	Net         string  `json:"net,omitempty"`
	Payload     string  `json:"payload"`
	Concurrency int     `json:"concurrency"`
	Conns       int     `json:"conns"`
	Pipeline    int     `json:"pipeline"`
	Rate        float64 `json:"rate,omitempty"`
	Delay       string  `json:"delay,omitempty"`
	// Workload names the workload when it is not the default (call), and
	// Dir the row's direction in a duplex run (down: master→worker, up:
	// worker→master), as the name's workload= and dir= keys do.
	Workload string `json:"workload,omitempty"`
	Dir      string `json:"dir,omitempty"`
	// Against is, for a duplex row, what the other direction carried when
	// it differs from this row's own load: its payload, and its callers
	// when they differ ("bytes:64KiBx4"); names carry it as
	// workload=duplex-against-AGAINST.
	Against string `json:"against,omitempty"`

	Calls      int64         `json:"calls"`
	Errors     int64         `json:"errors"`
	FirstError string        `json:"first_error,omitempty"`
	Elapsed    time.Duration `json:"elapsed_ns"`
	// WindowStart and WindowEnd are the wall-clock bounds of the measured
	// window, so that results of processes that ran side by side can be
	// merged over the union of their windows and a person can see the
	// overlap.
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
	// Latency holds every call's latency in nanoseconds.
	Latency *Histogram `json:"latency"`
	// Intervals split Latency by the second of the window in which each
	// call ended, for the HDR interval log; seconds without a call are
	// left out.
	Intervals []Interval `json:"intervals,omitempty"`
	// Interrupted is set when the run was stopped before its window ended.
	Interrupted bool `json:"interrupted,omitempty"`

	// Process-wide counters over the window. In-process they count client
	// and server together.
	Allocs    uint64        `json:"allocs"`
	AllocB    uint64        `json:"alloc_bytes"`
	CPU       time.Duration `json:"cpu_ns"`
	WireBytes int64         `json:"wire_bytes"`
	// CtxSwitches are the process's context switches, voluntary and
	// involuntary (getrusage); RWSyscalls its read- and write-family
	// system calls (/proc/self/io syscr + syscw; 0 where there is none).
	CtxSwitches uint64 `json:"ctx_switches"`
	RWSyscalls  uint64 `json:"rw_syscalls"`

	// Server holds the server process's own counters over the window, when
	// it ran in another process and answered Stats.Read; nil otherwise.
	Server *ServerCounters `json:"server,omitempty"`

	// Open loop only. Late are the calls a caller claimed in time but the
	// generator sent more than LateSlack after their scheduled time (its
	// timer or the machine's CPU), or claimed in time and never sent
	// before the window ended. Queued are the arrivals that found no
	// caller free when they were due (LateSlack past it), the window's
	// arrivals never sent included: the load outran the callers. MaxLag is
	// the worst send lag.
	Late   int64         `json:"late,omitempty"`
	Queued int64         `json:"queued,omitempty"`
	MaxLag time.Duration `json:"max_lag_ns,omitempty"`
	// SendLag is the generator's measure of itself, open loop only: for
	// each call, from its scheduled time to the moment it was handed to
	// its connection. The three figures after it summarise it for readers
	// of the JSON (SummarizeSendLag); Merge adds the histograms exactly.
	SendLag    *Histogram    `json:"send_lag,omitempty"`
	SendLagP50 time.Duration `json:"send_lag_p50_ns,omitempty"`
	SendLagP99 time.Duration `json:"send_lag_p99_ns,omitempty"`
	SendLagMax time.Duration `json:"send_lag_max_ns,omitempty"`
	// Spin is the CPU the generator burnt on purpose, open loop only: the
	// last microseconds before an arrival, spun rather than slept so that
	// the send is on time (DESIGN 11). CPU leaves it out.
	Spin time.Duration `json:"spin_ns,omitempty"`

	// TimedOut are the failed calls that outlived the call timeout, and
	// Reconnects the broken connections the run replaced during the
	// window (process-wide, as WireBytes).
	TimedOut   int64 `json:"timed_out,omitempty"`
	Reconnects int64 `json:"reconnects,omitempty"`
	// Recoveries are, for each time an emulated link came back from a
	// partition during the window (--net partition=), how long until the
	// first call succeeded after it; Unrecovered counts the returns after
	// which none did before the window ended.
	Recoveries  []time.Duration `json:"recoveries_ns,omitempty"`
	Unrecovered int             `json:"unrecovered,omitempty"`

	// Sets are the KV.Set calls the watch workload's setter made, whose
	// changes woke the watchers; Calls are then notifications, and the
	// per-call costs are per notification.
	Sets int64 `json:"sets,omitempty"`
	// Processes is how many load processes' results Merge added into this
	// one; 0 for a result measured by one process.
	Processes int `json:"processes,omitempty"`
	// LatencyOnly marks a result read from an HdrHistogram interval log,
	// which holds latencies and nothing else: its errors and costs are
	// unknown, not zero.
	LatencyOnly bool `json:"latency_only,omitempty"`
	// Breakdown is where the CPU per call went, from a profiled
	// repetition of its own (run --explain, matrix --profile); nil when
	// none was taken.
	Breakdown *Breakdown `json:"breakdown,omitempty"`
}

// SetsPerSec is the watch workload's Sets per second of the window.
func (r *Result) SetsPerSec() float64 { return float64(r.Sets) / r.Elapsed.Seconds() }

// An Interval is the latency of the calls that ended in one second of a
// window, starting at Start.
type Interval struct {
	Start   time.Time  `json:"start"`
	Latency *Histogram `json:"latency"`
}

// ServerCounters are the server processes' costs over a window: for each
// distinct server process (Instances), its totals at the window's end less
// those at its start, summed over the processes. Several reverse workers
// are several processes; one worker reached over several connections, or
// one server that several load processes called (Merge), is one, counted
// once.
type ServerCounters struct {
	Allocs      uint64        `json:"allocs"`
	AllocB      uint64        `json:"alloc_bytes"`
	CPU         time.Duration `json:"cpu_ns"`
	CtxSwitches uint64        `json:"ctx_switches,omitempty"`
	RWSyscalls  uint64        `json:"rw_syscalls,omitempty"`
	// Servers is how many server processes the figures cover (how many
	// reads were added up, when Summed).
	Servers int `json:"servers,omitempty"`
	// Instances are the server processes' raw totals at the window's start
	// and end, by which Merge counts a server that several load processes
	// read once. Results written before rpcbench recorded them have none.
	Instances []ServerInstance `json:"instances,omitempty"`
	// Summed marks figures that Merge could only add up, because a result
	// did not say which server processes it read (it was written before
	// rpcbench recorded them, or the server was too old to say): load
	// processes that shared one server each counted the others' calls too,
	// so per-call figures may be up to Processes times too high.
	Summed bool `json:"summed,omitempty"`
}

// A ServerInstance is one server process's totals at the start and the end
// of a window.
type ServerInstance struct {
	// ID is what the process answered in service.ServerStats.Instance, or
	// "" from a server too old to say.
	ID    string `json:"id"`
	Start Totals `json:"start"`
	End   Totals `json:"end"`
}

// ServerCountersOf returns the figures of the server processes insts.
func ServerCountersOf(insts []ServerInstance) *ServerCounters {
	var sum Totals
	for _, in := range insts {
		sum = sum.Add(in.End.Sub(in.Start))
	}
	return &ServerCounters{
		Allocs: sum.Allocs, AllocB: sum.AllocB, CPU: sum.CPU, CtxSwitches: sum.CtxSwitches, RWSyscalls: sum.RWSyscalls,
		Servers: len(insts), Instances: insts,
	}
}

// identified reports whether s says which server process each of its
// figures came from.
func (s *ServerCounters) identified() bool {
	return len(s.Instances) > 0 && !slices.ContainsFunc(s.Instances, func(in ServerInstance) bool { return in.ID == "" })
}

// mergeServers combines the server figures of two load processes' results:
// per server process, from the earliest start to the latest end that
// either read, so that a server both called is counted once over the union
// of their windows, and summed over the distinct processes. Figures that
// do not say which processes they came from can only be added up, and say
// so (Summed). Either nil gives nil: one side's server figures cover its
// calls, not both sides', and per-call figures over the sum would be
// wrong.
func mergeServers(a, b *ServerCounters) *ServerCounters {
	if a == nil || b == nil {
		return nil
	}
	if !a.identified() || !b.identified() {
		return &ServerCounters{
			Allocs: a.Allocs + b.Allocs, AllocB: a.AllocB + b.AllocB, CPU: a.CPU + b.CPU,
			CtxSwitches: a.CtxSwitches + b.CtxSwitches, RWSyscalls: a.RWSyscalls + b.RWSyscalls,
			Servers: a.Servers + b.Servers, Summed: true,
		}
	}
	insts := slices.Clone(a.Instances)
	for _, in := range b.Instances {
		i := slices.IndexFunc(insts, func(m ServerInstance) bool { return m.ID == in.ID })
		if i < 0 {
			insts = append(insts, in)
			continue
		}
		insts[i] = ServerInstance{ID: in.ID, Start: insts[i].Start.Earliest(in.Start), End: insts[i].End.Latest(in.End)}
	}
	return ServerCountersOf(insts)
}

// Recovery returns the q-th quantile (0 to 100, nearest rank) of the
// recoveries from partitions, and false when there were none.
func (r *Result) Recovery(q float64) (time.Duration, bool) {
	if len(r.Recoveries) == 0 {
		return 0, false
	}
	s := slices.Sorted(slices.Values(r.Recoveries))
	i := int(math.Ceil(q/100*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)], true
}

// SummarizeSendLag sets the send lag's p50, p99 and max from its
// histogram; a result without one keeps zeros.
func (r *Result) SummarizeSendLag() {
	if r.SendLag == nil || r.SendLag.TotalCount() == 0 {
		return
	}
	r.SendLagP50, r.SendLagP99 = r.SendLag.Quantile(50), r.SendLag.Quantile(99)
	r.SendLagMax = time.Duration(r.SendLag.Max())
}

// LateSlack is how far behind schedule a call may start before the
// generator counts itself as having fallen behind.
const LateSlack = time.Millisecond

// CallsPerSec is completed calls per second of the measured window.
func (r *Result) CallsPerSec() float64 { return float64(r.Calls) / r.Elapsed.Seconds() }

// PerCall returns v divided by the number of calls.
func (r *Result) PerCall(v float64) float64 { return v / float64(max(r.Calls, 1)) }

// Merge adds o, a result of the same configuration measured by another
// process at about the same time, into r, exactly: histograms add bucket by
// bucket, counts and counters sum (so that per-call figures are weighted by
// calls), a server process that both read counts once (mergeServers), and
// the window becomes the union of the two windows, over which calls/s is
// computed. Histograms with other settings cannot be added
// without losing precision, so they are an error.
func (r *Result) Merge(o *Result) error {
	if o.Name != r.Name {
		return fmt.Errorf("measure: cannot merge %s into %s", o.Name, r.Name)
	}
	if err := r.Latency.Add(o.Latency); err != nil {
		return fmt.Errorf("measure: %s: %w", r.Name, err)
	}
	r.Calls += o.Calls
	r.Errors += o.Errors
	if r.FirstError == "" {
		r.FirstError = o.FirstError
	}
	r.Allocs += o.Allocs
	r.AllocB += o.AllocB
	r.CPU += o.CPU
	r.WireBytes += o.WireBytes
	r.CtxSwitches += o.CtxSwitches
	r.RWSyscalls += o.RWSyscalls
	r.Interrupted = r.Interrupted || o.Interrupted
	r.Server = mergeServers(r.Server, o.Server)
	r.Processes = max(r.Processes, 1) + max(o.Processes, 1)
	r.Late += o.Late
	r.TimedOut += o.TimedOut
	r.Reconnects += o.Reconnects
	r.Recoveries = append(slices.Clone(r.Recoveries), o.Recoveries...)
	r.Unrecovered += o.Unrecovered
	r.Queued += o.Queued
	r.Spin += o.Spin
	switch {
	case o.SendLag == nil:
	case r.SendLag == nil:
		r.SendLag = &Histogram{o.SendLag.Clone()}
	default:
		if err := r.SendLag.Add(o.SendLag); err != nil {
			return fmt.Errorf("measure: %s: send lag: %w", r.Name, err)
		}
	}
	r.SummarizeSendLag()
	r.Sets += o.Sets
	r.MaxLag = max(r.MaxLag, o.MaxLag)
	if r.Breakdown == nil {
		// A profile of one process stands for the configuration.
		r.Breakdown = o.Breakdown
	}
	if o.LatencyOnly {
		// The sum would spread r's costs over o's calls too.
		r.LatencyOnly = true
	}
	if r.LatencyOnly {
		r.Errors, r.FirstError, r.Allocs, r.AllocB, r.CPU, r.WireBytes, r.Server, r.Late, r.MaxLag = 0, "", 0, 0, 0, 0, nil, 0, 0
		r.Queued, r.SendLag, r.SendLagP50, r.SendLagP99, r.SendLagMax, r.Spin = 0, nil, 0, 0, 0, 0
		r.CtxSwitches, r.RWSyscalls = 0, 0
	}
	if err := r.mergeWindow(o); err != nil {
		return fmt.Errorf("measure: %s: %w", r.Name, err)
	}
	return nil
}

// mergeWindow makes r's window the union of r's and o's. Results without
// wall-clock windows (written before rpcbench recorded them) keep the
// longer elapsed time, the best that can be said of them.
func (r *Result) mergeWindow(o *Result) error {
	if err := r.mergeIntervals(o.Intervals); err != nil {
		return err
	}
	if r.WindowStart.IsZero() || o.WindowStart.IsZero() {
		r.Elapsed = max(r.Elapsed, o.Elapsed)
		r.WindowStart, r.WindowEnd = time.Time{}, time.Time{}
		return nil
	}
	if o.WindowStart.Before(r.WindowStart) {
		r.WindowStart = o.WindowStart
	}
	if o.WindowEnd.After(r.WindowEnd) {
		r.WindowEnd = o.WindowEnd
	}
	r.Elapsed = r.WindowEnd.Sub(r.WindowStart)
	return nil
}

// mergeIntervals adds the seconds of another process's window into r's:
// processes that started together (--start-at) have their seconds within
// milliseconds of each other, and each merged second holds both
// processes' calls of that second, starting at the earlier start. Seconds
// that do not line up (processes not started together, or a second
// without calls, which has no interval) are kept apart.
func (r *Result) mergeIntervals(ivs []Interval) error {
	mine := len(r.Intervals)
	r.Intervals = slices.Clone(r.Intervals) // r's may be shared with the result it was copied from
	for _, iv := range ivs {
		i := slices.IndexFunc(r.Intervals[:mine], func(m Interval) bool { return m.Start.Sub(iv.Start).Abs() < time.Second/2 })
		if i < 0 {
			r.Intervals = append(r.Intervals, iv)
			continue
		}
		sum := &Histogram{r.Intervals[i].Latency.Clone()}
		if err := sum.Add(iv.Latency); err != nil {
			return fmt.Errorf("the second from %v: %w", iv.Start, err)
		}
		r.Intervals[i] = Interval{Start: Earliest(r.Intervals[i].Start, iv.Start), Latency: sum}
	}
	slices.SortStableFunc(r.Intervals, func(a, b Interval) int { return a.Start.Compare(b.Start) })
	return nil
}

// Earliest returns the earlier of two instants, Latest the later: how the
// windows of results merged together combine.
func Earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// Latest returns the later of two instants.
func Latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Histogram is an HDR histogram of nanoseconds that serialises as the
// standard compressed HdrHistogram encoding (mergeable by any HdrHistogram
// library).
type Histogram struct{ *hdrhistogram.Histogram }

// NewHistogram returns a histogram of 1 ns to 1 min at 3 significant digits.
func NewHistogram() *Histogram {
	return &Histogram{hdrhistogram.New(1, int64(time.Minute), 3)}
}

// Record adds one latency, clamped to the histogram's range so that a
// pathological call still counts.
func (h *Histogram) Record(d time.Duration) {
	h.RecordValue(min(max(int64(d), 1), h.HighestTrackableValue()))
}

// Quantile returns the latency at quantile q in percent (50, 99.9).
func (h *Histogram) Quantile(q float64) time.Duration {
	return time.Duration(h.ValueAtQuantile(q))
}

// Add adds o's counts to h bucket by bucket: exactly, because both have
// the same buckets. Histograms with other settings have other buckets, and
// adding them would move values between buckets, so they are an error.
func (h *Histogram) Add(o *Histogram) error {
	if h.LowestTrackableValue() != o.LowestTrackableValue() || h.HighestTrackableValue() != o.HighestTrackableValue() ||
		h.SignificantFigures() != o.SignificantFigures() {
		return fmt.Errorf("histogram settings differ: %s against %s", o.Settings(), h.Settings())
	}
	if dropped := h.Merge(o.Histogram); dropped != 0 {
		return fmt.Errorf("%d of %d counts would overflow the histogram's total", dropped, o.TotalCount())
	}
	return nil
}

// Settings describes the histogram's range and precision:
// "1..60000000000 ns at 3 significant figures".
func (h *Histogram) Settings() string {
	return fmt.Sprintf("%d..%d ns at %d significant figures", h.LowestTrackableValue(), h.HighestTrackableValue(), h.SignificantFigures())
}

func (h *Histogram) MarshalJSON() ([]byte, error) {
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, err
	}
	return json.Marshal(string(b))
}

func (h *Histogram) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	d, err := hdrhistogram.Decode([]byte(s))
	if err != nil {
		return fmt.Errorf("measure: decoding latency histogram: %w", err)
	}
	h.Histogram = d
	return nil
}
