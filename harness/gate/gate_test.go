package gate_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rpcbench/rpcbench/harness/compare"
	"github.com/rpcbench/rpcbench/harness/gate"
)

// A stack is one row of a synthetic run: its medians, before noise.
type stack struct {
	name   string  // "codec=msgpack", "peer=floor"
	ns     float64 // ns/op; p50 and CPU per call follow from it
	allocs float64
	bytes  float64 // B/op
}

// machine shapes a synthetic run: how fast the machine is and how many
// repetitions, rpcbench-style, round by round.
type machine struct {
	seed  uint64
	count int
	speed float64   // every time is multiplied by this
	drift []float64 // and, if set, round i's by drift[i]
}

var (
	msgpack = stack{"codec=msgpack", 60_000, 13, 3300}
	floor   = stack{"peer=floor", 25_000, 1, 250}
)

// run renders a synthetic rpcbench bench file. Times get 3% normal noise,
// B/op 2%, allocs/op a tenth of an allocation of background noise (as a
// process-wide count over a window has); wire bytes are exact.
func run(t *testing.T, m machine, stacks ...stack) *compare.File {
	t.Helper()
	rng := rand.New(rand.NewPCG(m.seed, 0))
	noisy := func(v, sd float64) float64 { return v * (1 + sd*rng.NormFloat64()) }
	var b strings.Builder
	b.WriteString("goos: linux\ngoarch: amd64\npkg: github.com/rpcbench/rpcbench\n")
	for i := range m.count {
		speed := m.speed
		if m.drift != nil {
			speed *= m.drift[i]
		}
		for _, s := range stacks {
			name := "RPC/" + s.name + "/transport=tcp/payload=bytes:1KiB/conc=4"
			if strings.HasPrefix(s.name, "codec=") {
				name += "/conns=2" // the floor's name doesn't have it
			}
			ns := noisy(s.ns*speed, 0.03)
			fmt.Fprintf(&b, "Benchmark%s-2\t%d\t%.0f ns/op\t%.1f calls/s\t%.0f p50-ns\t%.0f p99-ns\t%.0f cpu-ns/op\t2094 wire-B/op\t%.0f B/op\t%.3f allocs/op\t0 errors\n",
				name, 10000, ns, 4e9/ns, noisy(0.8*s.ns*speed, 0.03), noisy(3*s.ns*speed, 0.2), noisy(0.5*s.ns*speed, 0.03),
				noisy(s.bytes, 0.02), s.allocs+0.1*rng.Float64())
		}
	}
	f, err := compare.Read(strings.NewReader(b.String()), fmt.Sprintf("seed%d", m.seed))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func slower(s stack, factor float64) stack { s.ns *= factor; return s }

const row = "RPC/codec=msgpack/transport=tcp/payload=bytes:1KiB/conc=4/conns=2"

func TestVerdicts(t *testing.T) {
	var (
		base  = machine{seed: 1, count: 10, speed: 1}
		again = machine{seed: 2, count: 10, speed: 1}
	)
	ok := map[string]gate.Verdict{"sec/op": gate.OK, "p50-sec": gate.OK, "cpu-sec/op": gate.OK, "allocs/op": gate.OK, "B/op": gate.OK, "wire-B/op": gate.OK, "errors": gate.OK}
	with := func(changes map[string]gate.Verdict) map[string]gate.Verdict {
		out := make(map[string]gate.Verdict)
		for u, v := range ok {
			out[u] = v
		}
		for u, v := range changes {
			out[u] = v
		}
		return out
	}
	tests := []struct {
		name     string
		old, new *compare.File
		opts     gate.Options
		want     map[string]gate.Verdict // msgpack's row, by unit
		overall  gate.Verdict
	}{{
		name: "two honest runs of the same build pass",
		old:  run(t, base, msgpack, floor), new: run(t, again, msgpack, floor),
		want: ok, overall: gate.OK,
	}, {
		name: "times 15% slower fail",
		old:  run(t, base, msgpack, floor), new: run(t, again, slower(msgpack, 1.15), floor),
		want:    with(map[string]gate.Verdict{"sec/op": gate.Regression, "p50-sec": gate.Regression, "cpu-sec/op": gate.Regression}),
		overall: gate.Regression,
	}, {
		name: "times 15% faster are improvements",
		old:  run(t, base, msgpack, floor), new: run(t, again, slower(msgpack, 0.85), floor),
		want:    with(map[string]gate.Verdict{"sec/op": gate.Improved, "p50-sec": gate.Improved, "cpu-sec/op": gate.Improved}),
		overall: gate.OK,
	}, {
		name: "calls/s dropping 13% fails",
		old:  run(t, base, msgpack, floor), new: run(t, again, slower(msgpack, 1.15), floor),
		opts: gate.Options{Units: []string{"calls/s"}},
		want: map[string]gate.Verdict{"calls/s": gate.Regression}, overall: gate.Regression,
	}, {
		name: "a change under the threshold passes",
		old:  run(t, base, msgpack, floor), new: run(t, again, slower(msgpack, 1.05), floor),
		want: ok, overall: gate.OK,
	}, {
		name: "a per-unit threshold overrides the default",
		old:  run(t, base, msgpack, floor), new: run(t, again, slower(msgpack, 1.15), floor),
		opts:    gate.Options{Thresholds: map[string]float64{"p50-sec": 0.25, "cpu-sec/op": 0.25}},
		want:    with(map[string]gate.Verdict{"sec/op": gate.Regression}),
		overall: gate.Regression,
	}, {
		name: "one more allocation per call fails",
		old:  run(t, base, msgpack, floor), new: run(t, again, stack{msgpack.name, msgpack.ns, msgpack.allocs + 1, msgpack.bytes}, floor),
		want: with(map[string]gate.Verdict{"allocs/op": gate.Regression}), overall: gate.Regression,
	}, {
		name: "B/op 15% higher fails",
		old:  run(t, base, msgpack, floor), new: run(t, again, stack{msgpack.name, msgpack.ns, msgpack.allocs, msgpack.bytes * 1.15}, floor),
		want: with(map[string]gate.Verdict{"B/op": gate.Regression}), overall: gate.Regression,
	}, {
		name: "three samples are too few to decide a time unit",
		old:  run(t, machine{seed: 1, count: 3, speed: 1}, msgpack, floor), new: run(t, machine{seed: 2, count: 3, speed: 1}, slower(msgpack, 1.15), floor),
		want:    with(map[string]gate.Verdict{"sec/op": gate.Warning, "p50-sec": gate.Warning, "cpu-sec/op": gate.Warning, "B/op": gate.Warning}),
		overall: gate.Warning,
	}, {
		name: "a uniformly 7% slower machine passes as ratios to the floor",
		old:  run(t, base, msgpack, floor), new: run(t, machine{seed: 2, count: 10, speed: 1.07}, msgpack, floor),
		want: ok, overall: gate.OK,
	}, {
		name: "a codec-only slowdown on a 7% slower machine fails",
		old:  run(t, base, msgpack, floor), new: run(t, machine{seed: 2, count: 10, speed: 1.07}, slower(msgpack, 1.15), floor),
		want:    with(map[string]gate.Verdict{"sec/op": gate.Regression, "p50-sec": gate.Regression, "cpu-sec/op": gate.Regression}),
		overall: gate.Regression,
	}, {
		name: "a codec-only speed-up on a 7% slower machine is an improvement",
		old:  run(t, base, msgpack, floor), new: run(t, machine{seed: 2, count: 10, speed: 1.07}, slower(msgpack, 0.85), floor),
		want:    with(map[string]gate.Verdict{"sec/op": gate.Improved, "p50-sec": gate.Improved, "cpu-sec/op": gate.Improved}),
		overall: gate.OK,
	}, {
		name: "on a 30% slower machine the floor moved: time is undecided, whichever way it went",
		old:  run(t, base, msgpack, floor), new: run(t, machine{seed: 2, count: 10, speed: 1.3}, slower(msgpack, 1.15), floor),
		want:    with(map[string]gate.Verdict{"sec/op": gate.Warning, "p50-sec": gate.Warning, "cpu-sec/op": gate.Warning}),
		overall: gate.Warning,
	}, {
		name: "drift within a run cancels repetition by repetition",
		old:  run(t, base, msgpack, floor),
		new:  run(t, machine{seed: 2, count: 10, speed: 1, drift: []float64{1, 1.3, 0.7, 1.6, 0.6, 1, 1.4, 0.8, 1.1, 0.9}}, msgpack, floor),
		want: ok, overall: gate.OK,
	}, {
		name: "same-machine mode takes a uniformly slower machine for a regression",
		old:  run(t, base, msgpack, floor), new: run(t, machine{seed: 2, count: 10, speed: 1.3}, msgpack, floor),
		opts:    gate.Options{SameMachine: true},
		want:    with(map[string]gate.Verdict{"sec/op": gate.Regression, "p50-sec": gate.Regression, "cpu-sec/op": gate.Regression}),
		overall: gate.Regression,
	}, {
		name: "without a floor, time is a warning unless same-machine",
		old:  run(t, base, msgpack), new: run(t, again, msgpack),
		want:    with(map[string]gate.Verdict{"sec/op": gate.Warning, "p50-sec": gate.Warning, "cpu-sec/op": gate.Warning}),
		overall: gate.Warning,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := gate.Run(tt.old, tt.new, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := make(map[string]gate.Verdict)
			for _, r := range rep.Rows {
				if r.Name == row {
					got[r.Unit] = r.Verdict
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) || rep.Verdict() != tt.overall {
				var b strings.Builder
				rep.Text(&b)
				t.Errorf("verdicts %v, overall %v; want %v, overall %v\n%s", got, rep.Verdict(), tt.want, tt.overall, b.String())
			}
		})
	}
}

// The gate's two conditions are both needed: a 5% slowdown over ten
// low-noise samples is significant, and still passes under the 10%
// threshold.
func TestSignificantButSmallPasses(t *testing.T) {
	rep, err := gate.Run(run(t, machine{seed: 1, count: 10, speed: 1}, msgpack, floor), run(t, machine{seed: 2, count: 10, speed: 1}, slower(msgpack, 1.05), floor), gate.Options{Units: []string{"sec/op"}})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Rows[0]
	if r.Comparison.P > 0.05 || r.Verdict != gate.OK || r.Change < 0.02 || r.Change > 0.08 {
		t.Fatalf("p=%.3f change %+.1f%% verdict %v; want p <= 0.05, a change near +5%%, ok", r.Comparison.P, 100*r.Change, r.Verdict)
	}
}

func TestTooFewSamplesSaysHowMany(t *testing.T) {
	rep, err := gate.Run(run(t, machine{seed: 1, count: 3, speed: 1}, msgpack, floor), run(t, machine{seed: 2, count: 3, speed: 1}, msgpack, floor), gate.Options{Units: []string{"sec/op"}})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	rep.Text(&b)
	if !strings.Contains(b.String(), "need >= 4 samples to detect a difference at alpha level 0.05") || !strings.Contains(b.String(), "gate: INCONCLUSIVE") {
		t.Fatalf("the warning doesn't say how many samples are needed:\n%s", b.String())
	}
}

// An A/A pair across many seeds stays green: the gate must not cry wolf.
func TestAAPassesAcrossSeeds(t *testing.T) {
	for seed := range uint64(50) {
		rep, err := gate.Run(run(t, machine{seed: 2 * seed, count: 5, speed: 1}, msgpack, floor), run(t, machine{seed: 2*seed + 1, count: 5, speed: 1}, msgpack, floor), gate.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if v := rep.Verdict(); v != gate.OK {
			var b strings.Builder
			rep.Text(&b)
			t.Errorf("seed %d: %v\n%s", seed, v, b.String())
		}
	}
}

func TestNoCommonBenchmarks(t *testing.T) {
	old := run(t, machine{seed: 1, count: 5, speed: 1}, msgpack, floor)
	other, err := compare.Read(strings.NewReader("BenchmarkOther-2 100 5 ns/op\n"), "other.txt")
	if err != nil {
		t.Fatal(err)
	}
	_, err = gate.Run(old, other, gate.Options{})
	var nc *gate.NoCommonError
	if !errors.As(err, &nc) {
		t.Fatalf("err = %v; want a NoCommonError", err)
	}
}

func TestFilterKeepsTheFloorForRatios(t *testing.T) {
	sel := compare.Selection{Codecs: []string{"msgpack"}}
	f, err := sel.Filter()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := gate.Run(run(t, machine{seed: 1, count: 10, speed: 1}, msgpack, floor), run(t, machine{seed: 2, count: 10, speed: 1.07}, slower(msgpack, 1.15), floor), gate.Options{Filter: f, Units: []string{"sec/op"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 1 || rep.Rows[0].Name != row || !rep.Rows[0].Ratio || rep.Rows[0].Verdict != gate.Regression {
		var b strings.Builder
		rep.Text(&b)
		t.Fatalf("want one msgpack sec/op row, as a ratio to the floor, a regression:\n%s", b.String())
	}
}

func TestBenchmarksOnOneSideAreListed(t *testing.T) {
	thrift := stack{"codec=thrift", 75_000, 18, 4100}
	rep, err := gate.Run(run(t, machine{seed: 1, count: 5, speed: 1}, msgpack, thrift, floor), run(t, machine{seed: 2, count: 5, speed: 1}, msgpack, floor), gate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "RPC/codec=thrift/transport=tcp/payload=bytes:1KiB/conc=4/conns=2"
	if len(rep.OnlyOld) != 1 || rep.OnlyOld[0] != want || len(rep.OnlyNew) != 0 || rep.Verdict() != gate.OK {
		t.Fatalf("only in baseline %q, only in new %q, verdict %v; want [%s], none, ok", rep.OnlyOld, rep.OnlyNew, rep.Verdict(), want)
	}
}

// allocsFile is a bench file of msgpack's allocs/op, one repetition a
// value.
func allocsFile(t *testing.T, allocs []float64, add float64) *compare.File {
	t.Helper()
	var b strings.Builder
	for _, a := range allocs {
		fmt.Fprintf(&b, "BenchmarkRPC/codec=msgpack/transport=tcp/payload=bytes:1KiB/conc=1-2\t2000\t%.4g allocs/op\n", a+add)
	}
	f, err := compare.Read(strings.NewReader(b.String()), "allocs")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestAllocsWithinTheirOwnSpreadPass: allocs/op counted over windows of
// 2000 calls, as scripts/gate-validate.sh's A/A pair 13 measured them
// from one build, spread from 9.65 to 10.93 and their medians differ by
// 0.52: that is no regression. Neither is a median 0.95 higher when the
// repetitions spread over two allocations and overlap. One more
// allocation per call on top of the measured spread is a regression.
func TestAllocsWithinTheirOwnSpreadPass(t *testing.T) {
	a := []float64{10.59, 9.73, 10.85, 9.653, 9.736, 10.04, 10.57, 10.13, 10.59, 9.792}
	b := []float64{10.67, 9.849, 10.78, 10.93, 10.76, 10.26, 10.83, 9.943, 10.54, 9.954}
	wide := []float64{9, 11, 9, 11, 9, 11, 9, 11, 9.5, 10.5}
	wider := []float64{9, 11, 9, 11, 9, 11, 9, 11, 10.9, 11.3}
	for _, tc := range []struct {
		name     string
		old, new []float64
		add      float64
		want     gate.Verdict
	}{
		{"the same build", a, b, 0, gate.OK},
		{"a rise past the tolerance within a wide spread", wide, wider, 0, gate.OK},
		{"one more allocation per call", a, a, 1, gate.Regression},
		{"one fewer", a, a, -1, gate.Improved},
		{"too few samples to test, past the tolerance", []float64{9.73, 9.653}, []float64{10.67, 10.78}, 0, gate.Regression},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := gate.Run(allocsFile(t, tc.old, 0), allocsFile(t, tc.new, tc.add), gate.Options{Units: []string{"allocs/op"}})
			if err != nil {
				t.Fatal(err)
			}
			if r := rep.Rows[0]; r.Verdict != tc.want {
				var s strings.Builder
				rep.Text(&s)
				t.Fatalf("verdict %v, want %v:\n%s", r.Verdict, tc.want, s.String())
			}
		})
	}
}

// TestExactCountsStayExact: a count the same in every repetition fails
// on any rise past the tolerance, however many repetitions.
func TestExactCountsStayExact(t *testing.T) {
	rep, err := gate.Run(allocsFile(t, []float64{10, 10, 10, 10, 10}, 0), allocsFile(t, []float64{11, 11, 11, 11, 11}, 0), gate.Options{Units: []string{"allocs/op"}})
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Rows[0]; r.Verdict != gate.Regression || r.Tested {
		t.Fatalf("verdict %v (tested %v), want an untested regression", r.Verdict, r.Tested)
	}
}

// Two runs whose every repetition gave the same figure changed nothing:
// the U test cannot rank them ("all samples are equal"), and the gate
// passes them rather than calling them inconclusive.
func TestEqualFiguresPass(t *testing.T) {
	file := func(name string) *compare.File {
		var b strings.Builder
		for range 5 {
			b.WriteString("BenchmarkRPC/codec=gob/transport=tcp/payload=arith/conc=1-2\t1000\t1172 B/op\t20000 ns/op\n")
		}
		f, err := compare.Read(strings.NewReader(b.String()), name)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	rep, err := gate.Run(file("old"), file("new"), gate.Options{Units: []string{"B/op", "sec/op"}, SameMachine: true})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	rep.Text(&b)
	if rep.Verdict() != gate.OK || strings.Contains(b.String(), "all samples are equal") {
		t.Errorf("verdict %v, want ok:\n%s", rep.Verdict(), b.String())
	}
}
