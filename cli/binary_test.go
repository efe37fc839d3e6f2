package cli

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/server"
)

// The real binary, built once for the tests that need a process of their
// own: to be signalled, or to run the README's examples as written.
var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

// binary builds cmd/rpcbench and returns its path; it skips under -short.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the real binary")
	}
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "rpcbench-cli-test"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "rpcbench")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/rpcbench/rpcbench/cmd/rpcbench").CombinedOutput()
		if err != nil {
			binErr = errors.New("go build: " + err.Error() + "\n" + string(out))
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// process is the binary running in the background.
type process struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	done           chan struct{}
}

func start(t *testing.T, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(binary(t), args...), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// wait returns the exit status, failing the test after limit.
func (p *process) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(limit):
		t.Fatalf("%v still running after %v; stderr:\n%s", p.cmd.Args, limit, p.stderr.String())
	}
	return -1
}

// testServer serves the service with codec gob on loopback for the test,
// counting the connections that arrive and the bytes it reads.
type testServer struct {
	addr  string
	conns atomic.Int64
	read  atomic.Int64
}

func serveForTest(t *testing.T) *testServer {
	t.Helper()
	gob, err := codecs.Lookup("gob")
	if err != nil {
		t.Fatal(err)
	}
	ts := new(testServer)
	ts.addr = serveOn(t, &server.Server{Codec: gob}, &countingListener{Listener: listenLoopback(t), ts: ts})
	return ts
}

type countingListener struct {
	net.Listener
	ts *testServer
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.ts.conns.Add(1)
		c = &countingReads{Conn: c, n: &l.ts.read}
	}
	return c, err
}

type countingReads struct {
	net.Conn
	n *atomic.Int64
}

func (c *countingReads) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func interrupt(t *testing.T, p *process) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
}
