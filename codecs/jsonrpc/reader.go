package jsonrpc

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/rpcbench/rpcbench/codecs/frame"
	"github.com/rpcbench/rpcbench/codecs/internal/limits"
)

// reader reads one JSON object at a time from a stream. It finds the
// object's end with a scanner, so a message costs the bytes it holds and no
// recursion, and it refuses one nested deeper than maxDepth before any
// decoder sees it; whether the object is valid JSON is the decoder's to say.
type reader struct {
	r     *bufio.Reader
	limit int
	msg   []byte // the message last read, reused across messages
}

// keepBuffer is the largest message buffer kept for the next message.
const keepBuffer = limits.KeepBuffer

// maxDepth bounds how deeply a message may nest objects and arrays, as
// encoding/json bounds it: decoders recurse, and a message of 64 MiB of
// brackets must not be handed to one.
const maxDepth = limits.MaxDepth

func newReader(r io.Reader, limit int) reader {
	return reader{r: bufio.NewReader(r), limit: frame.Max(limit)}
}

// next reads the next message, with the newline after it, into m.msg.
func (m *reader) next() error {
	if cap(m.msg) > keepBuffer {
		m.msg = nil // a rare large message should not pin its buffer for the connection's life
	}
	m.msg = m.msg[:0]
	first, err := m.skipSpace()
	if err != nil {
		return err // io.EOF between messages is the stream's end
	}
	if first != '{' {
		return fmt.Errorf("json: message begins with %q, want an object", first)
	}
	var scan scanner
	for {
		if m.r.Buffered() == 0 {
			if _, err := m.r.Peek(1); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return err
			}
		}
		chunk, _ := m.r.Peek(m.r.Buffered())
		end, deep := scan.feed(chunk)
		if deep {
			return fmt.Errorf("json: nesting depth passes %d at offset %d", maxDepth, len(m.msg)+end)
		}
		n := len(chunk)
		if end >= 0 {
			n = end
		}
		if len(m.msg)+n > m.limit {
			// The size is what arrived before the cap was passed: the
			// message is at least that long.
			return fmt.Errorf("json: %w", &frame.TooLargeError{Size: uint64(len(m.msg) + n), Limit: m.limit})
		}
		if len(m.msg)+n > cap(m.msg) {
			// Double explicitly: append grows large slices by a quarter, and
			// the copies it leaves behind would cost several times the
			// message before the collector caught up.
			grown := make([]byte, len(m.msg), max(2*cap(m.msg), len(m.msg)+n, 4<<10))
			copy(grown, m.msg)
			m.msg = grown
		}
		m.msg = append(m.msg, chunk[:n]...)
		m.r.Discard(n)
		if end >= 0 {
			return m.endLine()
		}
	}
}

// endLine reads the newline that ends a message, as encoding/json's Encoder
// writes it: a stream that ends before it ends mid-message. A peer that
// writes the next message without one is read all the same.
func (m *reader) endLine() error {
	for {
		c, err := m.r.ReadByte()
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		if err != nil {
			return err
		}
		switch c {
		case '\n':
			return nil
		case ' ', '\t', '\r':
			continue
		}
		return m.r.UnreadByte()
	}
}

// skipSpace skips JSON whitespace and returns the byte after it, unread.
func (m *reader) skipSpace() (byte, error) {
	for {
		c, err := m.r.ReadByte()
		if err != nil {
			return 0, err
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c, m.r.UnreadByte()
	}
}

// scanner finds the end of a JSON object or array fed to it in chunks. It
// tracks only what that needs (whether it is in a string, after a
// backslash, and how deeply brackets nest, as a count rather than a stack);
// whether the value is valid JSON is the decoder's to say.
type scanner struct {
	depth    int
	inString bool
	escaped  bool
}

// feed scans the next chunk of the value. It returns the index just past
// the value's last byte, or -1 when the value goes on past the chunk; deep
// is true, with the offset of the bracket that went too deep, when the
// value nests deeper than maxDepth.
func (s *scanner) feed(chunk []byte) (end int, deep bool) {
	// The state lives in locals while the loop runs, so that it stays in
	// registers, and goes back to s on the way out.
	depth, inString, escaped := s.depth, s.inString, s.escaped
	defer func() { s.depth, s.inString, s.escaped = depth, inString, escaped }()
	for i := 0; i < len(chunk); i++ {
		switch {
		case escaped:
			escaped = false
		case inString:
			i += stringStop(chunk[i:])
			if i == len(chunk) {
				return -1, false
			}
			escaped = chunk[i] == '\\'
			inString = escaped
		case !structural[chunk[i]]:
		case chunk[i] == '"':
			inString = true
		case chunk[i] == '{' || chunk[i] == '[':
			if depth++; depth > maxDepth {
				return i, true
			}
		default: // '}' or ']'
			if depth--; depth == 0 {
				return i + 1, false
			}
		}
	}
	return -1, false
}

// structural marks the bytes that the scanner looks at outside strings: a
// table lookup passes over the rest (names, numbers, commas) at once.
var structural = [256]bool{'"': true, '{': true, '[': true, '}': true, ']': true}

// stringStop returns the index in b, the inside of a string, of the first
// quote or backslash, or len(b). Most strings of a message are short (keys,
// names), and for those a loop costs less than the two calls to
// bytes.IndexByte that long ones (a payload in base64) need: they scan many
// bytes a step.
func stringStop(b []byte) int {
	const short = 32
	for i, c := range b[:min(len(b), short)] {
		if c == '"' || c == '\\' {
			return i
		}
	}
	if len(b) <= short {
		return len(b)
	}
	rest := b[short:]
	q := bytes.IndexByte(rest, '"')
	if q < 0 {
		q = len(rest)
	}
	if e := bytes.IndexByte(rest[:q], '\\'); e >= 0 {
		q = e
	}
	return short + q
}

// firstElement returns the first element of params, a JSON array, or nil
// for an empty array. It finds only the element's end: the decoder that
// the element goes to checks it, and the message as a whole was decoded
// once already, so the array is well formed; the elements after the first
// are ignored, as net/rpc/jsonrpc ignores them.
func firstElement(params []byte) ([]byte, error) {
	rest := skipSpace(params)
	if len(rest) == 0 || rest[0] != '[' {
		return nil, fmt.Errorf("json: request params %.20q are not an array", params)
	}
	rest = skipSpace(rest[1:])
	if len(rest) == 0 || rest[0] == ']' {
		return nil, nil
	}
	switch rest[0] {
	case '{', '[':
		var scan scanner
		if end, _ := scan.feed(rest); end > 0 {
			return rest[:end], nil
		}
	case '"':
		escaped := false
		for i := 1; i < len(rest); i++ {
			switch {
			case escaped:
				escaped = false
			case rest[i] == '\\':
				escaped = true
			case rest[i] == '"':
				return rest[:i+1], nil
			}
		}
	default: // a number, true, false or null
		for i, c := range rest {
			switch c {
			case ',', ']', ' ', '\t', '\r', '\n':
				return rest[:i], nil
			}
		}
	}
	return nil, fmt.Errorf("json: request params %.20q end inside their first element", params)
}

// trimSpace returns b without the JSON whitespace around it.
func trimSpace(b []byte) []byte {
	b = skipSpace(b)
	for len(b) > 0 {
		switch b[len(b)-1] {
		case ' ', '\t', '\r', '\n':
			b = b[:len(b)-1]
			continue
		}
		break
	}
	return b
}

func skipSpace(b []byte) []byte {
	for len(b) > 0 {
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			b = b[1:]
			continue
		}
		break
	}
	return b
}
