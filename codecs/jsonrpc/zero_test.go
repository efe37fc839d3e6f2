package jsonrpc_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"testing"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/codecs/codectest"
)

// TestFieldsOnWire reads zero-valued replies as a JSON-RPC client with no
// rpcbench code does: a line, decoded by encoding/json into generic values.
func TestFieldsOnWire(t *testing.T) { codectest.EachCodec(t, formatCodecs, testFieldsOnWire) }

func testFieldsOnWire(t *testing.T, c codecs.Codec) {
	codectest.FieldsOnWire(t, c, func(r io.Reader) (any, error) {
		line, err := bufio.NewReader(r).ReadBytes('\n')
		if err != nil {
			return nil, err
		}
		var resp struct {
			Result any
			Error  any
		}
		if err := json.Unmarshal(line, &resp); err != nil {
			return nil, err
		}
		if resp.Error != nil {
			return nil, fmt.Errorf("response %s has an error", line)
		}
		return resp.Result, nil
	})
}
