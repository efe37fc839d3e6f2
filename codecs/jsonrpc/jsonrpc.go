package jsonrpc

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"strconv"
	"sync"

	json "github.com/goccy/go-json"

	"github.com/rpcbench/rpcbench/codecs/internal/module"
	"github.com/rpcbench/rpcbench/codecs/rpcparams"
)

// Codec is the JSON-RPC 1.0 codec of net/rpc/jsonrpc.
type Codec struct {
	// MaxMessage caps the size of one message read, in bytes. 0 means
	// frame.DefaultMax (64 MiB).
	MaxMessage int

	// JSON is the library that encodes and decodes the messages' JSON. nil
	// means Goccy; a variant of the codec names another
	// (codecs/jsonsegmentio), whose bytes a differential test proves to be
	// encoding/json's.
	JSON Library
}

// A Library is a JSON library with encoding/json's bytes (DESIGN 3).
type Library interface {
	// Name names a variant after its library: a codec with it as its JSON
	// is called "json-" followed by it.
	Name() string
	// Module returns the library's module path.
	Module() string
	// NewEncoder returns an encoder of values to w with encoding/json's
	// defaults: HTML escaped, a newline after each value.
	NewEncoder(w io.Writer) Encoder
	Unmarshal(data []byte, v any) error
}

// An Encoder writes JSON values, as *encoding/json.Encoder does.
type Encoder interface{ Encode(v any) error }

// A DeepStack Library's encoder needs more stack than a goroutine starts
// with. net/rpc calls WriteResponse from a new goroutine for every call,
// whose stack such an encoder would grow (copying it) every time, so a
// server codec with one writes its responses from a goroutine of its own,
// whose stack grows once, and which Close ends. Handing each response to
// it costs a library that needs no such stack more than it saves.
type DeepStack interface {
	Library
	// EncodesDeep marks the library; it does nothing.
	EncodesDeep()
}

// Goccy is github.com/goccy/go-json, the default Library.
type Goccy struct{}

func (Goccy) Name() string                       { return "goccy" }
func (Goccy) Module() string                     { return "github.com/goccy/go-json" }
func (Goccy) NewEncoder(w io.Writer) Encoder     { return json.NewEncoder(w) }
func (Goccy) Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// EncodesDeep: goccy's encoder is a virtual machine whose one function's
// frame is 3 KiB; on net/rpc's goroutine for each call the stack growth
// cost ~8 µs a call, more than a small reply's whole encoding.
func (Goccy) EncodesDeep() {}

// Library returns its JSON library's module and version.
func (c Codec) Library() string { return module.Version(c.library().Module()) }

func (c Codec) library() Library {
	if c.JSON == nil {
		return Goccy{}
	}
	return c.JSON
}

// SendsParamsList: a rpcparams.List is sent as the request's params.
func (Codec) SendsParamsList() {}

// Format returns "json": whatever its library, the codec speaks json's
// bytes (codecs.Variant).
func (Codec) Format() string { return "json" }

// Name returns "json", or "json-" and the name of its JSON library.
func (c Codec) Name() string {
	if c.JSON != nil {
		return "json-" + c.JSON.Name()
	}
	return "json"
}

// NewClientCodec returns a JSON-RPC client codec over conn.
func (c Codec) NewClientCodec(conn io.ReadWriteCloser) rpc.ClientCodec {
	cc := &clientCodec{conn: conn, in: newReader(conn, c.MaxMessage), w: bufio.NewWriter(conn), lib: c.library()}
	cc.enc = cc.lib.NewEncoder(cc.w)
	return cc
}

// NewServerCodec returns a JSON-RPC server codec over conn.
func (c Codec) NewServerCodec(conn io.ReadWriteCloser) rpc.ServerCodec {
	sc := &serverCodec{
		conn:      conn,
		in:        newReader(conn, c.MaxMessage),
		w:         bufio.NewWriter(conn),
		methods:   make(map[string]string),
		pending:   make(map[uint64]requestID),
		lib:       c.library(),
		responses: make(chan response),
		written:   make(chan error),
		closed:    make(chan struct{}),
	}
	_, sc.ownWriter = sc.lib.(DeepStack)
	sc.enc = sc.lib.NewEncoder(&sc.value)
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

var null = []byte("null")

// serverRequest is a request as read. Every member stays raw JSON, copied
// into the capacity the last request left, so that reading one costs no
// allocation of the codec's own: the method becomes a string through
// serverCodec.method, the params are decoded into net/rpc's argument by
// ReadRequestBody, and the id is sent back as it came.
type serverRequest struct {
	Method json.RawMessage `json:"method"`
	Params json.RawMessage `json:"params"`
	ID     json.RawMessage `json:"id"`
}

// requestID is a request's id, kept until its response is written. net/rpc
// clients send a canonical unsigned integer, held as num; any other JSON
// value is held as its bytes, and a request without an id has neither.
type requestID struct {
	raw   []byte
	num   uint64
	isNum bool
}

// maxMethods bounds the method names a server connection keeps as strings:
// a client that sends a new name with every request costs a string each,
// not a table that grows without end.
const maxMethods = 64

type serverCodec struct {
	conn io.Closer
	in   reader

	req     serverRequest     // the request last read; its members keep their capacity
	methods map[string]string // method names seen on this connection, each mapped to itself

	lib   Library
	w     *bufio.Writer
	value bytes.Buffer // a result or error text, encoded by enc
	enc   Encoder      // writes to value

	// With a DeepStack library, responses are encoded and written by
	// writer, a goroutine of the codec's own, rather than by the
	// goroutine net/rpc starts for each call. Close ends writer.
	ownWriter   bool
	writeMu     sync.Mutex    // serializes WriteResponse (net/rpc does too), so that each answer is its caller's
	startWriter sync.Once     // starts writer at the first response
	responses   chan response // from WriteResponse to writer
	written     chan error    // writer's answer to each
	closed      chan struct{} // closed by Close, once
	closeOnce   sync.Once

	mu      sync.Mutex           // guards seq and pending
	seq     uint64               // the last net/rpc sequence number given out
	pending map[uint64]requestID // the wire id of each request awaiting its response
}

func (c *serverCodec) ReadRequestHeader(r *rpc.Request) error {
	if err := c.in.next(); err != nil {
		return err
	}
	c.req.Method = c.req.Method[:0]
	c.req.Params = c.req.Params[:0]
	c.req.ID = c.req.ID[:0]
	if err := c.lib.Unmarshal(c.in.msg, &c.req); err != nil {
		return fmt.Errorf("json: request: %w", err)
	}
	method, err := c.method(c.req.Method)
	if err != nil {
		return err
	}
	r.ServiceMethod = method
	id := newRequestID(c.req.ID)

	// The id may be any JSON value and net/rpc's Seq is a uint64: number the
	// requests and keep each id to send back.
	c.mu.Lock()
	c.seq++
	c.pending[c.seq] = id
	r.Seq = c.seq
	c.mu.Unlock()
	return nil
}

// method returns the method name that raw, a JSON string, holds. A name
// seen before on the connection is the string made then: looking a map up
// by a []byte converted in the index expression allocates nothing.
func (c *serverCodec) method(raw []byte) (string, error) {
	if len(raw) >= 2 && raw[0] == '"' {
		if s, ok := c.methods[string(raw[1:len(raw)-1])]; ok {
			return s, nil
		}
	}
	var s string
	if len(raw) > 0 {
		if err := c.lib.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("json: request method: %w", err)
		}
	}
	// Only a name that JSON writes as it is (printable ASCII, no quote or
	// backslash) is kept, so that a hit above is exactly the name quoted.
	if len(c.methods) < maxMethods && plain(s) {
		c.methods[s] = s
	}
	return s, nil
}

func plain(s string) bool {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// newRequestID copies raw, an id as read, out of the buffer the next
// request reuses.
func newRequestID(raw []byte) requestID {
	if len(raw) == 0 {
		return requestID{}
	}
	// Only the digits strconv writes back (no sign, leading zero, fraction
	// or exponent) are held as a number: the response must echo the id
	// byte for byte.
	if raw[0] != '0' || len(raw) == 1 {
		if n, err := strconv.ParseUint(string(raw), 10, 64); err == nil && raw[0] != '+' {
			return requestID{num: n, isNum: true}
		}
	}
	return requestID{raw: bytes.Clone(raw)}
}

// appendTo appends the id as JSON: null for a request without one, as
// net/rpc/jsonrpc answers it.
func (id requestID) appendTo(b []byte) []byte {
	switch {
	case id.isNum:
		return strconv.AppendUint(b, id.num, 10)
	case id.raw == nil:
		return append(b, null...)
	}
	return append(b, id.raw...)
}

var errMissingParams = errors.New("json: request has no params")

// ReadRequestBody decodes the request's params, [args], into x. The message
// was read whole, so an error here fails only its call.
func (c *serverCodec) ReadRequestBody(x any) error {
	if x == nil {
		return nil
	}
	params := c.req.Params
	if len(params) == 0 || bytes.Equal(params, null) {
		return errMissingParams
	}
	return decodeArg(c.lib, params, x)
}

// decodeArg decodes the first element of params, a JSON array, into x.
func decodeArg(lib Library, params []byte, x any) error {
	// A net/rpc client sends one element: what lies between the brackets is
	// the argument, decoded without finding where it ends first. Anything
	// else ([], several elements, not an array) fails that decoding, which
	// rejects trailing data, and goes the long way below; decoding the
	// first element again overwrites what the failed try left in x.
	// FuzzDecodeArg holds the two ways to the same values and errors.
	if inner := trimSpace(params); len(inner) > 2 && inner[0] == '[' {
		if lib.Unmarshal(inner[1:len(inner)-1], x) == nil {
			return nil
		}
	}
	return decodeFirstElement(lib, params, x)
}

// decodeFirstElement is decodeArg the long way: it finds where the first
// element ends, then decodes it.
func decodeFirstElement(lib Library, params []byte, x any) error {
	arg, err := firstElement(params)
	if err != nil {
		return err
	}
	if arg == nil {
		// [] leaves x as it is, as decoding [] into net/rpc/jsonrpc's
		// [1]any does.
		return nil
	}
	if err := lib.Unmarshal(arg, x); err != nil {
		return fmt.Errorf("json: request params: %w", err)
	}
	return nil
}

// WriteResponse writes the response to request r.Seq with its id as the
// request sent it, byte for byte. A reply that fails to encode is sent as
// the call's error, so that the caller hears of it.
func (c *serverCodec) WriteResponse(r *rpc.Response, x any) error {
	if !c.ownWriter {
		return c.writeResponse(r, x)
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.startWriter.Do(func() { go c.writer() })
	select {
	case <-c.closed: // writer may still be there to take it
		return errClosed
	default:
	}
	select {
	case c.responses <- response{r, x}:
	case <-c.closed:
		return errClosed
	}
	return <-c.written
}

var errClosed = fmt.Errorf("json: response after the server codec closed: %w", net.ErrClosed)

// A response is what WriteResponse hands writer.
type response struct {
	r *rpc.Response
	x any
}

// writer writes each response handed to it until the codec closes.
func (c *serverCodec) writer() {
	for {
		select {
		case resp := <-c.responses:
			c.written <- c.writeResponse(resp.r, resp.x)
		case <-c.closed:
			return
		}
	}
}

// writeResponse does WriteResponse's work: on writer's goroutine with a
// DeepStack library, on the caller's otherwise.
func (c *serverCodec) writeResponse(r *rpc.Response, x any) error {
	c.mu.Lock()
	id, ok := c.pending[r.Seq]
	delete(c.pending, r.Seq)
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("json: response to unknown request %d", r.Seq)
	}
	// The response is put together in c.value and written with one Write:
	// a reply larger than bufio's buffer then goes to the connection in one
	// system call, not three (a buffer's worth, the rest, the end).
	c.value.Reset()
	c.value.WriteString(`{"id":`)
	c.value.Write(id.appendTo(c.value.AvailableBuffer()))
	errText := r.Error
	if errText == "" {
		c.value.WriteString(`,"result":`)
		if err := c.appendValue(x); err != nil {
			errText = fmt.Sprintf("json: encoding reply %T: %v", x, err)
			c.value.Truncate(c.value.Len() - len(`,"result":`))
		} else {
			c.value.WriteString(`,"error":null}` + "\n")
		}
	}
	if errText != "" {
		c.value.WriteString(`,"result":null,"error":`)
		c.appendValue(errText) // a string always encodes
		c.value.WriteString("}\n")
	}
	_, err := c.w.Write(c.value.Bytes())
	if c.value.Cap() > keepBuffer {
		c.value = bytes.Buffer{} // a rare large reply should not pin its buffer for the connection's life
	}
	if err != nil {
		return err
	}
	return c.w.Flush()
}

// appendValue encodes v after what c.value holds, without the newline that
// the Encoder adds; on an error c.value is left as it was.
func (c *serverCodec) appendValue(v any) error {
	mark := c.value.Len()
	if err := c.enc.Encode(v); err != nil {
		c.value.Truncate(mark)
		return err
	}
	c.value.Truncate(c.value.Len() - 1)
	return nil
}

// Close ends writer and closes the connection. net/rpc closes a server
// codec after its last response is written.
func (c *serverCodec) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return c.conn.Close()
}

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

	lib Library
	w   *bufio.Writer
	enc Encoder // writes to w
	req clientRequest
}

// WriteRequest encodes the request whole before writing any of it (the
// Encoder writes once, after encoding), so an argument that fails to
// encode fails its call and leaves the stream as it was.
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
	if err := c.lib.Unmarshal(c.in.msg, &c.resp); err != nil {
		return fmt.Errorf("json: response: %w", err)
	}
	r.Seq = c.resp.ID
	r.Error = ""
	if e := c.resp.Error; len(e) > 0 && !bytes.Equal(e, null) {
		r.Error = string(e)
		var s string
		if e[0] == '"' && c.lib.Unmarshal(e, &s) == nil {
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
	if err := c.lib.Unmarshal(c.resp.Result, x); err != nil {
		return fmt.Errorf("json: result: %w", err)
	}
	return nil
}

func (c *clientCodec) Close() error { return c.conn.Close() }
