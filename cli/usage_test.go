package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestMisuseExitsTwoWithOneLine checks every usage error the command line
// knows: exit status 2, a message naming the bad value, and one line with
// a pointer to --help rather than the whole usage.
func TestMisuseExitsTwoWithOneLine(t *testing.T) {
	tests := []struct {
		args []string
		want string // in the message
	}{
		{[]string{"run", "--codec", "nope"}, `unknown codec "nope"`},
		{[]string{"run", "--payload", "bytes:-1"}, `--payload "bytes:-1"`},
		{[]string{"run", "--rate", "-5"}, `--rate "-5": want a number of calls/s, 0 or more`},
		{[]string{"run", "--duration", "0"}, "--duration 0s: want a positive duration"},
		{[]string{"run", "--concurrency", "0"}, `--concurrency "0": want positive integers`},
		{[]string{"run", "--conc", "4,x"}, `--concurrency "x"`},
		{[]string{"run", "--format", "yaml"}, `--format "yaml": want text, bench, json`},
		{[]string{"run", "--check-every", "0"}, "--check-every 0: want at least 1"},
		{[]string{"run", "--work", "-1ms"}, "--work -1ms: want a positive think time"},
		{[]string{"run", "--busy"}, "--busy spins for --work per call: give --work too"},
		{[]string{"run", "--codec", "gob", "--codecs", "json"}, "--codec and --codecs are two spellings of one flag"},
		{[]string{"run", "--payloads", "arith", "--payload", "arith"}, "--payload and --payloads are two spellings"},
		{[]string{"run", "--calls", "-3"}, "--calls -3"},
		{[]string{"run", "--conns", "0"}, "--conns 0: want at least 1"},
		{[]string{"run", "--max-inflight", "8"}, "--max-inflight 8: applies to an open loop; add --rate"},
		{[]string{"run", "--rate", "100", "--max-inflight", "-1"}, "--max-inflight -1: want a positive number"},
		{[]string{"run", "--timeout", "0s"}, "--timeout 0s"},
		{[]string{"run", "--stall", "soon"}, `--stall "soon"`},
		{[]string{"run", "--duration", "forever"}, `--duration "forever": want a duration such as 2s, 500ms or 1m30s`},
		{[]string{"run", "--warmup", "abc"}, `--warmup "abc": want a duration such as 2s`},
		{[]string{"run", "--count", "x"}, `--count "x": want a whole number such as 16`},
		{[]string{"run", "--busy=maybe"}, `--busy "maybe": want true or false`},
		{[]string{"run", "--find-max", "p99<20ms,errors=0"}, `--find-max "p99<20ms,errors=0": --find-max takes one objective, such as p99<20ms`},
		{[]string{"run", "--nope"}, "flag provided but not defined: -nope"},
		{[]string{"run", "extra"}, `unexpected argument "extra"`},
		{[]string{"run", "--transport", "carrier-pigeon"}, `--transport "carrier-pigeon"`},
		{[]string{"run", "--net", "mars"}, "--net"},
		{[]string{"run", "--addr", "127.0.0.1:1", "--codec", "all"}, `--codec "all" with --addr or --listen: the server at 127.0.0.1:1 speaks one codec`},
		{[]string{"run", "--addr", "127.0.0.1:1", "--codec", "gob,json"}, `--codec "gob,json" with --addr`},
		{[]string{"run", "--addr", "127.0.0.1:1", "--peers", "grpc"}, `--peers "grpc" with --addr or --listen: peers are references measured in this process`},
		{[]string{"run", "--listen", "127.0.0.1:0"}, "--listen \"127.0.0.1:0\": only --transport reverse or duplex listens"},
		{[]string{"run", "--insecure", "--pin", strings.Repeat("ab", 32)}, "--insecure, --ca and --pin"},
		{[]string{"run", "-o", "/proc/nonexistent/out.txt"}, `-o "/proc/nonexistent/out.txt": cannot write there`},
		{[]string{"run", "--codec", "none", "--peers", "none"}, "nothing to measure"},
		{[]string{"matrix"}, "-o DIR is required"},
		{[]string{"matrix", "-o", "/proc/nonexistent/dir"}, `-o "/proc/nonexistent/dir"`},
		{[]string{"matrix", "--format", "json", "-o", "x"}, "flag provided but not defined: -format"},
		{[]string{"call"}, "want METHOD and its JSON arguments"},
		{[]string{"call", "Arith.Multiply", `{"a":1}`}, "--addr is required"},
		{[]string{"call", "--addr", "127.0.0.1:1", "Arith.Multiply", "1", "2"}, "want METHOD and one JSON argument, got 3"},
		{[]string{"call", "--addr", "127.0.0.1:1", "Arith.Multiply", `{"x":1}`}, `Arith.Multiply: argument "{\"x\":1}": json: unknown field "x"`},
		{[]string{"call", "--addr", "127.0.0.1:1", "Arith.Multiply"}, "Arith.Multiply: want its JSON argument"},
		{[]string{"call", "--addr", "127.0.0.1:1", "Arith.Multiply", "@/nonexistent/args.json"}, "ARGS @/nonexistent/args.json"},
		{[]string{"call", "--addr", "127.0.0.1:1", "--codec", "nope", "M", "1"}, `unknown codec "nope"`},
		{[]string{"call", "--addr", "127.0.0.1:1", "--peers", "none", "M", "1"}, "flag provided but not defined: -peers"},
		{[]string{"serve", "--transport", "pipe"}, "--transport pipe: a pipe is in-process only"},
		{[]string{"serve", "--pin", "AB"}, "flag provided but not defined: -pin"},
		{[]string{"serve", "--idle-timeout", "-1s"}, "--idle-timeout -1s"},
		{[]string{"serve", "--max-message", "0"}, `--max-message "0"`},
		{[]string{"serve", "--cert", "c.pem"}, `--cert "c.pem" and --key "": a certificate needs both`},
		{[]string{"serve", "now"}, `unexpected argument "now"`},
		{[]string{"serve", "--transport", "reverse"}, "--transport reverse: serve dials the calling side (run --listen ADDR) and needs its address: give --addr HOST:PORT"},
		{[]string{"serve", "--transport", "duplex"}, "--transport duplex: serve dials"},
		{[]string{"serve", "--socket-mode", "9"}, `--socket-mode "9"`},
		{[]string{"list", "codecs"}, `unexpected argument "codecs"`},
		{[]string{"version", "extra"}, `unexpected argument "extra"`},
		{[]string{"run", "--workload", "nope"}, `--workload: unknown workload "nope"`},
		{[]string{"run", "--workload", "watch", "--watchers", "0"}, "--watchers 0: want at least 1"},
		{[]string{"run", "--workload", "duplex", "--back-concurrency", "-1"}, "--back-concurrency -1"},
		{[]string{"gate", "rpc-base.txt"}, "--baseline is required"},
		{[]string{"merge"}, "no files to merge"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), &stdout, &stderr, tt.args)
			code := exitCode(err, &stderr)
			msg := stderr.String()
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr:\n%s", code, msg)
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("stderr does not contain %q:\n%s", tt.want, msg)
			}
			lines := strings.Split(strings.TrimSuffix(msg, "\n"), "\n")
			if len(lines) != 2 || lines[1] != "Run 'rpcbench "+tt.args[0]+" --help' for usage." {
				t.Errorf("want one line and a pointer to --help, got %d lines:\n%s", len(lines), msg)
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout holds output after a usage error:\n%s", stdout.String())
			}
		})
	}
}

func TestFlagsAfterArgumentsAreParsed(t *testing.T) {
	for _, args := range [][]string{
		{"call", "Arith.Multiply", `{"a":1}`, "--codec", "nope", "--addr", "127.0.0.1:1"},
		{"call", "--addr", "127.0.0.1:1", "Arith.Multiply", "--codec", "nope", `{"a":1}`},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), &stdout, &stderr, args)
		if exitCode(err, &stderr) != 2 || !strings.Contains(stderr.String(), `unknown codec "nope"`) {
			t.Errorf("%q: the --codec after the arguments was not parsed:\n%s", args, stderr.String())
		}
	}
	// After "--", everything is an argument.
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), &stdout, &stderr, []string{"call", "--addr", "127.0.0.1:1", "--", "M", "--codec"})
	if exitCode(err, &stderr); !strings.Contains(stderr.String(), `M: argument "--codec"`) {
		t.Errorf("call -- M --codec: --codec was not taken as the argument:\n%s", stderr.String())
	}
}

func TestSelectionsThatMatchNothingAreUsageErrors(t *testing.T) {
	golden(t, "compare-unit-matches-nothing", "compare", "rpc-base.txt", "rpc-aa.txt", "--unit", "p99")
}

func TestCodecSelectionThatMatchesNothing(t *testing.T) {
	golden(t, "compare-codec-matches-nothing", "compare", "--codec", "nope", "rpc-base.txt", "rpc-aa.txt")
}

func TestMisuseGolden(t *testing.T) {
	for name, args := range map[string][]string{
		"run-unknown-codec":  {"run", "--codec", "nope"},
		"call-missing-addr":  {"call", "Arith.Multiply", `{"a":6,"b":7}`},
		"serve-pipe":         {"serve", "--transport", "pipe"},
		"matrix-without-o":   {"matrix", "--codecs", "gob"},
		"unknown-command":    {"benchmark"},
		"run-flag-two-names": {"run", "--conc", "1", "--concurrency", "2"},
	} {
		t.Run(name, func(t *testing.T) { golden(t, name, args...) })
	}
}

func TestCompareAndReportMisuse(t *testing.T) {
	for name, args := range map[string][]string{
		"compare-no-input":   {"compare"},
		"compare-bad-format": {"compare", "--format", "yaml", "rpc-base.txt"},
		"report-no-o":        {"report", "results"},
		"report-missing":     {"report", "-o", "out.md", "missing"},
	} {
		t.Run(name, func(t *testing.T) { golden(t, name, args...) })
	}
}
