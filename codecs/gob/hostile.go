package gob

import (
	"bytes"
	"encoding/binary"

	"github.com/rpcbench/rpcbench/codecs/hostile"
)

// Hostile describes gob's stream to the attack suite and codectest: each
// message behind its length as a gob unsigned integer; gob's values nest
// only as deep as their types, so there is no deep message.
func (c Codec) Hostile() hostile.Format {
	return hostile.Format{
		Frame:  func(body []byte) []byte { return append(gobUint(uint64(len(body))), body...) },
		Prefix: func(n uint32) []byte { return gobUint(uint64(n)) },
		Lies:   gobLies(hostile.Requests(c, 3)),
	}
}

// gob: an unsigned integer is one byte below 128, else the negated count
// of the big-endian bytes that follow.
func gobUint(n uint64) []byte {
	if n < 128 {
		return []byte{byte(n)}
	}
	b := binary.BigEndian.AppendUint64(nil, n)
	for b[0] == 0 {
		b = b[1:]
	}
	return append([]byte{byte(-len(b))}, b...)
}

// gobLies patches stream, what a real client writes for Arith.Multiply,
// Echo.Echo and Echo.Records (each with its types): the length or count
// just before a string it knows is replaced by hostile.Huge, and the
// message's own count is set to its new size, so the message is whole and
// only its inside lies.
func gobLies(stream []byte) map[string][]byte {
	patch := func(before, marker string) []byte {
		var out []byte
		msgs := gobMessages(stream)
		for _, m := range msgs {
			if i := bytes.Index(m, []byte(before+marker)); i >= 0 {
				m = bytes.Join([][]byte{m[:i], gobUint(hostile.Huge), m[i+len(before):]}, nil)
			}
			out = append(out, gobUint(uint64(len(m)))...)
			out = append(out, m...)
		}
		return out
	}
	return map[string][]byte{
		"the method name's length":  patch("\x09", "Echo.Echo"),
		"a payload's length":        patch("\x08", "PAYLOAD!"),
		"a record's name's length":  patch("\x05", "NAME!"),
		"the tags' count":           patch("\x01", "\x04TAG!"),
		"the counters' entry count": patch("\x01", "\x04KEY!"),
	}
}

// gobMessages splits a gob stream into its messages' bodies.
func gobMessages(b []byte) [][]byte {
	var msgs [][]byte
	for len(b) > 0 {
		n, w := uint64(b[0]), 1
		if n >= 128 {
			w = 1 + int(-int8(b[0]))
			n = 0
			for _, c := range b[1:w] {
				n = n<<8 | uint64(c)
			}
		}
		msgs = append(msgs, b[w:w+int(n)])
		b = b[w+int(n):]
	}
	return msgs
}
