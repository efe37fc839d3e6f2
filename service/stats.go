package service

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Stats reports the serving process's counters, so that a load generator in
// another process can tell the server's allocations and CPU per call from
// its own.
type Stats struct{}

// Read returns the process's running totals, after a garbage collection
// when the request asks for one and none ran in the last GCInterval: a
// forced collection stops every call in flight, so a client looping on it
// must not set the server's pace. (Who may ask at all is the server's
// call: server refuses gc before a login unless allowed.)
func (Stats) Read(req *StatsRequest, reply *ServerStats) error {
	if req.GetGc() {
		collect(time.Now())
	}
	s := ReadStats()
	reply.Allocs, reply.AllocBytes, reply.CpuNs = s.Allocs, s.AllocBytes, s.CpuNs
	reply.Goroutines, reply.RssBytes = s.Goroutines, s.RssBytes
	reply.CtxSwitches, reply.RwSyscalls = s.CtxSwitches, s.RwSyscalls
	reply.Instance = s.Instance
	return nil
}

// Instance names this process among every other: 128 random bits in hex,
// made on first use and the same for the process's life. A reader that
// reaches one server over several connections (reverse workers), or
// several load processes that share one server, tell by it which totals
// are the same process's, and count them once. A pid would not do: two
// hosts, or two containers, may well run servers with the same one.
func Instance() string { return instance() }

var instance = sync.OnceValue(func() string {
	var b [16]byte
	rand.Read(b[:]) // never returns an error: since Go 1.24 it crashes the process instead
	return hex.EncodeToString(b[:])
})

// GCInterval is the least time between two collections that Stats.Read
// forces; a request within it reads the totals without one.
const GCInterval = time.Second

// lastGC is when Stats.Read last forced a collection, in Unix nanoseconds.
var lastGC atomic.Int64

// collect forces a collection unless one was forced within GCInterval of
// now, and reports whether it did.
func collect(now time.Time) bool {
	last := lastGC.Load()
	if now.UnixNano()-last < int64(GCInterval) || !lastGC.CompareAndSwap(last, now.UnixNano()) {
		return false
	}
	runtime.GC()
	return true
}

// ReadStats reads this process's totals. Allocations come from
// runtime/metrics, which, unlike runtime.ReadMemStats, does not stop the
// world; context switches from getrusage (voluntary and involuntary);
// read and write system calls from /proc/self/io, 0 where there is none.
func ReadStats() *ServerStats {
	samples := []metrics.Sample{
		{Name: "/gc/heap/allocs:objects"},
		{Name: "/gc/heap/tiny/allocs:objects"}, // counted apart, but allocations all the same
		{Name: "/gc/heap/allocs:bytes"},
	}
	metrics.Read(samples)
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return &ServerStats{
		Allocs:     int64(samples[0].Value.Uint64() + samples[1].Value.Uint64()),
		AllocBytes: int64(samples[2].Value.Uint64()),
		CpuNs:      ru.Utime.Nano() + ru.Stime.Nano(),
		Goroutines: int64(runtime.NumGoroutine()),
		RssBytes:   rss(),
		// Nvcsw and Nivcsw are never negative.
		CtxSwitches: uint64(ru.Nvcsw) + uint64(ru.Nivcsw),
		RwSyscalls:  rwSyscalls(),
		Instance:    Instance(),
	}
}

// rwSyscalls reads the process's read- and write-family system calls
// (syscr + syscw) from /proc/self/io, or 0 where there is none.
func rwSyscalls() uint64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	var n uint64
	for line := range strings.SplitSeq(string(b), "\n") {
		name, v, _ := strings.Cut(line, ":")
		if name == "syscr" || name == "syscw" {
			c, _ := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			n += c
		}
	}
	return n
}

// rss reads the resident set size from /proc, or 0 where there is none.
func rss() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
