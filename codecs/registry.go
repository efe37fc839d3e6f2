package codecs

import (
	"github.com/rpcbench/rpcbench/codecs/gob"
	"github.com/rpcbench/rpcbench/codecs/jsonrpc"
	"github.com/rpcbench/rpcbench/codecs/jsonsegmentio"
	"github.com/rpcbench/rpcbench/codecs/msgpack"
	"github.com/rpcbench/rpcbench/codecs/msgpackmsgp"
	"github.com/rpcbench/rpcbench/codecs/protobuf"
	"github.com/rpcbench/rpcbench/codecs/thrift"
)

// builtin holds one constructor per codec shipped with rpcbench: adding one
// is one package and one line here. Codecs from other modules come in
// through Register.
var builtin = []func(Options) Codec{
	func(o Options) Codec { return gob.Codec{MaxMessage: o.MaxMessage} },
	func(o Options) Codec { return jsonrpc.Codec{MaxMessage: o.MaxMessage} },
	func(o Options) Codec {
		return jsonrpc.Codec{MaxMessage: o.MaxMessage, JSON: jsonsegmentio.Library{}}
	},
	func(o Options) Codec { return msgpack.Codec{MaxMessage: o.MaxMessage} },
	func(o Options) Codec { return msgpack.Codec{MaxMessage: o.MaxMessage, Body: msgpackmsgp.Body{}} },
	func(o Options) Codec { return protobuf.Codec{MaxMessage: o.MaxMessage} },
	func(o Options) Codec { return thrift.Codec{MaxMessage: o.MaxMessage} },
	func(o Options) Codec { return thrift.Codec{MaxMessage: o.MaxMessage, Compact: true} },
}
