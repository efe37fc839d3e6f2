package thrift_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/codecs/codectest"
	thriftcodec "github.com/rpcbench/rpcbench/codecs/thrift"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) {
	t.Run("binary", func(t *testing.T) {
		codectest.Run(t, func(n int) codecs.Codec { return thriftcodec.Codec{MaxMessage: n} })
	})
	t.Run("compact", func(t *testing.T) {
		codectest.Run(t, func(n int) codecs.Codec { return thriftcodec.Codec{MaxMessage: n, Compact: true} })
	})
}

func FuzzDecodeRequest(f *testing.F)  { codectest.FuzzServer(f, thriftcodec.Codec{}) }
func FuzzDecodeResponse(f *testing.F) { codectest.FuzzClient(f, thriftcodec.Codec{}) }

func FuzzDecodeCompactRequest(f *testing.F) {
	codectest.FuzzServer(f, thriftcodec.Codec{Compact: true})
}

func FuzzDecodeCompactResponse(f *testing.F) {
	codectest.FuzzClient(f, thriftcodec.Codec{Compact: true})
}
