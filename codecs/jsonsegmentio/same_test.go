package jsonsegmentio_test

import (
	"testing"

	"github.com/rpcbench/rpcbench/codecs/codectest"
	"github.com/rpcbench/rpcbench/codecs/jsonsegmentio"
)

// FuzzSameAsStdlib is the proof that segmentio/encoding/json writes the
// bytes encoding/json writes (DESIGN 3) and that each reads the other's
// back to the same values, for the service's values (and generic ones)
// built from the fuzzer's input, encoded as the codec encodes them.
func FuzzSameAsStdlib(f *testing.F) {
	segmentio := codectest.JSON(jsonsegmentio.Library{}.NewEncoder, jsonsegmentio.Library{}.Unmarshal)
	codectest.FuzzSame(f, codectest.EncodingJSON(), segmentio, nil, nil)
}
