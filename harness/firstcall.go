package harness

import (
	"cmp"
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

	"github.com/rpcbench/rpcbench/codecs/frame"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/stack"
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

// ownServerError explains a first call that got no answer from the
// server this process runs for cfg: it serves the same codec over the
// same transport, so the cause is the configuration, not another codec.
func ownServerError(cfg *Config, err error) error {
	hint := ""
	if m := cfg.MaxMessage; m > 0 && m != frame.DefaultMax {
		hint = fmt.Sprintf(": is the %s request or its reply larger than --max-message %d bytes? Raise it, or send a smaller --payload", cfg.Payload.Name, m)
	}
	return fmt.Errorf("rpcbench's own in-process server did not answer the first %s call%s (%w)", cfg.Stack.ID().Name, hint, err)
}

// probeCalls is how many calls the first calls on a connection may all
// fail with an error the server sent back, or a wrong reply, before the
// run stops: a server that refuses every call (it wants a login, it has no
// such method) would otherwise fail each call of the window, by the
// hundred thousand.
const probeCalls = 10

// firstCalls makes the first calls on c: until one succeeds, the
// connection breaks, or probeCalls have failed. It returns nil, or the
// first error with the number of calls that failed: a server that answers
// a call with an error and then closes the connection (a message over its
// --max-message) is explained by its answer, not by the closing.
func firstCalls(ctx context.Context, c stack.Client) (failed int, err error) {
	var first error
	for range probeCalls {
		err := c.Call(ctx, true)
		if err == nil || brokenConn(err) || ctx.Err() != nil {
			if first == nil {
				return 0, err
			}
			return failed, first
		}
		first = cmp.Or(first, err)
		failed++
	}
	return failed, first
}

// EveryCallFailedError says that the first n calls to the server at addr
// all failed, err the first of them, and what the likely cause is.
func EveryCallFailedError(addr string, n int, err error) error {
	msg := err.Error()
	hint := ""
	switch {
	case strings.Contains(msg, "exceeds limit"):
		hint = ": a message is larger than a side's limit allows; raise --max-message (on serve too) or send a smaller --payload"
	case strings.Contains(msg, "unauthenticated"):
		hint = ": the server wants a login; give the token it serves with (serve --auth FILE) in --token-file FILE"
	case strings.Contains(msg, "can't find"), strings.Contains(strings.ToLower(msg), "method not found"), strings.Contains(strings.ToLower(msg), "invalid method"):
		hint = ": the server has no such method; check --method (Service.Method for a net/rpc server)"
	case errors.Is(err, payload.ErrWrongReply):
		hint = ": every reply differs from what the check wants; check --expect, or whether the server runs the service the payload calls"
	}
	calls := fmt.Sprintf("%d calls", n)
	if n == 1 {
		calls = "call" // and then the connection closed
	}
	return fmt.Errorf("the run stopped: the first %s to the server at %s failed%s (the first failed with: %w)", calls, addr, hint, err)
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
