package jsonrpc

import (
	"strings"

	"github.com/rpcbench/rpcbench/codecs/hostile"
)

// Hostile describes JSON-RPC to the attack suite and codectest: no framing
// and no length anywhere, so the attacks are a string that never ends and
// arrays nested 100,000 deep.
func (Codec) Hostile() hostile.Format {
	return hostile.Format{
		Frame:   func(body []byte) []byte { return body },
		Endless: []byte(`{"method":"Echo.Echo","id":1,"params":[{"payload":"`),
		Fill:    'A', // base64, so the string stays valid for as long as it runs
		Deep:    []byte(`{"method":"Arith.Multiply","id":1,"params":[` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "]}\n"),
	}
}
