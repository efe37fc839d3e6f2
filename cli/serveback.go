package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"sync/atomic"
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
	wide     *bool
}

func addBackFlags(fs *flag.FlagSet) *backFlags {
	f := new(backFlags)
	fs.IntVar(&f.conc, "back-concurrency", 0, "duplex worker: also call the master with this many callers, over streams this worker opens,\nfor --back-duration once it is connected, and print their table (workload=duplex/dir=up); 0: only serve")
	fs.StringVar(&f.payload, "back-payload", "bytes:1KiB", "duplex worker: what the callers of --back-concurrency send")
	f.wide = addWideFlag(fs)
	fs.DurationVar(&f.duration, "back-duration", 2*time.Second, "duplex worker: how long the callers of --back-concurrency measure, after a 0.5s warm-up,\nas run's --duration and --warmup: give the master a --duration that outlasts both;\nif the master goes first, the window ends there, marked interrupted")
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
	// The window ends when the master closes the session (its own run is
	// over): the calls it cuts off are not failures of the worker's, and
	// calls/s is over the time the master was there.
	ctx, masterGone := context.WithCancel(ctx)
	cfg := harness.Config{
		Stack: stack.Codec{Codec: codec}, Transport: workerEnd{end, masterGone}, External: true, Payload: p,
		Concurrency: f.conc, Conns: f.conc, Pipeline: 1, Duration: f.duration, Warmup: 500 * time.Millisecond,
		Timeout: 10 * time.Second, Workload: harness.DuplexWorker{},
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer masterGone()
		logger.Printf("calling the master back: %d callers, %s, for %v", f.conc, p.Name, f.duration)
		rows, err := harness.RunRows(ctx, cfg)
		if err != nil {
			logger.Printf("calling the master back: %v", err)
			return
		}
		run := format.Run{Env: measure.ReadEnv([]string{"rpcbench", "serve"}), Results: rows, Wide: *f.wide}
		if run.Interrupted = rows[0].Interrupted; run.Interrupted {
			logger.Printf("calling the master back: the window ended after %v of %v, when the master went away or serve was stopped", rows[0].Elapsed.Round(time.Millisecond), f.duration)
		}
		if err := format.Text(stdout, run); err != nil {
			logger.Printf("writing the back calls' table: %v", err)
		}
	}()
	return func() { <-done }, nil
}

// workerEnd is a transport whose calling half is a duplex worker's end:
// what the worker's own callers call the master over. gone is called when
// a stream ends that the worker did not close: the master went away.
type workerEnd struct {
	end  *duplex.End
	gone func()
}

func (workerEnd) Name() string { return "duplex" }

func (workerEnd) Serve(context.Context, transports.Config) (net.Listener, error) {
	return nil, errors.New("duplex worker: the worker's end serves already")
}

func (w workerEnd) Call(context.Context, transports.Config) (transports.Caller, error) {
	return openOnly{w}, nil
}

// openOnly is the worker's end as a Caller whose Close leaves it open: the
// serve command closes it.
type openOnly struct{ workerEnd }

func (o openOnly) Conn(ctx context.Context) (net.Conn, error) {
	c, err := o.end.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return &masterStream{Conn: c, gone: o.gone}, nil
}

func (o openOnly) Addr() net.Addr { return o.end.Addr() }

func (openOnly) Close() error { return nil }

// masterStream is a stream to the master that calls gone when a read or a
// write fails on a stream the worker did not close: the master closed it,
// or the session under it ended. Either may come first: a call whose
// request meets the reset is the master's leaving too.
type masterStream struct {
	net.Conn
	gone   func()
	closed atomic.Bool
}

func (s *masterStream) Read(p []byte) (int, error) {
	n, err := s.Conn.Read(p)
	if err != nil && !s.closed.Load() {
		s.gone()
	}
	return n, err
}

func (s *masterStream) Write(p []byte) (int, error) {
	n, err := s.Conn.Write(p)
	if err != nil && !s.closed.Load() {
		s.gone()
	}
	return n, err
}

func (s *masterStream) Close() error {
	s.closed.Store(true)
	return s.Conn.Close()
}
