package duplex_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/duplex"
	"github.com/rpcbench/rpcbench/transports/transporttest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) { transporttest.Run(t, duplex.Transport{}, transports.Config{}) }
