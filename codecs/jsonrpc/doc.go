// Package jsonrpc is the standard library's net/rpc/jsonrpc codec (JSON-RPC
// 1.0) with a cap on message size: net/rpc/jsonrpc's clients and servers
// talk to it in both directions.
//
// A request is {"method": "Service.Method", "params": [args], "id": id} and
// a response {"id": id, "result": reply, "error": null}, or with "result":
// null and the error's text. Each message ends with a newline, as
// encoding/json's Encoder writes it, and is read to its newline: a stream
// that ends before it ends mid-message. The server hands back each
// request's id exactly as it came, whatever JSON value it is.
//
// net/rpc/jsonrpc buffers a JSON value of any size before decoding it, so
// this codec finds the end of each message itself (see reader), holding it
// to the cap and to encoding/json's nesting depth, and only then hands it to
// a decoder.
//
// With goccy (a DeepStack library) a server codec writes its responses
// from a goroutine of its own, which Close ends: net/rpc calls
// WriteResponse from the goroutine it starts for each call, and goccy's
// encoder would grow that goroutine's small stack, copying it, every call.
//
// Values are encoded and decoded by github.com/goccy/go-json, not
// encoding/json, for speed and allocations: on the service's messages it
// cost the fewest allocations of the candidates that aim at encoding/json's
// bytes (segmentio/encoding/json allocates for every map it sorts, and
// bytedance/sonic matches only in its ConfigStd mode and allocates more to
// decode). The bytes must still be encoding/json's (DESIGN 3):
// FuzzJSONSameAsStdlib encodes and decodes the service's values with both
// and requires identical bytes and equal values.
package jsonrpc
