package cli

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/doctor"
	"github.com/rpcbench/rpcbench/harness"
	"github.com/rpcbench/rpcbench/harness/format"
	"github.com/rpcbench/rpcbench/harness/gate"
	"github.com/rpcbench/rpcbench/harness/hdrlog"
	"github.com/rpcbench/rpcbench/internal/outfile"
	"github.com/rpcbench/rpcbench/measure"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/server"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/stack"
)

// errRunFailed reports a run whose calls failed; the table and the failures
// have been printed already.
var errRunFailed = errors.New("some calls failed: the results are not trustworthy")

// loadFlags are the flags run and matrix share.
type loadFlags struct {
	fs                                   *flag.FlagSet
	matrix                               bool
	codecs, peers, payloads, concurrency string
	conns, pipeline, count, checkEvery   int
	maxInflight                          int
	rate                                 float64
	duration, warmup, timeout, work      time.Duration
	calls                                int64
	busy, profile, explain               bool
	wide                                 *bool
	stall, format, out, tokenFile        string
	workload, maxMessage                 string
	shape                                *shapeFlags   // --rate's shapes, --find-max, --fail-on
	foreign                              *foreignFlags // --method, --args, --expect
	startAt, hdrLog                      string
	wf                                   *workloadFlags
}

// addLoadFlags defines every flag of run and matrix but the transport's,
// in one place; validate checks them, in one place.
func addLoadFlags(fs *flag.FlagSet, matrix bool) *loadFlags {
	f := &loadFlags{fs: fs, matrix: matrix}
	fs.StringVar(&f.codecs, "codec", "all", "comma-separated codecs to measure, all, or none: "+strings.Join(codecs.Names(), ", ")+
		"\n(with --addr or --listen: the one codec the server speaks, gob unless named)")
	alias(fs, "codec", "codecs")
	fs.StringVar(&f.peers, "peers", "grpc,thrift,stdlib-gob,stdlib-json,floor", "comma-separated references measured in the same run, or none: "+strings.Join(harness.PeerNames(), ", ")+
		"\n(floor-mux is added wherever callers share connections; none with --addr or --listen: peers run in this process)")
	fs.StringVar(&f.payloads, "payload", "bytes:1KiB", "comma-separated payloads: "+strings.Join(payload.Examples(), ", ")+", bytes:N, records:N")
	alias(fs, "payload", "payloads")
	fs.StringVar(&f.concurrency, "concurrency", "16", "comma-separated numbers of concurrent callers")
	alias(fs, "concurrency", "conc")
	fs.IntVar(&f.conns, "conns", 4, "connections the callers share (stacks that can't share get one per caller);\nwith --listen (reverse), 1 unless given: as many as serve --conns dials")
	fs.IntVar(&f.pipeline, "pipeline", 1, "calls each caller keeps in flight: one goroutine per caller issues them with net/rpc's Client.Go,\ncollects each from one Done channel it shares and issues the next (no goroutine per call);\nfloor-mux does the same with request ids, other peers keep a connection (or goroutine) per call in flight")
	fs.IntVar(&f.maxInflight, "max-inflight", 0, "open loop (--rate) only: the most calls out at once; each of the --concurrency callers keeps up to\nceil(N/concurrency) in flight as --pipeline does, so that an arrival waits for a caller only when N are out\n(0: --concurrency × --pipeline)")
	fs.StringVar(&f.workload, "workload", harness.DefaultWorkload().Name(), "comma-separated workloads: "+strings.Join(harness.WorkloadNames(), ", ")+"\n(watch: --watchers long-poll watches woken by Sets at --rate; duplex: calls both ways, see --back-concurrency)")
	alias(fs, "workload", "workloads")
	f.wf = addWorkloadFlags(fs)
	addMaxMessageFlag(fs, &f.maxMessage)
	f.shape = addShapeFlags(fs, &f.rate)
	f.foreign = addForeignFlags(fs)
	fs.DurationVar(&f.duration, "duration", 2*time.Second, "length of each measured window")
	fs.Int64Var(&f.calls, "calls", 0, "end each window after this many calls instead of after --duration")
	fs.DurationVar(&f.warmup, "warmup", 500*time.Millisecond, "unmeasured load before each window")
	count := 1
	if matrix {
		count = 5
	}
	fs.IntVar(&f.count, "count", count, "repetitions of every configuration, interleaved round-robin")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Second, "fail a call (and its connection) outstanding for longer than this")
	fs.DurationVar(&f.work, "work", 0, "server-side think time per call (sleeping; see --busy)")
	fs.BoolVar(&f.busy, "busy", false, "spend --work spinning on the CPU instead of sleeping")
	fs.StringVar(&f.stall, "stall", "", "PERIOD:DURATION: the server pauses every call for DURATION every PERIOD, e.g. 1s:50ms")
	fs.IntVar(&f.checkEvery, "check-every", 64, "verify one reply in this many calls (and always the first)")
	fs.StringVar(&f.tokenFile, "token-file", "", "codecs: log in on every connection with the token in this file, as rpcbench serve --auth requires\n(the in-process server then requires it too; the gRPC and Thrift peers don't log in)")
	fs.StringVar(&f.startAt, "start-at", "", "wait until this wall-clock time (RFC 3339, e.g. 2026-11-30T15:04:05Z) before the first warm-up,\nso that load processes started at different moments measure the same windows (see rpcbench merge);\nlater configurations follow one another as usual")
	f.wide = addWideFlag(fs)
	fs.StringVar(&f.hdrLog, "hdr-log", "", "also write the latencies as an HdrHistogram interval log to this file:\none interval per configuration per second, tagged with its name")
	if !matrix {
		fs.StringVar(&f.format, "format", "text", "output: text (the table), bench (Go benchmark lines for benchstat), json (everything, histograms included),\ncsv (one line per result, units in the column names) or markdown")
		fs.StringVar(&f.out, "o", "", "write the output to this file (the table is still printed)")
		fs.BoolVar(&f.explain, "explain", false, "also measure every configuration once more under the CPU profiler and show where its CPU per call goes\n(codec encode and decode, net/rpc, framing, read/write syscalls, scheduler, GC, recording, other) beside the floor's;\nthe measured figures come from the other repetitions")
	} else {
		fs.StringVar(&f.out, "o", "", "directory for the results: bench.txt, results.json and summary.txt (required, e.g. results/NAME)")
		fs.BoolVar(&f.profile, "profile", false, "also save a CPU and an allocation profile per configuration, from one more repetition of its own,\nunder DIR/profiles (rpcbench gate shows what grew under a regressed row)")
	}
	return f
}

// addWideFlag defines --wide, for commands that print the text table.
func addWideFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("wide", false, fmt.Sprintf("the text table with every column (%s), however wide;\nwithout it the table fits %d characters",
		strings.Join(format.WideColumns(), ", "), format.TableWidth))
}

// runFormats are run's --format values.
var runFormats = []string{"text", "bench", "json", "csv", "markdown"}

// isSet reports whether name was given on the command line, under any
// spelling.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		set = set || f.Name == name || f.Usage == aliasMark+name
	})
	return set
}

// validate checks the flags before anything runs, and settles the defaults
// that depend on others: against an external server (--addr, --listen),
// one codec and no peers. Its errors are usage errors naming the value.
func (f *loadFlags) validate(tf *transportFlags, args []string) error {
	name := "run"
	if f.matrix {
		name = "matrix"
	}
	switch {
	case len(args) > 0:
		return usagef("unexpected argument %q: %s takes only flags", args[0], name)
	case f.matrix && f.out == "":
		return usagef("-o DIR is required (e.g. -o results/NAME)")
	case !f.matrix && !slices.Contains(runFormats, f.format):
		return usagef("--format %q: want %s", f.format, strings.Join(runFormats, ", "))
	case f.conns < 1:
		return usagef("--conns %d: want at least 1", f.conns)
	case f.pipeline < 1:
		return usagef("--pipeline %d: want at least 1", f.pipeline)
	case f.maxInflight < 0:
		return usagef("--max-inflight %d: want a positive number of calls, or 0 for --concurrency × --pipeline", f.maxInflight)
	case f.maxInflight > 0 && f.rate == 0:
		return usagef("--max-inflight %d: applies to an open loop; add --rate (a closed loop keeps --concurrency × --pipeline calls out)", f.maxInflight)
	case f.count < 1:
		return usagef("--count %d: want at least 1", f.count)
	case f.rate < 0 || math.IsNaN(f.rate) || math.IsInf(f.rate, 0):
		return usagef("--rate %g: want 0 (closed loop) or a positive rate in calls/s", f.rate)
	case f.calls < 0:
		return usagef("--calls %d: want a positive number of calls, or 0 to use --duration", f.calls)
	case f.duration <= 0 && f.calls == 0:
		return usagef("--duration %v: want a positive duration, or --calls", f.duration)
	case f.warmup < 0:
		return usagef("--warmup %v: want a positive duration, or 0 for none", f.warmup)
	case f.timeout <= 0:
		return usagef("--timeout %v: want a positive duration", f.timeout)
	case f.work < 0:
		return usagef("--work %v: want a positive think time, or 0 for none", f.work)
	case f.checkEvery < 1:
		return usagef("--check-every %d: want at least 1 (1 checks every reply)", f.checkEvery)
	case f.busy && f.work == 0:
		return usagef("--busy spins for --work per call: give --work too")
	}
	if tf.external() {
		where := cmp.Or(tf.addr, tf.listen)
		if !isSet(f.fs, "codec") {
			f.codecs = "gob"
		}
		if cs := split(f.codecs); f.codecs == "all" || len(cs) != 1 || cs[0] == "none" {
			return usagef("--codec %q with --addr or --listen: the server at %s speaks one codec; name it", f.codecs, where)
		}
		if !isSet(f.fs, "peers") {
			f.peers = "none"
		}
		if f.peers != "none" {
			return usagef("--peers %q with --addr or --listen: peers are references measured in this process; measure them without --addr", f.peers)
		}
		if tf.listen != "" && !isSet(f.fs, "conns") {
			f.conns = 1
		}
		if f.work > 0 || f.stall != "" {
			return usagef("--work and --stall shape the in-process server: start the external one with them instead")
		}
	}
	return nil
}

func runCmd(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	return runOrMatrix(ctx, stdout, stderr, args, false)
}

func matrixCmd(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	return runOrMatrix(ctx, stdout, stderr, args, true)
}

const runSynopsis = `run [flags]

Measures every configuration the flags describe and prints one table. With
no flags: every codec over tcp, the gRPC and Thrift peers, the standard
library's own gob and JSON-RPC (stdlib-gob, stdlib-json) and the raw-TCP
floor, payload bytes:1KiB, 16 callers over 4 connections, an in-process
server on loopback, 0.5s warm-up and 2s window each: about 30 seconds.
Against an external server (--addr), the one codec it speaks and no peers.

  rpcbench run --codec msgpack                      one codec beside the peers and the floor
  rpcbench run --codec msgpack --format bench --count 10 > new.txt
  rpcbench run --rate 20000 --stall 1s:50ms         open loop, watching a server stall
  rpcbench run --codec gob --addr 127.0.0.1:9000    against rpcbench serve

Ctrl-C ends the window under way and prints (and writes) what was measured,
marked interrupted, exit 130; a second Ctrl-C exits at once.`

const matrixSynopsis = `matrix -o DIR [flags]

Measures the product of --codecs, --transports, --payloads and --concurrency
(plus the peers and the floor) --count times, round-robin so that drift
spreads evenly, and writes DIR/bench.txt (for benchstat and rpcbench
compare), DIR/results.json (everything, histograms included) and
DIR/summary.txt (the table, also printed). With --profile, also
DIR/profiles/NAME.cpu.pb.gz and NAME.alloc.pb.gz per configuration.
Ctrl-C ends the window under way and writes the rows finished by then,
marked interrupted, exit 130.

  rpcbench matrix --codecs gob,msgpack --transports tcp,unix --payloads bytes:16,records:100 --concurrency 1,16 -o results/NAME`

func runOrMatrix(ctx context.Context, stdout, stderr io.Writer, args []string, matrix bool) error {
	name, synopsis := "run", runSynopsis
	if matrix {
		name, synopsis = "matrix", matrixSynopsis
	}
	fs := newFlagSet(name, synopsis, stdout)
	lf := addLoadFlags(fs, matrix)
	tf := addTransportFlags(fs, callingSide|servingSide)
	alias(fs, "transport", "transports")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if err := lf.validate(tf, fs.Args()); err != nil {
		return err
	}
	cfgs, err := lf.configs(tf)
	if err != nil {
		return err
	}
	startAt, err := parseStartAt(lf.startAt, time.Now())
	if err != nil {
		return err
	}
	out, err := openOutputs(lf.out, lf.format, matrix, stdout)
	if err != nil {
		return err
	}
	defer out.discard()
	var hdr *outfile.File
	if lf.hdrLog != "" {
		if hdr, err = outfile.Create(lf.hdrLog, stdout); err != nil {
			return usagef("--hdr-log %q: %v", lf.hdrLog, err)
		}
		defer hdr.Discard()
	}
	if limit := raiseFileLimit(); slices.ContainsFunc(cfgs, func(c harness.Config) bool { return filesNeeded(c) > limit }) {
		fmt.Fprintf(stderr, "rpcbench %s: warning: the open-file limit is %d; a run with more connections than that allows will fail to connect (raise it with ulimit -n)\n", name, limit)
	}
	if matrix || lf.count > 1 {
		// Said now, before the run spends its time, in benchmath's words.
		for _, w := range gate.CountWarnings(lf.count, 0) {
			fmt.Fprintf(stderr, "rpcbench %s: warning: --count %d is too few for rpcbench gate and compare: %v\n", name, lf.count, w)
		}
	}
	if !startAt.IsZero() {
		fmt.Fprintf(stderr, "rpcbench %s: waiting %v for --start-at %s\n", name, time.Until(startAt).Round(time.Millisecond), lf.startAt)
		if err := waitUntil(ctx, startAt); err != nil {
			// Nothing measured yet, nothing to write: exit 130.
			return fmt.Errorf("%s: waiting for --start-at %s: %w (%w)", name, lf.startAt, errInterrupted, err)
		}
	}
	bar := newProgress(stderr, len(cfgs)*lf.count, lf.warmup, lf.duration, lf.calls)
	results, runErr := lf.shape.runAll(ctx, cfgs, lf.count, bar.update)
	bar.finish()
	if runErr == nil && ctx.Err() == nil && (lf.profile || lf.explain) {
		runErr = breakDown(ctx, stderr, lf, cfgs, results)
	}
	judged := lf.shape.failOn.judge(results)
	run := format.Run{Env: measure.ReadEnv(append([]string{"rpcbench"}, os.Args[1:]...)), Results: results, Broken: judged.marks(), Wide: *lf.wide}
	// What the machine does to timing, measured once the load is over (a
	// tenth of a second): measured before it, its allocations were
	// collected during the first configurations' windows, and moved their
	// cpu/op. An interrupted run has no time for it.
	if machine, err := doctor.Measure(ctx, doctor.Brief()); err == nil {
		m := machine.Machine()
		run.Env.Machine = &m
	}
	if ctx.Err() != nil {
		// Interrupted: keep every row finished, and say so.
		run.Interrupted, runErr = true, nil
	}
	var writeErr error // the results could not be written (the table is printed still)
	if len(results) == 0 {
		// Nothing finished: leave the outputs as they were.
		if run.Interrupted {
			fmt.Fprintf(stderr, "rpcbench %s: interrupted before any row finished\n", name)
		}
	} else {
		writeErr = out.write(stdout, stderr, run)
		if hdr != nil {
			if err := writeHDRLog(hdr, results); err != nil {
				writeErr = errors.Join(writeErr, fmt.Errorf("--hdr-log: %w", err))
			}
		}
	}
	var verdict error // a broken --fail-on threshold
	if len(results) > 0 {
		lf.wf.printNotes(stdout, stderr, cmp.Or(lf.format, "text"))
		verdict = lf.shape.report(lf.verdicts(stdout, stderr), judged)
	}
	switch {
	case runErr != nil:
		return fmt.Errorf("%s: %w", name, errors.Join(runErr, writeErr))
	case writeErr != nil:
		return fmt.Errorf("%s: %w", name, writeErr)
	case run.Interrupted:
		return errInterrupted
	case verdict != nil:
		return verdict
	case slices.ContainsFunc(results, func(r *measure.Result) bool { return r.Errors > 0 }):
		return errRunFailed
	}
	return nil
}

// breakDown profiles every configuration in a repetition of its own
// (saving the profiles for matrix --profile) and gives each result where
// its CPU per call went.
func breakDown(ctx context.Context, stderr io.Writer, lf *loadFlags, cfgs []harness.Config, results []*measure.Result) error {
	dir := ""
	if lf.matrix {
		dir = lf.out
	}
	breakdowns, err := profileRuns(ctx, stderr, dir, cfgs)
	for _, r := range results {
		r.Breakdown = breakdowns[r.Name]
	}
	return err
}

// parseStartAt parses --start-at: empty means now, and a time already past
// is a mistake (the processes would not start together), not "at once".
func parseStartAt(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usagef("--start-at %q: want an RFC 3339 time such as %s", s, now.Add(time.Minute).UTC().Format(time.RFC3339))
	}
	if !t.After(now) {
		return time.Time{}, usagef("--start-at %s is %v in the past (now %s)", s, now.Sub(t).Round(time.Millisecond), now.UTC().Format(time.RFC3339))
	}
	if ahead := t.Sub(now); ahead > maxStartAhead {
		return time.Time{}, usagef("--start-at %s is %v ahead (now %s); more than %v ahead is surely a mistake", s, ahead.Round(time.Second), now.UTC().Format(time.RFC3339), maxStartAhead)
	}
	return t, nil
}

// maxStartAhead is the furthest ahead --start-at may be.
const maxStartAhead = 24 * time.Hour

// waitUntil returns at t, or with ctx's error when ctx ends first.
func waitUntil(ctx context.Context, t time.Time) error {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// writeHDRLog writes results' interval log to f and commits it.
func writeHDRLog(f *outfile.File, results []*measure.Result) error {
	if err := hdrlog.Write(f, results); err != nil {
		return err
	}
	return f.Commit()
}

// writeRun writes run in formatName to the file out, whole or not at all,
// or to stdout when out is empty or "-"; the table is printed either way.
func writeRun(stdout io.Writer, out, formatName string, run format.Run) error {
	o, err := openOutputs(out, formatName, false, stdout)
	if err != nil {
		return err
	}
	defer o.discard()
	return o.write(stdout, io.Discard, run)
}

// outputs are where a run's results go: files prepared (see outfile)
// before the run, so that an unwritable path fails at once, and written
// whole or not at all.
type outputs struct {
	format string
	toFile bool
	dir    string // matrix's
	files  []*pendingFile
}

// pendingFile is an output file and the format it gets.
type pendingFile struct {
	*outfile.File
	write func(io.Writer, format.Run) error
}

func openOutputs(out, formatName string, matrix bool, stdout io.Writer) (*outputs, error) {
	o := &outputs{format: formatName, toFile: out != "" && !outfile.IsStdout(out)}
	if !o.toFile {
		return o, nil
	}
	paths := map[string]func(io.Writer, format.Run) error{out: writers[formatName]}
	if matrix {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return nil, usagef("-o %q: %v", out, err)
		}
		o.dir = out
		paths = map[string]func(io.Writer, format.Run) error{
			filepath.Join(out, "bench.txt"):    format.Bench,
			filepath.Join(out, "results.json"): format.JSON,
			filepath.Join(out, "summary.txt"):  format.Text,
		}
	}
	for _, path := range slices.Sorted(maps.Keys(paths)) {
		f, err := outfile.Create(path, stdout)
		if err != nil {
			o.discard()
			return nil, usagef("-o %q: %v", out, err)
		}
		o.files = append(o.files, &pendingFile{File: f, write: paths[path]})
	}
	return o, nil
}

// writers are the formats by --format name.
var writers = map[string]func(io.Writer, format.Run) error{
	"text":     format.Text,
	"bench":    format.BenchCommented,
	"json":     format.JSON,
	"csv":      format.CSV,
	"markdown": format.Markdown,
}

// write writes run to every output file, and prints the table: to
// stdout, unless stdout carries another format (--format bench with no
// -o), when it goes to a terminal's stderr instead. The table is printed
// even when a file cannot be written, and the error returned after it.
func (o *outputs) write(stdout, stderr io.Writer, run format.Run) error {
	var fileErr error
	for _, f := range o.files {
		err := f.write(f, run)
		if err != nil {
			err = fmt.Errorf("writing %s: %w", f.Name(), err)
		} else {
			err = f.Commit() // says what it was writing
		}
		fileErr = errors.Join(fileErr, err)
	}
	if !o.toFile && o.format != "text" {
		if err := writers[o.format](stdout, run); err != nil {
			return err
		}
		if isTerminal(stderr) {
			return errors.Join(format.Text(stderr, run), fileErr)
		}
		return fileErr
	}
	if err := format.Text(stdout, run); err != nil {
		return errors.Join(err, fileErr)
	}
	if o.dir != "" && fileErr == nil {
		fmt.Fprintf(stdout, "wrote %s/{bench.txt,results.json,summary.txt}\n", o.dir)
	}
	return fileErr
}

// discard removes the temporary files not renamed into place: after a
// failure, the paths keep what they held before.
func (o *outputs) discard() {
	for _, f := range o.files {
		f.Discard()
	}
	o.files = nil
}

// configs reads the flags' lists into a harness.Plan and returns its
// configurations.
func (f *loadFlags) configs(tf *transportFlags) ([]harness.Config, error) {
	var delay *service.Delay
	if f.work > 0 || f.stall != "" {
		delay = &service.Delay{Work: f.work, Busy: f.busy}
		if f.stall != "" {
			var err error
			if delay.StallEvery, delay.StallFor, err = service.ParseStall(f.stall); err != nil {
				return nil, usagef("--stall %q: %v", f.stall, err)
			}
		}
	}
	maxMessage, err := parseMaxMessage(f.maxMessage)
	if err != nil {
		return nil, err
	}
	stacks, err := f.stacks(maxMessage)
	if err != nil {
		return nil, err
	}
	var payloads []payload.Payload
	for _, s := range split(f.payloads) {
		p, err := payload.Parse(s)
		if err != nil {
			return nil, usagef("--payload %q: %v", s, err)
		}
		payloads = append(payloads, p)
	}
	if stacks, payloads, err = f.foreign.apply(stacks, payloads, tf.external()); err != nil {
		return nil, err
	}
	var concs []int
	for _, s := range split(f.concurrency) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return nil, usagef("--concurrency %q: want positive integers separated by commas", s)
		}
		concs = append(concs, n)
	}
	wls, err := f.wf.workloads(f.workload)
	if err != nil {
		return nil, err
	}
	plan := harness.Plan{
		Base: harness.Config{
			External: tf.external(), Conns: f.conns, Pipeline: f.pipeline,
			Rate: f.rate, Duration: f.duration, Calls: f.calls, Warmup: f.warmup,
			Timeout: f.timeout, Delay: delay, CheckEvery: f.checkEvery,
			MaxMessage: maxMessage,
		},
		Stacks: stacks, Payloads: payloads, Concurrency: concs,
		Transports: split(tf.transport),
		Link: func(transport, codec string) (harness.Link, error) {
			tf := *tf
			tf.transport = transport
			tr, cfg, err := tf.config(codec)
			return harness.Link{Transport: tr, Config: cfg, Net: tf.net}, err // config names tf.net's profile
		},
		MaxInflight: f.maxInflight,
		Workloads:   wls, Watchers: f.wf.watchers,
		Rates: f.shape.steps(),
	}
	cfgs, notes, err := plan.Expand()
	if err != nil {
		return nil, err
	}
	f.wf.notes = append(f.wf.notes, notes...)
	if len(cfgs) == 0 {
		return nil, usagef("nothing to measure: --codec and --peers are both none, or no stack runs the workload")
	}
	return cfgs, nil
}

// stacks returns the codecs and peers the flags name.
func (f *loadFlags) stacks(maxMessage int) ([]stack.Stack, error) {
	names := split(f.codecs)
	if f.codecs == "all" {
		names = codecs.Names()
	}
	var token []byte
	if f.tokenFile != "" {
		var err error
		if token, err = server.ReadToken(f.tokenFile); err != nil {
			return nil, usagef("--token-file: %v", err)
		}
	}
	var stacks []stack.Stack
	for _, n := range names {
		if n == "none" {
			continue
		}
		c, err := codecs.New(n, codecs.Options{MaxMessage: maxMessage})
		if err != nil {
			return nil, usagef("--codec: %v", err)
		}
		stacks = append(stacks, stack.Codec{Codec: c, Token: token})
	}
	for _, n := range split(f.peers) {
		if n == "none" {
			continue
		}
		s, err := harness.LookupPeer(n)
		if err != nil {
			return nil, usagef("--peers: %v", err)
		}
		stacks = append(stacks, s)
	}
	return stacks, nil
}

func split(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// filesNeeded estimates the file descriptors a configuration holds open:
// each connection's calling end, its serving end too when the server is in
// this process, and some to spare.
func filesNeeded(c harness.Config) uint64 {
	n := uint64(max(c.Conns, c.Concurrency*c.Pipeline))
	if !c.External {
		n *= 2
	}
	return n + 64
}
