package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/harness/format"
	"github.com/rpcbench/rpcbench/measure"
)

func TestFailOnParses(t *testing.T) {
	tests := []struct {
		in       string
		name, op string
		want     float64
		selector string
		err      string // a part of the error; "" for none
	}{
		{in: "p99<5ms", name: "p99", op: "<", want: 5e6},
		{in: "p99.9 <= 250µs", name: "p99.9", op: "<=", want: 250e3},
		{in: "errors=0", name: "errors", op: "=", want: 0},
		{in: "errors==0", name: "errors", op: "=", want: 0},
		{in: "calls/s>20000", name: "calls/s", op: ">", want: 20000},
		{in: "allocs/op>=2.5", name: "allocs/op", op: ">=", want: 2.5},
		{in: "errors!=3", name: "errors", op: "!=", want: 3},
		{in: "codec=msgpack:p99<5ms", name: "p99", op: "<", want: 5e6, selector: "codec=msgpack"},
		{in: "codec=gob/payload=bytes:1KiB:max<1s", name: "max", op: "<", want: 1e9, selector: "codec=gob/payload=bytes:1KiB"},
		{in: "p99", err: `"p99": want METRIC OP VALUE`},
		{in: "p98<5ms", err: `unknown metric "p98"`},
		{in: "p99<5", err: `p99 wants a duration such as 5ms`},
		{in: "calls/s>lots", err: `calls/s wants a number, not "lots"`},
		{in: "msgpack:p99<5ms", err: `selector "msgpack": want key=value pairs`},
		{in: "errors=-1", err: `errors wants a number, not "-1"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			th, err := parseFailOn(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v; want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if th.name != tt.name || th.op != tt.op || th.want != tt.want || strings.Join(th.selector, "/") != tt.selector {
				t.Errorf("got %s %s %g selector %q; want %s %s %g selector %q", th.name, th.op, th.want, th.selector, tt.name, tt.op, tt.want, tt.selector)
			}
		})
	}
}

// fakeResult is a result of calls calls, errs of them failed, each
// taking lat, over one second.
func fakeResult(name string, calls, errs int64, lat time.Duration) *measure.Result {
	r := &measure.Result{Name: name, Stack: strings.Split(name, "/")[1], Transport: "tcp", Payload: "arith", Concurrency: 1,
		Calls: calls, Errors: errs, Elapsed: time.Second, Latency: measure.NewHistogram()}
	for range calls {
		r.Latency.Record(lat)
	}
	return r
}

func TestFailOnEvaluatesPerRowAndSelectedRows(t *testing.T) {
	gob := fakeResult("RPC/codec=gob/transport=tcp/payload=arith/conc=1", 30000, 0, 2*time.Millisecond)
	msgpack := fakeResult("RPC/codec=msgpack/transport=tcp/payload=arith/conc=1", 10000, 0, 8*time.Millisecond)
	failed := fakeResult("RPC/codec=json/transport=tcp/payload=arith/conc=1", 0, 500, time.Millisecond)
	run := format.Run{Results: []*measure.Result{gob, msgpack, failed}}
	tests := []struct {
		expr   string
		broken []string
	}{
		{"p99<5ms", []string{
			"FAILED p99<5ms: RPC/codec=msgpack/transport=tcp/payload=arith/conc=1: p99 was 8ms",
			"FAILED p99<5ms: RPC/codec=json/transport=tcp/payload=arith/conc=1: p99 has no value: no call succeeded",
		}},
		{"codec=gob:p99<5ms,codec=gob:calls/s>20000", nil},
		{"codec=msgpack:calls/s>20000", []string{"FAILED codec=msgpack:calls/s>20000: RPC/codec=msgpack/transport=tcp/payload=arith/conc=1: calls/s was 10000"}},
		{"errors=0", []string{"FAILED errors=0: RPC/codec=json/transport=tcp/payload=arith/conc=1: errors was 500"}},
		{"codec=thrift:p99<5ms", []string{"FAILED codec=thrift:p99<5ms: no row matches codec=thrift"}},
		{"transport=tcp/codec=gob:max<=2ms", []string{"FAILED transport=tcp/codec=gob:max<=2ms: RPC/codec=gob/transport=tcp/payload=arith/conc=1: max was 2ms"}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			var ts thresholds
			if err := ts.Set(tt.expr); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			err := ts.judge(run.Results).report(&buf)
			if (err != nil) != (len(tt.broken) > 0) || (err != nil && !errors.Is(err, errThresholdsBroken)) {
				t.Errorf("report returned %v with %d broken", err, len(tt.broken))
			}
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			got := lines[:len(lines)-1]
			if strings.Join(got, "\n") != strings.Join(tt.broken, "\n") {
				t.Errorf("broken:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.broken, "\n"))
			}
		})
	}
}

// The real command: the table, then the broken threshold, and the error
// Main turns into exit 99; a bad expression is a usage error (exit 2).
func TestRunFailOnEndToEnd(t *testing.T) {
	base := []string{"run", "--codec", "gob", "--peers", "none", "--calls", "200", "--warmup", "0", "--concurrency", "2", "--conns", "1"}
	tests := []struct {
		failOn string
		want   error
		out    string
	}{
		{"p99<1ns,errors=0", errThresholdsBroken, "FAILED p99<1ns: RPC/codec=gob/transport=tcp/payload=bytes:1KiB/conc=2/conns=1: p99 was "},
		{"errors=0,p99<1h", nil, "thresholds: all 2 checks held (--fail-on errors=0,p99<1h)"},
		{"p99<", errUsage, ""},
	}
	for _, tt := range tests {
		t.Run(tt.failOn, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), &stdout, &stderr, append(base, "--fail-on", tt.failOn))
			if !errors.Is(err, tt.want) && !(err == nil && tt.want == nil) {
				t.Fatalf("error %v; want %v\nstdout:\n%s\nstderr:\n%s", err, tt.want, &stdout, &stderr)
			}
			if tt.want == errUsage {
				if !strings.Contains(stderr.String(), `"p99<"`) {
					t.Errorf("the usage error does not name the expression:\n%s", &stderr)
				}
				return
			}
			if !strings.Contains(stdout.String(), "calls/s") || !strings.Contains(stdout.String(), tt.out) {
				t.Errorf("stdout lacks the table or %q:\n%s", tt.out, &stdout)
			}
			// The broken figure, and only it, is marked in the table.
			if marks := strings.Count(stdout.String(), "✗"); tt.want == nil && marks != 0 || tt.want != nil && marks != 1 {
				t.Errorf("%d figures marked ✗, want %d:\n%s", marks, map[bool]int{true: 1}[tt.want != nil], &stdout)
			}
		})
	}
}
