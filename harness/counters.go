package harness

import (
	"time"

	"github.com/rpcbench/rpcbench/service"
)

// counters are the process-wide totals a window's figures are the
// difference of.
type counters struct {
	allocs, allocBytes uint64
	cpu                time.Duration // user + system
}

func countersOf(s *service.ServerStats) counters {
	return counters{allocs: uint64(s.Allocs), allocBytes: uint64(s.AllocBytes), cpu: time.Duration(s.CpuNs)}
}

func readCounters() counters { return countersOf(service.ReadStats()) }

// sub returns the counts from before to c.
func (c counters) sub(before counters) counters {
	return counters{c.allocs - before.allocs, c.allocBytes - before.allocBytes, c.cpu - before.cpu}
}
