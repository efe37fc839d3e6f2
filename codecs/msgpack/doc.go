// Package msgpack is a net/rpc codec that speaks MessagePack-RPC, so that a
// net/rpc client can call any MessagePack-RPC server (Neovim, for one) and
// any MessagePack-RPC client can call a net/rpc server.
//
// A request is [0, msgid, method, [args]], a response [1, msgid, error,
// result] and a notification [2, method, params]; notifications are read
// and ignored. Messages follow each other on the stream with no framing, as
// the specification says, so the codec bounds each message by walking its
// structure as the bytes arrive (see reader).
//
// The service's structs travel as maps keyed by their JSON names
// ({"a": 6, "b": 7}); decoding also accepts the Go field names.
package msgpack
