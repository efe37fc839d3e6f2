// Package hostile is how a codec describes its wire format to the suites
// that attack it: the attack suite (attack/), which floods a running
// `rpcbench serve`, and codectest, which feeds the codec's server side
// lying messages directly. A codec hands its Format over by implementing
// Describer in its own package, so adding a codec touches no suite.
package hostile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net/rpc"

	"github.com/rpcbench/rpcbench/service"
)

// Huge is the length the attacks claim: just under 4 GiB, so that it fits
// the 32-bit length fields of every format.
const Huge = 0xfffffff0

// A Format is what the attacks know of one codec's bytes on the wire,
// beyond what its client codec writes.
type Format struct {
	// Frame wraps body as one message of the format's framing: a length
	// prefix where the format has one, nothing where it has none.
	Frame func(body []byte) []byte
	// Prefix starts a message that claims n bytes (or n elements), with
	// nothing of its body yet. nil for a format with no length at the head
	// of a message (json).
	Prefix func(n uint32) []byte
	// Endless starts a message that only more bytes can finish, and Fill,
	// when not 0, is the byte that keeps it going (random bytes otherwise):
	// the "seconds of junk" that a server must cap. Empty means
	// Prefix(Huge).
	Endless []byte
	Fill    byte
	// Deep is a request nested 100,000 levels deep. Empty where the format
	// cannot nest (gob's values nest only as deep as their types).
	Deep []byte
	// Lies are small, complete requests in which one inner string, list,
	// map or binary length claims about 4 GiB (2 GiB, or a negative
	// number, where the field is a signed 32-bit count), by what each one
	// lies about.
	Lies map[string][]byte
}

// A Describer is a codec that describes its wire format to the attacks.
type Describer interface {
	Hostile() Format
}

// A Client is the part of a codec that Requests needs.
type Client interface {
	NewClientCodec(io.ReadWriteCloser) rpc.ClientCodec
}

// calls are the requests Requests writes, in turn: small arguments whose
// strings (PAYLOAD!, NAME!, TAG!, KEY!) a codec's lies look for in its own
// encoding to patch the length before them.
var calls = []struct {
	Method string
	Args   any
}{
	{"Arith.Multiply", &service.Args{A: 6, B: 7}},
	{"Echo.Echo", &service.EchoRequest{Payload: []byte("PAYLOAD!")}},
	{"Echo.Records", &service.RecordBatch{Records: []*service.Record{{
		Id: 1, Name: "NAME!", Score: 0.5, Flag: true, Tags: []string{"TAG!"}, Counters: map[string]int64{"KEY!": 1}, Timestamp: 2,
	}}}},
	{"Arith.Divide", &service.Args{A: 7, B: 0}},
}

// Requests returns the bytes a fresh client of c writes for n calls,
// cycling through Calls, with sequence numbers from 1.
func Requests(c Client, n int) []byte {
	var buf bytes.Buffer
	cc := c.NewClientCodec(writeOnly{&buf})
	defer cc.Close()
	for i := range n {
		call := calls[i%len(calls)]
		if err := cc.WriteRequest(&rpc.Request{ServiceMethod: call.Method, Seq: uint64(i + 1)}, call.Args); err != nil {
			panic(fmt.Sprintf("hostile: writing request %d (%s): %v", i, call.Method, err))
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

// BE32 is n as 4 big-endian bytes, the length prefix of most framings.
func BE32(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }

// Prefixed is body behind its length as 4 big-endian bytes.
func Prefixed(body []byte) []byte { return append(BE32(uint32(len(body))), body...) }

// Cat joins parts.
func Cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
