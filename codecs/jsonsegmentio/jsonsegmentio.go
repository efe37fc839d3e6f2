package jsonsegmentio

import (
	"io"

	"github.com/segmentio/encoding/json"

	"github.com/rpcbench/rpcbench/codecs/jsonrpc"
)

// Library is github.com/segmentio/encoding/json as a jsonrpc.Library:
// jsonrpc.Codec{JSON: Library{}} is the codec json-segmentio.
type Library struct{}

// Name returns "segmentio".
func (Library) Name() string { return "segmentio" }

// Module returns segmentio/encoding's module path.
func (Library) Module() string { return "github.com/segmentio/encoding" }

func (Library) NewEncoder(w io.Writer) jsonrpc.Encoder { return json.NewEncoder(w) }

func (Library) Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }
