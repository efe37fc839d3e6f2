package msgpack

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/rpc"
	"sync"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
	"google.golang.org/protobuf/proto"

	"github.com/rpcbench/rpcbench/codecs/frame"
	"github.com/rpcbench/rpcbench/codecs/internal/module"
	"github.com/rpcbench/rpcbench/codecs/rpcparams"
)

// Message types of MessagePack-RPC: the first element of every message.
const (
	typeRequest      = 0
	typeResponse     = 1
	typeNotification = 2
)

// Codec is the MessagePack-RPC codec.
type Codec struct {
	// MaxMessage caps the size in bytes of one message the codec reads; a
	// peer with the same cap refuses a larger one that it writes. 0 means
	// frame.DefaultMax (64 MiB).
	MaxMessage int

	// Body, when set, encodes and decodes the message bodies of the types it
	// knows in place of the library: a variant of the codec, by another
	// library on the same wire (codecs/msgpackmsgp). The envelope and every
	// other body stay the library's. nil means the library does all.
	Body Body
}

// A Body encodes and decodes the bodies (arguments and results) of the
// types it knows, writing the bytes the library would write for them.
type Body interface {
	// Name names the variant after its library: the codec is called
	// "msgpack-" followed by it.
	Name() string
	// Module returns the library's module path.
	Module() string
	// AppendBody appends v's encoding to b; ok is false for a value whose
	// type it does not know, which the library then encodes.
	AppendBody(b []byte, v any) (out []byte, ok bool, err error)
	// ReadBody decodes the value at the start of b, which holds the rest of
	// one complete message, into v and returns the bytes after it. ok is
	// false for a v it does not know or bytes it does not take (a foreign
	// peer's looser encoding, say): the library then decodes the same bytes
	// into v, so that a variant accepts what the library accepts and fails
	// with the library's errors.
	ReadBody(b []byte, v any) (rest []byte, ok bool)
}

// SendsParamsList: a rpcparams.List is sent as the request's params.
func (Codec) SendsParamsList() {}

// Format returns "msgpack": whatever its Body, the codec speaks
// msgpack's bytes (codecs.Variant).
func (Codec) Format() string { return "msgpack" }

// Name returns "msgpack", or "msgpack-" and the name of its Body.

func (c Codec) Name() string {
	if c.Body != nil {
		return "msgpack-" + c.Body.Name()
	}
	return "msgpack"
}

// Library returns the module and version of its Body's library, or of
// github.com/vmihailenco/msgpack/v5.
func (c Codec) Library() string {
	if c.Body != nil {
		return module.Version(c.Body.Module())
	}
	return module.Version("github.com/vmihailenco/msgpack/v5")
}

// NewClientCodec returns a MessagePack-RPC client codec over conn.
func (c Codec) NewClientCodec(conn io.ReadWriteCloser) rpc.ClientCodec {
	cc := &clientCodec{conn: conn, pending: make(map[uint32]uint64)}
	cc.init(conn, c.MaxMessage, c.Body)
	return cc
}

// NewServerCodec returns a MessagePack-RPC server codec over conn.
func (c Codec) NewServerCodec(conn io.ReadWriteCloser) rpc.ServerCodec {
	sc := &serverCodec{conn: conn}
	sc.init(conn, c.MaxMessage, c.Body)
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

// stream is what both codecs hold: a reader of whole messages with a
// decoder over the message last read, and a buffered encoder.
type stream struct {
	in  reader
	dec *msgpack.Decoder
	w   *bufio.Writer
	enc *msgpack.Encoder

	body    Body   // nil: the library encodes and decodes every body
	scratch []byte // where body appends a body before it is written to w
}

// maxScratch bounds the scratch buffer a stream keeps between messages, so
// that one large body does not stay allocated for the connection's life.
const maxScratch = 64 << 10

// init sets s up in place: its decoder reads s.in.msg.
func (s *stream) init(conn io.ReadWriter, limit int, body Body) {
	s.body = body
	s.in = reader{r: bufio.NewReader(conn), limit: frame.Max(limit)}
	s.dec = msgpack.NewDecoder(&s.in.msg)
	s.dec.SetMapDecoder(decodeMap)
	s.w = bufio.NewWriter(conn)
	s.enc = msgpack.NewEncoder(s.w)
	s.enc.UseCompactInts(true)
}

// next reads the next message of type want, skipping notifications, and
// leaves the decoder after the message type.
func (s *stream) next(want int64) error {
	for {
		if err := s.in.next(); err != nil {
			return err
		}
		n, err := s.dec.DecodeArrayLen()
		if err != nil {
			return fmt.Errorf("msgpack: message is not an array: %w", err)
		}
		t, err := s.dec.DecodeInt64()
		if err != nil {
			return fmt.Errorf("msgpack: message type: %w", err)
		}
		switch {
		case t == typeNotification && n == 3:
			continue
		case t == want && n == 4:
			return nil
		}
		return fmt.Errorf("msgpack: got a message of type %d with %d elements, want type %d with 4", t, n, want)
	}
}

// msgid decodes a message's msgid, a uint32 in the specification.
func (s *stream) msgid() (uint32, error) {
	id, err := s.dec.DecodeInt64()
	if err != nil {
		return 0, fmt.Errorf("msgpack: msgid: %w", err)
	}
	if id < 0 || id > math.MaxUint32 {
		return 0, fmt.Errorf("msgpack: msgid %d is not a uint32", id)
	}
	return uint32(id), nil
}

// flush sends the message encoded so far. err is the body's encoding error:
// the header before it may already be on the wire, so the stream is broken
// and the connection is closed. The header's own writes can fail only as
// writes, and bufio.Writer keeps the first write error for Flush to return.
func (s *stream) flush(conn io.Closer, err error) error {
	if err != nil {
		conn.Close()
		return fmt.Errorf("msgpack: encoding body: %w", err)
	}
	return s.w.Flush()
}

// encode writes a message body after the header already written.
func (s *stream) encode(v any) error {
	slowEncode()
	if s.body == nil {
		return s.enc.Encode(v)
	}
	b, ok, err := s.body.AppendBody(s.scratch[:0], v)
	if !ok {
		return s.enc.Encode(v)
	}
	if err != nil {
		return err
	}
	// A write error stays in s.w for flush to return, as the header's do.
	s.w.Write(b)
	if cap(b) <= maxScratch {
		s.scratch = b
	}
	return nil
}

// decode reads a message body into x.
func (s *stream) decode(x any) error {
	if s.body != nil {
		rest := s.in.msg.rest()
		if after, ok := s.body.ReadBody(rest, x); ok {
			s.in.msg.take(len(rest) - len(after))
			return nil
		}
	}
	return s.dec.Decode(x)
}

// deepError is the error of a call whose message nests too deeply to decode.
func deepError() error {
	return fmt.Errorf("msgpack: message nests deeper than %d levels", maxDepth)
}

type serverCodec struct {
	conn io.Closer
	stream
}

func (c *serverCodec) ReadRequestHeader(r *rpc.Request) error {
	if err := c.next(typeRequest); err != nil {
		return err
	}
	id, err := c.msgid()
	if err != nil {
		return err
	}
	method, err := c.dec.DecodeString()
	if err != nil {
		return fmt.Errorf("msgpack: request method: %w", err)
	}
	// The msgid is echoed as it came; net/rpc only hands Seq back.
	r.Seq = uint64(id)
	r.ServiceMethod = method
	return nil
}

func (c *serverCodec) ReadRequestBody(x any) error {
	if x == nil {
		return nil
	}
	if c.in.deep {
		return deepError()
	}
	n, err := c.dec.DecodeArrayLen()
	if err != nil {
		return fmt.Errorf("msgpack: request params: %w", err)
	}
	if n != 1 {
		return fmt.Errorf("msgpack: request params hold %d values, want 1", n)
	}
	return c.decode(x)
}

func (c *serverCodec) WriteResponse(r *rpc.Response, body any) error {
	e := c.enc
	e.EncodeArrayLen(4)
	e.EncodeInt(typeResponse)
	e.EncodeUint(r.Seq)
	var err error
	if r.Error != "" {
		e.EncodeString(r.Error)
		e.EncodeNil()
	} else {
		e.EncodeNil()
		err = c.encode(body)
	}
	return c.flush(c.conn, err)
}

func (c *serverCodec) Close() error { return c.conn.Close() }

type clientCodec struct {
	conn io.Closer
	stream

	mu      sync.Mutex        // guards pending
	pending map[uint32]uint64 // msgid to net/rpc seq of calls awaiting a reply
}

func (c *clientCodec) WriteRequest(r *rpc.Request, body any) error {
	// The msgid is the seq's low 32 bits; the pending map restores the rest.
	id := uint32(r.Seq)
	c.mu.Lock()
	c.pending[id] = r.Seq
	c.mu.Unlock()

	e := c.enc
	// A generic argument (decoded from JSON, say) holds whole numbers as
	// float64, which servers with typed parameters (Neovim's Integer)
	// refuse: send them as integers. The service's messages keep their floats.
	_, typed := body.(proto.Message)
	e.UseCompactFloats(!typed)
	e.EncodeArrayLen(4)
	e.EncodeInt(typeRequest)
	e.EncodeUint(uint64(id))
	e.EncodeString(r.ServiceMethod)
	var err error
	if list, ok := body.(rpcparams.List); ok {
		// A foreign method's whole parameter list.
		e.EncodeArrayLen(len(list))
		for _, p := range list {
			if err = e.Encode(p); err != nil {
				break
			}
		}
	} else {
		e.EncodeArrayLen(1)
		err = c.encode(body)
	}
	err = c.flush(c.conn, err)
	if err != nil {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}
	return err
}

func (c *clientCodec) ReadResponseHeader(r *rpc.Response) error {
	if err := c.next(typeResponse); err != nil {
		return err
	}
	id, err := c.msgid()
	if err != nil {
		return err
	}
	c.mu.Lock()
	seq, ok := c.pending[id]
	delete(c.pending, id)
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("msgpack: response to msgid %d, which no call is waiting for", id)
	}
	r.Seq = seq
	r.Error = ""
	if c.in.deep {
		r.Error = deepError().Error()
		return nil
	}
	if code, err := c.dec.PeekCode(); err == nil && code == msgpcode.Nil {
		return c.dec.DecodeNil()
	}
	v, err := c.dec.DecodeInterface()
	if err != nil {
		r.Error = "msgpack: undecodable error value: " + err.Error()
		return nil
	}
	r.Error = errorText(v)
	return nil
}

func (c *clientCodec) ReadResponseBody(x any) error {
	switch x := x.(type) {
	case nil:
		return nil
	case *any:
		// Whatever *x holds, as encoding/json does: the library would
		// otherwise decode into the value *x points to, or refuse.
		v, err := c.dec.DecodeInterface()
		if err == nil {
			*x = v
		}
		return err
	}
	return c.decode(x)
}

func (c *clientCodec) Close() error { return c.conn.Close() }
