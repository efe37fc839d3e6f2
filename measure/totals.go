package measure

import (
	"time"
)

// Totals are a process's running totals, which a window's figures are the
// difference of: this process's (readTotals) or, from Stats.Read, a
// server's. Every one only grows over a process's life.
type Totals struct {
	Allocs uint64        `json:"allocs"`
	AllocB uint64        `json:"alloc_bytes"`
	CPU    time.Duration `json:"cpu_ns"` // user + system
	// CtxSwitches are voluntary and involuntary context switches
	// (getrusage); RWSyscalls read- and write-family system calls
	// (/proc/self/io syscr + syscw).
	CtxSwitches uint64 `json:"ctx_switches"`
	RWSyscalls  uint64 `json:"rw_syscalls"`
}

// Sub returns the counts from before to t.
func (t Totals) Sub(before Totals) Totals {
	return Totals{
		Allocs:      t.Allocs - before.Allocs,
		AllocB:      t.AllocB - before.AllocB,
		CPU:         t.CPU - before.CPU,
		CtxSwitches: t.CtxSwitches - before.CtxSwitches,
		RWSyscalls:  t.RWSyscalls - before.RWSyscalls,
	}
}

// Add returns the sum of t and o.
func (t Totals) Add(o Totals) Totals {
	return Totals{
		Allocs:      t.Allocs + o.Allocs,
		AllocB:      t.AllocB + o.AllocB,
		CPU:         t.CPU + o.CPU,
		CtxSwitches: t.CtxSwitches + o.CtxSwitches,
		RWSyscalls:  t.RWSyscalls + o.RWSyscalls,
	}
}

// Earliest returns, counter by counter, the smaller of t and o: the
// totals of the earlier of two reads of one process, since none falls.
func (t Totals) Earliest(o Totals) Totals {
	return Totals{
		Allocs:      min(t.Allocs, o.Allocs),
		AllocB:      min(t.AllocB, o.AllocB),
		CPU:         min(t.CPU, o.CPU),
		CtxSwitches: min(t.CtxSwitches, o.CtxSwitches),
		RWSyscalls:  min(t.RWSyscalls, o.RWSyscalls),
	}
}

// Latest returns, counter by counter, the larger of t and o: the totals of
// the later of two reads of one process.
func (t Totals) Latest(o Totals) Totals {
	return Totals{
		Allocs:      max(t.Allocs, o.Allocs),
		AllocB:      max(t.AllocB, o.AllocB),
		CPU:         max(t.CPU, o.CPU),
		CtxSwitches: max(t.CtxSwitches, o.CtxSwitches),
		RWSyscalls:  max(t.RWSyscalls, o.RWSyscalls),
	}
}
