package msgpack_test

import (
	"fmt"
	"io"
	"testing"

	vmsgpack "github.com/vmihailenco/msgpack/v5"

	"github.com/rpcbench/rpcbench/codecs/codectest"
	"github.com/rpcbench/rpcbench/codecs/msgpack"
)

// TestFieldsOnWire reads zero-valued replies as a MessagePack-RPC client
// with no rpcbench code does: the library decodes the response
// [1, msgid, nil, result] into generic values, the result into a map.
func TestFieldsOnWire(t *testing.T) {
	codectest.FieldsOnWire(t, msgpack.Codec{}, func(r io.Reader) (any, error) {
		dec := vmsgpack.NewDecoder(r)
		dec.SetMapDecoder(func(d *vmsgpack.Decoder) (any, error) { return d.DecodeUntypedMap() })
		var resp []any
		if err := dec.Decode(&resp); err != nil {
			return nil, err
		}
		if len(resp) != 4 || resp[2] != nil {
			return nil, fmt.Errorf("response %v is not [1, msgid, nil, result]", resp)
		}
		return resp[3], nil
	})
}
