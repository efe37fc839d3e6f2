package profile_test

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/pprof/profile"

	rprof "github.com/rpcbench/rpcbench/harness/profile"
)

// synthetic builds a CPU profile of calls calls whose samples spend ns
// nanoseconds flat in each named function.
func synthetic(calls int64, ns map[string]int64) *profile.Profile {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:     10_000_000,
		Comments:   []string{"rpcbench calls: " + strconv.FormatInt(calls, 10)},
	}
	id := uint64(1)
	for name, v := range ns {
		fn := &profile.Function{ID: id, Name: name}
		loc := &profile.Location{ID: id, Line: []profile.Line{{Function: fn}}}
		p.Function = append(p.Function, fn)
		p.Location = append(p.Location, loc)
		p.Sample = append(p.Sample, &profile.Sample{Location: []*profile.Location{loc}, Value: []int64{v / 10_000_000, v}})
		id++
	}
	return p
}

func TestComparePerCall(t *testing.T) {
	// The base made 1000 calls: encode 2ms, read 3ms in all. The new run
	// made 2000 calls (twice as many, as a faster window would): read
	// costs the same per call, encode 1µs more per call, and slowEncode
	// is new at 0.5µs per call.
	base := synthetic(1000, map[string]int64{"msgpack.encode": 2_000_000, "net.read": 3_000_000})
	cur := synthetic(2000, map[string]int64{"msgpack.encode": 6_000_000, "net.read": 6_000_000, "msgpack.slowEncode": 1_000_000})
	d, err := rprof.Compare(base, cur, "cpu")
	if err != nil {
		t.Fatal(err)
	}
	want := []rprof.Change{{"msgpack.encode", 1000}, {"msgpack.slowEncode", 500}}
	if len(d.Grew) != len(want) {
		t.Fatalf("Grew = %+v, want %+v", d.Grew, want)
	}
	for i := range want {
		if d.Grew[i] != want[i] {
			t.Errorf("Grew[%d] = %+v, want %+v", i, d.Grew[i], want[i])
		}
	}
	if d.BaseCalls != 1000 || d.NewCalls != 2000 {
		t.Errorf("calls %d, %d", d.BaseCalls, d.NewCalls)
	}
}

func TestCompareWantsCallCounts(t *testing.T) {
	p := synthetic(1, map[string]int64{"f": 1})
	p.Comments = nil
	if _, err := rprof.Compare(p, p, "cpu"); err == nil || !strings.Contains(err.Error(), "no call count") {
		t.Errorf("err = %v, want no call count", err)
	}
}

func TestExplainNamesTheFunction(t *testing.T) {
	base, cur := t.TempDir(), t.TempDir()
	const bench = "RPC/codec=msgpack/transport=tcp/payload=bytes:1KiB/conc=4"
	alloc := synthetic(1, map[string]int64{"x": 1}) // not read for sec/op
	if err := rprof.Save(base, bench, synthetic(1000, map[string]int64{"msgpack.encode": 2_000_000}), alloc); err != nil {
		t.Fatal(err)
	}
	if err := rprof.Save(cur, bench, synthetic(1000, map[string]int64{"msgpack.encode": 2_000_000, "msgpack.slowEncode": 4_000_000}), alloc); err != nil {
		t.Fatal(err)
	}
	lines, err := rprof.Explain(base, cur, bench, "sec/op")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(lines, "\n")
	want := "CPU per call that grew most (profiles of 1000 and 1000 calls):\n  +4µs  msgpack.slowEncode\ngo tool pprof -diff_base=" +
		filepath.Join(base, "profiles", "RPC_codec=msgpack_transport=tcp_payload=bytes-1KiB_conc=4.cpu.pb.gz") + " " +
		filepath.Join(cur, "profiles", "RPC_codec=msgpack_transport=tcp_payload=bytes-1KiB_conc=4.cpu.pb.gz")
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if lines, err := rprof.Explain(base, t.TempDir(), bench, "sec/op"); lines != nil || err != nil {
		t.Errorf("one side without profiles: %q, %v; want nothing", lines, err)
	}
	if lines, err := rprof.Explain(base, cur, bench, "wire-B/op"); lines != nil || err != nil {
		t.Errorf("wire-B/op: %q, %v; want nothing", lines, err)
	}
}

func TestCaptureRecordsCalls(t *testing.T) {
	cpu, alloc, err := rprof.Capture(func() (int64, error) {
		var keep [][]byte
		for i := range 1000 {
			keep = append(keep, make([]byte, 1024+i))
		}
		_ = keep
		return 1000, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*profile.Profile{cpu, alloc} {
		if n, err := rprof.Calls(p); n != 1000 || err != nil {
			t.Errorf("Calls = %d, %v; want 1000", n, err)
		}
	}
	if alloc.DefaultSampleType != "alloc_space" {
		t.Errorf("alloc profile's default sample type %q", alloc.DefaultSampleType)
	}
}

func TestPreemptedLoopIsBlamedOnItsFunction(t *testing.T) {
	base := synthetic(100, map[string]int64{"main.work": 1_000_000})
	cur := synthetic(100, map[string]int64{"main.work": 1_000_000})
	spin := &profile.Function{ID: 10, Name: "msgpack.slowEncode"}
	pre := &profile.Function{ID: 11, Name: "runtime.asyncPreempt"}
	l1 := &profile.Location{ID: 10, Line: []profile.Line{{Function: pre}}}
	l2 := &profile.Location{ID: 11, Line: []profile.Line{{Function: spin}}}
	cur.Function = append(cur.Function, spin, pre)
	cur.Location = append(cur.Location, l1, l2)
	cur.Sample = append(cur.Sample, &profile.Sample{Location: []*profile.Location{l1, l2}, Value: []int64{1, 10_000_000}})
	d, err := rprof.Compare(base, cur, "cpu")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Grew) != 1 || d.Grew[0].Func != "msgpack.slowEncode" {
		t.Errorf("Grew = %+v, want msgpack.slowEncode alone", d.Grew)
	}
}
