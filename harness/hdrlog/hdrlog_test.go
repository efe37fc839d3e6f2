package hdrlog_test

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/harness/hdrlog"
	"github.com/rpcbench/rpcbench/measure"
)

var t0 = time.Date(2026, 11, 30, 12, 0, 0, 250e6, time.UTC)

// synthetic returns a result of name whose i-th second holds counts[i]
// calls of (i+1)*base, and a last, shorter second.
func synthetic(name string, base time.Duration, counts ...int) *measure.Result {
	r := &measure.Result{Name: name, Latency: measure.NewHistogram(), WindowStart: t0}
	for i, n := range counts {
		iv := measure.Interval{Start: t0.Add(time.Duration(i) * time.Second), Latency: measure.NewHistogram()}
		for range n {
			iv.Latency.Record(time.Duration(i+1) * base)
			r.Latency.Record(time.Duration(i+1) * base)
		}
		r.Intervals = append(r.Intervals, iv)
		r.Calls += int64(n)
	}
	r.WindowEnd = t0.Add(time.Duration(len(counts)-1)*time.Second + 500*time.Millisecond)
	r.Elapsed = r.WindowEnd.Sub(r.WindowStart)
	return r
}

const (
	gob     = "RPC/codec=gob/transport=tcp/payload=bytes:1KiB/conc=16"
	msgpack = "RPC/codec=msgpack/transport=unix/payload=records:100/conc=4/pipeline=8/rate=20000"
)

func sample() []*measure.Result {
	return []*measure.Result{synthetic(gob, 50*time.Microsecond, 1000, 2000, 300), synthetic(msgpack, 3*time.Millisecond, 10, 0, 7)}
}

// The log is read back by a decoder written here from the HdrHistogram
// log and V2 encoding specifications, sharing no code with the writer
// (hdrhistogram-go), as Java's, C's or JavaScript's readers would.
func TestIntervalLogReadsBackIndependently(t *testing.T) {
	var buf bytes.Buffer
	results := sample()
	if err := hdrlog.Write(&buf, results); err != nil {
		t.Fatal(err)
	}
	log := parseLog(t, buf.String())
	if want := float64(t0.Truncate(time.Second).Unix()); log.startTime != want || log.baseTime != want {
		t.Errorf("StartTime %v, BaseTime %v; want both %v (the first interval's second)", log.startTime, log.baseTime, want)
	}
	if !log.legend {
		t.Error("no legend line")
	}
	for _, r := range results {
		ivs := log.intervals[r.Name]
		if len(ivs) != len(r.Intervals) {
			t.Fatalf("%s: %d intervals in the log; want %d", r.Name, len(ivs), len(r.Intervals))
		}
		var total int64
		for i, iv := range ivs {
			want := r.Intervals[i]
			wantStart := float64(want.Start.UnixMilli())/1000 - log.baseTime
			wantLen := 1.0
			if i == len(ivs)-1 {
				wantLen = 0.5
			}
			if math.Abs(iv.start-wantStart) > 1e-3 || math.Abs(iv.length-wantLen) > 1e-3 {
				t.Errorf("%s interval %d: start %v length %v; want %v and %v", r.Name, i, iv.start, iv.length, wantStart, wantLen)
			}
			wantCounts := bucketsOf(want.Latency)
			if fmt.Sprint(iv.hist.buckets()) != fmt.Sprint(wantCounts) {
				t.Errorf("%s interval %d: buckets %v; recorded %v", r.Name, i, iv.hist.buckets(), wantCounts)
			}
			if iv.hist.digits != 3 || iv.hist.lowest != 1 || iv.hist.highest != int64(time.Minute) {
				t.Errorf("%s interval %d: settings %d digits %d..%d; want rpcbench's", r.Name, i, iv.hist.digits, iv.hist.lowest, iv.hist.highest)
			}
			if max, want := iv.maxMs, float64(want.Latency.Max())/1e6; math.Abs(max-want) > 1e-6 {
				t.Errorf("%s interval %d: max %vms; want %vms", r.Name, i, max, want)
			}
			total += iv.hist.total()
		}
		if total != r.Calls {
			t.Errorf("%s: %d calls in the log; want %d", r.Name, total, r.Calls)
		}
	}
}

func TestReadGivesBackWhatWriteWrote(t *testing.T) {
	var buf bytes.Buffer
	results := sample()
	if err := hdrlog.Write(&buf, results); err != nil {
		t.Fatal(err)
	}
	back, err := hdrlog.Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 2 {
		t.Fatalf("%d results; want 2", len(back))
	}
	for i, r := range back {
		want := results[i]
		if r.Name != want.Name || r.Calls != want.Calls || r.Latency.TotalCount() != want.Calls || len(r.Intervals) != len(want.Intervals) {
			t.Errorf("read %s: %d calls, %d intervals; wrote %s: %d calls, %d intervals", r.Name, r.Calls, len(r.Intervals), want.Name, want.Calls, len(want.Intervals))
		}
		if !r.WindowStart.Equal(want.WindowStart) || !r.WindowEnd.Equal(want.WindowEnd) {
			t.Errorf("%s: window %v to %v; wrote %v to %v", r.Name, r.WindowStart, r.WindowEnd, want.WindowStart, want.WindowEnd)
		}
	}
	if r := back[1]; r.Stack != "codec=msgpack" || r.Transport != "unix" || r.Payload != "records:100" || r.Concurrency != 4 || r.Pipeline != 8 || r.Rate != 20000 {
		t.Errorf("labels from the name: %+v", r)
	}
}

// A result without per-second intervals is logged as one interval over its
// window, so that the log still holds every call.
func TestResultWithoutIntervalsIsOneInterval(t *testing.T) {
	r := synthetic(gob, time.Millisecond, 5, 6)
	r.Intervals = nil
	var buf bytes.Buffer
	if err := hdrlog.Write(&buf, []*measure.Result{r}); err != nil {
		t.Fatal(err)
	}
	ivs := parseLog(t, buf.String()).intervals[gob]
	if len(ivs) != 1 || ivs[0].hist.total() != 11 || math.Abs(ivs[0].length-1.5) > 1e-3 {
		t.Fatalf("got %d intervals; want one of 11 calls over 1.5s", len(ivs))
	}
}

// A second without calls has no interval: its neighbour still lasts a
// second, not until the next interval.
func TestSecondWithoutCallsIsAGap(t *testing.T) {
	r := synthetic(gob, time.Millisecond, 5, 0, 6)
	r.Intervals = slices.Delete(r.Intervals, 1, 2)
	var buf bytes.Buffer
	if err := hdrlog.Write(&buf, []*measure.Result{r}); err != nil {
		t.Fatal(err)
	}
	ivs := parseLog(t, buf.String()).intervals[gob]
	if len(ivs) != 2 || ivs[0].length != 1 || ivs[1].start-ivs[0].start != 2 || ivs[1].length != 0.5 {
		t.Fatalf("intervals %+v; want one second at 0.25s and half a second at 2.25s", ivs)
	}
}

func TestResultWithoutWindowIsAnError(t *testing.T) {
	r := synthetic(gob, time.Millisecond, 5)
	r.WindowStart = time.Time{}
	err := hdrlog.Write(io.Discard, []*measure.Result{r})
	if err == nil || !strings.Contains(err.Error(), gob) {
		t.Fatalf("error %v; want one naming %s", err, gob)
	}
}

// bucketsOf lists a histogram's non-empty buckets as "value:count".
func bucketsOf(h *measure.Histogram) []string {
	var out []string
	for _, b := range h.Distribution() {
		if b.Count > 0 {
			out = append(out, fmt.Sprintf("%d:%d", b.From, b.Count))
		}
	}
	return out
}

// What follows reads the log from the specifications alone:
// HdrHistogram's HistogramLogReader documentation for the lines, and its
// encodeIntoCompressedByteBuffer for the V2 encoding.

type interval struct {
	start, length, maxMs float64
	hist                 *specHistogram
}

type parsedLog struct {
	startTime, baseTime float64
	legend              bool
	intervals           map[string][]interval
}

func parseLog(t *testing.T, text string) parsedLog {
	t.Helper()
	log := parsedLog{intervals: make(map[string][]interval)}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#[StartTime: "):
			log.startTime = leadingFloat(t, strings.TrimPrefix(line, "#[StartTime: "))
		case strings.HasPrefix(line, "#[BaseTime: "):
			log.baseTime = leadingFloat(t, strings.TrimPrefix(line, "#[BaseTime: "))
		case strings.HasPrefix(line, "#"):
		case line == `"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"`:
			log.legend = true
		default:
			tag := ""
			if rest, ok := strings.CutPrefix(line, "Tag="); ok {
				tag, line, _ = strings.Cut(rest, ",")
			}
			f := strings.Split(line, ",")
			if len(f) != 4 {
				t.Fatalf("interval line %q: want 4 fields", line)
			}
			iv := interval{start: parseFloat(t, f[0]), length: parseFloat(t, f[1]), maxMs: parseFloat(t, f[2])}
			var err error
			if iv.hist, err = decodeV2(f[3]); err != nil {
				t.Fatalf("interval line %q: %v", line, err)
			}
			log.intervals[tag] = append(log.intervals[tag], iv)
		}
	}
	return log
}

func leadingFloat(t *testing.T, s string) float64 {
	t.Helper()
	f, _, _ := strings.Cut(s, " ")
	return parseFloat(t, f)
}

func parseFloat(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

type specHistogram struct {
	digits          int32
	lowest, highest int64
	counts          []int64 // by index
}

// decodeV2 decodes a base64 V2 compressed histogram: an 8-byte header
// (cookie 0x1c849304 in its low bits, compressed length), then a zlib
// stream holding a 40-byte header (cookie 0x1c849303, payload length,
// normalizing index offset, significant digits, lowest and highest
// trackable values, conversion ratio) and the counts as ZigZag LEB128
// varints, a negative one standing for that many empty buckets.
func decodeV2(s string) (*specHistogram, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	if len(raw) < 8 || binary.BigEndian.Uint32(raw)&^0xf0 != 0x1c849304 {
		return nil, fmt.Errorf("not a V2 compressed histogram")
	}
	n := binary.BigEndian.Uint32(raw[4:])
	zr, err := zlib.NewReader(bytes.NewReader(raw[8 : 8+n]))
	if err != nil {
		return nil, err
	}
	inner, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	if len(inner) < 40 || binary.BigEndian.Uint32(inner)&^0xf0 != 0x1c849303 {
		return nil, fmt.Errorf("inner cookie %#x", binary.BigEndian.Uint32(inner))
	}
	payloadLen := int(binary.BigEndian.Uint32(inner[4:]))
	if offset := int32(binary.BigEndian.Uint32(inner[8:])); offset != 0 {
		// A reader that honours the offset (HdrHistogram_c) would shift
		// every bucket: hdrhistogram-go before v1.3.0 wrote 1 here.
		return nil, fmt.Errorf("normalizing index offset %d; want 0", offset)
	}
	h := &specHistogram{
		digits:  int32(binary.BigEndian.Uint32(inner[12:])),
		lowest:  int64(binary.BigEndian.Uint64(inner[16:])),
		highest: int64(binary.BigEndian.Uint64(inner[24:])),
	}
	payload := inner[40:]
	if len(payload) != payloadLen {
		return nil, fmt.Errorf("payload of %d bytes; header says %d", len(payload), payloadLen)
	}
	for len(payload) > 0 {
		var v uint64
		i := 0
		for ; i < 9; i++ {
			b := payload[i]
			if i == 8 {
				v |= uint64(b) << 56
				break
			}
			v |= uint64(b&0x7f) << (7 * i)
			if b&0x80 == 0 {
				break
			}
		}
		payload = payload[i+1:]
		c := int64(v>>1) ^ -int64(v&1)
		if c < 0 {
			h.counts = append(h.counts, make([]int64, -c)...)
		} else {
			h.counts = append(h.counts, c)
		}
	}
	return h, nil
}

func (h *specHistogram) total() int64 {
	var n int64
	for _, c := range h.counts {
		n += c
	}
	return n
}

// valueAt is the lowest value counted at index: buckets of subBucketCount
// sub-buckets, each bucket twice as wide as the last, the first covering
// values below subBucketCount at unit resolution.
func (h *specHistogram) valueAt(index int) int64 {
	subBucketCountMagnitude := bits.Len64(uint64(2*math.Pow10(int(h.digits))) - 1) // ceil(log2(2*10^digits))
	halfMagnitude := subBucketCountMagnitude - 1
	half := 1 << halfMagnitude
	unitMagnitude := bits.Len64(uint64(h.lowest)) - 1
	bucket := index>>halfMagnitude - 1
	sub := index&(half-1) + half
	if bucket < 0 {
		sub -= half
		bucket = 0
	}
	return int64(sub) << (bucket + unitMagnitude)
}

func (h *specHistogram) buckets() []string {
	var out []string
	for i, c := range h.counts {
		if c > 0 {
			out = append(out, fmt.Sprintf("%d:%d", h.valueAt(i), c))
		}
	}
	return out
}

// A duplex row's workload and direction come back from its tag too, so
// that its two rows stay apart when merged or reported.
func TestADuplexRowsLabelsComeBack(t *testing.T) {
	r := sample()[0]
	r.Name = "RPC/codec=gob/transport=duplex/payload=bytes:16/conc=4/workload=duplex-against-bytes:64KiBx2/dir=up"
	var buf bytes.Buffer
	if err := hdrlog.Write(&buf, []*measure.Result{r}); err != nil {
		t.Fatal(err)
	}
	back, err := hdrlog.Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := back[0]; got.Workload != "duplex" || got.Against != "bytes:64KiBx2" || got.Dir != "up" || got.Transport != "duplex" {
		t.Errorf("workload %q, against %q, dir %q, transport %q; want duplex, bytes:64KiBx2, up, duplex", got.Workload, got.Against, got.Dir, got.Transport)
	}
}
