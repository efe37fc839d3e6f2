package format_test

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"

	"github.com/rpcbench/rpcbench/harness/format"
)

func TestBenchLinesCarryTheEnvironment(t *testing.T) {
	for _, interrupted := range []bool{false, true} {
		run := sampleRun()
		run.Results[2].Interrupted = interrupted
		run.Results[0].CtxSwitches, run.Results[0].RWSyscalls = 1500, 4000
		var buf bytes.Buffer
		if err := format.Bench(&buf, run); err != nil {
			t.Fatal(err)
		}
		rd := benchfmt.NewReader(&buf, "run.txt")
		var first *benchfmt.Result
		for rd.Scan() {
			if r, ok := rd.Result().(*benchfmt.Result); ok && first == nil {
				first = r.Clone()
			}
		}
		if err := rd.Err(); err != nil || first == nil {
			t.Fatalf("read back: %v, %v", first, err)
		}
		want := map[string]string{"goos": "linux", "goarch": "amd64", "cpu": "Test CPU", "go": "go1.26",
			"kernel": "6.1", "gomaxprocs": "2", "rpcbench": "abc", "interrupted": ""}
		if interrupted {
			want["interrupted"] = "true"
		}
		for k, v := range want {
			if got := first.GetConfig(k); got != v {
				t.Errorf("interrupted %v: config %s = %q; want %q", interrupted, k, got, v)
			}
		}
		if v, _ := first.Value("ctxsw/op"); v != 1.5 {
			t.Errorf("ctxsw/op %g; want 1.5", v)
		}
		if v, _ := first.Value("rw-syscalls/op"); v != 4 {
			t.Errorf("rw-syscalls/op %g; want 4", v)
		}
	}
}

func TestBenchNamesHaveNoSuffixAtOneProc(t *testing.T) {
	run := sampleRun()
	run.Env.GOMAXPROCS = 1 // as go test -bench writes it
	var buf bytes.Buffer
	if err := format.Bench(&buf, run); err != nil {
		t.Fatal(err)
	}
	if want := "BenchmarkRPC/codec=msgpack/transport=tcp/payload=arith/conc=1 "; !strings.Contains(buf.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, buf.String())
	}
}
