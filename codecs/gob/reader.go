package gob

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/rpcbench/rpcbench/codecs/frame"
)

// reader stands between the connection and gob.Decoder. It reads one gob
// message at a time (an unsigned count in gob's encoding, then that many
// bytes), refuses a count over the cap before reading on, reads the body
// with memory that grows as bytes arrive, checks the message against the
// stream's wire types (types.check), and only then hands the decoder the
// message, count and all, exactly as it came.
//
// An error in the framing or the connection ends the stream: it is returned
// to every later read. A message that is whole but fails its check is
// dropped, and its error returned once: gob returns it from that Decode
// call, and the next call starts at the next message, as gob's own decoding
// errors leave it.
type reader struct {
	r     *bufio.Reader
	limit int
	types types

	// The stream's type definitions, as they came, so that a new decoder
	// can be told them again (see replay), and their number and size,
	// which maxTypes and maxTypeBytes bound.
	defs     []byte
	numDefs  int
	replayed []byte   // what of defs a new decoder has yet to read
	last     int      // the size of the last message read
	retain   retainer // the connection, when it counts what codecs keep

	count [1 + 8]byte // the current message's count as it came
	head  []byte      // what of count the decoder has yet to read
	body  []byte      // the current message's body, reused across messages
	rest  []byte      // what of body the decoder has yet to read
	err   error       // the error that ended the stream
}

func newReader(r io.Reader, limit int) *reader {
	m := &reader{r: bufio.NewReader(r), limit: frame.Max(limit), types: types{}}
	m.retain, _ = r.(retainer)
	return m
}

// retainer is codecs.Retainer (which this package cannot import): a
// served connection that counts what its codec keeps for the life of the
// connection toward the server's budget. The type definitions are such
// state: the decoder holds every one until the connection closes.
type retainer interface {
	Retain(n int64) error
}

// Read hands the decoder the current message, reading the next one when the
// decoder has had all of it. gob.Decoder reads each message's count and then
// exactly its body, so it never asks past the message it is in.
func (m *reader) Read(p []byte) (int, error) {
	if len(m.replayed) > 0 {
		n := copy(p, m.replayed)
		m.replayed = m.replayed[n:]
		return n, nil
	}
	if len(m.head) == 0 && len(m.rest) == 0 {
		if err := m.next(); err != nil {
			return 0, err
		}
	}
	if len(m.head) > 0 {
		n := copy(p, m.head)
		m.head = m.head[n:]
		return n, nil
	}
	n := copy(p, m.rest)
	m.rest = m.rest[n:]
	return n, nil
}

// ReadByte makes reader an io.ByteReader, so that gob.NewDecoder uses it as
// it is rather than wrapping it in a bufio.Reader of its own.
func (m *reader) ReadByte() (byte, error) {
	var b [1]byte
	if _, err := m.Read(b[:]); err != nil {
		return 0, err
	}
	return b[0], nil
}

// Bounds on the type definitions one stream may send. Each is a message
// of its own, which the cap on message size does not bound, and the
// decoder keeps every one for the life of the connection: without a
// bound, a peer sending millions of tiny definitions grows the server
// without end. The rpcbench service's types need about a dozen.
const (
	maxTypes     = 1024
	maxTypeBytes = 1 << 20
)

// keepBody is the largest message buffer kept between messages: a
// connection that carried one large message does not keep its memory
// while it waits for the next.
const keepBody = 64 << 10

// next reads and checks the next message.
func (m *reader) next() error {
	if m.err != nil {
		return m.err
	}
	if cap(m.body) > keepBody {
		// rest, though empty, still points into the body: it would keep
		// the body alive while the next count is awaited.
		m.body, m.rest = nil, nil
	}
	n, width, err := m.readCount()
	if err == nil {
		if err = frame.Check(n, m.limit); err != nil {
			err = fmt.Errorf("gob: %w", err)
		}
	}
	if err == nil {
		err = m.precheck(int(n), width)
	}
	if err == nil {
		m.body, err = frame.Read(m.r, m.body, int(n))
	}
	if err != nil {
		m.err = err
		return err
	}
	m.last = width + len(m.body)
	if isDefinition(m.body) {
		if err := m.typeBound(m.last); err != nil {
			m.err = err
			return err
		}
	}
	if err := m.types.check(m.body); err != nil {
		return err
	}
	if isDefinition(m.body) {
		if m.retain != nil {
			if err := m.retain.Retain(int64(m.last)); err != nil {
				m.err = fmt.Errorf("gob: keeping a type definition: %w", err)
				return m.err
			}
		}
		m.numDefs++
		m.defs = append(append(m.defs, m.count[:width]...), m.body...)
	}
	m.head = m.count[:width]
	m.rest = m.body
	return nil
}

// precheck looks at the type id that opens a message of n bytes (width
// more for its count) before reading the rest of it: a value of a type
// the stream never defined, or a definition past the stream's bounds,
// ends the stream without reading, and holding, what could only be
// refused, up to the cap's worth of bytes. A message too short to tell is
// left to the check of the whole message.
func (m *reader) precheck(n, width int) error {
	head, _ := m.r.Peek(min(n, 1+8)) // an id's count: a byte, or a length and 8 bytes
	d := wire{head}
	id, err := d.int()
	switch {
	case err != nil:
		return nil
	case id < 0:
		return m.typeBound(width + n)
	case !m.types.known(int(id)):
		return fmt.Errorf("gob: a message of %d bytes opens with undefined type id %d", n, id)
	}
	return nil
}

// typeBound refuses a definition of size bytes past the stream's bounds on
// the types it may define.
func (m *reader) typeBound(size int) error {
	if m.numDefs+1 > maxTypes || len(m.defs)+size > maxTypeBytes {
		return fmt.Errorf("gob: stream defined %d types in %d bytes; a connection may define at most %d types in %d bytes", m.numDefs+1, len(m.defs)+size, maxTypes, maxTypeBytes)
	}
	return nil
}

// isDefinition reports whether msg defines a type: its type id is
// negative.
func isDefinition(msg []byte) bool {
	d := wire{msg}
	id, err := d.int()
	return err == nil && id < 0
}

// replay makes the next reads yield the stream's type definitions again,
// for a new decoder, before the next message.
func (m *reader) replay() { m.replayed = m.defs }

// readCount reads a message's count into m.count as gob encodes an unsigned
// integer: one byte below 0x80, or a byte holding minus the number of
// big-endian bytes that follow.
func (m *reader) readCount() (n uint64, width int, err error) {
	b, err := m.r.ReadByte()
	if err != nil {
		return 0, 0, err // io.EOF between messages is the stream's end
	}
	m.count[0] = b
	if b < 0x80 {
		return uint64(b), 1, nil
	}
	size := -int(int8(b))
	if size > 8 {
		return 0, 0, fmt.Errorf("gob: message count begins with invalid byte %#x", b)
	}
	if _, err := io.ReadFull(m.r, m.count[1:1+size]); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, 0, err
	}
	for _, b := range m.count[1 : 1+size] {
		n = n<<8 | uint64(b)
	}
	return n, 1 + size, nil
}
