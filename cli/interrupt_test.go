package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/harness/format"
	"github.com/rpcbench/rpcbench/internal/poll"
)

func TestInterruptingARunKeepsWhatItMeasured(t *testing.T) {
	ts := serveForTest(t)
	out := filepath.Join(t.TempDir(), "run.txt")
	p := start(t, "run", "--codec", "gob", "--addr", ts.addr, "--duration", "1m", "--warmup", "0",
		"--conc", "1", "--conns", "1", "--format", "bench", "-o", out)
	// Calls are flowing in the window: interrupt it.
	poll.For(t, 30*time.Second, "calls reaching the server", func() bool { return ts.read.Load() > 50_000 })
	interrupt(t, p)
	if code := p.wait(t, 10*time.Second); code != 130 {
		t.Fatalf("exit %d after SIGINT, want 130; stderr:\n%s", code, p.stderr.String())
	}
	table := p.stdout.String()
	if !strings.Contains(table, "gob*") || !strings.Contains(table, "INTERRUPTED") {
		t.Errorf("the table does not show the interrupted row:\n%s", table)
	}
	bench, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(bench), "\ninterrupted: true\n") || strings.Count(string(bench), "\nBenchmarkRPC/codec=gob/") != 1 {
		t.Errorf("%s lacks the interrupted row or its mark:\n%s", out, bench)
	}
	if p.stderr.Len() > 0 {
		t.Errorf("stderr is not a terminal, yet:\n%s", p.stderr.String())
	}
}

func TestInterruptingAMatrixLeavesTheFinishedRows(t *testing.T) {
	ts := serveForTest(t)
	dir := filepath.Join(t.TempDir(), "results")
	// Each repetition opens its own connection: the third to arrive means
	// two rows are finished.
	p := start(t, "matrix", "--codec", "gob", "--addr", ts.addr, "--duration", "200ms", "--warmup", "0",
		"--conc", "1", "--conns", "1", "--count", "50", "-o", dir)
	poll.For(t, 60*time.Second, "a third repetition", func() bool { return ts.conns.Load() >= 3 })
	interrupt(t, p)
	if code := p.wait(t, 10*time.Second); code != 130 {
		t.Fatalf("exit %d after SIGINT, want 130; stderr:\n%s", code, p.stderr.String())
	}
	f, err := os.Open(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	run, err := format.ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if !run.Interrupted || len(run.Results) < 2 || len(run.Results) >= 50 {
		t.Errorf("results.json: interrupted %v with %d rows; want interrupted, with the 2 or more finished", run.Interrupted, len(run.Results))
	}
	bench, err := os.ReadFile(filepath.Join(dir, "bench.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(bench), "\nBenchmarkRPC/"); n != len(run.Results) || !strings.Contains(string(bench), "\ninterrupted: true\n") {
		t.Errorf("bench.txt has %d rows (results.json %d), or no interrupted line:\n%s", n, len(run.Results), bench)
	}
	summary, err := os.ReadFile(filepath.Join(dir, "summary.txt"))
	if err != nil || !strings.Contains(string(summary), "INTERRUPTED") {
		t.Errorf("summary.txt does not say the run was interrupted (%v):\n%s", err, summary)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp"))
	if len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestASecondInterruptExitsAtOnce(t *testing.T) {
	ts := serveForTest(t)
	p := start(t, "run", "--codec", "gob", "--addr", ts.addr, "--duration", "1m", "--warmup", "0", "--conc", "1", "--conns", "1")
	poll.For(t, 30*time.Second, "calls reaching the server", func() bool { return ts.read.Load() > 10_000 })
	interrupt(t, p)
	interrupt(t, p)
	if code := p.wait(t, 5*time.Second); code != 130 {
		t.Fatalf("exit %d after two SIGINTs, want 130; stderr:\n%s", code, p.stderr.String())
	}
}
