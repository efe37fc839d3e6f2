package cli

import (
	"bytes"
	"context"
	"net"
	"sync"
	"testing"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/service"
)

// TestCallPrintsZeroFields checks that call prints every field of a reply,
// zero values included, over every codec: a user who multiplies by zero
// sees {"value":0}, as net/rpc/jsonrpc prints a plain Go struct.
func TestCallPrintsZeroFields(t *testing.T) {
	calls := []struct {
		method, args, want string
		// named: only for formats that name fields (json, msgpack) and so
		// tell an empty list or payload from none; gob and protobuf bring
		// back nil, thrift empty values.
		named bool
	}{
		{"Arith.Multiply", `{"a":0,"b":3}`, `{"value":0}`, false},
		{"Arith.Divide", `{"a":0,"b":3}`, `{"quo":0,"rem":0}`, false},
		{"Echo.Echo", `{"payload":""}`, `{"payload":""}`, true},
		{"Echo.Echo", `{}`, `{"payload":""}`, true},
		{"Echo.Records", `{"records":[{}]}`, `{"records":[{"id":0,"name":"","score":0,"flag":false,"tags":null,"counters":null,"timestamp":0}]}`, true},
	}
	for _, name := range codecs.Names() {
		t.Run(name, func(t *testing.T) {
			addr := serveCodec(t, name)
			for _, c := range calls {
				if c.named && name != "json" && name != "msgpack" {
					continue
				}
				var stdout, stderr bytes.Buffer
				err := run(context.Background(), &stdout, &stderr, []string{"call", "--codec", name, "--addr", addr, c.method, c.args})
				got := stdout.String()
				if err != nil || got != c.want+"\n" {
					t.Errorf("call %s %s printed %q, %v (stderr %q); want %s", c.method, c.args, got, err, stderr.String(), c.want)
				}
			}
		})
	}
}

// serveCodec serves the service with the codec called name on a loopback
// listener until the test ends.
func serveCodec(t *testing.T, name string) string {
	t.Helper()
	codec, err := codecs.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := service.NewServer()
	var wg sync.WaitGroup
	var mu sync.Mutex // guards conns
	var conns []net.Conn
	wg.Go(func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
			wg.Go(func() { srv.ServeCodec(codec.NewServerCodec(conn)) })
		}
	})
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return l.Addr().String()
}
