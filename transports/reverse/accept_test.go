package reverse

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// flakyListener fails its first fails Accepts with EMFILE (all of them
// when fails is negative).
type flakyListener struct {
	net.Listener
	fails   int64
	accepts atomic.Int64
}

func (l *flakyListener) Accept() (net.Conn, error) {
	if n := l.accepts.Add(1); l.fails < 0 || n <= l.fails {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

// logLines collects log lines.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// TestAcceptLoopOutlivesAcceptErrors: after a burst of failed Accepts
// (too many open files), the calling side still accepts the worker that
// dials next, and logs the episode once rather than once an error.
func TestAcceptLoopOutlivesAcceptErrors(t *testing.T) {
	ln := &flakyListener{Listener: listen(t), fails: 5}
	var log logLines
	c := newCaller(ln, log.printf)
	defer c.Close()

	w, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := c.Conn(ctx)
	if err != nil {
		t.Fatalf("after %d failed Accepts, the worker's connection was not yielded: %v\nlog:\n%s", ln.fails, err, &log)
	}
	conn.Close()
	if n := strings.Count(log.String(), "too many open files"); n != 1 {
		t.Errorf("logged the episode %d times, want once:\n%s", n, &log)
	}
}

// TestAcceptLoopBacksOff: Accept failing without end is retried with a
// growing delay, not in a loop, and Close ends the wait.
func TestAcceptLoopBacksOff(t *testing.T) {
	ln := &flakyListener{Listener: listen(t), fails: -1}
	c := newCaller(ln, func(string, ...any) {})
	time.Sleep(300 * time.Millisecond)
	// 5+10+20+40+80+160ms: about 6 waits fit in 300ms; a loop without
	// backoff would call Accept thousands of times.
	if n := ln.accepts.Load(); n > 8 {
		t.Errorf("%d Accepts in 300ms of failures, want at most 8", n)
	}
	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not end the accept loop's backoff within 2s")
	}
}
