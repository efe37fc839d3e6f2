package msgpack_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net"
	"net/rpc"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	vmsgpack "github.com/vmihailenco/msgpack/v5"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/codecs/codectest"
	"github.com/rpcbench/rpcbench/server"
	"github.com/rpcbench/rpcbench/service"
)

// formatCodecs are the codecs of this wire, one per library: each passes
// every interop test.
var formatCodecs = []string{"msgpack", "msgpack-msgp"}

// rawPeer speaks MessagePack-RPC with the library directly, not through
// the codec under test.
type rawPeer struct {
	conn net.Conn
	enc  *vmsgpack.Encoder
	dec  *vmsgpack.Decoder
}

func newRawPeer(conn net.Conn) *rawPeer {
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawPeer{conn: conn, enc: vmsgpack.NewEncoder(conn), dec: vmsgpack.NewDecoder(conn)}
}

func (p *rawPeer) send(t *testing.T, msg ...any) {
	t.Helper()
	if err := p.enc.Encode(msg); err != nil {
		t.Fatalf("sending %v: %v", msg, err)
	}
}

// recvJSON reads one message and returns it as JSON, so that tests compare
// it with what they expect whatever integer widths the peer chose.
func (p *rawPeer) recvJSON(t *testing.T) string {
	t.Helper()
	v, err := p.dec.DecodeInterface()
	if err != nil {
		t.Fatalf("reading a message: %v", err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("message %v as JSON: %v", v, err)
	}
	return string(b)
}

// serveTCP serves the service with the codec on a loopback listener until
// the test ends, with the server rpcbench serve runs.
func serveTCP(t *testing.T, c codecs.Codec) net.Addr {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server.Server{Codec: c}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Shutdown(context.Background())
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return l.Addr()
}

func dial(t *testing.T, addr net.Addr) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// nested returns depth arrays, each holding the next, around a nil.
func nested(depth int) vmsgpack.RawMessage {
	b := make([]byte, 0, depth+1)
	for range depth {
		b = append(b, 0x91)
	}
	return append(b, 0xc0)
}

// A foreign client writing requests with the library gets spec-shaped
// responses over one connection, whatever it sent before.
func TestForeignClientCallsServer(t *testing.T) {
	codectest.EachCodec(t, formatCodecs, testForeignClientCallsServer)
}

func testForeignClientCallsServer(t *testing.T, c codecs.Codec) {
	p := newRawPeer(dial(t, serveTCP(t, c)))
	tests := []struct {
		name string
		send []any
		want string
	}{
		{"a call with JSON field names gets a result with them",
			[]any{0, 1, "Arith.Multiply", []any{map[string]any{"a": 6, "b": 7}}},
			`[1,1,null,{"value":42}]`},
		{"a call with Go field names gets the same result",
			[]any{0, 2, "Arith.Multiply", []any{map[string]any{"A": 6, "B": 7}}},
			`[1,2,null,{"value":42}]`},
		{"a zero field is still sent",
			[]any{0, 3, "Arith.Divide", []any{map[string]any{"a": 6, "b": 7}}},
			`[1,3,null,{"quo":0,"rem":6}]`},
		{"a failed call gets its error text and a nil result",
			[]any{0, 4, "Arith.Divide", []any{map[string]any{"a": 1, "b": 0}}},
			`[1,4,"division by zero",null]`},
		{"the largest msgid comes back as it was",
			[]any{0, uint32(math.MaxUint32), "Arith.Multiply", []any{map[string]any{"a": 2, "b": 3}}},
			`[1,4294967295,null,{"value":6}]`},
		{"a string payload is accepted for bytes",
			[]any{0, 5, "Echo.Echo", []any{map[string]any{"payload": "hi"}}},
			`[1,5,null,{"payload":"aGk="}]`},
		{"params of the wrong type fail the call only",
			[]any{0, 6, "Arith.Multiply", []any{"six"}},
			`[1,6,"msgpack: unexpected code=a3 decoding map length",null]`},
		{"params with two values fail the call only",
			[]any{0, 7, "Arith.Multiply", []any{map[string]any{}, 1}},
			`[1,7,"msgpack: request params hold 2 values, want 1",null]`},
		{"params nested 100,000 deep fail the call only",
			[]any{0, 8, "Arith.Multiply", []any{nested(100000)}},
			`[1,8,"msgpack: message nests deeper than 10000 levels",null]`},
		{"an unknown method fails the call only",
			[]any{0, 9, "Arith.Nope", []any{nested(100000)}},
			`[1,9,"rpc: can't find method Arith.Nope",null]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A notification first: the server must skip it, not answer it.
			p.send(t, 2, "Arith.Multiply", []any{map[string]any{"a": 1, "b": 1}})
			p.send(t, tt.send...)
			if got := p.recvJSON(t); got != tt.want {
				t.Errorf("response = %s; want %s", got, tt.want)
			}
		})
	}
}

// rawServer answers each request it reads with the error and result that
// reply gives for it, after a notification the client must skip.
func rawServer(t *testing.T, conn net.Conn, reply func(method string, params []any) (errVal, result any)) {
	var wg sync.WaitGroup
	wg.Go(func() {
		p := newRawPeer(conn)
		for {
			var req []any
			if err := p.dec.Decode(&req); err != nil {
				return
			}
			errVal, result := reply(req[2].(string), req[3].([]any))
			if p.enc.Encode([]any{2, "event", []any{"ignored"}}) != nil ||
				p.enc.Encode([]any{1, req[1], errVal, result}) != nil {
				return
			}
		}
	})
	t.Cleanup(func() {
		conn.Close()
		wg.Wait()
	})
}

// A foreign server's error values of any type become the call's error text,
// and its results decode into the reply, typed or generic.
func TestClientCallsForeignServer(t *testing.T) {
	codectest.EachCodec(t, formatCodecs, testClientCallsForeignServer)
}

func testClientCallsForeignServer(t *testing.T, codec codecs.Codec) {
	client, server := net.Pipe()
	rawServer(t, server, func(method string, params []any) (any, any) {
		switch method {
		case "err.string":
			return "boom", nil
		case "err.array":
			return []any{3, "bad thing"}, nil
		case "err.map":
			return map[string]any{"code": 3, "message": "bad"}, nil
		case "err.int":
			return 7, nil
		case "err.empty":
			return "", nil
		case "product":
			return nil, map[string]any{"value": 42}
		}
		return nil, params[0] // echo
	})
	c := rpc.NewClientWithCodec(codec.NewClientCodec(client))
	defer c.Close()

	for method, want := range map[string]string{
		"err.string": "boom",
		"err.array":  `[3,"bad thing"]`,
		"err.map":    `{"code":3,"message":"bad"}`,
		"err.int":    "7",
		"err.empty":  "unspecified error",
	} {
		var reply any
		err := c.Call(method, "x", &reply)
		var se rpc.ServerError
		if !errors.As(err, &se) || string(se) != want {
			t.Errorf("Call(%q) error = %v (%T); want rpc.ServerError %q", method, err, err, want)
		}
	}

	var p service.Product
	if err := c.Call("product", &service.Args{A: 6, B: 7}, &p); err != nil || p.GetValue() != 42 {
		t.Errorf("Call(product) = %d, %v; want 42", p.GetValue(), err)
	}

	// Arguments decoded from JSON go as they are; whole floats as integers.
	var args any
	json.Unmarshal([]byte(`{"n":6,"f":0.5,"list":["a",{"k":true}],"nil":null}`), &args)
	var reply any
	if err := c.Call("echo", args, &reply); err != nil {
		t.Fatalf("Call(echo): %v", err)
	}
	got, err := json.Marshal(reply)
	if want := `{"f":0.5,"list":["a",{"k":true}],"n":6,"nil":null}`; err != nil || string(got) != want {
		t.Errorf("echoed generic value = %s, %v; want %s", got, err, want)
	}
}

// The msgid is a uint32 on the wire; net/rpc's seq is a uint64.
func TestClientMsgidWraps(t *testing.T) { codectest.EachCodec(t, formatCodecs, testClientMsgidWraps) }

func testClientMsgidWraps(t *testing.T, c codecs.Codec) {
	client, server := net.Pipe()
	rawServer(t, server, func(string, []any) (any, any) { return nil, "ok" })
	cc := c.NewClientCodec(client)
	defer cc.Close()
	for _, seq := range []uint64{math.MaxUint32, 1<<32 + 7} {
		if err := cc.WriteRequest(&rpc.Request{ServiceMethod: "m", Seq: seq}, "x"); err != nil {
			t.Fatal(err)
		}
		var resp rpc.Response
		if err := cc.ReadResponseHeader(&resp); err != nil || resp.Seq != seq || resp.Error != "" {
			t.Fatalf("response to seq %d: seq %d, error %q, %v", seq, resp.Seq, resp.Error, err)
		}
		var s string
		if err := cc.ReadResponseBody(&s); err != nil || s != "ok" {
			t.Fatalf("response body = %q, %v; want ok", s, err)
		}
	}
}

// startNvim starts a headless Neovim listening on a free loopback port and
// returns its address; it is killed when the test ends.
func startNvim(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("nvim")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("nvim not found, and CI=true: %v", err)
		}
		t.Skipf("nvim not found: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(path, "--headless", "--clean", "-n", "--listen", addr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return addr
}

func TestNeovim(t *testing.T) { codectest.EachCodec(t, formatCodecs, testNeovim) }

func testNeovim(t *testing.T, codec codecs.Codec) {
	addr := startNvim(t)
	var conn net.Conn
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var err error
		if conn, err = net.Dial("tcp", addr); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nvim never listened on %s: %v", addr, err)
		}
	}
	c := rpc.NewClientWithCodec(codec.NewClientCodec(conn))
	defer c.Close()

	var reply any
	if err := c.Call("nvim_eval", "6*7", &reply); err != nil {
		t.Fatalf("nvim_eval(6*7): %v", err)
	}
	if got, _ := json.Marshal(reply); string(got) != "42" {
		t.Errorf("nvim_eval(6*7) = %v (%T); want 42", reply, reply)
	}

	err := c.Call("nvim_eval", "no_such_variable", &reply)
	var se rpc.ServerError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "E121") {
		t.Errorf("nvim_eval(no_such_variable) error = %v (%T); want nvim's E121 as an rpc.ServerError", err, err)
	}
	// A reply into an *any that already holds a value replaces it, as
	// encoding/json does.
	if err := c.Call("nvim_eval", "[1, 'two', {'k': v:true}]", &reply); err != nil {
		t.Fatalf("nvim_eval of a list: %v", err)
	}
	if got, _ := json.Marshal(reply); string(got) != `[1,"two",{"k":true}]` {
		t.Errorf("nvim_eval of a list = %s; want [1,\"two\",{\"k\":true}]", got)
	}
}
