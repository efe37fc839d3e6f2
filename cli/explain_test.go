package cli

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/harness/format"
	"github.com/rpcbench/rpcbench/measure"
)

// TestExplainBlamesASlowedEncoderOnEncode checks run --explain's
// categories against a known change: one -tags gateslow build, run with
// and without its msgpack encode path burning RPCBENCH_GATESLOW of CPU
// per message (twice a call: request and reply). "encode" must grow by
// about the burn and each other category by little (a quarter of the
// burn, beyond three standard errors of its sample counts: a sample is
// 10ms of CPU; the scheduler and system calls by less than the burn),
// and the categories must add up to about the repetition's own cpu/op.
func TestExplainBlamesASlowedEncoderOnEncode(t *testing.T) {
	if testing.Short() {
		t.Skip("builds rpcbench and measures; not with -short")
	}
	bin := filepath.Join(t.TempDir(), "rpcbench-gateslow")
	cmd := exec.Command("go", "build", "-tags", "gateslow", "-o", bin, "./cmd/rpcbench")
	cmd.Dir = ".."
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	const burn = 20 * time.Microsecond
	explain := func(slow time.Duration) *measure.Breakdown {
		var out, errs bytes.Buffer
		cmd := exec.Command(bin, "run", "--explain", "--codec", "msgpack", "--peers", "none", "--payload", "bytes:1KiB",
			"--concurrency", "1", "--duration", "1500ms", "--warmup", "200ms", "--format", "json")
		cmd.Env = append(os.Environ(), "RPCBENCH_GATESLOW="+slow.String())
		cmd.Stdout, cmd.Stderr = &out, &errs
		if err := cmd.Run(); err != nil {
			t.Fatalf("run: %v\n%s", err, errs.String())
		}
		run, err := format.ReadJSON(&out)
		if err != nil || len(run.Results) != 1 || run.Results[0].Breakdown == nil {
			t.Fatalf("no breakdown in the JSON: %v", err)
		}
		b := run.Results[0].Breakdown
		t.Logf("RPCBENCH_GATESLOW=%v: %.0f ns/call profiled of cpu/op %v, %d samples: %v", slow, b.Total(), b.CPU, b.Samples, b.PerCall)
		if ratio := b.Total() / float64(b.CPU); math.Abs(ratio-1) > format.ProfileTolerance(b) {
			t.Errorf("the categories add up to %.0f%% of cpu/op, beyond the tolerance of ±%.0f%%", 100*ratio, 100*format.ProfileTolerance(b))
		}
		return b
	}
	// A busy machine can move a category beyond its tolerance in one
	// pair of runs (the scheduler's share, when the machine's other load
	// changes between them): a pair is measured again once, and the test
	// fails only when both pairs fail. A category that really took the
	// burn does so in both.
	var failures []string
	for attempt := 1; attempt <= 2; attempt++ {
		failures = compareBreakdowns(explain(0), explain(burn), 2*burn)
		if len(failures) == 0 {
			return
		}
		t.Logf("pair %d: %v", attempt, failures)
	}
	for _, f := range failures {
		t.Error(f)
	}
}

// compareBreakdowns says how slow, measured with burn more CPU per call
// in the encoder, departs from base: encode must grow by about burn, and
// every other category move by little.
func compareBreakdowns(base, slow *measure.Breakdown, burn time.Duration) (failures []string) {
	want := float64(burn)
	if grew := slow.PerCall["encode"] - base.PerCall["encode"]; grew < 0.75*want || grew > 1.5*want {
		failures = append(failures, fmt.Sprintf("encode grew by %.0f ns per call, want about %.0f", grew, want))
	}
	// variance is the sampling variance of a category's ns per call:
	// its samples are a Poisson count, each worth Total/Samples.
	variance := func(b *measure.Breakdown, key string) float64 {
		per := b.Total() / float64(max(b.Samples, 1))
		return b.PerCall[key] * per
	}
	for _, c := range measure.Categories() {
		if c.Key == "encode" {
			continue
		}
		d := slow.PerCall[c.Key] - base.PerCall[c.Key]
		noise := 3 * math.Sqrt(variance(base, c.Key)+variance(slow, c.Key))
		switch c.Key {
		case "sched", "syscall":
			// With one caller, a longer call leaves the process idle for
			// longer per call, and each idle spell costs the scheduler's
			// spinning and futex sleeps and wakes: these two grow with the
			// call's length whatever slows it (by 22-30µs and 15-25µs of a
			// 40µs burn, here). The burn itself would add all of itself.
			if d > want+noise {
				failures = append(failures, fmt.Sprintf("%s grew by %.0f ns per call, beyond the burn's %.0f", c.Key, d, want+noise))
			}
		default:
			// A quarter of the burn besides the sampling noise: nothing
			// else takes the burn itself.
			if tol := 0.25*want + noise; math.Abs(d) > tol {
				failures = append(failures, fmt.Sprintf("%s moved by %.0f ns per call, beyond %.0f", c.Key, d, tol))
			}
		}
	}
	return failures
}
