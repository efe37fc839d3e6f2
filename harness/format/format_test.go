package format_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/perf/benchfmt"

	"github.com/rpcbench/rpcbench/harness/format"
	"github.com/rpcbench/rpcbench/measure"
)

// result makes a result whose every call took lat.
func result(stack string, calls int64, lat time.Duration) *measure.Result {
	r := &measure.Result{
		Name:  "RPC/" + stack + "/transport=tcp/payload=arith/conc=1",
		Stack: stack, Transport: "tcp", Payload: "arith", Concurrency: 1, Conns: 1, Pipeline: 1,
		Calls: calls, Elapsed: time.Duration(calls) * lat, Latency: measure.NewHistogram(),
		Allocs: uint64(calls) * 3, AllocB: uint64(calls) * 100, CPU: time.Duration(calls) * lat / 2, WireBytes: calls * 40,
	}
	for range calls {
		r.Latency.Record(lat)
	}
	return r
}

func sampleRun() format.Run {
	return format.Run{
		Env: measure.Env{GoVersion: "go1.26", GOOS: "linux", GOARCH: "amd64", GOMAXPROCS: 2, CPU: "Test CPU", Kernel: "6.1", Version: "abc"},
		Results: []*measure.Result{
			result("codec=msgpack", 1000, 30*time.Microsecond),
			result("peer=grpc", 1000, 60*time.Microsecond),
			result("peer=floor", 1000, 20*time.Microsecond),
		},
	}
}

func TestBenchstatReadsBenchOutput(t *testing.T) {
	var buf bytes.Buffer
	if err := format.Bench(&buf, sampleRun()); err != nil {
		t.Fatal(err)
	}
	rd := benchfmt.NewReader(&buf, "run.txt")
	var names []string
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Fatalf("benchfmt cannot read our output: %v", rec)
		case *benchfmt.Result:
			names = append(names, string(rec.Name))
			if rec.Iters != 1000 {
				t.Errorf("%s: iterations %d; want the 1000 calls", rec.Name, rec.Iters)
			}
			if v, ok := rec.Value("sec/op"); !ok {
				t.Errorf("%s: no sec/op", rec.Name)
			} else if strings.Contains(string(rec.Name), "msgpack") && v != 30e-6 {
				t.Errorf("%s: sec/op %g; want 30e-6 (ns/op tidied)", rec.Name, v)
			}
			if v, _ := rec.Value("p50-sec"); strings.Contains(string(rec.Name), "floor") && (v < 19.9e-6 || v > 20.1e-6) {
				t.Errorf("%s: p50-sec %g; want 20µs", rec.Name, v)
			}
			if v, _ := rec.Value("wire-B/op"); v != 40 {
				t.Errorf("%s: wire-B/op %g; want 40", rec.Name, v)
			}
			if v, _ := rec.Value("allocs/op"); v != 3 {
				t.Errorf("%s: allocs/op %g; want 3", rec.Name, v)
			}
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	want := "RPC/codec=msgpack/transport=tcp/payload=arith/conc=1-2"
	if len(names) != 3 || names[0] != want {
		t.Fatalf("names %q; want three, the first %q", names, want)
	}
}

func TestTextShowsRatiosToTheFloorAndGRPC(t *testing.T) {
	var buf bytes.Buffer
	if err := format.Text(&buf, sampleRun()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	fields := strings.Fields(lines[1]) // msgpack
	// p50 30µs over the floor's 20µs; calls/s 33333 over gRPC's 16667.
	if got := fields[len(fields)-3:]; got[0] != "1.50" || got[1] != "2.00" || got[2] != "0" {
		t.Fatalf("msgpack row ends %q; want p50 ×floor 1.50, calls/s ×grpc 2.00, errors 0\n%s", got, buf.String())
	}
}

func TestTextShoutsAboutErrors(t *testing.T) {
	run := sampleRun()
	run.Results[0].Errors = 7
	run.Results[0].FirstError = "connection reset"
	var buf bytes.Buffer
	format.Text(&buf, run)
	if !strings.Contains(buf.String(), "ERRORS: RPC/codec=msgpack") || !strings.Contains(buf.String(), "7 calls failed; first: connection reset") {
		t.Fatalf("errors not reported:\n%s", buf.String())
	}
}

func TestJSONRoundTripsHistograms(t *testing.T) {
	var buf bytes.Buffer
	run := sampleRun()
	if err := format.JSON(&buf, run); err != nil {
		t.Fatal(err)
	}
	back, err := format.ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Results[0].Latency.TotalCount(); got != 1000 {
		t.Fatalf("histogram count after JSON = %d; want 1000", got)
	}
	if err := back.Results[0].Merge(run.Results[0]); err != nil {
		t.Fatal(err)
	}
	if got := back.Results[0].Latency.TotalCount(); got != 2000 || back.Results[0].Calls != 2000 {
		t.Fatalf("merged: %d recorded, %d calls; want 2000 and 2000", got, back.Results[0].Calls)
	}
}

func TestARowWithNoSuccessfulCallShowsDashesNotZero(t *testing.T) {
	r := result("codec=json", 0, 0)
	r.Errors, r.FirstError = 12931, "connection is shut down"
	var out bytes.Buffer
	if err := format.Text(&out, format.Run{Results: []*measure.Result{r}, Wide: true}); err != nil {
		t.Fatal(err)
	}
	row := strings.Split(out.String(), "\n")[1]
	if strings.Contains(row, "0ns") || strings.Count(row, " - ") < 10 || !strings.HasSuffix(strings.TrimSpace(row), "12931") {
		t.Errorf("a row of failed calls shows figures:\n%s", out.String())
	}
}

func TestAnInterruptedRunSaysSoInEveryFormat(t *testing.T) {
	run := sampleRun()
	run.Interrupted = true
	run.Results[len(run.Results)-1].Interrupted = true
	var text, bench, js bytes.Buffer
	format.Text(&text, run)
	format.Bench(&bench, run)
	format.JSON(&js, run)
	if !strings.Contains(text.String(), "INTERRUPTED") || !strings.Contains(text.String(), "*") {
		t.Errorf("text does not mark the interrupted run and row:\n%s", text.String())
	}
	if !strings.Contains(bench.String(), "\ninterrupted: true\n") {
		t.Errorf("bench has no interrupted: true configuration line:\n%s", bench.String())
	}
	if !strings.Contains(js.String(), `"interrupted": true`) {
		t.Errorf("JSON does not say interrupted")
	}
	back, err := format.ReadJSON(&js)
	if err != nil || !back.Interrupted || !back.Results[len(back.Results)-1].Interrupted {
		t.Errorf("JSON read back: interrupted %v, err %v", back.Interrupted, err)
	}
}

// Every JSON result carries its summary as numbers, so that
// jq '.results[].p99_ns' answers without an HDR decoder.
func TestJSONCarriesSummaries(t *testing.T) {
	var buf bytes.Buffer
	if err := format.JSON(&buf, sampleRun()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Results []map[string]any `json:"results"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	// msgpack: 1000 calls of 30µs each, back to back.
	want := map[string]float64{"calls_per_sec": 1e9 / 30e3, "p50_ns": 30e3, "p90_ns": 30e3, "p99_ns": 30e3, "p999_ns": 30e3, "max_ns": 30e3}
	for key, w := range want {
		got, ok := doc.Results[0][key].(float64)
		if !ok || got < w*0.999 || got > w*1.001 {
			t.Errorf("%s = %#v; want the number %g", key, doc.Results[0][key], w)
		}
	}
	if _, ok := doc.Results[0]["latency"].(string); !ok {
		t.Errorf("latency = %#v; want the encoded histogram beside the summary", doc.Results[0]["latency"])
	}
}

func TestTextShowsSpreadWithRepetitions(t *testing.T) {
	run := format.Run{Results: []*measure.Result{
		result("codec=gob", 1000, 90*time.Microsecond),
		result("codec=gob", 1000, 100*time.Microsecond),
		result("codec=gob", 1000, 110*time.Microsecond),
	}}
	var buf bytes.Buffer
	if err := format.Text(&buf, run); err != nil {
		t.Fatal(err)
	}
	// p50 100µs, the farthest repetition 10µs away.
	if !strings.Contains(buf.String(), "100µs ±10%") {
		t.Errorf("no p50 with its spread in:\n%s", buf.String())
	}
	run.Results = run.Results[:1]
	buf.Reset()
	format.Text(&buf, run)
	if strings.Contains(buf.String(), "±") {
		t.Errorf("one repetition has no spread to show:\n%s", buf.String())
	}
}

// A default run's table, five repetitions of a dozen stacks each with its
// spread, fits 120 columns; --wide (Run.Wide) shows every column.
func TestTheTextTableFits120ColumnsUnlessWide(t *testing.T) {
	var run format.Run
	for rep := range 5 {
		for _, s := range []string{"codec=gob", "codec=json", "codec=msgpack", "codec=protobuf", "codec=thrift-compact", "peer=grpc", "peer=thrift", "peer=stdlib-json", "peer=floor"} {
			r := result(s, 1000+int64(rep)*37, time.Duration(1234+rep*71)*time.Microsecond)
			r.Name = "RPC/" + s + "/transport=tcp/payload=bytes:64KiB/conc=16"
			r.Payload, r.Concurrency, r.Pipeline = "bytes:64KiB", 16, 8
			run.Results = append(run.Results, r)
		}
	}
	var out bytes.Buffer
	if err := format.Text(&out, run); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(out.String(), "\n") {
		if n := utf8.RuneCountInString(l); n > format.TableWidth && !strings.HasPrefix(l, "few calls") {
			t.Errorf("a line of %d characters:\n%s", n, out.String())
			break
		}
	}
	if !strings.Contains(out.String(), "±") || !strings.Contains(out.String(), "--wide adds") {
		t.Errorf("want spreads and a word on --wide:\n%s", out.String())
	}
	t.Logf("\n%s", out.String())
	out.Reset()
	run.Wide = true
	format.Text(&out, run)
	for _, head := range []string{"calls", "p90", "p99.9", "max", "B/op", "wire-B/op", "transport", "payload"} {
		if !regexp.MustCompile(`(^|\s)` + regexp.QuoteMeta(head) + `\s`).MatchString(strings.Split(out.String(), "\n")[0]) {
			t.Errorf("--wide lacks %s:\n%s", head, out.String())
		}
	}
}

// A spread on a median near zero is said in the unit, not as a share of
// almost nothing (allocs/op 0.0 ±80325%).
func TestASpreadOnANearZeroMedianIsAbsolute(t *testing.T) {
	var run format.Run
	for _, allocs := range []uint64{0, 1, 3, 803} { // per 1000 calls: 0, 0.001, 0.003, 0.803 a call
		r := result("peer=floor", 1000, 20*time.Microsecond)
		r.Allocs = allocs
		run.Results = append(run.Results, r)
	}
	var out bytes.Buffer
	format.Text(&out, run)
	if regexp.MustCompile(`±\d{3,}%`).MatchString(out.String()) || !strings.Contains(out.String(), "0.0 ±0.8") {
		t.Errorf("want allocs/op 0.0 ±0.8:\n%s", out.String())
	}
}

// CSV says what each row ran: its workload, direction, the other
// direction's load and the server's work per call.
func TestCSVSaysWorkloadDirAndWork(t *testing.T) {
	r := result("codec=msgpack", 1000, 30*time.Microsecond)
	r.Workload, r.Dir, r.Against, r.Delay = "duplex", "up", "bytes:64KiBx4", "sleep 200µs"
	var out bytes.Buffer
	if err := format.CSV(&out, format.Run{Results: []*measure.Result{r, result("peer=floor", 1000, 20*time.Microsecond)}}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\n")
	if !strings.Contains(lines[0], ",rate_per_sec,workload,dir,against,work,") || !strings.Contains(lines[1], ",0,duplex,up,bytes:64KiBx4,sleep 200µs,") || !strings.Contains(lines[2], ",0,call,,,,") {
		t.Errorf("want workload, dir, against and work columns:\n%s", out.String())
	}
}
