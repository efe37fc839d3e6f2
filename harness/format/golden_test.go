package format_test

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/rpcbench/rpcbench/harness/format"
	"github.com/rpcbench/rpcbench/measure"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// awkwardRun has what output has got wrong before: a row where every call
// failed, an open-loop row that fell behind, a row of few calls, and
// per-call figures that print as exponents with %g.
func awkwardRun() format.Run {
	run := sampleRun()
	failed := result("codec=json", 0, 0)
	failed.Name = "RPC/codec=json/transport=tcp/payload=arith/conc=1"
	failed.Calls, failed.Errors, failed.FirstError = 0, 12931, "connection is shut down"
	failed.Elapsed = 2 * time.Second
	failed.Allocs = 1
	late := result("codec=gob", 40000, 50*time.Microsecond)
	late.Name = "RPC/codec=gob/transport=tcp/payload=arith/conc=1/rate=20000"
	late.Rate, late.Queued, late.MaxLag = 20000, 1234, 35123456*time.Nanosecond
	late.CPU = 337 * time.Millisecond // 8.425µs a call: 8.425e-06 s/op
	late.SendLag = measure.NewHistogram()
	for i := range 100 { // 40µs to 139µs, and one call behind the others
		late.SendLag.Record(time.Duration(40+i) * time.Microsecond)
	}
	late.SendLag.Record(35123456 * time.Nanosecond)
	late.SummarizeSendLag()
	few := result("codec=msgpack", 76, 40*time.Microsecond)
	few.Name = "RPC/codec=msgpack/transport=unix/payload=arith/conc=1"
	few.Transport = "unix"
	run.Results = append(run.Results, failed, late, few)
	return run
}

func TestGoldenOutputs(t *testing.T) {
	for _, tc := range []struct {
		file  string
		write func(io.Writer, format.Run) error
	}{
		{"text.txt", format.Text},
		{"csv.csv", format.CSV},
		{"markdown.md", format.Markdown},
		{"bench.txt", format.BenchCommented},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.write(&buf, awkwardRun()); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tc.file)
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != string(want) {
				t.Errorf("%s differs from %s (go test -update rewrites it):\n%s", tc.file, golden, got)
			}
		})
	}
}

func TestCSVHasNoExponentsOrInfinities(t *testing.T) {
	var buf bytes.Buffer
	if err := format.CSV(&buf, awkwardRun()); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"e-0", "e+0", "Inf", "∞", "NaN"} {
		if strings.Contains(buf.String(), bad) {
			t.Errorf("CSV contains %q:\n%s", bad, buf.String())
		}
	}
	lines := strings.Split(buf.String(), "\n")
	if !strings.Contains(lines[0], ",calls_per_sec,p50_ns,p90_ns,p99_ns,p999_ns,max_ns,") {
		t.Errorf("header %q lacks the JSON summaries' names", lines[0])
	}
	// The failed row's latency and rate are empty, not zero.
	if !strings.Contains(lines[4], ",0,12931,2000000000,,,,,,,") {
		t.Errorf("failed row %q: want empty calls_per_sec and latencies", lines[4])
	}
}

func TestTextPrintsDashesForRowsWithoutASuccessfulCall(t *testing.T) {
	var buf bytes.Buffer
	format.Text(&buf, awkwardRun())
	for _, l := range strings.Split(buf.String(), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "json") {
			// calls/s, p50, p90, p99, p99.9, max
			if f := strings.Fields(l); strings.Join(f[5:11], " ") != "- - - - - -" {
				t.Errorf("failed row prints calls/s and latencies %q; want dashes", f[5:11])
			}
			return
		}
	}
	t.Fatalf("no json row in:\n%s", buf.String())
}

func TestTextWarnsOfPercentilesFromFewCalls(t *testing.T) {
	var buf bytes.Buffer
	format.Text(&buf, awkwardRun())
	few := regexp.MustCompile(`(?m)^few calls: .*$`).FindAllString(buf.String(), -1)
	if len(few) != 1 || !strings.Contains(few[0], "codec=msgpack/transport=unix: p90, p99, p99.9 from 76 calls") {
		t.Errorf("want one few-calls line, with the warning for 76 calls:\n%s", buf.String())
	}
	if len(few) == 1 && strings.Contains(few[0], "codec=gob") {
		t.Errorf("40000 calls hold every percentile shown:\n%s", buf.String())
	}
}

func TestBehindScheduleIsOneShortLineBenchstatIgnores(t *testing.T) {
	var buf bytes.Buffer
	if err := format.BenchCommented(&buf, awkwardRun()); err != nil {
		t.Fatal(err)
	}
	want := "# behind schedule: RPC/codec=gob/transport=tcp/payload=arith/conc=1/rate=20000: 1234 calls queued (3.1% of the schedule), worst send lag 35.1ms, at 20000 calls/s (these arrivals found no caller free for over 1ms, so less than the rate was offered: raise --concurrency, --pipeline or --max-inflight; latency still counts from the schedule)\n"
	if !strings.Contains(buf.String(), want) {
		t.Fatalf("want the line\n%sin\n%s", want, buf.String())
	}
	rd := benchfmt.NewReader(&buf, "bench.txt")
	n := 0
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Errorf("benchfmt: %v", rec)
		case *benchfmt.Result:
			n++
		}
	}
	if n != 6 {
		t.Errorf("benchfmt read %d results; want 6", n)
	}
}

func TestTheSendLagLineSaysWhatTheGeneratorSpun(t *testing.T) {
	for _, tt := range []struct {
		share float64
		want  string
	}{
		{0, "max 35.1ms ("},
		{0.026, "max 35.1ms, spinning 2.6% of a CPU ("},
		{0.0002, "max 35.1ms, spinning under 0.1% of a CPU ("},
	} {
		run := awkwardRun()
		late := run.Results[len(run.Results)-2]
		late.Spin = time.Duration(tt.share * float64(late.Elapsed))
		var buf bytes.Buffer
		format.Text(&buf, run)
		line := regexp.MustCompile(`(?m)^send lag: .*$`).FindString(buf.String())
		if !strings.Contains(line, tt.want) {
			t.Errorf("spun %.2f%% of the window: send lag line %q, want it to contain %q", 100*tt.share, line, tt.want)
		}
	}
}
