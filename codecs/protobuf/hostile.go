package protobuf

import (
	"bytes"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/rpcbench/rpcbench/codecs/hostile"
)

// Hostile describes rpcbench's protobuf frames to the attack suite and
// codectest.
func (Codec) Hostile() hostile.Format {
	return hostile.Format{
		Frame:  hostile.Prefixed,
		Prefix: hostile.BE32,
		Deep:   hostile.Prefixed(protobufFrame("Arith.Multiply", bytes.Repeat(protowire.AppendTag(nil, 99, protowire.StartGroupType), 100_000))),
		Lies:   protobufLies(),
	}
}

// protobuf: a frame is Frame{seq=1, method=2, error=3, body=4} behind a
// 4-byte length.
func protobufFrame(method string, body []byte) []byte {
	b := protowire.AppendTag(nil, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, 1)
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendString(b, method)
	b = protowire.AppendTag(b, 4, protowire.BytesType)
	return protowire.AppendBytes(b, body)
}
func protobufLies() map[string][]byte {
	// lie is a length-delimited field that claims hostile.Huge bytes and has three.
	lie := func(field protowire.Number) []byte {
		b := protowire.AppendTag(nil, field, protowire.BytesType)
		return append(protowire.AppendVarint(b, hostile.Huge), "abc"...)
	}
	// in wraps inner as field of a message.
	in := func(field protowire.Number, inner []byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(nil, field, protowire.BytesType), inner)
	}
	seq := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 1)
	return map[string][]byte{
		"the method name's length":                hostile.Prefixed(append(seq, lie(2)...)),
		"the body's length":                       hostile.Prefixed(append(append(seq, in(2, []byte("Echo.Echo"))...), lie(4)...)),
		"a payload's length":                      hostile.Prefixed(protobufFrame("Echo.Echo", lie(1))),
		"the records' length":                     hostile.Prefixed(protobufFrame("Echo.Records", lie(1))),
		"a record's name's length":                hostile.Prefixed(protobufFrame("Echo.Records", in(1, lie(2)))),
		"a tag's length":                          hostile.Prefixed(protobufFrame("Echo.Records", in(1, lie(5)))),
		"a counters entry's length":               hostile.Prefixed(protobufFrame("Echo.Records", in(1, lie(6)))),
		"a counters key's length":                 hostile.Prefixed(protobufFrame("Echo.Records", in(1, in(6, lie(1))))),
		"an unknown field's length":               hostile.Prefixed(protobufFrame("Arith.Multiply", lie(99))),
		"the body's length, in a ten-byte varint": hostile.Prefixed(append(append(seq, in(2, []byte("Echo.Echo"))...), 0x22, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)),
		"an unknown field's length in the body":   hostile.Prefixed(protobufFrame("Echo.Echo", lie(77))),
	}
}
