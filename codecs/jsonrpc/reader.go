package jsonrpc

import (
	"bufio"
	"fmt"
	"io"

	"github.com/rpcbench/rpcbench/codecs/frame"
	"github.com/rpcbench/rpcbench/codecs/internal/limits"
)

// reader reads one JSON object at a time from a stream. It tracks only
// what finding the object's end needs (whether it is in a string, after a
// backslash, and how deeply brackets nest, as a count rather than a stack),
// so a message costs the bytes it holds and no recursion, however deeply it
// nests; whether the object is valid JSON is encoding/json's to say.
type reader struct {
	r     *bufio.Reader
	limit int
	msg   []byte // the message last read, reused across messages
}

// keepBuffer is the largest message buffer kept for the next message.
const keepBuffer = limits.KeepBuffer

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
	var (
		depth    int
		inString bool
		escaped  bool
	)
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
		end := -1
	scan:
		for i, c := range chunk {
			switch {
			case escaped:
				escaped = false
			case inString:
				switch c {
				case '\\':
					escaped = true
				case '"':
					inString = false
				}
			case c == '"':
				inString = true
			case c == '{' || c == '[':
				depth++
			case c == '}' || c == ']':
				if depth--; depth == 0 {
					end = i + 1
					break scan
				}
			}
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
