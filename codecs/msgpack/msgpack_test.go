package msgpack_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/codecs/codectest"
	"github.com/rpcbench/rpcbench/codecs/msgpack"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) {
	codectest.Run(t, func(n int) codecs.Codec { return msgpack.Codec{MaxMessage: n} })
}

func FuzzDecodeRequest(f *testing.F) { codectest.FuzzServer(f, msgpack.Codec{}) }

func FuzzDecodeResponse(f *testing.F) { codectest.FuzzClient(f, msgpack.Codec{}) }
