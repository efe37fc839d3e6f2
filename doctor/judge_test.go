package doctor

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/internal/precise"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const µs = time.Microsecond

func timer(how string, wait, p50, p99 time.Duration) Timer {
	return Timer{How: how, Lateness: precise.Lateness{Wait: wait, N: 200, P50: p50, P99: p99, Max: p99}}
}

func TestTimerVerdicts(t *testing.T) {
	tests := []struct {
		name      string
		t         Timer
		mechanism string
		want      string
	}{
		{"Go's timer a millisecond late for 100µs warns", timer("time.Sleep", 100*µs, 990*µs, 1100*µs), "timerfd", Warning},
		{"Go's timer 90µs late for 1ms is fine", timer("time.Timer", time.Millisecond, 90*µs, 200*µs), "timerfd", Ok},
		{"the precise wait 37µs late is fine", timer("precise", 100*µs, 37*µs, 80*µs), "timerfd", Ok},
		{"the precise wait with a p99 past a millisecond warns", timer("precise", 100*µs, 37*µs, 2*time.Millisecond), "timerfd", Warning},
		{"a 10ms wait may be a millisecond late", timer("precise", 10*time.Millisecond, time.Millisecond, 5*time.Millisecond), "timerfd", Ok},
		{"the fallback late warns", timer("precise", 100*µs, 990*µs, 1100*µs), "go-timer", Warning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := judgeTimer(tt.t, tt.mechanism); got.Level != tt.want || (got.Level == Warning) != (got.Why != "") {
				t.Errorf("got %+v, want %s", got, tt.want)
			}
		})
	}
}

// quiet and noisy are two machines' figures, for the verdicts and the
// text golden file.
func quiet() Report {
	return Report{
		GoVersion: "go1.26.8", OS: "linux", Arch: "amd64", Mechanism: "timerfd", Elapsed: 2100 * time.Millisecond,
		Timers: []Timer{
			timer("time.Sleep", 100*µs, 990*µs, 1050*µs), timer("time.Sleep", time.Millisecond, 80*µs, 120*µs),
			timer("precise", 100*µs, 37*µs, 61*µs), timer("precise", time.Millisecond, 41*µs, 70*µs),
		},
		Loopback:   Loopback{N: 5000, P50: 18 * µs, P99: 60 * µs},
		Steal:      Steal{Shown: true, Percent: 0.1},
		Frequency:  Frequency{Shown: true, Governors: []string{"performance"}, CurMHz: 2999.6, MaxMHz: 3000},
		GOMAXPROCS: Procs{GOMAXPROCS: 2, NumCPU: 2},
		Counters:   Counters{Available: true},
		Noise:      Noise{Windows: 20, Window: 20 * time.Millisecond, CV: 0.8},
	}
}

func noisy() Report {
	r := quiet()
	r.Mechanism = "go-timer"
	r.Timers = []Timer{timer("precise", 100*µs, 995*µs, 1400*µs)}
	r.Loopback = Loopback{N: 5000, P50: 250 * µs, P99: 2 * time.Millisecond}
	r.Steal = Steal{Shown: true, Percent: 7.5}
	r.Frequency = Frequency{Shown: true, Governors: []string{"performance", "powersave"}, CurMHz: 1200, MaxMHz: 3500}
	r.GOMAXPROCS = Procs{GOMAXPROCS: 1, NumCPU: 8}
	r.Counters = Counters{Error: "perf_event_open: ENOENT (no such file or directory)"}
	r.Noise.CV = 12.5
	return r
}

func TestVerdicts(t *testing.T) {
	q := quiet()
	q.judge("timerfd")
	n := noisy()
	n.judge("go-timer")
	tests := []struct {
		name         string
		quiet, noisy Verdict
	}{
		{"loopback", q.Loopback.Verdict, n.Loopback.Verdict},
		{"steal", q.Steal.Verdict, n.Steal.Verdict},
		{"frequency", q.Frequency.Verdict, n.Frequency.Verdict},
		{"GOMAXPROCS", q.GOMAXPROCS.Verdict, n.GOMAXPROCS.Verdict},
		{"noise", q.Noise.Verdict, n.Noise.Verdict},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is ok on a quiet machine and warns on a noisy one", func(t *testing.T) {
			if tt.quiet != (Verdict{Level: Ok}) {
				t.Errorf("quiet: %+v", tt.quiet)
			}
			if tt.noisy.Level != Warning || tt.noisy.Why == "" {
				t.Errorf("noisy: %+v", tt.noisy)
			}
		})
	}
	if q.Counters.Level != Ok || n.Counters.Level != NotShown || n.Counters.Why != n.Counters.Error {
		t.Errorf("counters: quiet %+v, noisy %+v", q.Counters, n.Counters)
	}
	var none Report
	none.judge("timerfd")
	if none.Steal.Level != NotShown || none.Frequency.Level != NotShown {
		t.Errorf("figures the machine does not show: steal %+v, frequency %+v", none.Steal, none.Frequency)
	}
}

func TestTextGolden(t *testing.T) {
	for name, r := range map[string]Report{"quiet": quiet(), "noisy": noisy()} {
		t.Run(name, func(t *testing.T) {
			r.judge(r.Mechanism)
			var b bytes.Buffer
			if err := Text(&b, r); err != nil {
				t.Fatal(err)
			}
			for i, line := range bytes.Split(b.Bytes(), []byte("\n")) {
				if n := len([]rune(string(line))); n > lineWidth {
					t.Errorf("line %d is %d columns wide, more than %d: %s", i+1, n, lineWidth, line)
				}
			}
			path := filepath.Join("testdata", name+".txt")
			if *update {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("differs from %s (go test -run %s -update to accept):\n%s", path, t.Name(), b.String())
			}
		})
	}
}
