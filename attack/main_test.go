package attack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/duplex"
)

var seed = flag.Uint64("seed", 0, "seed for every random choice (0: pick one and print it)")

// bin is the rpcbench binary that TestMain builds.
var bin string

func TestMain(m *testing.M) {
	flag.Parse()
	if flag.Lookup("test.list").Value.String() != "" {
		os.Exit(m.Run()) // listing tests (fuzz.sh does) needs no binary
	}
	if *seed == 0 {
		*seed = uint64(time.Now().UnixNano())
	}
	fmt.Printf("attack: seed %d (replay with: go test ./attack -args -seed=%d)\n", *seed, *seed)
	dir, err := os.MkdirTemp("", "rpcbench-attack-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "rpcbench")
	build := exec.Command("go", "build", "-o", bin, "github.com/rpcbench/rpcbench/cmd/rpcbench")
	if other := os.Getenv("RPCBENCH_ATTACK_BIN"); other != "" {
		// Attack another build, e.g. an older one for before-and-after
		// figures.
		bin = other
		build = exec.Command("true")
	}
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "attack: building rpcbench: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		os.RemoveAll(dir)
		os.Exit(code)
	}))
}

// rng returns t's own random source: the seed mixed with the test's name,
// so that one subtest replays alone (with -run) exactly as in a full run.
func rng(t *testing.T) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(t.Name()))
	return rand.New(rand.NewPCG(*seed, h.Sum64()))
}

// A proc is an rpcbench process started by a test; the test's cleanup
// kills it if it still runs.
type proc struct {
	cmd    *exec.Cmd
	stdout *output
	stderr *output
	exited chan struct{} // closed when the process has ended
	err    error         // how it ended, once exited is closed
}

// start runs rpcbench with args, prefixed by wrap (e.g. ip netns exec NS).
func start(t *testing.T, wrap []string, args ...string) *proc {
	t.Helper()
	argv := append(append(slices.Clip(wrap), bin), args...)
	p := &proc{
		cmd:    exec.Command(argv[0], argv[1:]...),
		stdout: newOutput(1 << 20),
		stderr: newOutput(4 << 10),
		exited: make(chan struct{}),
	}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", strings.Join(argv, " "), err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
	})
	return p
}

// wait waits at most d for the process to end and returns how it ended;
// it fails t if the process is still running after d.
func (p *proc) wait(t *testing.T, d time.Duration) error {
	t.Helper()
	select {
	case <-p.exited:
		return p.err
	case <-time.After(d):
		t.Errorf("%s still running after %v\nstderr:\n%s", p, d, p.stderr)
		p.cmd.Process.Kill()
		<-p.exited
		return p.err
	}
}

func (p *proc) String() string { return strings.Join(p.cmd.Args, " ") }

func (p *proc) alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// A server is `rpcbench serve` running as a process.
type server struct {
	*proc
	codec, transport, addr string
	startRSS               int64 // resident memory at the last resetPeak

	// workers is where a reverse server dials in: the test is its
	// calling side. nil for the other transports.
	workers *net.TCPListener
	// master is the duplex master a duplex server dials in to: the test
	// opens a stream on it for each connection. nil for the other
	// transports.
	master *duplex.End
	// quic is the test's calling half to a quic server: each connection
	// is a stream of its one QUIC connection. nil for the other
	// transports.
	quic transports.Caller
}

// serve starts `rpcbench serve` with args and reads the address it prints
// first.
func serve(t *testing.T, wrap []string, codec string, args ...string) *server {
	t.Helper()
	p := start(t, wrap, append([]string{"serve", "--codec", codec}, args...)...)
	s := &server{proc: p, codec: codec, transport: "tcp"}
	for i, a := range args {
		if a == "--transport" {
			s.transport = args[i+1]
		}
	}
	select {
	case <-p.stdout.line:
		s.addr = strings.TrimSpace(p.stdout.firstLine())
	case <-p.exited:
		t.Fatalf("%s exited before printing its address: %v\nstderr:\n%s", p, p.err, p.stderr)
	case <-time.After(10 * time.Second):
		t.Fatalf("%s printed no address in 10s\nstderr:\n%s", p, p.stderr)
	}
	return s
}

// shutdown sends SIGTERM and expects serve to exit 0 within its 5s grace
// (plus slack for a busy machine).
func (s *server) shutdown(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	if err := s.wait(t, 10*time.Second); err != nil {
		t.Errorf("%s: after SIGTERM: %v, want exit status 0\nstderr:\n%s", s, err, s.stderr)
	}
}

// maxRSS is the most resident memory a server may ever have had.
const maxRSS = 200 << 20

// assertServing checks that the server lives, answers a fresh
// `rpcbench call` with 42 within callTimeout, and has not held more than
// maxRSS of memory since the last resetPeak. when says after what, for the
// failure message.
func (s *server) assertServing(t *testing.T, wrap []string, when string) {
	t.Helper()
	if !s.alive() {
		t.Fatalf("server died %s: %v\nstderr:\n%s", when, s.err, s.stderr)
	}
	out, err := s.call(wrap, "Arith.Multiply", `{"a":6,"b":7}`)
	if err != nil {
		t.Errorf("call %s: %v", when, err)
	} else if out != `{"value":42}` {
		t.Errorf("call %s printed %q, want {\"value\":42}", when, out)
	}
	u, err := s.usage()
	if err != nil {
		t.Fatalf("server %s: %v\nstderr:\n%s", when, err, s.stderr)
	}
	if u.PeakRSS > maxRSS {
		inherited := ""
		if s.startRSS > maxRSS {
			inherited = fmt.Sprintf(" (it held %d MiB already before this attack, from an earlier one)", s.startRSS>>20)
		}
		t.Errorf("server's resident memory peaked at %d MiB %s, want under %d MiB%s", u.PeakRSS>>20, when, maxRSS>>20, inherited)
	}
}

// callTimeout is how soon a fresh call must be answered, however busy
// the attacks keep the server.
const callTimeout = 5 * time.Second

// call runs `rpcbench call` of method with JSON args against the server
// and returns what it printed.
func (s *server) call(wrap []string, method, args string) (string, error) {
	if s.workers != nil || s.master != nil {
		return s.callReverse(method, args)
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout+5*time.Second)
	defer cancel()
	argv := append(slices.Clip(wrap), bin, "call", "--codec", s.codec, "--transport", s.transport, "--addr", s.addr,
		"--timeout", callTimeout.String())
	if s.transport == "tls" || s.transport == "quic" {
		argv = append(argv, "--insecure") // serve's self-signed certificate
	}
	argv = append(argv, method, args)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	began := time.Now()
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s after %v: %v: %s", strings.Join(argv, " "), time.Since(began).Round(time.Millisecond), err, stderr.Bytes())
	}
	return strings.TrimSpace(string(out)), nil
}

// goroutines asks the server for its goroutine count (Stats.Read).
func (s *server) goroutines(wrap []string) (int, error) {
	out, err := s.call(wrap, "Stats.Read", "{}")
	if err != nil {
		return 0, err
	}
	var stats struct{ Goroutines int }
	if err := json.Unmarshal([]byte(out), &stats); err != nil || stats.Goroutines == 0 {
		return 0, fmt.Errorf("Stats.Read printed %q, want a goroutine count (%v)", out, err)
	}
	return stats.Goroutines, nil
}

// usage is what the kernel shows of a server process's resources; the
// server's own view, goroutines included, comes from goroutines.
type usage struct {
	RSS, PeakRSS int64 // VmRSS and VmHWM, bytes
}

func (s *server) usage() (usage, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return usage{}, fmt.Errorf("reading its status: %w", err)
	}
	var u usage
	fields := map[string]func(v string) error{
		"VmRSS:": func(v string) (err error) { u.RSS, err = kB(v); return },
		"VmHWM:": func(v string) (err error) { u.PeakRSS, err = kB(v); return },
	}
	for line := range strings.Lines(string(status)) {
		name, value, _ := strings.Cut(line, "\t")
		if parse, ok := fields[name]; ok {
			if err := parse(strings.TrimSpace(value)); err != nil {
				return usage{}, fmt.Errorf("/proc status %s %q: %w", name, value, err)
			}
			delete(fields, name)
		}
	}
	if len(fields) > 0 {
		return usage{}, errors.New("/proc status lacks VmRSS or VmHWM")
	}
	return u, nil
}

// resetPeak starts the kernel's record of the server's peak memory (VmHWM)
// over from what it holds now, so that each attack answers for its own
// peak; what it holds now is kept to tell an inherited peak apart.
func (s *server) resetPeak(t *testing.T) {
	t.Helper()
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", s.cmd.Process.Pid), []byte("5"), 0); err != nil {
		t.Fatalf("resetting the server's peak memory: %v", err)
	}
	u, err := s.usage()
	if err != nil {
		t.Fatal(err)
	}
	s.startRSS = u.RSS
}

func kB(v string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(v, "kB")), 10, 64)
	return n << 10, err
}

// output keeps the last max bytes a process wrote, and its first line.
type output struct {
	max  int
	mu   sync.Mutex // guards buf, seen and head
	buf  []byte
	seen bool          // a newline has arrived
	line chan struct{} // closed at the first newline
	head []byte        // everything up to the first newline
}

func newOutput(max int) *output { return &output{max: max, line: make(chan struct{})} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.seen {
		if i := bytes.IndexByte(p, '\n'); i >= 0 {
			o.head = append(o.head, p[:i+1]...)
			o.seen = true
			close(o.line)
		} else {
			o.head = append(o.head, p...)
		}
	}
	o.buf = append(o.buf, p...)
	if len(o.buf) > o.max {
		o.buf = o.buf[len(o.buf)-o.max:]
	}
	return len(p), nil
}

func (o *output) firstLine() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return string(o.head)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return string(o.buf)
}
