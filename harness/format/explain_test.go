package format_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/harness/format"
	"github.com/rpcbench/rpcbench/measure"
)

func TestExplainPutsEachRowsCategoriesBesideTheFloors(t *testing.T) {
	run := sampleRun()
	run.Results[0].Breakdown = &measure.Breakdown{Calls: 1000, CPU: 10 * time.Microsecond, Samples: 400,
		PerCall: map[string]float64{"encode": 2000, "syscall": 5000, "sched": 3000}}
	run.Results[2].Breakdown = &measure.Breakdown{Calls: 2000, CPU: 4 * time.Microsecond, Samples: 400,
		PerCall: map[string]float64{"syscall": 3000, "other": 1000}}
	// A profile that saw half the CPU the process used says so.
	run.Results[1].Breakdown = &measure.Breakdown{Calls: 10, CPU: 20 * time.Microsecond, Samples: 400,
		PerCall: map[string]float64{"rpc": 10000}}
	var buf bytes.Buffer
	if err := format.Text(&buf, run); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"where the CPU per call goes, from a profiled repetition of its own, the floor's of the same run in brackets where it spent any (encode: codec encode, ",
		"  msgpack tcp arith 1: 10µs = encode 2µs 20%, syscall 5µs 50% [3µs 75%], sched 3µs 30%, other 0ns 0.0% [1µs 25%] (1000 calls, 400 samples, profile 100% of cpu/op 10µs)\n",
		"  peer=floor tcp arith 1: 4µs = syscall 3µs 75%, other 1µs 25% (2000 calls, 400 samples, profile 100% of cpu/op 4µs)\n",
		"  peer=grpc tcp arith 1: 10µs = rpc 10µs 100%, syscall 0ns 0.0% [3µs 75%], other 0ns 0.0% [1µs 25%] (10 calls, 400 samples, profile 50% of cpu/op 20µs, off by more than the tolerance: too few samples, lengthen --duration)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	run = sampleRun()
	buf.Reset()
	format.Text(&buf, run)
	if strings.Contains(buf.String(), "where the CPU") {
		t.Errorf("a run without --explain explains:\n%s", buf.String())
	}
}
