package harness

import (
	"time"

	"github.com/rpcbench/rpcbench/measure"
	"github.com/rpcbench/rpcbench/service"
)

func totalsOf(s *service.ServerStats) measure.Totals {
	return measure.Totals{
		Allocs:      uint64(s.GetAllocs()),
		AllocB:      uint64(s.GetAllocBytes()),
		CPU:         time.Duration(s.GetCpuNs()),
		CtxSwitches: s.GetCtxSwitches(),
		RWSyscalls:  s.GetRwSyscalls(),
	}
}

// readTotals reads this process's totals the way Stats.Read reads a
// server's, so that the two sides' figures mean the same.
func readTotals() measure.Totals { return totalsOf(service.ReadStats()) }
