package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/internal/poll"
)

// startServe runs serve with args in this process until the test ends and
// returns the address it printed and its log.
func startServe(t *testing.T, args ...string) (string, *syncBuffer) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	var out, log syncBuffer
	served := make(chan error, 1)
	go func() { served <- run(ctx, &out, &log, append([]string{"serve"}, args...)) }()
	t.Cleanup(func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("serve %v: %v", args, err)
		}
	})
	poll.Until(t, 10*time.Second, func() error {
		if !strings.Contains(out.String(), "\n") {
			return fmt.Errorf("serve %v printed no address; its log:\n%s", args, log.String())
		}
		return nil
	})
	return strings.TrimSpace(out.String()), &log
}

// callOut runs call with stdin and returns stdout, stderr as main prints
// it, and the exit status.
func callOut(stdin string, args ...string) (string, string, int) {
	var stdout, stderr bytes.Buffer
	err := callIn(context.Background(), strings.NewReader(stdin), &stdout, &stderr, args)
	if ue := (*usageError)(nil); errors.As(err, &ue) {
		stderr.WriteString(ue.msg + "\n")
		return stdout.String(), stderr.String(), 2
	}
	code := exitCode(err, &stderr)
	return stdout.String(), stderr.String(), code
}

// echoParams serves one connection of MessagePack-RPC or JSON-RPC 1.0
// whose replies carry the request's params as their result, so that a
// test sees the params as they went over the wire.
func echoParams(t *testing.T, codec string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		l.Close()
		<-done
	})
	go func() {
		defer close(done)
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		if codec == "json" {
			var req struct {
				ID     uint64          `json:"id"`
				Params json.RawMessage `json:"params"`
			}
			if json.NewDecoder(c).Decode(&req) == nil {
				fmt.Fprintf(c, `{"id":%d,"result":%s,"error":null}`+"\n", req.ID, req.Params)
			}
			return
		}
		var req []any // [0, msgid, method, params]
		if msgpack.NewDecoder(c).Decode(&req) == nil && len(req) == 4 {
			msgpack.NewEncoder(c).Encode([]any{1, req[1], nil, req[3]})
		}
	}()
	return l.Addr().String()
}

func TestCallSaysUnknownMethodForEveryCodec(t *testing.T) {
	for _, codec := range codecs.Names() {
		t.Run(codec, func(t *testing.T) {
			addr, _ := startServe(t, "--codec", codec)
			_, stderr, code := callOut("", "--codec", codec, "--addr", addr, "Arith.Nope", "{}")
			if code != 1 || !strings.Contains(stderr, "call Arith.Nope: unknown method") {
				t.Errorf("exit %d; want 1 and unknown method:\n%s", code, stderr)
			}
		})
	}
}

func TestCallProbes(t *testing.T) {
	msgpack, _ := startServe(t, "--codec", "msgpack")
	jsonAddr, _ := startServe(t, "--codec", "json")
	tls, tlsLog := startServe(t, "--codec", "gob", "--transport", "tls")
	fingerprint := regexp.MustCompile(`fingerprint ([0-9A-F:]+)`).FindStringSubmatch(tlsLog.String())
	if fingerprint == nil {
		t.Fatalf("serve --transport tls logged no fingerprint:\n%s", tlsLog.String())
	}
	args := filepath.Join(t.TempDir(), "args.json")
	if err := os.WriteFile(args, []byte(`{"a":3,"b":7}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		stdin    string
		args     []string
		code     int
		out, err string // substrings
	}{
		{"args inline", "", []string{"--codec", "msgpack", "--addr", msgpack, "Arith.Multiply", `{"a":6,"b":7}`}, 0, `{"value":42}`, ""},
		{"args from a file", "", []string{"--codec", "json", "--addr", jsonAddr, "Arith.Multiply", "@" + args}, 0, `{"value":21}`, ""},
		{"args from stdin", `{"a":2,"b":7}`, []string{"--codec", "json", "--addr", jsonAddr, "Arith.Multiply", "-"}, 0, `{"value":14}`, ""},
		{"flags after the arguments", "", []string{"Arith.Multiply", `{"a":6,"b":7}`, "--codec", "msgpack", "--addr", msgpack}, 0, `{"value":42}`, ""},
		{"server error", "", []string{"--codec", "msgpack", "--addr", msgpack, "Arith.Divide", `{"a":7,"b":0}`}, 1, "", "division by zero"},
		// A JSON array is the parameter list itself, as the servers that
		// echo their params show; a single value is one parameter.
		{"no parameters (msgpack)", "", []string{"--codec", "msgpack", "--addr", echoParams(t, "msgpack"), "nvim_get_api_info"}, 0, "[]\n", ""},
		{"two parameters (msgpack)", "", []string{"--codec", "msgpack", "--addr", echoParams(t, "msgpack"), "nvim_call_function", `["abs",[-7]]`}, 0, `["abs",[-7]]`, ""},
		{"one parameter (msgpack)", "", []string{"--codec", "msgpack", "--addr", echoParams(t, "msgpack"), "nvim_eval", `"6*7"`}, 0, `["6*7"]`, ""},
		{"no parameters (json)", "", []string{"--codec", "json", "--addr", echoParams(t, "json"), "system.listMethods", "[]"}, 0, "[]\n", ""},
		{"two parameters (json)", "", []string{"--codec", "json", "--addr", echoParams(t, "json"), "add", `[1,2.5]`}, 0, `[1,2.5]`, ""},
		{"codec mismatch", "", []string{"--codec", "json", "--addr", msgpack, "Arith.Multiply", `{"a":6,"b":7}`}, 1, "", "without answering a json request: is it serving another codec"},
		{"self-signed certificate", "", []string{"--transport", "tls", "--addr", tls, "Arith.Multiply", `{"a":6,"b":7}`}, 1, "", "pin the SHA-256 fingerprint it logged with --pin, or skip verifying with --insecure"},
		{"pinned", "", []string{"--transport", "tls", "--pin", fingerprint[1], "--addr", tls, "Arith.Multiply", `{"a":6,"b":7}`}, 0, `{"value":42}`, ""},
		{"pinned, lower case without colons", "", []string{"--transport", "tls", "--pin", strings.ToLower(strings.ReplaceAll(fingerprint[1], ":", "")), "--addr", tls, "Arith.Multiply", `{"a":6,"b":7}`}, 0, `{"value":42}`, ""},
		{"pinned wrong", "", []string{"--transport", "tls", "--pin", strings.Repeat("AB:", 31) + "AB", "--addr", tls, "Arith.Multiply", `{"a":6,"b":7}`}, 1, "", "not the pinned AB:AB"},
		{"insecure", "", []string{"--transport", "tls", "--insecure", "--addr", tls, "Arith.Multiply", `{"a":6,"b":7}`}, 0, `{"value":42}`, ""},
		{"bad pin", "", []string{"--transport", "tls", "--pin", "12:34", "--addr", tls, "Arith.Multiply", `{}`}, 2, "", `--pin "12:34": want a SHA-256 fingerprint`},
		{"thrift with arguments for a foreign method", "", []string{"--codec", "thrift", "--addr", msgpack, "Foo.Bar", `{"a":1}`}, 2, "", "thrift carries only the service's generated structs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := callOut(tt.stdin, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errOut, tt.err) {
				t.Errorf("call %q: exit %d, stdout %q, stderr %q\nwant exit %d, stdout with %q, stderr with %q", tt.args, code, out, errOut, tt.code, tt.out, tt.err)
			}
		})
	}
}

func TestRunAgainstAServerOfAnotherCodecStopsAtOnce(t *testing.T) {
	addr, log := startServe(t, "--codec", "msgpack")
	var stdout, stderr bytes.Buffer
	began := time.Now()
	err := run(context.Background(), &stdout, &stderr, []string{"run", "--codec", "json", "--addr", addr, "--duration", "1m"})
	took := time.Since(began)
	code := exitCode(err, &stderr)
	want := "the server at " + addr + " closed the connection without answering a json request: is it serving another codec"
	if code != 1 || !strings.Contains(stderr.String(), want) {
		t.Errorf("exit %d; want 1 and %q in:\n%s", code, want, stderr.String())
	}
	if took > 10*time.Second {
		t.Errorf("took %v to give up on a one-minute window", took)
	}
	if stdout.Len() > 0 {
		t.Errorf("printed a table with no rows:\n%s", stdout.String())
	}
	// One connection per --conns (4), each closed by the server once: a
	// handful of lines, not one per retry.
	if n := strings.Count(log.String(), "\n"); n > 8 {
		t.Errorf("serve logged %d lines for one refused run:\n%s", n, log.String())
	}
}
