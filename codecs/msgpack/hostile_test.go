package msgpack_test

import (
	"bytes"
	"errors"
	"io"
	"net/rpc"
	"strings"
	"testing"

	"github.com/rpcbench/rpcbench/codecs/codectest"
	"github.com/rpcbench/rpcbench/codecs/frame"
	"github.com/rpcbench/rpcbench/codecs/msgpack"
	"github.com/rpcbench/rpcbench/service"
)

// rwc reads from a buffer and discards what is written.
type rwc struct{ io.Reader }

func (rwc) Write(p []byte) (int, error) { return len(p), nil }
func (rwc) Close() error                { return nil }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

var (
	// multiplyHead is a request [0, 1, "Arith.Multiply", [...]] up to its
	// one argument.
	multiplyHead = []byte("\x94\x00\x01\xaeArith.Multiply\x91")
	// sixBySeven is {"a": 6, "b": 7}.
	sixBySeven = []byte("\x82\xa1a\x06\xa1b\x07")
	// hugeArray is an array that claims 2^32-1 values in five bytes, which
	// msgpack v5.4.0-v5.4.1 would allocate for (upstream issue 401).
	hugeArray = []byte("\xdd\xff\xff\xff\xff")
)

// A length or count the cap cannot hold ends the connection with an error
// naming both, having allocated next to nothing; one the cap holds but the
// stream does not deliver costs what arrived.
func TestServerRefusesHostileLengths(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		in    []byte
		want  string
	}{
		{"an array of 2^32-1 values as the whole message", 0, hugeArray,
			"msgpack: message of 4294967300 bytes exceeds limit 67108864"},
		{"an array of 2^32-1 values inside params", 0, cat(multiplyHead, hugeArray),
			"msgpack: message of 4294967319 bytes exceeds limit 67108864"},
		{"a map of 2^32-1 pairs", 0, cat(multiplyHead, []byte("\xdf\xff\xff\xff\xff")),
			"msgpack: message of 8589934614 bytes exceeds limit 67108864"},
		{"a string of 4 GiB", 0, cat(multiplyHead, []byte("\x81\xdb\xff\xff\xff\xff")),
			"msgpack: message of 4294967321 bytes exceeds limit 67108864"},
		{"a binary of 4 GiB", 0, cat(multiplyHead, []byte("\x81\xa7payload\xc6\xff\xff\xff\xff")),
			"msgpack: message of 4294967328 bytes exceeds limit 67108864"},
		{"an extension of 4 GiB", 0, cat(multiplyHead, []byte("\xc9\xff\xff\xff\xff\x01")),
			"msgpack: message of 4294967320 bytes exceeds limit 67108864"},
		{"a count that the bytes of a small cap cannot hold", 64, cat(multiplyHead, []byte("\xdc\x00\x40")),
			"msgpack: message of 86 bytes exceeds limit 64"},
		{"60 MiB of binary announced, 10 bytes sent", 0,
			cat(multiplyHead, []byte("\x81\xa7payload\xc6\x03\xc0\x00\x00"), make([]byte, 10)),
			io.ErrUnexpectedEOF.Error()},
		{"a type byte msgpack never uses", 0, []byte("\x94\x00\x01\xc1"),
			"msgpack: invalid type byte 0xc1 at offset 3"},
		{"a response sent to a server", 0, []byte("\x94\x01\x01\xc0\xc0"),
			"msgpack: got a message of type 1 with 4 elements, want type 0 with 4"},
		{"a msgid past uint32", 0, []byte("\x94\x00\xcf\x00\x00\x00\x01\x00\x00\x00\x00\xa1m\x90"),
			"msgpack: msgid 4294967296 is not a uint32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := msgpack.Codec{MaxMessage: tt.limit}.NewServerCodec(rwc{bytes.NewReader(tt.in)})
			var err error
			n := codectest.Allocated(func() { err = sc.ReadRequestHeader(new(rpc.Request)) })
			if err == nil || err.Error() != tt.want {
				t.Errorf("ReadRequestHeader error = %v; want %s", err, tt.want)
			}
			var tooLarge *frame.TooLargeError
			if strings.Contains(tt.want, "exceeds") && !errors.As(err, &tooLarge) {
				t.Errorf("error %v is a %T; want it to wrap *frame.TooLargeError", err, err)
			}
			if n > 1<<20 {
				t.Errorf("reading %d bytes allocated %d bytes", len(tt.in), n)
			}
		})
	}
}

// A request whose message is whole but whose params cannot be decoded fails
// that call; the codec reads the next request from the message boundary.
func TestServerBodyErrorsKeepTheStream(t *testing.T) {
	tests := []struct {
		name   string
		params []byte
		want   string
	}{
		{"params nested 100,000 deep", nested(100000),
			"msgpack: message nests deeper than 10000 levels"},
		{"an argument of the wrong type", []byte("\xa3six"),
			"msgpack: unexpected code=a3 decoding map length"},
		{"a field of the wrong type", []byte("\x81\xa1a\xa3six"),
			"msgpack: invalid code=a3 decoding int64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := cat(multiplyHead[:len(multiplyHead)-1], []byte{0x91}, tt.params, multiplyHead, sixBySeven)
			sc := msgpack.NewServerCodec(rwc{bytes.NewReader(in)})
			var req rpc.Request
			if err := sc.ReadRequestHeader(&req); err != nil {
				t.Fatalf("first header: %v", err)
			}
			if err := sc.ReadRequestBody(new(service.Args)); err == nil || err.Error() != tt.want {
				t.Errorf("first body error = %v; want %s", err, tt.want)
			}
			var args service.Args
			if err := sc.ReadRequestHeader(&req); err != nil || req.ServiceMethod != "Arith.Multiply" {
				t.Fatalf("second header = %q, %v; want Arith.Multiply", req.ServiceMethod, err)
			}
			if err := sc.ReadRequestBody(&args); err != nil || args.A != 6 || args.B != 7 {
				t.Fatalf("second body = %v, %v; want a:6 b:7", &args, err)
			}
		})
	}
}

// The client refuses hostile replies as the server refuses requests: an
// oversized count ends the connection, deep nesting fails the call.
func TestClientRefusesHostileReplies(t *testing.T) {
	reply := func(errVal, result []byte) []byte { return cat([]byte("\x94\x01\x00"), errVal, result) }
	tests := []struct {
		name      string
		in        []byte
		wantErr   string // from ReadResponseHeader
		wantError string // the call's error text
	}{
		{"an array of 2^32-1 values as the result", reply([]byte{0xc0}, hugeArray),
			"msgpack: message of 4294967304 bytes exceeds limit 67108864", ""},
		{"an array of 2^32-1 values as the error", reply(hugeArray, nil),
			"msgpack: message of 4294967304 bytes exceeds limit 67108864", ""},
		{"an error nested 100,000 deep", reply(nested(100000), []byte{0xc0}),
			"", "msgpack: message nests deeper than 10000 levels"},
		{"a reply to no call", []byte("\x94\x01\x07\xc0\xc0"),
			"msgpack: response to msgid 7, which no call is waiting for", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc := msgpack.NewClientCodec(rwc{bytes.NewReader(tt.in)})
			if err := cc.WriteRequest(&rpc.Request{ServiceMethod: "Arith.Multiply"}, &service.Args{}); err != nil {
				t.Fatal(err)
			}
			var resp rpc.Response
			var err error
			n := codectest.Allocated(func() { err = cc.ReadResponseHeader(&resp) })
			if got := errText(err); got != tt.wantErr || resp.Error != tt.wantError {
				t.Errorf("ReadResponseHeader = error %q, call error %q; want %q, %q", got, resp.Error, tt.wantErr, tt.wantError)
			}
			if n > 1<<20 {
				t.Errorf("reading %d bytes allocated %d bytes", len(tt.in), n)
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// The library reads a map's header from inside an extension value, where
// the reader counts only opaque bytes; such a map must fail the call before
// the library sizes a map by its claimed count.
func TestMapInsideExtensionFailsTheCall(t *testing.T) {
	records := []byte("\x94\x00\x01\xacEcho.Records\x91")
	extMap := []byte("\xc7\x05\x01\xdf\xff\xff\xff\xff") // ext 8 of 5 bytes, type 1: a map of 2^32-1 pairs
	for _, params := range [][]byte{
		extMap, // the batch itself
		cat([]byte("\x81\xa7records\x91"), extMap),                 // a record
		cat([]byte("\x81\xa7records\x91\x81\xa8counters"), extMap), // a record's counters
	} {
		sc := msgpack.NewServerCodec(rwc{bytes.NewReader(cat(records, params))})
		if err := sc.ReadRequestHeader(new(rpc.Request)); err != nil {
			t.Fatal(err)
		}
		var err error
		n := codectest.Allocated(func() { err = sc.ReadRequestBody(new(service.RecordBatch)) })
		if err == nil || !strings.Contains(err.Error(), "extension") {
			t.Errorf("params % x: error %v; want one about an extension", params, err)
		}
		if n > 1<<20 {
			t.Errorf("params % x: decoding allocated %d bytes", params, n)
		}
	}
}
