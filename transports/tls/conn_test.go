package tls

import (
	stdtls "crypto/tls"
	"io"
	"net"
	"testing"
	"time"
)

// TestClearingTheDeadlineReachesTheConnBeneath: the handshake runs under a
// deadline on the TCP connection and clears it through the wrapper, which
// must pass the clearing down, or every write after the handshake's
// deadline would fail.
func TestClearingTheDeadlineReachesTheConnBeneath(t *testing.T) {
	cert, err := selfSignedCertificate()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	served := make(chan error, 1)
	go func() {
		raw, err := l.Accept()
		if err != nil {
			served <- err
			return
		}
		s := stdtls.Server(raw, &stdtls.Config{Certificates: []stdtls.Certificate{cert}})
		defer s.Close()
		_, err = io.Copy(io.Discard, s)
		served <- err
	}()
	raw, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	tc := stdtls.Client(raw, &stdtls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	raw.SetWriteDeadline(time.Unix(1, 0)) // as if the handshake's deadline had passed
	c := newConn(tc)
	if err := c.SetDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("after the handshake")); err != nil {
		t.Fatalf("Write after clearing the deadline: %v", err)
	}
	c.Close()
	if err := <-served; err != nil {
		t.Fatalf("server: %v", err)
	}
}
