package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/internal/poll"
	"go.uber.org/goleak"
)

// syncBuffer is a bytes.Buffer that serve may write while the test reads.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestAuthFlags runs serve --auth and the calling commands against it, and
// checks that the token shows nowhere in what any of them prints.
func TestAuthFlags(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	const token = "tok-5e1f0c2a9b"
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good, wrong, empty := file("good", token+"\n"), file("wrong", token+"-not\n"), file("empty", "\n")
	var printed []string // everything the commands printed and returned

	ctx, stop := context.WithCancel(context.Background())
	var serveOut, serveErr syncBuffer
	served := make(chan error, 1)
	go func() {
		served <- run(ctx, &serveOut, &serveErr, []string{"serve", "--codec", "msgpack", "--auth", good, "--idle-timeout", "1m"})
	}()
	defer func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
		printed = append(printed, serveOut.String(), serveErr.String())
		t.Logf("serve's log:\n%s", serveErr.String())
		for _, p := range printed {
			if strings.Contains(p, token) {
				t.Errorf("the token was printed:\n%s", p)
			}
		}
	}()
	poll.Until(t, 10*time.Second, func() error {
		if !strings.Contains(serveOut.String(), "\n") {
			return fmt.Errorf("serve printed no address; its log:\n%s", serveErr.String())
		}
		return nil
	})
	addr := strings.TrimSpace(serveOut.String())
	if log := serveErr.String(); !strings.Contains(log, "every connection must log in with the token in "+good) {
		t.Errorf("serve's log does not say which token file it requires:\n%s", log)
	}

	load := []string{"--codec", "msgpack", "--peers", "none", "--calls", "200", "--warmup", "0", "--conc", "2", "--conns", "2", "--format", "json"}
	for _, tt := range []struct {
		name    string
		args    []string
		wantOut string // a substring of stdout
		wantErr string // a substring of the error; "" for none
	}{
		{"call logs in", []string{"call", "--codec", "msgpack", "--addr", addr, "--token-file", good, "Arith.Multiply", `{"a":6,"b":7}`}, `"value":42`, ""},
		{"call without a token is refused", []string{"call", "--codec", "msgpack", "--addr", addr, "Arith.Multiply", `{"a":6,"b":7}`}, "", "call Arith.Multiply: unauthenticated"},
		{"call with a wrong token is refused", []string{"call", "--codec", "msgpack", "--addr", addr, "--token-file", wrong, "Arith.Multiply", `{"a":6,"b":7}`}, "", "call: logging in: unauthenticated: bad token"},
		{"call with an empty token file stops", []string{"call", "--codec", "msgpack", "--addr", addr, "--token-file", empty, "Arith.Multiply", `{"a":6,"b":7}`}, "", "token file " + empty + " is empty"},
		{"run logs in on every connection", append([]string{"run", "--addr", addr, "--token-file", good}, load...), `"errors": 0`, ""},
		{"run with a wrong token stops", append([]string{"run", "--addr", addr, "--token-file", wrong}, load...), "", "logging in: unauthenticated: bad token"},
		{"run against its own server logs in too", append([]string{"run", "--token-file", good}, load...), `"errors": 0`, ""},
		{"serve with an empty token file stops", []string{"serve", "--codec", "msgpack", "--auth", empty}, "", "serve: --auth: token file " + empty + " is empty"},
		{"serve with a missing token file stops", []string{"serve", "--codec", "msgpack", "--auth", filepath.Join(dir, "missing")}, "", "serve: --auth: reading token: open " + filepath.Join(dir, "missing") + ": no such file or directory"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), &stdout, &stderr, tt.args)
			printed = append(printed, stdout.String(), stderr.String())
			if err != nil {
				printed = append(printed, err.Error())
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("%v; stderr:\n%s", err, stderr.String())
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error()+stderr.String(), tt.wantErr)):
				t.Fatalf("error %v (stderr %q), want one containing %q", err, stderr.String(), tt.wantErr)
			case !strings.Contains(stdout.String(), tt.wantOut):
				t.Fatalf("stdout does not contain %q:\n%s", tt.wantOut, stdout.String())
			}
		})
	}
}
