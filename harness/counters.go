package harness

import (
	"runtime/metrics"
	"syscall"
	"time"
)

// counters are the process-wide totals a window's figures are the
// difference of.
type counters struct {
	allocs, allocBytes uint64
	cpu                time.Duration // user + system
}

// readCounters reads the allocation totals from runtime/metrics, which,
// unlike runtime.ReadMemStats, does not stop the world.
func readCounters() counters {
	samples := []metrics.Sample{
		{Name: "/gc/heap/allocs:objects"},
		{Name: "/gc/heap/tiny/allocs:objects"}, // counted apart, but allocations all the same
		{Name: "/gc/heap/allocs:bytes"},
	}
	metrics.Read(samples)
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return counters{
		allocs:     samples[0].Value.Uint64() + samples[1].Value.Uint64(),
		allocBytes: samples[2].Value.Uint64(),
		cpu:        time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
	}
}
