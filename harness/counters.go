package harness

import (
	"time"

	"github.com/rpcbench/rpcbench/service"
)

// counters are the process-wide totals a window's figures are the
// difference of: this process's (readCounters) or, from Stats.Read, a
// server's.
type counters struct {
	allocs, allocBytes uint64
	cpu                time.Duration // user + system
	// ctxSwitches are voluntary and involuntary context switches
	// (getrusage); rwSyscalls read- and write-family system calls
	// (/proc/self/io syscr + syscw).
	ctxSwitches, rwSyscalls uint64
}

func countersOf(s *service.ServerStats) counters {
	return counters{
		allocs:      uint64(s.GetAllocs()),
		allocBytes:  uint64(s.GetAllocBytes()),
		cpu:         time.Duration(s.GetCpuNs()),
		ctxSwitches: s.GetCtxSwitches(),
		rwSyscalls:  s.GetRwSyscalls(),
	}
}

// readCounters reads this process's totals the way Stats.Read reads a
// server's, so that the two sides' figures mean the same.
func readCounters() counters { return countersOf(service.ReadStats()) }

// sub returns the counts from before to c.
func (c counters) sub(before counters) counters {
	return counters{
		allocs:      c.allocs - before.allocs,
		allocBytes:  c.allocBytes - before.allocBytes,
		cpu:         c.cpu - before.cpu,
		ctxSwitches: c.ctxSwitches - before.ctxSwitches,
		rwSyscalls:  c.rwSyscalls - before.rwSyscalls,
	}
}
