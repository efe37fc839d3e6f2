package protobuf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net/rpc"
	"slices"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/rpcbench/rpcbench/codecs/frame"
	"github.com/rpcbench/rpcbench/codecs/internal/module"
	"github.com/rpcbench/rpcbench/service"
)

// Codec is the protobuf frame codec.
type Codec struct {
	// MaxMessage caps the size of one frame read, in bytes. 0 means
	// frame.DefaultMax (64 MiB).
	MaxMessage int
}

// Name returns "protobuf".
func (Codec) Name() string { return "protobuf" }

// NewClientCodec returns a protobuf client codec over conn.
func (c Codec) NewClientCodec(conn io.ReadWriteCloser) rpc.ClientCodec {
	return &clientCodec{stream: newStream(conn, c.MaxMessage)}
}

// NewServerCodec returns a protobuf server codec over conn.
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

// stream is what both codecs hold. Reading and writing each keep their own
// frame and buffers, reused from message to message: net/rpc writes a
// server's responses while it reads the next request.
type stream struct {
	conn  io.ReadWriteCloser
	r     *bufio.Reader
	limit int
	in    []byte // the frame last read
	rf    header // its fields; rf.body points into in

	wf   service.Frame // the frame being written
	body []byte        // its body, encoded
	out  []byte        // its length and encoding, written at once
}

func newStream(conn io.ReadWriteCloser, limit int) stream {
	return stream{conn: conn, r: bufio.NewReader(conn), limit: frame.Max(limit)}
}

// read reads and decodes the next frame into s.rf. Its body is decoded
// later, by readBody, so that a body that fails to decode fails only its
// call: the frame itself was whole.
func (s *stream) read() error {
	var err error
	s.in, err = frame.ReadPrefixed(s.r, s.in, s.limit)
	if err != nil {
		if tooLarge := new(frame.TooLargeError); errors.As(err, &tooLarge) {
			err = fmt.Errorf("protobuf: %w", err)
		}
		return err
	}
	return s.rf.parse(s.in)
}

// header holds the fields of a Frame as read. protobuf-go's generated
// decoder would copy body out of the read buffer (one allocation and copy
// per message); the four fields are simple enough to read in place.
type header struct {
	seq     uint64
	method  string
	errText string
	body    []byte
}

// parse decodes a Frame as protobuf-go does: fields in any order, the last
// of a repeated field winning, unknown fields and known fields of another
// wire type skipped.
func (h *header) parse(b []byte) error {
	h.seq, h.errText, h.body = 0, "", nil
	method := h.method
	h.method = ""
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("protobuf: frame: %w", protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			h.seq, n = protowire.ConsumeVarint(b)
		case num >= 2 && num <= 4 && typ == protowire.BytesType:
			var v []byte
			v, n = protowire.ConsumeBytes(b)
			switch num {
			case 2:
				// Reuse the previous request's string when the method is
				// the same, as it mostly is on a connection.
				if string(v) != method {
					method = string(v)
				}
				h.method = method
			case 3:
				h.errText = string(v)
			case 4:
				h.body = v
			}
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("protobuf: frame field %d: %w", num, protowire.ParseError(n))
		}
		b = b[n:]
	}
	return nil
}

// readBody decodes the body of the frame last read into x: a proto.Message,
// an *any (from a google.protobuf.Value), or nil to discard it.
func (s *stream) readBody(x any) error {
	var err error
	switch x := x.(type) {
	case nil:
		return nil
	case proto.Message:
		err = unmarshal(s.rf.body, x)
	case *any:
		var v structpb.Value
		if err = proto.Unmarshal(s.rf.body, &v); err == nil {
			*x = v.AsInterface()
		}
	default:
		return fmt.Errorf("protobuf: cannot decode into %T: not a proto.Message or *any", x)
	}
	if err != nil {
		return fmt.Errorf("protobuf: body of %T: %w", x, err)
	}
	return nil
}

// write encodes and sends one frame. body is nil for a frame without one.
func (s *stream) write(seq uint64, method, errText string, body any) error {
	var err error
	s.body, err = appendBody(s.body[:0], body)
	if err != nil {
		return err
	}
	// proto3 strings must be UTF-8, and an error's text may quote bad input.
	s.wf.Seq, s.wf.Method, s.wf.Error, s.wf.Body = seq, method, strings.ToValidUTF8(errText, "\uFFFD"), s.body
	s.out, err = proto.MarshalOptions{}.MarshalAppend(append(s.out[:0], 0, 0, 0, 0), &s.wf)
	s.wf.Body = nil
	if err != nil {
		return fmt.Errorf("protobuf: frame: %w", err)
	}
	n := len(s.out) - 4
	if n > math.MaxUint32 {
		return fmt.Errorf("protobuf: frame of %d bytes does not fit its 4-byte length", n)
	}
	binary.BigEndian.PutUint32(s.out, uint32(n))
	_, err = s.conn.Write(s.out)
	return err
}

// appendBody appends the encoding of body to b: a proto.Message as itself,
// any other value as a google.protobuf.Value.
func appendBody(b []byte, body any) ([]byte, error) {
	m, ok := body.(proto.Message)
	if !ok && body != nil {
		v, err := structpb.NewValue(body)
		if err != nil {
			return b, fmt.Errorf("protobuf: cannot encode %T: not a proto.Message, and as a google.protobuf.Value: %w", body, err)
		}
		m = v
	}
	if m == nil {
		return b, nil
	}
	b, err := appendMessage(b, m)
	if err != nil {
		return b, fmt.Errorf("protobuf: encoding %T: %w", body, err)
	}
	return b, nil
}

// vtMessage is the encoder that protoc-gen-go-vtproto generates for the
// service's messages (scripts/gen.sh). protobuf-go encodes a map field by
// reflection, allocating for every entry in its size pass and again in its
// encoding pass; this encoder allocates nothing. Its bytes are
// proto.Marshal's but in two corners: a double of -0 is left out (read back
// as +0), and a string that isn't UTF-8 is sent, for the receiver's
// proto.Unmarshal to refuse, where proto.Marshal would refuse to send it.
type vtMessage interface {
	SizeVT() int
	MarshalToSizedBufferVT([]byte) (int, error)
}

// vtUnmarshaler is the decoder protoc-gen-go-vtproto generates for the
// service's messages, rewritten by scripts/gen.sh to refuse whatever
// proto.Unmarshal refuses. It reads a message with no reflection and, for a
// map field, no allocation beyond the map's own.
type vtUnmarshaler interface {
	UnmarshalVT([]byte) error
}

// unmarshal decodes b into m as proto.Unmarshal does: with the generated
// decoder where m has one, and proto.Unmarshal where it has none or fails,
// so that an error (or the few inputs only the generated decoder refuses,
// such as a known field with another wire type, which protobuf-go keeps as
// unknown) is protobuf-go's own. FuzzUnmarshalSameAsProto holds the two to
// the same messages.
func unmarshal(b []byte, m proto.Message) error {
	if vt, ok := m.(vtUnmarshaler); ok {
		proto.Reset(m) // UnmarshalVT merges, proto.Unmarshal replaces
		if vt.UnmarshalVT(b) == nil {
			return nil
		}
	}
	return proto.Unmarshal(b, m)
}

// appendMessage appends the encoding of m to b.
func appendMessage(b []byte, m proto.Message) ([]byte, error) {
	vt, ok := m.(vtMessage)
	if !ok {
		return proto.MarshalOptions{}.MarshalAppend(b, m)
	}
	n := vt.SizeVT()
	b = slices.Grow(b, n)
	// It fills the buffer from the end: give it exactly n bytes.
	_, err := vt.MarshalToSizedBufferVT(b[len(b) : len(b)+n])
	return b[:len(b)+n], err
}

type serverCodec struct {
	stream
}

func (c *serverCodec) ReadRequestHeader(r *rpc.Request) error {
	if err := c.read(); err != nil {
		return err
	}
	r.ServiceMethod = c.rf.method
	r.Seq = c.rf.seq
	return nil
}

func (c *serverCodec) ReadRequestBody(x any) error { return c.readBody(x) }

// WriteResponse sends the reply, or the error alone: net/rpc passes a
// placeholder reply with an error.
func (c *serverCodec) WriteResponse(r *rpc.Response, x any) error {
	if r.Error != "" {
		x = nil
	}
	return c.write(r.Seq, "", r.Error, x)
}

func (c *serverCodec) Close() error { return c.conn.Close() }

// clientCodec sends net/rpc's sequence number as the frame's seq, which the
// server echoes, so no map from frames to calls is needed.
type clientCodec struct {
	stream
}

func (c *clientCodec) WriteRequest(r *rpc.Request, x any) error {
	return c.write(r.Seq, r.ServiceMethod, "", x)
}

func (c *clientCodec) ReadResponseHeader(r *rpc.Response) error {
	if err := c.read(); err != nil {
		return err
	}
	r.Seq = c.rf.seq
	r.Error = c.rf.errText
	return nil
}

func (c *clientCodec) ReadResponseBody(x any) error { return c.readBody(x) }

func (c *clientCodec) Close() error { return c.conn.Close() }

// Library returns vtprotobuf, whose generated code encodes and decodes the
// service's messages, and protobuf-go, which does the rest.
func (Codec) Library() string {
	return module.Version("github.com/planetscale/vtprotobuf") + ", " + module.Version("google.golang.org/protobuf")
}
