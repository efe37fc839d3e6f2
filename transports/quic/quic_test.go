package quic_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/quic"
	"github.com/rpcbench/rpcbench/transports/transporttest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) {
	transporttest.Run(t, quic.Transport{}, transports.Config{Insecure: true})
}
