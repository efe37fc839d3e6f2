package report_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/harness/format"
	"github.com/rpcbench/rpcbench/harness/report"
	"github.com/rpcbench/rpcbench/measure"
)

// costs are one configuration's per-call figures, for synthetic results.
type costs struct {
	lat                      time.Duration
	allocs, bytes, ctxsw, rw uint64
}

// measured makes a closed-loop result of stack at payload and conc whose
// every call took c.lat and cost c's counts.
func measured(stack, payload string, conc int, c costs) *measure.Result {
	const calls = 1000
	r := &measure.Result{
		Name:  "RPC/" + stack + "/transport=tcp/payload=" + payload + "/conc=" + strconv.Itoa(conc),
		Stack: stack, Transport: "tcp", Payload: payload, Concurrency: conc, Conns: conc, Pipeline: 1,
		Calls: calls, Elapsed: calls * c.lat / time.Duration(conc), Latency: measure.NewHistogram(),
		Allocs: calls * c.allocs, AllocB: calls * c.bytes, CPU: calls * c.lat / 2,
		CtxSwitches: calls * c.ctxsw, RWSyscalls: calls * c.rw,
	}
	for range calls {
		r.Latency.Record(c.lat)
	}
	return r
}

func markdown(t *testing.T, results []*measure.Result, opts ...report.Option) string {
	t.Helper()
	in := report.Input{Path: "results/synthetic", Run: format.Run{Results: results}}
	r, err := report.New("rpcbench report", []report.Input{in}, report.ChartDir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return string(r.Markdown)
}

func TestHardeningCosts(t *testing.T) {
	var results []*measure.Result
	for _, conc := range []int{1, 16} {
		results = append(results,
			measured("codec=gob", "bytes:1KiB", conc, costs{lat: 100 * time.Microsecond, allocs: 24, bytes: 700}),
			measured("peer=stdlib-gob", "bytes:1KiB", conc, costs{lat: 80 * time.Microsecond, allocs: 20, bytes: 600}),
			measured("codec=json", "bytes:1KiB", conc, costs{lat: 90 * time.Microsecond, allocs: 30, bytes: 2000}),
			measured("peer=stdlib-json", "bytes:1KiB", conc, costs{lat: 120 * time.Microsecond, allocs: 40, bytes: 2500}),
			measured("peer=floor", "bytes:1KiB", conc, costs{lat: 20 * time.Microsecond, allocs: 1, bytes: 30}),
		)
	}
	md := markdown(t, results)
	for _, want := range []string{
		"## What hardening costs\n",
		"- Hardened gob makes 4.0 more allocs/op and 100 more B/op than net/rpc's own, and its p50 is 25% higher and its calls/s 20% lower (medians over 2 configurations).\n",
		"- Hardened json makes 10.0 fewer allocs/op and 500 fewer B/op than net/rpc's own, and its p50 is 25% lower and its calls/s 33% higher (medians over 2 configurations).\n",
		"### Hardening: payload bytes:1KiB\n",
		"| gob | tcp | 16 | 24.0 | 20.0 | +4.0 | 700 | 600 | +100 |",
		"| json | tcp | 1 | 30.0 | 40.0 | -10.0 | 2000 | 2500 | -500 |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// A row per codec and concurrency, no more: the floor is not paired.
	section := md[strings.Index(md, "### Hardening"):]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	if rows := strings.Count(section, "\n| "); rows != 5 { // the header and 4
		t.Errorf("hardening table has %d rows, want the header and 4:\n%s", rows, section)
	}

	without := markdown(t, results[:1])
	if strings.Contains(without, "hardening") || strings.Contains(without, "Hardening") {
		t.Errorf("a run without the standard library's peers has a hardening section:\n%s", without)
	}
}

func TestHiddenCosts(t *testing.T) {
	var results []*measure.Result
	for _, conc := range []int{1, 16} {
		results = append(results,
			measured("codec=gob", "arith", conc, costs{lat: 60 * time.Microsecond, ctxsw: 3, rw: 4}),
			measured("codec=msgpack", "arith", conc, costs{lat: 50 * time.Microsecond, ctxsw: 2, rw: 4}),
			measured("peer=floor", "arith", conc, costs{lat: 20 * time.Microsecond, ctxsw: 1, rw: 2}),
			measured("peer=grpc", "arith", conc, costs{lat: 70 * time.Microsecond, ctxsw: 5, rw: 6}),
		)
	}
	results = append(results,
		measured("peer=floor-mux", "arith", 16, costs{lat: 25 * time.Microsecond, ctxsw: 1, rw: 2}),
		measured("codec=gob", "arith", 4, costs{lat: 60 * time.Microsecond, ctxsw: 9, rw: 9}))

	md := markdown(t, results)
	for _, want := range []string{
		"## Costs allocs/op cannot show\n",
		"At 16 callers, net/rpc's codecs take a median of 2.50 context switches and 4.00 read/write system calls per call, against floor-mux's 1.00 and 2.00: 2.50× and 2.00× (medians over 2 configurations of codec and payload). Both multiplex the same callers over the same connections with a reader goroutine per connection, so the 150% more context switches per call are hand-offs net/rpc adds on top",
		"They also make 100% more reads and writes per call.",
		"| gob | tcp | 16 | 3.00 | 4.00 | 0.0 | 60.03µs | 3.00 | 2.00 |",
		"| msgpack | tcp | 1 | 2.00 | 4.00 | 0.0 | 50.02µs | - | - |",
		"| peer=floor | tcp | 1 | 1.00 | 2.00 |",
		"| peer=floor-mux | tcp | 16 | 1.00 | 2.00 |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md[strings.Index(md, "## Costs"):])
		}
	}
	hidden := md[strings.Index(md, "### Hand-offs"):]
	if strings.Contains(hidden, "| peer=grpc |") || strings.Contains(hidden, "| gob | tcp | 4 |") {
		t.Errorf("hand-offs table shows gRPC or 4 callers:\n%s", hidden)
	}

	// Results from before the counters existed: no section at all.
	for _, r := range results {
		r.CtxSwitches, r.RWSyscalls = 0, 0
	}
	if md := markdown(t, results); strings.Contains(md, "allocs/op cannot show") || strings.Contains(md, "Hand-offs") {
		t.Errorf("results without counters have a hidden-costs section:\n%s", md)
	}
	// Without floor-mux, the table but no sentence.
	results[0].CtxSwitches = 1000
	if md := markdown(t, results[:len(results)-2]); !strings.Contains(md, "## Costs allocs/op cannot show") || strings.Contains(md, "At 16 callers") {
		t.Errorf("without floor-mux, want the table and no sentence:\n%s", md)
	}
}

func TestGateValidation(t *testing.T) {
	dir := t.TempDir()
	if _, err := report.ReadGateValidation(dir); err == nil {
		t.Error("ReadGateValidation of a directory without summary.json: no error")
	}
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, report.GateValidationFile), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"aa": {"pairs": 0}}`)
	if _, err := report.ReadGateValidation(dir); err == nil || !strings.Contains(err.Error(), "have 0 and 0") {
		t.Errorf("ReadGateValidation of a summary without pairs: %v, want an error naming the counts", err)
	}
	write(`{"repetitions": 5, "load": "rpcbench run --codec msgpack --calls 2000",
		"aa": {"pairs": 20, "false_alarms": 1, "time_alarms": 1, "exact_alarms": 0, "inconclusive": 2, "compared_raw": 20},
		"slowdown": {"percent": 15, "pairs": 20, "caught": 19, "failed": 19, "inconclusive": 1},
		"work": {"flag": "--work 200us", "exit": 2, "refused": true},
		"gomaxprocs": {"exit": 0, "ratios": false, "first_line": "gate: time compared raw"},
		"verdict": "FAIL"}`)
	v, err := report.ReadGateValidation(dir)
	if err != nil {
		t.Fatal(err)
	}
	md := markdown(t, []*measure.Result{measured("codec=gob", "arith", 1, costs{lat: time.Millisecond})}, report.WithGateValidation("results/gate-validation", v))
	for _, want := range []string{
		"## Can the gate be trusted?\n",
		"`scripts/gate-validate.sh 20` (results in results/gate-validation)",
		"burns 15% of a call's CPU",
		"Overall: **FAIL**.",
		"Each repetition was one process running `rpcbench run --codec msgpack --calls 2000`.",
		"| A/A, no change | 20 | the gate failed in 1 (a row flagged on a time unit in 1, on an exact count in 0); 2 inconclusive; 20 of 20 compared raw | 5% | at most 5% |",
		"| 15% CPU slowdown | 20 | caught on a time unit in 19; the gate failed in 19; 1 inconclusive | 95% | at least 95% |",
		"| `--work 200us` on one side | 1 | exit 2; refused as a configuration mismatch naming work |",
		"| GOMAXPROCS=1 on one side | 1 | exit 0; did not say it compared ratios to the floor |",
		"The GOMAXPROCS=1 gate's first line: `gate: time compared raw`",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if md := markdown(t, []*measure.Result{measured("codec=gob", "arith", 1, costs{lat: time.Millisecond})}); strings.Contains(md, "gate be trusted") {
		t.Error("a report without --gate-validation shows the gate's validation")
	}
}
