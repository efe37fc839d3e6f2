package harness

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/rpc"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rpcbench/rpcbench/payload"
)

// FirstBytes wraps a fresh connection and keeps the first bytes read on
// it, so that a first call that fails can say what the server answered:
// a msgpack server's 0x94, an HTTP server's "HTTP/1.1 400".
type FirstBytes struct {
	net.Conn
	full atomic.Bool // nothing more to keep: reads skip the lock
	mu   sync.Mutex
	buf  []byte
}

// firstBytesKept is how many bytes FirstBytes keeps.
const firstBytesKept = 16

func (c *FirstBytes) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && !c.full.Load() {
		c.mu.Lock()
		c.buf = append(c.buf, p[:min(n, firstBytesKept-len(c.buf))]...)
		c.full.Store(len(c.buf) == firstBytesKept)
		c.mu.Unlock()
	}
	return n, err
}

// Bytes returns a copy of the bytes kept so far.
func (c *FirstBytes) Bytes() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.buf...)
}

// FirstCallError explains why the first call on a fresh connection to the
// server at addr failed, naming the likely cause: a server that answered
// with its own error is reachable and speaks the codec; one that answered
// something else, closed the connection or said nothing probably serves
// another codec (or transport). wire is the request's kind ("json",
// "grpc"); first holds the first bytes the server sent.
func FirstCallError(addr, wire string, first []byte, timeout time.Duration, err error) error {
	var se rpc.ServerError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("the first call to the server at %s failed: %w", addr, err)
	case errors.Is(err, payload.ErrWrongReply):
		return fmt.Errorf("the server at %s answered the first %s request with a wrong reply: %w", addr, wire, err)
	case len(first) > 0:
		return fmt.Errorf("the server at %s did not answer a %s request: is it serving another codec? (its reply began with %s; the call failed with: %w)", addr, wire, showBytes(first), err)
	case errors.Is(err, errTimeout), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("the server at %s sent nothing back to a %s request within %v: is it serving another codec, or over another transport? (%w)", addr, wire, timeout, err)
	}
	return fmt.Errorf("the server at %s closed the connection without answering a %s request: is it serving another codec, or over another transport? (%w)", addr, wire, err)
}

// showBytes shows b as text when it is printable ASCII (an HTTP status
// line, a JSON error) and as hex otherwise, with "..." when there may be
// more.
func showBytes(b []byte) string {
	more := ""
	if len(b) == firstBytesKept {
		more = "..."
	}
	printable := !strings.ContainsFunc(string(b), func(r rune) bool { return (r < ' ' && r != '\n' && r != '\r' && r != '\t') || r > '~' })
	if printable {
		return fmt.Sprintf("%q%s", b, more)
	}
	return "0x" + hex.EncodeToString(b) + more
}
