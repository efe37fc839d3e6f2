package httpconnect_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/httpconnect"
)

// TestIdleKeepAliveConnectionsAreClosed parks a keep-alive connection
// after a plain GET: the server must close it after Config.IdleTimeout.
// Before, http.Server had no idle timeout and kept such connections open
// for ever.
func TestIdleKeepAliveConnectionsAreClosed(t *testing.T) {
	l, err := httpconnect.Transport{}.Serve(context.Background(), transports.Config{IdleTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := br.ReadByte(); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("the server kept an idle keep-alive connection open for 10s with an idle timeout of 200ms")
	}
}
