package jsonrpc_test

import (
	"bufio"
	"errors"
	"io"
	"math"
	"net"
	"net/rpc"
	stdjsonrpc "net/rpc/jsonrpc"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/codecs/codectest"
	"github.com/rpcbench/rpcbench/codecs/jsonrpc"
	"github.com/rpcbench/rpcbench/service"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) {
	codectest.Run(t, func(n int) codecs.Codec { return jsonrpc.Codec{MaxMessage: n} })
}

func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(strings.Repeat("[", 100000)))
	f.Add([]byte(`{"method":"Arith.Multiply","params":[` + strings.Repeat(`{"a":`, 20000) + `}],"id":1}`))
	f.Add([]byte(`{"method":"Echo.Echo","params":[{"payload":"` + strings.Repeat("\\\"", 100) + `"}],"id":"x"}`))
	codectest.FuzzServer(f, jsonrpc.Codec{})
}

func FuzzDecodeResponse(f *testing.F) {
	f.Add([]byte(`{"id":0,"result":` + strings.Repeat("[", 100000)))
	f.Add([]byte(`{"id":0,"result":null,"error":{"code":-32601,"message":"no"}}` + "\n"))
	codectest.FuzzClient(f, jsonrpc.Codec{})
}

// formatCodecs are the codecs of this wire, one per JSON library: each
// passes every interop and wire test.
var formatCodecs = []string{"json", "json-segmentio"}

// TestInterop calls across the codec and net/rpc/jsonrpc over loopback TCP,
// in both directions.
func TestInterop(t *testing.T) { codectest.EachCodec(t, formatCodecs, testInterop) }

func testInterop(t *testing.T, c codecs.Codec) {
	t.Run("net/rpc/jsonrpc client calls the codec's server", func(t *testing.T) {
		client := stdjsonrpc.NewClient(codectest.ServeOne(t, func(conn net.Conn) {
			service.NewServer().ServeCodec(c.NewServerCodec(conn))
		}))
		defer client.Close()
		codectest.Calls(t, client)
	})
	t.Run("the codec's client calls net/rpc/jsonrpc's server", func(t *testing.T) {
		client := rpc.NewClientWithCodec(c.NewClientCodec(codectest.ServeOne(t, func(conn net.Conn) {
			service.NewServer().ServeCodec(stdjsonrpc.NewServerCodec(conn))
		})))
		defer client.Close()
		codectest.Calls(t, client)
	})
}

// TestWire checks the server's responses byte for byte, as a raw JSON-RPC
// client reads them.
func TestWire(t *testing.T) { codectest.EachCodec(t, formatCodecs, testWire) }

func testWire(t *testing.T, c codecs.Codec) {
	// An error from the JSON library is in its own words after this, which
	// only the json codec's library is held to.
	const libraryWords = "json: cannot unmarshal "
	tests := []struct {
		name, request, response string
	}{
		{
			"a number id and lower-case fields",
			`{"method":"Arith.Multiply","params":[{"a":6,"b":7}],"id":1}`,
			`{"id":1,"result":{"value":42},"error":null}`,
		},
		{
			"Go field names and a string id",
			`{"method":"Arith.Multiply","params":[{"A":6,"B":7}],"id":"x<&>"}`,
			`{"id":"x<&>","result":{"value":42},"error":null}`,
		},
		{
			"an object id, spaced as sent",
			"{ \"id\" : { \"k\" : [1, 2.50] } ,\n \"method\":\"Arith.Multiply\",\"params\":[{}]}",
			`{"id":{ "k" : [1, 2.50] },"result":{"value":0},"error":null}`,
		},
		{
			"an error with a null result",
			`{"method":"Arith.Divide","params":[{"a":1}],"id":-3e2}`,
			`{"id":-3e2,"result":null,"error":"division by zero"}`,
		},
		{
			"no id",
			`{"method":"Arith.Multiply","params":[{"a":2,"b":3}]}`,
			`{"id":null,"result":{"value":6},"error":null}`,
		},
		{
			"no params",
			`{"method":"Arith.Multiply","id":7}`,
			`{"id":7,"result":null,"error":"json: request has no params"}`,
		},
		{
			"an escaped method name and an id past uint64, echoed as sent",
			`{"method":"Arith.Mult\u0069ply","params":[{"a":2,"b":3}],"id":18446744073709551616}`,
			`{"id":18446744073709551616,"result":{"value":6},"error":null}`,
		},
		{
			"ids that are numbers but not as strconv writes them",
			`{"method":"Arith.Multiply","params":[{"a":2,"b":3}],"id":1.0}`,
			`{"id":1.0,"result":{"value":6},"error":null}`,
		},
		{
			"empty params leave the argument zero",
			`{"method":"Arith.Multiply","params":[ ],"id":0}`,
			`{"id":0,"result":{"value":0},"error":null}`,
		},
		{
			"params after the first are ignored",
			`{"method":"Arith.Multiply","params":[ {"a":2,"b":3} , 5, "x"],"id":2}`,
			`{"id":2,"result":{"value":6},"error":null}`,
		},
		{
			"params that are not an array",
			`{"method":"Arith.Multiply","params":{"a":2,"b":3},"id":3}`,
			`{"id":3,"result":null,"error":"json: request params \"{\\\"a\\\":2,\\\"b\\\":3}\" are not an array"}`,
		},
		{
			"a scalar where the argument is due",
			`{"method":"Arith.Multiply","params":[7],"id":4}`,
			`{"id":4,"result":null,"error":"json: request params: json: cannot unmarshal number into Go value of type service.Args"}`,
		},
		{
			"params of the wrong type",
			`{"method":"Arith.Multiply","params":[{"a":"six"}],"id":8}`,
			`{"id":8,"result":null,"error":"json: request params: json: cannot unmarshal string into Go struct field Args.a of type int64"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := codectest.ServeOne(t, func(conn net.Conn) {
				service.NewServer().ServeCodec(c.NewServerCodec(conn))
			})
			if _, err := io.WriteString(conn, tt.request+"\n"); err != nil {
				t.Fatal(err)
			}
			line, err := bufio.NewReader(conn).ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			want := tt.response + "\n"
			if before, _, ok := strings.Cut(want, libraryWords); ok && c.Name() != "json" {
				want = before + libraryWords
				line = line[:min(len(line), len(want))]
			}
			if line != want {
				t.Fatalf("response\n%s\nwant\n%s", line, want)
			}
		})
	}
}

// TestGeneric sends an untyped argument and decodes the reply untyped, as
// rpcbench call does for a method it doesn't know.
func TestGeneric(t *testing.T) { codectest.EachCodec(t, formatCodecs, testGeneric) }

func testGeneric(t *testing.T, c codecs.Codec) {
	client := rpc.NewClientWithCodec(c.NewClientCodec(codectest.ServeOne(t, func(conn net.Conn) {
		service.NewServer().ServeCodec(c.NewServerCodec(conn))
	})))
	defer client.Close()
	var reply any
	if err := client.Call("Arith.Multiply", map[string]any{"a": 6, "b": 7}, &reply); err != nil {
		t.Fatal(err)
	}
	if got, ok := reply.(map[string]any); !ok || got["value"] != 42.0 {
		t.Fatalf("reply = %#v; want map[value:42]", reply)
	}
}

// TestClientErrors checks how the client reads the error member.
func TestClientErrors(t *testing.T) {
	tests := []struct{ response, want string }{
		{`{"id":0,"result":null,"error":"boom"}`, "boom"},
		{`{"id":0,"result":null,"error":""}`, "unspecified error"},
		{`{"id":0,"error":{"code":-32601,"message":"Method not found"}}`, `{"code":-32601,"message":"Method not found"}`},
		{`{"id":0,"result":{"value":1},"error":null}`, ""},
	}
	for _, tt := range tests {
		cc := jsonrpc.NewClientCodec(rwc(tt.response + "\n"))
		var r rpc.Response
		if err := cc.ReadResponseHeader(&r); err != nil || r.Error != tt.want {
			t.Errorf("%s: error %q, %v; want %q", tt.response, r.Error, err, tt.want)
		}
	}
}

func TestHostile(t *testing.T) {
	t.Run("a message over the cap ends the stream with both numbers", func(t *testing.T) {
		const limit = 1 << 16
		in := `{"method":"Echo.Echo","params":[{"payload":"` + strings.Repeat("A", 1<<20)
		sc := jsonrpc.Codec{MaxMessage: limit}.NewServerCodec(rwc(in))
		var err error
		allocated := codectest.Allocated(func() { err = sc.ReadRequestHeader(new(rpc.Request)) })
		if err == nil || !strings.Contains(err.Error(), "exceeds limit 65536") {
			t.Fatalf("ReadRequestHeader = %v; want an error naming the cap 65536", err)
		}
		if allocated > 4*limit {
			t.Errorf("refusing a message over a %d-byte cap allocated %d bytes", limit, allocated)
		}
	})
	t.Run("100000-deep nesting is an error, not a crash", func(t *testing.T) {
		deep := `{"method":"Arith.Multiply","params":[` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `],"id":1}` + "\n"
		sc := jsonrpc.NewServerCodec(rwc(deep))
		if err := sc.ReadRequestHeader(new(rpc.Request)); err == nil || !strings.Contains(err.Error(), "nesting depth passes 10000") {
			t.Fatalf("ReadRequestHeader = %v; want the reader's depth error", err)
		}
		unclosed := `{"id":1,"result":` + strings.Repeat(`{"a":[`, 100000)
		cc := jsonrpc.NewClientCodec(rwc(unclosed))
		if err := cc.ReadResponseHeader(new(rpc.Response)); err == nil {
			t.Fatal("ReadResponseHeader of an unclosed response succeeded")
		}
	})
	t.Run("brackets and braces inside strings do not end a message", func(t *testing.T) {
		in := `{"method":"Echo.Echo","params":[{"payload":"AAAA"}],"id":"}]\"}"}` + "\n" + `{"method":"Nope.Nope","id":2}` + "\n"
		sc := jsonrpc.NewServerCodec(rwc(in))
		for _, want := range []string{"Echo.Echo", "Nope.Nope"} {
			var r rpc.Request
			if err := sc.ReadRequestHeader(&r); err != nil || r.ServiceMethod != want {
				t.Fatalf("ReadRequestHeader = %q, %v; want %q", r.ServiceMethod, err, want)
			}
			if want == "Echo.Echo" {
				var args service.EchoRequest
				if err := sc.ReadRequestBody(&args); err != nil || string(args.Payload) != "\x00\x00\x00" {
					t.Fatalf("ReadRequestBody = %q, %v; want three zero bytes", args.Payload, err)
				}
			}
		}
	})
}

// TestResponseAfterClose checks that the goroutine that writes responses
// ends with the codec (goleak would find it otherwise) and that a response
// written after Close fails rather than waiting for it.
func TestResponseAfterClose(t *testing.T) {
	sc := jsonrpc.NewServerCodec(rwc(`{"method":"Arith.Multiply","params":[{"a":2,"b":3}],"id":1}` + "\n" +
		`{"method":"Arith.Multiply","params":[{"a":2,"b":3}],"id":2}` + "\n"))
	var seqs []uint64
	for range 2 {
		var r rpc.Request
		if err := sc.ReadRequestHeader(&r); err != nil {
			t.Fatal(err)
		}
		if err := sc.ReadRequestBody(new(service.Args)); err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, r.Seq)
	}
	if err := sc.WriteResponse(&rpc.Response{ServiceMethod: "Arith.Multiply", Seq: seqs[0]}, &service.Product{Value: 6}); err != nil {
		t.Fatalf("WriteResponse before Close: %v", err)
	}
	sc.Close()
	sc.Close() // idempotent, as rpc.ServerCodec requires
	if err := sc.WriteResponse(&rpc.Response{ServiceMethod: "Arith.Multiply", Seq: seqs[1]}, &service.Product{Value: 6}); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("WriteResponse after Close = %v; want net.ErrClosed", err)
	}
}

// TestReplyThatFailsToEncode checks that a reply JSON cannot carry (a NaN)
// is answered with the call's error, the response whole and nothing of
// the failed reply in it.
func TestReplyThatFailsToEncode(t *testing.T) {
	var out strings.Builder
	sc := jsonrpc.NewServerCodec(struct {
		io.Reader
		io.Writer
		io.Closer
	}{strings.NewReader(`{"method":"Arith.Divide","params":[{"a":1,"b":0}],"id":7}` + "\n"), &out, io.NopCloser(nil)})
	defer sc.Close()
	var r rpc.Request
	if err := sc.ReadRequestHeader(&r); err != nil {
		t.Fatal(err)
	}
	if err := sc.ReadRequestBody(new(service.Args)); err != nil {
		t.Fatal(err)
	}
	if err := sc.WriteResponse(&rpc.Response{ServiceMethod: r.ServiceMethod, Seq: r.Seq}, math.NaN()); err != nil {
		t.Fatal(err)
	}
	want := `{"id":7,"result":null,"error":"json: encoding reply float64: `
	if got := out.String(); !strings.HasPrefix(got, want) || !strings.HasSuffix(got, `"}`+"\n") || strings.Count(got, "\n") != 1 {
		t.Fatalf("response %q; want one line starting %q", got, want)
	}
}

// rwc reads in and discards what is written.
func rwc(in string) io.ReadWriteCloser {
	return struct {
		io.Reader
		io.Writer
		io.Closer
	}{strings.NewReader(in), io.Discard, io.NopCloser(nil)}
}
