package server_test

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"net"
	"net/rpc"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/internal/poll"
	"github.com/rpcbench/rpcbench/server"
	"github.com/rpcbench/rpcbench/service"
)

// typeStream is n gob calls of Echo.Echo, each request's body of a struct
// type of its own (the payload and one more field, named from first on),
// so that each defines a type the server's decoder keeps.
func typeStream(t *testing.T, first, n int) []byte {
	var buf bytes.Buffer
	enc := gob.NewEncoder(&buf)
	for i := range n {
		typ := reflect.StructOf([]reflect.StructField{
			{Name: "Payload", Type: reflect.TypeFor[[]byte]()},
			{Name: fmt.Sprintf("AFieldWhoseLongNameMakesTheDefinitionLarge%d", first+i), Type: reflect.TypeFor[int64]()},
		})
		v := reflect.New(typ).Elem()
		v.Field(0).SetBytes([]byte("x"))
		v.Field(1).SetInt(1)
		enc.Encode(rpc.Request{ServiceMethod: "Echo.Echo", Seq: uint64(i)})
		if err := enc.EncodeValue(v); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// send dials addr, writes the calls of stream, and returns the
// connection, left open, how many of its n calls were answered without
// an error, and the first error a reply carried.
func send(t *testing.T, addr string, stream []byte, n int) (conn net.Conn, answered int, replyErr string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	go conn.Write(stream)
	dec := gob.NewDecoder(conn)
	for ; answered < n; answered++ {
		var resp rpc.Response
		var reply service.EchoReply
		if dec.Decode(&resp) != nil || dec.Decode(&reply) != nil {
			break
		}
		if resp.Error != "" {
			return conn, answered, resp.Error
		}
	}
	return conn, answered, ""
}

// TestKeptCodecStateIsBudgeted: the type definitions gob's decoder keeps
// for a connection's life count toward the server's budget, so that
// connections that each define many types cannot together grow the
// server without bound; a connection's share is given back when it
// closes.
func TestKeptCodecStateIsBudgeted(t *testing.T) {
	codec, _ := codecs.Lookup("gob")
	rs := rpc.NewServer()
	rs.RegisterName("Echo", new(counter))
	const n = 150
	streams := [][]byte{typeStream(t, 0, n), typeStream(t, n, n), typeStream(t, 2*n, n)}
	// Most of each stream is type definitions: the server has room for
	// one connection's, not two, and some to spare for a plain client's
	// few types.
	limit := int64(len(streams[0])) + 4<<10
	addr, _ := start(t, codec, &server.Server{RPC: rs, MaxBytesInFlight: limit})

	first, answered, why := send(t, addr, streams[0], n)
	if answered != n {
		t.Fatalf("the first connection had %d of %d calls answered (%s); its %d bytes fit the server's budget of %d", answered, n, why, len(streams[0]), limit)
	}
	_, answered, why = send(t, addr, streams[1], n)
	if answered == n {
		t.Fatalf("a second connection defined as many types again, past the server's budget of %d, and was served", limit)
	}
	// The client is still writing when the server refuses: the server's
	// lingering close keeps the reset that an abrupt one would send from
	// taking the error reply with it.
	if !strings.Contains(why, "past its limit of") {
		t.Errorf("the second connection's calls ended with %q; want an error that says the server's limit was reached", why)
	}
	// The refused connection's share comes back as the server closes it:
	// a plain client then fits beside the first connection.
	err := poll.Within(5*time.Second, func() error {
		return dial(t, codec, addr).Call("Echo.Echo", &service.EchoRequest{Payload: []byte("ok")}, new(service.EchoReply))
	})
	if err != nil {
		t.Fatalf("a plain call after the connection that defined too much: %v", err)
	}
	// The first connection's share comes back when it closes.
	first.Close()
	err = poll.Within(5*time.Second, func() error {
		if _, answered, why = send(t, addr, streams[2], n); answered != n {
			return fmt.Errorf("%d of %d calls answered (%s)", answered, n, why)
		}
		return nil
	})
	if err != nil {
		t.Errorf("after the first connection closed, a new one defining as many types: %v; they should fit again", err)
	}
}
