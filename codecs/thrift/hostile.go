package thrift

import (
	"bytes"
	"encoding/binary"

	"github.com/rpcbench/rpcbench/codecs/hostile"
)

// Hostile describes framed Thrift, binary or compact, to the attack suite
// and codectest.
func (c Codec) Hostile() hostile.Format {
	f := hostile.Format{Frame: hostile.Prefixed, Prefix: hostile.BE32}
	if c.Compact {
		f.Deep = hostile.Prefixed(append(thriftCompactCall("Arith:Multiply"), bytes.Repeat([]byte{cStruct, 0xc6, 0x01}, 100_000)...))
		f.Lies = thriftCompactLies()
	} else {
		f.Deep = hostile.Prefixed(append(thriftBinaryCall("Arith:Multiply"), bytes.Repeat([]byte{tStruct, 0, 99}, 100_000)...))
		f.Lies = thriftBinaryLies()
	}
	return f
}

// Thrift type ids: TBinaryProtocol's, and TCompactProtocol's own.
const (
	tString, tStruct, tMap, tList = 11, 12, 13, 15
	tI64                          = 10
	cBinary, cList, cMap, cStruct = 8, 9, 11, 12
	cI64                          = 6
)

// thriftBinaryCall starts a strict TBinaryProtocol CALL with seqid 1 and
// opens its argument struct's field 1.
func thriftBinaryCall(method string) []byte {
	b := append([]byte{0x80, 0x01, 0x00, 0x01}, hostile.BE32(uint32(len(method)))...)
	b = append(b, method...)
	b = append(b, hostile.BE32(1)...)
	return append(b, tStruct, 0, 1)
}
func thriftBinaryLies() map[string][]byte {
	field := func(typ byte, id uint16) []byte { return []byte{typ, byte(id >> 8), byte(id)} }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	var (
		len2G = hostile.BE32(0x7ffffff0)   // i32 lengths: the largest they can claim
		neg   = hostile.BE32(hostile.Huge) // and a negative one
	)
	record := func(lie ...[]byte) []byte {
		return hostile.Prefixed(cat(thriftBinaryCall("Echo:Records"), field(tList, 1), []byte{tStruct}, hostile.BE32(1), cat(lie...)))
	}
	return map[string][]byte{
		"the method name's length":            hostile.Prefixed(cat([]byte{0x80, 0x01, 0x00, 0x01}, len2G, []byte("Echo:Echo"))),
		"the method name's length (negative)": hostile.Prefixed(cat([]byte{0x80, 0x01, 0x00, 0x01}, neg, []byte("Echo:Echo"))),
		"a payload's length":                  hostile.Prefixed(cat(thriftBinaryCall("Echo:Echo"), field(tString, 1), len2G, []byte("abc"))),
		"a payload's length (negative)":       hostile.Prefixed(cat(thriftBinaryCall("Echo:Echo"), field(tString, 1), neg, []byte("abc"))),
		"the records' count":                  hostile.Prefixed(cat(thriftBinaryCall("Echo:Records"), field(tList, 1), []byte{tStruct}, len2G)),
		"a record's name's length":            record(field(tString, 2), len2G),
		"the tags' count":                     record(field(tList, 5), []byte{tString}, len2G),
		"the counters' map size":              record(field(tMap, 6), []byte{tString, tI64}, len2G),
		"an unknown list's count":             hostile.Prefixed(cat(thriftBinaryCall("Arith:Multiply"), field(tList, 99), []byte{tI64}, len2G)),
		"an unknown string's length":          hostile.Prefixed(cat(thriftBinaryCall("Arith:Multiply"), field(tString, 99), len2G)),
		"an unknown list's count (negative)":  hostile.Prefixed(cat(thriftBinaryCall("Arith:Multiply"), field(tList, 99), []byte{tI64}, neg)),
		"an unknown map of structs' size":     hostile.Prefixed(cat(thriftBinaryCall("Arith:Multiply"), field(tMap, 99), []byte{tStruct, tStruct}, len2G)),
		"an unknown list of structs' count":   hostile.Prefixed(cat(thriftBinaryCall("Arith:Multiply"), field(tList, 99), []byte{tStruct}, len2G)),
	}
}

// thriftCompactCall starts a TCompactProtocol CALL with seqid 1 and opens
// its argument struct's field 1.
func thriftCompactCall(method string) []byte {
	b := []byte{0x82, 0x21, 0x01}
	b = binary.AppendUvarint(b, uint64(len(method)))
	b = append(b, method...)
	return append(b, 0x10|cStruct) // field delta 1, struct
}
func thriftCompactLies() map[string][]byte {
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	var (
		len4G = binary.AppendUvarint(nil, hostile.Huge) // a string's length is unsigned
		len2G = binary.AppendUvarint(nil, 0x7ffffff0)   // a count is an i32: the largest it can claim
		neg   = len4G                                   // and, as an i32, a negative one
	)
	// long is a compact field header with an explicit id (zigzag i16).
	long := func(typ byte, id int16) []byte {
		return binary.AppendUvarint([]byte{typ}, uint64(uint16(id<<1^id>>15)))
	}
	record := func(lie ...[]byte) []byte {
		return hostile.Prefixed(cat(thriftCompactCall("Echo:Records"), []byte{0x10 | cList, 0x10 | cStruct}, cat(lie...)))
	}
	return map[string][]byte{
		"the method name's length":          hostile.Prefixed(cat([]byte{0x82, 0x21, 0x01}, len4G, []byte("Echo:Echo"))),
		"a payload's length":                hostile.Prefixed(cat(thriftCompactCall("Echo:Echo"), []byte{0x10 | cBinary}, len4G, []byte("abc"))),
		"the records' count":                hostile.Prefixed(cat(thriftCompactCall("Echo:Records"), []byte{0x10 | cList, 0xf0 | cStruct}, len2G)),
		"the records' count (negative)":     hostile.Prefixed(cat(thriftCompactCall("Echo:Records"), []byte{0x10 | cList, 0xf0 | cStruct}, neg)),
		"a record's name's length":          record([]byte{0x20 | cBinary}, len4G),
		"the tags' count":                   record([]byte{0x50 | cList, 0xf0 | cBinary}, len2G),
		"the counters' map size":            record([]byte{0x60 | cMap}, len2G, []byte{cBinary<<4 | cI64}),
		"the counters' map size (negative)": record([]byte{0x60 | cMap}, neg, []byte{cBinary<<4 | cI64}),
		"an unknown list's count":           hostile.Prefixed(cat(thriftCompactCall("Arith:Multiply"), long(cList, 99), []byte{0xf0 | cI64}, len2G)),
		"an unknown binary's length":        hostile.Prefixed(cat(thriftCompactCall("Arith:Multiply"), long(cBinary, 99), len4G)),
		"an unknown map of structs' size":   hostile.Prefixed(cat(thriftCompactCall("Arith:Multiply"), long(cMap, 99), len2G, []byte{cStruct<<4 | cStruct})),
		"an unknown list of structs' count": hostile.Prefixed(cat(thriftCompactCall("Arith:Multiply"), long(cList, 99), []byte{0xf0 | cStruct}, len2G)),
	}
}
