// Package thrift is the net/rpc codec for Apache Thrift: standard Thrift
// messages in the strict binary or the compact protocol, each in a
// TFramedTransport frame (a 4-byte big-endian size, then the message).
//
// A call to net/rpc's "Arith.Multiply" is a CALL named "Arith:Multiply", as
// TMultiplexedProtocol names it, whose struct holds the argument as field 1;
// a reply is a REPLY with the result as field 0 and the bare method name
// ("Multiply"), as Apache Thrift's multiplexed processor sends it; an error
// is an EXCEPTION carrying a TApplicationException with the error's text.
// The seqid is net/rpc's sequence number. So any Thrift client generated
// from service/rpcbench.thrift with a multiplexed protocol can call an
// rpcbench server, and rpcbench can call a Thrift server.
//
// Arguments and replies must implement thrift.TStruct; the service's types
// do, through the compiler's Read and Write methods that scripts/gen.sh
// moves onto them.
package thrift

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net/rpc"
	"strings"
	"sync"

	"github.com/apache/thrift/lib/go/thrift"

	"github.com/rpcbench/rpcbench/codecs/frame"
	"github.com/rpcbench/rpcbench/codecs/internal/limits"
	"github.com/rpcbench/rpcbench/codecs/internal/module"
)

// Codec makes Thrift client and server codecs.
type Codec struct {
	// MaxMessage caps the size of one frame read, in bytes; what the codec
	// writes is the peer's to cap (codecs.Options). 0 means the default,
	// frame.DefaultMax.
	MaxMessage int
	// Compact selects TCompactProtocol instead of strict TBinaryProtocol.
	Compact bool
}

// Name returns "thrift", or "thrift-compact" for the compact protocol.
func (c Codec) Name() string {
	if c.Compact {
		return "thrift-compact"
	}
	return "thrift"
}

// NewClientCodec returns a client codec over conn.
func (c Codec) NewClientCodec(conn io.ReadWriteCloser) rpc.ClientCodec {
	return &clientCodec{
		conn:    conn,
		in:      newReader(conn, c),
		out:     newWriter(conn, c),
		names:   names{convert: wireName},
		pending: make(map[int32]call),
	}
}

// NewServerCodec returns a server codec over conn.
func (c Codec) NewServerCodec(conn io.ReadWriteCloser) rpc.ServerCodec {
	return &serverCodec{conn: conn, in: newReader(conn, c), names: names{convert: rpcName}, out: newWriter(conn, c)}
}

// NewClientCodec returns a strict binary protocol client codec over conn
// with the default message cap.
func NewClientCodec(conn io.ReadWriteCloser) rpc.ClientCodec {
	return Codec{}.NewClientCodec(conn)
}

// NewServerCodec returns a strict binary protocol server codec over conn
// with the default message cap.
func NewServerCodec(conn io.ReadWriteCloser) rpc.ServerCodec {
	return Codec{}.NewServerCodec(conn)
}

type clientCodec struct {
	conn  io.Closer
	in    *reader // used by ReadResponseHeader and ReadResponseBody only
	out   *writer // used by WriteRequest only, which net/rpc serialises
	names names   // used by WriteRequest only

	// The reply being read, between ReadResponseHeader and ReadResponseBody.
	method  string
	bodyErr error // a reply that could not be decoded, for ReadResponseBody

	mu      sync.Mutex     // guards pending
	pending map[int32]call // by seqid: the seqid is only 32 bits wide
}

// call is a request awaiting its reply.
type call struct {
	seq    uint64
	method string
}

func (c *clientCodec) WriteRequest(r *rpc.Request, body any) error {
	args, ok := body.(thrift.TStruct)
	if !ok {
		return fmt.Errorf("thrift: argument of %s is a %T, not a thrift.TStruct", r.ServiceMethod, body)
	}
	seqid := int32(uint32(r.Seq))
	c.mu.Lock()
	c.pending[seqid] = call{r.Seq, r.ServiceMethod}
	c.mu.Unlock()
	err := c.out.message(c.names.get(r.ServiceMethod), thrift.CALL, seqid, 1, args)
	if err != nil {
		c.mu.Lock()
		delete(c.pending, seqid)
		c.mu.Unlock()
	}
	return err
}

func (c *clientCodec) ReadResponseHeader(r *rpc.Response) error {
	name, typ, seqid, err := c.in.next()
	if err != nil {
		return err
	}
	c.mu.Lock()
	pc, ok := c.pending[seqid]
	delete(c.pending, seqid)
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("thrift: reply %q with seqid %d answers no call", name, seqid)
	}
	r.Seq, r.ServiceMethod = pc.seq, pc.method
	c.method, c.bodyErr = pc.method, nil
	switch typ {
	case thrift.REPLY:
		return nil
	case thrift.EXCEPTION:
		text, err := c.in.exception()
		if err != nil {
			c.bodyErr = fmt.Errorf("thrift: reading exception from %s: %w", pc.method, err)
			return nil
		}
		r.Error = text
		return nil
	}
	return fmt.Errorf("thrift: reply %q to %s has message type %d, want REPLY or EXCEPTION", name, pc.method, typ)
}

func (c *clientCodec) ReadResponseBody(body any) error {
	if c.bodyErr != nil {
		return c.bodyErr
	}
	if body == nil {
		return nil // net/rpc discards it; the frame is read already
	}
	reply, ok := body.(thrift.TStruct)
	if !ok {
		return fmt.Errorf("thrift: reply of %s is a %T, not a thrift.TStruct", c.method, body)
	}
	found, err := c.in.field(0, reply)
	if err != nil {
		return fmt.Errorf("thrift: reading reply of %s: %w", c.method, err)
	}
	if !found {
		return fmt.Errorf("thrift: reply of %s has no result (field 0)", c.method)
	}
	return nil
}

func (c *clientCodec) Close() error { return c.conn.Close() }

type serverCodec struct {
	conn   io.Closer
	in     *reader // used by ReadRequestHeader and ReadRequestBody only
	names  names   // used by ReadRequestHeader only
	method string  // of the request being read
	out    *writer // used by WriteResponse only, which net/rpc serialises
}

func (c *serverCodec) ReadRequestHeader(r *rpc.Request) error {
	name, typ, seqid, err := c.in.next()
	if err != nil {
		return err
	}
	if typ != thrift.CALL {
		return fmt.Errorf("thrift: request %q has message type %d, want CALL", name, typ)
	}
	c.method = c.names.get(name)
	r.ServiceMethod, r.Seq = c.method, uint64(uint32(seqid))
	return nil
}

func (c *serverCodec) ReadRequestBody(body any) error {
	if body == nil {
		return nil // net/rpc discards it; the frame is read already
	}
	args, ok := body.(thrift.TStruct)
	if !ok {
		return fmt.Errorf("thrift: argument of %s is a %T, not a thrift.TStruct", c.method, body)
	}
	// A missing argument leaves it at its zero value, as in Thrift.
	if _, err := c.in.field(1, args); err != nil {
		return fmt.Errorf("thrift: reading argument of %s: %w", c.method, err)
	}
	return nil
}

func (c *serverCodec) WriteResponse(r *rpc.Response, body any) error {
	// Apache Thrift's processors answer with the bare method name.
	name := r.ServiceMethod[strings.LastIndexByte(r.ServiceMethod, '.')+1:]
	seqid := int32(uint32(r.Seq))
	if r.Error != "" {
		return c.out.exception(name, seqid, r.Error)
	}
	reply, ok := body.(thrift.TStruct)
	if !ok {
		return c.out.exception(name, seqid, fmt.Sprintf("thrift: reply of %s is a %T, not a thrift.TStruct", r.ServiceMethod, body))
	}
	err := c.out.message(name, thrift.REPLY, seqid, 0, reply)
	if err == nil {
		return nil
	}
	var tooLarge *frame.TooLargeError
	if errors.As(err, &tooLarge) {
		// Tell the caller, or it would wait for a reply forever.
		return c.out.exception(name, seqid, fmt.Sprintf("thrift: reply of %s: %v", r.ServiceMethod, err))
	}
	return err
}

func (c *serverCodec) Close() error { return c.conn.Close() }

// maxNames bounds a names cache, which a peer's made-up names could
// otherwise grow without end.
const maxNames = 64

// names caches one direction of the method name conversion: a connection
// calls few methods, and converting each time would allocate per call.
type names struct {
	convert func(string) string
	m       map[string]string
}

func (n *names) get(name string) string {
	if s, ok := n.m[name]; ok {
		return s
	}
	s := n.convert(name)
	if n.m == nil {
		n.m = make(map[string]string)
	}
	if len(n.m) < maxNames {
		n.m[name] = s
	}
	return s
}

// wireName turns net/rpc's "Service.Method" into TMultiplexedProtocol's
// "Service:Method", splitting where net/rpc does, at the last dot.
func wireName(method string) string {
	dot := strings.LastIndexByte(method, '.')
	if dot < 0 {
		return method
	}
	return method[:dot] + thrift.MULTIPLEXED_SEPARATOR + method[dot+1:]
}

// rpcName turns "Service:Method" into "Service.Method", splitting where
// TMultiplexedProcessor does, at the first colon. A name without a colon
// is passed on for net/rpc to refuse.
func rpcName(name string) string {
	service, method, ok := strings.Cut(name, thrift.MULTIPLEXED_SEPARATOR)
	if !ok {
		return name
	}
	return service + "." + method
}

// keepBuffer is the largest frame buffer a codec keeps between messages:
// enough for the usual payloads, without pinning the largest message a
// connection ever carried.
const keepBuffer = limits.KeepBuffer

// reader reads frames and decodes the message in each, reusing its buffer
// and protocol from one frame to the next.
type reader struct {
	r       *bufio.Reader
	limit   int
	compact bool
	buf     buffer
	proto   *checked
}

func newReader(r io.Reader, c Codec) *reader {
	rd := &reader{r: bufio.NewReader(r), limit: frame.Max(c.MaxMessage), compact: c.Compact}
	rd.resetProtocol()
	return rd
}

// resetProtocol starts a fresh protocol after a decoding error: the compact
// protocol keeps per-struct state that a failed read leaves behind.
func (rd *reader) resetProtocol() {
	names := make(map[string]string)
	if rd.proto != nil {
		names = rd.proto.names
	}
	rd.proto = &checked{TProtocol: newProtocol(&rd.buf, rd.compact), in: &rd.buf, compact: rd.compact, names: names}
}

// next reads a frame and the message header at its start. An error means
// the connection can't go on: the stream ended or broke, a frame was too
// large, or a message can't be told apart from the next.
func (rd *reader) next() (string, thrift.TMessageType, int32, error) {
	b := rd.buf.b
	if cap(b) > keepBuffer {
		b = nil
	}
	b, err := frame.ReadPrefixed(rd.r, b, rd.limit)
	rd.buf.reset(b)
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return "", 0, 0, err // net/rpc takes these bare as a closed connection
		}
		return "", 0, 0, fmt.Errorf("thrift: %w", err)
	}
	name, typ, seqid, err := rd.proto.ReadMessageBegin(context.Background())
	if err != nil {
		rd.resetProtocol()
		return "", 0, 0, fmt.Errorf("thrift: reading message header: %w", err)
	}
	return name, typ, seqid, nil
}

// field decodes the struct of the message that next began, reading field
// id into s and skipping the others. The frame is read whole already, so a
// failure here leaves the stream at the next frame.
func (rd *reader) field(id int16, s thrift.TStruct) (found bool, err error) {
	found, err = rd.readField(context.Background(), id, s)
	if err != nil {
		rd.resetProtocol()
	}
	return found, err
}

func (rd *reader) readField(ctx context.Context, id int16, s thrift.TStruct) (found bool, err error) {
	p := rd.proto
	if _, err := p.ReadStructBegin(ctx); err != nil {
		return false, err
	}
	for {
		_, typ, fid, err := p.ReadFieldBegin(ctx)
		if err != nil {
			return false, err
		}
		if typ == thrift.STOP {
			break
		}
		if fid == id && typ == thrift.STRUCT {
			err = s.Read(ctx, p)
			found = true
		} else {
			err = p.Skip(ctx, typ)
		}
		if err != nil {
			return false, err
		}
		if err := p.ReadFieldEnd(ctx); err != nil {
			return false, err
		}
	}
	if err := p.ReadStructEnd(ctx); err != nil {
		return false, err
	}
	return found, p.ReadMessageEnd(ctx)
}

// exception decodes the TApplicationException of an EXCEPTION message and
// returns its text, never empty: net/rpc takes an empty error for success.
func (rd *reader) exception() (string, error) {
	exc := thrift.NewTApplicationException(thrift.UNKNOWN_APPLICATION_EXCEPTION, "")
	if err := exc.Read(context.Background(), rd.proto); err != nil {
		rd.resetProtocol()
		return "", err
	}
	if text := exc.Error(); text != "" {
		return text, nil
	}
	return fmt.Sprintf("thrift: application exception of type %d", exc.TypeId()), nil
}

// writer encodes messages into a frame and writes each frame with one
// Write: what a bufio.Writer flushed per message would do, without copying.
type writer struct {
	w       io.Writer
	compact bool
	buf     buffer
	proto   thrift.TProtocol
}

func newWriter(w io.Writer, c Codec) *writer {
	wr := &writer{w: w, compact: c.Compact}
	wr.proto = newProtocol(&wr.buf, c.Compact)
	return wr
}

// message writes a message whose struct holds s as field id.
func (wr *writer) message(name string, typ thrift.TMessageType, seqid int32, id int16, s thrift.TStruct) error {
	ctx := context.Background()
	wr.begin()
	p := wr.proto
	err := p.WriteMessageBegin(ctx, name, typ, seqid)
	if err == nil {
		err = p.WriteStructBegin(ctx, "")
	}
	if err == nil {
		err = p.WriteFieldBegin(ctx, "", thrift.STRUCT, id)
	}
	if err == nil {
		err = s.Write(ctx, p)
	}
	if err == nil {
		err = p.WriteFieldEnd(ctx)
	}
	if err == nil {
		err = p.WriteFieldStop(ctx)
	}
	if err == nil {
		err = p.WriteStructEnd(ctx)
	}
	if err == nil {
		err = p.WriteMessageEnd(ctx)
	}
	if err != nil {
		wr.proto = newProtocol(&wr.buf, wr.compact) // as reader.resetProtocol
		return fmt.Errorf("thrift: encoding %s: %w", name, err)
	}
	return wr.send()
}

// exception writes an EXCEPTION message carrying text.
func (wr *writer) exception(name string, seqid int32, text string) error {
	ctx := context.Background()
	typ := int32(thrift.INTERNAL_ERROR)
	if strings.HasPrefix(text, "rpc: can't find ") { // net/rpc's unknown service or method
		typ = thrift.UNKNOWN_METHOD
	}
	wr.begin()
	err := wr.proto.WriteMessageBegin(ctx, name, thrift.EXCEPTION, seqid)
	if err == nil {
		err = thrift.NewTApplicationException(typ, text).Write(ctx, wr.proto)
	}
	if err == nil {
		err = wr.proto.WriteMessageEnd(ctx)
	}
	if err != nil {
		wr.proto = newProtocol(&wr.buf, wr.compact)
		return fmt.Errorf("thrift: encoding exception for %s: %w", name, err)
	}
	return wr.send()
}

// begin starts a frame, leaving room for its size.
func (wr *writer) begin() {
	b := wr.buf.b
	if cap(b) > keepBuffer {
		b = nil
	}
	wr.buf.reset(append(b[:0], 0, 0, 0, 0))
}

// send fills in the frame's size and writes it, unless the size does not
// fit a frame header (a Thrift frame size is an i32): then nothing is
// written and the connection stays usable.
func (wr *writer) send() error {
	n := len(wr.buf.b) - 4
	if err := frame.Check(uint64(n), math.MaxInt32); err != nil {
		return fmt.Errorf("thrift: %w", err)
	}
	binary.BigEndian.PutUint32(wr.buf.b, uint32(n))
	_, err := wr.w.Write(wr.buf.b)
	return err
}

// Library returns Apache Thrift's Go library, whose protocols it speaks
// through.
func (Codec) Library() string { return module.Version("github.com/apache/thrift") }
