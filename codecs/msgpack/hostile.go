package msgpack

import (
	"bytes"
	"strings"

	"github.com/rpcbench/rpcbench/codecs/hostile"
)

// Hostile describes MessagePack-RPC to the attack suite and codectest:
// no framing, so a message that claims Huge elements is an array 32 at
// the top.
func (Codec) Hostile() hostile.Format {
	return hostile.Format{
		Frame:  func(body []byte) []byte { return body },
		Prefix: func(n uint32) []byte { return append([]byte{0xdd}, hostile.BE32(n)...) },
		Deep:   []byte(string(msgpackRequest("Arith.Multiply")) + strings.Repeat("\x91", 100_000) + "\xc0"),
		Lies:   msgpackLies(),
	}
}

// msgpack: a request is [0, msgid, method, params]; params is [args] and
// args a map keyed by the JSON field names. tail follows the method.
func msgpackRequest(method string, tail ...byte) []byte {
	b := []byte{0x94, 0x00, 0x01, 0xa0 | byte(len(method))}
	return append(append(b, method...), tail...)
}
func msgpackLies() map[string][]byte {
	u32 := func(code byte) []byte { return append([]byte{code}, hostile.BE32(hostile.Huge)...) }
	key := func(k string) []byte { return append([]byte{0xa0 | byte(len(k))}, k...) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	record := func(field string, lie []byte) []byte {
		return msgpackRequest("Echo.Records", cat([]byte{0x91, 0x81}, key("records"), []byte{0x91, 0x81}, key(field), lie)...)
	}
	return map[string][]byte{
		"the method name's length": append([]byte{0x94, 0x00, 0x01}, u32(0xdb)...),
		"the params' count":        msgpackRequest("Arith.Multiply", u32(0xdd)...),
		"the arguments' map size":  msgpackRequest("Arith.Multiply", cat([]byte{0x91}, u32(0xdf))...),
		"a payload's length":       msgpackRequest("Echo.Echo", cat([]byte{0x91, 0x81}, key("payload"), u32(0xc6))...),
		"the records' count":       msgpackRequest("Echo.Records", cat([]byte{0x91, 0x81}, key("records"), u32(0xdd))...),
		"a record's name's length": record("name", u32(0xdb)),
		"the tags' count":          record("tags", u32(0xdd)),
		"the counters' map size":   record("counters", u32(0xdf)),
		"an extension's length":    msgpackRequest("Echo.Echo", cat([]byte{0x91}, u32(0xc9), []byte{1})...),
	}
}
