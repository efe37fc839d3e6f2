package harness

import (
	"encoding/json"
	"fmt"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// A Result is what one measured window of one configuration showed.
// Results serialise to JSON and merge (see Merge), so that load spread over
// several processes or hosts adds up exactly.
type Result struct {
	// Name is the benchmark name, in Go benchmark key=value form:
	// "RPC/codec=msgpack/transport=tcp/payload=bytes:1KiB/conc=16".
	Name        string  `json:"name"`
	Stack       string  `json:"stack"`
	Transport   string  `json:"transport"`
	Net         string  `json:"net,omitempty"`
	Payload     string  `json:"payload"`
	Concurrency int     `json:"concurrency"`
	Conns       int     `json:"conns"`
	Pipeline    int     `json:"pipeline"`
	Rate        float64 `json:"rate,omitempty"`
	Delay       string  `json:"delay,omitempty"`

	Calls      int64         `json:"calls"`
	Errors     int64         `json:"errors"`
	FirstError string        `json:"first_error,omitempty"`
	Elapsed    time.Duration `json:"elapsed_ns"`
	// WindowStart and WindowEnd are the wall-clock bounds of the measured
	// window.
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

	// Open loop only: calls sent more than LateSlack after their scheduled
	// time or, scheduled inside the window, never sent; and the worst lag.
	Late   int64         `json:"late,omitempty"`
	MaxLag time.Duration `json:"max_lag_ns,omitempty"`
}

// An Interval is the latency of the calls that ended in one second of a
// window, starting at Start.
type Interval struct {
	Start   time.Time  `json:"start"`
	Latency *Histogram `json:"latency"`
}

// ServerCounters are the server processes' costs over a window, summed
// over the Servers that were read (several reverse workers).
type ServerCounters struct {
	Allocs      uint64        `json:"allocs"`
	AllocB      uint64        `json:"alloc_bytes"`
	CPU         time.Duration `json:"cpu_ns"`
	CtxSwitches uint64        `json:"ctx_switches,omitempty"`
	RWSyscalls  uint64        `json:"rw_syscalls,omitempty"`
	Servers     int           `json:"servers,omitempty"`
}

// LateSlack is how far behind schedule a call may start before the
// generator counts itself as having fallen behind.
const LateSlack = time.Millisecond

// CallsPerSec is completed calls per second of the measured window.
func (r *Result) CallsPerSec() float64 { return float64(r.Calls) / r.Elapsed.Seconds() }

// PerCall returns v divided by the number of calls.
func (r *Result) PerCall(v float64) float64 { return v / float64(max(r.Calls, 1)) }

// Merge adds o, a result of the same configuration measured elsewhere at
// the same time, into r: histograms add, counters sum, and the window is
// the longer of the two.
func (r *Result) Merge(o *Result) error {
	if o.Name != r.Name {
		return fmt.Errorf("harness: cannot merge %s into %s", o.Name, r.Name)
	}
	r.Calls += o.Calls
	r.Errors += o.Errors
	if r.FirstError == "" {
		r.FirstError = o.FirstError
	}
	r.Elapsed = max(r.Elapsed, o.Elapsed)
	r.Latency.Merge(o.Latency.Histogram)
	r.Allocs += o.Allocs
	r.AllocB += o.AllocB
	r.CPU += o.CPU
	r.WireBytes += o.WireBytes
	if r.Server != nil && o.Server != nil {
		r.Server.Allocs += o.Server.Allocs
		r.Server.AllocB += o.Server.AllocB
		r.Server.CPU += o.Server.CPU
	}
	r.Late += o.Late
	r.MaxLag = max(r.MaxLag, o.MaxLag)
	return nil
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
		return fmt.Errorf("harness: decoding latency histogram: %w", err)
	}
	h.Histogram = d
	return nil
}
