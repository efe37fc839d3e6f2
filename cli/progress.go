package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/rpcbench/rpcbench/harness"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress shows one bar for the whole run on a terminal's stderr: every
// configuration's warm-up and window, never moving back, with an ETA from
// the pace so far and the live calls/s, p99 and errors of the window under
// way. It is cleared before the table. Elsewhere (a pipe, a CI log) it is
// nil and prints nothing.
type progress struct {
	p   *mpb.Progress
	bar *mpb.Bar
	pos *position
}

// position turns the harness's reports (which run, which phase, how far)
// into one fraction of the whole run that only grows, and keeps the
// figures the bar shows. Its methods are safe for concurrent use: the
// harness reports from its watchdog, the bar reads from its renderer.
type position struct {
	mu       sync.Mutex
	runs     int
	warmup   time.Duration
	duration time.Duration // 0 with --calls
	start    time.Time

	done     float64 // of the whole run, 0 to 1
	name     string
	run      int
	windowAt time.Time // when the window under way began, about
	live     harness.Progress
}

// progressSteps is the bar's resolution per run.
const progressSteps = 1000

func newPosition(runs int, warmup, duration time.Duration, calls int64, now time.Time) *position {
	if calls > 0 {
		duration = 0
	}
	return &position{runs: runs, warmup: warmup, duration: duration, start: now, run: -1}
}

// warmShare is the part of one run the warm-up takes: by time when the
// window has a duration, a fixed fifth when it counts calls.
func (ps *position) warmShare() float64 {
	switch {
	case ps.warmup <= 0:
		return 0
	case ps.duration > 0:
		return float64(ps.warmup) / float64(ps.warmup+ps.duration)
	}
	return 0.2
}

// update takes one report of run (0-based) at now.
func (ps *position) update(run int, name string, p harness.Progress, now time.Time) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if run != ps.run {
		ps.run, ps.name, ps.windowAt, ps.live = run, name, time.Time{}, harness.Progress{}
	}
	w := ps.warmShare()
	f := w * p.Done
	if !p.Warmup {
		if ps.windowAt.IsZero() {
			ps.windowAt = now
		}
		f = w + (1-w)*p.Done
		ps.live = p
	}
	// A run ends only when the next begins: its last report may say 1.
	f = min(f, 0.999)
	ps.done = max(ps.done, (float64(run)+f)/float64(ps.runs))
}

// fraction is how much of the whole run is done.
func (ps *position) fraction() float64 {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.done
}

// eta is the time left at the pace so far, or -1 before there is a pace.
func (ps *position) eta(now time.Time) time.Duration {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	elapsed := now.Sub(ps.start)
	if ps.done <= 0 || elapsed < time.Second {
		return -1
	}
	return time.Duration(float64(elapsed) * (1 - ps.done) / ps.done)
}

// status is the run under way and its window's figures so far.
func (ps *position) status(now time.Time) string {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.run < 0 {
		return "starting"
	}
	s := fmt.Sprintf("%d/%d %s", ps.run+1, ps.runs, strings.TrimPrefix(ps.name, "RPC/"))
	if ps.windowAt.IsZero() {
		return s + "  warming up"
	}
	window := now.Sub(ps.windowAt)
	if ps.duration > 0 {
		window = time.Duration(ps.live.Done * float64(ps.duration))
	}
	if window <= 0 {
		return s
	}
	s += fmt.Sprintf("  %.0f calls/s", float64(ps.live.Calls)/window.Seconds())
	if ps.live.P99 > 0 {
		s += "  p99 " + ps.live.P99.Round(time.Microsecond).String()
	}
	return s + fmt.Sprintf("  errors %d", ps.live.Errors)
}

func newProgress(stderr io.Writer, runs int, warmup, duration time.Duration, calls int64) *progress {
	if !isTerminal(stderr) || (calls == 0 && time.Duration(runs)*(warmup+duration) < 2*time.Second) {
		return nil
	}
	pr := &progress{p: mpb.New(mpb.WithOutput(stderr), mpb.WithWidth(30)), pos: newPosition(runs, warmup, duration, calls, time.Now())}
	pr.bar = pr.p.AddBar(int64(runs*progressSteps),
		mpb.BarRemoveOnComplete(),
		mpb.PrependDecorators(
			decor.Any(func(decor.Statistics) string { return fmt.Sprintf("%3.0f%%", 100*pr.pos.fraction()) }),
		),
		mpb.AppendDecorators(
			decor.Any(func(decor.Statistics) string {
				eta := "ETA ?"
				if d := pr.pos.eta(time.Now()); d >= 0 {
					eta = "ETA " + d.Round(time.Second).String()
				}
				return eta + "  " + pr.pos.status(time.Now())
			}),
		),
	)
	return pr
}

// update is harness.RunAll's progress callback.
func (pr *progress) update(run, runs int, name string, p harness.Progress) {
	if pr == nil {
		return
	}
	pr.pos.update(run, name, p, time.Now())
	pr.bar.SetCurrent(int64(pr.pos.fraction() * float64(runs*progressSteps)))
}

// finish completes the bar, which removes it, so that the table starts on
// a clean line.
func (pr *progress) finish() {
	if pr == nil {
		return
	}
	pr.bar.SetCurrent(int64(pr.pos.runs * progressSteps)) // complete, whatever it showed
	pr.p.Wait()
}
