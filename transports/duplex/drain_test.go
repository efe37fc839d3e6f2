package duplex

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// TestStopAcceptingLeavesYieldedStreamsUp stops a worker's End while it
// serves one stream the master opened: that stream must still carry its
// reply both ways, Accept must return net.ErrClosed, a stream the master
// opens afterwards must be refused rather than left hanging, and the
// worker's session must last until Close. Before StopAccepting existed,
// stopping the worker closed the session and the stream with it.
func TestStopAcceptingLeavesYieldedStreamsUp(t *testing.T) {
	m, w, ctx := connected(t)

	down, err := m.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	down.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := down.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	served, err := w.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer served.Close()
	served.SetDeadline(time.Now().Add(10 * time.Second))

	if err := w.StopAccepting(); err != nil {
		t.Fatal(err)
	}
	if c, err := w.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after StopAccepting = %v, %v; want net.ErrClosed", c, err)
	}

	// The stream yielded before the stop still works both ways.
	buf := make([]byte, 4)
	if _, err := io.ReadFull(served, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("reading the request after StopAccepting: %q, %v", buf, err)
	}
	if _, err := served.Write([]byte("pong")); err != nil {
		t.Fatalf("writing the reply after StopAccepting: %v", err)
	}
	if _, err := io.ReadFull(down, buf); err != nil || string(buf) != "pong" {
		t.Fatalf("reading the reply on the master: %q, %v", buf, err)
	}

	// A stream opened after the stop is refused: Open fails once the
	// go-away arrives, and a stream that beat it is closed unserved.
	refused := false
	for !refused {
		st, err := m.Open(ctx)
		if err != nil {
			if ctx.Err() != nil {
				t.Fatal(err)
			}
			refused = true
			break
		}
		st.SetDeadline(time.Now().Add(10 * time.Second))
		st.Write([]byte("late"))
		_, err = st.Read(buf)
		st.Close()
		if err == nil {
			t.Fatal("a stream opened after StopAccepting was served")
		}
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			t.Fatalf("a stream opened after StopAccepting hung: %v", err)
		}
	}
	if n := w.Sessions(); n != 1 {
		t.Fatalf("the worker has %d sessions after StopAccepting; want 1, kept for its streams", n)
	}

	// Close ends the session, and the stream with it.
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := served.Write([]byte("x")); err == nil {
		t.Fatal("the yielded stream still works after Close")
	}
}

// TestStopAcceptingOnTheMasterRefusesWorkers: a master that stops
// accepting keeps its worker's session, from which it can still call,
// and takes no new worker.
func TestStopAcceptingOnTheMasterRefusesWorkers(t *testing.T) {
	m, _, ctx := connected(t)
	if _, err := m.Open(ctx); err != nil { // waits for the worker's session
		t.Fatal(err)
	}
	if err := m.StopAccepting(); err != nil {
		t.Fatal(err)
	}
	if _, err := net.DialTimeout("tcp", m.Addr().String(), 5*time.Second); err == nil {
		t.Fatal("the master still listens for workers after StopAccepting")
	}
	st, err := m.Open(ctx)
	if err != nil {
		t.Fatalf("Open after the master stopped accepting: %v", err)
	}
	st.Close()
	if n := m.Sessions(); n != 1 {
		t.Fatalf("the master has %d sessions after StopAccepting; want its 1 worker", n)
	}
}

// connected is a master and a worker dialled into it, both closed when the
// test ends, and a context for the test's calls that ends within 10s.
func connected(t *testing.T) (m, w *End, ctx context.Context) {
	t.Helper()
	m = listen(t, Options{})
	w, err := Dial(m.Addr().String(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return m, w, ctx
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestAWriterToAClosedStreamIsReset: the worker closes a stream without
// reading what the master goes on writing, as a server refusing an
// endless request does. The master's writes must fail (the stream is
// reset after streamCloseTimeout), not wait for a window forever, as
// they would over TCP without the RST that closing with unread data sends.
func TestAWriterToAClosedStreamIsReset(t *testing.T) {
	m, w, ctx := connected(t)
	st, err := m.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	served, err := w.Accept()
	if err != nil {
		t.Fatal(err)
	}
	served.Close()
	st.SetWriteDeadline(time.Now().Add(3 * streamCloseTimeout))
	chunk := make([]byte, 64<<10)
	for total := 0; ; total += len(chunk) {
		if _, err := st.Write(chunk); err != nil {
			if isTimeout(err) {
				t.Fatalf("writing to a stream the other side closed hung after %d bytes: %v", total, err)
			}
			if total > 2*maxStreamWindow {
				t.Fatalf("the other side took %d bytes of a stream it closed; its window is %d", total, maxStreamWindow)
			}
			return
		}
	}
}
