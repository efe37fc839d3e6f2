package thrift

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/apache/thrift/lib/go/thrift"
)

// config makes the binary protocol strict both ways, as DESIGN 3 asks; the
// library's own size limits are left at their defaults and not relied on.
var config = &thrift.TConfiguration{
	TBinaryStrictRead:  thrift.BoolPtr(true),
	TBinaryStrictWrite: thrift.BoolPtr(true),
}

func newProtocol(t thrift.TTransport, compact bool) thrift.TProtocol {
	if compact {
		return thrift.NewTCompactProtocolConf(t, config)
	}
	return thrift.NewTBinaryProtocolConf(t, config)
}

// buffer is the transport under the codec's protocols: it reads one frame
// held in memory, or collects one frame to be written. thrift.TMemoryBuffer
// would serve, but pointing it at the next frame would copy or allocate.
type buffer struct {
	b   []byte
	off int // read position in b
}

func (b *buffer) reset(p []byte) { b.b, b.off = p, 0 }

// left is the number of unread bytes.
func (b *buffer) left() int { return len(b.b) - b.off }

func (b *buffer) Read(p []byte) (int, error) {
	if b.off >= len(b.b) {
		return 0, io.EOF
	}
	n := copy(p, b.b[b.off:])
	b.off += n
	return n, nil
}

func (b *buffer) ReadByte() (byte, error) {
	if b.off >= len(b.b) {
		return 0, io.EOF
	}
	b.off++
	return b.b[b.off-1], nil
}

func (b *buffer) Write(p []byte) (int, error) {
	b.b = append(b.b, p...)
	return len(p), nil
}

func (b *buffer) WriteByte(c byte) error {
	b.b = append(b.b, c)
	return nil
}

func (b *buffer) WriteString(s string) (int, error) {
	b.b = append(b.b, s...)
	return len(s), nil
}

func (b *buffer) RemainingBytes() uint64          { return uint64(b.left()) }
func (b *buffer) Flush(ctx context.Context) error { return nil }
func (b *buffer) Open() error                     { return nil }
func (b *buffer) IsOpen() bool                    { return true }
func (b *buffer) Close() error                    { return nil }

// checked is the protocol the codec reads a frame with. Generated Read
// methods allocate for whatever count a peer claims (make([]T, 0, size))
// and the library checks counts only against its configured maximum, so
// checked refuses any count or length that the rest of the frame cannot
// hold before the generated code sees it. Strings and binaries it reads
// itself, straight from the frame, which also saves the library's
// bytes.Buffer round trip for long ones.
//
// It reads the message header itself too, so that the message name, which
// the library would allocate for every message, is the string made the
// first time the connection saw that name.
type checked struct {
	thrift.TProtocol
	in      *buffer
	compact bool
	names   map[string]string // message names read, each mapped to itself; at most maxNames
}

// ReadMessageBegin reads a message header as the library does, strict
// binary or compact.
func (p *checked) ReadMessageBegin(ctx context.Context) (name string, typ thrift.TMessageType, seqid int32, err error) {
	if p.compact {
		var id, versionAndType byte
		var seq uint64
		if id, err = p.in.ReadByte(); err == nil {
			versionAndType, err = p.in.ReadByte()
		}
		if err == nil {
			seq, err = binary.ReadUvarint(p.in)
		}
		if err != nil {
			return "", 0, 0, fmt.Errorf("thrift: reading message header: %w", eofMidFrame(err))
		}
		if id != thrift.COMPACT_PROTOCOL_ID || versionAndType&thrift.COMPACT_VERSION_MASK != thrift.COMPACT_VERSION {
			return "", 0, 0, fmt.Errorf("thrift: compact message header %02x %02x: want protocol id %02x, version %d", id, versionAndType, thrift.COMPACT_PROTOCOL_ID, thrift.COMPACT_VERSION)
		}
		typ, seqid = thrift.TMessageType(versionAndType>>thrift.COMPACT_TYPE_SHIFT_AMOUNT&thrift.COMPACT_TYPE_BITS), int32(seq)
		name, err = p.messageName()
		return name, typ, seqid, err
	}
	if p.in.left() < 4 {
		return "", 0, 0, fmt.Errorf("thrift: reading message header: %w", io.ErrUnexpectedEOF)
	}
	version := binary.BigEndian.Uint32(p.in.b[p.in.off:])
	p.in.off += 4
	if version&thrift.VERSION_MASK != thrift.VERSION_1 {
		return "", 0, 0, fmt.Errorf("thrift: message header %08x: want strict binary version %08x", version, uint32(thrift.VERSION_1))
	}
	if name, err = p.messageName(); err != nil {
		return "", 0, 0, err
	}
	if p.in.left() < 4 {
		return "", 0, 0, fmt.Errorf("thrift: reading message seqid: %w", io.ErrUnexpectedEOF)
	}
	seqid = int32(binary.BigEndian.Uint32(p.in.b[p.in.off:]))
	p.in.off += 4
	return name, thrift.TMessageType(version & 0xff), seqid, nil
}

// messageName reads a message name, as the string made for it before where
// there is one.
func (p *checked) messageName() (string, error) {
	b, err := p.readBytes("message name")
	if err != nil {
		return "", err
	}
	if name, ok := p.names[string(b)]; ok {
		return name, nil
	}
	name := string(b)
	if len(p.names) < maxNames {
		p.names[name] = name
	}
	return name, nil
}

func (p *checked) ReadListBegin(ctx context.Context) (thrift.TType, int, error) {
	t, n, err := p.TProtocol.ReadListBegin(ctx)
	if err == nil {
		err = p.check("list", n, 1)
	}
	return t, n, err
}

func (p *checked) ReadSetBegin(ctx context.Context) (thrift.TType, int, error) {
	t, n, err := p.TProtocol.ReadSetBegin(ctx)
	if err == nil {
		err = p.check("set", n, 1)
	}
	return t, n, err
}

func (p *checked) ReadMapBegin(ctx context.Context) (thrift.TType, thrift.TType, int, error) {
	k, v, n, err := p.TProtocol.ReadMapBegin(ctx)
	if err == nil {
		err = p.check("map", n, 2)
	}
	return k, v, n, err
}

func (p *checked) ReadString(ctx context.Context) (string, error) {
	b, err := p.readBytes("string")
	return string(b), err
}

func (p *checked) ReadBinary(ctx context.Context) ([]byte, error) {
	b, err := p.readBytes("binary")
	if err != nil {
		return nil, err
	}
	return bytes.Clone(b), nil // b is the frame buffer, reused for the next frame
}

// Skip skips through p, not through the embedded protocol (whose Skip would
// pass itself on), so that skipped fields are checked too.
func (p *checked) Skip(ctx context.Context, t thrift.TType) error {
	return thrift.SkipDefaultDepth(ctx, p, t)
}

// check refuses a collection of n elements of at least size bytes each that
// the rest of the frame cannot hold. Every Thrift value takes at least one
// byte in both protocols (an empty struct is its stop byte).
func (p *checked) check(what string, n, size int) error {
	if left := p.in.left(); n < 0 || int64(n)*int64(size) > int64(left) {
		return fmt.Errorf("thrift: %s of %d elements in a message with %d bytes left", what, n, left)
	}
	return nil
}

// readBytes reads the length of a string or binary value and returns that
// many bytes of the frame, without copying them.
func (p *checked) readBytes(what string) ([]byte, error) {
	var n int64
	if p.compact {
		v, err := binary.ReadUvarint(p.in)
		if err != nil {
			return nil, fmt.Errorf("thrift: reading %s length: %w", what, eofMidFrame(err))
		}
		n = int64(min(v, math.MaxInt64))
	} else {
		if p.in.left() < 4 {
			return nil, fmt.Errorf("thrift: reading %s length: %w", what, io.ErrUnexpectedEOF)
		}
		n = int64(int32(binary.BigEndian.Uint32(p.in.b[p.in.off:])))
		p.in.off += 4
	}
	if left := p.in.left(); n < 0 || n > int64(left) {
		return nil, fmt.Errorf("thrift: %s of %d bytes in a message with %d bytes left", what, n, left)
	}
	b := p.in.b[p.in.off : p.in.off+int(n)]
	p.in.off += int(n)
	return b, nil
}

func eofMidFrame(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
