package gob

import (
	"bufio"
	"encoding/gob"
	"fmt"
	"io"
	"net/rpc"
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
	enc  *gob.Encoder
}

func newStream(conn io.ReadWriteCloser, limit int) stream {
	w := bufio.NewWriter(conn)
	r := newReader(conn, limit)
	return stream{
		conn: conn,
		r:    r,
		dec:  gob.NewDecoder(r),
		w:    w,
		enc:  gob.NewEncoder(w),
	}
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
	err := s.enc.Encode(header)
	if err == nil {
		err = s.enc.Encode(body)
	}
	if err != nil {
		s.w.Flush()
		s.conn.Close()
		return fmt.Errorf("gob: encoding %T: %w", body, err)
	}
	return s.w.Flush()
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
