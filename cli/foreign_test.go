package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/rpc"
	"net/rpc/jsonrpc"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/internal/poll"
	"github.com/rpcbench/rpcbench/stack"
)

// Greeter is a service rpcbench knows nothing of, served by the standard
// library's own JSON-RPC server.
type Greeter struct{}

type GreetArgs struct {
	Name  string
	Times int
}

func (Greeter) Hello(a GreetArgs, reply *[]string) error {
	for range a.Times {
		*reply = append(*reply, "hello "+a.Name)
	}
	return nil
}

func (Greeter) Fail(a GreetArgs, reply *string) error {
	return fmt.Errorf("no greeting for %s", a.Name)
}

// serveJSONRPC serves Greeter with net/rpc/jsonrpc on loopback until the
// test ends, and returns its address.
func serveJSONRPC(t *testing.T) string {
	srv := rpc.NewServer()
	if err := srv.Register(Greeter{}); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	each := stack.ServeEach(l, func(c net.Conn) { srv.ServeCodec(jsonrpc.NewServerCodec(c)) })
	t.Cleanup(func() { each.Close() })
	return l.Addr().String()
}

func TestRunLoadsAForeignJSONRPCMethod(t *testing.T) {
	addr := serveJSONRPC(t)
	argsFile := filepath.Join(t.TempDir(), "args.json")
	if err := os.WriteFile(argsFile, []byte(`{"Name":"rpcbench","Times":2}`), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"run", "--addr", addr, "--codec", "json", "--peers", "none", "--calls", "300", "--warmup", "0",
		"--concurrency", "4", "--conns", "2", "--check-every", "1", "--format", "csv"}
	tests := []struct {
		name   string
		args   []string
		errors bool
		first  string
	}{
		{"reply as expected", []string{"--method", "Greeter.Hello", "--args", `{"Name":"rpcbench","Times":2}`, "--expect", `["hello rpcbench","hello rpcbench"]`}, false, ""},
		{"args from a file", []string{"--method", "Greeter.Hello", "--args", "@" + argsFile, "--expect", `["hello rpcbench","hello rpcbench"]`}, false, ""},
		{"no expectation", []string{"--method", "Greeter.Hello", "--args", `{"Name":"x","Times":1}`}, false, ""},
		// Every call fails: the run stops after its first calls, with the
		// first error and what to check.
		{"reply not as expected", []string{"--method", "Greeter.Hello", "--args", `{"Name":"x","Times":1}`, "--expect", `["hello y"]`}, true, `check --expect`},
		{"error reply", []string{"--method", "Greeter.Fail", "--args", `{"Name":"x"}`}, true, "failed (the first failed with: no greeting for x)"},
		{"no such method", []string{"--method", "Nope.Nope", "--args", `{}`}, true, `no such method; check --method (Service.Method for a net/rpc server) (the first failed with: rpc: can't find service Nope.Nope)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), &stdout, &stderr, append(base, tt.args...))
			if tt.errors {
				if err == nil || !strings.Contains(err.Error(), "the run stopped: the first 10 calls to the server at "+addr+" failed") || !strings.Contains(err.Error(), tt.first) {
					t.Errorf("error %v; want the run stopped, saying %q", err, tt.first)
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v\n%s%s", err, &stdout, &stderr)
			}
			lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
			if len(lines) != 2 {
				t.Fatalf("want a header and one row:\n%s", &stdout)
			}
			row := lines[1]
			method := strings.Split(tt.args[1], " ")[0]
			want := ",300,0," // calls, errors
			if !strings.HasPrefix(row, "RPC/codec=json/transport=tcp/payload="+method+"/conc=4/conns=2,json,tcp,,"+method+",4,2,1,0,call,,,"+want) {
				t.Errorf("row %q: want %s calls, errors of %s", row, want, method)
			}
		})
	}
	t.Run("misuse", func(t *testing.T) {
		for _, args := range [][]string{
			{"run", "--codec", "json", "--peers", "none", "--method", "Greeter.Hello"},                     // no --addr
			{"run", "--addr", addr, "--codec", "json,gob", "--peers", "none", "--method", "Greeter.Hello"}, // two codecs
			{"run", "--addr", addr, "--codec", "json", "--peers", "none", "--expect", "1"},                 // no --method
			{"run", "--addr", addr, "--codec", "json", "--peers", "none", "--method", "M", "--args", "{"},  // bad JSON
		} {
			var stdout, stderr bytes.Buffer
			if err := run(context.Background(), &stdout, &stderr, args); err == nil || errors.Is(err, errRunFailed) {
				t.Errorf("%q: error %v; want it refused before the run", args, err)
			}
		}
	})
}

// Neovim's MessagePack-RPC, the real thing: nvim_eval of "6*7" is 42.
func TestRunLoadsNeovimsMessagePackRPC(t *testing.T) {
	nvim, err := exec.LookPath("nvim")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("nvim is not installed; .ci/run installs neovim")
		}
		t.Skip("nvim is not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, nvim, "--headless", "--clean", "-n", "--listen", addr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	poll.Until(t, 10*time.Second, func() error {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return fmt.Errorf("nvim is not listening on %s: %w", addr, err)
		}
		return c.Close()
	})
	var stdout, stderr bytes.Buffer
	err = run(context.Background(), &stdout, &stderr, []string{"run", "--addr", addr, "--codec", "msgpack", "--peers", "none",
		"--method", "nvim_eval", "--args", `"6*7"`, "--expect", "42", "--check-every", "1",
		"--calls", "200", "--warmup", "0", "--concurrency", "2", "--conns", "1", "--format", "csv"})
	if err != nil {
		t.Fatalf("%v\n%s%s", err, &stdout, &stderr)
	}
	if !strings.Contains(stdout.String(), "RPC/codec=msgpack/transport=tcp/payload=nvim_eval/conc=2/conns=1,msgpack,tcp,,nvim_eval,2,1,1,0,call,,,,200,0,") {
		t.Errorf("want 200 calls and no error:\n%s", &stdout)
	}
	var wrong bytes.Buffer
	err = run(context.Background(), &wrong, &stderr, []string{"run", "--addr", addr, "--codec", "msgpack", "--peers", "none",
		"--method", "nvim_eval", "--args", `"6*7"`, "--expect", "43", "--calls", "10", "--warmup", "0", "--concurrency", "1", "--conns", "1"})
	// Every call gets the wrong reply: the run stops after the first few,
	// naming it, rather than failing every call of the window.
	if err == nil || !strings.Contains(err.Error(), "nvim_eval replied 42; want 43") || !strings.Contains(err.Error(), "--expect") {
		t.Errorf("error %v; want the run stopped with the wrong reply named and --expect suggested:\n%s", err, &wrong)
	}
}
