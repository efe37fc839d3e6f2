package stack_test

import (
	"errors"
	"net"
	"testing"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/stack"
)

func TestMethodComparesRepliesAsJSON(t *testing.T) {
	tests := []struct {
		name   string
		expect any // as encoding/json decodes --expect
		reply  any // as a codec decodes the reply
		ok     bool
	}{
		{"msgpack integer and JSON number", 42.0, int64(42), true},
		{"msgpack map keyed by any and JSON object", map[string]any{"a": 1.0, "b": []any{"x"}}, map[any]any{"a": uint8(1), "b": []any{"x"}}, true},
		{"a reply behind a pointer", "hello", func() any { var v any = "hello"; return &v }(), true},
		{"a typed reply", map[string]any{"Value": 42.0}, &struct{ Value int }{42}, true},
		{"different numbers", 43.0, int64(42), false},
		{"missing key", map[string]any{"a": 1.0, "b": 2.0}, map[any]any{"a": 1}, false},
		{"null expected", nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expect := tt.expect
			if expect == nil {
				expect = rawNull{}
			}
			p, err := stack.Method("M", nil, func() any { return new(any) }, expect)
			if err != nil {
				t.Fatal(err)
			}
			err = p.Check(tt.reply)
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, payload.ErrWrongReply)) {
				t.Errorf("Check: %v; want ok %v", err, tt.ok)
			}
		})
	}
}

// rawNull marshals to JSON null.
type rawNull struct{}

func (rawNull) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

func TestForeignHasNoServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c, err := codecs.New("json", codecs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := stack.Foreign{Codec: stack.Codec{Codec: c}}.Serve(l, nil)
	if _, err := l.Accept(); err == nil {
		t.Error("the listener is still open")
	}
	if err := srv.Close(); !errors.Is(err, stack.ErrNoServer) {
		t.Errorf("Close: %v; want ErrNoServer", err)
	}
}
