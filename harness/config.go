package harness

import (
	"fmt"
	"time"

	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/stack"
	"github.com/rpcbench/rpcbench/transports"
)

// Config is one configuration to measure.
type Config struct {
	Stack     stack.Stack
	Transport transports.Transport
	// TransportConfig says where to connect. With External set its Addr is
	// the server's (or, for a transport whose serving side dials, where to
	// listen); otherwise an in-process server is started on loopback.
	TransportConfig transports.Config
	External        bool
	// Net names the network profile the transport emulates, for results;
	// empty means none.
	Net     string
	Payload payload.Payload

	// Concurrency callers share Conns connections, each keeping Pipeline
	// calls in flight. A stack that can't share connections gets one per
	// call in flight.
	Concurrency, Conns, Pipeline int
	// Rate, when positive, makes the run open loop: calls are sent on a
	// schedule of Rate calls/s, and latency counts from each call's
	// scheduled time (coordinated omission corrected, as wrk2 does).
	Rate float64
	// The measured window ends after Duration or after Calls calls,
	// whichever is set (Calls wins when both are). Warmup runs first,
	// unmeasured.
	Duration time.Duration
	Calls    int64
	Warmup   time.Duration
	// Timeout bounds each call: a call outstanding for longer fails, and
	// its connection with it.
	Timeout time.Duration
	// Delay is the in-process server's think time and stalls.
	Delay *service.Delay
	// MaxMessage is the codecs' cap on one message in bytes, as the stack
	// was built with (codecs.Options.MaxMessage), for the name; 0 means
	// the default, 64 MiB.
	MaxMessage int
	// CheckEvery checks one reply in this many calls (and always the
	// first); 0 means 64.
	CheckEvery int
	// Workload is what the callers do; nil means DefaultWorkload (call).
	Workload Workload
	// Progress, when set, is called about ten times a second during the
	// warm-up and the measured window with how far along they are.
	Progress func(Progress)

	// testClock, when set, replaces the system's clock.
	testClock Clock
}

// Progress is how far one run is: which phase, the fraction of it done,
// and the window's figures so far, for a live display.
type Progress struct {
	Warmup bool    // the unmeasured warm-up, not the window
	Done   float64 // fraction of the phase done, 0 to 1
	// The measured window's completed and failed calls and its p99 so
	// far (0 during the warm-up and before the first call).
	Calls, Errors int64
	P99           time.Duration
}

func (c *Config) workload() Workload {
	if c.Workload == nil {
		return DefaultWorkload()
	}
	return c.Workload
}

func (c *Config) clock() Clock {
	if c.testClock == nil {
		return realClock{}
	}
	return c.testClock
}

// callers returns how many calls are in flight at once: Pipeline for each
// of the Concurrency callers.
func (c *Config) callers() int { return c.Concurrency * c.Pipeline }

// conns returns how many connections the run opens: one per call in
// flight for a stack that can't share them; else Conns, but no more than
// there are callers, since a caller keeps all its calls on one.
func (c *Config) conns() int {
	if !c.Stack.Shared() {
		return c.callers()
	}
	return min(c.Conns, c.Concurrency)
}

func (c *Config) validate() error {
	switch {
	case c.Stack == nil || c.Transport == nil || c.Payload.Method == "":
		return fmt.Errorf("harness: config needs a stack, a transport and a payload")
	case c.Concurrency < 1:
		return fmt.Errorf("harness: concurrency %d: want at least 1", c.Concurrency)
	case c.Conns < 1:
		return fmt.Errorf("harness: conns %d: want at least 1", c.Conns)
	case c.Pipeline < 1:
		return fmt.Errorf("harness: pipeline %d: want at least 1", c.Pipeline)
	case c.Rate < 0:
		return fmt.Errorf("harness: rate %g: want 0 (closed loop) or more", c.Rate)
	case c.Duration <= 0 && c.Calls <= 0:
		return fmt.Errorf("harness: want a duration or a number of calls")
	case c.Timeout <= 0:
		return fmt.Errorf("harness: timeout %v: want more than 0", c.Timeout)
	}
	return nil
}
