package jsonrpc_test

import (
	"testing"

	"github.com/rpcbench/rpcbench/codecs/codectest"
	"github.com/rpcbench/rpcbench/codecs/jsonrpc"
)

// FuzzJSONSameAsStdlib is the proof that the codec's JSON library writes
// the bytes encoding/json writes and reads them back to the same values
// (DESIGN 3): it builds service values from the fuzzer's input (numbers at
// their edges, bytes of every value, strings with unicode, invalid UTF-8,
// HTML and control characters, maps with many keys, generic values as
// rpcbench call sends them), encodes each with both, as the codec does
// (an Encoder with HTML escaping, newline and all), and decodes each
// encoding with the other.
func FuzzJSONSameAsStdlib(f *testing.F) {
	goccy := codectest.JSON(jsonrpc.Goccy{}.NewEncoder, jsonrpc.Goccy{}.Unmarshal)
	codectest.FuzzSame(f, codectest.EncodingJSON(), goccy, nil, nil)
}
