package gate_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"

	"github.com/rpcbench/rpcbench/harness/compare"
	"github.com/rpcbench/rpcbench/harness/gate"
)

// envFile renders a run with CONTRACTS 3's environment lines: codec rows
// at codecNs and floor rows at floorNs per call, 3% noise, count rounds.
func envFile(t *testing.T, seed uint64, procs int, codecNs, floorNs float64, suffix string) *compare.File {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	var b strings.Builder
	fmt.Fprintf(&b, "goos: linux\ngoarch: amd64\ncpu: Test CPU\ngo: go1.26.8\nkernel: 6.1.0\ngomaxprocs: %d\nrpcbench: test\n", procs)
	for range 8 {
		for _, s := range []struct {
			stack string
			ns    float64
		}{{"codec=msgpack", codecNs}, {"peer=floor", floorNs}} {
			ns := s.ns * (1 + 0.03*rng.NormFloat64())
			fmt.Fprintf(&b, "BenchmarkRPC/%s/transport=tcp/payload=bytes:1KiB/conc=4%s-%d\t1000\t%.0f ns/op\t%.0f p50-ns\t13 allocs/op\n", s.stack, suffix, procs, ns, 0.8*ns)
		}
	}
	f, err := compare.Read(strings.NewReader(b.String()), fmt.Sprintf("seed%d", seed))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestVerdictFollowsRawNumbers is the promise: on one machine a
// run whose raw time rose is never "improved", and one whose time fell
// never a regression, however the floor moved.
func TestVerdictFollowsRawNumbers(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 0))
	for i := range 200 {
		codec := 60_000 * (0.5 + 1.5*rng.Float64())
		floor := 25_000 * (0.5 + 2*rng.Float64()) // moves independently, as load does
		base := envFile(t, uint64(2*i), 2, 60_000, 25_000, "")
		cur := envFile(t, uint64(2*i+1), 2, codec, floor, "")
		rep, err := gate.Run(base, cur, gate.Options{Units: []string{"sec/op", "p50-sec"}})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Raw {
			t.Fatalf("same environment compared as ratios: %s", rep.Method)
		}
		for _, row := range rep.Rows {
			if row.Ratio {
				t.Fatalf("%s %s: a ratio on one machine", row.Name, row.Unit)
			}
			if row.Verdict == gate.Improved && !(row.New < row.Old) || row.Verdict == gate.Regression && !(row.New > row.Old) {
				t.Errorf("codec at %.0fns, floor at %.0fns: %s %s %v from %.0f to %.0f", codec, floor, row.Name, row.Unit, row.Verdict, row.Old, row.New)
			}
		}
	}
}

func TestMethod(t *testing.T) {
	base := envFile(t, 1, 2, 60_000, 25_000, "")
	tests := []struct {
		name  string
		cur   *compare.File
		opts  gate.Options
		raw   bool
		first string
	}{
		{"the same environment compares raw", envFile(t, 2, 2, 60_000, 25_000, ""), gate.Options{}, true, "time compared raw: same environment"},
		{"GOMAXPROCS=1 compares ratios and says why", envFile(t, 2, 1, 60_000, 25_000, ""), gate.Options{}, false, "time compared as ratios to the in-run peer=floor (×floor), repetition by repetition: the environments differ (gomaxprocs: baseline 2, new 1)"},
		{"--same-machine overrides", envFile(t, 2, 1, 60_000, 25_000, ""), gate.Options{SameMachine: true}, true, "time compared raw: --same-machine"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := gate.Run(base, tt.cur, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Raw != tt.raw || !strings.HasPrefix(rep.Method, tt.first) {
				t.Errorf("Raw %v, Method %q; want %v, %q...", rep.Raw, rep.Method, tt.raw, tt.first)
			}
			var text strings.Builder
			rep.Text(&text)
			if first, _, _ := strings.Cut(text.String(), "\n"); first != "gate: "+rep.Method {
				t.Errorf("first line %q, want the method", first)
			}
		})
	}
}

// A floor that moved beyond the threshold leaves the ratios to it
// undecided whichever way they point: the codec 10% faster in raw time
// with the floor 60% slower looks 45% faster as a ratio, and with the
// floor 80% faster 5 times slower; neither is claimed.
func TestFloorMovedDecidesNothing(t *testing.T) {
	base := envFile(t, 1, 2, 60_000, 25_000, "")
	for _, tt := range []struct {
		floorNs float64
		moved   string
	}{{40_000, "sec/op +6"}, {5_000, "sec/op -7"}} {
		cur := envFile(t, 2, 1, 54_000, tt.floorNs, "")
		rep, err := gate.Run(base, cur, gate.Options{Units: []string{"sec/op", "allocs/op"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.FloorMoved) != 1 || !strings.Contains(rep.FloorMoved[0], tt.moved) {
			t.Errorf("FloorMoved = %q, want one warning naming %sx%%", rep.FloorMoved, tt.moved)
		}
		for _, row := range rep.Rows {
			want := gate.OK
			if row.Unit == "sec/op" {
				want = gate.Warning
			}
			if row.Verdict != want {
				t.Errorf("floor at %.0fns: %s %s %v, want %v", tt.floorNs, row.Name, row.Unit, row.Verdict, want)
			}
		}
		if rep.Verdict() != gate.Warning {
			t.Errorf("floor at %.0fns: verdict %v, want a warning", tt.floorNs, rep.Verdict())
		}
	}
}

func TestConfigurationMismatch(t *testing.T) {
	base := envFile(t, 1, 2, 60_000, 25_000, "")
	tests := []struct {
		suffix string
		keys   []string
	}{
		{"/work=200us", []string{"work"}},
		{"/pipeline=8/busy", []string{"busy", "pipeline"}},
		{"/conns=2", []string{"conns"}},
	}
	for _, tt := range tests {
		t.Run(tt.suffix, func(t *testing.T) {
			_, err := gate.Run(base, envFile(t, 2, 2, 60_000, 25_000, tt.suffix), gate.Options{})
			var mm *compare.MismatchError
			if !errors.As(err, &mm) {
				t.Fatalf("err = %v, want a *compare.MismatchError", err)
			}
			if got := mm.Keys(); !slices.Equal(got, tt.keys) {
				t.Errorf("keys %q, want %q", got, tt.keys)
			}
			for _, k := range tt.keys {
				if !strings.Contains(err.Error(), k+": baseline (default), new ") {
					t.Errorf("error does not name %s:\n%v", k, err)
				}
			}
		})
	}
}

// TestGoldenInputsFollowRawNumbers checks the verdict of every golden
// pair that ran in one environment against its raw medians.
func TestGoldenInputsFollowRawNumbers(t *testing.T) {
	dir := filepath.Join("..", "..", "cli", "testdata")
	base, err := compare.Open(filepath.Join(dir, "rpc-base.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"rpc-slow.txt", "rpc-floor-slowed.txt"} {
		cur, err := compare.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := gate.Run(base, cur, gate.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Raw {
			t.Fatalf("%s: %s", name, rep.Method)
		}
		for _, row := range rep.Rows {
			if row.Verdict == gate.Improved && !(row.New < row.Old) || row.Verdict == gate.Regression && !(row.New > row.Old) {
				t.Errorf("%s: %s %s %v from %g to %g", name, row.Name, row.Unit, row.Verdict, row.Old, row.New)
			}
		}
	}
}

func TestCountWarnings(t *testing.T) {
	for _, tt := range []struct {
		count int
		want  string
	}{
		{1, "need >= 4 samples to detect a difference at alpha level 0.05"},
		{3, "need >= 4 samples to detect a difference at alpha level 0.05"},
		{4, ""},
		{10, ""},
	} {
		var got string
		if w := gate.CountWarnings(tt.count, 0); len(w) > 0 {
			got = w[0].Error()
		}
		if got != tt.want {
			t.Errorf("CountWarnings(%d) = %q, want %q", tt.count, got, tt.want)
		}
	}
}

// ctxsw/op and rw-syscalls/op are noisy counts: a significant change
// fails only beyond their own, larger threshold.
func TestNoisyCounts(t *testing.T) {
	file := func(seed uint64, ctxsw, rw float64) *compare.File {
		rng := rand.New(rand.NewPCG(seed, 1))
		var b strings.Builder
		b.WriteString("cpu: Test CPU\ngo: go1.26.8\nkernel: 6.1.0\ngomaxprocs: 2\n")
		for range 8 {
			fmt.Fprintf(&b, "BenchmarkRPC/codec=gob/transport=tcp/payload=arith/conc=1-2\t1000\t%.3f ctxsw/op\t%.3f rw-syscalls/op\n",
				ctxsw*(1+0.02*rng.NormFloat64()), rw*(1+0.02*rng.NormFloat64()))
		}
		f, err := compare.Read(strings.NewReader(b.String()), "f")
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	base := file(1, 2, 4)
	for _, tt := range []struct {
		name       string
		ctxsw, rw  float64
		ctx, rwant gate.Verdict
	}{
		{"a 15% rise is within the noise", 2.3, 4.6, gate.OK, gate.OK},
		{"a 40% rise fails", 2.8, 4, gate.Regression, gate.OK},
		{"a halving improves", 2, 2, gate.OK, gate.Improved},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := gate.Run(base, file(2, tt.ctxsw, tt.rw), gate.Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]gate.Verdict{}
			for _, r := range rep.Rows {
				got[r.Unit] = r.Verdict
			}
			if got["ctxsw/op"] != tt.ctx || got["rw-syscalls/op"] != tt.rwant {
				t.Errorf("ctxsw/op %v, rw-syscalls/op %v; want %v, %v", got["ctxsw/op"], got["rw-syscalls/op"], tt.ctx, tt.rwant)
			}
		})
	}
}

func TestInterruptedRunIsNoted(t *testing.T) {
	base := envFile(t, 1, 2, 60_000, 25_000, "")
	cur := envFile(t, 2, 2, 60_000, 25_000, "")
	cur.Results[0].Config = append(cur.Results[0].Config, benchfmt.Config{Key: "interrupted", Value: []byte("true"), File: true})
	rep, err := gate.Run(base, cur, gate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.HasPrefix(n, "the new run was interrupted") }) {
		t.Errorf("notes %q do not say the new run was interrupted", rep.Notes)
	}
}
