package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/harness"
)

func TestProgressOnlyMovesForward(t *testing.T) {
	t0 := time.Unix(1000, 0)
	// Two runs of 0.5s warm-up and 2s window, reported as the harness
	// does: the warm-up's fraction, then the window's from 0 again.
	ps := newPosition(2, 500*time.Millisecond, 2*time.Second, 0, t0)
	type report struct {
		run int
		p   harness.Progress
	}
	var reports []report
	for run := range 2 {
		for _, d := range []float64{0.2, 0.6, 1} {
			reports = append(reports, report{run, harness.Progress{Warmup: true, Done: d}})
		}
		for i, d := range []float64{0.05, 0.5, 1} {
			reports = append(reports, report{run, harness.Progress{Done: d, Calls: int64(1000 * (i + 1)), P99: 3 * time.Millisecond}})
		}
	}
	last := 0.0
	for i, r := range reports {
		ps.update(r.run, "RPC/codec=gob", r.p, t0.Add(time.Duration(i)*250*time.Millisecond))
		f := ps.fraction()
		if f < last || f >= 1 {
			t.Fatalf("report %d (%+v): fraction %.3f after %.3f: want it to grow and stay below 1 until the end", i, r, f, last)
		}
		last = f
	}
	// Warm-up is a fifth of each run: the first run's warm-up ends at 10%.
	ps = newPosition(2, 500*time.Millisecond, 2*time.Second, 0, t0)
	ps.update(0, "a", harness.Progress{Warmup: true, Done: 1}, t0)
	if f := ps.fraction(); f < 0.099 || f > 0.101 {
		t.Errorf("after the first of two warm-ups: %.3f, want 0.1", f)
	}
}

func TestProgressShowsLiveFiguresAndAnHonestETA(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ps := newPosition(4, 0, 2*time.Second, 0, t0)
	if eta := ps.eta(t0); eta != -1 {
		t.Errorf("ETA before any progress: %v, want unknown", eta)
	}
	// A quarter done after 10s of wall clock (setup included): 30s left.
	ps.update(1, "RPC/codec=json/transport=tcp", harness.Progress{Done: 0, Calls: 0}, t0.Add(10*time.Second))
	if eta := ps.eta(t0.Add(10 * time.Second)); eta != 30*time.Second {
		t.Errorf("ETA a quarter of the way after 10s: %v, want 30s", eta)
	}
	ps.update(1, "RPC/codec=json/transport=tcp", harness.Progress{Done: 0.5, Calls: 20000, Errors: 3, P99: 1234567}, t0.Add(11*time.Second))
	got := ps.status(t0.Add(11 * time.Second))
	for _, want := range []string{"2/4 codec=json/transport=tcp", "20000 calls/s", "p99 1.235ms", "errors 3"} {
		if !strings.Contains(got, want) {
			t.Errorf("status %q lacks %q", got, want)
		}
	}
	ps.update(2, "RPC/codec=msgpack", harness.Progress{Warmup: true, Done: 0.1}, t0.Add(12*time.Second))
	if got := ps.status(t0.Add(12 * time.Second)); !strings.Contains(got, "3/4 codec=msgpack  warming up") {
		t.Errorf("status during a warm-up: %q", got)
	}
}

func TestNoProgressWhenStderrIsNotATerminal(t *testing.T) {
	var stderr bytes.Buffer
	if pr := newProgress(&stderr, 100, time.Second, time.Second, 0); pr != nil {
		t.Fatal("a progress bar for a buffer")
	}
	var pr *progress // what the run then calls
	pr.update(0, 1, "x", harness.Progress{})
	pr.finish()
	if stderr.Len() > 0 {
		t.Errorf("wrote to a non-terminal: %q", stderr.String())
	}
}
