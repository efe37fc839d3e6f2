package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/internal/poll"
	"github.com/rpcbench/rpcbench/server"
	"github.com/rpcbench/rpcbench/service"
)

// The child process of TestAcceptUnderFileLimit serves with a low limit on
// open files, so that only its own Accept runs out of them.
const fileLimitChild = "RPCBENCH_FILE_LIMIT_CHILD"

// spareFiles is how many connections the child can hold at once.
const spareFiles = 8

func TestAcceptUnderFileLimit(t *testing.T) {
	if os.Getenv(fileLimitChild) != "" {
		serveUnderFileLimit(t)
		return
	}
	child := exec.Command(os.Args[0], "-test.run=^TestAcceptUnderFileLimit$")
	child.Env = append(os.Environ(), fileLimitChild+"=1")
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	log := new(logBuffer)
	child.Stderr = lineWriter{log}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close() // tells the child to shut down
		if err := child.Wait(); err != nil {
			t.Errorf("child: %v; its output:\n%s", err, log)
		}
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the child's address: %v; its output:\n%s", err, log)
	}
	addr := strings.TrimSpace(line)

	// More connections than the child has files: the kernel completes
	// them all, and the child's Accept fails with EMFILE.
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for range 4 * spareFiles {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	poll.Until(t, 10*time.Second, func() error {
		if !strings.Contains(log.String(), "too many open files") {
			return fmt.Errorf("the child never ran out of files; its output:\n%s", log)
		}
		return nil
	})

	// Once connections close, the child accepts again, the new one too.
	for _, c := range held {
		c.Close()
	}
	held = nil
	msgpack, err := codecs.Lookup("msgpack")
	if err != nil {
		t.Fatal(err)
	}
	var p service.Product
	if err := dial(t, msgpack, addr).Call("Arith.Multiply", &service.Args{A: 6, B: 7}, &p); err != nil || p.GetValue() != 42 {
		t.Fatalf("after running out of files: %d, %v; want 42; the child's output:\n%s", p.GetValue(), err, log)
	}
}

// serveUnderFileLimit is the child: it serves with spareFiles files to
// spare until its standard input closes.
func serveUnderFileLimit(t *testing.T) {
	l := listen(t)
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	var limit syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &limit); err != nil {
		t.Fatal(err)
	}
	limit.Cur = uint64(len(entries) + spareFiles)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &limit); err != nil {
		t.Fatal(err)
	}
	msgpack, err := codecs.Lookup("msgpack")
	if err != nil {
		t.Fatal(err)
	}
	s := &server.Server{Codec: msgpack, Logf: func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
	}}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	fmt.Println(l.Addr())
	io.Copy(io.Discard, os.Stdin)
	s.Shutdown(context.Background())
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

// lineWriter writes into a logBuffer.
type lineWriter struct{ l *logBuffer }

func (w lineWriter) Write(p []byte) (int, error) {
	w.l.mu.Lock()
	defer w.l.mu.Unlock()
	return w.l.b.Write(p)
}
