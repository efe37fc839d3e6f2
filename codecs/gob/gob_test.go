package gob_test

import (
	"bytes"
	"encoding/gob"
	"errors"
	"io"
	"net"
	"net/rpc"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/codecs/codectest"
	rpcgob "github.com/rpcbench/rpcbench/codecs/gob"
	"github.com/rpcbench/rpcbench/service"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) {
	codectest.Run(t, func(n int) codecs.Codec { return rpcgob.Codec{MaxMessage: n} })
}

func FuzzDecodeRequest(f *testing.F)  { codectest.FuzzServer(f, rpcgob.Codec{}) }
func FuzzDecodeResponse(f *testing.F) { codectest.FuzzClient(f, rpcgob.Codec{}) }

// TestInterop calls across the codec and net/rpc's own gob codec, over
// loopback TCP, in both directions.
func TestInterop(t *testing.T) {
	t.Run("net/rpc client calls the codec's server", func(t *testing.T) {
		client := rpc.NewClient(codectest.ServeOne(t, func(conn net.Conn) {
			service.NewServer().ServeCodec(rpcgob.NewServerCodec(conn))
		}))
		defer client.Close()
		codectest.Calls(t, client)
	})
	t.Run("the codec's client calls net/rpc's server", func(t *testing.T) {
		client := rpc.NewClientWithCodec(rpcgob.NewClientCodec(codectest.ServeOne(t, func(conn net.Conn) {
			service.NewServer().ServeConn(conn)
		})))
		defer client.Close()
		codectest.Calls(t, client)
	})
}

// TestSameBytes checks that the codec's client writes what net/rpc's does.
func TestSameBytes(t *testing.T) {
	calls := []struct {
		method string
		args   any
	}{
		{"Arith.Multiply", &service.Args{A: 6, B: 7}},
		{"Echo.Echo", &service.EchoRequest{Payload: []byte("hello")}},
		{"Echo.Records", &service.RecordBatch{Records: []*service.Record{{Id: 1, Name: "one", Tags: []string{"a"}}}}},
	}
	std := &capture{block: make(chan struct{})}
	stdClient := rpc.NewClient(std)
	ours := &capture{block: make(chan struct{})}
	ourClient := rpc.NewClientWithCodec(rpcgob.NewClientCodec(ours))
	for _, c := range calls {
		stdClient.Go(c.method, c.args, nil, make(chan *rpc.Call, 1))
		ourClient.Go(c.method, c.args, nil, make(chan *rpc.Call, 1))
	}
	stdClient.Close()
	ourClient.Close()
	if !bytes.Equal(std.written(), ours.written()) {
		t.Fatalf("the codec wrote\n%x\nnet/rpc wrote\n%x", ours.written(), std.written())
	}
}

// TestCheckAcceptsValues sends values of every kind of wire type through
// the codec's check to gob.
func TestCheckAcceptsValues(t *testing.T) {
	type inner struct {
		S string
		B []byte
	}
	type value struct {
		I     int
		U     uint8
		F     float32
		C     complex64
		Bool  bool
		Arr   [3]int16
		Slice []inner
		Map   map[string][]*inner
		Time  time.Time // a GobEncoder
		Nil   any       // a nil interface is a single byte
		Ptr   *inner
	}
	want := value{
		I: -5, U: 200, F: 1.5, C: 2 + 3i, Bool: true, Arr: [3]int16{1, -2, 3},
		Slice: []inner{{S: "a", B: []byte{1}}, {}},
		Map:   map[string][]*inner{"k": {{S: "v"}}, "": nil},
		Time:  time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC),
		Ptr:   &inner{S: "p"},
	}
	var buf bytes.Buffer
	enc := gob.NewEncoder(&buf)
	for seq := range uint64(2) { // the second time without type definitions
		enc.Encode(rpc.Request{ServiceMethod: "T.V", Seq: seq})
		enc.Encode(want)
		enc.Encode(int64(-7)) // a value that isn't a struct
	}
	sc := rpcgob.NewServerCodec(rwc(buf.Bytes()))
	for range 2 {
		if err := sc.ReadRequestHeader(new(rpc.Request)); err != nil {
			t.Fatal(err)
		}
		var got value
		if err := sc.ReadRequestBody(&got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decoded %+v; want %+v", got, want)
		}
		var n int64
		if err := sc.ReadRequestBody(&n); err != nil || n != -7 {
			t.Fatalf("decoded %d, %v; want -7", n, err)
		}
	}
}

// TestHostile sends messages that ask for more than they carry.
func TestHostile(t *testing.T) {
	t.Run("a count over the cap ends the stream with both numbers", func(t *testing.T) {
		sc := rpcgob.Codec{MaxMessage: 1 << 20}.NewServerCodec(rwc([]byte{0xfd, 0x10, 0x00, 0x01, 'x'}))
		err := sc.ReadRequestHeader(new(rpc.Request))
		if err == nil || !strings.Contains(err.Error(), "1048577") || !strings.Contains(err.Error(), "1048576") {
			t.Fatalf("ReadRequestHeader = %v; want an error naming 1048577 and the cap 1048576", err)
		}
		if err2 := sc.ReadRequestHeader(new(rpc.Request)); err2 == nil {
			t.Fatal("a second read after the over-cap count succeeded; want the stream ended")
		}
	})

	t.Run("a count of 60 MiB followed by 10 bytes allocates little", func(t *testing.T) {
		// The body opens with a string's type id (6, encoded 0x0c), which
		// passes the look at its type before the rest is read.
		in := append([]byte{0xfc, 0x03, 0xc0, 0x00, 0x00, 0x0c}, make([]byte, 9)...)
		sc := rpcgob.NewServerCodec(rwc(in))
		allocated := codectest.Allocated(func() {
			if err := sc.ReadRequestHeader(new(rpc.Request)); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("ReadRequestHeader = %v; want io.ErrUnexpectedEOF", err)
			}
		})
		if allocated > 1<<20 {
			t.Fatalf("reading 15 bytes that claim 60 MiB allocated %d bytes", allocated)
		}
	})

	t.Run("a 60 MiB message of an undefined type is refused before it is read", func(t *testing.T) {
		in := append([]byte{0xfc, 0x03, 0xc0, 0x00, 0x00, 0x7e}, make([]byte, 1<<20)...) // type id 63: undefined
		r := bytes.NewReader(in)
		sc := rpcgob.NewServerCodec(struct {
			io.Reader
			io.Writer
			io.Closer
		}{r, io.Discard, io.NopCloser(nil)})
		allocated := codectest.Allocated(func() {
			err := sc.ReadRequestHeader(new(rpc.Request))
			if err == nil || !strings.Contains(err.Error(), "undefined type id 63") {
				t.Errorf("ReadRequestHeader = %v; want the undefined type id named", err)
			}
		})
		if allocated > 1<<20 {
			t.Errorf("refusing it allocated %d bytes", allocated)
		}
		if read := int64(len(in)) - int64(r.Len()); read > 64<<10 {
			t.Errorf("read %d bytes of the message before refusing it", read)
		}
	})

	t.Run("a map count past its message fails the call, not the server", func(t *testing.T) {
		// The client's types share field names with the service's, so gob
		// decodes them into RecordBatch; the map's count is then raised from
		// 1 to 1<<22, which gob would make a map of before noticing.
		type record struct{ Counters map[string]int64 }
		type batch struct{ Records []record }
		var buf bytes.Buffer
		enc := gob.NewEncoder(&buf)
		enc.Encode(rpc.Request{ServiceMethod: "Echo.Records", Seq: 1})
		enc.Encode(batch{Records: []record{{Counters: map[string]int64{"k": 1}}}})
		stream := raiseMapCount(t, buf.Bytes(), []byte{0x01, 0x01, 'k', 0x02}, []byte{0xfd, 0x40, 0x00, 0x00})
		buf.Reset()
		enc.Encode(rpc.Request{ServiceMethod: "Arith.Multiply", Seq: 2})
		enc.Encode(service.Args{A: 6, B: 7})
		stream = append(stream, buf.Bytes()...)

		conn := codectest.ServeOne(t, func(conn net.Conn) {
			service.NewServer().ServeCodec(rpcgob.NewServerCodec(conn))
		})
		defer conn.Close()
		var replies []rpc.Response
		allocated := codectest.Allocated(func() {
			if _, err := conn.Write(stream); err != nil {
				t.Fatal(err)
			}
			dec := gob.NewDecoder(conn)
			for range 2 {
				var r rpc.Response
				if err := dec.Decode(&r); err != nil {
					t.Fatalf("reading a reply: %v", err)
				}
				var p service.Product
				if err := dec.Decode(&p); r.Error == "" && (err != nil || p.Value != 42) {
					t.Fatalf("Multiply after the hostile call = %d, %v; want 42", p.Value, err)
				}
				replies = append(replies, r)
			}
		})
		if want := "map of 4194304 elements exceeds"; !strings.Contains(replies[0].Error, want) {
			t.Errorf("the hostile call's error = %q; want one containing %q", replies[0].Error, want)
		}
		if replies[1].Error != "" {
			t.Errorf("the call after the hostile one failed: %s", replies[1].Error)
		}
		if allocated > 16<<20 {
			t.Errorf("the hostile call allocated %d bytes", allocated)
		}
	})

	t.Run("nesting past the depth limit fails the call", func(t *testing.T) {
		type node struct{ Kids []*node }
		root := &node{}
		for n, i := root, 0; i < 20000; i++ {
			n.Kids = []*node{{}}
			n = n.Kids[0]
		}
		var buf bytes.Buffer
		enc := gob.NewEncoder(&buf)
		enc.Encode(rpc.Request{ServiceMethod: "Echo.Records", Seq: 1})
		if err := enc.Encode(root); err != nil {
			t.Fatal(err)
		}
		sc := rpcgob.NewServerCodec(rwc(buf.Bytes()))
		if err := sc.ReadRequestHeader(new(rpc.Request)); err != nil {
			t.Fatal(err)
		}
		if err := sc.ReadRequestBody(new(service.RecordBatch)); err == nil || !strings.Contains(err.Error(), "deeper than 10000") {
			t.Fatalf("ReadRequestBody = %v; want an error about nesting deeper than 10000", err)
		}
	})
}

// raiseMapCount replaces the first occurrence of old in the last message of
// a gob stream of short messages with new, fixing the message's count.
func raiseMapCount(t *testing.T, stream, old, new []byte) []byte {
	t.Helper()
	last := 0
	for off := 0; off < len(stream); off += 1 + int(stream[off]) {
		if stream[off] >= 0x80 {
			t.Fatal("raiseMapCount handles messages under 128 bytes only")
		}
		last = off
	}
	body := stream[last+1:]
	i := bytes.Index(body, old)
	if i < 0 {
		t.Fatalf("%x not found in %x", old, body)
	}
	patched := append(append(append([]byte{}, body[:i]...), new...), body[i+1:]...)
	out := append(append([]byte{}, stream[:last]...), byte(len(patched)))
	return append(out, patched...)
}

// rwc reads in and discards what is written.
func rwc(in []byte) io.ReadWriteCloser {
	return struct {
		io.Reader
		io.Writer
		io.Closer
	}{bytes.NewReader(in), io.Discard, io.NopCloser(nil)}
}

// capture records what is written and blocks reads until closed.
type capture struct {
	buf   bytes.Buffer
	block chan struct{}
}

func (c *capture) Read([]byte) (int, error)    { <-c.block; return 0, io.EOF }
func (c *capture) Write(p []byte) (int, error) { return c.buf.Write(p) }
func (c *capture) Close() error                { close(c.block); return nil }
func (c *capture) written() []byte             { return c.buf.Bytes() }
