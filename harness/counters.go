package harness

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rpcbench/rpcbench/service"
)

// counters are the process-wide totals a window's figures are the
// difference of.
type counters struct {
	allocs, allocBytes uint64
	cpu                time.Duration // user + system
	// ctxSwitches are voluntary and involuntary context switches;
	// rwSyscalls read- and write-family system calls.
	ctxSwitches, rwSyscalls uint64
}

func countersOf(s *service.ServerStats) counters {
	return counters{allocs: uint64(s.Allocs), allocBytes: uint64(s.AllocBytes), cpu: time.Duration(s.CpuNs)}
}

func readCounters() counters {
	c := countersOf(service.ReadStats())
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		c.ctxSwitches = uint64(ru.Nvcsw + ru.Nivcsw)
	}
	c.rwSyscalls = readSyscalls("/proc/self/io")
	return c
}

// readSyscalls returns syscr + syscw from a /proc/PID/io file: the read-
// and write-family system calls of the whole process (every thread); 0
// where the file can't be read (not Linux, or no task I/O accounting).
func readSyscalls(name string) uint64 {
	f, err := os.Open(name)
	if err != nil {
		return 0
	}
	defer f.Close()
	var n uint64
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if ok && (k == "syscr" || k == "syscw") {
			x, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			if err == nil {
				n += x
			}
		}
	}
	return n
}

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
