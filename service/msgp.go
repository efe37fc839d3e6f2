package service

import (
	"errors"

	"github.com/tinylib/msgp/msgp"
)

// The msgp code generated in rpcbench_msgp.go (scripts/gen.sh) calls these
// in place of two of msgp's own choices, so that it writes the bytes the
// msgpack codec writes with github.com/vmihailenco/msgpack/v5.

// appendInt64 writes n as the msgpack codec does (the library's
// UseCompactInts): a non-negative int in the shortest unsigned form, where
// msgp.AppendInt64 writes one of 128 or more as a signed int.
func appendInt64(b []byte, n int64) []byte {
	if n >= 0 {
		return msgp.AppendUint64(b, uint64(n))
	}
	return msgp.AppendInt64(b, n)
}

// maxMapHint bounds the room made for a map before its entries are read: a
// count is checked against the bytes of the message, but an entry of two
// bytes on the wire takes tens in a Go map.
const maxMapHint = 1024

// ErrUnknownField is the error of the generated UnmarshalMsg at a map key
// that names no field of the struct under its JSON name, where msgp would
// skip it: the msgpack codec reads Go field names too, and a caller that
// does the same (codecs/msgpackmsgp) decodes such a message another way.
var ErrUnknownField = errors.New("service: msgp: map key names no field")

func unknownField(b []byte) ([]byte, error) { return b, ErrUnknownField }
