package hdrlog

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/rpcbench/rpcbench/measure"
)

// line is one interval of one configuration, as the log holds it.
type line struct {
	tag        string
	start, end time.Time
	latency    *measure.Histogram
}

// Write writes every result's intervals as one interval log, ordered by
// start time. A result without per-second intervals is written as one
// interval covering its whole window, so that the log still holds every
// call; a result without a window cannot be placed in time and is an
// error.
func Write(w io.Writer, results []*measure.Result) error {
	var lines []line
	for _, r := range results {
		rl, err := intervalsOf(r)
		if err != nil {
			return err
		}
		lines = append(lines, rl...)
	}
	slices.SortStableFunc(lines, func(a, b line) int { return a.start.Compare(b.start) })

	// Time stamps are seconds after a base time on a whole second, the
	// first interval's, as HdrHistogram's own writers do.
	base := time.Now()
	if len(lines) > 0 {
		base = lines[0].start
	}
	baseMs := base.Truncate(time.Second).UnixMilli()
	lw := hdrhistogram.NewHistogramLogWriter(w)
	lw.SetBaseTime(baseMs)
	for _, write := range []func() error{
		lw.OutputLogFormatVersion,
		func() error {
			return lw.OutputComment("[rpcbench: one interval per configuration per second of the measured window; values in nanoseconds, Interval_Max in milliseconds]")
		},
		func() error { return lw.OutputStartTime(baseMs) },
		func() error { return lw.OutputBaseTime(baseMs) },
		lw.OutputLegend,
	} {
		if err := write(); err != nil {
			return fmt.Errorf("hdrlog: %w", err)
		}
	}
	for _, l := range lines {
		// The writer takes the tag and times from the histogram itself;
		// set them on a copy so that the result's histograms stay as they were.
		h := l.latency.Clone()
		h.SetTag(l.tag)
		h.SetStartTimeMs(l.start.UnixMilli())
		h.SetEndTimeMs(l.end.UnixMilli())
		if err := lw.OutputIntervalHistogram(h); err != nil {
			return fmt.Errorf("hdrlog: %s: %w", l.tag, err)
		}
	}
	return nil
}

// intervalsOf returns r's intervals with their ends: a second after the
// start, or sooner where the next interval or the window begins or ends
// (a second without calls has no interval). A result without intervals
// is one interval over its whole window.
func intervalsOf(r *measure.Result) ([]line, error) {
	if r.WindowStart.IsZero() || r.WindowEnd.IsZero() {
		return nil, fmt.Errorf("hdrlog: %s: the result has no measured window to place its intervals in", r.Name)
	}
	if len(r.Intervals) == 0 {
		return []line{{tag: r.Name, start: r.WindowStart, end: r.WindowEnd, latency: r.Latency}}, nil
	}
	lines := make([]line, len(r.Intervals))
	for i, iv := range r.Intervals {
		end := iv.Start.Add(time.Second)
		if end.After(r.WindowEnd) {
			end = r.WindowEnd
		}
		if i+1 < len(r.Intervals) && end.After(r.Intervals[i+1].Start) {
			end = r.Intervals[i+1].Start
		}
		if end.Before(iv.Start) {
			end = iv.Start
		}
		lines[i] = line{tag: r.Name, start: iv.Start, end: end, latency: iv.Latency}
	}
	return lines, nil
}

// ErrNoIntervals is returned by Read for input that holds no interval
// lines: an empty file, or one that is not an interval log.
var ErrNoIntervals = errors.New("no interval histograms")

// Read reads an interval log into one result per tag, in the order the
// tags first appear: its intervals, their sum as its latency, the calls
// that sum holds and the window from the first interval's start to the
// last one's end. An interval log carries no errors, allocations or CPU
// time, so those are zero. Untagged intervals are named "untagged".
func Read(r io.Reader) ([]*measure.Result, error) {
	lr := hdrhistogram.NewHistogramLogReader(r)
	var results []*measure.Result
	byTag := make(map[string]*measure.Result)
	for n := 1; ; n++ {
		h, err := lr.NextIntervalHistogram()
		if err != nil {
			return nil, fmt.Errorf("hdrlog: interval %d: %w", n, err)
		}
		if h == nil {
			break
		}
		tag := cmp.Or(h.Tag(), "untagged")
		start, end := time.UnixMilli(h.StartTimeMs()).UTC(), time.UnixMilli(h.EndTimeMs()).UTC()
		lat := &measure.Histogram{Histogram: h}
		res, ok := byTag[tag]
		if !ok {
			res = &measure.Result{Name: tag, Latency: &measure.Histogram{Histogram: h.Clone()}, WindowStart: start, WindowEnd: end, LatencyOnly: true}
			label(res)
			byTag[tag] = res
			results = append(results, res)
		} else {
			if err := res.Latency.Add(lat); err != nil {
				return nil, fmt.Errorf("hdrlog: interval %d (%s): %w", n, tag, err)
			}
			res.WindowStart = measure.Earliest(res.WindowStart, start)
			res.WindowEnd = measure.Latest(res.WindowEnd, end)
		}
		res.Intervals = append(res.Intervals, measure.Interval{Start: start, Latency: lat})
	}
	if len(results) == 0 {
		return nil, fmt.Errorf("hdrlog: %w", ErrNoIntervals)
	}
	for _, res := range results {
		res.Calls = res.Latency.TotalCount()
		res.Elapsed = res.WindowEnd.Sub(res.WindowStart)
		slices.SortStableFunc(res.Intervals, func(a, b measure.Interval) int { return a.Start.Compare(b.Start) })
	}
	return results, nil
}

// label fills in the result's configuration fields from its name
// ("RPC/codec=gob/transport=tcp/payload=bytes:1KiB/conc=16/conns=4"), all
// that an interval log says of the configuration.
func label(r *measure.Result) {
	r.Pipeline, r.Concurrency, r.Conns = 1, 1, 1
	n := measure.ParseName(r.Name)
	if id, ok := n.Stack(); ok {
		r.Stack = id.String()
	}
	for _, p := range n.Parts {
		num, _ := strconv.Atoi(p.Value)
		switch p.Key {
		case "transport":
			r.Transport = p.Value
		case "net":
			r.Net = p.Value
		case "payload":
			r.Payload = p.Value
		case "conc":
			r.Concurrency, r.Conns = num, num
		case "conns":
			r.Conns = num
		case "pipeline":
			r.Pipeline = num
		case "rate":
			r.Rate, _ = strconv.ParseFloat(p.Value, 64)
		case "workload":
			r.Workload, r.Against, _ = strings.Cut(p.Value, "-against-")
		case "dir":
			r.Dir = p.Value
		}
	}
}
