package attack_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"net/rpc"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/service"
)

// huge is the length the attacks claim: just under 4 GiB, so that it fits
// the 32-bit length fields of every format.
const huge = 0xfffffff0

// A wireFormat is what the attacks know of one codec's bytes on the wire,
// beyond what its client codec writes.
type wireFormat struct {
	// frame wraps body as one message of the format's framing: a length
	// prefix where the format has one, nothing where it has none.
	frame func(body []byte) []byte
	// prefix starts a message that claims n bytes (or n elements), with
	// nothing of its body yet. nil for a format with no length at the head
	// of a message (json).
	prefix func(n uint32) []byte
	// endless starts a message that only more bytes can finish, and fill,
	// when not 0, is the byte that keeps it going (random bytes otherwise):
	// the "seconds of junk" that a server must cap.
	endless []byte
	fill    byte
	// deep is a request nested 100,000 levels deep. Empty where the format
	// cannot nest (gob's values nest only as deep as their types).
	deep []byte
	// lies are small, complete requests in which one inner string, list,
	// map or binary length claims about 4 GiB (2 GiB, or a negative
	// number, where the field is a signed 32-bit count), by what each one
	// lies about.
	lies map[string][]byte
}

// formatOf returns codec's wire format. A codec it does not know fails the
// test: a new codec is attacked too, or the suite says why not.
func formatOf(t *testing.T, codec string) wireFormat {
	t.Helper()
	var f wireFormat
	switch codec {
	case "gob":
		f = wireFormat{
			frame:  func(body []byte) []byte { return append(gobUint(uint64(len(body))), body...) },
			prefix: func(n uint32) []byte { return gobUint(uint64(n)) },
			lies:   gobLies(requests(t, "gob", 3)),
		}
	case "json":
		return wireFormat{
			frame:   func(body []byte) []byte { return body },
			endless: []byte(`{"method":"Echo.Echo","id":1,"params":[{"payload":"`),
			fill:    'A', // base64, so the string stays valid for as long as it runs
			deep:    []byte(`{"method":"Arith.Multiply","id":1,"params":[` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "]}\n"),
		}
	case "msgpack":
		f = wireFormat{
			frame:  func(body []byte) []byte { return body },
			prefix: func(n uint32) []byte { return append([]byte{0xdd}, be32(n)...) }, // array 32 at the top
			deep:   nest(string(msgpackRequest("Arith.Multiply")), "\x91", 100_000, "\xc0"),
			lies:   msgpackLies(),
		}
	case "protobuf":
		f = wireFormat{
			frame:  prefixed,
			prefix: be32,
			deep:   prefixed(protobufFrame("Arith.Multiply", bytes.Repeat(protowire.AppendTag(nil, 99, protowire.StartGroupType), 100_000))),
			lies:   protobufLies(),
		}
	case "thrift":
		f = wireFormat{
			frame:  prefixed,
			prefix: be32,
			deep:   prefixed(append(thriftBinaryCall("Arith:Multiply"), bytes.Repeat([]byte{tStruct, 0, 99}, 100_000)...)),
			lies:   thriftBinaryLies(),
		}
	case "thrift-compact":
		f = wireFormat{
			frame:  prefixed,
			prefix: be32,
			deep:   prefixed(append(thriftCompactCall("Arith:Multiply"), bytes.Repeat([]byte{cStruct, 0xc6, 0x01}, 100_000)...)),
			lies:   thriftCompactLies(),
		}
	default:
		t.Fatalf("codec %q has no wire format in the attack suite: add it to formatOf", codec)
	}
	f.endless = f.prefix(huge)
	return f
}

// requests returns the bytes a fresh client of codec writes for n calls
// of the built-in service, cycling through its methods with small
// arguments whose strings the lies below look for.
func requests(t testing.TB, codec string, n int) []byte {
	t.Helper()
	c, err := codecs.New(codec, codecs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	cc := c.NewClientCodec(writeOnly{&buf})
	defer cc.Close()
	calls := []struct {
		method string
		args   any
	}{
		{"Arith.Multiply", &service.Args{A: 6, B: 7}},
		{"Echo.Echo", &service.EchoRequest{Payload: []byte("PAYLOAD!")}},
		{"Echo.Records", &service.RecordBatch{Records: []*service.Record{{
			Id: 1, Name: "NAME!", Score: 0.5, Flag: true, Tags: []string{"TAG!"}, Counters: map[string]int64{"KEY!": 1}, Timestamp: 2,
		}}}},
		{"Arith.Divide", &service.Args{A: 7, B: 0}},
	}
	for i := range n {
		c := calls[i%len(calls)]
		if err := cc.WriteRequest(&rpc.Request{ServiceMethod: c.method, Seq: uint64(i + 1)}, c.args); err != nil {
			t.Fatalf("%s: writing request %d: %v", codec, i, err)
		}
	}
	return buf.Bytes()
}

// writeOnly is a connection that keeps what is written and has nothing to
// read.
type writeOnly struct{ w io.Writer }

func (c writeOnly) Read([]byte) (int, error)    { return 0, io.EOF }
func (c writeOnly) Write(p []byte) (int, error) { return c.w.Write(p) }
func (c writeOnly) Close() error                { return nil }

// nest returns head, then open n times, then leaf.
func nest(head, open string, n int, leaf string) []byte {
	return []byte(head + strings.Repeat(open, n) + leaf)
}

func be32(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }

func prefixed(body []byte) []byte { return append(be32(uint32(len(body))), body...) }

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
// Echo.Echo and Echo.Records (each with its types): the length or count just before a string it knows is
// replaced by huge, and the message's own count is set to its new size, so
// the message is whole and only its inside lies.
func gobLies(stream []byte) map[string][]byte {
	patch := func(before, marker string) []byte {
		var out []byte
		msgs := gobMessages(stream)
		for _, m := range msgs {
			if i := bytes.Index(m, []byte(before+marker)); i >= 0 {
				m = bytes.Join([][]byte{m[:i], gobUint(huge), m[i+len(before):]}, nil)
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

// msgpack: a request is [0, msgid, method, params]; params is [args] and
// args a map keyed by the JSON field names. tail follows the method.
func msgpackRequest(method string, tail ...byte) []byte {
	b := []byte{0x94, 0x00, 0x01, 0xa0 | byte(len(method))}
	return append(append(b, method...), tail...)
}

func msgpackLies() map[string][]byte {
	u32 := func(code byte) []byte { return append([]byte{code}, be32(huge)...) }
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
	// lie is a length-delimited field that claims huge bytes and has three.
	lie := func(field protowire.Number) []byte {
		b := protowire.AppendTag(nil, field, protowire.BytesType)
		return append(protowire.AppendVarint(b, huge), "abc"...)
	}
	// in wraps inner as field of a message.
	in := func(field protowire.Number, inner []byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(nil, field, protowire.BytesType), inner)
	}
	seq := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 1)
	return map[string][]byte{
		"the method name's length":                prefixed(append(seq, lie(2)...)),
		"the body's length":                       prefixed(append(append(seq, in(2, []byte("Echo.Echo"))...), lie(4)...)),
		"a payload's length":                      prefixed(protobufFrame("Echo.Echo", lie(1))),
		"the records' length":                     prefixed(protobufFrame("Echo.Records", lie(1))),
		"a record's name's length":                prefixed(protobufFrame("Echo.Records", in(1, lie(2)))),
		"a tag's length":                          prefixed(protobufFrame("Echo.Records", in(1, lie(5)))),
		"a counters entry's length":               prefixed(protobufFrame("Echo.Records", in(1, lie(6)))),
		"a counters key's length":                 prefixed(protobufFrame("Echo.Records", in(1, in(6, lie(1))))),
		"an unknown field's length":               prefixed(protobufFrame("Arith.Multiply", lie(99))),
		"the body's length, in a ten-byte varint": prefixed(append(append(seq, in(2, []byte("Echo.Echo"))...), 0x22, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)),
		"an unknown field's length in the body":   prefixed(protobufFrame("Echo.Echo", lie(77))),
	}
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
	b := append([]byte{0x80, 0x01, 0x00, 0x01}, be32(uint32(len(method)))...)
	b = append(b, method...)
	b = append(b, be32(1)...)
	return append(b, tStruct, 0, 1)
}

func thriftBinaryLies() map[string][]byte {
	field := func(typ byte, id uint16) []byte { return []byte{typ, byte(id >> 8), byte(id)} }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	var (
		len2G = be32(0x7ffffff0) // i32 lengths: the largest they can claim
		neg   = be32(huge)       // and a negative one
	)
	record := func(lie ...[]byte) []byte {
		return prefixed(cat(thriftBinaryCall("Echo:Records"), field(tList, 1), []byte{tStruct}, be32(1), cat(lie...)))
	}
	return map[string][]byte{
		"the method name's length":            prefixed(cat([]byte{0x80, 0x01, 0x00, 0x01}, len2G, []byte("Echo:Echo"))),
		"the method name's length (negative)": prefixed(cat([]byte{0x80, 0x01, 0x00, 0x01}, neg, []byte("Echo:Echo"))),
		"a payload's length":                  prefixed(cat(thriftBinaryCall("Echo:Echo"), field(tString, 1), len2G, []byte("abc"))),
		"a payload's length (negative)":       prefixed(cat(thriftBinaryCall("Echo:Echo"), field(tString, 1), neg, []byte("abc"))),
		"the records' count":                  prefixed(cat(thriftBinaryCall("Echo:Records"), field(tList, 1), []byte{tStruct}, len2G)),
		"a record's name's length":            record(field(tString, 2), len2G),
		"the tags' count":                     record(field(tList, 5), []byte{tString}, len2G),
		"the counters' map size":              record(field(tMap, 6), []byte{tString, tI64}, len2G),
		"an unknown list's count":             prefixed(cat(thriftBinaryCall("Arith:Multiply"), field(tList, 99), []byte{tI64}, len2G)),
		"an unknown string's length":          prefixed(cat(thriftBinaryCall("Arith:Multiply"), field(tString, 99), len2G)),
		"an unknown list's count (negative)":  prefixed(cat(thriftBinaryCall("Arith:Multiply"), field(tList, 99), []byte{tI64}, neg)),
		"an unknown map of structs' size":     prefixed(cat(thriftBinaryCall("Arith:Multiply"), field(tMap, 99), []byte{tStruct, tStruct}, len2G)),
		"an unknown list of structs' count":   prefixed(cat(thriftBinaryCall("Arith:Multiply"), field(tList, 99), []byte{tStruct}, len2G)),
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
		len4G = binary.AppendUvarint(nil, huge)       // a string's length is unsigned
		len2G = binary.AppendUvarint(nil, 0x7ffffff0) // a count is an i32: the largest it can claim
		neg   = len4G                                 // and, as an i32, a negative one
	)
	// long is a compact field header with an explicit id (zigzag i16).
	long := func(typ byte, id int16) []byte {
		return binary.AppendUvarint([]byte{typ}, uint64(uint16(id<<1^id>>15)))
	}
	record := func(lie ...[]byte) []byte {
		return prefixed(cat(thriftCompactCall("Echo:Records"), []byte{0x10 | cList, 0x10 | cStruct}, cat(lie...)))
	}
	return map[string][]byte{
		"the method name's length":          prefixed(cat([]byte{0x82, 0x21, 0x01}, len4G, []byte("Echo:Echo"))),
		"a payload's length":                prefixed(cat(thriftCompactCall("Echo:Echo"), []byte{0x10 | cBinary}, len4G, []byte("abc"))),
		"the records' count":                prefixed(cat(thriftCompactCall("Echo:Records"), []byte{0x10 | cList, 0xf0 | cStruct}, len2G)),
		"the records' count (negative)":     prefixed(cat(thriftCompactCall("Echo:Records"), []byte{0x10 | cList, 0xf0 | cStruct}, neg)),
		"a record's name's length":          record([]byte{0x20 | cBinary}, len4G),
		"the tags' count":                   record([]byte{0x50 | cList, 0xf0 | cBinary}, len2G),
		"the counters' map size":            record([]byte{0x60 | cMap}, len2G, []byte{cBinary<<4 | cI64}),
		"the counters' map size (negative)": record([]byte{0x60 | cMap}, neg, []byte{cBinary<<4 | cI64}),
		"an unknown list's count":           prefixed(cat(thriftCompactCall("Arith:Multiply"), long(cList, 99), []byte{0xf0 | cI64}, len2G)),
		"an unknown binary's length":        prefixed(cat(thriftCompactCall("Arith:Multiply"), long(cBinary, 99), len4G)),
		"an unknown map of structs' size":   prefixed(cat(thriftCompactCall("Arith:Multiply"), long(cMap, 99), len2G, []byte{cStruct<<4 | cStruct})),
		"an unknown list of structs' count": prefixed(cat(thriftCompactCall("Arith:Multiply"), long(cList, 99), []byte{0xf0 | cStruct}, len2G)),
	}
}
