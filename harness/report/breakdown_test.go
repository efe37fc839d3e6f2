package report_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/harness/report"
	"github.com/rpcbench/rpcbench/measure"
)

func TestBreakdownsGetATableAndAStackedBarPerStack(t *testing.T) {
	msgpack := result("codec=msgpack", 1, 0, 30*time.Microsecond)
	msgpack.Breakdown = &measure.Breakdown{Calls: 1000, CPU: 12 * time.Microsecond, Samples: 300,
		PerCall: map[string]float64{"encode": 1500, "decode": 2500, "syscall": 5000, "sched": 3000}}
	floor := result("peer=floor", 1, 0, 20*time.Microsecond)
	floor.Breakdown = &measure.Breakdown{Calls: 2000, CPU: 5 * time.Microsecond, Samples: 300,
		PerCall: map[string]float64{"syscall": 4000, "sched": 1000}}
	grpc := result("peer=grpc", 1, 0, 60*time.Microsecond) // measured without a breakdown
	in := input("results/explain", msgpack, grpc, floor)

	md := markdown(t, in.Run.Results)
	for _, want := range []string{
		"| stack | callers | profiled | cpu/op | codec encode | codec decode | net/rpc | framing & buffers | read/write syscalls | scheduler | GC | rpcbench recording | other |",
		"| msgpack | 1 | 12.00µs | 12.00µs | 1.50 (12%) | 2.50 (21%) | 0.00 (0%) | 0.00 (0%) | 5.00 (42%) | 3.00 (25%) | 0.00 (0%) | 0.00 (0%) | 0.00 (0%) |",
		"| peer=floor | 1 | 5.000µs | 5.000µs | 0.00 (0%) | 0.00 (0%) | 0.00 (0%) | 0.00 (0%) | 4.00 (80%) | 1.00 (20%) |",
		"![Where the CPU per call goes, bytes:1KiB (tcp, 1 caller)](charts/breakdown-bytes-1KiB-tcp-c1.svg)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("missing %q in\n%s", want, md)
		}
	}
	if strings.Contains(md, "| peer=grpc | 1 | ") {
		t.Error("a row without a breakdown is in the breakdown table")
	}
	svg := charts(t, in)["charts/breakdown-bytes-1KiB-tcp-c1.svg"]
	texts := svgTexts(svg)
	for _, want := range []string{"msgpack", "peer=floor", "12", "5", "codec encode", "other"} {
		if !slices.Contains(texts, want) {
			t.Errorf("the chart lacks the text %q: %q", want, texts)
		}
	}
	if slices.Contains(texts, "peer=grpc") {
		t.Error("the chart has a bar for a row without a breakdown")
	}
	// Nine stacked bars (one per category) for each of the two stacks,
	// each category in its own colour.
	for i := range measure.Categories() {
		if n := strings.Count(svg, "fill:"+strings.ToUpper(paletteHex(i))); n < 2 {
			t.Errorf("category %d's colour %s fills %d shapes; want its two bars and its legend", i, paletteHex(i), n)
		}
	}
}

func paletteHex(i int) string {
	return []string{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f"}[i]
}

func TestAPooledConfigurationKeepsTheProfiledRunsBreakdown(t *testing.T) {
	plain := result("codec=msgpack", 1, 0, 30*time.Microsecond)
	profiled := result("codec=msgpack", 1, 0, 31*time.Microsecond)
	profiled.Breakdown = &measure.Breakdown{Calls: 1000, CPU: 12 * time.Microsecond, PerCall: map[string]float64{"encode": 12000}}
	md := markdown(t, []*measure.Result{plain, profiled})
	if !strings.Contains(md, "| msgpack | 1 | 12.00µs | 12.00µs | 12.00 (100%) |") {
		t.Errorf("the breakdown of the second repetition is lost:\n%s", md)
	}
	if plain.Breakdown != nil {
		t.Error("the report changed a result it read")
	}
}

func TestBreakdownsFromARunOfTheirOwnAreNotPooled(t *testing.T) {
	matrix := input("results/matrix", result("codec=msgpack", 1, 0, 30*time.Microsecond), result("peer=floor", 1, 0, 20*time.Microsecond))
	profiled := result("codec=msgpack", 1, 0, 300*time.Microsecond) // another day, another machine
	profiled.Breakdown = &measure.Breakdown{Calls: 1000, CPU: 12 * time.Microsecond, PerCall: map[string]float64{"encode": 12000}}
	r, err := report.New("rpcbench report", []report.Input{matrix}, report.ChartDir, report.WithBreakdowns(input("results/explain", profiled)))
	if err != nil {
		t.Fatal(err)
	}
	md := string(r.Markdown)
	for _, want := range []string{
		"| msgpack | tcp | 1 | 33333 | 30.02µs |", // the matrix's figures alone
		"| msgpack | 1 | 12.00µs | 12.00µs | 12.00 (100%) |",
		"| results/explain | `rpcbench matrix -o results/explain` |",
		"Where the CPU per call goes is taken from results/explain, run with --profile on its own",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("missing %q in\n%s", want, md)
		}
	}
}
