package cli

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/server"
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
	return serveOn(t, &server.Server{Codec: codec}, listenLoopback(t))
}

func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// serveOn runs s on l until the test ends, and returns l's address.
func serveOn(t *testing.T, s *server.Server, l net.Listener) string {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return l.Addr().String()
}
