package jsonrpc

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/rpc"
	"sync"

	"github.com/rpcbench/rpcbench/codecs/rpcparams"
)

// Codec is the JSON-RPC 1.0 codec of net/rpc/jsonrpc.
type Codec struct {
	// MaxMessage caps the size of one message read, in bytes. 0 means
	// frame.DefaultMax (64 MiB).
	MaxMessage int
}

// Name returns "json".
func (Codec) Name() string { return "json" }

// NewClientCodec returns a JSON-RPC client codec over conn.
func (c Codec) NewClientCodec(conn io.ReadWriteCloser) rpc.ClientCodec {
	cc := &clientCodec{conn: conn, in: newReader(conn, c.MaxMessage), w: bufio.NewWriter(conn)}
	cc.enc = json.NewEncoder(cc.w)
	return cc
}

// NewServerCodec returns a JSON-RPC server codec over conn.
func (c Codec) NewServerCodec(conn io.ReadWriteCloser) rpc.ServerCodec {
	sc := &serverCodec{
		conn:    conn,
		in:      newReader(conn, c.MaxMessage),
		w:       bufio.NewWriter(conn),
		pending: make(map[uint64]json.RawMessage),
	}
	sc.enc = json.NewEncoder(&sc.value)
	return sc
}

// NewClientCodec returns a client codec over conn with the default options.
func NewClientCodec(conn io.ReadWriteCloser) rpc.ClientCodec {
	return Codec{}.NewClientCodec(conn)
}

// NewServerCodec returns a server codec over conn with the default options.
func NewServerCodec(conn io.ReadWriteCloser) rpc.ServerCodec {
	return Codec{}.NewServerCodec(conn)
}

var null = json.RawMessage("null")

type serverRequest struct {
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	ID     json.RawMessage `json:"id"`
}

type serverCodec struct {
	conn io.Closer
	in   reader

	req    serverRequest // the request last read; Params keeps its capacity
	params [1]any        // the params array that ReadRequestBody decodes into

	w     *bufio.Writer
	value bytes.Buffer  // a result or error text, encoded by enc
	enc   *json.Encoder // writes to value

	mu      sync.Mutex                 // guards seq and pending
	seq     uint64                     // the last net/rpc sequence number given out
	pending map[uint64]json.RawMessage // the wire id of each request awaiting its response
}

func (c *serverCodec) ReadRequestHeader(r *rpc.Request) error {
	if err := c.in.next(); err != nil {
		return err
	}
	c.req.Method = ""
	c.req.Params = c.req.Params[:0]
	c.req.ID = nil // a fresh copy each time: pending holds the last one
	if err := json.Unmarshal(c.in.msg, &c.req); err != nil {
		return fmt.Errorf("json: request: %w", err)
	}
	r.ServiceMethod = c.req.Method

	// The id may be any JSON value and net/rpc's Seq is a uint64: number the
	// requests and keep each id to send back.
	c.mu.Lock()
	c.seq++
	c.pending[c.seq] = c.req.ID
	r.Seq = c.seq
	c.mu.Unlock()
	return nil
}

var errMissingParams = errors.New("json: request has no params")

// ReadRequestBody decodes the request's params, [args], into x. The message
// was read whole, so an error here fails only its call.
func (c *serverCodec) ReadRequestBody(x any) error {
	if x == nil {
		return nil
	}
	if len(c.req.Params) == 0 || bytes.Equal(c.req.Params, null) {
		return errMissingParams
	}
	c.params[0] = x
	err := json.Unmarshal(c.req.Params, &c.params)
	c.params[0] = nil
	if err != nil {
		return fmt.Errorf("json: request params: %w", err)
	}
	return nil
}

// WriteResponse writes the response to request r.Seq with its id as the
// request sent it, byte for byte. A reply that fails to encode is sent as
// the call's error, so that the caller hears of it.
func (c *serverCodec) WriteResponse(r *rpc.Response, x any) error {
	c.mu.Lock()
	id, ok := c.pending[r.Seq]
	delete(c.pending, r.Seq)
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("json: response to unknown request %d", r.Seq)
	}
	if id == nil {
		id = null // a request without an id, as net/rpc/jsonrpc answers it
	}
	errText := r.Error
	if errText == "" {
		if err := c.encode(x); err != nil {
			errText = fmt.Sprintf("json: encoding reply %T: %v", x, err)
		}
	}
	c.w.WriteString(`{"id":`)
	c.w.Write(id)
	if errText == "" {
		c.w.WriteString(`,"result":`)
		c.w.Write(c.value.Bytes())
		c.w.WriteString(`,"error":null}` + "\n")
	} else {
		c.encode(errText) // a string always encodes
		c.w.WriteString(`,"result":null,"error":`)
		c.w.Write(c.value.Bytes())
		c.w.WriteString("}\n")
	}
	return c.w.Flush()
}

// encode encodes v into c.value, without the newline that json.Encoder adds.
func (c *serverCodec) encode(v any) error {
	c.value.Reset()
	err := c.enc.Encode(v)
	c.value.Truncate(max(c.value.Len()-1, 0))
	return err
}

func (c *serverCodec) Close() error { return c.conn.Close() }

type clientRequest struct {
	Method string `json:"method"`
	Params [1]any `json:"params"`
	ID     uint64 `json:"id"`
}

// listRequest is a request whose params are an rpcparams.List.
type listRequest struct {
	Method string `json:"method"`
	Params []any  `json:"params"`
	ID     uint64 `json:"id"`
}

type clientResponse struct {
	ID     uint64          `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  json.RawMessage `json:"error"`
}

// clientCodec sends net/rpc's sequence number as the id: servers echo it,
// so no map from ids to calls is needed.
type clientCodec struct {
	conn io.Closer
	in   reader
	resp clientResponse // the response last read; its fields keep their capacity

	w   *bufio.Writer
	enc *json.Encoder // writes to w
	req clientRequest
}

// WriteRequest encodes the request whole before writing any of it, so an
// argument that fails to encode fails its call and leaves the stream as
// it was.
func (c *clientCodec) WriteRequest(r *rpc.Request, x any) error {
	c.req.Method = r.ServiceMethod
	c.req.ID = r.Seq
	var err error
	if list, ok := x.(rpcparams.List); ok {
		// A foreign method's whole parameter list, [] when empty.
		err = c.enc.Encode(&listRequest{Method: r.ServiceMethod, Params: append([]any{}, list...), ID: r.Seq})
	} else {
		c.req.Params[0] = x
		err = c.enc.Encode(&c.req)
		c.req.Params[0] = nil
	}
	if err != nil {
		return fmt.Errorf("json: encoding %T: %w", x, err)
	}
	return c.w.Flush()
}

// ReadResponseHeader reads a response. A non-null error fails the call: a
// string is its text, and any other value (JSON-RPC 2.0 servers send an
// object) its JSON.
func (c *clientCodec) ReadResponseHeader(r *rpc.Response) error {
	if err := c.in.next(); err != nil {
		return err
	}
	c.resp.ID = 0
	c.resp.Result = c.resp.Result[:0]
	c.resp.Error = c.resp.Error[:0]
	if err := json.Unmarshal(c.in.msg, &c.resp); err != nil {
		return fmt.Errorf("json: response: %w", err)
	}
	r.Seq = c.resp.ID
	r.Error = ""
	if e := c.resp.Error; len(e) > 0 && !bytes.Equal(e, null) {
		r.Error = string(e)
		var s string
		if e[0] == '"' && json.Unmarshal(e, &s) == nil {
			r.Error = s
		}
		if r.Error == "" {
			r.Error = "unspecified error"
		}
	}
	return nil
}

func (c *clientCodec) ReadResponseBody(x any) error {
	if x == nil || len(c.resp.Result) == 0 {
		return nil
	}
	if err := json.Unmarshal(c.resp.Result, x); err != nil {
		return fmt.Errorf("json: result: %w", err)
	}
	return nil
}

func (c *clientCodec) Close() error { return c.conn.Close() }
