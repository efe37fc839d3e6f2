package jsonsegmentio_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/codecs/codectest"
	"github.com/rpcbench/rpcbench/codecs/jsonrpc"
	"github.com/rpcbench/rpcbench/codecs/jsonsegmentio"
)

// codec is the variant under test.
var codec = jsonrpc.Codec{JSON: jsonsegmentio.Library{}}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) {
	codectest.Run(t, func(n int) codecs.Codec { return jsonrpc.Codec{MaxMessage: n, JSON: jsonsegmentio.Library{}} })
}

func FuzzDecodeRequest(f *testing.F) { codectest.FuzzServer(f, codec) }

func FuzzDecodeResponse(f *testing.F) { codectest.FuzzClient(f, codec) }
