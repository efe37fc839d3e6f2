//go:build gateslow

package msgpack

import (
	"fmt"
	"os"
	"time"
)

// slowEncode burns RPCBENCH_GATESLOW (a duration, e.g. 4µs) of CPU before
// every message body is encoded: a deliberate slowdown in the codec's
// own path, for scripts/gate-validate.sh and the profile test to check
// that the gate catches it and names this function. Only a -tags gateslow
// build has it; the normal build's slowEncode is empty and inlined away.
var gateSlow = func() time.Duration {
	s := os.Getenv("RPCBENCH_GATESLOW")
	if s == "" {
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(fmt.Sprintf("msgpack: RPCBENCH_GATESLOW=%q: %v", s, err))
	}
	return d
}()

// sink keeps the spin's arithmetic from being optimised away.
var sink uint64

//go:noinline
func slowEncode() {
	if gateSlow <= 0 {
		return
	}
	x := sink
	for start := time.Now(); time.Since(start) < gateSlow; {
		// Mostly arithmetic, so that a CPU profile blames this function
		// rather than the clock it reads.
		for range 256 {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	sink = x
}
