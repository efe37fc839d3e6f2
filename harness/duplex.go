package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/rpcbench/rpcbench/measure"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/stack"
	"github.com/rpcbench/rpcbench/stack/grpcpeer"
	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/duplex"
	"github.com/rpcbench/rpcbench/transports/tcp"
)

// Duplex is the seed's bidirectional workload (DESIGN 8): master→worker
// callers (Config.Concurrency, Config.Payload; row dir=down) and
// worker→master callers (Back, BackPayload; row dir=up) call at the same
// time, each as the call workload's callers do, so that a bulk transfer
// one way shows what it does to small calls the other way.
//
// The master is the run's calling side, the worker its serving side. How
// the up direction travels depends on the transport:
//   - duplex: over the same yamux session: the worker opens streams to
//     the master, which serves them (one connection, both ways);
//   - reverse: over connections of its own, which the worker dials to the
//     master and calls over (two connections, as the first seed does);
//   - any other: over connections of the same transport, the master
//     serving.
//
// The gRPC peers go back the natural gRPC way instead, whatever the
// transport: the worker (the gRPC server) calls the master over
// bidirectional Duplex.Reverse streams its clients open on the run's own
// connections, one per worker→master caller, with an Echo.Echo payload.
//
// The process's costs (allocations, CPU, wire bytes) cannot be told
// apart by direction in one process: they are shared out between the two
// rows in proportion to their calls.
//
// Against a worker in another process (rpcbench run --listen with
// --transport duplex, the worker rpcbench serve --transport duplex), the
// master calls down and serves every stream a worker opens, but it cannot
// drive the worker's callers: it records dir=down only, and the worker
// measures dir=up itself (DuplexWorker).
type Duplex struct {
	// Back is how many worker→master callers there are; 0 means as many
	// as Config.Concurrency.
	Back int
	// BackPayload is what they call with; its zero value means
	// Config.Payload.
	BackPayload payload.Payload
}

func (Duplex) Name() string   { return "duplex" }
func (Duplex) Rows() []string { return []string{"down", "up"} }

// upConfig is the configuration of the worker→master callers.
func (d Duplex) upConfig(cfg *Config) Config {
	up := *cfg
	if d.Back > 0 {
		up.Concurrency = d.Back
	}
	if d.BackPayload.Method != "" {
		up.Payload = d.BackPayload
	}
	return up
}

// NameKey: duplex, or duplex-against-LOAD when the other direction's load
// differs from the row's own, so that the small calls of a run with a bulk
// transfer the other way are not named as those of a run without.
func (d Duplex) NameKey(row *Config) string { return againstKey(row, d.upConfig(row)) }

// againstKey is the workload key of a duplex row of configuration row
// whose other direction is other.
func againstKey(row *Config, other Config) string {
	if a := againstOf(row, &other); a != "" {
		return "duplex-against-" + a
	}
	return "duplex"
}

// againstOf describes other's load where it differs from row's, else "".
func againstOf(row, other *Config) string {
	if other.Payload.Name == row.Payload.Name && other.Concurrency == row.Concurrency {
		return ""
	}
	return fmt.Sprintf("%sx%d", other.Payload.Name, other.Concurrency)
}

// duplexRow is row dir of a duplex run whose rows' configurations are
// row and other.
func duplexRow(dir string, row, other *Config) Row {
	return Row{Dir: dir, Config: row, Key: againstKey(row, *other), Against: againstOf(row, other)}
}

// Prepare serves the master's side of the way back and opens the worker's
// clients over it.
func (d Duplex) Prepare(ctx context.Context, cfg *Config, s *Sides) (Prepared, error) {
	run := &duplexRun{upCfg: d.upConfig(cfg), down: *cfg}
	if cfg.External {
		master, ok := s.caller.(*duplex.End)
		if !ok {
			return nil, fmt.Errorf("against workers in other processes the master needs --transport duplex (over %s it cannot serve them)", cfg.Transport.Name())
		}
		srv := cfg.Stack.Serve(master, cfg.Delay) // the workers' own calls
		run.close = func() { srv.Close() }
		return run, nil
	}
	if srv, ok := s.server.(*grpcpeer.Server); ok {
		return run.overReverseStreams(ctx, cfg, s, srv)
	}
	l, caller, err := d.wayBack(ctx, cfg, s)
	if err != nil {
		return nil, err
	}
	srv := cfg.Stack.Serve(l, cfg.Delay)
	up, err := newPool(ctx, &run.upCfg, caller)
	if err != nil {
		srv.Close()
		caller.Close()
		return nil, fmt.Errorf("worker→master: %w", err)
	}
	run.up = up
	run.close = func() {
		up.close()
		srv.Close()
		caller.Close()
	}
	return run, nil
}

// A reverseAnswerer is a client that answers the calls its server makes
// back over its own connection (gRPC's Duplex.Reverse).
type reverseAnswerer interface {
	AnswerReverse(ctx context.Context, d *service.Delay) error
}

// overReverseStreams prepares gRPC's way back, the natural gRPC one: the
// worker (the gRPC server) calls the master (its client) over
// bidirectional Duplex.Reverse streams that the master's clients open on
// the run's own connections, one stream per worker→master caller (a
// stream carries one call at a time).
func (r *duplexRun) overReverseStreams(ctx context.Context, cfg *Config, s *Sides, srv *grpcpeer.Server) (Prepared, error) {
	n := r.upCfg.Concurrency
	r.upCfg.Conns = n
	answering, cancel := context.WithCancel(context.Background())
	var answers sync.WaitGroup
	up := &pool{cfg: &r.upCfg, caller: noWayBack{}, slots: make([]slot, n)}
	done := func() {
		up.close() // ends the streams
		cancel()
		answers.Wait()
	}
	for i := range n {
		a, ok := s.pool.client(i).Client.(reverseAnswerer)
		if !ok {
			done()
			return nil, fmt.Errorf("the gRPC client %T cannot answer Duplex.Reverse", s.pool.client(i).Client)
		}
		answers.Go(func() { a.AnswerReverse(answering, cfg.Delay) })
	}
	wait, stop := context.WithTimeout(ctx, cfg.Timeout)
	defer stop()
	for i := range n {
		rev, err := srv.Reverse(wait)
		if err == nil {
			var c stack.Client
			if c, err = rev.Caller(r.upCfg.Payload); err == nil {
				up.slots[i].cur.Store(&client{Client: c, conn: reverseConn{c}})
				continue
			}
			rev.Close()
		}
		done()
		return nil, fmt.Errorf("worker→master over Duplex.Reverse: %w", err)
	}
	r.up, r.close = up, done
	return r, nil
}

// noWayBack is the Caller of a pool whose clients are Duplex.Reverse
// streams: a broken one is not replaced.
type noWayBack struct{}

func (noWayBack) Conn(context.Context) (net.Conn, error) {
	return nil, errors.New("a broken Duplex.Reverse stream is not reopened")
}
func (noWayBack) Addr() net.Addr { return nil }
func (noWayBack) Close() error   { return nil }

// reverseConn stands for a Duplex.Reverse stream where the pool wants a
// connection: closing it (the watchdog cutting off a call) ends the stream.
type reverseConn struct{ c stack.Client }

func (r reverseConn) Close() error                   { return r.c.Close() }
func (reverseConn) Read([]byte) (int, error)         { return 0, net.ErrClosed }
func (reverseConn) Write([]byte) (int, error)        { return 0, net.ErrClosed }
func (reverseConn) LocalAddr() net.Addr              { return nil }
func (reverseConn) RemoteAddr() net.Addr             { return nil }
func (reverseConn) SetDeadline(time.Time) error      { return nil }
func (reverseConn) SetReadDeadline(time.Time) error  { return nil }
func (reverseConn) SetWriteDeadline(time.Time) error { return nil }

// wayBack returns what the master serves the worker's calls on and what
// the worker calls it over.
func (d Duplex) wayBack(ctx context.Context, cfg *Config, s *Sides) (net.Listener, transports.Caller, error) {
	if master, ok := s.caller.(*duplex.End); ok {
		worker, ok := s.served.(*duplex.End)
		if !ok {
			return nil, nil, fmt.Errorf("the worker's end of %s is a %T, not a duplex end", cfg.Transport.Name(), s.served)
		}
		// Closing the worker's end is the run's; the master's is closed
		// by the server of the way back, at the end of the run.
		return master, keepOpen{worker}, nil
	}
	tr := cfg.Transport
	if transports.IsReversed(tr) {
		tr = tcp.Transport{} // the worker dials the master a second time
	}
	tcfg := cfg.TransportConfig
	up := d.upConfig(cfg)
	tcfg.Addr, tcfg.Conns = "", up.conns()
	if tcfg.CAFile == "" {
		tcfg.Insecure = true // as connectSides: the in-process certificate is self-signed
	}
	l, caller, err := transports.Pair(ctx, tr, tcfg)
	if err != nil {
		return nil, nil, fmt.Errorf("worker→master over %s: %w", tr.Name(), err)
	}
	return l, caller, nil
}

// keepOpen is a Caller whose Close leaves it open, for one the run closes.
type keepOpen struct{ transports.Caller }

func (keepOpen) Close() error { return nil }

// duplexRun is a prepared Duplex.
type duplexRun struct {
	upCfg Config // the worker→master callers' configuration
	down  Config // the master→worker callers' configuration
	up    *pool  // nil when the worker is another process
	close func()
}

// Rows: dir=down, and dir=up named and labelled by its own callers and
// payload, unless the worker is another process, which records it.
func (r *duplexRun) Rows() []Row {
	rows := []Row{duplexRow("down", &r.down, &r.upCfg)}
	if r.up != nil {
		rows = append(rows, duplexRow("up", &r.upCfg, &r.down))
	}
	return rows
}

func (r *duplexRun) Close() { r.close() }

func (r *duplexRun) Drive(ctx context.Context, w *Window) {
	var wg sync.WaitGroup
	down := *w
	down.rows = w.rows[:1]
	wg.Go(func() { driveCalls(ctx, &down) })
	if r.up != nil {
		up := *w
		up.cfg, up.pool, up.rows = &r.upCfg, r.up, w.rows[1:]
		up.budget = newBudget(w.budget.total()) // each direction makes --calls calls
		up.connBase = len(w.pool.slots)         // the watchdog tells the pools' connections apart
		wg.Go(func() { driveCalls(ctx, &up) })
	}
	wg.Wait()
	if r.up != nil {
		w.pool.wire.Add(r.up.wire.Swap(0))
	}
}

// shareOut divides the process-wide figures of a window that recorded
// several rows (duplex: both directions, served and called in one
// process) between them in proportion to their calls, so that each row's
// per-call cost is the process's cost per call in either direction, and
// the rows' figures add up to the process's rather than each claiming all
// of it. The server's figures are shared out the same way.
func shareOut(results []*measure.Result) {
	if len(results) < 2 {
		return
	}
	var total int64
	for _, r := range results {
		total += r.Calls
	}
	if total == 0 {
		return
	}
	for _, r := range results {
		f := float64(r.Calls) / float64(total)
		part := func(v uint64) uint64 { return uint64(f * float64(v)) }
		r.Allocs, r.AllocB = part(r.Allocs), part(r.AllocB)
		r.CPU = time.Duration(f * float64(r.CPU))
		r.CtxSwitches, r.RWSyscalls = part(r.CtxSwitches), part(r.RWSyscalls)
		r.WireBytes = int64(f * float64(r.WireBytes))
		if s := r.Server; s != nil {
			shared := *s
			shared.Allocs, shared.AllocB = part(s.Allocs), part(s.AllocB)
			shared.CPU = time.Duration(f * float64(s.CPU))
			r.Server = &shared
		}
	}
}

// DuplexWorker is the worker→master half of the duplex workload, for a
// worker in a process of its own (rpcbench serve --transport duplex
// --back-concurrency N): its callers call the master over streams the
// worker opens, as the call workload's callers do, and record the row
// dir=up. The run's Config.Transport must yield the worker's streams (its
// Call returns the worker's duplex end) and Config.External be set. Its
// names carry workload=duplex/dir=up but not what the master sends down,
// which the worker does not know.
type DuplexWorker struct{}

func (DuplexWorker) Name() string   { return "duplex" }
func (DuplexWorker) Rows() []string { return []string{"up"} }

// Prepare needs nothing beyond the worker's streams to the master.
func (DuplexWorker) Prepare(_ context.Context, cfg *Config, _ *Sides) (Prepared, error) {
	return OneRow(cfg, "up", driveCalls), nil
}
