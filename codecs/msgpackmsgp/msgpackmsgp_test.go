package msgpackmsgp_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/codecs/codectest"
	"github.com/rpcbench/rpcbench/codecs/msgpackmsgp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) {
	codectest.Run(t, func(n int) codecs.Codec { return msgpackmsgp.Codec{MaxMessage: n} })
}

func FuzzDecodeRequest(f *testing.F) { codectest.FuzzServer(f, msgpackmsgp.Codec{}) }

func FuzzDecodeResponse(f *testing.F) { codectest.FuzzClient(f, msgpackmsgp.Codec{}) }
