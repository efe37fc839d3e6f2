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
// to the cap, and only then hands it to encoding/json.
package jsonrpc
