package merge_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/rpcbench/rpcbench/harness/format"
	"github.com/rpcbench/rpcbench/harness/hdrlog"
	"github.com/rpcbench/rpcbench/harness/merge"
	"github.com/rpcbench/rpcbench/measure"
)

const name = "RPC/codec=msgpack/transport=tcp/payload=bytes:1KiB/conc=16"

var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// result is one process's result: its latencies, over [start, end).
func result(name string, start, end time.Duration, lat ...time.Duration) *measure.Result {
	r := &measure.Result{
		Name: name, Stack: "codec=msgpack", Transport: "tcp", Payload: "bytes:1KiB", Concurrency: 16, Conns: 4, Pipeline: 1,
		Calls: int64(len(lat)), Latency: measure.NewHistogram(),
		WindowStart: t0.Add(start), WindowEnd: t0.Add(end), Elapsed: end - start,
	}
	for _, d := range lat {
		r.Latency.Record(d)
	}
	return r
}

func repeat(n int, d time.Duration) []time.Duration {
	lat := make([]time.Duration, n)
	for i := range lat {
		lat[i] = d
	}
	return lat
}

// write writes run as a JSON file in dir and returns its name.
func write(t *testing.T, dir, file string, run format.Run) string {
	t.Helper()
	var buf bytes.Buffer
	if err := format.JSON(&buf, run); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, file)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func env(host string) measure.Env {
	return measure.Env{Host: host, GOOS: "linux", GOARCH: "amd64", GOMAXPROCS: 4, CPU: "Test CPU", Kernel: "6.1", GoVersion: "go1.26"}
}

// mergeFiles reads and merges files as rpcbench merge does.
func mergeFiles(t *testing.T, files ...string) format.Run {
	t.Helper()
	var inputs []merge.Input
	for _, f := range files {
		in, err := merge.Read(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, in)
	}
	run, err := merge.Merge(inputs)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// buckets returns h's non-empty buckets: lowest equivalent value → count.
func buckets(h *hdrhistogram.Histogram) map[int64]int64 {
	m := make(map[int64]int64)
	for _, b := range h.Distribution() {
		if b.Count != 0 {
			m[b.From] += b.Count
		}
	}
	return m
}

// A run split over N processes merges to what the N histograms hold added
// by hand, bucket by bucket, and to what one process recording every call
// would have held.
func TestMergeOfASplitRunIsExact(t *testing.T) {
	for _, n := range []int{2, 3, 7} {
		rng := rand.New(rand.NewPCG(1, uint64(n)))
		dir := t.TempDir()
		whole := measure.NewHistogram()
		byHand := make(map[int64]int64)
		var files []string
		var calls int64
		for p := range n {
			var lat []time.Duration
			for range 5000 + rng.IntN(5000) {
				// Log-normal-ish: most calls near 100µs, a tail to seconds.
				d := time.Duration(float64(100*time.Microsecond) * rng.ExpFloat64() * rng.ExpFloat64() * 3)
				lat = append(lat, d)
				whole.Record(d)
			}
			r := result(name, time.Duration(p)*time.Millisecond, 2*time.Second+time.Duration(p)*time.Millisecond, lat...)
			calls += r.Calls
			for v, c := range buckets(r.Latency.Histogram) {
				byHand[v] += c
			}
			files = append(files, write(t, dir, "load-"+string(rune('a'+p))+".json", format.Run{Env: env("host"), Results: []*measure.Result{r}}))
		}
		run := mergeFiles(t, files...)
		if len(run.Results) != 1 {
			t.Fatalf("%d processes: %d rows; want one", n, len(run.Results))
		}
		m := run.Results[0]
		if m.Calls != calls || m.Latency.TotalCount() != calls {
			t.Errorf("%d processes: merged %d calls, histogram total %d; want the sum, %d", n, m.Calls, m.Latency.TotalCount(), calls)
		}
		got := buckets(m.Latency.Histogram)
		if len(got) != len(byHand) {
			t.Errorf("%d processes: %d buckets; want %d", n, len(got), len(byHand))
		}
		wrong := 0
		for v, c := range byHand {
			if got[v] != c {
				if wrong++; wrong <= 5 {
					t.Errorf("%d processes: bucket %d holds %d; added by hand %d", n, v, got[v], c)
				}
			}
		}
		for _, q := range []float64{50, 90, 99, 99.9, 100} {
			if got, want := m.Latency.ValueAtQuantile(q), whole.ValueAtQuantile(q); got != want {
				t.Errorf("%d processes: p%g %d; one process recording every call: %d", n, q, got, want)
			}
		}
		if m.Processes != n {
			t.Errorf("processes %d; want %d", m.Processes, n)
		}
	}
}

// Percentiles of a merge come from the added histogram: averaging the
// processes' percentiles would give another, wrong answer.
func TestMergedPercentilesAreNotAveragesOfPercentiles(t *testing.T) {
	dir := t.TempDir()
	a := result(name, 0, time.Second, append(repeat(900, time.Millisecond), repeat(100, 10*time.Millisecond)...)...)
	b := result(name, 0, time.Second, repeat(1000, 2*time.Millisecond)...)
	run := mergeFiles(t,
		write(t, dir, "a.json", format.Run{Env: env("a"), Results: []*measure.Result{a}}),
		write(t, dir, "b.json", format.Run{Env: env("b"), Results: []*measure.Result{b}}))
	m := run.Results[0]
	for _, tt := range []struct {
		q         float64
		want, avg time.Duration
	}{
		// 2000 calls: 900 at 1ms, 1000 at 2ms, 100 at 10ms.
		{50, 2 * time.Millisecond, 1500 * time.Microsecond}, // avg of 1ms and 2ms
		{99, 10 * time.Millisecond, 6 * time.Millisecond},   // avg of 10ms and 2ms
	} {
		got := m.Latency.Quantile(tt.q)
		if avg := (a.Latency.Quantile(tt.q) + b.Latency.Quantile(tt.q)) / 2; avg.Round(100*time.Microsecond) != tt.avg {
			t.Fatalf("p%g: the processes' average is %v; the test expects %v", tt.q, avg, tt.avg)
		}
		if d := got - tt.want; d < 0 || d > tt.want/1000 {
			t.Errorf("merged p%g = %v; want %v (the average of the processes' p%g is %v)", tt.q, got, tt.want, tt.q, tt.avg)
		}
	}
}

func TestMergeSumsCountersOverTheUnionWindow(t *testing.T) {
	dir := t.TempDir()
	a := result(name, 0, 2*time.Second, repeat(100, time.Millisecond)...)
	a.Allocs, a.CPU, a.Errors, a.Late, a.MaxLag = 1000, 100*time.Millisecond, 1, 5, 3*time.Millisecond
	a.FirstError = "connection reset"
	a.Spin = 4 * time.Millisecond
	b := result(name, time.Second, 3*time.Second, repeat(300, time.Millisecond)...)
	b.Allocs, b.CPU, b.Errors, b.Late, b.MaxLag = 600, 20*time.Millisecond, 2, 7, 9*time.Millisecond
	b.Spin = 3 * time.Millisecond
	other := result(strings.Replace(name, "conc=16", "conc=1", 1), 0, time.Second, repeat(10, time.Millisecond)...)
	run := mergeFiles(t,
		write(t, dir, "a.json", format.Run{Env: env("a"), Results: []*measure.Result{a, other}}),
		write(t, dir, "b.json", format.Run{Env: env("b"), Results: []*measure.Result{b}}))
	if len(run.Results) != 2 {
		t.Fatalf("%d rows; want 2: rows that differ stay separate", len(run.Results))
	}
	m := run.Results[0]
	checks := []struct {
		what      string
		got, want float64
	}{
		{"calls", float64(m.Calls), 400},
		{"elapsed (union window)", m.Elapsed.Seconds(), 3},
		{"calls/s (summed calls over the union)", m.CallsPerSec(), 400.0 / 3},
		{"allocs/op (weighted by calls, not (10+2)/2)", m.PerCall(float64(m.Allocs)), 4},
		{"cpu/op", m.PerCall(float64(m.CPU)), float64(120*time.Millisecond) / 400},
		{"errors", float64(m.Errors), 3},
		{"late", float64(m.Late), 12},
		{"max lag", float64(m.MaxLag), float64(9 * time.Millisecond)},
		{"the generator's spin", float64(m.Spin), float64(7 * time.Millisecond)},
	}
	for _, c := range checks {
		if diff := c.got - c.want; diff > 1e-9*c.want || diff < -1e-9*c.want {
			t.Errorf("%s = %g; want %g", c.what, c.got, c.want)
		}
	}
	if !m.WindowStart.Equal(t0) || !m.WindowEnd.Equal(t0.Add(3*time.Second)) {
		t.Errorf("window %v to %v; want the union %v to %v", m.WindowStart, m.WindowEnd, t0, t0.Add(3*time.Second))
	}
	if m.FirstError != "connection reset" {
		t.Errorf("first error %q", m.FirstError)
	}
	if run.Results[1].Calls != 10 || run.Results[1].Processes != 0 {
		t.Errorf("the row only a.json has: %d calls, %d processes; want it as it was", run.Results[1].Calls, run.Results[1].Processes)
	}
	if len(run.Hosts) != 2 || run.Hosts[0].Host != "a" || run.Hosts[1].Host != "b" || run.Env.Host != "a | b" {
		t.Errorf("hosts %+v, env host %q; want both hosts listed", run.Hosts, run.Env.Host)
	}
	if a.Calls != 100 || a.Latency.TotalCount() != 100 {
		t.Errorf("merging changed its input: %d calls, %d recorded", a.Calls, a.Latency.TotalCount())
	}
}

// The n-th repetition of a configuration in one file merges with the n-th
// in the others: repetitions in one file ran one after the other, not side
// by side.
func TestRepetitionsMergeInOrder(t *testing.T) {
	dir := t.TempDir()
	a1, a2 := result(name, 0, time.Second, repeat(1, time.Millisecond)...), result(name, time.Second, 2*time.Second, repeat(2, time.Millisecond)...)
	b1, b2 := result(name, 0, time.Second, repeat(10, time.Millisecond)...), result(name, time.Second, 2*time.Second, repeat(20, time.Millisecond)...)
	run := mergeFiles(t,
		write(t, dir, "a.json", format.Run{Env: env("a"), Results: []*measure.Result{a1, a2}}),
		write(t, dir, "b.json", format.Run{Env: env("b"), Results: []*measure.Result{b1, b2}}))
	if len(run.Results) != 2 || run.Results[0].Calls != 11 || run.Results[1].Calls != 22 {
		t.Fatalf("got %d rows; want 2 of 11 and 22 calls", len(run.Results))
	}
}

func TestMergeReadsIntervalLogs(t *testing.T) {
	dir := t.TempDir()
	a := result(name, 0, 2*time.Second, repeat(100, time.Millisecond)...)
	b := result(name, 0, 2*time.Second, repeat(50, 3*time.Millisecond)...)
	var buf bytes.Buffer
	if err := hdrlog.Write(&buf, []*measure.Result{b}); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(dir, "b.hlog")
	if err := os.WriteFile(logFile, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	run := mergeFiles(t, write(t, dir, "a.json", format.Run{Env: env("a"), Results: []*measure.Result{a}}), logFile)
	if len(run.Results) != 1 || run.Results[0].Calls != 150 || run.Results[0].Latency.TotalCount() != 150 {
		t.Fatalf("merged %d rows, first %d calls; want one of 150", len(run.Results), run.Results[0].Calls)
	}
}

func TestBadInputIsAnErrorNamingTheFile(t *testing.T) {
	dir := t.TempDir()
	good := write(t, dir, "good.json", format.Run{Env: env("a"), Results: []*measure.Result{result(name, 0, time.Second, repeat(10, time.Millisecond)...)}})
	whole, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	other := result(name, 0, time.Second)
	other.Latency = &measure.Histogram{Histogram: hdrhistogram.New(1, int64(time.Hour), 2)}
	other.Latency.RecordValue(1000)
	other.Calls = 1
	write(t, dir, "other-settings.json", format.Run{Env: env("b"), Results: []*measure.Result{other}})

	tests := []struct {
		file, content, want string
	}{
		{"truncated.json", string(whole[:len(whole)/2]), "truncated or malformed JSON"},
		{"foreign.json", `{"name": "not a benchmark", "values": [1, 2, 3]}`, "not rpcbench output"},
		{"go-test.txt", "BenchmarkX-8   1000   1234 ns/op\n", "not rpcbench output"},
		{"empty.json", "", "empty file"},
		{"no-histogram.json", `{"env": {"goos": "linux"}, "results": [{"name": "RPC/x"}]}`, "no latency histogram"},
		{"bad-histogram.json", `{"env": {"goos": "linux"}, "results": [{"name": "RPC/x", "latency": "HISTFAAAAB"}]}`, "damaged, or not rpcbench output: measure: decoding latency histogram"},
		{"other-settings.json", "", "histogram settings differ: 1..3600000000000 ns at 2 significant figures"},
		{"missing.json", "", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join(dir, tt.file)
			if tt.content != "" || tt.file == "empty.json" {
				if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			inputs := []merge.Input{}
			for _, f := range []string{good, path} {
				in, err := merge.Read(f)
				if err != nil {
					checkUnusable(t, err, path, tt.want)
					return
				}
				inputs = append(inputs, in)
			}
			_, err := merge.Merge(inputs)
			checkUnusable(t, err, path, tt.want)
		})
	}
}

func checkUnusable(t *testing.T, err error, file, want string) {
	t.Helper()
	var u *merge.UnusableError
	if !errors.As(err, &u) || u.File != file {
		t.Fatalf("error %v; want an UnusableError naming %s", err, file)
	}
	if !strings.HasPrefix(err.Error(), file+": ") || !strings.Contains(err.Error(), want) {
		t.Errorf("error %q; want it to start with the file's name and say %q", err, want)
	}
}

// withSeconds gives r one interval per second of its window, the calls
// spread evenly over them.
func withSeconds(r *measure.Result, lat time.Duration) *measure.Result {
	n := int(r.Elapsed / time.Second)
	for s := range n {
		iv := measure.Interval{Start: r.WindowStart.Add(time.Duration(s) * time.Second), Latency: measure.NewHistogram()}
		for range r.Calls / int64(n) {
			iv.Latency.Record(lat)
		}
		r.Intervals = append(r.Intervals, iv)
	}
	return r
}

// Processes started together have their n-th seconds milliseconds apart:
// the merge adds them second by second, so that the interval log of a
// merge still has one interval per second.
func TestSecondsOfProcessesStartedTogetherAdd(t *testing.T) {
	dir := t.TempDir()
	a := withSeconds(result(name, 0, 3*time.Second, repeat(300, time.Millisecond)...), time.Millisecond)
	b := withSeconds(result(name, 4*time.Millisecond, 3*time.Second+4*time.Millisecond, repeat(600, 2*time.Millisecond)...), 2*time.Millisecond)
	run := mergeFiles(t,
		write(t, dir, "a.json", format.Run{Env: env("a"), Results: []*measure.Result{a}}),
		write(t, dir, "b.json", format.Run{Env: env("b"), Results: []*measure.Result{b}}))
	m := run.Results[0]
	if len(m.Intervals) != 3 {
		t.Fatalf("%d intervals; want 3, one per second", len(m.Intervals))
	}
	for i, iv := range m.Intervals {
		if !iv.Start.Equal(t0.Add(time.Duration(i)*time.Second)) || iv.Latency.TotalCount() != 300 {
			t.Errorf("second %d: starts %v with %d calls; want %v with 100+200", i, iv.Start, iv.Latency.TotalCount(), t0.Add(time.Duration(i)*time.Second))
		}
	}
	if a.Intervals[0].Latency.TotalCount() != 100 {
		t.Errorf("merging changed an input's interval: %d calls", a.Intervals[0].Latency.TotalCount())
	}
	var buf bytes.Buffer
	if err := hdrlog.Write(&buf, run.Results); err != nil {
		t.Fatal(err)
	}
	back, err := hdrlog.Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if back[0].Calls != 900 || len(back[0].Intervals) != 3 || back[0].Elapsed != 3*time.Second {
		t.Errorf("interval log of the merge: %d calls in %d intervals over %v; want 900 in 3 seconds", back[0].Calls, len(back[0].Intervals), back[0].Elapsed)
	}
}

func TestWindowsSayHowLongTheProcessesMeasuredTogether(t *testing.T) {
	in := func(start, end time.Duration) merge.Input {
		return merge.Input{Run: format.Run{Results: []*measure.Result{result(name, start, end)}}}
	}
	tests := []struct {
		name            string
		inputs          []merge.Input
		together, union time.Duration
	}{
		{"started together", []merge.Input{in(0, 2*time.Second), in(5*time.Millisecond, 2*time.Second+5*time.Millisecond)}, 1995 * time.Millisecond, 2005 * time.Millisecond},
		{"three, one late", []merge.Input{in(0, 2*time.Second), in(0, 2*time.Second), in(time.Second, 3*time.Second)}, time.Second, 3 * time.Second},
		{"one after the other", []merge.Input{in(0, time.Second), in(2*time.Second, 3*time.Second)}, 0, 3 * time.Second},
	}
	for _, tt := range tests {
		s := merge.Windows(tt.inputs)
		if s.Inputs != len(tt.inputs) || s.Together != tt.together || s.Union != tt.union {
			t.Errorf("%s: %+v; want %d inputs together %v of %v", tt.name, s, len(tt.inputs), tt.together, tt.union)
		}
	}
}

// A server process's running totals at four moments a second apart: the
// two load processes below read it at 0 and 2 s and at 1 and 3 s.
var serverAt = []measure.Totals{
	{Allocs: 1000, AllocB: 10_000, CPU: 1000, CtxSwitches: 100, RWSyscalls: 200},
	{Allocs: 1500, AllocB: 15_000, CPU: 1500, CtxSwitches: 150, RWSyscalls: 250},
	{Allocs: 3500, AllocB: 35_000, CPU: 3500, CtxSwitches: 350, RWSyscalls: 450},
	{Allocs: 5000, AllocB: 50_000, CPU: 5000, CtxSwitches: 500, RWSyscalls: 600},
}

// reads returns server figures as a load process reports them: the
// server processes it read, each from start to end.
func reads(insts ...measure.ServerInstance) *measure.ServerCounters {
	s := &measure.ServerCounters{Servers: len(insts), Instances: insts}
	for _, in := range insts {
		s.Allocs += in.End.Allocs - in.Start.Allocs
		s.AllocB += in.End.AllocB - in.Start.AllocB
		s.CPU += in.End.CPU - in.Start.CPU
		s.CtxSwitches += in.End.CtxSwitches - in.Start.CtxSwitches
		s.RWSyscalls += in.End.RWSyscalls - in.Start.RWSyscalls
	}
	return s
}

func TestMergeCountsEachServerProcessOnce(t *testing.T) {
	for _, tt := range []struct {
		name       string
		a, b       *measure.ServerCounters
		wantAllocs uint64
		wantCtxsw  uint64
		servers    int
		summed     bool
	}{
		{
			name:       "two load processes of one server give what one process over the union window reads",
			a:          reads(measure.ServerInstance{ID: "s", Start: serverAt[0], End: serverAt[2]}),
			b:          reads(measure.ServerInstance{ID: "s", Start: serverAt[1], End: serverAt[3]}),
			wantAllocs: serverAt[3].Allocs - serverAt[0].Allocs, wantCtxsw: serverAt[3].CtxSwitches - serverAt[0].CtxSwitches, servers: 1,
		},
		{
			name:       "two servers add up",
			a:          reads(measure.ServerInstance{ID: "s1", Start: serverAt[0], End: serverAt[2]}),
			b:          reads(measure.ServerInstance{ID: "s2", Start: serverAt[1], End: serverAt[3]}),
			wantAllocs: 2500 + 3500, wantCtxsw: 250 + 350, servers: 2,
		},
		{
			name: "one server shared and one each",
			a: reads(measure.ServerInstance{ID: "s", Start: serverAt[0], End: serverAt[2]},
				measure.ServerInstance{ID: "w1", Start: serverAt[0], End: serverAt[1]}),
			b: reads(measure.ServerInstance{ID: "w2", Start: serverAt[2], End: serverAt[3]},
				measure.ServerInstance{ID: "s", Start: serverAt[1], End: serverAt[3]}),
			wantAllocs: 4000 + 500 + 1500, wantCtxsw: 400 + 50 + 150, servers: 3,
		},
		{
			name:       "results that do not say which server they read are added up, and say so",
			a:          &measure.ServerCounters{Allocs: 2500, CtxSwitches: 250, Servers: 1},
			b:          reads(measure.ServerInstance{ID: "s", Start: serverAt[1], End: serverAt[3]}),
			wantAllocs: 2500 + 3500, wantCtxsw: 250 + 350, servers: 2, summed: true,
		},
		{
			name:       "a server too old to name itself is added up, and says so",
			a:          reads(measure.ServerInstance{Start: serverAt[0], End: serverAt[2]}),
			b:          reads(measure.ServerInstance{Start: serverAt[1], End: serverAt[3]}),
			wantAllocs: 2500 + 3500, wantCtxsw: 250 + 350, servers: 2, summed: true,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			a := result(name, 0, 2*time.Second, repeat(100, time.Millisecond)...)
			b := result(name, time.Second, 3*time.Second, repeat(300, time.Millisecond)...)
			a.Server, b.Server = tt.a, tt.b
			run := mergeFiles(t,
				write(t, dir, "a.json", format.Run{Env: env("a"), Results: []*measure.Result{a}}),
				write(t, dir, "b.json", format.Run{Env: env("b"), Results: []*measure.Result{b}}))
			s := run.Results[0].Server
			if s == nil {
				t.Fatal("no server figures")
			}
			if s.Allocs != tt.wantAllocs || s.CtxSwitches != tt.wantCtxsw || s.Servers != tt.servers || s.Summed != tt.summed {
				t.Errorf("server allocs %d, ctxsw %d, %d servers, summed %v; want %d, %d, %d, %v",
					s.Allocs, s.CtxSwitches, s.Servers, s.Summed, tt.wantAllocs, tt.wantCtxsw, tt.servers, tt.summed)
			}
			var text bytes.Buffer
			if err := format.Text(&text, run); err != nil {
				t.Fatal(err)
			}
			if warned := strings.Contains(text.String(), "times too high"); warned != tt.summed {
				t.Errorf("over-count warning shown %v; want %v:\n%s", warned, tt.summed, text.String())
			}
		})
	}
}

// Merging is associative over a shared server: three load processes merge
// to the same figures in any grouping, one process's file at a time.
func TestMergeOfAServerReadByThreeProcesses(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for i, w := range [][2]int{{1, 2}, {0, 1}, {2, 3}} {
		r := result(name, time.Duration(w[0])*time.Second, time.Duration(w[1])*time.Second, repeat(10, time.Millisecond)...)
		r.Server = reads(measure.ServerInstance{ID: "s", Start: serverAt[w[0]], End: serverAt[w[1]]})
		files = append(files, write(t, dir, string(rune('a'+i))+".json", format.Run{Env: env("h"), Results: []*measure.Result{r}}))
	}
	s := mergeFiles(t, files...).Results[0].Server
	want := serverAt[3].Allocs - serverAt[0].Allocs
	if s == nil || s.Allocs != want || s.Servers != 1 || len(s.Instances) != 1 {
		t.Fatalf("server figures %+v; want %d allocations of one server, its earliest read to its latest", s, want)
	}
	if in := s.Instances[0]; in.Start != serverAt[0] || in.End != serverAt[3] {
		t.Errorf("instance %+v; want from %+v to %+v", in, serverAt[0], serverAt[3])
	}
}
