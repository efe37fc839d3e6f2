package msgpack

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"slices"

	"github.com/rpcbench/rpcbench/codecs/frame"
	"github.com/rpcbench/rpcbench/codecs/internal/limits"
)

// maxDepth bounds how deeply a message may nest arrays and maps. The library
// decodes and skips values recursively, and a message of 64 MiB of nested
// one-element arrays would otherwise exhaust the goroutine stack, which is
// fatal, not a panic. encoding/json has the same bound.
const maxDepth = limits.MaxDepth

// firstChunk is how far the buffer grows before any byte of a long string
// or binary has arrived; each later step doubles what arrived so far.
const firstChunk = limits.FirstChunk

// A reader reads whole messages from a stream with no framing.
//
// The library decodes whatever lengths a message declares (v5.4.0-v5.4.1
// even skip their own slice limit: five bytes dd ff ff ff ff ask for
// ~34 GiB, upstream issue 401), so the reader first reads one complete value
// by walking its structure: it checks each declared length and count against
// the bytes the cap leaves before reading what it announces, and grows its
// buffer only as bytes arrive. It walks with a count of values still to
// read instead of recursing, so depth costs no stack; only a complete
// message reaches the library.
type reader struct {
	r     *bufio.Reader
	limit int

	buf  []byte   // the message last read, reused for the next
	msg  message  // buf, as the decoder reads it
	open []uint64 // values still to read in each open array or map, innermost last
	deep bool     // the message nests deeper than maxDepth
}

// Kinds of value, by what follows their first byte.
const (
	scalar = iota // fixed size
	data          // a string, binary or extension of a declared length
	array         // a declared count of values
	dict          // a declared count of key-value pairs
)

// next reads the next message into r.buf and points r.msg at it. A stream
// that ends before a message yields io.EOF, one that ends inside a message
// io.ErrUnexpectedEOF.
func (r *reader) next() error {
	r.buf = r.buf[:0]
	r.open = r.open[:0]
	r.deep = false
	for pending := uint64(1); pending > 0; {
		pending--
		c, err := r.r.ReadByte()
		if err != nil {
			if err == io.EOF && len(r.buf) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		r.buf = append(r.buf, c)
		kind, width, fixed, n := describe(c)
		if width < 0 {
			return fmt.Errorf("msgpack: invalid type byte 0x%02x at offset %d", c, len(r.buf)-1)
		}
		if width > 0 {
			if err := r.read(uint64(width)); err != nil {
				return err
			}
			n = bigEndian(r.buf[len(r.buf)-width:])
		}
		var children uint64
		switch kind {
		case data:
			fixed += n
		case array:
			children = n
		case dict:
			children = 2 * n
		}
		// Every value still to read takes at least one byte.
		if err := frame.Check(uint64(len(r.buf))+fixed+pending+children, r.limit); err != nil {
			return fmt.Errorf("msgpack: %w", err)
		}
		if err := r.read(fixed); err != nil {
			return err
		}
		pending += children
		r.track(children)
	}
	r.msg.reset(r.buf)
	return nil
}

// track follows the nesting depth of the value just read, which has the
// given number of children, and sets r.deep past maxDepth.
func (r *reader) track(children uint64) {
	if r.deep {
		return
	}
	if k := len(r.open); k > 0 {
		r.open[k-1]--
	}
	if children > 0 {
		if len(r.open) == maxDepth {
			r.deep = true
			return
		}
		r.open = append(r.open, children)
		return
	}
	for k := len(r.open); k > 0 && r.open[k-1] == 0; k-- {
		r.open = r.open[:k-1]
	}
}

// read appends n bytes from the stream to r.buf, which it grows as the
// bytes arrive rather than by n up front.
func (r *reader) read(n uint64) error {
	for n > 0 {
		if len(r.buf) == cap(r.buf) {
			r.buf = slices.Grow(r.buf, int(min(n, uint64(max(firstChunk, len(r.buf))))))
		}
		start := len(r.buf)
		k := int(min(n, uint64(cap(r.buf)-start)))
		r.buf = r.buf[:start+k]
		if _, err := io.ReadFull(r.r, r.buf[start:]); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		n -= uint64(k)
	}
	return nil
}

// describe classifies a value by its first byte c: its kind, the width in
// bytes of its big-endian length or count (0 when c holds it, as n; -1 for
// the unused byte 0xc1), and the bytes that follow regardless of length.
func describe(c byte) (kind, width int, fixed, n uint64) {
	switch {
	case c <= 0x7f, c >= 0xe0, c == 0xc0, c == 0xc2, c == 0xc3: // fixint, nil, bool
		return scalar, 0, 0, 0
	case c <= 0x8f:
		return dict, 0, 0, uint64(c & 0x0f)
	case c <= 0x9f:
		return array, 0, 0, uint64(c & 0x0f)
	case c <= 0xbf:
		return data, 0, 0, uint64(c & 0x1f)
	case c >= 0xc4 && c <= 0xc6: // bin 8, 16, 32
		return data, 1 << (c - 0xc4), 0, 0
	case c >= 0xc7 && c <= 0xc9: // ext 8, 16, 32: then a type byte
		return data, 1 << (c - 0xc7), 1, 0
	case c == 0xca: // float 32
		return scalar, 0, 4, 0
	case c == 0xcb: // float 64
		return scalar, 0, 8, 0
	case c >= 0xcc && c <= 0xcf: // uint 8, 16, 32, 64
		return scalar, 0, 1 << (c - 0xcc), 0
	case c >= 0xd0 && c <= 0xd3: // int 8, 16, 32, 64
		return scalar, 0, 1 << (c - 0xd0), 0
	case c >= 0xd4 && c <= 0xd8: // fixext 1, 2, 4, 8, 16 and a type byte
		return scalar, 0, 1 + 1<<(c-0xd4), 0
	case c >= 0xd9 && c <= 0xdb: // str 8, 16, 32
		return data, 1 << (c - 0xd9), 0, 0
	case c == 0xdc || c == 0xdd: // array 16, 32
		return array, 2 << (c - 0xdc), 0, 0
	case c == 0xde || c == 0xdf: // map 16, 32
		return dict, 2 << (c - 0xde), 0, 0
	}
	return scalar, -1, 0, 0 // 0xc1, never used
}

func bigEndian(b []byte) uint64 {
	switch len(b) {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.BigEndian.Uint16(b))
	}
	return uint64(binary.BigEndian.Uint32(b))
}

// message is the decoder's view of one message. As an io.ByteScanner it is
// read by the library directly, with no buffering of the library's own, and
// it lends struct keys to decodeStruct without copying them.
type message struct {
	bytes.Reader
	buf []byte
}

func (m *message) reset(b []byte) {
	m.buf = b
	m.Reader.Reset(b)
}

// rest returns the bytes of the message not yet read, without copying them.
func (m *message) rest() []byte { return m.buf[len(m.buf)-m.Len():] }

// take returns the next n bytes of the message without copying them.
func (m *message) take(n int) ([]byte, error) {
	if n > m.Len() {
		return nil, io.ErrUnexpectedEOF
	}
	off := len(m.buf) - m.Len()
	m.Seek(int64(n), io.SeekCurrent)
	return m.buf[off : off+n], nil
}
