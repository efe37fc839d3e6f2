package cborrpc

import (
	"strings"

	"github.com/rpcbench/rpcbench/codecs/hostile"
)

// Hostile describes the wire format to rpcbench's attacks (codectest runs
// them on the server codec): a 4-byte length, then the array
// [seq, method, error, body], in which each lie claims hostile.Huge.
func (Codec) Hostile() hostile.Format {
	huge := hostile.BE32(hostile.Huge)
	text := func(s string) []byte { return append([]byte{0x60 | byte(len(s))}, s...) }
	head := func(method string) []byte { return hostile.Cat([]byte{0x84, 0x01}, text(method), []byte{0x60}) }
	return hostile.Format{
		Frame:  hostile.Prefixed,
		Prefix: hostile.BE32,
		Deep:   hostile.Prefixed([]byte(string(head("Arith.Multiply")) + strings.Repeat("\x81", 100_000) + "\x00")),
		Lies: map[string][]byte{
			"the method name's length": hostile.Prefixed(hostile.Cat([]byte{0x84, 0x01, 0x7a}, huge, []byte("Arith"))),
			"the body's map size":      hostile.Prefixed(hostile.Cat(head("Arith.Multiply"), []byte{0xba}, huge, text("a"), []byte{0x06})),
			"a payload's length":       hostile.Prefixed(hostile.Cat(head("Echo.Echo"), []byte{0xa1}, text("payload"), []byte{0x5a}, huge, []byte("abc"))),
			"the records' count":       hostile.Prefixed(hostile.Cat(head("Echo.Records"), []byte{0xa1}, text("records"), []byte{0x9a}, huge, []byte{0xa0})),
		},
	}
}
