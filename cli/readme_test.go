package cli

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// An example is one command line of a ```sh block in README.md.
type example struct {
	block int
	line  string // as written
}

// readmeExamples returns the README's rpcbench command lines, block by
// block.
func readmeExamples(t *testing.T) [][]example {
	t.Helper()
	f, err := os.Open("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks [][]example
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "```sh":
			in = true
			blocks = append(blocks, nil)
		case line == "```":
			in = false
		case in && strings.HasPrefix(line, "rpcbench "):
			blocks[len(blocks)-1] = append(blocks[len(blocks)-1], example{len(blocks), line})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return blocks
}

var (
	comment  = regexp.MustCompile(`\s+#\s.*$`)
	redirect = regexp.MustCompile(`\s+(>>?)\s*(\S+)\s*$`)
	loopback = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	wantExit = regexp.MustCompile(`#\s*exit (\d+):`)
	wantOut  = regexp.MustCompile(`#\s*(\{.*\})\s*$`)
)

// TestREADMEExamplesRunAsWritten runs every rpcbench command line of the
// README's sh blocks with the real binary, in a scratch directory, in
// order: serve lines in the background (until another line serves their
// address, or the test ends), lines ending in & in the background until
// their block ends, the others in the foreground, with short windows
// (--duration 50ms --warmup 0; matrix --count 1) and every loopback port
// moved to a free one. A line's comment may say what it prints
// (# {"value":42}) or how it exits (# exit 1: ..., the colon matters);
// otherwise it must exit 0 (gate: 0 or 1, since short windows are noisy).
// Lines that need what a test machine lacks are skipped, and say so.
func TestREADMEExamplesRunAsWritten(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte("0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ran := 0
	// An address means one server throughout the README: a block that
	// calls 127.0.0.1:9000 without serving it calls the one an earlier
	// block started, until a later block serves that address anew.
	ports := map[string]string{}
	servers := map[string]*exec.Cmd{}
	stopServer := func(addr string) {
		if s := servers[addr]; s != nil {
			s.Process.Signal(syscall.SIGINT)
			s.Wait()
			delete(servers, addr)
		}
	}
	defer func() {
		for addr := range servers {
			stopServer(addr)
		}
	}()
	for _, block := range readmeExamples(t) {
		var background []*exec.Cmd
		var backgroundOut []*strings.Builder
		for _, ex := range block {
			line := comment.ReplaceAllString(ex.line, "")
			if strings.Contains(line, "$GITHUB_STEP_SUMMARY") || strings.Contains(line, "6666") {
				t.Logf("skipped (needs CI or Neovim): %s", ex.line)
				continue
			}
			line = loopback.ReplaceAllStringFunc(line, func(addr string) string {
				if ports[addr] == "" {
					ports[addr] = freePort(t)
				}
				return ports[addr]
			})
			bg := strings.HasSuffix(line, "&")
			line = strings.TrimSpace(strings.TrimSuffix(line, "&"))
			var outFile string
			if m := redirect.FindStringSubmatch(line); m != nil {
				outFile, line = m[2], redirect.ReplaceAllString(line, "")
			}
			args := shellWords(t, strings.TrimPrefix(line, "rpcbench "))
			switch args[0] {
			case "run", "matrix":
				args = append(args, "--duration", "50ms", "--warmup", "0")
				if args[0] == "matrix" {
					args = append(args, "--count", "1")
				}
			}
			cmd := exec.Command(bin, args...)
			cmd.Dir = dir
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if outFile != "" {
				f, err := os.Create(filepath.Join(dir, outFile))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				cmd.Stdout = f
			}
			ran++
			switch {
			case args[0] == "serve":
				addr := loopback.FindString(line)
				stopServer(addr)
				r, w, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				cmd.Stdout = w
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				w.Close()
				servers[addr] = cmd
				defer r.Close()
				if !strings.Contains(line, "reverse") {
					// It prints its address once it serves.
					if _, err := bufio.NewReader(r).ReadString('\n'); err != nil {
						t.Fatalf("README: %s: no address printed: %v\n%s", ex.line, err, stderr.String())
					}
				}
				continue
			case bg:
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				background, backgroundOut = append(background, cmd), append(backgroundOut, &stderr)
				// As a reader would, let it start (a Watch must be waiting
				// before the Set that wakes it).
				time.Sleep(500 * time.Millisecond) // sleeps on purpose: the README's commands show no event to wait on (serve does not say when a Watch arrives)
				continue
			}
			err := cmd.Run()
			code := cmd.ProcessState.ExitCode()
			if err != nil && code < 0 {
				t.Fatalf("README: %s: %v", ex.line, err)
			}
			want := 0
			if m := wantExit.FindStringSubmatch(ex.line); m != nil {
				want, _ = strconv.Atoi(m[1])
			}
			if code != want && !(args[0] == "gate" && code == 1) {
				t.Errorf("README: %s\nexit %d, want %d; stderr:\n%s", ex.line, code, want, stderr.String())
			}
			if m := wantOut.FindStringSubmatch(ex.line); m != nil && strings.TrimSpace(stdout.String()) != m[1] {
				t.Errorf("README: %s\nprinted %q, want %q", ex.line, stdout.String(), m[1])
			}
		}
		for i, cmd := range background {
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("README: %v: %v; stderr:\n%s", cmd.Args[1:], err, backgroundOut[i])
				}
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Errorf("README: %v still running after 30s; stderr:\n%s", cmd.Args[1:], backgroundOut[i])
			}
		}
	}
	if ran < 10 {
		t.Errorf("ran %d README examples; the extraction is broken", ran)
	}
}

// freePort returns a loopback address no one listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// shellWords splits s as sh does, quotes and all, by asking sh.
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	out, err := exec.Command("sh", "-c", fmt.Sprintf(`for a in %s; do printf '%%s\0' "$a"; done`, s)).Output()
	if err != nil {
		t.Fatalf("splitting %q: %v", s, err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
}
