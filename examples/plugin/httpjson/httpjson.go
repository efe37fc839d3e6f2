// Package httpjson is a peer from another module: JSON-RPC 1.0 over plain
// HTTP/1.1, one POST per call on a keep-alive connection per caller, the
// way many teams call a service before they reach for an RPC framework.
// It shows what a peer needs (a stack.Stack and one harness.RegisterPeer
// call), and measures that reference beside the codecs:
//
//	go run ./cmd/rpcbench run --codec json --peers http-json,floor
package httpjson

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/rpc"
	"net/rpc/jsonrpc"
	"sync"

	"github.com/rpcbench/rpcbench/harness"
	"github.com/rpcbench/rpcbench/measure"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/stack"
)

func init() {
	if err := harness.RegisterPeer(Stack{}); err != nil {
		panic(err)
	}
}

// Stack is the http-json peer.
type Stack struct{}

func (Stack) ID() measure.StackID { return measure.PeerID("http-json") }

// Shared is false: HTTP/1.1 carries one call at a time per connection.
func (Stack) Shared() bool { return false }

// Serve answers each POST /rpc, a JSON-RPC 1.0 request, with the
// standard library's net/rpc server and its JSON-RPC codec.
func (Stack) Serve(l net.Listener, d *service.Delay) stack.Server {
	srv := rpc.NewServer()
	if err := d.Register(srv); err != nil {
		panic(err) // the service's own methods always register
	}
	h := http.NewServeMux()
	h.HandleFunc("POST /rpc", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if err := srv.ServeRequest(jsonrpc.NewServerCodec(exchange{r.Body, w})); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	})
	s := &http.Server{Handler: h, MaxHeaderBytes: 1 << 16}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Serve(l)
	}()
	return server{s, done}
}

// exchange is one request body and its response, as a ReadWriteCloser.
type exchange struct {
	io.Reader
	io.Writer
}

func (exchange) Close() error { return nil }

type server struct {
	s    *http.Server
	done chan struct{}
}

func (s server) Close() error {
	err := s.s.Close()
	<-s.done
	return err
}

// NewClient calls p's method over conn, one POST at a time.
func (Stack) NewClient(conn net.Conn, p payload.Payload) (stack.Client, error) {
	params, err := json.Marshal([]any{p.Args})
	if err != nil {
		return nil, err
	}
	return &client{conn: conn, r: bufio.NewReader(conn), p: p, params: params}, nil
}

type client struct {
	mu     sync.Mutex // guards the connection: one call at a time
	conn   net.Conn
	r      *bufio.Reader
	p      payload.Payload
	params json.RawMessage
	id     uint64
}

func (c *client) Call(ctx context.Context, check bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.id++
	body, err := json.Marshal(struct {
		Method string          `json:"method"`
		Params json.RawMessage `json:"params"`
		ID     uint64          `json:"id"`
	}{c.p.Method, c.params, c.id})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://rpcbench/rpc", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if err := req.Write(c.conn); err != nil {
		return err
	}
	resp, err := http.ReadResponse(c.r, req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("http-json: %s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	reply := c.p.NewReply()
	var out struct {
		ID     uint64 `json:"id"`
		Result any    `json:"result"`
		Error  any    `json:"error"`
	}
	out.Result = reply
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return fmt.Errorf("http-json: reading the reply: %w", err)
	}
	switch {
	case out.Error != nil:
		return fmt.Errorf("http-json: %v", out.Error)
	case out.ID != c.id:
		return fmt.Errorf("http-json: reply to call %d, want %d", out.ID, c.id)
	case check:
		return c.p.Check(reply)
	}
	return nil
}

func (c *client) Close() error {
	err := c.conn.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
