package gob

import (
	"bytes"
	"encoding/gob"
	"io"
	"net/rpc"
	"reflect"
	"testing"

	"github.com/rpcbench/rpcbench/service"
)

// encoderBuffer returns the capacity of the buffer encoding/gob encodes
// every message into, read from its unexported field.
func encoderBuffer(t *testing.T, enc *gob.Encoder) int {
	t.Helper()
	f := reflect.ValueOf(enc).Elem().FieldByName("byteBuf")
	if !f.IsValid() || !f.FieldByName("data").IsValid() {
		t.Fatal("encoding/gob's Encoder has no byteBuf.data any more; find where it keeps its message buffer")
	}
	return f.FieldByName("data").Cap()
}

type nested struct{ M map[string][]*service.Record }

type withInterface struct{ V any }

// TestLargeMessagesDoNotPinTheEncoder writes a large reply and then small
// ones, some of types not seen before: after the large one the encoder's
// buffer must be back under keepBuffer, and the stream must be byte for
// byte what net/rpc's own gob codec writes, so no type definition is sent
// twice. Without renewEncoder the buffer stays at the reply's size.
func TestLargeMessagesDoNotPinTheEncoder(t *testing.T) {
	big := bytes.Repeat([]byte("b"), 3<<20)
	replies := []struct {
		body       any
		wantPinned bool // the encoder may keep a large buffer after it
	}{
		{&service.EchoReply{Payload: []byte("small")}, false},
		{&service.EchoReply{Payload: big}, false},
		{&service.EchoReply{Payload: []byte("small")}, false},
		{&service.Product{Value: 42}, false},
		{nested{M: map[string][]*service.Record{"k": {{Id: 1, Name: string(big)}}}}, false},
		{&service.Args{A: 6, B: 7}, false},
		{&nested{}, false},
		// A type that reaches an interface cannot be replayed: the
		// stream keeps its encoder, and its buffer, from then on.
		{withInterface{V: 1}, false},
		{&service.EchoReply{Payload: big}, true},
		{&service.EchoReply{Payload: []byte("small")}, true},
	}
	gob.Register(0)
	var ours, std bytes.Buffer
	s := newStream(nopCloser{&ours}, 0)
	stdCodec := stdServerCodec(&std)
	for i, r := range replies {
		h := &rpc.Response{ServiceMethod: "S.M", Seq: uint64(i)}
		if err := s.write(h, r.body); err != nil {
			t.Fatalf("reply %d (%T): %v", i, r.body, err)
		}
		if err := stdCodec.WriteResponse(h, r.body); err != nil {
			t.Fatal(err)
		}
		if got := encoderBuffer(t, s.enc); !r.wantPinned && got > keepBuffer {
			t.Errorf("after reply %d (%T), the encoder keeps a buffer of %d bytes; want at most %d", i, r.body, got, keepBuffer)
		} else if r.wantPinned && got <= keepBuffer {
			t.Errorf("after reply %d (%T), the encoder was renewed with an interface type on the stream", i, r.body)
		}
	}
	if !bytes.Equal(ours.Bytes(), std.Bytes()) {
		t.Fatalf("the codec wrote %d bytes and net/rpc's gob codec %d: a type definition was sent twice or not at all", ours.Len(), std.Len())
	}
}

type nopCloser struct{ io.ReadWriter }

func (nopCloser) Close() error { return nil }

// stdServerCodec is net/rpc's gob server codec, which has no exported
// constructor: what rpc.ServeConn builds.
func stdServerCodec(w io.Writer) *stdCodec {
	return &stdCodec{enc: gob.NewEncoder(w)}
}

type stdCodec struct{ enc *gob.Encoder }

func (c *stdCodec) WriteResponse(r *rpc.Response, body any) error {
	if err := c.enc.Encode(r); err != nil {
		return err
	}
	return c.enc.Encode(body)
}

// TestAnIdleReaderHoldsNoLargeBody decodes a 2 MiB message and then
// waits for the next (here, the end of the stream): while it waits the
// reader must hold nothing of the large body, not even through the empty
// tail of the slice the decoder read it from.
func TestAnIdleReaderHoldsNoLargeBody(t *testing.T) {
	var stream bytes.Buffer
	if err := gob.NewEncoder(&stream).Encode(&service.EchoRequest{Payload: bytes.Repeat([]byte("p"), 2<<20)}); err != nil {
		t.Fatal(err)
	}
	r := newReader(&stream, 0)
	var got service.EchoRequest
	if err := gob.NewDecoder(r).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("reading past the last message: %v, want io.EOF", err)
	}
	if r.body != nil || r.rest != nil {
		t.Errorf("waiting for the next message, the reader holds a body of capacity %d (rest %v); want none past %d", cap(r.body), r.rest != nil, keepBody)
	}
}
