package quic_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"

	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/quic"
)

// pair starts both halves of tr and closes them when the test ends.
func pair(t *testing.T, tr quic.Transport) (net.Listener, transports.Caller) {
	t.Helper()
	l, c, err := transports.Pair(context.Background(), tr, transports.Config{Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		l.Close()
	})
	return l, c
}

// TestStreamsBeyondTheLimitWait: the peer grants MaxStreams streams, and
// the calling half's next Conn waits for one to close; the context
// bounds the wait.
func TestStreamsBeyondTheLimitWait(t *testing.T) {
	_, c := pair(t, quic.Transport{Options: quic.Options{MaxStreams: 2}})
	var open []net.Conn
	for range 2 {
		conn, err := c.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		open = append(open, conn)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if conn, err := c.Conn(ctx); err == nil {
		conn.Close()
		t.Fatal("a third stream opened past MaxStreams 2")
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("third Conn: %v, want the context's deadline", err)
	}
}

// TestConnectionsBeyondTheLimitAreRefused: a serving half that holds
// MaxConns QUIC connections refuses the next client at its handshake.
func TestConnectionsBeyondTheLimitAreRefused(t *testing.T) {
	l, first := pair(t, quic.Transport{Options: quic.Options{MaxConns: 1}})
	conn, err := first.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	second, err := quic.Transport{}.Call(context.Background(), transports.Config{Addr: l.Addr().String(), Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if c, err := second.Conn(ctx); err == nil {
		c.Close()
		t.Fatal("a second QUIC connection was accepted past MaxConns 1")
	} else if !strings.Contains(err.Error(), "CONNECTION_REFUSED") {
		t.Fatalf("second connection: %v, want CONNECTION_REFUSED", err)
	}
}

// TestAStreamWithoutTheOpenerFailsItsRead: a QUIC client whose stream
// does not start with the opening byte is not an rpcbench client, and the
// serving end's Read says so.
func TestAStreamWithoutTheOpenerFailsItsRead(t *testing.T) {
	l, _ := pair(t, quic.Transport{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	qc, err := quicgo.DialAddr(ctx, l.Addr().String(), &tls.Config{InsecureSkipVerify: true, NextProtos: []string{quic.ALPN}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer qc.CloseWithError(0, "")
	st, err := qc.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(st, "GET / HTTP/1.1\r\n"); err != nil {
		t.Fatal(err)
	}
	srv, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var buf [16]byte
	if n, err := srv.Read(buf[:]); err == nil || !strings.Contains(err.Error(), "not an rpcbench stream") {
		t.Fatalf("Read = %q, %v; want an error saying it is not an rpcbench stream", buf[:n], err)
	}
}

// TestConnAfterCloseFailsAtOnce: a closed calling half answers Conn with
// net.ErrClosed, not by waiting for the context.
func TestConnAfterCloseFailsAtOnce(t *testing.T) {
	_, c := pair(t, quic.Transport{})
	c.Close()
	if conn, err := c.Conn(context.Background()); !errors.Is(err, net.ErrClosed) {
		if conn != nil {
			conn.Close()
		}
		t.Fatalf("Conn after Close: %v, want net.ErrClosed", err)
	}
}
