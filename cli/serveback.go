package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/harness"
	"github.com/rpcbench/rpcbench/harness/format"
	"github.com/rpcbench/rpcbench/measure"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/stack"
	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/duplex"
)

// backFlags are serve's flags for a duplex worker that calls its master
// back (the duplex workload's dir=up, measured by the worker).
type backFlags struct {
	conc     int
	payload  string
	duration time.Duration
}

func addBackFlags(fs *flag.FlagSet) *backFlags {
	f := new(backFlags)
	fs.IntVar(&f.conc, "back-concurrency", 0, "duplex worker: also call the master with this many callers, over streams this worker opens,\nfor --back-duration once it is connected, and print their table (workload=duplex/dir=up); 0: only serve")
	fs.StringVar(&f.payload, "back-payload", "bytes:1KiB", "duplex worker: what the callers of --back-concurrency send")
	fs.DurationVar(&f.duration, "back-duration", 10*time.Second, "duplex worker: how long the callers of --back-concurrency measure")
	return f
}

// start runs the worker's callers when asked, in a goroutine, printing
// their table to stdout when they are done; wait waits for them.
func (f *backFlags) start(ctx context.Context, stdout io.Writer, logger *log.Logger, l net.Listener, codec codecs.Codec) (wait func(), err error) {
	if f.conc <= 0 {
		return func() {}, nil
	}
	end, ok := l.(*duplex.End)
	if !ok {
		return nil, fmt.Errorf("serve: --back-concurrency %d: only a duplex worker (--transport duplex) calls its master back", f.conc)
	}
	p, err := payload.Parse(f.payload)
	if err != nil {
		return nil, fmt.Errorf("serve: --back-payload: %w", err)
	}
	cfg := harness.Config{
		Stack: stack.Codec{Codec: codec}, Transport: workerEnd{end}, External: true, Payload: p,
		Concurrency: f.conc, Conns: f.conc, Pipeline: 1, Duration: f.duration, Warmup: 500 * time.Millisecond,
		Timeout: 10 * time.Second, Workload: harness.DuplexWorker{},
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		logger.Printf("calling the master back: %d callers, %s, for %v", f.conc, p.Name, f.duration)
		rows, err := harness.RunRows(ctx, cfg)
		if err != nil {
			logger.Printf("calling the master back: %v", err)
			return
		}
		run := format.Run{Env: measure.ReadEnv([]string{"rpcbench", "serve"}), Results: rows}
		if err := format.Text(stdout, run); err != nil {
			logger.Printf("writing the back calls' table: %v", err)
		}
	}()
	return func() { <-done }, nil
}

// workerEnd is a transport whose calling half is a duplex worker's end:
// what the worker's own callers call the master over.
type workerEnd struct{ end *duplex.End }

func (workerEnd) Name() string { return "duplex" }

func (workerEnd) Serve(context.Context, transports.Config) (net.Listener, error) {
	return nil, errors.New("duplex worker: the worker's end serves already")
}

func (w workerEnd) Call(context.Context, transports.Config) (transports.Caller, error) {
	return openOnly{w.end}, nil
}

// openOnly is the worker's end as a Caller whose Close leaves it open: the
// serve command closes it.
type openOnly struct{ *duplex.End }

func (openOnly) Close() error { return nil }
