// Package frame reads and writes size-capped messages so that a length a
// peer claims costs only the bytes the peer actually sends.
package frame

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/rpcbench/rpcbench/codecs/internal/limits"
)

// DefaultMax is the largest message a codec accepts when its limit is 0.
const DefaultMax = 64 << 20

// firstChunk is how much Read allocates before any byte of a message has
// arrived; each later step doubles what arrived so far.
const firstChunk = limits.FirstChunk

// Max returns limit, or DefaultMax when limit is 0 or less.
func Max(limit int) int {
	if limit <= 0 {
		return DefaultMax
	}
	return limit
}

// TooLargeError reports a message whose declared or accumulated size
// exceeds the limit.
type TooLargeError struct {
	Size  uint64
	Limit int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("message of %d bytes exceeds limit %d", e.Size, e.Limit)
}

// Check returns a *TooLargeError when size exceeds limit.
func Check(size uint64, limit int) error {
	if size > uint64(limit) {
		return &TooLargeError{Size: size, Limit: limit}
	}
	return nil
}

// Read reads exactly n bytes from r into buf, reusing buf's capacity. When
// buf is too small it grows with the bytes that arrive rather than to n up
// front, so a peer that claims a large n and sends little costs little.
// A stream that ends early yields io.ErrUnexpectedEOF.
func Read(r io.Reader, buf []byte, n int) ([]byte, error) {
	if n <= cap(buf) {
		buf = buf[:n]
		_, err := io.ReadFull(r, buf)
		return buf, eofMidMessage(err, n)
	}
	buf = buf[:0]
	for len(buf) < n {
		step := max(firstChunk, len(buf))
		step = min(step, n-len(buf))
		buf = append(buf, make([]byte, step)...)
		if _, err := io.ReadFull(r, buf[len(buf)-step:]); err != nil {
			return buf, eofMidMessage(err, n)
		}
	}
	return buf, nil
}

// ReadPrefixed reads a 4-byte big-endian length and then that many bytes,
// refusing lengths over limit before reading the body.
func ReadPrefixed(r io.Reader, buf []byte, limit int) ([]byte, error) {
	// The prefix is read into buf, which is on the heap already: a local
	// array passed to an io.Reader would escape and cost an allocation.
	if cap(buf) < 4 {
		buf = make([]byte, 4, 512)
	}
	if _, err := io.ReadFull(r, buf[:4]); err != nil {
		return buf[:0], err
	}
	n := binary.BigEndian.Uint32(buf[:4])
	if err := Check(uint64(n), limit); err != nil {
		return buf[:0], err
	}
	return Read(r, buf, int(n))
}

// AppendPrefix appends the 4-byte big-endian length of a message of n bytes.
func AppendPrefix(dst []byte, n int) []byte {
	return binary.BigEndian.AppendUint32(dst, uint32(n))
}

func eofMidMessage(err error, n int) error {
	if err == io.EOF && n > 0 {
		return io.ErrUnexpectedEOF
	}
	return err
}
