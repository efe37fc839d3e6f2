// Package cborrpc is a net/rpc codec for CBOR (RFC 8949) over
// github.com/fxamacker/cbor/v2, written as a team would write its own codec
// outside rpcbench: importing the package registers it with rpcbench as
// "cbor", and rpcbench's conformance suite (codectest.Run) tests it. The
// wire format is in the module's README.
package cborrpc

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/rpc"
	"reflect"
	"strings"

	"github.com/fxamacker/cbor/v2"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/codecs/frame"
)

func init() { codecs.MustRegister(Codec{}) }

// Codec makes CBOR-RPC client and server codecs.
type Codec struct {
	// MaxMessage caps the size of one message read, in bytes, length
	// prefix excluded: a larger prefix fails the connection before
	// anything is allocated for it. 0 means the default, 64 MiB
	// (frame.DefaultMax).
	MaxMessage int
}

func (Codec) Name() string { return "cbor" }

// WithMaxMessage lets rpcbench's --max-message reach the codec
// (codecs.Capped).
func (c Codec) WithMaxMessage(n int) codecs.Codec { c.MaxMessage = n; return c }

func (c Codec) NewClientCodec(conn io.ReadWriteCloser) rpc.ClientCodec {
	return &clientCodec{stream: newStream(conn, c.MaxMessage)}
}

func (c Codec) NewServerCodec(conn io.ReadWriteCloser) rpc.ServerCodec {
	return &serverCodec{stream: newStream(conn, c.MaxMessage)}
}

// message is one message on the wire: the CBOR array
// [seq, method, error, body], body being the argument or reply as a CBOR
// data item of its own, or null.
type message struct {
	_      struct{} `cbor:",toarray"`
	Seq    uint64
	Method string
	Error  string
	Body   cbor.RawMessage
}

var (
	// dec bounds what one message may ask of the decoder beyond its
	// size: the library checks that a message is well formed, every
	// length within the bytes that are there, before it allocates for it.
	dec = mustDecMode(cbor.DecOptions{
		MaxNestedLevels:  32,      // the service nests six levels
		MaxArrayElements: 1 << 24, // a message of 64 MiB holds at most this many one-byte items...
		MaxMapPairs:      1 << 24, // ...and half as many pairs
		IndefLength:      cbor.IndefLengthForbidden,
		TagsMd:           cbor.TagsForbidden,
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
	})
	// enc writes every field, zero values included (see fields), with
	// map keys in a fixed order, so one value has one encoding.
	enc = mustEncMode(cbor.EncOptions{Sort: cbor.SortCoreDeterministic, NilContainers: cbor.NilContainerAsEmpty})
)

func mustDecMode(o cbor.DecOptions) cbor.DecMode {
	m, err := o.DecMode()
	if err != nil {
		panic(err)
	}
	return m
}

func mustEncMode(o cbor.EncOptions) cbor.EncMode {
	m, err := o.EncMode()
	if err != nil {
		panic(err)
	}
	return m
}

// stream reads and writes length-prefixed messages.
type stream struct {
	conn  io.ReadWriteCloser
	r     *bufio.Reader
	limit int
	in    []byte  // the frame last read, reused
	msg   message // the message last read; its Body points into in
	out   []byte  // the frame being written, reused
}

func newStream(conn io.ReadWriteCloser, limit int) stream {
	return stream{conn: conn, r: bufio.NewReader(conn), limit: frame.Max(limit)}
}

// read reads the next message. An error means the connection cannot go on.
func (s *stream) read() error {
	var err error
	if s.in, err = frame.ReadPrefixed(s.r, s.in, s.limit); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return err // net/rpc takes these bare as a closed connection
		}
		return fmt.Errorf("cbor: %w", err)
	}
	s.msg = message{}
	if err := dec.Unmarshal(s.in, &s.msg); err != nil {
		return fmt.Errorf("cbor: message of %d bytes: %w", len(s.in), err)
	}
	return nil
}

// body decodes the last message's body into v; a nil v discards it.
func (s *stream) body(v any) error {
	if v == nil {
		return nil
	}
	if err := dec.Unmarshal(s.msg.Body, v); err != nil {
		return fmt.Errorf("cbor: body of %s: %w", s.msg.Method, err)
	}
	return nil
}

// write writes one message with one Write.
func (s *stream) write(seq uint64, method, errText string, v any) error {
	body := []byte{0xf6} // null
	if v != nil && errText == "" {
		var err error
		if body, err = enc.Marshal(fields(reflect.ValueOf(v))); err != nil {
			return fmt.Errorf("cbor: encoding the body of %s: %w", method, err)
		}
	}
	m, err := enc.Marshal(message{Seq: seq, Method: method, Error: errText, Body: body})
	if err != nil {
		return fmt.Errorf("cbor: encoding %s: %w", method, err)
	}
	s.out = append(frame.AppendPrefix(s.out[:0], len(m)), m...)
	_, err = s.conn.Write(s.out)
	return err
}

// fields returns v with every struct turned into a map of each exported
// field under its JSON name. The service's Go types are protoc-gen-go's,
// whose json tags say omitempty; encoded as they are, a zero field would
// not be on the wire at all, and a client of another language could not
// tell a zero from a missing field.
func fields(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return fields(v.Elem())
	case reflect.Struct:
		t := v.Type()
		m := make(map[string]any, t.NumField())
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() { // protobuf's own state
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				name = f.Name
			}
			m[name] = fields(v.Field(i))
		}
		return m
	case reflect.Slice:
		if k := v.Type().Elem().Kind(); k == reflect.Pointer || k == reflect.Struct {
			out := make([]any, v.Len())
			for i := range out {
				out[i] = fields(v.Index(i))
			}
			return out
		}
	}
	return v.Interface()
}

type clientCodec struct{ stream }

func (c *clientCodec) WriteRequest(r *rpc.Request, args any) error {
	return c.write(r.Seq, r.ServiceMethod, "", args)
}

func (c *clientCodec) ReadResponseHeader(r *rpc.Response) error {
	if err := c.read(); err != nil {
		return err
	}
	r.Seq, r.ServiceMethod, r.Error = c.msg.Seq, c.msg.Method, c.msg.Error
	return nil
}

func (c *clientCodec) ReadResponseBody(reply any) error { return c.body(reply) }

func (c *clientCodec) Close() error { return c.conn.Close() }

type serverCodec struct{ stream }

func (c *serverCodec) ReadRequestHeader(r *rpc.Request) error {
	if err := c.read(); err != nil {
		return err
	}
	r.Seq, r.ServiceMethod = c.msg.Seq, c.msg.Method
	return nil
}

func (c *serverCodec) ReadRequestBody(args any) error { return c.body(args) }

func (c *serverCodec) WriteResponse(r *rpc.Response, reply any) error {
	return c.write(r.Seq, r.ServiceMethod, r.Error, reply)
}

func (c *serverCodec) Close() error { return c.conn.Close() }
