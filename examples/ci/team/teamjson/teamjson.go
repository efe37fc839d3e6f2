// Package teamjson is the team's own codec, kept in the team's module as
// a team would keep it: JSON-RPC 1.0 from the standard library's
// net/rpc/jsonrpc, registered with rpcbench as "team-json", so that
// teambench measures it beside the built-in codecs and CI gates it.
package teamjson

import (
	"io"
	"net/rpc"
	"net/rpc/jsonrpc"

	"github.com/rpcbench/rpcbench/codecs"
)

func init() { codecs.MustRegister(Codec{}) }

// Codec makes the standard library's JSON-RPC codecs.
type Codec struct{}

func (Codec) Name() string { return "team-json" }

func (Codec) NewClientCodec(conn io.ReadWriteCloser) rpc.ClientCodec {
	return jsonrpc.NewClientCodec(conn)
}

func (Codec) NewServerCodec(conn io.ReadWriteCloser) rpc.ServerCodec {
	return jsonrpc.NewServerCodec(conn)
}
