package doctor

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// openCounters opens a CPU-cycles counter for this process, user space
// only (what perf_event_paranoid 2 allows), and closes it again.
func openCounters() Counters {
	attr := unix.PerfEventAttr{
		Type:   unix.PERF_TYPE_HARDWARE,
		Config: unix.PERF_COUNT_HW_CPU_CYCLES,
		Bits:   unix.PerfBitDisabled | unix.PerfBitExcludeKernel | unix.PerfBitExcludeHv,
	}
	attr.Size = uint32(unsafe.Sizeof(attr))
	fd, err := unix.PerfEventOpen(&attr, 0, -1, -1, unix.PERF_FLAG_FD_CLOEXEC)
	if err != nil {
		msg := err.Error()
		if errno := unix.Errno(0); errors.As(err, &errno) {
			msg = fmt.Sprintf("%s (%v)", unix.ErrnoName(errno), errno)
		}
		return Counters{Error: "perf_event_open: " + msg}
	}
	unix.Close(fd)
	return Counters{Available: true}
}
