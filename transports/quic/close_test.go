package quic_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/rpcbench/rpcbench/transports/quic"
)

// TestClosingTheServingHalfDeliversWhatWasWritten: a server that writes a
// last reply, closes the stream and then its listener (a graceful
// shutdown) still gets the reply to the client, as a socket's close does.
func TestClosingTheServingHalfDeliversWhatWasWritten(t *testing.T) {
	l, c := pair(t, quic.Transport{})
	conn, err := c.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	srv, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	reply := bytes.Repeat([]byte("reply "), 1<<18) // 1.5 MiB: more than UDP buffers take at once
	wrote := make(chan error, 1)
	go func() {
		_, err := srv.Write(reply) // returns once the last bytes are queued, not delivered
		srv.Close()
		l.Close()
		wrote <- err
	}()
	got, err := io.ReadAll(conn)
	if err != nil || !bytes.Equal(got, reply) {
		t.Errorf("read %d bytes, %v; want the %d-byte reply, then EOF", len(got), err, len(reply))
	}
	if err := <-wrote; err != nil {
		t.Errorf("writing the reply: %v", err)
	}
}
