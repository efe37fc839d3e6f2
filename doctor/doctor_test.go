package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var brief = Options{Waits: 5, RoundTrips: 50, NoiseWindows: 3, NoiseWindow: time.Millisecond}

// The one test that measures for real: the figures must be sane, whatever
// their size on the machine that runs it.
func TestMeasureGivesSaneFigures(t *testing.T) {
	r, err := Measure(context.Background(), brief)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Timers) != 6 {
		t.Fatalf("%d timer figures, want 6 (3 ways × 2 waits)", len(r.Timers))
	}
	for _, tm := range r.Timers {
		if tm.N != brief.Waits || tm.Wait <= 0 || tm.P50 < 0 || tm.P99 < tm.P50 || tm.Max < tm.P99 {
			t.Errorf("timer figure %+v", tm)
		}
	}
	if r.Loopback.N != brief.RoundTrips || r.Loopback.P50 <= 0 || r.Loopback.P99 < r.Loopback.P50 {
		t.Errorf("loopback %+v", r.Loopback)
	}
	if r.Noise.Windows != brief.NoiseWindows || r.Noise.CV < 0 || math.IsInf(r.Noise.CV, 0) || math.IsNaN(r.Noise.CV) {
		t.Errorf("noise %+v", r.Noise)
	}
	if r.Steal.Shown && (r.Steal.Percent < 0 || r.Steal.Percent > 100) {
		t.Errorf("steal %+v", r.Steal)
	}
	if r.GOMAXPROCS.GOMAXPROCS < 1 || r.GOMAXPROCS.NumCPU < 1 || r.Elapsed <= 0 || r.Mechanism == "" {
		t.Errorf("report %+v", r)
	}
	for _, v := range []Verdict{r.Loopback.Verdict, r.Steal.Verdict, r.Frequency.Verdict, r.GOMAXPROCS.Verdict, r.Counters.Verdict, r.Noise.Verdict} {
		if v.Level == "" {
			t.Errorf("a figure has no verdict: %+v", r)
		}
	}
	if _, err := json.Marshal(r); err != nil { // fails on NaN and infinities
		t.Error(err)
	}
}

func TestMeasureEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Measure(ctx, brief); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want %v", err, context.Canceled)
	}
}
