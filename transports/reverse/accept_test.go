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

	"github.com/rpcbench/rpcbench/internal/backoff"
)

// flakyListener fails its first fails Accepts with EMFILE (all of them
// when fails is negative).
type flakyListener struct {
	net.Listener
	fails   int64
	accepts atomic.Int64
	// reached, when set, is closed at the Accept call numbered at.
	reached chan struct{}
	at      int64
}

func (l *flakyListener) Accept() (net.Conn, error) {
	n := l.accepts.Add(1)
	if n == l.at {
		close(l.reached)
	}
	if l.fails < 0 || n <= l.fails {
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
	ln := &flakyListener{Listener: listen(t), fails: -1, reached: make(chan struct{}), at: 5}
	start := time.Now()
	c := newCaller(ln, func(string, ...any) {})
	// Before the fifth Accept come four waits, 1+2+4+8 times AcceptMin, each
	// varied by the jitter: a loop without backoff takes microseconds.
	<-ln.reached
	if took, least := time.Since(start), time.Duration(float64(15*backoff.AcceptMin)*(1-backoff.Jitter)); took < least {
		t.Errorf("5 failing Accepts in %v; want the backoff's waits between them, at least %v", took, least)
	}
	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not end the accept loop's backoff within 2s")
	}
}
