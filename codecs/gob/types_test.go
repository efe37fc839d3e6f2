package gob_test

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"reflect"
	"strings"
	"testing"

	"github.com/rpcbench/rpcbench/codecs/codectest"
	rpcgob "github.com/rpcbench/rpcbench/codecs/gob"
	"github.com/rpcbench/rpcbench/service"
)

// TestTypeDefinitionsAreBounded sends a stream of requests, each with a
// struct type of its own: gob defines every type in a message of its own,
// which the cap on message size does not bound, and the decoder keeps
// them all. Past the bound the stream ends with an error that says so.
func TestTypeDefinitionsAreBounded(t *testing.T) {
	const n = 1100
	sc := rpcgob.NewServerCodec(rwc(typedRequests(t, n)))
	var err error
	var read int
	for read = 0; read < n; read++ {
		if err = sc.ReadRequestHeader(new(rpc.Request)); err != nil {
			break
		}
		sc.ReadRequestBody(nil)
	}
	if err == nil || !strings.Contains(err.Error(), "at most 1024 types") {
		t.Fatalf("after %d requests with a type each: ReadRequestHeader = %v; want the stream ended for defining too many types", read, err)
	}
	if read > 1024 {
		t.Errorf("read %d requests, each defining a type, past the bound of 1024", read)
	}
}

// typedRequests is a gob stream of n requests, each with a struct type of
// its own: gob defines every type in a message of its own.
func typedRequests(t *testing.T, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := gob.NewEncoder(&buf)
	for i := range n {
		typ := reflect.StructOf([]reflect.StructField{{Name: fmt.Sprintf("F%d", i), Type: reflect.TypeFor[int64]()}})
		v := reflect.New(typ).Elem()
		v.Field(0).SetInt(1)
		enc.Encode(rpc.Request{ServiceMethod: "Echo.Echo", Seq: uint64(i)})
		if err := enc.EncodeValue(v); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// TestLargeMessagesDoNotPinTheDecoder calls with messages larger than
// the size past which the decoder is replaced, then with types it has
// seen before and types it has not: the new decoder must know the
// stream's earlier definitions, and learn new ones.
func TestLargeMessagesDoNotPinTheDecoder(t *testing.T) {
	for _, dir := range []string{"the codec serves", "the codec calls"} {
		t.Run(dir, func(t *testing.T) {
			var client *rpc.Client
			if dir == "the codec serves" {
				client = rpc.NewClient(codectest.ServeOne(t, func(conn net.Conn) {
					service.NewServer().ServeCodec(rpcgob.NewServerCodec(conn))
				}))
			} else {
				client = rpc.NewClientWithCodec(rpcgob.NewClientCodec(codectest.ServeOne(t, func(conn net.Conn) {
					service.NewServer().ServeConn(conn)
				})))
			}
			defer client.Close()
			big := bytes.Repeat([]byte("b"), 3<<20)
			for i, payload := range [][]byte{big, []byte("small"), big, nil} {
				var r service.EchoReply
				if err := client.Call("Echo.Echo", &service.EchoRequest{Payload: payload}, &r); err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
				if !bytes.Equal(r.Payload, payload) {
					t.Fatalf("call %d: echo of %d bytes came back as %d", i, len(payload), len(r.Payload))
				}
			}
			codectest.Calls(t, client) // new types after the renewal
		})
	}
}

// retainingConn is a served connection that lets its codec keep at most
// limit bytes (codecs.Retainer).
type retainingConn struct {
	io.ReadWriteCloser
	kept, limit int64
}

func (c *retainingConn) Retain(n int64) error {
	if c.kept+n > c.limit {
		return fmt.Errorf("no room for %d more bytes", n)
	}
	c.kept += n
	return nil
}

// TestTypeDefinitionsCountTowardTheServersBudget: the definitions the
// decoder keeps are reported to a connection that counts them, and the
// stream ends with its error when the server has no room for more.
func TestTypeDefinitionsCountTowardTheServersBudget(t *testing.T) {
	conn := &retainingConn{ReadWriteCloser: rwc(typedRequests(t, 100)), limit: 1000}
	sc := rpcgob.NewServerCodec(conn)
	var err error
	read := 0
	for ; read < 100; read++ {
		if err = sc.ReadRequestHeader(new(rpc.Request)); err != nil {
			break
		}
		sc.ReadRequestBody(nil)
	}
	if err == nil || !strings.Contains(err.Error(), "keeping a type definition: no room for") {
		t.Fatalf("after %d requests with a type each: ReadRequestHeader = %v; want the stream ended by the connection's budget", read, err)
	}
	if conn.kept == 0 || conn.kept > conn.limit {
		t.Errorf("the connection was told of %d bytes kept; want some, at most its limit %d", conn.kept, conn.limit)
	}
	if read == 0 || read >= 100 {
		t.Errorf("read %d requests before the budget ended the stream; want some and not all", read)
	}
}
