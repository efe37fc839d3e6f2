package msgpackmsgp_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/codecs/codectest"
	"github.com/rpcbench/rpcbench/codecs/msgpack"
	"github.com/rpcbench/rpcbench/codecs/msgpackmsgp"
)

// codec is the variant under test.
var codec = msgpack.Codec{Body: msgpackmsgp.Body{}}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) {
	codectest.Run(t, func(n int) codecs.Codec { return msgpack.Codec{MaxMessage: n, Body: msgpackmsgp.Body{}} })
}

func FuzzDecodeRequest(f *testing.F) { codectest.FuzzServer(f, codec) }

func FuzzDecodeResponse(f *testing.F) { codectest.FuzzClient(f, codec) }
