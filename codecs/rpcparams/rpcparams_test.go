package rpcparams_test

import (
	"bytes"
	"io"
	"net/rpc"
	"testing"

	"github.com/rpcbench/rpcbench/codecs/jsonrpc"
	"github.com/rpcbench/rpcbench/codecs/msgpack"
	"github.com/rpcbench/rpcbench/codecs/rpcparams"
)

// buffer is a ReadWriteCloser that keeps what is written.
type buffer struct{ bytes.Buffer }

func (*buffer) Close() error { return nil }

func (b *buffer) Read([]byte) (int, error) { return 0, io.EOF }

func TestAListIsSentAsTheParamsArray(t *testing.T) {
	tests := []struct {
		codec interface {
			NewClientCodec(io.ReadWriteCloser) rpc.ClientCodec
		}
		args any
		want string
	}{
		{jsonrpc.Codec{}, rpcparams.List{}, `{"method":"m","params":[],"id":7}` + "\n"},
		{jsonrpc.Codec{}, rpcparams.List{int64(1), "a"}, `{"method":"m","params":[1,"a"],"id":7}` + "\n"},
		{jsonrpc.Codec{}, "one", `{"method":"m","params":["one"],"id":7}` + "\n"},
		// [0, 7, "m", params]
		{msgpack.Codec{}, rpcparams.List{}, "\x94\x00\x07\xa1m\x90"},
		{msgpack.Codec{}, rpcparams.List{int64(1), "a"}, "\x94\x00\x07\xa1m\x92\x01\xa1a"},
		{msgpack.Codec{}, "one", "\x94\x00\x07\xa1m\x91\xa3one"},
	}
	for _, tt := range tests {
		var b buffer
		c := tt.codec.NewClientCodec(&b)
		if err := c.WriteRequest(&rpc.Request{ServiceMethod: "m", Seq: 7}, tt.args); err != nil {
			t.Fatalf("%T %v: %v", tt.codec, tt.args, err)
		}
		if got := b.String(); got != tt.want {
			t.Errorf("%T %#v: wrote %q, want %q", tt.codec, tt.args, got, tt.want)
		}
	}
}
