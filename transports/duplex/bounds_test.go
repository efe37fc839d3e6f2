package duplex

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/yamux"
	"github.com/rpcbench/rpcbench/internal/poll"
)

// hostile is a yamux configuration for a peer that opens streams without
// waiting for them to be accepted.
func hostile() *yamux.Config {
	c := yamux.DefaultConfig()
	c.LogOutput = io.Discard
	c.AcceptBacklog = 1 << 16 // SYNs it may leave unacknowledged
	c.StreamOpenTimeout = 0   // and never give up on them
	return c
}

func listen(t *testing.T, opts Options) *End {
	t.Helper()
	e, err := Listen(context.Background(), "", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// attach dials e as a raw yamux client and waits until e has the session.
func attach(t *testing.T, e *End, cfg *yamux.Config) *yamux.Session {
	t.Helper()
	conn, err := net.Dial("tcp", e.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sess, err := yamux.Client(conn, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for e.Sessions() == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("the End never got the session")
		case <-time.After(time.Millisecond):
		}
	}
	return sess
}

// TestAStreamFloodIsBounded opens 5,000 streams, each with data, on a
// master that serves none of them: it keeps MaxStreams handed out (one
// waiting for Accept), acceptBacklog queued, and resets the rest.
func TestAStreamFloodIsBounded(t *testing.T) {
	const flood, maxStreams = 5000, 4
	m := listen(t, Options{MaxStreams: maxStreams})
	peer := attach(t, m, hostile())
	for i := range flood {
		st, err := peer.OpenStream()
		if err != nil {
			t.Fatalf("opening stream %d: %v", i, err)
		}
		st.Write(make([]byte, 1024)) // fails once the stream is reset; the bytes may be in flight
	}
	// The master handles frames in order: once a ping returns, it has
	// seen every stream.
	if _, err := peer.Ping(); err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	held := m.sessions[0].NumStreams()
	m.mu.Unlock()
	if limit := 1 + acceptBacklog; held > limit {
		t.Fatalf("master holds %d streams of a flood of %d; want at most %d (1 handed to Accept, %d in the backlog)", held, flood, limit, acceptBacklog)
	}
	if held < acceptBacklog {
		t.Fatalf("master holds %d streams; the flood should fill its backlog of %d", held, acceptBacklog)
	}
	if kept := peer.NumStreams(); kept > 1+acceptBacklog {
		t.Fatalf("peer still has %d streams open: the master reset too few", kept)
	}
	// Serving resumes: streams accepted and closed free their slots.
	for range maxStreams + 1 {
		c, err := m.Accept()
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
}

// TestAPeerThatNeverReadsHoldsOneWindow: a worker that accepts nothing
// and reads nothing takes at most one stream window of a 4 MiB write;
// the writer then blocks until its deadline.
func TestAPeerThatNeverReadsHoldsOneWindow(t *testing.T) {
	m := listen(t, Options{})
	attach(t, m, func() *yamux.Config { c := yamux.DefaultConfig(); c.LogOutput = io.Discard; return c }())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := m.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
	n, err := st.Write(make([]byte, 4<<20))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("writing 4 MiB to a peer that never reads: %d bytes, %v; want a deadline error", n, err)
	}
	if n > maxStreamWindow {
		t.Fatalf("the peer took %d bytes without reading; its window is %d", n, maxStreamWindow)
	}
}

// TestAMasterServesAtMostMaxSessions connects MaxSessions workers and one
// more: the one more is disconnected at once, and the master keeps the
// others.
func TestAMasterServesAtMostMaxSessions(t *testing.T) {
	const maxSessions = 2
	m := listen(t, Options{MaxSessions: maxSessions})
	for range maxSessions {
		attach(t, m, hostile())
	}
	poll.For(t, 10*time.Second, "the workers' sessions", func() bool { return m.Sessions() == maxSessions })
	extra, err := net.Dial("tcp", m.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	extra.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := extra.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("a worker past MaxSessions=%d read %v; want EOF, disconnected", maxSessions, err)
	}
	if n := m.Sessions(); n != maxSessions {
		t.Fatalf("the master has %d sessions, want %d", n, maxSessions)
	}
}

// TestWorkersLogIn has a master with a token dialled by a worker with
// another token and by one with the right token: only the right one gets
// a session.
func TestWorkersLogIn(t *testing.T) {
	token := []byte("the right token, 16+ bytes")
	logs := make(chan string, 100)
	logf := func(format string, args ...any) {
		select {
		case logs <- fmt.Sprintf(format, args...):
		default:
		}
	}
	m := listen(t, Options{Token: token, Logf: logf})
	wrong, err := Dial(m.Addr().String(), Options{Token: []byte("a wrong token, 16+ bytes")})
	if err != nil {
		t.Fatal(err)
	}
	defer wrong.Close()
	for line := range logs {
		if strings.Contains(line, "dropped") {
			break
		}
	}
	if n := m.Sessions(); n != 0 {
		t.Fatalf("a worker with the wrong token got a session (%d sessions)", n)
	}
	wrong.Close()
	right, err := Dial(m.Addr().String(), Options{Token: token})
	if err != nil {
		t.Fatal(err)
	}
	defer right.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := right.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for m.Sessions() != 1 {
		select {
		case <-ctx.Done():
			t.Fatalf("the master has %d sessions with the right worker, want 1", m.Sessions())
		case <-time.After(time.Millisecond):
		}
	}
}

// TestASilentWorkerIsPassedOver connects a worker that says nothing and
// then a real one: the master's Open reaches the real one.
func TestASilentWorkerIsPassedOver(t *testing.T) {
	m := listen(t, Options{})
	silent, err := net.Dial("tcp", m.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	w, err := Dial(m.Addr().String(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for range 4 { // round robin would reach the silent one among these
		c, err := m.Open(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte("x"))
		accepted := make(chan net.Conn, 1)
		go func() { // ends at the latest when w closes
			got, _ := w.Accept()
			accepted <- got
		}()
		select {
		case got := <-accepted:
			if got == nil {
				t.Fatal("the worker stopped accepting")
			}
			got.Close()
		case <-ctx.Done():
			t.Fatal("a stream the master opened never reached the real worker")
		}
		c.Close()
	}
}
