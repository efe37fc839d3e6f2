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
}

// Name returns "msgpack".
func (Codec) Name() string { return "msgpack" }

// NewClientCodec returns a MessagePack-RPC client codec over conn.
func (c Codec) NewClientCodec(conn io.ReadWriteCloser) rpc.ClientCodec {
	cc := &clientCodec{conn: conn, pending: make(map[uint32]uint64)}
	cc.init(conn, c.MaxMessage)
	return cc
}

// NewServerCodec returns a MessagePack-RPC server codec over conn.
func (c Codec) NewServerCodec(conn io.ReadWriteCloser) rpc.ServerCodec {
	sc := &serverCodec{conn: conn}
	sc.init(conn, c.MaxMessage)
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
}

// init sets s up in place: its decoder reads s.in.msg.
func (s *stream) init(conn io.ReadWriter, limit int) {
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
	return c.dec.Decode(x)
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
		slowEncode()
		err = e.Encode(body)
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
	e.EncodeArrayLen(1)
	slowEncode()
	err := c.flush(c.conn, e.Encode(body))
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
	return c.dec.Decode(x)
}

func (c *clientCodec) Close() error { return c.conn.Close() }
