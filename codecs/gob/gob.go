package gob

import (
	"bufio"
	"encoding"
	"encoding/gob"
	"fmt"
	"io"
	"net/rpc"
	"reflect"

	"github.com/rpcbench/rpcbench/codecs/internal/limits"
)

// Codec is net/rpc's gob codec with a cap on message size.
type Codec struct {
	// MaxMessage caps the size of one gob message read, in bytes. 0 means
	// frame.DefaultMax (64 MiB).
	MaxMessage int
}

// Name returns "gob".
func (Codec) Name() string { return "gob" }

// NewClientCodec returns a gob client codec over conn.
func (c Codec) NewClientCodec(conn io.ReadWriteCloser) rpc.ClientCodec {
	return &clientCodec{stream: newStream(conn, c.MaxMessage)}
}

// NewServerCodec returns a gob server codec over conn.
func (c Codec) NewServerCodec(conn io.ReadWriteCloser) rpc.ServerCodec {
	return &serverCodec{stream: newStream(conn, c.MaxMessage)}
}

// NewClientCodec returns a client codec over conn with the default options.
func NewClientCodec(conn io.ReadWriteCloser) rpc.ClientCodec {
	return Codec{}.NewClientCodec(conn)
}

// NewServerCodec returns a server codec over conn with the default options.
func NewServerCodec(conn io.ReadWriteCloser) rpc.ServerCodec {
	return Codec{}.NewServerCodec(conn)
}

// stream is what both codecs hold, as in net/rpc: a decoder over the
// checked messages of the connection and an encoder over a buffer of it.
type stream struct {
	conn io.ReadWriteCloser
	r    *reader
	dec  *gob.Decoder
	w    *bufio.Writer
	out  *messageWriter // between enc and w
	enc  *gob.Encoder
	// sent holds the type of every header and body encoded, and
	// renewable whether none of them reaches an interface, for
	// renewEncoder.
	sent      map[reflect.Type]struct{}
	renewable bool
}

func newStream(conn io.ReadWriteCloser, limit int) stream {
	w := bufio.NewWriter(conn)
	r := newReader(conn, limit)
	out := &messageWriter{w: w}
	return stream{
		conn:      conn,
		r:         r,
		dec:       gob.NewDecoder(r),
		w:         w,
		out:       out,
		enc:       gob.NewEncoder(out),
		sent:      make(map[reflect.Type]struct{}),
		renewable: true,
	}
}

// messageWriter passes the encoder's writes on to w, and notes the
// largest: encoding/gob writes each message (a value, or a type
// definition) in one Write.
type messageWriter struct {
	w       io.Writer
	largest int
}

func (m *messageWriter) Write(p []byte) (int, error) {
	m.largest = max(m.largest, len(p))
	return m.w.Write(p)
}

// keepBuffer is the message size past which the encoder is replaced after
// the message is sent: encoding/gob encodes every message into one buffer
// that it keeps, at the size of the largest message, for the life of the
// encoder (it lets go only past 1 GiB), so one 60 MiB reply would pin
// 60 MiB for as long as the connection lasts.
const keepBuffer = limits.KeepBuffer

// renewEncoder replaces an encoder that has written a message larger
// than keepBuffer with one that knows the same types. A new encoder
// sends the definition of every type it meets once, and a peer's decoder
// refuses a type defined twice, so the new one first encodes a value of
// every type the stream has encoded into io.Discard: that marks as sent
// exactly the definitions the old one sent, since which definitions gob
// sends for a type depends on the type alone, except for the concrete
// types behind interfaces, which depend on the values. A stream that has
// encoded a type reaching an interface keeps its encoder, as does one
// whose replay fails; the stream is unchanged either way.
func (s *stream) renewEncoder() {
	if s.out.largest <= keepBuffer {
		return
	}
	s.out.largest = 0
	if !s.renewable {
		return
	}
	out := &messageWriter{w: io.Discard}
	enc := gob.NewEncoder(out)
	for t := range s.sent {
		if err := encodeZero(enc, t); err != nil {
			s.renewable = false // the old encoder, large as it is, stays right
			return
		}
	}
	out.w, out.largest = s.w, 0
	s.out, s.enc = out, enc
}

// encodeZero encodes a zero value of type t: for a pointer, a pointer to
// a zero value, since gob refuses (by panicking) to encode a nil pointer.
func encodeZero(enc *gob.Encoder, t reflect.Type) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("gob: encoding a zero %v: %v", t, p)
		}
	}()
	v := reflect.Zero(t)
	if t.Kind() == reflect.Pointer {
		v = reflect.New(t.Elem())
	}
	return enc.EncodeValue(v)
}

// note records the type of a header or body about to be encoded.
func (s *stream) note(v any) {
	t := reflect.TypeOf(v)
	if _, ok := s.sent[t]; ok || t == nil {
		return
	}
	s.sent[t] = struct{}{}
	if reachesInterface(t, make(map[reflect.Type]bool)) {
		s.renewable = false
	}
}

var (
	gobEncoder    = reflect.TypeFor[gob.GobEncoder]()
	binMarshaler  = reflect.TypeFor[encoding.BinaryMarshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// reachesInterface reports whether gob, encoding a value of type t, may
// meet an interface: through the exported fields of structs, pointers,
// slices, arrays and maps, but not into a type that encodes itself.
func reachesInterface(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	for _, m := range []reflect.Type{gobEncoder, binMarshaler, textMarshaler} {
		if t.Implements(m) || reflect.PointerTo(t).Implements(m) {
			return false
		}
	}
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return reachesInterface(t.Elem(), seen)
	case reflect.Map:
		return reachesInterface(t.Key(), seen) || reachesInterface(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && reachesInterface(f.Type, seen) {
				return true
			}
		}
	}
	return false
}

// renewAbove is the message size past which the decoder is replaced
// before the next header: encoding/gob keeps a buffer as large as the
// largest message it has read for the life of the decoder, so one 60 MiB
// call would pin 60 MiB for as long as the connection lasts. The new
// decoder is first told the stream's type definitions again.
const renewAbove = 1 << 20

// renewDecoder replaces a decoder that has read a large message; it is
// called between messages only.
func (s *stream) renewDecoder() {
	if s.r.last <= renewAbove {
		return
	}
	s.r.last = 0
	s.r.replay()
	s.dec = gob.NewDecoder(s.r)
}

// write encodes a header and its body and sends them. A failed encoding may
// leave part of the pair (a header, type definitions) in the buffer, and
// the encoder counts its types as sent whether or not the peer ever sees
// them: the stream cannot be repaired, so it is flushed and closed, as
// net/rpc's server does, and the peer sees the connection end.
func (s *stream) write(header, body any) error {
	s.note(header)
	s.note(body)
	err := s.enc.Encode(header)
	if err == nil {
		err = s.enc.Encode(body)
	}
	if err != nil {
		s.w.Flush()
		s.conn.Close()
		return fmt.Errorf("gob: encoding %T: %w", body, err)
	}
	err = s.w.Flush()
	s.renewEncoder()
	return err
}

type serverCodec struct {
	stream
}

func (c *serverCodec) ReadRequestHeader(r *rpc.Request) error {
	c.renewDecoder()
	return c.dec.Decode(r)
}

// ReadRequestBody decodes the body into x, or discards it when x is nil.
// gob reads a whole message before decoding it, so a body that fails to
// decode fails its call and leaves the stream at the next message.
func (c *serverCodec) ReadRequestBody(x any) error { return c.dec.Decode(x) }

func (c *serverCodec) WriteResponse(r *rpc.Response, body any) error { return c.write(r, body) }

func (c *serverCodec) Close() error { return c.conn.Close() }

type clientCodec struct {
	stream
}

func (c *clientCodec) WriteRequest(r *rpc.Request, body any) error { return c.write(r, body) }

func (c *clientCodec) ReadResponseHeader(r *rpc.Response) error {
	c.renewDecoder()
	return c.dec.Decode(r)
}

func (c *clientCodec) ReadResponseBody(x any) error { return c.dec.Decode(x) }

func (c *clientCodec) Close() error { return c.conn.Close() }

// Library returns the standard library's package.
func (Codec) Library() string { return "encoding/gob (standard library)" }
